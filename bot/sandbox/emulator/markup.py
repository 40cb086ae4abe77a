"""Reply markup checks (as Telegram rejects it) and a readable summary of buttons."""

from __future__ import annotations

import re
from typing import Any

from .errors import bad_request

MAX_CALLBACK_DATA_BYTES = 64
INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
REPLY_BUTTON_REQUESTS = (
    "request_contact",
    "request_location",
    "request_users",
    "request_chat",
    "request_poll",
    "web_app",
)
_URL_RE = re.compile(r"^(https?|tg)://\S+$", re.IGNORECASE)


def validate_reply_markup(markup: Any) -> dict[str, Any] | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        for button in _buttons(markup["inline_keyboard"], "InlineKeyboardMarkup"):
            _validate_inline_button(button)
    elif "keyboard" in markup:
        for button in _buttons(markup["keyboard"], "ReplyKeyboardMarkup"):
            if isinstance(button, dict) and not button.get("text"):
                raise bad_request("can't parse keyboard button: Text must be non-empty")
    return markup


def _buttons(rows: Any, markup_name: str) -> list[Any]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{markup_name}" must be an Array of Arrays')
    return [button for row in rows for button in row]


def _validate_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise bad_request("can't parse inline keyboard button: Text must be non-empty")
    if not any(action in button for action in INLINE_ACTIONS):
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    data = button.get("callback_data")
    if data is not None and not 0 < len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and not _URL_RE.match(str(url)):
        raise bad_request("BUTTON_URL_INVALID")


def button_rows(markup: dict[str, Any] | None) -> list[list[tuple[str, str | None]]]:
    """Rows of (text, callback_data or url); reply keyboard buttons give their request kind."""
    if not markup:
        return []
    if "inline_keyboard" in markup:
        return [
            [(b["text"], b.get("callback_data") or b.get("url")) for b in row]
            for row in markup["inline_keyboard"]
        ]
    if "keyboard" in markup:
        return [[_reply_button(b) for b in row] for row in markup["keyboard"]]
    return []


def _reply_button(button: Any) -> tuple[str, str | None]:
    if isinstance(button, str):
        return button, None
    request = next((r for r in REPLY_BUTTON_REQUESTS if button.get(r)), None)
    return button["text"], request


def inline_markup(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """Only inline keyboards belong to the message object itself."""
    if markup and "inline_keyboard" in markup:
        return markup
    return None
