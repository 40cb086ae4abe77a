"""Routers, one per screen or concern, built fresh by a factory (tests get their own)."""

from __future__ import annotations

from aiogram import Router

from bot.i18n import I18n
from bot.middlewares.reachable import ComingBack
from bot.telegram.routing import run_inline
from bot.telegram.staff import StaffDirectory
from handlers import (
    appeal_steps,
    export,
    fallback,
    invest_dialogue,
    invest_my,
    invest_staff,
    my_appeals,
    not_staff,
    operator,
    operator_actions,
    operator_closed,
    operator_failed,
    owner_back,
    owner_relay,
    privacy,
    sessions,
    start,
    stats,
)


def build_router(i18n: I18n, operator_chat_id: int, directory: StaffDirectory) -> Router:
    root = Router(name="root")
    # Someone marked as having blocked the bot who writes or presses again is back.
    root.message.outer_middleware(ComingBack())
    root.callback_query.outer_middleware(ComingBack())
    root.include_routers(
        operator_failed.make_router(operator_chat_id, directory),
        # Before the operator routers: /stats anywhere in the group, even in a closed topic.
        stats.make_router(operator_chat_id),
        export.make_router(operator_chat_id),
        # Before the operator router: a message in a closed appeal's topic is asked about.
        operator_closed.make_router(operator_chat_id, directory),
        # Before the operator router: /session, its buttons and the texts they ask for.
        sessions.make_router(operator_chat_id, directory),
        # Before the operator router: a project's topic, card buttons and the texts they ask.
        invest_staff.make_router(operator_chat_id, directory),
        # A text a card button asked for is taken in the operator router's turn, and
        # applied by the card's own module.
        operator.make_router(
            operator_chat_id, directory, apply_input=operator_actions.apply_staff_input
        ),
        operator_actions.make_router(operator_chat_id, directory),
        not_staff.make_router(operator_chat_id),
        # The form first: inside it, /start, /help and /language get the form's hint and
        # the same step again instead of wiping or ignoring the half-filled appeal.
        invest_dialogue.make_router(i18n),
        appeal_steps.make_router(i18n),
        start.make_router(i18n),
        my_appeals.make_router(i18n),
        invest_my.make_router(),
        privacy.make_router(),
        owner_relay.make_router(),
        owner_back.make_router(),
        fallback.make_router(),  # last: only what nothing above took
    )
    # Magic filters on the loop, not in a thread each (bot/telegram/routing.py).
    return run_inline(root)
