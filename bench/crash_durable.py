"""Kill the bot at random moments while owners file appeals and answer staff questions.

`python -m bench.crash_durable` runs both acceptance scenarios and writes their figures:

* poll: one long-polling instance on SQLite, SIGKILLed and restarted 20 times;
* web: three `python -m bot web` instances on PostgreSQL behind one address (a round-robin
  proxy), a random one SIGKILLed and restarted 10 times; three staff members; the emulator
  checks Telegram's limits (scaled, so that a run takes minutes, not an hour).

Meanwhile 100 owners file appeals (patiently: an owner who gets no answer writes again, as a
person would), staff take each appeal and ask a question in its topic, and each owner answers
it by replying to the office's message. Checked afterwards, against what the emulator handed
out and what reached each chat:

* every update the emulator handed out is stored and handled, none failed or left over;
* one appeal per owner, one receipt, one question, one answer in the topic; a message may
  appear twice only when the process that sent it was killed within a second of sending it
  (Telegram cannot be asked whether a message arrived, so such a one is sent again: counted);
* nothing left in the outbox, nothing failed; no error in any bot's log;
* web: no Telegram limit broken (the emulator's check), one digest for the day.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.common import ROOT, table, write_section
from bench.owners import Inbox, Owner, add_owners
from bench.proxy import RoundRobinProxy
from bot.sandbox.emulator import BotAPIEmulator
from bot.sandbox.process import BotProcess, http_ready, polled_since
from bot.sandbox.texts import frag
from models import Appeal, InboxState, InboxUpdate, OutboxMessage, OutboxState
from models.db import make_engine, make_sessionmaker

Entry = dict[str, Any]
SECRET = "crash-test-secret"
# A repeat counts as the one request on the wire at a kill if its first copy arrived at most
# this long before the kill.
AMBIGUOUS_S = 1.0
RATE_SCALE = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Seen:
    at: float
    entry: Entry


class Watch:
    """Every message a bot sends (new ones, not edits), stamped when the emulator takes it."""

    def __init__(self, emu: BotAPIEmulator) -> None:
        self.emu = emu
        self.chats: dict[int, list[Seen]] = defaultdict(list)
        emu.listeners.append(self._on_event)

    def close(self) -> None:
        self.emu.listeners.remove(self._on_event)

    def _on_event(self, event: dict[str, Any]) -> None:
        if event.get("type") == "new" and event["message"]["from_bot"]:
            self.chats[event["chat_id"]].append(Seen(time.perf_counter(), event["message"]))

    def repeats(self, chat_id: int, needle: str, kills: list[float]) -> tuple[int, int, int]:
        """(copies, repeats explained by a kill, repeats not explained) of a message."""
        copies = [
            s
            for s in self.chats[chat_id]
            if needle in (s.entry["text"] or s.entry["caption"] or "")
        ]
        explained = unexplained = 0
        by_text = defaultdict(list)
        for seen in copies:
            by_text[(seen.entry["text"], seen.entry["caption"], str(seen.entry["buttons"]))].append(
                seen
            )
        for same in by_text.values():
            first = same[0].at
            for _ in same[1:]:
                if any(first - 0.05 <= kill <= first + AMBIGUOUS_S for kill in kills):
                    explained += 1
                else:
                    unexplained += 1
        return len(copies), explained, unexplained


@dataclass
class Fleet:
    """The bot instances of one scenario."""

    emu: BotAPIEmulator
    workdir: Path
    database_url: str
    mode: str  # poll | web
    size: int
    group: int
    processes: list[BotProcess] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    proxy: RoundRobinProxy | None = None
    kills: list[float] = field(default_factory=list)

    def env(self, index: int) -> dict[str, str]:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "OPERATOR_"))},
            "BOT_TOKEN": self.emu.token,
            "BOT_API_URL": self.emu.base_url,
            "OPERATOR_CHAT_ID": str(self.group),
            "DATABASE_URL": self.database_url,
            "LOG_LEVEL": "INFO",
            "PYTHONPATH": str(ROOT),
            "FLOOD_MESSAGES_PER_MINUTE": "10000",
        }
        if self.mode == "web":
            assert self.proxy is not None
            env.update(
                WEBHOOK_URL=f"{self.proxy.url}/tg",
                WEBHOOK_SECRET=SECRET,
                WEB_PORT=str(self.ports[index]),
                RATE_TOTAL_PER_SECOND=str(30 * RATE_SCALE),
                RATE_PRIVATE_PER_SECOND=str(1 * RATE_SCALE),
                RATE_GROUP_PER_MINUTE=str(20 * RATE_SCALE),
            )
        else:
            # Limits are the web scenario's subject; here the group's 20 a minute would only
            # make the staff side slow.
            env.update(RATE_GROUP_PER_MINUTE="6000", RATE_PRIVATE_PER_SECOND="100")
        return env

    async def start(self) -> None:
        if self.mode == "web":
            self.ports = [free_port() for _ in range(self.size)]
            self.proxy = RoundRobinProxy([f"http://127.0.0.1:{port}" for port in self.ports])
            await self.proxy.start()
            await self._migrate()
        for index in range(self.size):
            process = BotProcess(
                self.env(index),
                self.workdir,
                self.workdir / f"bot-{index}.log",
                args=["web"] if self.mode == "web" else [],
            )
            self.processes.append(process)
        await asyncio.gather(*(self.start_one(i) for i in range(self.size)))

    async def _migrate(self) -> None:
        """The deploy step on PostgreSQL: `python -m bot migrate`, then the instances."""
        migrate = BotProcess(
            self.env(0), self.workdir, self.workdir / "migrate.log", args=["migrate"]
        )
        await migrate.start()
        code = await migrate.wait(120)
        if code != 0:
            raise RuntimeError(f"python -m bot migrate failed:\n{migrate.log(tail=3000)}")

    async def start_one(self, index: int) -> None:
        process = self.processes[index]
        if self.mode == "web":
            await process.start(http_ready(f"http://127.0.0.1:{self.ports[index]}/healthz"), 120)
        else:
            await process.start(polled_since(self.emu), 120)

    async def kill_and_restart(self, times: int, rng: random.Random, stop: asyncio.Event) -> None:
        for _ in range(times):
            try:
                await asyncio.wait_for(stop.wait(), rng.uniform(1.0, 5.0))
                return
            except TimeoutError:
                pass
            index = rng.randrange(self.size)
            await self.processes[index].kill()
            self.kills.append(time.perf_counter())
            if self.mode == "web":
                await asyncio.sleep(rng.uniform(0.0, 1.0))  # down for a moment, as a deploy is
            await self.start_one(index)

    async def stop(self) -> None:
        await asyncio.gather(*(p.stop(60) for p in self.processes if p.running))
        if self.proxy is not None:
            await self.proxy.stop()

    def logs(self) -> str:
        return "\n".join(p.log() for p in self.processes)


class Staff:
    """Staff members working the appeals as cards arrive: Take, then a question."""

    def __init__(self, emu: BotAPIEmulator, group: int, members: list[int]) -> None:
        self.emu = emu
        self.group = group
        self.members = members
        self.asked: dict[str, str] = {}  # appeal number -> question text
        self.failures: list[str] = []

    def cards(self) -> list[Entry]:
        found = []
        for entry in self.emu.transcript(self.group):
            text = entry["text"] or ""
            if entry["from_bot"] and text.startswith("📄") and entry["buttons"]:
                found.append(entry)
        return found

    async def wait(self, check: Any, timeout: float) -> Any:
        return await self.emu._wait(check, timeout)

    async def work(self, expected: int, timeout: float) -> None:
        """Handle each appeal once, whoever's turn it is; until `expected` were asked.

        Counted by appeal number, not by card: a card sent again after a kill is a second
        message of the same appeal, and counting it would stop the staff one appeal early."""
        handled: set[str] = set()
        tasks: list[asyncio.Task[None]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(handled) < expected and loop.time() < deadline:
            for card in self.cards():
                found = re.search(r"\d{4}-\d{6}", card["text"] or "")
                if found is not None and found.group(0) not in handled:
                    handled.add(found.group(0))
                    member = self.members[len(handled) % len(self.members)]
                    tasks.append(
                        asyncio.create_task(self.ask(found.group(0), card, member, deadline))
                    )
            await asyncio.sleep(0.2)
        await asyncio.gather(*tasks)

    def _button(self, number: str, action: str) -> tuple[int, str] | None:
        """The newest card of the appeal offering `action`. A card repeated after a kill (sent,
        then the process died before it was recorded) is a second card; edits go to it."""
        for card in reversed(self.cards()):
            if number not in (card["text"] or ""):
                continue
            for row in card["buttons"]:
                for _label, data in row:
                    if data.split(":")[1] == action:
                        return int(card["message_id"]), str(data)
        return None

    async def ask(self, number: str, card: Entry, member: int, deadline: float) -> None:
        thread = card["message_thread_id"]
        left = max(deadline - asyncio.get_running_loop().time(), 1.0)
        try:
            take = self._button(number, "take")
            assert take is not None
            self.emu.press_button(member, self.group, *take)
            needs_info = await self.wait(lambda: self._button(number, "needs_info"), left)
            mark = max((e["message_id"] for e in self.emu.transcript(self.group)), default=0)
            self.emu.press_button(member, self.group, *needs_info)
            prompt = frag("ru", "staff.ask.needs_info")
            await self.wait(
                lambda: next(
                    (
                        e
                        for e in self.emu.transcript(self.group, thread)
                        if e["from_bot"] and e["message_id"] > mark and prompt in (e["text"] or "")
                    ),
                    None,
                ),
                left,
            )
            question = f"Вопрос по {number}: уточните адрес объекта."
            self.emu.send_text(member, question, chat_id=self.group, thread_id=thread)
            self.asked[number] = question
        except (TimeoutError, AssertionError) as error:
            self.failures.append(f"staff on {number}: {error!r}"[:300])


async def answer_question(
    emu: BotAPIEmulator, inbox: Inbox, owner: int, number: str, timeout: float
) -> str | None:
    """The owner waits for the office's question and answers it with its Reply button."""
    needle = f"Вопрос по {number}"
    try:
        found = await inbox.wait(owner, 0, lambda e: needle in (e["text"] or ""), timeout)
        reply = next(
            data for row in found.entry["buttons"] for _label, data in row if data.startswith("re:")
        )
        mark = inbox.mark(owner)
        emu.forge_callback(owner, owner, found.entry["message_id"], reply)
        prompt = frag("kk", "my.add.prompt")
        await inbox.wait(owner, mark, lambda e: prompt in (e["text"] or ""), timeout)
        mark = inbox.mark(owner)
        emu.send_text(owner, f"Ответ по {number}: ул. Абая, 12.")
        added = frag("kk", "my.add.added")
        await inbox.wait(owner, mark, lambda e: added in (e["text"] or ""), timeout)
    except (TimeoutError, StopIteration) as error:
        return f"owner {owner} ({number}): {error!r}"
    return None


