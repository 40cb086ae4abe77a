"""What an owner's photo or document is, as the bot stores it (or why it is refused)."""

from __future__ import annotations

from typing import Any

from aiogram.types import Message

from bot.domain import catalog
from bot.i18n import Translator


def describe_file(message: Message, t: Translator) -> tuple[dict[str, Any] | None, str, str | None]:
    """(stored file, display name, refusal key) of an incoming photo or document."""
    if message.photo:
        photo = message.photo[-1]
        item = {
            "file_id": photo.file_id,
            "file_unique_id": photo.file_unique_id,
            "kind": "photo",
            "file_name": None,
            "mime_type": "image/jpeg",
            "size": photo.file_size,
        }
        return item, t("form.attachments.photo_name"), None
    document = message.document
    assert document is not None
    name = document.file_name or "file"
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in catalog.ALLOWED_EXTENSIONS:
        return None, name, "form.attachments.bad_type"
    if (document.file_size or 0) > catalog.MAX_FILE_MB * 1024 * 1024:
        return None, name, "form.attachments.too_big"
    item = {
        "file_id": document.file_id,
        "file_unique_id": document.file_unique_id,
        "kind": "document",
        "file_name": name[:300],
        "mime_type": document.mime_type,
        "size": document.file_size,
    }
    return item, name, None
