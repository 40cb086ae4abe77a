"""B5 relay: owners' follow-ups to their appeals' topics and staff answers to the owners,
both ways at once, under Telegram's real limits (enforced by the emulator).

Phases:

1. Set-up (not measured). N owners each file one appeal through the whole dialogue; the bot
   opens a forum topic per appeal in the operator group and posts its card there. The bot runs
   with its limiter raised sixty-fold for this (the cards alone are 2+ group messages per
   appeal: 50 appeals would take 5 minutes at 20 a minute); it is then stopped, and the same
   database is served by a fresh bot process with Telegram's own limits, while the emulator
   enforces them from that moment (1/s per private chat with bursts of 3 in 3 s, 20/min per
   group, 30/s in all; 429 answered to anything over). The new bot counts the set-up's group
   messages of the last minute from its database, as Telegram would, so the steady phase
   starts only once enough of them have left that window.
2. Steady. For ``--steady`` seconds owners write follow-ups at ``--owner-rate`` in total
   (round robin over the conversations) and staff answer in the topics at ``--staff-rate``
   in total. A text follow-up is one group message (header and text in one sendMessage) plus
   the bot's "sent" note to the owner; a staff answer is one private message (plus a 👍
   reaction, which is no message). The rates are chosen to stay under every limit (the group's
   20 a minute is the one that binds), so latency here is the bot's own.
3. Burst. At one instant staff write ``--burst`` answers in every topic, and the owners of the
   first ``--burst-owners`` conversations write ``--burst`` follow-ups each. Every copy must
   arrive once, in order per conversation and direction, with no 429: the bot has to queue.
   The owners' side of the burst is a few conversations, not all: at 20 a minute N x K group
   messages take N x K / 20 minutes (250 would be 12.5 minutes). The drain time is compared
   with the minimum the limits allow, given what the steady phase left in the group's window.

Each message carries a mark ``[b5 to-staff c17 n3]``; an event-feed listener stamps each
copy the moment the emulator accepts the bot's call. Latency = the user's message injected to
its copy accepted. CPU = utime+stime of the bot process during the phase, until the bot has
gone quiet after the last copy. Bot API calls = the emulator's call log for the phase,
getUpdates left out.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import re
import tempfile
import time
from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import Process, cpu_seconds, operator_group, percentile, table, write_section
from bench.owners import Inbox, Owner, add_owners, run_owners
from bench.profiling import record, summary
from bot.sandbox.emulator import BotAPIEmulator
from bot.sandbox.emulator.limits import SENDING_METHODS

TO_STAFF, TO_OWNER = "to-staff", "to-owner"
MARK = re.compile(r"\[b5 (to-staff|to-owner) c(\d+) n(\d+)\]")
# Telegram's limits (the emulator's and the bot's defaults), and sixty-fold for the set-up.
REAL_LIMITS = {"RATE_TOTAL_PER_SECOND": "30", "RATE_PRIVATE_PER_SECOND": "1"}
REAL_LIMITS["RATE_GROUP_PER_MINUTE"] = "20"
SETUP_LIMITS = {key: str(float(value) * 60) for key, value in REAL_LIMITS.items()}
GROUP_PER_MIN, PRIVATE_BURST, PRIVATE_WINDOW_S, TOTAL_PER_S = 20, 3, 3.0, 30
# The bot counts its group sends of the last 61 s from its database after a restart
# (bot/telegram/sender.py RECENT_SENDS), as Telegram counts them: the set-up's cards too.
BOT_MEMORY_S = 61.0
PEER_MS = "4.4-6.5 ms"  # MasterGroosha/telegram-feedback-bot-topics, its database included

Key = tuple[str, int, int]  # direction, conversation, sequence number


@dataclass(frozen=True)
class Conversation:
    index: int
    owner: int
    thread: int


class Copies:
    """What was sent and when, and every copy the bot made of it, stamped on arrival."""

    def __init__(self, emu: BotAPIEmulator, group: int) -> None:
        self.emu = emu
        self.group = group
        self.sent: dict[Key, float] = {}
        self.arrived: dict[Key, list[float]] = defaultdict(list)
        # (direction, conversation) -> sequence numbers in the order their copies arrived.
        self.order: dict[tuple[str, int], list[int]] = defaultdict(list)
        # Every bot message per chat, stamped: the limits count these, relays or not.
        self.bot_sends: dict[int, list[float]] = defaultdict(list)
        # A staff answer gets the bot's 👍 once its copy reached the owner: when it showed.
        self.reacted: dict[Key, float] = {}
        self._missing: set[Key] = set()
        self._all_in = asyncio.Event()
        emu.listeners.append(self._on_event)

    def close(self) -> None:
        self.emu.listeners.remove(self._on_event)

    def _on_event(self, event: dict[str, Any]) -> None:
        if event.get("type") == "reaction":
            self._on_reaction(event["message"])
            return
        if event.get("type") != "new" or not event["message"]["from_bot"]:
            return
        now = time.perf_counter()
        entry = event["message"]
        chat_id = int(event["chat_id"])
        self.bot_sends[chat_id].append(now)
        found = MARK.search(entry["text"] or entry["caption"] or "")
        if found is None:
            return
        direction, conversation, number = found[1], int(found[2]), int(found[3])
        # A mark counts only on the side it is meant for (the group: copies for staff).
        if (direction == TO_STAFF) != (chat_id == self.group):
            return
        key = (direction, conversation, number)
        self.arrived[key].append(now)
        if len(self.arrived[key]) == 1:
            self.order[(direction, conversation)].append(number)
        self._missing.discard(key)
        if not self._missing:
            self._all_in.set()

    def _on_reaction(self, entry: dict[str, Any]) -> None:
        found = MARK.search(entry["text"] or "")
        if found is not None and found[1] == TO_OWNER and entry["reaction"]:
            key = (found[1], int(found[2]), int(found[3]))
            self.reacted.setdefault(key, time.perf_counter())

    def send(self, conversation: Conversation, direction: str, number: int, staff: int) -> None:
        key = (direction, conversation.index, number)
        mark = f"[b5 {direction} c{conversation.index} n{number}]"
        self._missing.add(key)
        self._all_in.clear()
        self.sent[key] = time.perf_counter()
        if direction == TO_STAFF:
            self.emu.send_text(conversation.owner, f"Дополнение к обращению {mark}")
        else:
            self.emu.send_text(
                staff, f"Ответ офиса {mark}", chat_id=self.group, thread_id=conversation.thread
            )

    async def wait_all(self, timeout: float) -> bool:
        """True once every message sent so far has a copy; False after ``timeout``."""
        if not self._missing:
            return True
        try:
            await asyncio.wait_for(self._all_in.wait(), timeout)
        except TimeoutError:
            return False
        return True


async def quiet(emu: BotAPIEmulator, seconds: float, cap: float) -> None:
    """Until the bot has made no call but getUpdates for ``seconds`` (at most ``cap``):
    what it still does for the last messages (reactions, notes, commits) is the phase's."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + cap
    seen, last = len(emu.calls), loop.time()
    while loop.time() < deadline:
        calls = emu.calls
        if any(c["method"] != "getUpdates" for c in calls[seen:]):
            last = loop.time()
        seen = len(calls)
        if loop.time() - last >= seconds:
            return
        await asyncio.sleep(0.05)


