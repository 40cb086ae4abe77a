"""Builders of incoming updates for dispatcher-level tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from aiogram.types import (
    CallbackQuery,
    Chat,
    Contact,
    Document,
    Message,
    MessageEntity,
    PhotoSize,
    Sticker,
    Update,
    User,
    Voice,
)

_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


def person(user_id: int, language_code: str = "ru") -> User:
    return User(id=user_id, is_bot=False, first_name=f"User{user_id}", language_code=language_code)


def message(user_id: int, *, chat_id: int | None = None, **fields: Any) -> Update:
    chat_id = chat_id if chat_id is not None else user_id
    chat = Chat(id=chat_id, type="private" if chat_id > 0 else "supergroup")
    text = fields.get("text")
    if text and text.startswith("/") and "entities" not in fields:
        length = len(text.split()[0])
        fields["entities"] = [MessageEntity(type="bot_command", offset=0, length=length)]
    msg = Message(
        message_id=next(_message_ids),
        date=datetime.now(UTC),
        chat=chat,
        from_user=person(user_id),
        **fields,
    )
    return Update(update_id=next(_update_ids), message=msg)


def text(user_id: int, value: str, **kw: Any) -> Update:
    return message(user_id, text=value, **kw)


def contact(user_id: int, phone: str, own: bool = True) -> Update:
    return message(
        user_id,
        contact=Contact(phone_number=phone, first_name="X", user_id=user_id if own else None),
    )


def photo(user_id: int, *, media_group_id: str | None = None, caption: str | None = None) -> Update:
    n = next(_message_ids)
    size = PhotoSize(file_id=f"photo-{n}", file_unique_id=f"uphoto-{n}", width=10, height=10)
    return message(user_id, photo=[size], media_group_id=media_group_id, caption=caption)


def document(
    user_id: int,
    name: str = "act.pdf",
    mime: str = "application/pdf",
    size: int = 1000,
    media_group_id: str | None = None,
) -> Update:
    n = next(_message_ids)
    doc = Document(
        file_id=f"doc-{n}",
        file_unique_id=f"udoc-{n}",
        file_name=name,
        mime_type=mime,
        file_size=size,
    )
    return message(user_id, document=doc, media_group_id=media_group_id)


def sticker(user_id: int) -> Update:
    st = Sticker(
        file_id="st",
        file_unique_id="ust",
        type="regular",
        width=1,
        height=1,
        is_animated=False,
        is_video=False,
    )
    return message(user_id, sticker=st)


def voice(user_id: int) -> Update:
    return message(user_id, voice=Voice(file_id="v", file_unique_id="uv", duration=1))


def callback(user_id: int, data: str, *, chat_id: int | None = None, message_id: int = 1) -> Update:
    chat_id = chat_id if chat_id is not None else user_id
    origin = Message(
        message_id=message_id,
        date=datetime.now(UTC),
        chat=Chat(id=chat_id, type="private" if chat_id > 0 else "supergroup"),
        text="…",
    )
    query = CallbackQuery(
        id=str(next(_update_ids)),
        from_user=person(user_id),
        chat_instance="ci",
        data=data,
        message=origin,
    )
    return Update(update_id=next(_update_ids), callback_query=query)
