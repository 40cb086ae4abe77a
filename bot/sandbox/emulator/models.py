"""Users, chats, topics and messages, and their Telegram JSON shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CONTENT_KINDS = (
    "text",
    "photo",
    "animation",  # before "document": Telegram sends a GIF as both
    "document",
    "contact",
    "sticker",
    "voice",
    "video",
    "video_note",
    "audio",
    "location",
    "dice",
    "forum_topic_created",
    "forum_topic_edited",
    "forum_topic_closed",
    "forum_topic_reopened",
)
SERVICE_KINDS = frozenset(k for k in CONTENT_KINDS if k.startswith("forum_topic_"))
# Telegram keeps no caption on these: copyMessage drops one given for them.
CAPTIONLESS_KINDS = frozenset({"contact", "sticker", "video_note", "location", "dice"})
ICON_COLORS = (0x6FB9F0, 0xFFD67E, 0xCB86DB, 0x8EEE98, 0xFF93B2, 0xFB6F5F)


@dataclass
class EmuUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    blocked_bot: bool = False
    started: bool = True

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for name in ("last_name", "username", "language_code"):
            value = getattr(self, name)
            if value:
                data[name] = value
        return data


@dataclass
class Topic:
    thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_thread_id": self.thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            data["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return data

    def summary(self) -> dict[str, Any]:
        return {
            "thread_id": self.thread_id,
            "name": self.name,
            "icon_custom_emoji_id": self.icon_custom_emoji_id,
            "closed": self.closed,
            "deleted": self.deleted,
        }


@dataclass
class StoredMessage:
    chat_id: int
    message_id: int
    sender_id: int
    from_bot: bool
    date: int
    content: dict[str, Any]
    html: str | None = None
    caption_html: str | None = None
    thread_id: int | None = None
    reply_to: int | None = None
    reply_markup: dict[str, Any] | None = None
    media_group_id: str | None = None
    forward_origin: dict[str, Any] | None = None
    edit_date: int | None = None
    deleted: bool = False
    reaction: list[dict[str, Any]] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return next((k for k in CONTENT_KINDS if k in self.content), "unknown")

    @property
    def is_service(self) -> bool:
        return self.kind in SERVICE_KINDS


@dataclass
class EmuChat:
    id: int
    type: str
    title: str | None = None
    is_forum: bool = False
    user: EmuUser | None = None
    members: set[int] = field(default_factory=set)
    admins: set[int] = field(default_factory=set)
    creator: int | None = None
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    topics: dict[int, Topic] = field(default_factory=dict)
    last_message_id: int = 0

    @property
    def is_private(self) -> bool:
        return self.type == "private"

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id

    def json(self) -> dict[str, Any]:
        if self.user is not None:
            data = self.user.json()
            data.pop("is_bot", None)
            data.pop("language_code", None)
            return {**data, "type": "private"}
        data = {"id": self.id, "type": self.type, "title": self.title}
        if self.is_forum:
            data["is_forum"] = True
        return data

    def full_info(self) -> dict[str, Any]:
        """getChat's ChatFullInfo: the fields aiogram requires plus the basics."""
        return {
            **self.json(),
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
