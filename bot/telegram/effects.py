"""What the sender records once Telegram accepted a call (an outbox row's ``after``).

{"topic": A}                       the call created appeal A's forum topic
{"card": A}                        the call posted appeal A's card
{"relay": R, "side": "owner"|"operator"}   the copy of relayed message R
{"react": {"chat_id", "message_id", "emoji"}}   then mark that message (delivered, noted)
{"project_topic": P}, {"project_card": P}   the call made project P's topic, card
{"tell_staff": A}                  if the call fails for good, say so in appeal A's topic
{"then": {"chat_id", "method", "params", "kind", "appeal_id"}}
                                   then queue that call (what only makes sense once this
                                   one arrived: "rate the answer" after the answer)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram.types import ForumTopic, Message, MessageId
from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.telegram.outbox import queue_call
from models import Appeal, Base, InvestmentProject, RelayedMessage, table_of


def result_id(result: Any) -> int | None:
    """The message (or topic) id a call's result carries."""
    if isinstance(result, ForumTopic):
        return result.message_thread_id
    if isinstance(result, Message | MessageId):
        return result.message_id
    if isinstance(result, list) and result and isinstance(result[0], Message):
        return result[0].message_id
    # Made as JSON (bot/telegram/wire.py): Telegram's own answer.
    if isinstance(result, list) and result and isinstance(result[0], dict):
        result = result[0]
    if isinstance(result, dict):
        made = result.get("message_id", result.get("message_thread_id"))
        return made if isinstance(made, int) else None
    return None


class Places:
    """Where each appeal lives in the operator group (topic, card), read once, kept current.

    Only the sender writes these columns, so its memory of them is right.
    """

    def __init__(self) -> None:
        self._topics: dict[int, int | None] = {}
        self._cards: dict[int, int | None] = {}

    def known(self, appeal_id: int) -> bool:
        return appeal_id in self._topics

    def remember(self, appeal_id: int, topic_id: int | None, card_id: int | None) -> None:
        self._topics[appeal_id] = topic_id
        self._cards[appeal_id] = card_id

    def topic(self, appeal_id: int) -> int | None:
        return self._topics.get(appeal_id)

    def card(self, appeal_id: int) -> int | None:
        return self._cards.get(appeal_id)

    def set_topic(self, appeal_id: int, topic_id: int | None) -> None:
        self._topics[appeal_id] = topic_id

    def set_card(self, appeal_id: int, card_id: int | None) -> None:
        self._cards[appeal_id] = card_id

    def forget(self, appeal_id: int) -> None:
        self._topics.pop(appeal_id, None)
        self._cards.pop(appeal_id, None)


def _set_made(model: type[Base], column: str) -> Any:
    table = table_of(model)
    return update(table).where(table.c.id == bindparam("row")).values({column: bindparam("made")})


# What a delivered call made (a topic, a card, a copy), recorded where `after` says; built
# once (every relayed message records its copy).
SET_MADE = {
    "topic": _set_made(Appeal, "topic_id"),
    "card": _set_made(Appeal, "card_message_id"),
    "project_topic": _set_made(InvestmentProject, "topic_id"),
    "project_card": _set_made(InvestmentProject, "card_message_id"),
}
SET_RELAYED = {
    "owner": _set_made(RelayedMessage, "owner_message_id"),
    "operator": _set_made(RelayedMessage, "operator_message_id"),
}


REACTION = "setMessageReaction"


@dataclass(frozen=True)
class Claimed:
    """A row the sender queued for itself, claimed already: it sends it without a claim."""

    id: int
    chat_id: int
    method: str
    params: dict[str, Any]
    kind: str


async def record_success(
    session: AsyncSession,
    after: dict[str, Any] | None,
    result: Any,
    places: Places,
    now: datetime,
    sender: str | None = None,
) -> list[Claimed]:
    """Record what ``after`` says. The reaction it asks for is queued claimed by ``sender``
    (given): it needs no order with anything (a lane of its own), so nothing is gained by
    leaving it for the next claim, which would cost a transaction per relayed message."""
    if not after:
        return []
    made = result_id(result)
    if made is not None:
        for key, statement in SET_MADE.items():
            if key in after:
                await session.execute(statement, {"row": int(after[key]), "made": made})
        if "topic" in after:
            places.set_topic(int(after["topic"]), made)
        if "card" in after:
            places.set_card(int(after["card"]), made)
        if "relay" in after:
            side = "owner" if after.get("side") == "owner" else "operator"
            await session.execute(SET_RELAYED[side], {"row": int(after["relay"]), "made": made})
    then = after.get("then")
    if isinstance(then, dict):
        await queue_call(
            session,
            chat_id=int(then["chat_id"]),
            method=str(then["method"]),
            params=dict(then["params"]),
            kind=str(then["kind"]),
            appeal_id=then.get("appeal_id"),
            now=now,
        )
    claimed: list[Claimed] = []
    react = after.get("react")
    if isinstance(react, dict):
        chat_id = int(react["chat_id"])
        params = {
            "message_id": int(react["message_id"]),
            "reaction": [{"type": "emoji", "emoji": str(react["emoji"])}],
        }
        row_id = await queue_call(
            session,
            chat_id=chat_id,
            method=REACTION,
            params=params,
            kind="reaction",
            now=now,
            claimed_by=sender,
        )
        if sender is not None and row_id is not None:
            claimed.append(Claimed(row_id, chat_id, REACTION, params, "reaction"))
    return claimed
