"""(a) SIGKILL the real bot process at random moments of a 100-owner intake load, restart it.

Afterwards every owner who got a receipt has exactly one appeal (with that number), every
appeal's owner got exactly one receipt, owners whose messages went unanswered carry on from
where the dialogue stands, and dialogues left half way go on at their step (bench/crash_restarts).

Each restart costs ~7 s of start-up (importing aiogram), so CI runs RELIABILITY_RESTARTS=4 by
default; `python -m bench.crash_restarts` runs 20.
"""

from __future__ import annotations

import os
from pathlib import Path

from bench.crash_restarts import crash_run
from bench.owners import Inbox
from bot.sandbox.emulator import BotAPIEmulator

RESTARTS = int(os.environ.get("RELIABILITY_RESTARTS", "4"))
OWNERS = int(os.environ.get("RELIABILITY_OWNERS", "100"))
SEED = int(os.environ.get("RELIABILITY_SEED", "20260302"))


async def test_sigkill_under_intake_load(emu: BotAPIEmulator, inbox: Inbox, tmp_path: Path) -> None:
    outcome = await crash_run(emu, inbox, tmp_path, owners=OWNERS, restarts=RESTARTS, seed=SEED)
    assert outcome.problems() == []
    assert sum(len(numbers) for numbers in outcome.appeals.values()) == OWNERS
