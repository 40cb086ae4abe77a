"""B1 intake: N concurrent owners file whole appeals against the real bot process.

The same owners (same updates, same emulator) then drive a minimal aiogram echo bot, the
framework's floor; our cost per update is reported as a ratio to it.

Two phases per bot: "paced" owners think 0.5-1.5 x ``--think`` seconds between steps (a burst
of people all typing at once; real people take far longer), "saturated" owners answer at once
(closed loop: the bot's maximum throughput, latency is then mostly queueing).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.common import (
    Process,
    cpu_seconds,
    fresh_postgres,
    memory_kb,
    operator_group,
    percentile,
    table,
    write_section,
)
from bench.owners import DIALOGUE, Inbox, Owner, add_owners, run_owners
from bench.profiling import record, summary
from bot.migrate import upgrade_to_head
from bot.sandbox.emulator import BotAPIEmulator
from bot.telegram.ratelimit import Limits
from models.db import make_engine

IDLE_CALLS = {"getUpdates", "getMe", "getWebhookInfo", "deleteWebhook"}


@dataclass
class Phase:
    bot: str
    name: str
    owners: int
    completed: int
    updates: int
    seconds: float
    cpu: float
    latencies: list[float]
    errors: list[str]
    calls: Counter[str]

    @property
    def calls_per_update(self) -> float:
        return sum(self.calls.values()) / max(1, self.updates)

    def call_mix(self) -> str:
        per = {method: count / max(1, self.updates) for method, count in self.calls.items()}
        return ", ".join(f"{m} {v:.2f}" for m, v in sorted(per.items(), key=lambda kv: -kv[1]))

    @property
    def per_update_ms(self) -> float:
        return 1000 * self.cpu / max(1, self.updates)

    def row(self) -> list[str]:
        ms = [1000 * percentile(self.latencies, p) for p in (0.5, 0.95, 0.99)]
        per_appeal = self.cpu / self.completed if self.completed else float("nan")
        return [
            self.bot,
            self.name,
            f"{self.completed}/{self.owners}",
            str(self.updates),
            f"{self.updates / self.seconds:.0f}",
            *(f"{value:.0f}" for value in ms),
            f"{self.per_update_ms:.2f}",
            f"{self.calls_per_update:.2f}",
            f"{per_appeal:.3f}" if self.bot != "echo floor" else "—",
        ]


def p99(phase: Phase) -> float:
    return percentile(phase.latencies, 0.99)


async def run_phase(
    emu: BotAPIEmulator,
    inbox: Inbox,
    process: Process,
    bot: str,
    name: str,
    count: int,
    think: float,
    *,
    echo: bool,
    seed: int,
) -> Phase:
    rng = random.Random(seed)
    users = add_owners(emu, count)
    owners = [
        Owner(emu, inbox, user, think=think, echo=echo, rng=random.Random(rng.random()))
        for user in users
    ]
    cpu_before = cpu_seconds(process.pid)
    calls_before = len(emu.calls)
    seconds = await run_owners(owners)
    # What the bot still does for the last answers (commits, cards) belongs to this phase.
    await asyncio.sleep(0.5)
    cpu = cpu_seconds(process.pid) - cpu_before
    # Bot API calls the updates caused (polling itself is not an answer).
    calls = Counter(
        call["method"] for call in emu.calls[calls_before:] if call["method"] not in IDLE_CALLS
    )
    results = [owner.result for owner in owners]
    completed = sum(1 for r in results if r.step == len(DIALOGUE) and r.error is None)
    return Phase(
        bot,
        name,
        count,
        completed,
        sum(r.updates for r in results),
        seconds,
        cpu,
        [latency for r in results for latency in r.latencies],
        [r.error for r in results if r.error],
        calls,
    )


async def measure(
    emu: BotAPIEmulator,
    inbox: Inbox,
    process: Process,
    bot: str,
    owners: int,
    think: float,
    *,
    echo: bool,
    saturate: bool,
    profile: Path | None,
) -> tuple[list[Phase], dict[str, int]]:
    await process.start()
    await asyncio.sleep(2.0)  # start-up work (commands, sweeps) is not the load
    idle = memory_kb(process.pid)
    spy = await record(process.pid, 25, profile) if profile and not saturate else None
    phases = [await run_phase(emu, inbox, process, bot, "paced", owners, think, echo=echo, seed=1)]
    if spy is not None:
        await spy.wait()
    if saturate:
        spy = await record(process.pid, 25, profile) if profile else None
        phases.append(
            await run_phase(emu, inbox, process, bot, "saturated", owners, 0.0, echo=echo, seed=2)
        )
        if spy is not None:
            await spy.wait()
    memory = memory_kb(process.pid)
    memory["idle"] = idle["VmRSS"]
    await process.stop()
    return phases, memory


def limit_env(scale: float) -> dict[str, str]:
    """The bot's own pacing under Telegram's limits, times ``scale``. At 1 (Telegram's real
    limits) a private chat gets about one message a second, so an owner who answers at once
    waits for the limiter, not for the bot; the echo floor has no limiter at all."""
    limits = Limits().scaled(scale)
    return {
        "RATE_TOTAL_PER_SECOND": str(limits.total_per_s),
        "RATE_PRIVATE_PER_SECOND": str(limits.private_per_s),
        "RATE_GROUP_PER_MINUTE": str(limits.group_per_min),
    }


@dataclass
class Run:
    label: str
    phases: list[Phase]
    memory: dict[str, int]
    profile: str


async def run_bot(
    args: argparse.Namespace, label: str, database_url: str | None, *, echo: bool
) -> Run:
    """One bot (ours on one database, or the echo floor) on a fresh emulator and database."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-b1-"))
    emu = BotAPIEmulator(seed=11)
    await emu.start()
    inbox = Inbox(emu)
    try:
        if echo:
            process = Process(emu, workdir, "bench.echo_bot")
        else:
            if database_url is not None:  # PostgreSQL is migrated by the operator, not at start
                engine = make_engine(database_url)
                await upgrade_to_head(engine)
                await engine.dispose()
            group = operator_group(emu)
            env = {"OPERATOR_CHAT_ID": str(group), **limit_env(args.limit_scale)}
            process = Process(emu, workdir, "bot", env, database_url=database_url)
        profile = workdir / "b1-bot.collapsed" if args.profile and not echo else None
        phases, memory = await measure(
            emu,
            inbox,
            process,
            label,
            args.owners,
            args.think,
            echo=echo,
            saturate=args.saturate,
            profile=profile,
        )
        return Run(label, phases, memory, summary(profile) if profile is not None else "")
    finally:
        inbox.close()
        await emu.stop()


