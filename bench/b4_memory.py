"""B4 memory: RSS of the bot process with 10,000 dialogues in progress against an idle bot.

The dialogues are written as fsm_states rows (each owner half way through the appeal, at the
description step, with the answers so far) and users rows, then touched: each owner sends a
sticker, which makes the bot load the dialogue and ask the step's question again. Touching
costs the bot one full update each (~30 a second), so by default 5,000 owners do it and the
rest is projected from the growth per dialogue; ``--touch 10000`` touches every one (~6 min).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench.common import Process, memory_kb, operator_group, table, write_section
from bench.owners import ANSWERS, PATH, Inbox, contains
from bot.domain import form
from bot.migrate import upgrade_to_head
from bot.sandbox.texts import frag
from models.db import make_engine


def _half_way() -> dict[str, Any]:
    """The dialogue data of an owner at the description step: the steps before it answered
    (bench.owners' answers, stored as the form stores them)."""
    history = PATH[: PATH.index("description")]
    data: dict[str, Any] = {"history": history}
    facts = form.Facts(answers=ANSWERS, today=date.today())
    for name in history:
        step = form.step(name)
        raw = ANSWERS.get(name) or step.example
        if step.options:
            data.update(step.answers_for(raw))
        elif step.check is not None and step.field:
            value = step.check(raw, facts)
            assert isinstance(value, str), (name, value)
            data[step.field] = value
    return data


DATA = _half_way()


def fill(path: Path, owners: list[int], bot_id: int) -> None:
    now = "2026-03-02 06:00:00.000000"
    connection = sqlite3.connect(path)
    with connection:
        connection.executemany(
            "INSERT INTO users (id, language, full_name, applicant_kind, phone, iin_bin, "
            "consent_at, consent_version, blocked, created_at, updated_at) "
            "VALUES (?, 'kk', ?, 'ie', ?, ?, ?, '1', 0, ?, ?)",
            [
                (owner, DATA["full_name"], DATA["phone"], DATA["iin_bin"], now, now, now)
                for owner in owners
            ],
        )
        connection.executemany(
            "INSERT INTO fsm_states (key, state, data, updated_at) VALUES (?, ?, ?, ?)",
            [
                (
                    f"fsm:{bot_id}:{owner}:{owner}:default",
                    "NewAppeal:description",
                    json.dumps(DATA),
                    now,
                )
                for owner in owners
            ],
        )
    connection.close()


async def touch(inbox: Inbox, owners: list[int], concurrency: int = 40) -> int:
    """Every owner sends a sticker and waits for the description question; returns failures."""
    question = contains(frag("kk", "form.description.question"))
    gate = asyncio.Semaphore(concurrency)
    failures = 0

    async def one(owner: int) -> None:
        nonlocal failures
        async with gate:
            mark = inbox.mark(owner)
            inbox.emu.send_sticker(owner)
            try:
                await inbox.wait(owner, mark, question, 60)
            except TimeoutError:
                failures += 1

    await asyncio.gather(*(one(owner) for owner in owners))
    return failures


async def main(args: argparse.Namespace) -> None:
    from bot.sandbox.emulator import BotAPIEmulator

    workdir = Path(tempfile.mkdtemp(prefix="bench-b4-"))
    emu = BotAPIEmulator(seed=3)
    await emu.start()
    inbox = Inbox(emu)
    group = operator_group(emu)
    owners = [emu.add_user(f"Owner {n}", language_code="kk") for n in range(args.dialogues)]
    db_path = workdir / "bot.db"
    engine = make_engine(f"sqlite+aiosqlite:///{db_path}")
    await upgrade_to_head(engine)
    await engine.dispose()
    bot = Process(emu, workdir, "bot", {"OPERATOR_CHAT_ID": str(group)})
    samples: list[list[str]] = []
    try:
        # Idle: the same bot, started on the same (still empty) database, after one update.
        await bot.start()
        await asyncio.sleep(2)
        idle = memory_kb(bot.pid)["VmRSS"]
        await bot.stop()
        fill(db_path, owners, int(emu.token.split(":", 1)[0]))
        await bot.start()
        await asyncio.sleep(2)
        loaded = memory_kb(bot.pid)["VmRSS"]
        samples.append(["0 (rows stored, not touched)", f"{loaded / 1024:.1f}", "—"])
        started = time.perf_counter()
        touched = 0
        failures = 0
        steps = sorted({min(args.touch, n) for n in (args.touch // 3, 2 * args.touch // 3)})
        curve: list[tuple[int, int]] = []
        for target in [*steps, args.touch]:
            failures += await touch(inbox, owners[touched:target])
            touched = target
            await asyncio.sleep(1)
            rss = memory_kb(bot.pid)["VmRSS"]
            curve.append((touched, rss))
            per = (rss - loaded) / max(1, touched)
            samples.append([f"{touched:,} touched", f"{rss / 1024:.1f}", f"{per:.2f}"])
        seconds = time.perf_counter() - started
        final = memory_kb(bot.pid)
        await bot.stop()
    finally:
        inbox.close()
        await emu.stop()
    rss = final["VmRSS"]
    # Growth per dialogue after the first third (warm-up: caches, pools) goes on linearly.
    (first_n, first_rss), (last_n, last_rss) = curve[0], curve[-1]
    slope = (last_rss - first_rss) / (last_n - first_n) if last_n > first_n else 0.0
    projected = rss + slope * (args.dialogues - touched)
    above = (projected - idle) / 1024
    body = "\n\n".join(
        [
            f"{args.dialogues:,} dialogues stored (fsm_states + users rows, description step); "
            f"{touched:,} of them touched through the emulator in {seconds:.0f} s "
            f"({failures} did not get the question back). Idle bot: {idle / 1024:.1f} MB RSS.",
            table(["dialogues touched", "RSS MB", "KiB per touched dialogue"], samples),
            f"Peak RSS {final['VmHWM'] / 1024:.1f} MB; growth after the first third "
            f"{slope:.1f} KiB per dialogue. With all {args.dialogues:,} touched "
            f"({'measured' if touched == args.dialogues else 'projected'}): "
            f"{projected / 1024:.1f} MB, {above:.1f} MB above idle "
            f"(target < 100 MB: {'met' if above < 100 else 'MISSED'}).",
        ]
    )
    headline = (
        f"{args.dialogues:,} dialogues ({touched:,} touched): {projected / 1024:.1f} MB RSS, "
        f"{above:.1f} MB above idle."
    )
    write_section("b4_memory", "B4 memory", body, enabled=not args.no_write, headline=headline)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.b4_memory", description=__doc__)
    parser.add_argument("--dialogues", type=int, default=10_000)
    parser.add_argument("--touch", type=int, default=5_000)
    parser.add_argument("--quick", action="store_true", help="touch 600")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/")
    args = parser.parse_args(argv)
    if args.quick:
        args.touch = min(args.touch, 600)
    args.touch = min(args.touch, args.dialogues)
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