@dataclass
class Outcome:
    mode: str
    instances: int
    kills: int
    seconds: float
    owners: int
    problems: list[str]
    handed_out: int
    handled: int
    repeats_explained: int
    probes: int


async def run_scenario(
    emu: BotAPIEmulator,
    workdir: Path,
    database_url: str,
    *,
    mode: str,
    instances: int,
    kills: int,
    owners: int = 100,
    seed: int = 20261201,
    staff_members: int = 1,
) -> Outcome:
    rng = random.Random(seed)
    members = [emu.add_user(f"Сотрудник {n}", language_code="ru") for n in range(staff_members)]
    group = emu.add_group("Адалдық алаңы — операторы", forum=True, members=members, admins=members)
    if mode == "web":
        emu.set_rate_limits(scale=RATE_SCALE, enforce=False)
        emu.webhook_timeout = 5.0
    inbox, watch = Inbox(emu), Watch(emu)
    fleet = Fleet(emu, workdir, database_url, mode, instances, group)
    staff = Staff(emu, group, members)
    started = time.perf_counter()
    await fleet.start()
    problems: list[str] = []
    try:
        people = [
            Owner(emu, inbox, user, think=0.5, timeout=30, rng=random.Random(rng.random()))
            for user in add_owners(emu, owners)
        ]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 240 + 15 * kills
        stop_killing = asyncio.Event()
        killer = asyncio.create_task(fleet.kill_and_restart(kills, rng, stop_killing))

        async def owner_life(owner: Owner) -> str | None:
            result = await owner.file_patiently(deadline)
            if result.receipt is None:
                return f"owner {owner.user_id} could not file: {result.error}"
            return await answer_question(emu, inbox, owner.user_id, result.receipt, 180)

        working = asyncio.create_task(staff.work(owners, deadline - loop.time()))
        outcomes = await asyncio.gather(*(owner_life(o) for o in people))
        await working
        stop_killing.set()
        await killer
        problems += [o for o in outcomes if o]
        problems += staff.failures
        problems += await settle_and_check(fleet, watch, people, staff)
    finally:
        await fleet.stop()
        inbox.close()
        watch.close()
    problems += [
        f"bot log: {line[:300]}"
        for line in fleet.logs().splitlines()
        if " ERROR " in line or line.startswith("Traceback")
    ]
    if mode == "web":
        broken = [v for v in emu.rate_limit_violations]
        problems += [f"Telegram limit exceeded: {v}" for v in broken[:10]]
        digests = watch.repeats(group, frag("ru", "digest.title"), fleet.kills)[0]
        if digests > 1:
            problems.append(f"{digests} digests for one day")
    handed = emu.delivered_update_ids()
    explained = sum(
        watch.repeats(o.user_id, needle, fleet.kills)[1]
        for o in people
        for needle in (frag("kk", "form.receipt.text"), f"Вопрос по {o.result.receipt}")
    ) + sum(watch.repeats(group, f"Ответ по {n}", fleet.kills)[1] for n in staff.asked)
    return Outcome(
        mode,
        instances,
        len(fleet.kills),
        time.perf_counter() - started,
        owners,
        problems,
        len(handed),
        len(handed),
        explained,
        sum(o.result.probes for o in people),
    )


