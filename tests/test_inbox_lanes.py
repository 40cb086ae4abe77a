"""The inbox worker's lanes: an update arriving as its lane's task ends is still handled."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.telegram.inbox import InboxWorker, Lane


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
