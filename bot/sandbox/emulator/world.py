"""The emulated Telegram state shared by the Bot API and the user-side API."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from .errors import CHAT_NOT_FOUND, THREAD_NOT_FOUND, bad_request
from .events import EventHub
from .markup import button_rows, inline_markup
from .media import FileStore
from .models import EmuChat, EmuUser, StoredMessage
from .updates import Pulse, UpdateQueue

FIRST_USER_ID = 700_000_001
FIRST_GROUP_ID = -1_001_700_000_001


class World:
    def __init__(self, token: str, bot_username: str, *, seed: int | None = None) -> None:
        self.token = token
        bot_id = int(token.split(":", 1)[0])
        self.bot = EmuUser(
            id=bot_id, first_name="Adal (emulated)", username=bot_username, is_bot=True
        )
        self.users: dict[int, EmuUser] = {}
        self.chats: dict[int, EmuChat] = {}
        self.files = FileStore()
        self.updates = UpdateQueue(seed)
        self.events = EventHub()
        self.changed = Pulse()
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._next_user_id = FIRST_USER_ID
        self._next_group_id = FIRST_GROUP_ID
        self._last_media_group = 13_000_000_000_000_000
        self._last_callback = 0

    # ---- identities -------------------------------------------------------------------------

    def new_user_id(self) -> int:
        while self._next_user_id in self.users:
            self._next_user_id += 1
        return self._next_user_id

    def new_group_id(self) -> int:
        while self._next_group_id in self.chats:
            self._next_group_id -= 1
        return self._next_group_id

    def new_media_group_id(self) -> str:
        self._last_media_group += 1
        return str(self._last_media_group)

    def new_callback_id(self) -> str:
        self._last_callback += 1
        return f"{self.bot.id}{self._last_callback:010d}"

    def chat_instance(self, chat_id: int) -> str:
        digest = hashlib.sha256(f"{self.bot.id}:{chat_id}".encode()).hexdigest()
        return str(int(digest[:15], 16))

    @staticmethod
    def now() -> int:
        return int(time.time())

    # ---- lookups ----------------------------------------------------------------------------

    def user(self, user_id: int) -> EmuUser:
        if user_id not in self.users:
            raise ValueError(f"unknown user {user_id}")
        return self.users[user_id]

    def chat(self, chat_id: int) -> EmuChat:
        if chat_id not in self.chats:
            raise ValueError(f"unknown chat {chat_id}")
        return self.chats[chat_id]

    def api_chat(self, raw_chat_id: Any) -> EmuChat:
        if raw_chat_id in (None, ""):
            raise bad_request("chat_id is empty")
        try:
            chat_id = int(raw_chat_id)
        except (TypeError, ValueError):
            raise bad_request(CHAT_NOT_FOUND) from None
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request(CHAT_NOT_FOUND)
        return chat

    def check_thread(self, chat: EmuChat, thread_id: int | None) -> int | None:
        """A thread id the bot may post into, or the API error Telegram gives."""
        if thread_id is None or not chat.is_forum:
            return None
        topic = chat.topics.get(thread_id)
        if topic is None or topic.deleted:
            raise bad_request(THREAD_NOT_FOUND)
        return thread_id

    def sender_json(self, message: StoredMessage) -> dict[str, Any]:
        if message.from_bot:
            return self.bot.json()
        return self.users[message.sender_id].json()

    # ---- messages ---------------------------------------------------------------------------

    def store_message(
        self, chat: EmuChat, sender_id: int, content: dict[str, Any], **extra: Any
    ) -> StoredMessage:
        message = StoredMessage(
            chat_id=chat.id,
            message_id=chat.next_message_id(),
            sender_id=sender_id,
            from_bot=sender_id == self.bot.id,
            date=self.now(),
            content=content,
            **extra,
        )
        chat.messages[message.message_id] = message
        self.publish("new", message)
        return message

    def publish(self, event_type: str, message: StoredMessage) -> None:
        self.events.publish(
            {"type": event_type, "chat_id": message.chat_id, "message": self.entry(message)}
        )
        self.changed.fire()

    def reply_target(self, message: StoredMessage) -> int | None:
        if message.reply_to is not None:
            return message.reply_to
        # In a forum topic every message without an explicit reply answers the topic root.
        chat = self.chats[message.chat_id]
        if chat.is_forum and message.thread_id and message.thread_id != message.message_id:
            return message.thread_id
        return None

    def message_json(self, message: StoredMessage, *, nested: bool = False) -> dict[str, Any]:
        chat = self.chats[message.chat_id]
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "from": self.sender_json(message),
            "chat": chat.json(),
            "date": message.date,
        }
        if message.thread_id is not None and chat.is_forum:
            data["message_thread_id"] = message.thread_id
            data["is_topic_message"] = True
        target_id = self.reply_target(message)
        target = chat.messages.get(target_id) if target_id else None
        if not nested and target is not None and not target.deleted:
            data["reply_to_message"] = self.message_json(target, nested=True)
        if message.forward_origin:
            data["forward_origin"] = message.forward_origin
        if message.media_group_id:
            data["media_group_id"] = message.media_group_id
        if message.edit_date:
            data["edit_date"] = message.edit_date
        data.update(message.content)
        markup = inline_markup(message.reply_markup)
        if markup:
            data["reply_markup"] = markup
        return data

    def entry(self, message: StoredMessage) -> dict[str, Any]:
        """One transcript line: what a person looking at the chat would see, plus ids."""
        content = message.content
        return {
            "chat_id": message.chat_id,
            "message_id": message.message_id,
            "from_bot": message.from_bot,
            "from_user_id": message.sender_id,
            "date": message.date,
            "kind": message.kind,
            "text": content.get("text"),
            "html": message.html,
            "caption": content.get("caption"),
            "caption_html": message.caption_html,
            "entities": content.get("entities") or content.get("caption_entities") or [],
            "reply_markup": message.reply_markup,
            "buttons": button_rows(message.reply_markup),
            "message_thread_id": message.thread_id,
            "reply_to_message_id": message.reply_to,
            "media_group_id": message.media_group_id,
            "forwarded": message.forward_origin is not None,
            "deleted": message.deleted,
            "edited": message.edit_date is not None,
            "reaction": message.reaction,
            "content": content,
        }

    def find_message(self, chat: EmuChat, message_id: int | None) -> StoredMessage | None:
        message = chat.messages.get(message_id) if message_id is not None else None
        if message is None or message.deleted:
            return None
        return message

    def push_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        return self.updates.push({kind: payload})