async def main(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    runs = [await run_bot(args, "adal bot, SQLite", None, echo=False)]
    if args.postgres:
        async with fresh_postgres(args.postgres, "bench_b1") as url:
            runs.append(await run_bot(args, "adal bot, PostgreSQL", url, echo=False))
    runs.append(await run_bot(args, "echo floor", None, echo=True))
    echo_phases = runs[-1].phases
    elapsed = time.perf_counter() - started

    headers = [
        "bot",
        "phase",
        "appeals done",
        "updates",
        "updates/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "CPU ms/update",
        "Bot API calls/update",
        "CPU s/appeal",
    ]
    rows = [phase.row() for run in runs for phase in run.phases]

    def tail(phase: Phase) -> float:
        return percentile(phase.latencies, 0.99)

    ratios = [
        [
            run.label,
            ours.name,
            f"{ours.per_update_ms / max(1e-9, floor.per_update_ms):.1f}",
            f"{tail(ours) / max(1e-9, tail(floor)):.1f}",
            f"{ours.updates / ours.seconds / max(1e-9, floor.updates / floor.seconds):.2f}",
        ]
        for run in runs[:-1]
        for ours, floor in zip(run.phases, echo_phases, strict=True)
    ]
    mixes = [
        f"- {run.label}, {phase.name}: {phase.call_mix()}" for run in runs for phase in run.phases
    ]
    sqlite_phases = runs[0].phases
    paced = sqlite_phases[0]
    p99 = 1000 * tail(paced)
    verdicts = [
        f"CPU ratio to the echo floor, {phase.name}: "
        f"{phase.per_update_ms / max(1e-9, floor.per_update_ms):.1f} (target <= 3: "
        f"{'met' if phase.per_update_ms <= 3 * floor.per_update_ms else 'MISSED'})"
        for phase, floor in zip(sqlite_phases, echo_phases, strict=True)
    ]
    verdicts.append(
        f"paced p99 {p99:.0f} ms (target <= 250 ms: {'met' if p99 <= 250 else 'MISSED'})"
    )
    if len(sqlite_phases) > 1:
        saturated = sqlite_phases[1]
        rate = saturated.updates / saturated.seconds
        verdicts.append(
            f"saturated {rate:.0f} updates/s (target >= 200: {'met' if rate >= 200 else 'MISSED'})"
        )
    errors = [e for run in runs for phase in run.phases for e in phase.errors]
    body = "\n\n".join(
        [
            f"{args.owners} owners at once, 17 updates each (/start ... Submit, one photo); "
            f"paced: think time {0.5 * args.think:.1f}-{1.5 * args.think:.1f} s per step; "
            "saturated: none (closed loop, the instance's maximum). Latency = injected update "
            "to the bot's first message back (stamped inside the emulator). CPU = utime+stime "
            "of the bot process (/proc/<pid>/stat) during the phase, start-up excluded "
            "(PostgreSQL's own processes are not counted). Bot API calls = every call but "
            "getUpdates, per update. Each bot runs on its own fresh emulator and database. "
            f"The bot's own pacing under Telegram's limits is scaled x{args.limit_scale:g} "
            "(`--limit-scale`; the emulator does not enforce limits here): at Telegram's real "
            "limits a private chat gets about one message a second, so a closed-loop owner "
            "would measure our limiter (1.5 messages an update: at most ~0.7 updates/s per "
            "owner, 20 updates/s in all under the 30 messages/s total), not the bot's work.",
            table(headers, rows),
            table(
                [
                    "bot",
                    "phase",
                    "CPU per update, ours / echo",
                    "p99, ours / echo",
                    "updates/s, ours / echo",
                ],
                ratios,
            ),
            "Bot API calls per update by method:\n\n" + "\n".join(mixes),
            table(
                ["bot", "RSS idle MB", "RSS after MB", "peak RSS MB"],
                [
                    [
                        run.label,
                        f"{run.memory['idle'] / 1024:.1f}",
                        f"{run.memory['VmRSS'] / 1024:.1f}",
                        f"{run.memory['VmHWM'] / 1024:.1f}",
                    ]
                    for run in runs
                ],
            ),
            f"Targets (SQLite, {args.owners} owners): "
            + "; ".join(verdicts)
            + f". Owners that did not finish: {len(errors)}"
            + (f" (first: {errors[0]})" if errors else "")
            + f". Whole run {elapsed:.0f} s.",
        ]
    )
    if runs[0].profile:
        body += "\n\nProfile of the bot process (SQLite), first 25 s of load (py-spy):\n\n"
        body += runs[0].profile
    headline = "; ".join(
        f"{run.label}, {phase.name}: {phase.per_update_ms:.2f} ms CPU per update "
        f"({phase.per_update_ms / max(1e-9, floor.per_update_ms):.1f} x the floor's "
        f"{floor.per_update_ms:.2f}), {phase.updates / phase.seconds:.0f} updates/s, "
        f"p99 {1000 * tail(phase):.0f} ms, {phase.calls_per_update:.2f} calls per update"
        for run in runs[:-1]
        for phase, floor in zip(run.phases, echo_phases, strict=True)
    )
    headline = f"{args.owners} owners; {headline}."
    write_section("b1_intake", "B1 intake", body, enabled=not args.no_write, headline=headline)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.b1_intake", description=__doc__)
    parser.add_argument("--owners", type=int, default=60)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between steps")
    parser.add_argument("--quick", action="store_true", help="20 owners")
    parser.add_argument(
        "--no-saturate", dest="saturate", action="store_false", help="skip the closed-loop phase"
    )
    parser.add_argument(
        "--limit-scale",
        type=float,
        default=100.0,
        help="the bot's Telegram limits times this (1 = Telegram's; the echo bot has none)",
    )
    parser.add_argument(
        "--postgres",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/test",
        help="a PostgreSQL server (any database on it); '' to skip the PostgreSQL run",
    )
    parser.add_argument("--profile", action="store_true", help="py-spy the bot for 25 s")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/")
    args = parser.parse_args(argv)
    if args.quick:
        args.owners = min(args.owners, 20)
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