def group_sends(emu: BotAPIEmulator, group: int) -> list[float]:
    """When each message the bot sent to the group was accepted (wall clock), in order."""
    return [
        call["time"]
        for call in emu.calls
        if call.get("ok")
        and call["method"].lower() in SENDING_METHODS
        and str(call["params"].get("chat_id")) == str(group)
    ]


async def until_group_has_room(emu: BotAPIEmulator, group: int, room: int) -> float:
    """Wait until at most 20 - ``room`` group messages are in the bot's window: the steady
    phase must start with no limit reached. The seconds waited."""
    stamps = group_sends(emu, group)
    allowed = max(0, GROUP_PER_MIN - room)
    if len(stamps) <= allowed:
        return 0.0
    wait = stamps[len(stamps) - allowed - 1] + BOT_MEMORY_S - time.time()
    await asyncio.sleep(max(0.0, wait))
    return max(0.0, wait)


async def wait_until(check: Any, timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise TimeoutError(f"set-up: {what} not done in {timeout:.0f} s")
        await asyncio.sleep(0.1)


async def file_appeals(
    emu: BotAPIEmulator, workdir: Path, group: int, count: int
) -> list[Conversation]:
    """N owners file an appeal each; their topics and cards are posted (bot on raised limits)."""
    setup_bot = Process(emu, workdir, "bot", {"OPERATOR_CHAT_ID": str(group), **SETUP_LIMITS})
    await setup_bot.start()
    inbox = Inbox(emu)
    try:
        owners = [Owner(emu, inbox, user, timeout=180.0) for user in add_owners(emu, count)]
        await run_owners(owners)
        receipts = {o.user_id: o.result.receipt for o in owners if o.result.receipt}
        failed = [o.result.error for o in owners if o.result.error]
        if failed:
            print(f"set-up: {len(failed)} owners did not file (first: {failed[0]})")
        await wait_until(lambda: len(emu.topics(group)) >= len(receipts), 180, "topics")
        await quiet(emu, 1.5, 120)  # cards and their photos
    finally:
        inbox.close()
        await setup_bot.stop()
    threads = {topic["name"]: topic["thread_id"] for topic in emu.topics(group)}
    conversations: list[Conversation] = []
    for owner, receipt in receipts.items():
        thread = next((t for name, t in threads.items() if receipt in name), None)
        if thread is not None:
            conversations.append(Conversation(len(conversations), owner, thread))
    return conversations


@dataclass
class Phase:
    name: str
    keys: list[Key]
    started: float
    cpu: float
    calls: Counter[str]
    rejected: int  # calls answered 429
    violations: int  # sends over a limit, as the emulator counted them
    complete: bool
    wall: float = 0.0  # time.time() at the start, for the emulator's call log
    minimum: dict[str, float] = field(default_factory=dict)  # seconds the limits require

    def of(self, direction: str) -> list[Key]:
        return [key for key in self.keys if key[0] == direction]

    @property
    def relayed(self) -> int:
        return len(self.keys)

    @property
    def calls_per_relayed(self) -> float:
        return sum(self.calls.values()) / max(1, self.relayed)


def latencies(copies: Copies, keys: Iterable[Key]) -> list[float]:
    return [copies.arrived[k][0] - copies.sent[k] for k in keys if copies.arrived.get(k)]


def broken_orders(copies: Copies, keys: list[Key]) -> list[str]:
    """Conversations whose copies (of these messages) arrived out of the order sent."""
    numbers: dict[tuple[str, int], set[int]] = defaultdict(set)
    for direction, conversation, number in keys:
        numbers[(direction, conversation)].add(number)
    broken = []
    for lane, wanted in numbers.items():
        arrived = [n for n in copies.order[lane] if n in wanted]
        if arrived != sorted(arrived):
            broken.append(f"{lane[0]} c{lane[1]}: {arrived}")
    return broken


def count_calls(calls: list[dict[str, Any]], group: int) -> tuple[Counter[str], int]:
    """Calls by method and side (getUpdates left out), and how many were answered 429."""
    counted: Counter[str] = Counter()
    for call in calls:
        if call["method"] == "getUpdates":
            continue
        chat = call.get("params", {}).get("chat_id")
        side = "group" if str(chat) == str(group) else "private" if chat is not None else "-"
        counted[f"{call['method']} ({side})"] += 1
    return counted, sum(1 for call in calls if call.get("error_code") == 429)


def group_minimum(before: list[float], sends: int, start: float) -> float:
    """Seconds from ``start`` until ``sends`` group messages fit in 20 a minute, counting the
    group messages already in the window at ``start`` (the earliest schedule there is)."""
    window = deque(stamp for stamp in before if stamp > start - 60)
    at = start
    for _ in range(sends):
        while window and window[0] <= at - 60:
            window.popleft()
        if len(window) >= GROUP_PER_MIN:
            at = window[0] + 60
            window.popleft()
        window.append(at)
    return at - start


def private_minimum(per_chat: Iterable[int], total: int) -> float:
    """Seconds that ``per_chat`` messages to each private chat and ``total`` in all need:
    three in any three seconds per chat, 30 a second overall."""
    busiest = max(per_chat, default=0)
    chat_bound = (max(0, busiest - 1) // PRIVATE_BURST) * PRIVATE_WINDOW_S
    return max(chat_bound, total / TOTAL_PER_S)


class Bench:
    def __init__(
        self, emu: BotAPIEmulator, bot: Process, copies: Copies, conversations: list[Conversation]
    ) -> None:
        self.emu, self.bot, self.copies = emu, bot, copies
        self.conversations = conversations
        self.staff = emu.world.chats[copies.group].creator or 0
        self.numbers: Counter[tuple[str, int]] = Counter()

    def send(self, conversation: Conversation, direction: str) -> Key:
        self.numbers[(direction, conversation.index)] += 1
        number = self.numbers[(direction, conversation.index)]
        self.copies.send(conversation, direction, number, self.staff)
        return (direction, conversation.index, number)

    async def measure(self, name: str, load: Any, timeout: float) -> Phase:
        """Run ``load`` (a coroutine that sends and returns the keys), wait for every copy
        and for the bot to go quiet; the CPU, calls and refusals in between."""
        seen = len(self.emu.calls)
        wall = time.time()
        violations = len(self.emu.rate_limit_violations)
        cpu = cpu_seconds(self.bot.pid)
        started = time.perf_counter()
        keys: list[Key] = await load
        complete = await self.copies.wait_all(timeout)
        await quiet(self.emu, 1.0, 15)
        cpu = cpu_seconds(self.bot.pid) - cpu
        calls, rejected = count_calls(self.emu.calls[seen:], self.copies.group)
        broke = len(self.emu.rate_limit_violations) - violations
        return Phase(name, keys, started, cpu, calls, rejected, broke, complete, wall)

    async def steady(self, seconds: float, owner_rate: float, staff_rate: float) -> list[Key]:
        """Both directions at even spacing, round robin over the conversations."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        plan = [(n / owner_rate, TO_STAFF) for n in range(int(seconds * owner_rate))]
        plan += [(n / staff_rate, TO_OWNER) for n in range(int(seconds * staff_rate))]
        plan.sort()
        turns: Counter[str] = Counter()
        keys = []
        for offset, direction in plan:
            await asyncio.sleep(max(0.0, start + offset - loop.time()))
            conversation = self.conversations[turns[direction] % len(self.conversations)]
            turns[direction] += 1
            keys.append(self.send(conversation, direction))
        return keys

    async def burst(self, each: int, owners: int) -> list[Key]:
        """All at once: ``each`` staff answers per topic, ``each`` follow-ups from ``owners``."""
        keys = []
        for _ in range(each):
            for conversation in self.conversations:
                keys.append(self.send(conversation, TO_OWNER))
            for conversation in self.conversations[:owners]:
                keys.append(self.send(conversation, TO_STAFF))
        return keys

    def limits_minimum(self, phase: Phase) -> dict[str, float]:
        """The least time the limits allow for the burst's copies, each direction."""
        group = self.copies.group
        before = [t for t in group_sends(self.emu, group) if t < phase.wall]
        to_staff = len(phase.of(TO_STAFF))
        private = {
            chat: sum(1 for t in stamps if t >= phase.started)
            for chat, stamps in self.copies.bot_sends.items()
            if chat > 0
        }
        return {
            TO_STAFF: group_minimum(before, to_staff, phase.wall),
            TO_OWNER: private_minimum(private.values(), sum(private.values())),
        }


def ms(value: float) -> str:
    return f"{1000 * value:.0f}"


def reaction_rows(copies: Copies, phases: list[Phase]) -> list[list[str]]:
    """Staff answer written to the bot's 👍 under it (set once its copy reached the owner)."""
    rows = []
    for phase in phases:
        keys = phase.of(TO_OWNER)
        waits = [copies.reacted[k] - copies.sent[k] for k in keys if k in copies.reacted]
        if keys:
            rows.append(
                [
                    phase.name,
                    str(len(keys)),
                    str(len(keys) - len(waits)),
                    ms(percentile(waits, 0.5)),
                    ms(percentile(waits, 0.99)),
                    ms(max(waits, default=0.0)),
                ]
            )
    return rows


def direction_rows(copies: Copies, phases: list[Phase]) -> list[list[str]]:
    rows = []
    for phase in phases:
        for direction in (TO_STAFF, TO_OWNER):
            keys = phase.of(direction)
            if not keys:
                continue
            waits = latencies(copies, keys)
            lost = sum(1 for k in keys if not copies.arrived.get(k))
            doubled = sum(len(copies.arrived[k]) - 1 for k in keys if copies.arrived.get(k))
            last = max((copies.arrived[k][0] for k in keys if copies.arrived.get(k)), default=0)
            drain = last - phase.started if last else float("nan")
            minimum = phase.minimum.get(direction)
            rows.append(
                [
                    phase.name,
                    "owner → topic" if direction == TO_STAFF else "staff → owner",
                    str(len(keys)),
                    str(lost),
                    str(doubled),
                    "yes" if not broken_orders(copies, keys) else "NO",
                    ms(percentile(waits, 0.5)),
                    ms(percentile(waits, 0.99)),
                    ms(max(waits, default=0.0)),
                    f"{drain:.1f}",
                    f"{minimum:.1f}" if minimum is not None else "—",
                ]
            )
    return rows


def phase_rows(phases: list[Phase]) -> list[list[str]]:
    rows = []
    for phase in phases:
        total = sum(phase.calls.values())
        spread = ", ".join(
            f"{method} {count / phase.relayed:.2f}" for method, count in phase.calls.most_common()
        )
        rows.append(
            [
                phase.name,
                str(phase.relayed),
                f"{phase.cpu:.2f}",
                f"{1000 * phase.cpu / max(1, phase.relayed):.1f}",
                f"{total / max(1, phase.relayed):.2f}",
                spread,
                str(phase.rejected),
                str(phase.violations),
            ]
        )
    return rows


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def targets(copies: Copies, phases: list[Phase]) -> str:
    steady = phases[0]
    cpu_ms = 1000 * steady.cpu / max(1, steady.relayed)
    p99 = percentile(latencies(copies, steady.keys), 0.99)
    broken = [b for phase in phases for b in broken_orders(copies, phase.keys)]
    refused = sum(p.rejected for p in phases)
    over = sum(p.violations for p in phases)
    keys = [k for phase in phases for k in phase.keys]
    lost = sum(1 for k in keys if not copies.arrived.get(k))
    doubled = sum(max(0, len(copies.arrived.get(k, [])) - 1) for k in keys)
    lines = [
        f"- CPU per relayed message, steady: {cpu_ms:.1f} ms (target <= 5 ms; the peer bot, "
        f"MasterGroosha's telegram-feedback-bot-topics, measured {PEER_MS} with its "
        f"database): {verdict(cpu_ms <= 5)}.",
        f"- Order kept in every conversation and direction: {verdict(not broken)}"
        + (f" (broken: {'; '.join(broken[:5])})" if broken else "")
        + ".",
        f"- Telegram's limits never exceeded: {over} sends over a limit, {refused} answered "
        f"429: {verdict(over == 0 and refused == 0)}.",
        f"- p99 from a message to its copy while no limit is reached (steady): "
        f"{ms(p99)} ms (target < 1,500 ms): {verdict(p99 < 1.5)}.",
        f"- Every message copied exactly once: {lost} lost, {doubled} doubled: "
        f"{verdict(lost == 0 and doubled == 0)}.",
    ]
    unfinished = [p.name for p in phases if not p.complete]
    if unfinished:
        lines.append(f"- Copies still missing at the timeout in: {', '.join(unfinished)}.")
    return "\n".join(lines)


def headline(copies: Copies, steady: Phase) -> str:
    cpu_ms = 1000 * steady.cpu / max(1, steady.relayed)
    p99 = percentile(latencies(copies, steady.keys), 0.99)
    return (
        f"steady: {cpu_ms:.1f} ms CPU per relayed message, p99 {ms(p99)} ms, "
        f"{steady.calls_per_relayed:.2f} Bot API calls per message."
    )


def report(args: argparse.Namespace, copies: Copies, phases: list[Phase], setup: str) -> str:
    n = args.conversations
    intro = (
        f"{n} conversations (one appeal and its forum topic each; {setup}). Telegram's limits "
        "on, enforced by the emulator and kept by the bot's own limiter: 1/s per private chat "
        "(3 in any 3 s), 20/min per group, 30/s in all. "
        f"Steady, {args.steady:.0f} s: owners' follow-ups {args.owner_rate:g}/s in all "
        f"({60 * args.owner_rate:.0f}/min: a text relay is one group message, header and text "
        "in one sendMessage, so this stays under the group's 20/min), staff answers "
        f"{args.staff_rate:g}/s in all (each owner gets one every "
        f"{n / args.staff_rate:.0f} s, plus a note per follow-up: under 1/s per chat). "
        f"Burst: at one instant {args.burst} staff answers in each of the {n} topics and "
        f"{args.burst} follow-ups from each of {args.burst_owners} owners (the group's 20/min "
        f"would make {n} x {args.burst} follow-ups take {n * args.burst / 20:.1f} min). "
        "Latency = message injected to its copy accepted by the emulator; drain = phase start "
        "to the last copy; minimum = the least time the limits allow for the phase's sends "
        "(for the group: counting what the steady phase left in its 60 s window). CPU per "
        "relayed message is all the bot does for it: the update, its database work, the "
        "copy, the owner's note or the staff's 👍."
    )
    direction_headers = [
        "phase",
        "direction",
        "messages",
        "lost",
        "doubled",
        "order kept",
        "p50 ms",
        "p99 ms",
        "max ms",
        "drain s",
        "minimum s",
    ]
    phase_headers = [
        "phase",
        "relayed",
        "bot CPU s",
        "CPU ms/relayed",
        "Bot API calls/relayed",
        "calls per relayed message, by method",
        "429 given",
        "over a limit",
    ]
    return "\n\n".join(
        [
            intro,
            table(direction_headers, direction_rows(copies, phases)),
            table(phase_headers, phase_rows(phases)),
            "Staff's 👍 under each answer (the bot sets it once the copy reached the owner):\n\n"
            + table(
                ["phase", "answers", "no 👍 by the end", "p50 ms", "p99 ms", "max ms"],
                reaction_rows(copies, phases),
            ),
            "Targets:\n\n" + targets(copies, phases),
        ]
    )


async def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-b5-"))
    emu = BotAPIEmulator(seed=13)
    await emu.start()
    started = time.perf_counter()
    try:
        group = operator_group(emu)
        conversations = await file_appeals(emu, workdir, group, args.conversations)
        setup = f"set-up {time.perf_counter() - started:.0f} s, not measured"
        if len(conversations) < args.conversations:
            setup += f"; only {len(conversations)} appeals got a topic"
        room = math.ceil(min(args.steady, BOT_MEMORY_S) * args.owner_rate) + 1
        waited = await until_group_has_room(emu, group, room)
        setup += (
            f"; then {waited:.0f} s for the set-up's group messages to leave the bot's 60 s "
            "window, as they would Telegram's"
        )
        # Telegram's own limits from here on, on both sides.
        emu.set_rate_limits(enforce=True)
        bot = Process(emu, workdir, "bot", {"OPERATOR_CHAT_ID": str(group), **REAL_LIMITS})
        await bot.start()
        await quiet(emu, 1.0, 15)  # start-up work (commands, sweeps) is not the load
        copies = Copies(emu, group)
        bench = Bench(emu, bot, copies, conversations)
        try:
            profile = workdir / "b5-bot.collapsed" if args.profile else None
            spy = await record(bot.pid, min(20, int(args.steady)), profile) if profile else None
            steady = await bench.measure(
                "steady",
                bench.steady(args.steady, args.owner_rate, args.staff_rate),
                timeout=60,
            )
            if spy is not None:
                await spy.wait()
            burst_owners = min(args.burst_owners, len(conversations))
            load = bench.burst(args.burst, burst_owners)
            # Generous: the group direction alone needs about a minute per 20 follow-ups.
            timeout = 120 + 3 * 60 * args.burst * burst_owners / GROUP_PER_MIN
            burst = await bench.measure("burst", load, timeout=timeout)
            burst.minimum = bench.limits_minimum(burst)
            await bot.stop()
        finally:
            copies.close()
    finally:
        await emu.stop()
    elapsed = time.perf_counter() - started
    body = report(args, copies, [steady, burst], setup) + f"\n\nWhole run {elapsed:.0f} s."
    if profile is not None:
        body += "\n\nProfile of the bot in the steady phase (py-spy):\n\n" + summary(profile)
    write_section(
        "b5_relay", "B5 relay", body, enabled=not args.no_write, headline=headline(copies, steady)
    )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.b5_relay", description=__doc__)
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--steady", type=float, default=60.0, help="seconds of steady load")
    parser.add_argument("--owner-rate", type=float, default=0.25, help="follow-ups/s in all")
    parser.add_argument("--staff-rate", type=float, default=5.0, help="staff answers/s in all")
    parser.add_argument("--burst", type=int, default=5, help="messages per side in the burst")
    parser.add_argument("--burst-owners", type=int, default=3, help="owners writing in it")
    parser.add_argument("--quick", action="store_true", help="10 conversations (~1.5 min)")
    parser.add_argument("--profile", action="store_true", help="py-spy the bot, steady phase")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/")
    args = parser.parse_args(argv)
    if args.quick:
        args.conversations = min(args.conversations, 10)
        args.steady = min(args.steady, 20.0)
        args.burst = min(args.burst, 3)
        args.burst_owners = min(args.burst_owners, 2)
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
