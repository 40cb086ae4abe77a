"""The real bot as a child process (``python -m bot``) long-polling the emulator."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from pathlib import Path

from bot.sandbox.emulator import BotAPIEmulator

ROOT = Path(__file__).resolve().parents[3]
STOP_SECONDS = 30.0
_PR_SET_PDEATHSIG = 1


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
            "SANDBOX_CLOCK_FILE": str(clock_path),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",
        }
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, timeout: float = 60.0) -> None:
        """Start the bot and wait until it long-polls; raise if it exits first."""
        seen = len(self.emulator.calls)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                cwd=self.workdir,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                # Own process group: Ctrl+C reaches the sandbox, which then stops the bot in order.
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not any(c["method"] == "getUpdates" for c in self.emulator.calls[seen:]):
            if self.process.returncode is not None:
                raise RuntimeError(f"the bot exited with code {self.process.returncode}")
            if loop.time() > deadline:
                raise TimeoutError(f"the bot did not start polling within {timeout:.0f}s")
            await asyncio.sleep(0.05)

    async def wait(self) -> int:
        assert self.process is not None
        return await self.process.wait()

    async def stop(self) -> int | None:
        """SIGTERM, then wait for the bot to finish what it is doing; SIGKILL if it hangs."""
        process = self.process
        if process is None:
            return None
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), STOP_SECONDS)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        return process.returncode


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if the sandbox itself is killed (Linux only)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
