from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.emulator import BotAPIEmulator
from tests.e2e.harness import BotProcess


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    emulator = BotAPIEmulator(seed=7)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
def staff_group(emu: BotAPIEmulator) -> int:
    staff = emu.add_user("Дина", "Оспанова", username="dina_staff")
    return emu.add_group("Адалдық алаңы — операторы", forum=True, members=[staff], admins=[staff])


@pytest.fixture
async def bot_process(
    emu: BotAPIEmulator, staff_group: int, tmp_path: Path
) -> AsyncIterator[BotProcess]:
    process = BotProcess(emu, tmp_path, staff_group)
    await process.start()
    yield process
    if process.process is not None and process.process.returncode is None:
        await process.stop()
