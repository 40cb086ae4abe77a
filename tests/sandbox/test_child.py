"""The sandbox's bot process: a clock jump makes it do its due work at once, once per jump."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, cast

from bot.sandbox.web.child import CatchUp


class FakeApp:
    """What CatchUp uses of the application: its clock, the sender's bell, the checks."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.gate = asyncio.Event()
        self.second_tick = asyncio.Event()
        self.sender = self
        self.jobs = self

    def clock(self) -> datetime:
        return datetime(2026, 12, 3, 9, 0, tzinfo=UTC)

    def wake(self) -> None:
        self.calls.append("wake")

    async def tick(self) -> None:
        self.calls.append("tick")
        if self.calls.count("tick") == 2:
            self.second_tick.set()
        await self.gate.wait()


async def test_jumps_during_a_run_make_one_more_run_and_close_waits() -> None:
    app = FakeApp()
    catch_up = CatchUp(cast(Any, app))
    catch_up.request()
    await asyncio.sleep(0)  # the run starts and waits in its tick
    assert app.calls == ["wake", "tick"]
    catch_up.request()
    catch_up.request()  # two jumps while busy: one more run covers both
    app.gate.set()
    await asyncio.wait_for(app.second_tick.wait(), 5)
    await catch_up.close()  # waits for the run in progress
    assert app.calls == ["wake", "tick", "wake", "wake", "tick", "wake"]
    catch_up.request()  # closed: the bot is stopping, nothing more runs
    await asyncio.sleep(0)
    assert len(app.calls) == 6
