"""Queue what should be said in the caller's transaction; the sender says it after the commit.

Plain data only: a Bot API method name and its JSON parameters. Buttons are stored as plain
`Button`s under {"$buttons": rows} and become Telegram's inline keyboard only when the call is
made (bot/telegram/sender.py, with the callback data of bot/keyboards/callbacks.py).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models import OutboxMessage, OutboxState, table_of
from models.db import dialect_of, insert_of

TOPIC = "topic"  # place: the appeal's topic, or under its card in a group without topics
# place: an investment project's topic ({"$project_topic": P} in the call), or under its card.
PROJECT = "project"
RELAY_KIND = "relay"  # outbox kind of every call that carries a relayed message
# after[PIECE_OF]: which relayed message a row carries (a piece of, when split); effects
# ignore it, the owner's data export puts a split message together again.
PIECE_OF = "piece_of"
# last_error of a row cancelled because its chat blocked the bot; queued again if the person
# comes back before it is out of date (Sender.chat_back).
BLOCKED = "chat blocked the bot"
# session.info key: this transaction queued rows (the bell rings after its commit).
QUEUED_KEY = "outbox_queued"
BUTTONS = "$buttons"


@dataclass(frozen=True)
class Button:
    """An inline button as plain data: its text, what it does, and the values it carries
    (`action` names a callback of bot/keyboards/callbacks.py BUTTON_DATA)."""

    text: str
    action: str
    values: dict[str, str | int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "action": self.action, "values": dict(self.values)}


Buttons = Sequence[Sequence[Button]]  # rows of buttons


def buttons_json(rows: Buttons) -> dict[str, Any]:
    return {BUTTONS: [[button.as_json() for button in row] for row in rows]}


def mark_queued(session: AsyncSession) -> None:
    session.info[QUEUED_KEY] = True


@cache
def _insert(dialect: str, *, deduped: bool) -> Any:
    """The outbox's INSERT ... RETURNING id, built once per dialect: a Core insert on the
    table (the ORM's bulk-insert path builds result metadata for the RETURNING every time),
    taking its columns from the values it is executed with."""
    table = table_of(OutboxMessage)
    statement = insert_of(dialect)(table)
    if deduped:
        statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
    return statement.returning(table.c.id)


async def queue_call(
    session: AsyncSession,
    *,
    chat_id: int,
    method: str,
    params: dict[str, Any],
    kind: str,
    now: datetime,
    appeal_id: int | None = None,
    thread_id: int | None = None,
    place: str | None = None,
    after: dict[str, Any] | None = None,
    due_at: datetime | None = None,
    dedupe_key: str | None = None,
    stale_at: datetime | None = None,
    while_status: str | None = None,
    claimed_by: str | None = None,
) -> int | None:
    """Add a row and return its id; with a dedupe_key queued already, add nothing: None.

    The dedupe is an INSERT ... ON CONFLICT, so two instances queueing the same reminder at
    the same moment still queue it once. ``claimed_by``: the sender queueing a row it will
    send itself adds it claimed (no claim to wait for, no bell to ring).
    """
    values = {
        "chat_id": chat_id,
        "thread_id": thread_id,
        "appeal_id": appeal_id,
        "kind": kind,
        "dedupe_key": dedupe_key,
        "method": method,
        "payload": params,
        "place": place,
        "after": after,
        "due_at": due_at or now,
        "stale_at": stale_at,
        "while_status": while_status,
        "attempts": 0,
        "state": OutboxState.PENDING.value if claimed_by is None else OutboxState.CLAIMED.value,
        "claimed_by": claimed_by,
        "created_at": now,
    }
    statement = _insert(dialect_of(session), deduped=dedupe_key is not None)
    row_id = await session.scalar(statement, values)
    if row_id is not None and claimed_by is None:
        mark_queued(session)
    return row_id


def inline_file(name: str, data: bytes) -> dict[str, Any]:
    """A file kept in the row itself: the same inline file bot/telegram/methods.py makes of
    an aiogram input file (the sender uploads it when it makes the call)."""
    return {"$file": {"name": name or "file", "data_b64": base64.b64encode(data).decode("ascii")}}


def message_params(
    text: str,
    *,
    buttons: Buttons | None = None,
    markup: dict[str, Any] | None = None,
    document: tuple[str, bytes, str] | None = None,
    photo: tuple[str, bytes] | None = None,
) -> tuple[str, dict[str, Any]]:
    """sendMessage (or sendDocument / sendPhoto with the text as caption) as a method name
    and params.

    `buttons`: plain buttons; `markup`: a reply_markup already as Telegram's JSON;
    `photo`: (file name, image bytes).
    """
    params: dict[str, Any] = {"parse_mode": "HTML"}
    if buttons is not None:
        params["reply_markup"] = buttons_json(buttons)
    elif markup is not None:
        params["reply_markup"] = markup
    if document is None and photo is None:
        params["text"] = text
        return "sendMessage", params
    if text:
        params["caption"] = text
    if photo is not None:
        params["photo"] = inline_file(*photo)
        return "sendPhoto", params
    assert document is not None
    name, data, _mime = document
    params["document"] = inline_file(name, data)
    return "sendDocument", params


ALBUM_SIZE = range(2, 11)  # Telegram's media groups hold 2 to 10 items


def album_params(photos: Sequence[tuple[str, bytes, str]]) -> tuple[str, dict[str, Any]]:
    """sendMediaGroup of photos, each (file name, image bytes, caption); one photo alone is
    a sendPhoto (an album needs two). ValueError for none or more than ten."""
    if len(photos) == 1:
        name, data, caption = photos[0]
        return message_params(caption, photo=(name, data))
    if len(photos) not in ALBUM_SIZE:
        raise ValueError(f"an album holds 2 to 10 photos, not {len(photos)}")
    media = [
        {"type": "photo", "media": inline_file(name, data), "caption": caption}
        | ({"parse_mode": "HTML"} if caption else {})
        for name, data, caption in photos
    ]
    return "sendMediaGroup", {"media": media}


async def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    kind: str,
    text: str,
    now: datetime,
    appeal_id: int | None = None,
    thread_id: int | None = None,
    place: str | None = None,
    buttons: Buttons | None = None,
    markup: dict[str, Any] | None = None,
    document: tuple[str, bytes, str] | None = None,
    due_at: datetime | None = None,
    dedupe_key: str | None = None,
    after: dict[str, Any] | None = None,
    stale_at: datetime | None = None,
    while_status: str | None = None,
) -> int | None:
    """Queue a text message (or a document with a caption): the row id, or None if deduped."""
    method, params = message_params(text, buttons=buttons, markup=markup, document=document)
    return await queue_call(
        session,
        chat_id=chat_id,
        method=method,
        params=params,
        kind=kind,
        now=now,
        appeal_id=appeal_id,
        thread_id=thread_id,
        place=place,
        after=after,
        due_at=due_at,
        dedupe_key=dedupe_key,
        stale_at=stale_at,
        while_status=while_status,
    )
