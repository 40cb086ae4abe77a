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
from dataclasses import dataclass
from pathlib import Path

from bench.common import (
    Process,
    cpu_seconds,
    memory_kb,
    operator_group,
    percentile,
    table,
    write_section,
)
from bench.owners import DIALOGUE, Inbox, Owner, add_owners, run_owners
from bench.profiling import record, summary
from bot.sandbox.emulator import BotAPIEmulator


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
            f"{per_appeal:.3f}" if self.bot == "adal bot" else "—",
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
    seconds = await run_owners(owners)
    # What the bot still does for the last answers (commits, cards) belongs to this phase.
    await asyncio.sleep(0.5)
    cpu = cpu_seconds(process.pid) - cpu_before
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
    await asyncio.sleep(1.0)  # start-up work (commands, sweeps) is not the load
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


async def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-b1-"))
    emu = BotAPIEmulator(seed=11)
    await emu.start()
    inbox = Inbox(emu)
    group = operator_group(emu)
    ours = Process(emu, workdir, "bot", {"OPERATOR_CHAT_ID": str(group)})
    echo = Process(emu, workdir, "bench.echo_bot")
    profile = workdir / "b1-bot.collapsed" if args.profile else None
    started = time.perf_counter()
    try:
        our_phases, our_memory = await measure(
            emu,
            inbox,
            ours,
            "adal bot",
            args.owners,
            args.think,
            echo=False,
            saturate=args.saturate,
            profile=profile,
        )
        echo_phases, echo_memory = await measure(
            emu,
            inbox,
            echo,
            "echo floor",
            args.owners,
            args.think,
            echo=True,
            saturate=args.saturate,
            profile=None,
        )
    finally:
        inbox.close()
        await emu.stop()
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
        "CPU s/appeal",
    ]
    rows = [phase.row() for phase in [*our_phases, *echo_phases]]

    def tail(phase: Phase) -> float:
        return percentile(phase.latencies, 0.99)

    ratios = [
        [
            ours_phase.name,
            f"{ours_phase.per_update_ms / max(1e-9, echo_phase.per_update_ms):.1f}",
            f"{tail(ours_phase) / max(1e-9, tail(echo_phase)):.1f}",
        ]
        for ours_phase, echo_phase in zip(our_phases, echo_phases, strict=True)
    ]
    paced = our_phases[0]
    p99 = 1000 * percentile(paced.latencies, 0.99)
    ratio = paced.per_update_ms / max(1e-9, echo_phases[0].per_update_ms)
    errors = [e for phase in [*our_phases, *echo_phases] for e in phase.errors]
    body = "\n\n".join(
        [
            f"{args.owners} owners at once, 17 updates each (/start ... Submit, one photo); "
            f"paced: think time {0.5 * args.think:.1f}-{1.5 * args.think:.1f} s per step; "
            "saturated: none. Latency = injected update to the bot's first message back "
            "(stamped inside the emulator). CPU = utime+stime of the bot process "
            "(/proc/<pid>/stat) during the phase, start-up excluded.",
            table(headers, rows),
            table(["phase", "CPU per update, ours / echo", "p99, ours / echo"], ratios),
            table(
                ["bot", "RSS idle MB", "RSS after MB", "peak RSS MB"],
                [
                    [
                        name,
                        f"{memory['idle'] / 1024:.1f}",
                        f"{memory['VmRSS'] / 1024:.1f}",
                        f"{memory['VmHWM'] / 1024:.1f}",
                    ]
                    for name, memory in (("adal bot", our_memory), ("echo floor", echo_memory))
                ],
            ),
            f"Targets (paced, {args.owners} owners): CPU ratio to the echo floor "
            f"{ratio:.1f} (target <= 3: {'met' if ratio <= 3 else 'MISSED'}); "
            f"p99 {p99:.0f} ms (target < 100 ms: {'met' if p99 < 100 else 'MISSED'}). "
            f"Owners that did not finish: {len(errors)}"
            + (f" (first: {errors[0]})" if errors else "")
            + f". Whole run {elapsed:.0f} s.",
        ]
    )
    if profile is not None:
        body += "\n\nProfile of the bot process, first 25 s of load (py-spy):\n\n" + summary(
            profile
        )
    write_section("b1_intake", "B1 intake", body, enabled=not args.no_write)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.b1_intake", description=__doc__)
    parser.add_argument("--owners", type=int, default=200)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between steps")
    parser.add_argument("--quick", action="store_true", help="40 owners")
    parser.add_argument("--saturate", action="store_true", help="add a closed-loop phase")
    parser.add_argument("--profile", action="store_true", help="py-spy the bot for 25 s")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/")
    args = parser.parse_args(argv)
    if args.quick:
        args.owners = min(args.owners, 40)
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
