"""End-to-end helpers: the real `python -m bot` process long-polling the local emulator."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.sandbox.emulator import BotAPIEmulator

ROOT = Path(__file__).resolve().parents[2]
Entry = dict[str, Any]


class BotProcess:
    """Starts, kills and restarts the bot as a separate OS process, as production runs it."""

    def __init__(self, emu: BotAPIEmulator, workdir: Path, operator_chat_id: int) -> None:
        self.emu = emu
        self.workdir = workdir
        self.log_path = workdir / "bot.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "OPERATOR_"))},
            "BOT_TOKEN": emu.token,
            "BOT_API_URL": emu.base_url,
            "OPERATOR_CHAT_ID": str(operator_chat_id),
            "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'bot.db'}",
            "LOG_LEVEL": "INFO",
            "PYTHONPATH": str(ROOT),
        }
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, timeout: float = 30.0) -> None:
        seen = len(self.emu.calls)
        log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=self.workdir, env=self.env, stdout=log, stderr=log
        )
        log.close()

        def polling() -> bool:
            return any(call["method"] == "getUpdates" for call in self.emu.calls[seen:])

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not polling():
            if self.process.returncode is not None:
                raise RuntimeError(f"bot exited at start:\n{self.log()}")
            if loop.time() > deadline:
                raise TimeoutError(f"bot did not start polling:\n{self.log()}")
            await asyncio.sleep(0.05)

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.process.wait(), 30)
        assert self.process.returncode is not None
        return self.process.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class ChatDriver:
    """One person's private chat: say things, press buttons, read what the bot answers."""

    def __init__(self, emu: BotAPIEmulator, user_id: int, timeout: float = 15.0) -> None:
        self.emu = emu
        self.user_id = user_id
        self.timeout = timeout

    def last_id(self) -> int:
        entries = self.emu.transcript(self.user_id)
        return entries[-1]["message_id"] if entries else 0

    async def expect(self, needle: str, after: int) -> Entry:
        def has(entry: Entry) -> bool:
            return needle in (entry["text"] or entry["caption"] or "")

        return await self.emu.wait_for_message(
            self.user_id, has, after_message_id=after, timeout=self.timeout
        )

    async def say(self, text: str, expect: str) -> Entry:
        after = self.last_id()
        self.emu.send_text(self.user_id, text)
        return await self.expect(expect, after)

    async def act(self, action: Callable[[], Any], expect: str) -> Entry:
        after = self.last_id()
        action()
        return await self.expect(expect, after)

    def find_button(self, data: str) -> int:
        for entry in reversed(self.emu.transcript(self.user_id)):
            for row in entry["buttons"]:
                if any(button[1] == data for button in row):
                    return int(entry["message_id"])
        raise AssertionError(f"no button {data!r} in the chat")

    async def press(self, data: str, expect: str) -> Entry:
        message_id = self.find_button(data)
        return await self.act(
            lambda: self.emu.press_button(self.user_id, self.user_id, message_id, data), expect
        )

    async def press_answer(self, data: str) -> dict[str, Any]:
        """Press and return the callback answer (the small pop-up), for refusals."""
        message_id = self.find_button(data)
        query_id = self.emu.forge_callback(self.user_id, self.user_id, message_id, data)
        return await self.emu.wait_for_callback_answer(query_id, timeout=self.timeout)
