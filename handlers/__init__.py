"""Routers, one per screen or concern, built fresh by a factory (tests get their own)."""

from __future__ import annotations

from aiogram import Router

from bot.i18n import I18n
from bot.services.staff import StaffDirectory
from handlers import (
    appeal_steps,
    errors,
    fallback,
    my_appeals,
    not_staff,
    operator,
    operator_actions,
    operator_failed,
    owner_relay,
    start,
)


def build_router(i18n: I18n, operator_chat_id: int, directory: StaffDirectory) -> Router:
    root = Router(name="root")
    root.include_routers(
        errors.make_router(),
        operator_failed.make_router(operator_chat_id, directory),
        operator.make_router(operator_chat_id, directory),
        operator_actions.make_router(operator_chat_id, directory),
        not_staff.make_router(operator_chat_id),
        # The form first: inside it, /start, /help and /language get the form's hint and
        # the same step again instead of wiping or ignoring the half-filled appeal.
        appeal_steps.make_router(i18n),
        start.make_router(i18n),
        my_appeals.make_router(i18n),
        owner_relay.make_router(),
        fallback.make_router(),  # last: only what nothing above took
    )
    return root
