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

from datetime import datetime
from typing import Any

from aiogram.types import ForumTopic, Message, MessageId
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.telegram.outbox import queue_call
from models import Appeal, InvestmentProject, RelayedMessage


def result_id(result: Any) -> int | None:
    """The message (or topic) id a call's result carries."""
    if isinstance(result, ForumTopic):
        return result.message_thread_id
    if isinstance(result, Message | MessageId):
        return result.message_id
    if isinstance(result, list) and result and isinstance(result[0], Message):
        return result[0].message_id
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


async def record_success(
    session: AsyncSession,
    after: dict[str, Any] | None,
    result: Any,
    places: Places,
    now: datetime,
) -> None:
    if not after:
        return
    made = result_id(result)
    if "topic" in after and made is not None:
        appeal_id = int(after["topic"])
        await session.execute(update(Appeal).where(Appeal.id == appeal_id).values(topic_id=made))
        places.set_topic(appeal_id, made)
    if "card" in after and made is not None:
        appeal_id = int(after["card"])
        await session.execute(
            update(Appeal).where(Appeal.id == appeal_id).values(card_message_id=made)
        )
        places.set_card(appeal_id, made)
    for key, column in (("project_topic", "topic_id"), ("project_card", "card_message_id")):
        if key in after and made is not None:
            await session.execute(
                update(InvestmentProject)
                .where(InvestmentProject.id == int(after[key]))
                .values({column: made})
            )
    if "relay" in after and made is not None:
        column = "owner_message_id" if after.get("side") == "owner" else "operator_message_id"
        await session.execute(
            update(RelayedMessage)
            .where(RelayedMessage.id == int(after["relay"]))
            .values({column: made})
        )
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
    react = after.get("react")
    if isinstance(react, dict):
        await queue_call(
            session,
            chat_id=int(react["chat_id"]),
            method="setMessageReaction",
            params={
                "message_id": int(react["message_id"]),
                "reaction": [{"type": "emoji", "emoji": str(react["emoji"])}],
            },
            kind="reaction",
            now=now,
        )
