"""``python -m bot sandbox``: emulator + the real bot + the browser page, in one command."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from aiohttp import web

from bot.sandbox.emulator import BotAPIEmulator
from bot.sandbox.web import make_app, populate
from bot.sandbox.web.bot_child import BotChild
from bot.sandbox.web.clock import ClockFile

DATA_DIR = Path("data")
DATABASE_FILE = "sandbox.db"
CLOCK_FILE = "sandbox-clock"
LOG_FILE = "sandbox-bot.log"
WEB_HOST = "127.0.0.1"


def fresh_data_dir(data_dir: Path) -> Path:
    """The absolute data folder, without a database or clock offset left by an earlier run."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    # The emulator keeps its chats in memory only, so the bot's memory of them starts over too.
    for name in (DATABASE_FILE, f"{DATABASE_FILE}-wal", f"{DATABASE_FILE}-shm", CLOCK_FILE):
        (data_dir / name).unlink(missing_ok=True)
    return data_dir


async def serve(port: int, data_dir: Path) -> int:
    clock = ClockFile(data_dir / CLOCK_FILE)
    emulator = BotAPIEmulator()
    await emulator.start(WEB_HOST, 0)
    scene = populate(emulator)
    child = BotChild(
        emulator,
        scene.group_id,
        workdir=data_dir.parent,
        log_path=data_dir / LOG_FILE,
        database_url=f"sqlite+aiosqlite:///{data_dir / DATABASE_FILE}",
        clock_path=clock.path,
    )
    runner = web.AppRunner(make_app(emulator, scene, clock), access_log=None, shutdown_timeout=2)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        # The page's port first: when it is taken, say so before waiting for the bot.
        await runner.setup()
        try:
            await web.TCPSite(runner, WEB_HOST, port).start()
        except OSError as error:
            print(f"sandbox: can't serve on {WEB_HOST}:{port}: {error}", file=sys.stderr)
            return 2
        bound_port = runner.addresses[0][1]
        await child.start()
        print(f"Sandbox: http://{WEB_HOST}:{bound_port}", flush=True)
        print(f"Bot log: {child.log_path}", flush=True)
        return await _until_stopped(child, stop)
    except (RuntimeError, TimeoutError) as error:
        print(f"sandbox: {error}; see {child.log_path}", file=sys.stderr, flush=True)
        return 1
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await child.stop()
        await runner.cleanup()
        await emulator.stop()


async def _until_stopped(child: BotChild, stop: asyncio.Event) -> int:
    bot_exit = asyncio.ensure_future(child.wait())
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({bot_exit, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if stopped.done():
        bot_exit.cancel()
        return 0
    stopped.cancel()
    print(
        f"sandbox: the bot exited with code {bot_exit.result()}; see {child.log_path}",
        file=sys.stderr,
        flush=True,
    )
    return 1


def main(port: int = 8080, data_dir: Path = DATA_DIR) -> int:
    return asyncio.run(serve(port, fresh_data_dir(data_dir)))
