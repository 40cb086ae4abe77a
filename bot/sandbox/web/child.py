"""``python -m bot.sandbox.web.child --clock-file PATH``: the bot as the sandbox runs it.

It is ``python -m bot`` (long polling): the same settings, logging, ``create_application`` and
``run_polling`` as production, with the sandbox clock. The clock is real time plus the offset
in the file PATH (bot/sandbox/clock.py), passed to ``create_application`` as its ``clock``:
the sandbox's own argument, not a setting production could carry. When the page moves
the clock the sandbox sends this process :data:`CLOCK_MOVED` (SIGUSR1), and the bot at once
sends the outbox rows that fell due (hearing reminders) and runs its scheduled checks
(deadline alerts, needs-info reminders, auto-close, the digest), instead of up to
``SCHEDULER_INTERVAL_SECONDS`` later.

Until the application is built the signal is ignored (never its default action, which would
end the process); the bot's start looks for due work anyway.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings, load_settings
from bot.logging_setup import setup_logging
from bot.sandbox.clock import file_offset_clock

CLOCK_MOVED = signal.SIGUSR1
log = logging.getLogger("bot.sandbox")

if TYPE_CHECKING:
    from bot.app import Application


class CatchUp:
    """Run the bot's due work once per clock jump; jumps during a run make one more run."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self._again = False
        self._closed = False
        self._task: asyncio.Task[None] | None = None

    def request(self) -> None:
        if self._closed:
            return
        self._again = True
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="sandbox-clock-catch-up")

    async def _run(self) -> None:
        while self._again and not self._closed:
            self._again = False
            now = self.app.clock()
            # Rows with a due time (hearing reminders) first, then the checks, whose pushes
            # ring the sender's bell when they commit.
            self.app.sender.wake()
            try:
                await self.app.jobs.tick()
            except Exception:
                log.exception("catching up after the sandbox clock moved failed")
                continue
            self.app.sender.wake()
            log.info("sandbox clock moved to %s: due work done", now.isoformat(timespec="seconds"))

    async def close(self) -> None:
        """No more runs; wait for the one in progress (the bot then stops with nothing busy)."""
        self._closed = True
        if self._task is not None:
            with suppress(Exception):
                await self._task


def main(argv: list[str] | None = None) -> int:
    signal.signal(CLOCK_MOVED, signal.SIG_IGN)
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox.web.child")
    parser.add_argument(
        "--clock-file",
        type=Path,
        help="the sandbox clock: a file holding an offset in seconds (none: real time)",
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.LOG_LEVEL, [settings.BOT_TOKEN.get_secret_value()])
    clock = file_offset_clock(args.clock_file) if args.clock_file is not None else None
    return asyncio.run(_serve(settings, clock))


async def _serve(settings: Settings, clock: Callable[[], datetime] | None) -> int:
    from bot.__main__ import open_application

    app = await open_application(settings, clock=clock)
    if app is None:
        return 2
    loop = asyncio.get_running_loop()
    catch_up = CatchUp(app)
    stop = asyncio.Event()
    stopping: set[asyncio.Task[None]] = set()

    async def stop_after_catch_up() -> None:
        await catch_up.close()
        stop.set()

    def on_stop_signal() -> None:
        if not stopping:
            stopping.add(asyncio.create_task(stop_after_catch_up()))

    loop.add_signal_handler(CLOCK_MOVED, catch_up.request)
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_stop_signal)
    try:
        await app.run_polling(stop=stop)
    finally:
        loop.remove_signal_handler(CLOCK_MOVED)
        await catch_up.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
