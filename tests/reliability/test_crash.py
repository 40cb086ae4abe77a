"""SIGKILL the bot at random moments while 100 owners file appeals and answer staff questions.

* one polling instance on SQLite, killed and restarted 20 times (the SQLite run);
* three webhook instances on PostgreSQL behind one address, a random one killed and restarted
  10 times, three staff members, Telegram's limits checked (the PostgreSQL run).

What is checked is listed in bench/crash_durable.py; `python -m bench.crash_durable` runs the
same scenarios and writes their figures to docs/benchmarks.md.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.crash_durable import run_scenario
from bot.sandbox.emulator import BotAPIEmulator
from tests.support import database

OWNERS = int(os.environ.get("RELIABILITY_OWNERS", "100"))
SEED = int(os.environ.get("RELIABILITY_SEED", "20261201"))


@pytest.mark.skipif(not database.is_sqlite(), reason="the single polling instance: SQLite run")
async def test_polling_instance_killed_20_times(emu: BotAPIEmulator, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    outcome = await run_scenario(
        emu, tmp_path, url, mode="poll", instances=1, kills=20, owners=OWNERS, seed=SEED
    )
    assert outcome.problems == [], "\n".join(outcome.problems)
    assert outcome.kills == 20


@pytest.mark.skipif(database.is_sqlite(), reason="several instances need PostgreSQL")
async def test_three_webhook_instances_killed_10_times(emu: BotAPIEmulator, tmp_path: Path) -> None:
    url = await database.fresh_database_url(tmp_path)
    outcome = await run_scenario(
        emu,
        tmp_path,
        url,
        mode="web",
        instances=3,
        kills=10,
        owners=OWNERS,
        seed=SEED,
        staff_members=3,
    )
    assert outcome.problems == [], "\n".join(outcome.problems)
    assert outcome.kills == 10
