"""What the page needs to draw a message, a topic or a file, built from emulator state."""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox.emulator import BotAPIEmulator

from .clock import Stamps

View = dict[str, Any]
_FILE_KINDS = ("document", "sticker", "voice")
_SERVICE_TEXT = {
    "forum_topic_created": "Topic created: {name}",
    "forum_topic_edited": "Topic renamed: {name}",
    "forum_topic_closed": "Topic closed",
    "forum_topic_reopened": "Topic reopened",
}
# What the bot keeps in the operator group as an internal note (handlers/operator.py), and
# its reactions: ✍ kept as a note, 👍 delivered to the owner.
_NOTE_TEXT = re.compile(r"!|/note(?:@\w+)?(?:\s|$)")
NOTED = "✍"
DELIVERED = "👍"


def sender_name(emulator: BotAPIEmulator, user_id: int) -> str:
    if user_id == emulator.bot_id:
        return emulator.world.bot.first_name
    user = emulator.world.users.get(user_id)
    if user is None:
        return str(user_id)
    return " ".join(part for part in (user.first_name, user.last_name) if part)


def message_view(
    emulator: BotAPIEmulator, entry: dict[str, Any], stamps: Stamps | None = None
) -> View:
    """One message as the page draws it; ``entry`` is an emulator transcript entry.

    ``date`` is real time (the order things happened in), ``sandbox_date`` the sandbox clock's
    time when the message was sent (what the page shows).
    """
    content: dict[str, Any] = entry["content"]
    kind: str = entry["kind"]
    markup: dict[str, Any] = entry["reply_markup"] or {}
    date: int = entry["date"]
    reactions = [r.get("emoji") for r in entry["reaction"] if r.get("emoji")]
    text = entry["text"] if entry["text"] is not None else entry["caption"]
    staff_post = entry["chat_id"] < 0 and not entry["from_bot"]
    view: View = {
        "chat_id": entry["chat_id"],
        "message_id": entry["message_id"],
        "thread_id": entry["message_thread_id"],
        "date": date,
        "sandbox_date": stamps.of(entry["chat_id"], entry["message_id"], date) if stamps else date,
        "from_bot": entry["from_bot"],
        "sender_id": entry["from_user_id"],
        "sender": sender_name(emulator, entry["from_user_id"]),
        "kind": kind,
        "text": text,
        "entities": entry["entities"],
        "inline_keyboard": _inline_rows(markup),
        "reply_keyboard": _reply_keyboard(markup),
        "files": _files(content, kind),
        "reply_to": entry["reply_to_message_id"],
        "media_group_id": entry["media_group_id"],
        "forwarded": entry["forwarded"],
        "edited": entry["edited"],
        "deleted": entry["deleted"],
        "reaction": reactions,
        # A staff member's internal note: the bot keeps it in the group (✍), never relays it.
        "note": staff_post and is_note(text, reactions),
        # A staff message the bot delivered to the owner.
        "relayed": staff_post and DELIVERED in reactions,
    }
    if kind in _SERVICE_TEXT:
        view["service"] = _SERVICE_TEXT[kind].format(name=content[kind].get("name", ""))
    if kind == "contact":
        contact = content["contact"]
        view["contact"] = {
            "phone": contact["phone_number"],
            "name": " ".join(filter(None, (contact.get("first_name"), contact.get("last_name")))),
        }
    if kind == "location":
        view["location"] = content["location"]
    if kind == "sticker":
        view["text"] = content["sticker"].get("emoji")
    return view


def is_note(text: str | None, reactions: list[str]) -> bool:
    """Marked ✍ by the bot, or written as a note and not (yet) delivered as a message."""
    if NOTED in reactions:
        return True
    return bool(text and _NOTE_TEXT.match(text)) and DELIVERED not in reactions


def chat_views(emulator: BotAPIEmulator, chat_id: int, stamps: Stamps | None = None) -> list[View]:
    return [
        message_view(emulator, entry, stamps)
        for entry in emulator.transcript(chat_id)
        if not entry["deleted"]
    ]


def topic_views(emulator: BotAPIEmulator, chat_id: int) -> list[View]:
    chat = emulator.world.chat(chat_id)
    return [
        {**topic.summary(), "icon_color": f"#{topic.icon_color:06x}"}
        for topic in chat.topics.values()
        if not topic.deleted
    ]


def _inline_rows(markup: dict[str, Any]) -> list[list[View]]:
    rows = markup.get("inline_keyboard") or []
    return [
        [
            {
                "text": button.get("text", ""),
                "callback_data": button.get("callback_data"),
                "url": button.get("url"),
            }
            for button in row
        ]
        for row in rows
    ]


def _reply_keyboard(markup: dict[str, Any]) -> View | None:
    """The reply keyboard a bot message sets, or ``{"remove": True}`` when it takes it away."""
    if markup.get("remove_keyboard"):
        return {"remove": True}
    rows = markup.get("keyboard")
    if not rows:
        return None
    return {
        "remove": False,
        "rows": [[_reply_button(button) for button in row] for row in rows],
        "one_time": bool(markup.get("one_time_keyboard")),
        "placeholder": markup.get("input_field_placeholder"),
    }


def _reply_button(button: Any) -> View:
    if isinstance(button, str):
        return {"text": button, "request": None}
    request = next(
        (name for name in ("request_contact", "request_location") if button.get(name)), None
    )
    return {"text": button.get("text", ""), "request": request}


def _files(content: dict[str, Any], kind: str) -> list[View]:
    if kind == "photo":
        largest = content["photo"][-1]
        return [
            {
                "kind": "photo",
                "file_id": largest["file_id"],
                "name": "photo",
                "size": largest.get("file_size"),
                "width": largest.get("width"),
                "height": largest.get("height"),
            }
        ]
    if kind in _FILE_KINDS:
        item = content[kind]
        return [
            {
                "kind": kind,
                "file_id": item["file_id"],
                "name": item.get("file_name") or kind,
                "size": item.get("file_size"),
                "mime_type": item.get("mime_type"),
            }
        ]
    return []