async def settle_and_check(
    fleet: Fleet, watch: Watch, people: list[Owner], staff: Staff
) -> list[str]:
    """With every instance up: until the inbox and outbox are empty, then the invariants."""
    emu, problems = fleet.emu, []
    engine = make_engine(fleet.database_url)
    sessions = make_sessionmaker(engine)
    try:
        waiting = (InboxUpdate.state == InboxState.PENDING.value,)
        busy = (OutboxMessage.state.in_([OutboxState.PENDING.value, OutboxState.CLAIMED.value]),)
        for _ in range(600):
            async with sessions() as session:
                pending = await session.scalar(select(func.count()).where(*waiting))
                queued = await session.scalar(
                    select(func.count()).where(*busy, OutboxMessage.due_at <= func.now())
                )
            if not pending and not queued and not emu.pending_updates:
                break
            await asyncio.sleep(0.2)
        else:
            problems.append(f"did not settle: {pending} updates, {queued} messages waiting")
        async with sessions() as session:
            states = dict(
                (
                    await session.execute(
                        select(InboxUpdate.state, func.count()).group_by(InboxUpdate.state)
                    )
                ).all()
            )
            stored = set(await session.scalars(select(InboxUpdate.update_id)))
            done = set(
                await session.scalars(
                    select(InboxUpdate.update_id).where(InboxUpdate.state == InboxState.DONE.value)
                )
            )
            appeals = Counter(await session.scalars(select(Appeal.user_id)))
            failed = await session.scalar(
                select(func.count()).where(OutboxMessage.state == OutboxState.FAILED.value)
            )
    finally:
        await engine.dispose()
    handed = emu.delivered_update_ids()
    if handed - stored:
        problems.append(f"{len(handed - stored)} handed-out updates never stored")
    if handed - done:
        problems.append(f"{len(handed - done)} handed-out updates not handled: {states}")
    if failed:
        problems.append(f"{failed} outbox rows failed")
    for owner in people:
        user = owner.user_id
        if appeals[user] != 1:
            problems.append(f"owner {user} has {appeals[user]} appeals")
        for label, needle in (
            ("receipt", frag("kk", "form.receipt.text")),
            ("question", f"Вопрос по {owner.result.receipt}"),
        ):
            copies, _, unexplained = watch.repeats(user, needle, fleet.kills)
            if copies == 0 or unexplained:
                problems.append(f"owner {user}: {copies} {label}(s), {unexplained} unexplained")
    for number in staff.asked:
        copies, _, unexplained = watch.repeats(fleet.group, f"Ответ по {number}", fleet.kills)
        if copies == 0 or unexplained:
            problems.append(f"answer to {number}: {copies} copies, {unexplained} unexplained")
    return problems


