"""Commit the update's changes before anything is sent to Telegram.

What a person sees is then always already stored: a reply never announces a step, a
receipt or a change that a crash could still roll back. It also keeps SQLite's single
write lock from being held across a network call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    Response,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType

from bot.services.bell import OutboxBell
from bot.storage import update_session
from models.db import has_writes

if TYPE_CHECKING:
    from aiogram import Bot


class CommitBeforeSend(BaseRequestMiddleware):
    def __init__(self, bell: OutboxBell | None = None) -> None:
        self.bell = bell

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        session = update_session.get()
        if session is not None and has_writes(session):
            await session.commit()
            if self.bell is not None:
                self.bell.after_commit(session)
        return await make_request(bot, method)


class NotModifiedIsDone(BaseRequestMiddleware):
    """An edit that changes nothing (a button pressed twice, a press replayed after a restart)
    has reached what it wanted: Telegram's 'message is not modified' is not an error here."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramBadRequest as error:
            if isinstance(method, EDITS) and "message is not modified" in error.message:
                # The chain hands back the method's result (not a Response), and an edit's
                # result may be True.
                return True  # type: ignore[return-value]
            raise


EDITS = (EditMessageText, EditMessageReplyMarkup, EditMessageCaption)


def install_request_middlewares(bot: Any, bell: OutboxBell | None = None) -> None:
    bot.session.middleware(NotModifiedIsDone())
    bot.session.middleware(CommitBeforeSend(bell))
