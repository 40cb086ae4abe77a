"""Simulated owners filing appeals through the emulator, with per-update latency.

The emulator's own ``wait_for_message`` rescans a whole transcript on every change, which is
fine for a test with one owner and far too slow for hundreds. ``Inbox`` listens to the
emulator's event feed instead and stamps every bot message the moment the emulator accepts it.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.domain import form
from bot.sandbox.emulator import BotAPIEmulator
from bot.sandbox.texts import frag

Entry = dict[str, Any]


@dataclass(frozen=True)
class Step:
    name: str  # the FSM step whose question this action answers ("" outside the dialogue)
    kind: str  # text | button | photo
    value: str
    expect: str  # catalog key of the answer that shows the action worked ("" = any message)


# The bench owner answers every step as the form's sample entrepreneur (bot/domain/form.py).
ANSWERS = form.example_answers()
FACTS = form.Facts(answers=ANSWERS)
PATH = form.path(FACTS)


def _dialogue() -> list[Step]:
    """The whole dialogue, in the form's order: /start to the receipt (17 updates today)."""
    steps = [
        Step("", "text", "/start", "language.choose"),
        Step("", "button", "lang:{lang}", "start.welcome"),
        Step("", "text", "/new", form.question_key(PATH[0], FACTS)),
    ]
    for name, following in itertools.pairwise(PATH):
        step = form.step(name)
        expect = form.question_key(following, FACTS)
        if step.kind == "files":
            steps.append(Step(name, "photo", "", "form.attachments.received"))
        if step.options:
            value = ANSWERS.get(name, step.options[0])
            steps.append(Step(name, "button", f"f:{name}:{value}", expect))
        else:
            steps.append(Step(name, "text", ANSWERS.get(name) or step.example, expect))
    steps.append(Step("summary", "button", "f:summary:submit", "form.receipt.text"))
    return steps


DIALOGUE = _dialogue()
# The question each FSM step asks (what a probe gets back), mapped to where to go on.
QUESTIONS = {name: form.question_key(name, FACTS) for name in PATH}


@dataclass
class Stamped:
    at: float
    entry: Entry