async def stored_updates(database_url: str) -> int:
    """Updates a database holds already (0 when it has no tables yet)."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(InboxUpdate)) or 0)
    except Exception:
        return 0  # not migrated yet: empty
    finally:
        await engine.dispose()


async def main(args: argparse.Namespace) -> None:
    # A database a run before left behind holds the same update ids the emulator hands out
    # again: every update would be taken for a repeat and dropped.
    if args.postgres and await stored_updates(args.postgres):
        raise SystemExit(f"--postgres {args.postgres}: not empty; give an empty database")
    rows = []
    scenarios = [("poll", 1, args.kills_poll), ("web", 3, args.kills_web)]
    for mode, instances, kills in scenarios:
        if mode == "web" and not args.postgres:
            continue
        workdir = Path(tempfile.mkdtemp(prefix=f"bench-crash-{mode}-"))
        url = f"sqlite+aiosqlite:///{workdir / 'bot.db'}" if mode == "poll" else args.postgres
        emu = BotAPIEmulator(seed=args.seed)
        await emu.start()
        try:
            outcome = await run_scenario(
                emu,
                workdir,
                url,
                mode=mode,
                instances=instances,
                kills=kills,
                owners=args.owners,
                seed=args.seed,
                staff_members=1 if mode == "poll" else 3,
            )
        finally:
            await emu.stop()
        rows.append(
            [
                mode,
                str(outcome.instances),
                str(outcome.kills),
                str(outcome.owners),
                f"{outcome.seconds:.0f}",
                str(outcome.handed_out),
                str(outcome.repeats_explained),
                str(outcome.probes),
                str(len(outcome.problems)),
            ]
        )
        for problem in outcome.problems[:20]:
            print("problem:", problem)
    headers = [
        "mode",
        "instances",
        "SIGKILLs",
        "owners",
        "seconds",
        "updates handed out (all handled)",
        "messages repeated after a kill",
        "owner re-sends",
        "problems",
    ]
    headline = "; ".join(
        f"{row[0]} {row[1]} instance(s) x{row[2]} SIGKILLs: {row[6]} repeated, {row[8]} problems"
        for row in rows
    )
    write_section(
        "crash_durable",
        "Crashes: durable core",
        table(headers, rows),
        enabled=not args.no_write,
        headline=headline + ".",
    )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.crash_durable", description=__doc__)
    parser.add_argument("--owners", type=int, default=100)
    parser.add_argument("--kills-poll", type=int, default=20)
    parser.add_argument("--kills-web", type=int, default=10)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", ""),
        help="an empty PostgreSQL database for the web scenario (skipped without one)",
    )
    parser.add_argument("--quick", action="store_true", help="30 owners, 5 and 3 kills")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/")
    args = parser.parse_args(argv)
    if args.quick:
        args.owners, args.kills_poll, args.kills_web = 30, 5, 3
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
