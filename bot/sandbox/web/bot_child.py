"""The real bot as a child process long-polling the emulator.

The child is ``python -m bot.sandbox.web.child --clock-file PATH``: ``python -m bot`` with the
sandbox clock (the offset in PATH, written by the page), plus one signal, sent when the page
moves that clock, that makes the bot look for due work at once.
"""

from __future__ import annotations

import os
from pathlib import Path

from bot.sandbox.emulator import BotAPIEmulator
from bot.sandbox.process import BotProcess, ProcessExited, StartTimeout, polled_since

from .child import CLOCK_MOVED

CHILD_MODULE = "bot.sandbox.web.child"
ROOT = Path(__file__).resolve().parents[3]
STOP_SECONDS = 30.0


class BotChild:
    def __init__(
        self,
        emulator: BotAPIEmulator,
        operator_chat_id: int,
        workdir: Path,
        log_path: Path,
        database_url: str,
        clock_path: Path,
    ) -> None:
        self.emulator = emulator
        self.ready = False
        self.workdir = workdir
        self.log_path = log_path
        inherited = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("BOT_", "OPERATOR_", "DATABASE_"))
        }
        self.env = {
            **inherited,
            "BOT_TOKEN": emulator.token,
            "BOT_API_URL": emulator.base_url,
            "OPERATOR_CHAT_ID": str(operator_chat_id),
            "DATABASE_URL": database_url,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",
        }
        self.process = BotProcess(
            self.env,
            workdir,
            log_path,
            module=CHILD_MODULE,
            args=["--clock-file", str(clock_path)],
            # A fresh interpreter, as production runs the bot, whatever ADAL_PROCESS_LAUNCHER.
            launcher="spawn",
            # Own process group: Ctrl+C reaches the sandbox, which then stops the bot in order.
            new_session=True,
            # SIGTERM to the bot if the sandbox itself is killed (Linux only).
            die_with_parent=True,
        )

    async def start(self, timeout: float = 60.0) -> None:
        """Start the bot and wait until it long-polls; raise if it exits first."""
        try:
            await self.process.start(polled_since(self.emulator), timeout)
        except ProcessExited as error:
            raise RuntimeError(f"the bot exited with code {error.returncode}") from None
        except StartTimeout:
            raise TimeoutError(f"the bot did not start polling within {timeout:.0f}s") from None
        self.ready = True

    def clock_moved(self) -> None:
        """Tell the bot the clock moved; only once it polls (its handler is installed by then)."""
        if self.ready:
            self.process.send_signal(CLOCK_MOVED)

    async def wait(self) -> int:
        return await self.process.wait()

    async def stop(self) -> int | None:
        """SIGTERM, then wait for the bot to finish what it is doing; SIGKILL if it hangs."""
        self.ready = False
        if not self.process.started:
            return None
        try:
            return await self.process.stop(STOP_SECONDS)
        except TimeoutError:
            return self.process.returncode
