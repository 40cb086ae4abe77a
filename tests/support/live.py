"""The whole application polling the emulator inside the test's own event loop: production
wiring without the cost of a new process (tier 2 with a real Bot API peer)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.app import Application, create_application
from bot.sandbox.emulator import BotAPIEmulator
from models import utcnow
from tests.conftest import make_settings


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
    task = asyncio.create_task(app.polling(handle_signals=False))
    while not any(call["method"] == "getUpdates" for call in emu.calls):
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield app
    finally:
        with suppress(RuntimeError):  # a test may have stopped it already, as a crash would
            await app.dispatcher.stop_polling()
        await task


async def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Wait for something the bot does after its last message (a commit, a reaction)."""
    for _ in range(int(timeout / 0.02)):
        result = check()
        if result:
            return result
        await asyncio.sleep(0.02)
    raise AssertionError(f"still not true after {timeout}s: {check}")
