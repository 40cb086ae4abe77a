from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.emulator.hook import HookServer


@pytest.fixture
async def hook() -> AsyncIterator[HookServer]:
    """A webhook endpoint on 127.0.0.1 for the emulator to POST updates to."""
    server = HookServer()
    await server.start()
    try:
        yield server
    finally:
        server.gate.set()
        await server.stop()