class Inbox:
    """Every message the bot sends to private chats, stamped on arrival at the emulator."""

    def __init__(self, emu: BotAPIEmulator) -> None:
        self.emu = emu
        self.chats: dict[int, list[Stamped]] = defaultdict(list)
        self._events: dict[int, asyncio.Event] = defaultdict(asyncio.Event)
        emu.listeners.append(self._on_event)

    def close(self) -> None:
        self.emu.listeners.remove(self._on_event)

    def _on_event(self, event: dict[str, Any]) -> None:
        if event.get("type") != "new":
            return
        entry = event["message"]
        chat_id = event["chat_id"]
        if chat_id <= 0 or not entry["from_bot"]:
            return
        self.chats[chat_id].append(Stamped(time.perf_counter(), entry))
        self._events[chat_id].set()

    def mark(self, chat_id: int) -> int:
        return len(self.chats[chat_id])

    async def wait(
        self, chat_id: int, after: int, match: Callable[[Entry], bool], timeout: float
    ) -> Stamped:
        """The first bot message at index >= ``after`` that matches."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        index = after
        while True:
            messages = self.chats[chat_id]
            while index < len(messages):
                if match(messages[index].entry):
                    return messages[index]
                index += 1
            event = self._events[chat_id]
            event.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"chat {chat_id}: no matching bot message in {timeout}s")
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                continue

    def first_after(self, chat_id: int, after: int) -> Stamped | None:
        messages = self.chats[chat_id]
        return messages[after] if len(messages) > after else None

    def find_button(self, chat_id: int, data: str) -> int | None:
        for stamped in reversed(self.chats[chat_id]):
            for row in stamped.entry["buttons"]:
                if any(button[1] == data for button in row):
                    return int(stamped.entry["message_id"])
        return None

    def texts(self, chat_id: int) -> list[str]:
        return [s.entry["text"] or s.entry["caption"] or "" for s in self.chats[chat_id]]


def contains(needle: str) -> Callable[[Entry], bool]:
    def match(entry: Entry) -> bool:
        return needle in (entry["text"] or entry["caption"] or "")

    return match


def any_message(entry: Entry) -> bool:
    return True


@dataclass
class OwnerResult:
    user_id: int
    latencies: list[float] = field(default_factory=list)
    updates: int = 0
    receipt: str | None = None
    step: int = 0  # index in DIALOGUE of the next action
    probes: int = 0
    error: str | None = None


@dataclass
class Owner:
    """One simulated owner; ``echo=True`` accepts any reply (for the echo-bot floor)."""

    emu: BotAPIEmulator
    inbox: Inbox
    user_id: int
    language: str = "kk"
    think: float = 0.0
    timeout: float = 30.0
    echo: bool = False
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.result = OwnerResult(self.user_id)

    def _inject(self, step: Step) -> None:
        user = self.user_id
        if step.kind == "text":
            self.emu.send_text(user, step.value)
        elif step.kind == "photo":
            self.emu.send_photo(user)
        else:
            data = step.value.format(lang=self.language)
            message_id = self.inbox.find_button(user, data)
            if message_id is None:
                raise AssertionError(f"owner {user}: no button {data!r} in the chat")
            self.emu.forge_callback(user, user, message_id, data)

    def _expected(self, step: Step) -> Callable[[Entry], bool]:
        if self.echo or not step.expect:
            return any_message
        return contains(frag(self.language, step.expect))

    async def act(self, step: Step, timeout: float | None = None) -> Stamped:
        """Send one update; wait for the expected answer; record the first reply's latency."""
        mark = self.inbox.mark(self.user_id)
        sent = time.perf_counter()
        self._inject(step)
        self.result.updates += 1
        found = await self.inbox.wait(
            self.user_id, mark, self._expected(step), timeout or self.timeout
        )
        first = self.inbox.first_after(self.user_id, mark)
        assert first is not None
        self.result.latencies.append(first.at - sent)
        return found

    async def pause(self) -> None:
        if self.think > 0:
            await asyncio.sleep(self.rng.uniform(0.5, 1.5) * self.think)

    async def file(self) -> OwnerResult:
        """The whole dialogue, once, no retries (benchmarks)."""
        try:
            for index, step in enumerate(DIALOGUE):
                self.result.step = index
                await self.pause()
                answer = await self.act(step)
                if step.name == "summary" and not self.echo:
                    self.result.receipt = receipt_number(answer.entry)
            self.result.step = len(DIALOGUE)
        except (TimeoutError, AssertionError) as error:
            self.result.error = f"step {self.result.step}: {error}"
        return self.result

    async def file_patiently(self, deadline: float) -> OwnerResult:
        """The dialogue through bot crashes: when an answer does not come, ask where we are.

        A person whose message went unanswered sends something again; here that is a sticker,
        which at any dialogue step brings a hint and the step's question back.
        """
        loop = asyncio.get_running_loop()
        index = 0
        while index < len(DIALOGUE) and loop.time() < deadline:
            step = DIALOGUE[index]
            self.result.step = index
            await self.pause()
            try:
                answer = await self.act(step)
            except TimeoutError:
                index = await self.probe(index)
                continue
            except AssertionError:
                # The button's message is gone from view (e.g. the bot restarted mid-step).
                index = await self.probe(index)
                continue
            if step.name == "summary":
                self.result.receipt = receipt_number(answer.entry)
            index += 1
        self.result.step = index
        if index < len(DIALOGUE):
            self.result.error = f"unfinished at step {index}"
        return self.result

    async def probe(self, index: int) -> int:
        """Send a sticker and return the dialogue index of the question that comes back."""
        self.result.probes += 1
        mark = self.inbox.mark(self.user_id)
        self.emu.send_sticker(self.user_id)
        needles = {name: frag(self.language, key) for name, key in QUESTIONS.items()}
        receipt = frag(self.language, "form.receipt.text")

        def known(entry: Entry) -> bool:
            text = entry["text"] or entry["caption"] or ""
            return receipt in text or any(n in text for n in needles.values())

        try:
            found = await self.inbox.wait(self.user_id, mark, known, self.timeout)
        except TimeoutError:
            # Still down, or not in the dialogue (a sticker outside it gets no answer):
            # before the dialogue, simply start again; inside it, try the same step again.
            return 0 if index < 3 else index
        text = found.entry["text"] or found.entry["caption"] or ""
        if receipt in text:  # the receipt arrived late, after all
            self.result.receipt = receipt_number(found.entry)
            return len(DIALOGUE)
        for name, needle in needles.items():
            if needle in text:
                return next(i for i, s in enumerate(DIALOGUE) if s.name == name)
        return index


def receipt_number(entry: Entry) -> str | None:
    found = re.search(r"\d{4}-\d{6}", entry["text"] or entry["caption"] or "")
    return found.group(0) if found else None


def add_owners(emu: BotAPIEmulator, count: int, language: str = "kk") -> list[int]:
    return [emu.add_user(f"Owner {n}", language_code=language) for n in range(count)]


async def run_owners(owners: list[Owner], *, patient_until: float | None = None) -> float:
    """Run every owner at once; the wall time it took."""
    started = time.perf_counter()
    if patient_until is None:
        await asyncio.gather(*(owner.file() for owner in owners))
    else:
        await asyncio.gather(*(owner.file_patiently(patient_until) for owner in owners))
    return time.perf_counter() - started
