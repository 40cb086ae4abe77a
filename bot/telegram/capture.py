"""While an update is handled, what handlers send to Telegram is queued, not sent.

A request middleware on the bot's session turns every call that a person would see (send,
copy, edit, delete, react, topic changes) into an outbox row in the update's own
transaction; the sender makes the call after the commit, within Telegram's limits. Reads
(getChat, getChatMember ...) go straight through. Callback answers stay immediate: they are
made right after the commit (so a refused or retried unit of work answers only once).

A queued message has no id yet. The handler gets a stand-in whose message_id is minus the
outbox row's id; a later call that uses it (an edit of that message) is stored with a
reference that the sender resolves, so `ack = await message.answer(...)` followed by an edit
of `ack` works as it reads.

Outside a unit of work only the sender may make such calls: anything else is a bug that
would bypass the outbox, and raises.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    CreateForumTopic,
    Response,
    SendMediaGroup,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, ForumTopic, Message, MessageId
from sqlalchemy.ext.asyncio import AsyncSession

from bot.telegram.methods import dump
from bot.telegram.outbox import queue_call

if TYPE_CHECKING:
    from collections.abc import Iterator

    from aiogram import Bot

# Calls that show nothing to anyone: made at once wherever they come from.
PASS_THROUGH = frozenset(
    {
        "getMe",
        "getChat",
        "getChatMember",
        "getChatAdministrators",
        "getChatMemberCount",
        "getFile",
        "getUpdates",
        "getWebhookInfo",
        "setWebhook",
        "deleteWebhook",
        "getMyCommands",
        "setMyCommands",
        "deleteMyCommands",
        "getForumTopicIconStickers",
        "close",
        "logOut",
    }
)
# Parameters holding a message id (or a topic's thread id) that may be a stand-in.
ID_PARAMS = ("message_id", "reply_to_message_id", "message_thread_id")


class OutsideUnitOfWork(RuntimeError):
    """A call a person would see, made neither in a unit of work nor by the sender."""


@dataclass
class Scope:
    """One unit of work: where its calls are queued and what runs after its commit."""

    session: AsyncSession
    now: datetime
    after_commit: list[TelegramMethod[Any]] = field(default_factory=list)
    queued: int = 0


current_scope: ContextVar[Scope | None] = ContextVar("current_scope", default=None)
direct_sending: ContextVar[bool] = ContextVar("direct_sending", default=False)


@contextmanager
def unit_of_work(scope: Scope) -> Iterator[Scope]:
    token = current_scope.set(scope)
    try:
        yield scope
    finally:
        current_scope.reset(token)


@contextmanager
def sending_directly() -> Iterator[None]:
    """For the sender (and start-up) only: calls leave at once."""
    token = direct_sending.set(True)
    try:
        yield
    finally:
        direct_sending.reset(token)


def _as_reference(value: Any) -> Any:
    if isinstance(value, int) and value < 0:
        return {"$outbox": -value}
    return value


def _with_references(params: dict[str, Any]) -> dict[str, Any]:
    for key in ID_PARAMS:
        if key in params:
            params[key] = _as_reference(params[key])
    reply = params.get("reply_parameters")
    if isinstance(reply, dict) and "message_id" in reply:
        reply["message_id"] = _as_reference(reply["message_id"])
    return params


def stand_in(method: TelegramMethod[Any], chat_id: int, row_id: int, now: datetime) -> Any:
    """What the handler gets back for a queued call."""
    placeholder = -row_id
    returning = getattr(method, "__returning__", None)
    if isinstance(method, CreateForumTopic):
        return ForumTopic(
            message_thread_id=placeholder, name=method.name, icon_color=method.icon_color or 0
        )
    if isinstance(method, CopyMessage):
        return MessageId(message_id=placeholder)
    if returning is Message or isinstance(method, SendMediaGroup):
        chat = Chat(id=chat_id, type="private" if chat_id > 0 else "supergroup")
        message = Message(message_id=placeholder, date=now, chat=chat)
        return [message] if isinstance(method, SendMediaGroup) else message
    # Edits, deletions, reactions and topic changes answer True.
    return True


class QueueInUnitOfWork(BaseRequestMiddleware):
    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        name = method.__api_method__
        scope = current_scope.get()
        if name in PASS_THROUGH or direct_sending.get():
            return await make_request(bot, method)
        if isinstance(method, AnswerCallbackQuery):
            if scope is None:
                return await make_request(bot, method)  # type: ignore[arg-type]
            scope.after_commit.append(method)
            return True  # type: ignore[return-value]  # the chain hands back results
        if scope is None:
            raise OutsideUnitOfWork(f"{name} outside a unit of work: queue it in the outbox")
        _, params = dump(method, bot)
        chat_id = params.pop("chat_id", None)
        if not isinstance(chat_id, int):
            raise OutsideUnitOfWork(f"{name} without a numeric chat_id cannot be queued")
        row_id = await queue_call(
            scope.session,
            chat_id=chat_id,
            method=name,
            params=_with_references(params),
            kind="reply",
            now=scope.now,
        )
        assert row_id is not None
        scope.queued += 1
        # The chain hands back the method's result (not a Response).
        result: Response[TelegramType] = stand_in(method, chat_id, row_id, scope.now)
        return result
