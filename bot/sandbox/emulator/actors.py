"""The people side: users and groups, and everything they do that reaches the bot."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .api_chats import delete_topic as _delete_topic
from .html_text import utf16_len
from .media import DEFAULT_PHOTO
from .models import EmuChat, EmuUser, StoredMessage
from .world import World

DEFAULT_VOICE = b"OggS\x00\x02" + b"\x00" * 58
DEFAULT_STICKER = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24
_MEDIA = {
    "video": ("video/mp4", "mp4"),
    "video_note": ("video/mp4", "mp4"),
    "animation": ("video/mp4", "mp4"),
    "audio": ("audio/mpeg", "mp3"),
}
_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?")


class UserActions:
    world: World

    # ---- people and chats -------------------------------------------------------------------

    def add_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
        user_id: int | None = None,
        *,
        started: bool = True,
    ) -> int:
        """A user and their private chat with the bot (``started=False``: never pressed Start)."""
        user_id = user_id or self.world.new_user_id()
        user = EmuUser(user_id, first_name, last_name, username, language_code, started=started)
        self.world.users[user_id] = user
        self.world.chats[user_id] = EmuChat(id=user_id, type="private", user=user)
        return user_id

    def block_bot(self, user_id: int, blocked: bool = True) -> None:
        user = self.world.user(user_id)
        if user.blocked_bot == blocked:
            return
        user.blocked_bot = blocked
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        self.world.push_update(
            "my_chat_member",
            {
                "chat": self.world.chats[user_id].json(),
                "from": user.json(),
                "date": self.world.now(),
                "old_chat_member": _bot_member(self.world, old),
                "new_chat_member": _bot_member(self.world, new),
            },
        )

    def add_group(
        self,
        title: str,
        *,
        forum: bool,
        members: Iterable[int],
        admins: Iterable[int] = (),
        chat_id: int | None = None,
    ) -> int:
        """A supergroup where the bot is an administrator; the first admin is its creator."""
        admins = list(admins)
        for user_id in [*members, *admins]:
            self.world.user(user_id)
        chat_id = chat_id or self.world.new_group_id()
        self.world.chats[chat_id] = EmuChat(
            id=chat_id,
            type="supergroup",
            title=title,
            is_forum=forum,
            members={*members, *admins},
            admins=set(admins),
            creator=admins[0] if admins else None,
        )
        return chat_id

    def add_member(self, chat_id: int, user_id: int, *, admin: bool = False) -> None:
        self.world.user(user_id)
        chat = self.world.chat(chat_id)
        chat.members.add(user_id)
        if admin:
            chat.admins.add(user_id)

    def remove_member(self, chat_id: int, user_id: int) -> None:
        chat = self.world.chat(chat_id)
        chat.members.discard(user_id)
        chat.admins.discard(user_id)
        if chat.creator == user_id:
            chat.creator = None

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """Staff delete a forum topic with all its messages."""
        chat = self.world.chat(chat_id)
        topic = chat.topics.get(thread_id)
        if topic is None or topic.deleted:
            raise ValueError(f"no topic {thread_id} in chat {chat_id}")
        _delete_topic(self.world, chat, topic)

    # ---- messages from users ----------------------------------------------------------------

    def _post(
        self,
        user_id: int,
        content: dict[str, Any],
        *,
        chat_id: int | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
        media_group_id: str | None = None,
    ) -> dict[str, Any]:
        chat = self._writable_chat(user_id, chat_id)
        thread_id = self._thread_for(chat, thread_id, reply_to)
        message = self.world.store_message(
            chat,
            user_id,
            content,
            thread_id=thread_id,
            reply_to=reply_to,
            media_group_id=media_group_id,
        )
        payload = self.world.message_json(message)
        self.world.push_update("message", payload)
        return payload

    def _writable_chat(self, user_id: int, chat_id: int | None) -> EmuChat:
        user = self.world.user(user_id)
        chat = self.world.chat(user_id if chat_id is None else chat_id)
        if chat.is_private:
            if chat.id != user_id:
                raise ValueError("a user can only write to the bot in their own private chat")
            # Writing to the bot means the user has started it and not blocked it.
            user.started = True
            if user.blocked_bot:
                self.block_bot(user_id, False)
        elif user_id not in chat.members:
            raise ValueError(f"user {user_id} is not a member of chat {chat.id}")
        return chat

    def _thread_for(self, chat: EmuChat, thread_id: int | None, reply_to: int | None) -> int | None:
        target = self.world.find_message(chat, reply_to) if reply_to is not None else None
        if reply_to is not None and target is None:
            raise ValueError(f"no message {reply_to} in chat {chat.id} to reply to")
        if not chat.is_forum:
            if thread_id is not None:
                raise ValueError(f"chat {chat.id} is not a forum")
            return None
        if thread_id is None and target is not None:
            thread_id = target.thread_id
        if thread_id is not None:
            topic = chat.topics.get(thread_id)
            if topic is None or topic.deleted:
                raise ValueError(f"no topic {thread_id} in chat {chat.id}")
        return thread_id

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A text; `entities` as a client sets them (bold, links…), offsets in UTF-16."""
        content: dict[str, Any] = {"text": text}
        command = _COMMAND_RE.match(text)
        if command:
            length = utf16_len(command.group(0))
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if entities:
            content["entities"] = [*content.get("entities", []), *entities]
        return self._post(user_id, content, chat_id=chat_id, thread_id=thread_id, reply_to=reply_to)

    def send_contact(
        self,
        user_id: int,
        phone_number: str,
        *,
        first_name: str | None = None,
        own: bool = True,
        chat_id: int | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        user = self.world.user(user_id)
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or user.first_name,
        }
        if own:
            contact["user_id"] = user_id
            if user.last_name:
                contact["last_name"] = user.last_name
        return self._post(user_id, {"contact": contact}, chat_id=chat_id, thread_id=thread_id)

    def send_photo(
        self,
        user_id: int,
        data: bytes = DEFAULT_PHOTO,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
        thread_id: int | None = None,
        media_group_id: str | None = None,
        caption_entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        content: dict[str, Any] = {"photo": self.world.files.add_photo(data)}
        if caption:
            content["caption"] = caption
            if caption_entities:
                content["caption_entities"] = caption_entities
        return self._post(
            user_id, content, chat_id=chat_id, thread_id=thread_id, media_group_id=media_group_id
        )

    def send_document(
        self,
        user_id: int,
        file_name: str,
        data: bytes,
        mime_type: str | None = None,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
        thread_id: int | None = None,
        media_group_id: str | None = None,
    ) -> dict[str, Any]:
        content: dict[str, Any] = {
            "document": self.world.files.add_document(data, file_name, mime_type)
        }
        if caption:
            content["caption"] = caption
        return self._post(
            user_id, content, chat_id=chat_id, thread_id=thread_id, media_group_id=media_group_id
        )

    def send_album(
        self,
        user_id: int,
        items: list[dict[str, Any] | bytes],
        chat_id: int | None = None,
        thread_id: int | None = None,
    ) -> list[dict[str, Any]]:
        """Several photos/documents sharing a media_group_id, one update each.

        Items are bytes (a photo) or dicts: ``{"type": "photo", "data": ..., "caption": ...}``
        or ``{"type": "document", "file_name": ..., "data": ..., "mime_type": ...}``.
        """
        group_id = self.world.new_media_group_id()
        sent = []
        for item in items:
            spec: dict[str, Any] = {"data": item} if isinstance(item, bytes) else item
            caption = spec.get("caption")
            if spec.get("type", "photo") == "photo":
                message = self.send_photo(
                    user_id,
                    spec.get("data") or DEFAULT_PHOTO,
                    caption=caption,
                    chat_id=chat_id,
                    thread_id=thread_id,
                    media_group_id=group_id,
                )
            else:
                message = self.send_document(
                    user_id,
                    spec["file_name"],
                    spec["data"],
                    spec.get("mime_type"),
                    caption=caption,
                    chat_id=chat_id,
                    thread_id=thread_id,
                    media_group_id=group_id,
                )
            sent.append(message)
        return sent

    def send_sticker(
        self,
        user_id: int,
        emoji: str = "👍",
        *,
        chat_id: int | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        stored = self.world.files.add("sticker", DEFAULT_STICKER, extension="webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": len(stored.data),
        }
        return self._post(user_id, {"sticker": sticker}, chat_id=chat_id, thread_id=thread_id)

    def send_voice(
        self,
        user_id: int,
        duration: int = 3,
        data: bytes = DEFAULT_VOICE,
        *,
        chat_id: int | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        stored = self.world.files.add("voice", data, mime_type="audio/ogg", extension="oga")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(data),
        }
        return self._post(user_id, {"voice": voice}, chat_id=chat_id, thread_id=thread_id)

    def send_media(
        self,
        user_id: int,
        kind: str,
        *,
        caption: str | None = None,
        duration: int = 3,
        chat_id: int | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """A video, video note (a round one), animation (GIF) or audio file."""
        if kind not in _MEDIA:
            raise ValueError(f"kind must be one of {sorted(_MEDIA)}")
        mime_type, extension = _MEDIA[kind]
        data = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 32
        stored = self.world.files.add(kind, data, mime_type=mime_type, extension=extension)
        media: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "file_size": len(data),
        }
        if kind == "video_note":
            media["length"] = 240
        else:
            media["mime_type"] = mime_type
        if kind in ("video", "animation"):
            media.update(width=320, height=240)
        content: dict[str, Any] = {kind: media}
        if kind == "animation":
            content["document"] = {
                key: media[key] for key in ("file_id", "file_unique_id", "mime_type", "file_size")
            }
        if caption and kind != "video_note":
            content["caption"] = caption
        return self._post(user_id, content, chat_id=chat_id, thread_id=thread_id)

    def send_dice(
        self,
        user_id: int,
        emoji: str = "🎲",
        value: int = 4,
        *,
        chat_id: int | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        dice = {"emoji": emoji, "value": value}
        return self._post(user_id, {"dice": dice}, chat_id=chat_id, thread_id=thread_id)

    def send_location(
        self,
        user_id: int,
        latitude: float = 49.948,
        longitude: float = 82.628,
        *,
        chat_id: int | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        location = {"latitude": latitude, "longitude": longitude}
        return self._post(user_id, {"location": location}, chat_id=chat_id, thread_id=thread_id)

    def edit_text(
        self, user_id: int, chat_id: int, message_id: int, new_text: str
    ) -> dict[str, Any]:
        chat = self.world.chat(chat_id)
        message = self.world.find_message(chat, message_id)
        if message is None or message.sender_id != user_id or message.kind != "text":
            raise ValueError(f"user {user_id} has no text message {message_id} in chat {chat_id}")
        message.content = {**message.content, "text": new_text}
        message.content.pop("entities", None)
        message.edit_date = self.world.now()
        self.world.publish("edited", message)
        payload = self.world.message_json(message)
        self.world.push_update("edited_message", payload)
        return payload

    # ---- buttons ----------------------------------------------------------------------------

    def press_button(self, user_id: int, chat_id: int, message_id: int, callback_data: str) -> str:
        """Press an inline button the message really has; returns the callback_query id."""
        message = self.world.find_message(self.world.chat(chat_id), message_id)
        if message is None:
            raise ValueError(f"no message {message_id} in chat {chat_id}")
        rows = (message.reply_markup or {}).get("inline_keyboard", [])
        if not any(b.get("callback_data") == callback_data for row in rows for b in row):
            raise ValueError(f"message {message_id} has no button with data {callback_data!r}")
        return self.forge_callback(user_id, chat_id, message_id, callback_data)

    def forge_callback(self, user_id: int, chat_id: int, message_id: int, data: str) -> str:
        """A callback query with arbitrary data, as a tampering client could send."""
        user = self.world.user(user_id)
        chat = self.world.chat(chat_id)
        message = chat.messages.get(message_id)
        query_id = self.world.new_callback_id()
        query = {
            "id": query_id,
            "from": user.json(),
            "message": _callback_message(self.world, chat, message, message_id),
            "chat_instance": self.world.chat_instance(chat_id),
            "data": data,
        }
        self.world.callback_queries[query_id] = query
        self.world.push_update("callback_query", query)
        return query_id

    def inject_update(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Queue any update as is (an update_id is added when missing)."""
        return self.world.updates.push(dict(raw))


def _bot_member(world: World, status: str) -> dict[str, Any]:
    data: dict[str, Any] = {"status": status, "user": world.bot.json()}
    if status == "kicked":
        data["until_date"] = 0
    return data


def _callback_message(
    world: World, chat: EmuChat, message: StoredMessage | None, message_id: int
) -> dict[str, Any]:
    if message is None or message.deleted:
        # Telegram's InaccessibleMessage.
        return {"chat": chat.json(), "message_id": message_id, "date": 0}
    return world.message_json(message)
