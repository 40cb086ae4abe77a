"""Routers, one per screen or concern, built fresh by a factory (tests get their own)."""

from __future__ import annotations

from aiogram import Router

from bot.i18n import I18n
from handlers import appeal_steps, errors, my_appeals, start


def build_router(i18n: I18n) -> Router:
    root = Router(name="root")
    root.include_routers(
        errors.make_router(),
        start.make_router(i18n),
        appeal_steps.make_router(i18n),
        my_appeals.make_router(i18n),
    )
    return root
