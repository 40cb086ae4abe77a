"""Crash under load: SIGKILL the real bot process at random moments of an intake load.

`python -m bench.crash_restarts` runs 100 owners and 20 restarts (~4-5 min: each restart costs
the ~7 s start-up); tests/reliability/test_crash.py runs the same scenario with fewer.

Checked afterwards: every owner who got a receipt has exactly one appeal with that number,
every appeal's owner got exactly one receipt, owners whose messages went unanswered carried on
from where the dialogue stands (they probe with a sticker, as a person would write again), and
owners left half way before the crashes are still at their step (database and chat).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import Process, operator_group, table, write_section
from bench.owners import (
    DIALOGUE,
    QUESTIONS,
    Inbox,
    Owner,
    OwnerResult,
    add_owners,
    contains,
    frag,
    receipt_number,
)
from bot.sandbox.emulator import BotAPIEmulator

# Parked owners stop after this many actions: one per dialogue step, consent .. summary.
PARK_STEPS = list(range(3, len(DIALOGUE)))


@dataclass
class CrashOutcome:
    restarts: int
    seconds: float
    results: list[OwnerResult]
    receipts: dict[int, list[str]]
    appeals: dict[int, list[str]]
    parked: dict[int, tuple[str, str | None, bool]] = field(default_factory=dict)
    errors_in_log: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        found = []
        for result in self.results:
            if result.receipt is None:
                found.append(f"owner {result.user_id} could not finish: {result.error}")
        owners = {r.user_id for r in self.results}
        for user in owners:
            got = self.receipts.get(user, [])
            if got and self.appeals.get(user, []) != got[:1]:
                found.append(f"owner {user}: receipts {got}, appeals {self.appeals.get(user)}")
            if len(got) > 1:
                found.append(f"owner {user} got {len(got)} receipts: {got}")
        for user, numbers in self.appeals.items():
            if self.receipts.get(user, []) != numbers:
                found.append(f"appeals {numbers} of {user}: receipts {self.receipts.get(user)}")
        for user, (expected, stored, answered) in self.parked.items():
            if stored != expected:
                found.append(f"parked owner {user}: state {stored}, expected {expected}")
            if not answered:
                found.append(f"parked owner {user}: no question back for {expected}")
        found += [f"bot log: {line}" for line in self.errors_in_log]
        return found


async def _park(owner: Owner, steps: int) -> None:
    for step in DIALOGUE[:steps]:
        await owner.act(step)


async def _kill_and_restart(bot: Process, times: int, rng: random.Random) -> None:
    for _ in range(times):
        await asyncio.sleep(rng.uniform(0.3, 3.0))
        await bot.kill()
        await bot.start()


def _stored(db: Path) -> tuple[dict[int, list[str]], dict[int, str | None]]:
    with sqlite3.connect(db) as connection:
        appeals: dict[int, list[str]] = defaultdict(list)
        for user_id, number in connection.execute("SELECT user_id, number FROM appeals"):
            appeals[user_id].append(number)
        states = {
            int(key.split(":")[1]): state
            for key, state in connection.execute("SELECT key, state FROM fsm_states")
        }
    return dict(appeals), states


def _receipts(inbox: Inbox, user: int) -> list[str]:
    needle = frag("kk", "form.receipt.text")
    numbers = []
    for stamped in inbox.chats[user]:
        text = stamped.entry["text"] or ""
        if needle in text:
            numbers.append(receipt_number(stamped.entry) or "?")
    return numbers


def _log_errors(log: str) -> list[str]:
    return [
        line[:300] for line in log.splitlines() if " ERROR " in line or line.startswith("Traceback")
    ]


async def crash_run(
    emu: BotAPIEmulator,
    inbox: Inbox,
    workdir: Path,
    *,
    owners: int,
    restarts: int,
    seed: int,
) -> CrashOutcome:
    rng = random.Random(seed)
    group = operator_group(emu)
    bot = Process(emu, workdir, "bot", {"OPERATOR_CHAT_ID": str(group)})
    started = time.perf_counter()
    await bot.start()
    try:
        parked = [Owner(emu, inbox, user, timeout=30) for user in add_owners(emu, len(PARK_STEPS))]
        await asyncio.gather(*(_park(o, s) for o, s in zip(parked, PARK_STEPS, strict=True)))
        load = [
            Owner(emu, inbox, user, think=0.3, timeout=15, rng=random.Random(rng.random()))
            for user in add_owners(emu, owners)
        ]
        deadline = asyncio.get_running_loop().time() + 150 + 12 * restarts
        running = asyncio.gather(*(o.file_patiently(deadline) for o in load))
        await _kill_and_restart(bot, restarts, rng)
        results = await running
        appeals, states = _stored(workdir / "bot.db")
        outcome = CrashOutcome(
            restarts,
            time.perf_counter() - started,
            list(results),
            {o.user_id: _receipts(inbox, o.user_id) for o in load},
            appeals,
        )
        # The parked dialogues: at their step in the database, and the question comes back.
        for owner, steps in zip(parked, PARK_STEPS, strict=True):
            name = DIALOGUE[steps].name
            mark = inbox.mark(owner.user_id)
            emu.send_sticker(owner.user_id)
            question = contains(frag("kk", QUESTIONS[name]))
            try:
                await inbox.wait(owner.user_id, mark, question, 30)
                answered = True
            except TimeoutError:
                answered = False
            outcome.parked[owner.user_id] = (
                f"NewAppeal:{name}",
                states.get(owner.user_id),
                answered,
            )
    finally:
        if bot.running:
            await bot.stop()
    outcome.errors_in_log = _log_errors(bot.log())
    return outcome


async def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-crash-"))
    emu = BotAPIEmulator(seed=args.seed)
    await emu.start()
    inbox = Inbox(emu)
    try:
        outcome = await crash_run(
            emu, inbox, workdir, owners=args.owners, restarts=args.restarts, seed=args.seed
        )
    finally:
        inbox.close()
        await emu.stop()
    results = outcome.results
    problems = outcome.problems()
    rows = [
        [
            str(args.owners),
            str(args.restarts),
            f"{outcome.seconds:.0f}",
            str(sum(1 for r in results if r.receipt)),
            str(sum(len(v) for v in outcome.appeals.values())),
            str(sum(1 for r in results if r.probes)),
            str(sum(r.probes for r in results)),
            str(len(problems)),
        ]
    ]
    headers = [
        "owners",
        "SIGKILL restarts",
        "seconds",
        "receipts",
        "appeals stored",
        "owners who had to write again",
        "probes",
        "problems",
    ]
    body = table(headers, rows)
    if problems:
        body += "\n\nProblems:\n\n" + "\n".join(f"- {p}" for p in problems[:20])
    else:
        body += (
            "\n\nNo problems: one appeal per receipt, one receipt per appeal, parked "
            "dialogues still at their step."
        )
    write_section("crash_restarts", "Crash restarts", body, enabled=not args.no_write)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.crash_restarts", description=__doc__)
    parser.add_argument("--owners", type=int, default=100)
    parser.add_argument("--restarts", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20260302)
    parser.add_argument("--quick", action="store_true", help="4 restarts")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/")
    args = parser.parse_args(argv)
    if args.quick:
        args.restarts = min(args.restarts, 4)
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
