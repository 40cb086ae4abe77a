"""The whole application polling the emulator inside the test's own event loop: production
wiring without the cost of a new process (tier 2 with a real Bot API peer)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.app import Application, create_application
from bot.sandbox.emulator import BotAPIEmulator
from models import InboxUpdate, OutboxMessage, utcnow
from tests.support.harness import make_settings


@asynccontextmanager
async def live_app(
    emu: BotAPIEmulator,
    tmp_path: Path,
    operator_chat_id: int,
    clock: Callable[[], datetime] = utcnow,
    **settings: Any,
) -> AsyncIterator[Application]:
    config = make_settings(
        tmp_path,
        BOT_TOKEN=emu.token,
        BOT_API_URL=emu.base_url,
        OPERATOR_CHAT_ID=operator_chat_id,
        **settings,
    )
    app = await create_application(config, clock=clock)
    app.stop_requested = stop = asyncio.Event()
    seen = len(emu.calls)
    task = asyncio.create_task(app.run_polling(stop=stop))
    while not any(call["method"] == "getUpdates" for call in emu.calls[seen:]):
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield app
    finally:
        stop.set()  # a test may have stopped it already, as a crash would
        await task


async def eventually(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Wait for something the bot does after its last message (a commit, a reaction)."""
    for _ in range(int(timeout / 0.02)):
        result = check()
        if result:
            return result
        await asyncio.sleep(0.02)
    raise AssertionError(f"still not true after {timeout}s: {check}")


async def settled(emu: BotAPIEmulator, app: Application, timeout: float = 20.0) -> None:
    """Until every update the emulator handed out is handled (its unit of work finished,
    callback answers made) and every message due is sent. Events, not a quiet period: an
    update between getUpdates and its handling still counts as not handled."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if not emu.pending_updates and app.worker.busy == 0:
            async with app.sessionmaker() as session:
                handled = set(
                    await session.scalars(
                        select(InboxUpdate.update_id).where(InboxUpdate.state != "pending")
                    )
                )
                due = await session.scalar(
                    select(func.count()).where(
                        OutboxMessage.state.in_(["pending", "claimed"]),
                        OutboxMessage.due_at <= app.clock(),
                    )
                )
            if emu.delivered_update_ids() <= handled and due == 0 and app.worker.busy == 0:
                return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the bot did not settle within {timeout}s")
