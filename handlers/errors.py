"""Last resort: log every unexpected error with its update id; tell the user calmly."""

from __future__ import annotations

import logging
from contextlib import suppress

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent

from bot.i18n import I18n

log = logging.getLogger("bot.errors")


async def on_error(event: ErrorEvent, bot: Bot, i18n: I18n) -> bool:
    update = event.update
    log.error(
        "update %s failed: %s: %s",
        update.update_id,
        type(event.exception).__name__,
        event.exception,
        exc_info=event.exception,
    )
    chat_id = None
    language = None
    if update.message and update.message.chat.type == "private":
        chat_id = update.message.chat.id
        language = update.message.from_user.language_code if update.message.from_user else None
    elif update.callback_query:
        with suppress(TelegramAPIError):
            await update.callback_query.answer(i18n.get(None, "errors.unexpected"))
        return True
    if chat_id is not None:
        with suppress(TelegramAPIError):
            await bot.send_message(chat_id, i18n.get(language, "errors.unexpected"))
    return True


def make_router() -> Router:
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
