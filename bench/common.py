"""Shared pieces of the benchmarks: machine description, results file, process probes."""

from __future__ import annotations

import contextlib
import math
import os
import platform
import re
import sqlite3
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.sandbox.emulator import BotAPIEmulator
from bot.sandbox.process import LAUNCHER_ENV, EmulatedBot, resolve_launcher

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "benchmarks.md"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

HEADER = """# Benchmarks

Scripts in `bench/` measure the bot against the project's local Bot API emulator on
127.0.0.1 (no network). Each prints a table and replaces its own section below (between its
`<!-- name:start/end -->` markers); `--no-write` only prints.

| command (`.venv/bin/python -m ...`) | what | default run |
|---|---|---|
| `bench.b1_intake` | 60 owners file appeals (SQLite, PostgreSQL), then the echo floor | ~6 min |
| `bench.b2_pushes` | 3,000 and 30,000 notifications, Telegram limits x10 | ~4 min |
| `bench.b3_growth` | owner/staff queries at 10k and 1M appeals | ~3 min |
| `bench.b4_memory` | RSS with 10,000 dialogues (5,000 touched; `--touch 10000` ~4.5 min) | ~3 min |
| `bench.b5_relay` | 50 conversations relayed both ways, Telegram's limits on | ~3.5 min |
| `bench.crash_durable` | SIGKILL: polling on SQLite x20, 3 webhooks on PostgreSQL x10 | ~8 min |

Each takes `--quick` (a smaller run, about a minute; CI runs none of them: benchmarks are
never timed tests) and `--help`. B1, B2 and B5 take `--profile`: py-spy
(`.venv/bin/pip install py-spy`) samples the bot (or worker) process and
the section gets the hottest areas and frames. Extra helpers: `bench.echo_bot` (the floor),
`bench.push_worker` (the DeliveryWorker alone), both started by the scripts. Each section
ends with its headline figures and a history of earlier runs' headlines (moved there by the
next run), so a regression shows.

The reliability tests are in pytest: `.venv/bin/pytest -q tests/reliability` (the polling crash
scenario on SQLite; with `TEST_DATABASE_URL` set, the webhook cluster on PostgreSQL instead;
`RELIABILITY_OWNERS` (default 100), `RELIABILITY_SEED`).

Numbers depend on the machine; each section names the one it was measured on, and they were
taken while other work ran on the same 2 cores, so read them to +-20 %.
"""


def machine() -> str:
    model = ""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo)
        model = found.group(1).strip() if found else ""
    except OSError:
        pass
    memory = ""
    try:
        found = re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text())
        memory = f", {int(found.group(1)) / 1024 / 1024:.0f} GB RAM" if found else ""
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores{f' ({model})' if model else ''}{memory}; "
        f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}; "
        f"{platform.system()} {platform.release()}"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


HEADLINE = "Headline: "
HISTORY = "History (earlier runs' headlines, newest first):"


def _history(old_section: str) -> list[str]:
    """The previous run's headline as a history line, then the older history lines."""
    lines = old_section.splitlines()
    measured = re.search(r"Measured (.+?) with `(.+?)`", old_section)
    headline = next((line for line in lines if line.startswith(HEADLINE)), None)
    older: list[str] = []
    if HISTORY in lines:
        for line in lines[lines.index(HISTORY) + 1 :]:
            if not line.startswith("- "):
                break
            older.append(line)
    if measured is None or headline is None:
        return older
    stamp, command = measured.groups()
    return [f"- {stamp} (`{command}`): {headline.removeprefix(HEADLINE)}", *older]


def write_section(
    key: str, title: str, body: str, *, enabled: bool = True, headline: str = ""
) -> None:
    """Replace (or append) this benchmark's section of docs/benchmarks.md. ``headline`` (the
    figures a regression would show in) is kept: the next run moves it into the section's
    history, so every earlier run's figures stay visible."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    # The launcher matters for memory: fork children share the forkserver's preloaded modules.
    launcher = f"{LAUNCHER_ENV}={resolve_launcher()}"
    command = f"{launcher} python -m " + " ".join(["bench." + key, *sys.argv[1:]])
    print(f"\n## {title}\n\n{body.strip()}\n\n{HEADLINE}{headline}\n")
    if not enabled:
        return
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    pattern = re.compile(rf"<!-- {re.escape(key)}:start -->.*?<!-- {re.escape(key)}:end -->", re.S)
    found = pattern.search(text)
    history = _history(found.group(0)) if found else []
    tail = f"\n{HEADLINE}{headline}\n" if headline else ""
    if history:
        tail += "\n" + HISTORY + "\n" + "\n".join(history) + "\n"
    section = (
        f"<!-- {key}:start -->\n## {title}\n\n"
        f"Measured {stamp} with `{command}` on {machine()}.\n\n{body.strip()}\n{tail}"
        f"<!-- {key}:end -->"
    )
    if found:
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1))
    return ordered[rank]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the ")" field 3 is state: utime and stime are fields 14 and 15 of the whole line.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (peak resident) in KiB."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def mb(kib: float) -> str:
    return f"{kib / 1024:.1f}"


class Process(EmulatedBot):
    """A child Python process polling the emulator (the bot, or the echo bot), on an SQLite
    file in ``workdir``; see :class:`bot.sandbox.process.EmulatedBot`. Use
    ``ADAL_PROCESS_LAUNCHER=spawn`` for memory numbers: a fork child's RSS reflects the
    forkserver's preloaded modules (measured: the echo bot ~30 MB more, the bot ~15 MB less
    than in a fresh interpreter).
    """

    def __init__(
        self,
        emu: BotAPIEmulator,
        workdir: Path,
        module: str,
        extra_env: dict[str, str] | None = None,
        launcher: str | None = None,
        database_url: str | None = None,
    ) -> None:
        super().__init__(
            emu,
            workdir,
            database_url=database_url or f"sqlite+aiosqlite:///{workdir / 'bot.db'}",
            module=module,
            extra_env=extra_env,
            launcher=launcher,
            stop_timeout=60.0,
        )


@contextlib.asynccontextmanager
async def fresh_postgres(server_url: str, name: str) -> AsyncIterator[str]:
    """A new empty database ``name`` on the server of ``server_url`` (any database there),
    dropped afterwards; yields its URL."""
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def operator_group(emu: BotAPIEmulator) -> int:
    staff = emu.add_user("Дина", "Оспанова", username="dina_staff", language_code="ru")
    return emu.add_group("Адалдық алаңы — операторы", forum=True, members=[staff], admins=[staff])
