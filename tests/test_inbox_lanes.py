"""The inbox worker's lanes: an update arriving as its lane's task ends is still handled."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.telegram.inbox import InboxWorker, Lane, store
from models import InboxUpdate, utcnow


async def test_a_kick_as_the_lane_ends_starts_the_lane_again(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    calls: list[int] = []
    handled_again = asyncio.Event()
    worker: InboxWorker

    async def handle(lane: int) -> Lane:
        calls.append(lane)
        if len(calls) == 1:
            # Runs after this task's last step and before its done callbacks: the moment an
            # update stored by another instance (NOTIFY) or the poller could arrive.
            asyncio.get_running_loop().call_soon(worker.kick, lane)
        else:
            handled_again.set()
        return Lane.EMPTY  # nothing left in the lane

    worker = InboxWorker(handle, sessionmaker)
    worker.kick(7)
    await asyncio.wait_for(handled_again.wait(), 5)
    await worker.wait_idle(5)

    assert calls == [7, 7]
    assert worker.busy == 0


async def test_a_batch_is_stored_once_each_and_a_repeat_is_ignored(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    def raw(update_id: int, user_id: int) -> dict[str, Any]:
        chat = {"id": user_id, "type": "private"}
        sender = {"id": user_id, "is_bot": False, "first_name": "Айгүл"}
        message = {"message_id": update_id, "date": 0, "chat": chat, "from": sender, "text": "x"}
        return {"update_id": update_id, "message": message}

    now = utcnow()
    assert await store(sessionmaker, [raw(1, 501)], now) == [501]
    # Telegram sends the first one again, with two new ones; one is not an update at all.
    lanes = await store(sessionmaker, [raw(1, 501), raw(2, 502), raw(3, 501), {"x": 1}], now)
    assert sorted(lanes) == [501, 502]

    async with sessionmaker() as session:
        rows = (
            await session.execute(
                select(InboxUpdate.update_id, InboxUpdate.lane, InboxUpdate.flood_key).order_by(
                    InboxUpdate.update_id
                )
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        (1, 501, "update:1"),
        (2, 502, "update:2"),
        (3, 501, "update:3"),
    ]
