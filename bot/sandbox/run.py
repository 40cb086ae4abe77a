"""``python -m bot sandbox``: emulator + the real bot + the browser page, in one command."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path

from aiohttp import web

from bot.sandbox.web import make_app
from bot.sandbox.web.clock import ClockFile
from bot.sandbox.web.guide import bot_timezone
from bot.sandbox.web.runtime import (
    CLOCK_FILE,
    DATABASE_FILE,
    LOG_FILE,
    Runtime,
    fresh_data_dir,
    say_on_stdout,
)

__all__ = ["CLOCK_FILE", "DATABASE_FILE", "LOG_FILE", "fresh_data_dir", "main", "serve"]

DATA_DIR = Path("data")
WEB_HOST = "127.0.0.1"


async def serve(port: int, data_dir: Path) -> int:
    started = time.monotonic()
    say_on_stdout(f"Preparing the sandbox in {data_dir} (nothing is installed or downloaded):")
    clock = ClockFile(data_dir / CLOCK_FILE)
    runtime = Runtime(data_dir, clock, host=WEB_HOST)
    emulator, scene = await runtime.open()
    app = make_app(emulator, scene, clock, controls=runtime, timezone=bot_timezone(data_dir.parent))
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2)
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
        say_on_stdout(f"  page served on port {bound_port}")
        await runtime.start_bot()
        say_on_stdout(f"Ready in {time.monotonic() - started:.0f} s.")
        print(f"Sandbox: http://{WEB_HOST}:{bound_port}", flush=True)
        print(f"Bot log: {runtime.log_path}", flush=True)
        print("Open the address in a browser; Ctrl+C stops everything.", flush=True)
        return await _until_stopped(runtime, stop)
    except (RuntimeError, TimeoutError) as error:
        print(f"sandbox: {error}; see {runtime.log_path}", file=sys.stderr, flush=True)
        return 1
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await runtime.stop_bot()
        await runner.cleanup()
        await runtime.close()


async def _until_stopped(runtime: Runtime, stop: asyncio.Event) -> int:
    failed = asyncio.ensure_future(runtime.failed())
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({failed, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if stopped.done():
        failed.cancel()
        return 0
    stopped.cancel()
    print(f"sandbox: {failed.result()}; see {runtime.log_path}", file=sys.stderr, flush=True)
    return 1


def main(port: int = 8080, data_dir: Path = DATA_DIR) -> int:
    return asyncio.run(serve(port, fresh_data_dir(data_dir)))
