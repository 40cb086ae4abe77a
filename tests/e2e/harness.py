"""End-to-end helpers: the real `python -m bot` process long-polling the local emulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.sandbox.emulator import BotAPIEmulator
from bot.sandbox.process import EmulatedBot
from tests.support import database
from tests.support.keyboard import buttons

Entry = dict[str, Any]


class BotProcess(EmulatedBot):
    """The real bot as a separate OS process, as production runs it, with its own database
    and the operator group; see :class:`bot.sandbox.process.EmulatedBot`."""

    def __init__(
        self,
        emu: BotAPIEmulator,
        workdir: Path,
        operator_chat_id: int,
        launcher: str | None = None,
    ) -> None:
        super().__init__(
            emu,
            workdir,
            # The run's database: an SQLite file here, or PostgreSQL (tests/support/database.py).
            database_url=database.fresh_database_url_sync(workdir, "bot.db"),
            extra_env={
                "OPERATOR_CHAT_ID": str(operator_chat_id),
                # People take seconds per step, these tests milliseconds: Telegram's limits
                # have tests of their own (tests/test_burst.py, tests/test_delivery.py).
                "RATE_PRIVATE_PER_SECOND": "1000",
                "RATE_GROUP_PER_MINUTE": "60000",
            },
            launcher=launcher,
        )

    async def start(self, timeout: float = 30.0) -> None:
        await super().start(timeout)


class ChatDriver:
    """One person's private chat: say things, press buttons, read what the bot answers."""

    def __init__(self, emu: BotAPIEmulator, user_id: int, timeout: float = 45.0) -> None:
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
            if any(found == data for _, found in buttons(entry)):
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
