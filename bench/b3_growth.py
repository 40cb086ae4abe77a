"""B3 data growth: the owner and staff queries at 10,000 and at 1,000,000 appeals.

The archive grows, the working set does not: at both sizes there are the same number of open
appeals (800, a quarter of them overdue, some due within 3 days) and of appeals registered in
the last day (40); everything else is closed history, ~5 appeals per owner, 2 status events
and 1 attachment per appeal. A query that only touches the working set through an index should
take about as long at both sizes (target: ratio <= 1.5).

Rows are written with executemany / INSERT ... SELECT into a temporary SQLite file migrated by
the bot's own Alembic migrations; the queries are the bot's own service functions.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bench.common import table, write_section
from bot.domain.appeals import card_data, owner_appeal, owner_page
from bot.domain.calendar import WorkCalendar
from bot.domain.casework import open_appeals
from bot.domain.lifecycle import OPEN_STATUSES
from bot.i18n import I18n
from bot.migrate import upgrade_to_head
from bot.views.digest import build_digest
from models import Appeal
from models.db import make_engine, make_sessionmaker

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
STAFF_T = I18n("ru").translator("ru")
CALENDAR = WorkCalendar(ZoneInfo("Asia/Almaty"))
OPEN = ["registered", "in_review", "needs_info", "hearing_scheduled"]
CLOSED = ["closed", "answered", "redirected", "not_considered", "withdrawn"]
WORKING_SET = 800
RECENT = 40
PER_OWNER = 5


def stamp(moment: datetime) -> str:
    """How SQLAlchemy stores a UTC datetime in SQLite."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def appeal_row(count: int, n: int, rng: random.Random) -> tuple[Any, ...]:
    """Appeal number ``n`` (1-based) of a ``count``-row table; the newest come last."""
    if n > count - RECENT:
        created = NOW - timedelta(hours=rng.uniform(0, 23))
        status = "registered"
    elif n > count - WORKING_SET:
        created = NOW - timedelta(days=rng.uniform(1, 40))
        status = rng.choice(OPEN)
    else:
        created = NOW - timedelta(days=40 + rng.uniform(0, 3 * 365))
        status = rng.choice(CLOSED)
    if status in OPEN:
        # a fifth overdue, a fifth due within 3 days, the rest later
        due = NOW + timedelta(days=rng.choice([-5, -1, 1, 2, 8, 10, 12, 14, 16, 20]))
    else:
        due = created + timedelta(days=21)
    return (
        n,
        f"{2000 + n // 1_000_000:04d}-{n % 1_000_000:06d}",
        1_000_000 + (n - 1) // PER_OWNER,
        "Жұмабаева Асель Маратқызы",
        "ie",
        "900101300017",
        None,
        "+77011112233",
        "complaint",
        "inspections",
        "ust_kamenogorsk",
        "ДГД по ВКО, инспектор Сериков",
        "Инспектор пришёл без предписания и требует деньги за «быстрое закрытие».",
        0,
        status,
        stamp(created),
        stamp(due),
        stamp(created),
        stamp(created),
    )


