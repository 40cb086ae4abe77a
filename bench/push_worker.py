"""The bot's outbox Sender alone in its own process, until the outbox is empty.

`python -m bench.push_worker` with BOT_TOKEN, BOT_API_URL, DATABASE_URL and PUSH_SCALE (the
same factor as the emulator's limits). Prints one JSON line: start-to-empty seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import time

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import select

from bot.telegram.bell import OutboxBell
from bot.telegram.ratelimit import Limits, RateLimiter
from bot.telegram.responses import KeepResponseModels
from bot.telegram.sender import Sender
from models import OutboxMessage, OutboxState
from models.db import make_engine, make_sessionmaker


async def main() -> None:
    scale = float(os.environ.get("PUSH_SCALE", "1"))
    engine = make_engine(os.environ["DATABASE_URL"])
    db = make_sessionmaker(engine)
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["BOT_API_URL"]))
    bot = Bot(
        os.environ["BOT_TOKEN"], session=session, default=DefaultBotProperties(parse_mode="HTML")
    )
    bot.session.middleware(KeepResponseModels())  # as the bot does (bot/app.py)
    await bot.get_me()  # the parent waits for the first call before it starts the clock

    async def no_topics() -> bool:
        return False

    worker = Sender(
        bot,
        db,
        bell=OutboxBell(),
        forum=no_topics,
        token="bench-push-worker",
        limiter=RateLimiter(Limits().scaled(scale)),
        base_backoff=float(os.environ.get("PUSH_BACKOFF", "1.0")),
        max_backoff=float(os.environ.get("PUSH_MAX_BACKOFF", "30")),
        poll_interval=0.05,
    )
    started = time.perf_counter()
    cpu = time.process_time()
    worker.start()
    while True:
        async with db() as s:
            # An existence probe, not a count: the poll must not cost more as the backlog grows.
            left = await s.scalar(
                select(OutboxMessage.id)
                .where(OutboxMessage.state.in_([OutboxState.PENDING.value, "claimed"]))
                .limit(1)
            )
        if left is None:
            break
        await asyncio.sleep(0.05)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    await worker.stop()
    await bot.session.close()
    await engine.dispose()
    print(json.dumps({"seconds": seconds, "cpu": cpu}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
