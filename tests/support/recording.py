"""A Bot session that records every API call and answers like Telegram would, offline."""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    CopyMessage,
    CreateForumTopic,
    EditMessageReplyMarkup,
    EditMessageText,
    ForwardMessage,
    GetChat,
    GetChatMember,
    GetMe,
    SendDocument,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    Chat,
    ChatFullInfo,
    ChatMemberMember,
    ForumTopic,
    InlineKeyboardMarkup,
    Message,
    MessageId,
    User,
)

BOT_USER = User(id=42, is_bot=True, first_name="Adal", username="adal_test_bot")


class RecordingSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[TelegramMethod[Any]] = []
        self._ids = itertools.count(1000)

    def _message(self, chat_id: Any, **fields: Any) -> Message:
        chat_type = "private" if int(chat_id) > 0 else "supergroup"
        return Message(
            message_id=next(self._ids),
            date=datetime.now(UTC),
            chat=Chat(id=int(chat_id), type=chat_type),
            from_user=BOT_USER,
            **fields,
        )

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.calls.append(method)
        result: Any = True
        if isinstance(method, GetMe):
            result = BOT_USER
        elif isinstance(method, SendMessage):
            result = self._message(
                method.chat_id,
                text=method.text,
                reply_markup=method.reply_markup
                if isinstance(method.reply_markup, InlineKeyboardMarkup)
                else None,
                message_thread_id=method.message_thread_id,
            )
        elif isinstance(method, EditMessageText | EditMessageReplyMarkup):
            result = self._message(method.chat_id or 1, text=getattr(method, "text", None))
        elif isinstance(method, SendPhoto | SendDocument):
            result = self._message(method.chat_id, caption=method.caption)
        elif isinstance(method, SendMediaGroup):
            result = [self._message(method.chat_id) for _ in method.media]
        elif isinstance(method, CopyMessage | ForwardMessage):
            result = MessageId(message_id=next(self._ids))
        elif isinstance(method, CreateForumTopic):
            result = ForumTopic(message_thread_id=next(self._ids), name=method.name, icon_color=0)
        elif isinstance(method, GetChat):
            result = ChatFullInfo.model_validate(
                {
                    "id": method.chat_id,
                    "type": "supergroup",
                    "is_forum": True,
                    "accent_color_id": 0,
                    "max_reaction_count": 11,
                    "accepted_gift_types": {
                        "unlimited_gifts": False,
                        "limited_gifts": False,
                        "unique_gifts": False,
                        "premium_subscription": False,
                        "gifts_from_channels": False,
                    },
                }
            )
        elif isinstance(method, GetChatMember):
            result = ChatMemberMember(user=User(id=method.user_id, is_bot=False, first_name="S"))
        return result

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b""

    async def close(self) -> None:
        return None

    def sent(self) -> list[Any]:
        """Calls that put something in front of a person (messages, edits, alerts)."""
        return [call for call in self.calls if not isinstance(call, GetMe)]

    def take(self) -> list[Any]:
        calls, self.calls = self.sent(), []
        return calls