def generate(path: Path, count: int) -> float:
    """Fill a migrated database with ``count`` appeals; returns the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(count)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    with connection:
        owners = -(-count // PER_OWNER)
        connection.executemany(
            "INSERT INTO users (id, language, blocked, created_at, updated_at) "
            "VALUES (?, 'kk', 0, ?, ?)",
            ((1_000_000 + n, stamp(NOW), stamp(NOW)) for n in range(owners)),
        )
        chunk = 100_000
        for first in range(1, count + 1, chunk):
            last = min(first + chunk - 1, count)
            connection.executemany(
                "INSERT INTO appeals (id, number, user_id, applicant_name, applicant_kind, "
                "applicant_iin_bin, applicant_company, applicant_phone, appeal_type, category, "
                "locality, body, description, confidential, status, registered_at, due_at, "
                "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [appeal_row(count, n, rng) for n in range(first, last + 1)],
            )
        # Two status events per appeal (registered, then its status), one attachment each.
        connection.execute(
            "INSERT INTO appeal_events (appeal_id, kind, actor_kind, from_status, to_status, "
            "created_at) SELECT id, 'status', 'system', NULL, 'registered', created_at "
            "FROM appeals"
        )
        connection.execute(
            "INSERT INTO appeal_events (appeal_id, kind, actor_kind, actor_name, from_status, "
            "to_status, created_at) SELECT id, 'status', 'staff', 'Дина', 'registered', status, "
            "updated_at FROM appeals WHERE status != 'registered'"
        )
        connection.execute(
            "INSERT INTO attachments (appeal_id, file_id, file_unique_id, kind, position, "
            "created_at) SELECT id, 'AgAD' || id, 'u' || id, 'photo', 0, created_at FROM appeals"
        )
    connection.execute("ANALYZE")
    connection.close()
    return time.perf_counter() - started


async def digest(session: AsyncSession, now: datetime) -> tuple[int, int, int]:
    """A daily digest: registered in the last day, due within 3 days, overdue."""
    return (await registered_since(session, now), *await due_and_overdue(session, now))


async def registered_since(session: AsyncSession, now: datetime) -> int:
    # The bot's digest counts "new" by created_at, which is indexed (registered_at is not).
    registered = await session.scalar(
        select(func.count()).select_from(Appeal).where(Appeal.created_at >= now - timedelta(1))
    )
    return registered or 0


async def due_and_overdue(session: AsyncSession, now: datetime) -> tuple[int, int]:
    open_values = [s.value for s in OPEN_STATUSES]
    due_soon = await session.scalar(
        select(func.count())
        .select_from(Appeal)
        .where(
            Appeal.status.in_(open_values),
            Appeal.due_at >= now,
            Appeal.due_at < now + timedelta(days=3),
        )
    )
    overdue = await session.scalar(
        select(func.count())
        .select_from(Appeal)
        .where(Appeal.status.in_(open_values), Appeal.due_at < now)
    )
    return due_soon or 0, overdue or 0


Query = Callable[[AsyncSession, random.Random], Awaitable[object]]


async def q_my(session: AsyncSession, rng: random.Random, owners: int) -> object:
    return await owner_page(session, 1_000_000 + rng.randrange(owners), 0)


async def q_card(session: AsyncSession, rng: random.Random, count: int) -> object:
    appeal_id = rng.randint(1, count)
    appeal = await owner_appeal(session, 1_000_000 + (appeal_id - 1) // PER_OWNER, appeal_id)
    assert appeal is not None
    return await card_data(session, appeal)


async def time_queries(path: Path, count: int, repeats: int) -> dict[str, float]:
    """Median milliseconds per call of each query (warm cache)."""
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    db = make_sessionmaker(engine)
    owners = -(-count // PER_OWNER)
    queries: dict[str, Callable[[AsyncSession, random.Random], Awaitable[object]]] = {
        "/my (owner_page)": lambda s, r: q_my(s, r, owners),
        "card (owner_appeal + card_data)": lambda s, r: q_card(s, r, count),
        "/open (open_appeals)": lambda s, r: open_appeals(s, NOW),
        "digest: registered in the last day": lambda s, r: registered_since(s, NOW),
        "digest: due within 3 days + overdue": lambda s, r: due_and_overdue(s, NOW),
        "digest (build_digest, the bot's own)": lambda s, r: build_digest(
            s, STAFF_T, CALENDAR, NOW, NOW - timedelta(days=1)
        ),
    }
    results: dict[str, float] = {}
    try:
        async with db() as session:
            for name, query in queries.items():
                rng = random.Random(7)
                for _ in range(3):  # warm the page cache and the statement cache
                    await query(session, rng)
                    session.expunge_all()
                times = []
                for _ in range(repeats):
                    started = time.perf_counter()
                    await query(session, rng)
                    times.append(time.perf_counter() - started)
                    session.expunge_all()
                results[name] = 1000 * statistics.median(times)
            results["_open_rows"] = len(await open_appeals(session, NOW))
            results["_digest"] = sum(await digest(session, NOW))
    finally:
        await engine.dispose()
    return results


async def build(workdir: Path, count: int) -> tuple[Path, float]:
    path = workdir / f"appeals-{count}.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade_to_head(engine)
    await engine.dispose()
    seconds = await asyncio.to_thread(generate, path, count)
    return path, seconds


async def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-b3-"))
    sizes = [args.small, args.large]
    timings = {}
    notes = []
    for size in sizes:
        path, seconds = await build(workdir, size)
        mb = path.stat().st_size / 1024 / 1024
        notes.append(f"{size:,} appeals: generated in {seconds:.0f} s, {mb:.0f} MB")
        timings[size] = await time_queries(path, size, args.repeats)
        path.unlink()
    small, large = timings[args.small], timings[args.large]
    rows = []
    missed = []
    for name in (k for k in small if not k.startswith("_")):
        ratio = large[name] / small[name]
        if ratio > 1.5:
            missed.append(name)
        rows.append(
            [name, f"{small[name]:.2f}", f"{large[name]:.2f}", f"{ratio:.1f}", _mark(ratio)]
        )
    headers = [
        "query",
        f"{args.small:,} appeals, ms",
        f"{args.large:,} appeals, ms",
        "ratio",
        "target <= 1.5",
    ]
    body = "\n\n".join(
        [
            f"Median of {args.repeats} calls each, warm cache, one AsyncSession (aiosqlite). "
            f"Same working set at both sizes: {WORKING_SET} open appeals, {RECENT} registered "
            "in the last day; the rest is closed history. " + "; ".join(notes) + ".",
            table(headers, rows),
            "Missed: " + ", ".join(missed) + "." if missed else "Every query met the target.",
        ]
    )
    headline = f"at {args.large:,} appeals: " + ", ".join(
        f"{name} {large[name]:.2f} ms" for name in small if not name.startswith("_")
    )
    headline += f" ({'every ratio <= 1.5' if not missed else 'missed: ' + ', '.join(missed)})."
    write_section("b3_growth", "B3 data growth", body, enabled=not args.no_write, headline=headline)


def _mark(ratio: float) -> str:
    return "met" if ratio <= 1.5 else "MISSED"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.b3_growth", description=__doc__)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="10,000 against 100,000")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/")
    args = parser.parse_args(argv)
    if args.quick:
        args.large = min(args.large, 100_000)
        args.repeats = min(args.repeats, 50)
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
