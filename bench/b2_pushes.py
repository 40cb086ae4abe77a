"""B2 pushes: N due notifications to N owners under Telegram's limits scaled tenfold.

Run at several backlog sizes (3,000 and 30,000 by default): the time per message must not grow
with the backlog (the worker claims due rows in batches and never scans every chat).

The outbox rows are written straight into a migrated database; the bot's own Sender
(bot/telegram/sender.py, its RateLimiter scaled by the same factor as the emulator) sends
them from its own process. The emulator enforces 30/s in total and 1/s per chat, times the
scale, and answers 429 to anything over.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.common import Process, table, write_section
from bench.profiling import record, summary
from bot.migrate import upgrade_to_head
from bot.sandbox.emulator import BotAPIEmulator
from bot.telegram.outbox import message_params
from bot.telegram.ratelimit import Limits
from models import OutboxMessage, OutboxState, User, utcnow
from models.db import make_engine, make_sessionmaker


async def prepare(url: str, owners: list[int], messages: int) -> None:
    """``messages`` notifications per owner, all due now, in one transaction."""
    engine = make_engine(url)
    await upgrade_to_head(engine)
    db = make_sessionmaker(engine)
    now = utcnow()
    async with db.begin() as session:
        session.add_all(User(id=owner, language="ru") for owner in owners)
        await session.flush()
        session.add_all(
            OutboxMessage(
                chat_id=owner,
                kind="status",
                method="sendMessage",
                payload=message_params(f"Обращение 2026-{owner % 1_000_000:06d}: статус #{n}")[1],
                due_at=now,
                state=OutboxState.PENDING.value,
                created_at=now,
            )
            for n in range(messages)
            for owner in owners
        )
    await engine.dispose()


class Deliveries:
    """Every message the bot delivered, stamped, counted per chat and text."""

    def __init__(self, emu: BotAPIEmulator) -> None:
        self.texts: Counter[tuple[int, str]] = Counter()
        self.first = 0.0
        self.last = 0.0
        emu.listeners.append(self._on_event)

    def _on_event(self, event: dict[str, object]) -> None:
        message = event.get("message")
        if event.get("type") != "new" or not isinstance(message, dict):
            return
        if not message["from_bot"]:
            return
        now = time.perf_counter()
        self.first = self.first or now
        self.last = now
        self.texts[(int(message["chat_id"]), str(message["text"]))] += 1


async def run(
    owners: int,
    per_owner: int,
    scale: float,
    workdir: Path,
    faults: dict[str, float] | None = None,
    seed: int = 5,
    profile: Path | None = None,
) -> dict[str, float]:
    emu = BotAPIEmulator(seed=seed)
    await emu.start()
    try:
        users = [emu.add_user(f"Owner {n}", language_code="ru") for n in range(owners)]
        url = f"sqlite+aiosqlite:///{workdir / 'push.db'}"
        await prepare(url, users, per_owner)
        deliveries = Deliveries(emu)
        worker = Process(
            emu,
            workdir,
            "bench.push_worker",
            {"DATABASE_URL": url, "PUSH_SCALE": str(scale), "PUSH_BACKOFF": "0.2"},
        )
        # getMe is the worker's first call: it is ready, the limits start counting now.
        emu.set_rate_limits(scale=scale, enforce=True)
        for kind, probability in (faults or {}).items():
            delay = 0.5 if kind == "timeout" else 0.0
            emu.inject_fault(kind, count=None, probability=probability, delay=delay)
        seen = len(emu.calls)
        await worker.start_when(lambda: any(c["method"] == "getMe" for c in emu.calls[seen:]))
        assert worker.process is not None
        spy = await record(worker.pid, 20, profile) if profile else None
        await asyncio.wait_for(worker.process.wait(), timeout=max(120, owners * per_owner))
        if spy is not None:
            await spy.wait()
        report = json.loads(worker.log().strip().splitlines()[-1])
        expected = {
            (user, f"Обращение 2026-{user % 1_000_000:06d}: статус #{n}")
            for user in users
            for n in range(per_owner)
        }
        delivered = deliveries.texts
        return {
            "messages": len(expected),
            "seconds": report["seconds"],
            "cpu": report["cpu"],
            "span": deliveries.last - deliveries.first,
            "lost": sum(1 for key in expected if delivered[key] == 0),
            "duplicates": sum(count - 1 for key, count in delivered.items() if count > 1),
            "unexpected": sum(1 for key in delivered if key not in expected),
            "429": sum(1 for v in emu.rate_limit_violations if v["enforced"]),
            "faults": sum(1 for c in emu.calls if c.get("fault")),
        }
    finally:
        await emu.stop()


def row(result: dict[str, float], scale: float) -> tuple[list[str], bool]:
    allowed = Limits().scaled(scale).total_per_s
    minimum = result["messages"] / allowed
    share = minimum / result["seconds"]
    met = share >= 0.95 and result["429"] == 0 and result["lost"] == 0
    met = met and result["duplicates"] == 0
    cells = [
        f"{result['messages']:.0f}",
        f"{allowed:.0f}/s total, {scale:.0f}/s per chat",
        f"{result['seconds']:.1f}",
        f"{minimum:.1f}",
        f"{share:.2f}",
        f"{result['span']:.1f}",
        f"{1000 * result['cpu'] / result['messages']:.2f}",
        f"{result['429']:.0f}",
        f"{result['lost']:.0f}",
        f"{result['duplicates']:.0f}",
        "met" if met else "MISSED",
    ]
    return cells, met


async def main(args: argparse.Namespace) -> None:
    rows = []
    profiles: list[str] = []
    for owners in args.owners:
        workdir = Path(tempfile.mkdtemp(prefix="bench-b2-"))
        profile = workdir / "b2-worker.collapsed" if args.profile else None
        result = await run(owners, 1, args.scale, workdir, profile=profile)
        cells, _ = row(result, args.scale)
        rows.append(cells)
        print(" | ".join(cells), flush=True)
        if profile is not None:
            profiles.append(f"{owners} messages:\n\n" + summary(profile))
    headers = [
        "messages",
        "allowed rate",
        "total s",
        "minimum s",
        "share of allowed rate",
        "first to last delivery s",
        "worker CPU ms/message",
        "429 caused",
        "lost",
        "sent twice",
        "target",
    ]
    body = "\n\n".join(
        [
            "One due notification per owner, delivered by the bot's DeliveryWorker in its own "
            "process (limiter scaled by the same factor as the emulator's limits). Total = "
            "worker start to empty outbox; CPU = the worker process's utime+stime meanwhile. "
            "Target per row: >= 0.95 of the allowed rate, zero 429, zero lost, zero sent "
            "twice; and CPU per message does not grow with the backlog.",
            table(headers, rows),
        ]
    )
    if profiles:
        body += "\n\nProfile of the worker process (py-spy):\n\n" + "\n\n".join(profiles)
    headline = "; ".join(
        f"{cells[0]} messages: {cells[4]} of the allowed rate, {cells[6]} ms worker CPU per "
        f"message, {cells[7]} 429, {cells[8]} lost, {cells[9]} twice"
        for cells in rows
    )
    write_section("b2_pushes", "B2 pushes", body, enabled=not args.no_write, headline=headline)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.b2_pushes", description=__doc__)
    parser.add_argument(
        "--owners", type=int, nargs="+", default=[3000, 30000], help="backlog sizes, one run each"
    )
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="600 and 3,000 owners")
    parser.add_argument("--profile", action="store_true", help="py-spy the worker")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/")
    args = parser.parse_args(argv)
    if args.quick:
        args.owners = [600, 3000]
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
