from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bench.common import operator_group
from bench.owners import Inbox
from bot.sandbox.emulator import BotAPIEmulator


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    emulator = BotAPIEmulator(seed=17)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
def staff_group(emu: BotAPIEmulator) -> int:
    return operator_group(emu)


@pytest.fixture
def inbox(emu: BotAPIEmulator) -> Inbox:
    return Inbox(emu)
