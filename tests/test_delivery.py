"""The outbox sender against the emulator, a real aiogram Bot and a real database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.methods import TelegramMethod
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.outbox import queue_call
from bot.sandbox.emulator import BotAPIEmulator
from bot.telegram.bell import OutboxBell
from bot.telegram.outbox import TOPIC, enqueue
from bot.telegram.ratelimit import Limits, RateLimiter
from bot.telegram.sender import Job, Send, Sender
from models import Appeal, OutboxMessage, OutboxState, User, utcnow
from tests.emulator import running_env

Sessionmaker = async_sessionmaker[AsyncSession]


class FakeClock:
    """One clock for the limiter (monotonic seconds) and the worker (UTC); sleeping moves it."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.epoch = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)

    def monotonic(self) -> float:
        return self.seconds

    def utc(self) -> datetime:
        return self.epoch + timedelta(seconds=self.seconds)

    async def sleep(self, seconds: float) -> None:
        self.seconds += seconds
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.seconds += seconds


@dataclass
class Rig:
    emu: BotAPIEmulator
    bot: Bot
    user_id: int
    db: Sessionmaker
    clock: FakeClock

    def worker(self, **options: Any) -> Sender:
        limiter = RateLimiter(clock=self.clock.monotonic, sleep=self.clock.sleep)
        # jitter 1.0: backoffs are exactly base * 2 ** (attempts - 1).
        return sender(
            self.bot, self.db, limiter=limiter, clock=self.clock.utc, jitter=lambda: 1.0, **options
        )

    async def add_owner(self, name: str = "Owner") -> int:
        return await add_owner(self.emu, self.db, name)

    async def queue(self, chat_id: int, *texts: str, **options: Any) -> list[int]:
        return await queue(self.db, self.clock.utc(), chat_id, *texts, **options)

    async def load(self, row_id: int) -> OutboxMessage:
        async with self.db() as session:
            row = await session.get(OutboxMessage, row_id)
            assert row is not None
            return row

    async def states(self, ids: list[int]) -> list[str]:
        return [(await self.load(row_id)).state for row_id in ids]

    def texts(self, chat_id: int, thread_id: int | None = None) -> list[str]:
        return [
            entry["text"] or entry["caption"] or ""
            for entry in self.emu.transcript(chat_id, thread_id)
            if entry["from_bot"] and not entry["kind"].startswith("forum_topic")
        ]


def sender(bot: Bot, db: Sessionmaker, *, forum: bool = True, **options: Any) -> Sender:
    async def has_topics() -> bool:
        return forum

    return Sender(bot, db, bell=OutboxBell(), forum=has_topics, token="test-sender", **options)


@pytest.fixture
async def rig(sessionmaker: Sessionmaker) -> AsyncIterator[Rig]:
    async with running_env(default=DefaultBotProperties(parse_mode="HTML")) as env:
        yield Rig(env.emu, env.bot, env.user_id, sessionmaker, FakeClock())


async def add_owner(emu: BotAPIEmulator, db: Sessionmaker, name: str) -> int:
    user_id = emu.add_user(name)
    async with db.begin() as session:
        session.add(User(id=user_id, language="ru"))
    return user_id


async def queue(
    db: Sessionmaker, now: datetime, chat_id: int, *texts: str, **options: Any
) -> list[int]:
    ids = []
    async with db.begin() as session:
        for text in texts:
            row_id = await enqueue(
                session, chat_id=chat_id, kind="t", text=text, now=now, **options
            )
            assert row_id is not None
            ids.append(row_id)
    return ids


async def test_each_row_is_delivered_once_in_order_per_chat(rig: Rig) -> None:
    owners = [rig.user_id, *[await rig.add_owner() for _ in range(2)]]
    ids = []
    for n in range(4):
        for owner in owners:
            ids += await rig.queue(owner, f"<b>#{n}</b> для {owner}")
    worker = rig.worker()

    assert await worker.run_once() == 12
    assert await worker.run_once() == 0

    for owner in owners:
        assert rig.texts(owner) == [f"#{n} для {owner}" for n in range(4)]
    assert rig.emu.transcript(owners[0])[0]["html"] == f"<b>#0</b> для {owners[0]}"
    rows = [await rig.load(row_id) for row_id in ids]
    assert {(r.state, r.attempts, r.sent_at is not None) for r in rows} == {("sent", 1, True)}
    # One message a second per private chat: four each took at least three (fake) seconds.
    assert rig.clock.seconds >= 3.0


async def test_a_row_due_later_waits_for_its_time(rig: Rig) -> None:
    later = rig.clock.utc() + timedelta(hours=1)
    [row_id] = await rig.queue(rig.user_id, "reminder", due_at=later)
    worker = rig.worker()
    assert await worker.run_once() == 0
    rig.clock.advance(3600)
    assert await worker.run_once() == 1
    assert rig.texts(rig.user_id) == ["reminder"]
    assert (await rig.load(row_id)).state == "sent"


async def test_rows_behind_a_retry_wait_with_it_instead_of_waking_the_loop(rig: Rig) -> None:
    # After a restart a row waiting to be retried is pending again, and the rows its chat
    # queued after it are due but held back. The loop must sleep until the retry's time,
    # not count the held-back rows as due and claim again at once, over and over.
    first, behind = await rig.queue(rig.user_id, "first", "behind")
    async with rig.db.begin() as session:
        row = await session.get(OutboxMessage, first)
        assert row is not None
        row.last_error = "TelegramServerError: 502"
        row.due_at = rig.clock.utc() + timedelta(seconds=30)
    worker = rig.worker(poll_interval=60.0)
    # The loop's own steps, without the loop.
    assert await worker._claim() == []
    assert worker._until_next_due() == 30.0

    rig.clock.advance(30)
    await worker.run_once()
    assert await rig.states([first, behind]) == ["sent", "sent"]
    assert rig.texts(rig.user_id) == ["first", "behind"]


async def test_429_puts_the_chat_off_without_losing_or_reordering(rig: Rig) -> None:
    first, second = await rig.queue(rig.user_id, "first", "second")
    rig.emu.inject_fault("429", chat_id=rig.user_id, retry_after=7)
    worker = rig.worker()

    assert await worker.run_once() == 1
    row = await rig.load(first)
    # Still this sender's, waiting for its time; the attempt is not counted against it.
    assert (row.state, row.attempts) == ("claimed", 0)
    assert row.due_at == rig.clock.utc() + timedelta(seconds=7)
    assert row.last_error is not None and "429" in row.last_error
    # The second row is due, but must not overtake the first.
    assert await worker.run_once() == 0
    assert rig.texts(rig.user_id) == []

    rig.clock.advance(7)
    assert await worker.run_once() == 2
    assert rig.texts(rig.user_id) == ["first", "second"]
    assert await rig.states([first, second]) == ["sent", "sent"]


async def test_server_and_network_errors_are_retried_with_backoff(rig: Rig) -> None:
    row_id, after = await rig.queue(rig.user_id, "hello", "after")
    rig.emu.inject_fault("5xx", chat_id=rig.user_id)
    rig.emu.inject_fault("timeout", chat_id=rig.user_id)
    worker = rig.worker(base_backoff=2.0)

    await worker.run_once()
    assert rig.texts(rig.user_id) == []
    row = await rig.load(row_id)
    assert (row.state, row.attempts) == ("claimed", 1)
    assert row.due_at == rig.clock.utc() + timedelta(seconds=2)
    assert row.last_error is not None and "TelegramServerError" in row.last_error

    rig.clock.advance(2)
    await worker.run_once()
    row = await rig.load(row_id)
    assert (row.state, row.attempts) == ("claimed", 2)
    assert row.due_at == rig.clock.utc() + timedelta(seconds=4)
    assert row.last_error is not None and "TelegramNetworkError" in row.last_error

    rig.clock.advance(4)
    await worker.run_once()
    assert await rig.states([row_id, after]) == ["sent", "sent"]
    assert rig.texts(rig.user_id) == ["hello", "after"]


async def test_gives_up_after_max_attempts_and_staff_can_retry(rig: Rig) -> None:
    [row_id] = await rig.queue(rig.user_id, "hello")
    rig.emu.inject_fault("5xx", chat_id=rig.user_id, count=None)
    worker = rig.worker(max_attempts=3, base_backoff=1.0, max_backoff=1.5)

    for _ in range(3):
        await worker.run_once()
        rig.clock.advance(1.5)
    row = await rig.load(row_id)
    assert (row.state, row.attempts) == ("failed", 3)
    assert await worker.run_once() == 0

    rig.emu.clear_faults()
    async with rig.db.begin() as session:
        assert await Sender.retry(session, row_id, rig.clock.utc()) is True
        assert await Sender.retry(session, row_id + 100, rig.clock.utc()) is False
    assert await worker.run_once() == 1
    row = await rig.load(row_id)
    assert (row.state, row.attempts, rig.texts(rig.user_id)) == ("sent", 1, ["hello"])


async def test_bad_request_fails_that_row_and_the_chat_goes_on(rig: Rig) -> None:
    ids = await rig.queue(rig.user_id, "broken", "fine")
    rig.emu.inject_fault("400", chat_id=rig.user_id, description="Bad Request: can't parse")
    worker = rig.worker()

    assert await worker.run_once() == 2
    assert await rig.states(ids) == ["failed", "sent"]
    assert "can't parse" in ((await rig.load(ids[0])).last_error or "")
    assert rig.texts(rig.user_id) == ["fine"]


async def test_blocked_owner_is_marked_and_reported_once(rig: Rig) -> None:
    owner = await rig.add_owner()
    other = await rig.add_owner()
    staff = rig.emu.add_group("Staff", forum=False, members=[rig.user_id])
    ids = await rig.queue(owner, "one", "two", "three")
    await rig.queue(other, "for the other")
    rig.emu.block_bot(owner)
    reported: list[tuple[int, int]] = []

    async def on_blocked(session: AsyncSession, row: Job) -> None:
        reported.append((row.id, row.chat_id))
        await enqueue(session, chat_id=staff, kind="note", text="blocked", now=rig.clock.utc())

    worker = rig.worker(on_blocked=on_blocked)
    await worker.run_once()

    assert await rig.states(ids) == ["failed", "cancelled", "cancelled"]
    assert reported == [(ids[0], owner)]
    async with rig.db() as session:
        user = await session.get(User, owner)
        assert user is not None and user.blocked
    assert rig.texts(other) == ["for the other"]

    # Still blocked: a later notice fails too, but nobody is told again.
    [later] = await rig.queue(owner, "four")
    await worker.run_once()
    await worker.run_once()
    assert await rig.states([later]) == ["failed"]
    assert reported == [(ids[0], owner)]
    assert rig.texts(staff) == ["blocked"]


async def test_document_arrives_with_its_name_and_caption(rig: Rig) -> None:
    ics = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    async with rig.db.begin() as session:
        await enqueue(
            session,
            chat_id=rig.user_id,
            kind="hearing",
            text="Заседание <b>5 марта</b>",
            now=rig.clock.utc(),
            document=("hearing.ics", ics, "text/calendar"),
        )
    await rig.worker().run_once()

    [entry] = rig.emu.transcript(rig.user_id)
    assert entry["kind"] == "document"
    assert entry["content"]["document"]["file_name"] == "hearing.ics"
    assert entry["caption_html"] == "Заседание <b>5 марта</b>"
    file = await rig.bot.get_file(entry["content"]["document"]["file_id"])
    assert file.file_path is not None
    downloaded = await rig.bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == ics


async def appeal_in(db: Sessionmaker, owner: int, topic_id: int | None) -> int:
    now = utcnow()
    async with db.begin() as session:
        appeal = Appeal(
            number="2026-000001",
            user_id=owner,
            applicant_name="Жұмабаева Асель",
            applicant_kind="ie",
            applicant_iin_bin="850315400124",
            applicant_phone="+77011112233",
            appeal_type="complaint",
            category="permits",
            locality="ust_kamenogorsk",
            body="ДГД",
            description="x" * 40,
            registered_at=now,
            due_at=now,
            topic_id=topic_id,
            card_message_id=None,
        )
        session.add(appeal)
        await session.flush()
        return appeal.id


async def test_rows_for_a_topic_wait_for_it_and_follow_a_recreated_one(rig: Rig) -> None:
    staff = rig.emu.add_group("Staff", forum=True, members=[rig.user_id])
    await add_owner_row(rig.db, rig.user_id)
    appeal_id = await appeal_in(rig.db, rig.user_id, topic_id=None)
    async with rig.db.begin() as session:
        # Queued before the topic exists: the sender makes it first, then posts into it.
        await session.execute(
            insert(OutboxMessage).values(
                chat_id=staff,
                appeal_id=appeal_id,
                kind="topic",
                method="createForumTopic",
                payload={"name": "2026-000001"},
                after={"topic": appeal_id},
                due_at=rig.clock.utc(),
                state="pending",
                attempts=0,
                created_at=rig.clock.utc(),
            )
        )
        first = [
            await enqueue(
                session,
                chat_id=staff,
                kind="t",
                text=text,
                now=rig.clock.utc(),
                appeal_id=appeal_id,
                place=TOPIC,
            )
            for text in ("a", "b")
        ]
    worker = rig.worker(on_thread_missing=recreate_with(rig, staff))
    await worker.run_once()
    async with rig.db() as session:
        old = (await session.get(Appeal, appeal_id)).topic_id  # type: ignore[union-attr]
    assert old is not None and rig.texts(staff, old) == ["a", "b"]

    rig.emu.delete_topic(staff, old)
    ids = await rig.queue(staff, "c", "d", appeal_id=appeal_id, place=TOPIC)
    await worker.run_once()
    await worker.run_once()

    async with rig.db() as session:
        new = (await session.get(Appeal, appeal_id)).topic_id  # type: ignore[union-attr]
    assert new not in (None, old)
    assert rig.texts(staff, new) == ["card again", "c", "d"]
    assert await rig.states([*first, *ids]) == ["sent"] * 4  # type: ignore[list-item]


def recreate_with(rig: Rig, staff: int) -> Callable[[Job, Send], Awaitable[int]]:
    async def recreate(job: Job, send: Send) -> int:
        from aiogram.methods import CreateForumTopic, SendMessage
        from sqlalchemy import update

        topic = await send(CreateForumTopic(chat_id=staff, name="2026-000001"))
        await send(
            SendMessage(chat_id=staff, text="card again", message_thread_id=topic.message_thread_id)
        )
        async with rig.db.begin() as session:
            await session.execute(
                update(Appeal)
                .where(Appeal.id == job.appeal_id)
                .values(topic_id=topic.message_thread_id)
            )
        return int(topic.message_thread_id)

    return recreate


async def add_owner_row(db: Sessionmaker, user_id: int) -> None:
    async with db.begin() as session:
        if await session.get(User, user_id) is None:
            session.add(User(id=user_id, language="ru"))


async def test_stop_lets_the_send_under_way_finish(rig: Rig) -> None:
    ids = await rig.queue(rig.user_id, "first", "second")
    rig.emu.inject_fault("latency", chat_id=rig.user_id, delay=0.3)
    sending = asyncio.Event()

    async def note_sending(
        make_request: Callable[[Bot, TelegramMethod[Any]], Awaitable[Any]],
        bot: Bot,
        method: TelegramMethod[Any],
    ) -> Any:
        sending.set()
        return await make_request(bot, method)

    rig.bot.session.middleware(note_sending)
    worker = rig.worker(poll_interval=0.01)
    worker.start()
    await asyncio.wait_for(sending.wait(), timeout=5)

    await worker.stop()

    assert await rig.states(ids) == ["sent", "pending"]
    assert rig.texts(rig.user_id) == ["first"]


async def test_taking_over_counts_the_send_a_killed_sender_had_on_the_wire(rig: Rig) -> None:
    group = -1001234567890
    ids = await rig.queue(group, "was on the wire", "not started")
    async with rig.db.begin() as session:
        for row_id in ids:
            row = await session.get(OutboxMessage, row_id)
            assert row is not None
            row.state, row.claimed_by = OutboxState.CLAIMED.value, "killed-sender"
    # One message a minute per group: the one the dead sender may have sent fills the minute,
    # and a little more, since it may have reached Telegram just after the takeover.
    limiter = RateLimiter(Limits(group_per_min=1), clock=rig.clock.monotonic, sleep=rig.clock.sleep)
    worker = sender(rig.bot, rig.db, limiter=limiter, clock=rig.clock.utc)

    await worker.take_over()

    assert await rig.states(ids) == ["pending", "pending"]
    assert limiter.wait(group, rig.clock.monotonic()) > 64
    assert limiter.wait(rig.user_id, rig.clock.monotonic()) == 0

    # The sender that took over dies too, before sending it again: the next still counts it.
    rig.clock.advance(30)
    later = RateLimiter(Limits(group_per_min=1), clock=rig.clock.monotonic, sleep=rig.clock.sleep)
    await sender(rig.bot, rig.db, limiter=later, clock=rig.clock.utc).take_over()
    assert 34 < later.wait(group, rig.clock.monotonic()) < 36


async def test_a_row_sent_again_after_a_kill_counts_once_per_attempt(rig: Rig) -> None:
    group = rig.emu.add_group("Операторы", forum=False, members=[rig.user_id])
    [row_id] = await rig.queue(group, "was on the wire")
    async with rig.db.begin() as session:
        row = await session.get(OutboxMessage, row_id)
        assert row is not None
        row.state, row.claimed_by = OutboxState.CLAIMED.value, "killed-sender"
    first = sender(rig.bot, rig.db, limiter=RateLimiter(Limits().scaled(100)), clock=rig.clock.utc)
    await first.take_over()
    assert await first.run_once() == 1  # sent again: Telegram may have counted it twice
    rig.clock.advance(10)

    # Two a minute: both attempts fill the minute for whoever takes over next.
    limiter = RateLimiter(Limits(group_per_min=2), clock=rig.clock.monotonic, sleep=rig.clock.sleep)
    await sender(rig.bot, rig.db, limiter=limiter, clock=rig.clock.utc).take_over()

    assert (await rig.load(row_id)).attempts == 2
    assert 49 < limiter.wait(group, rig.clock.monotonic()) < 51


async def test_acceptance_500_notifications_under_faults_and_telegram_limits(rig: Rig) -> None:
    """5 % of calls answer 429, 10 % 5xx; limits enforced (scaled 5x): all arrive, once each."""
    scale = 5
    owners = [await rig.add_owner(f"Owner {n}") for n in range(50)]
    expected = {owner: [f"#{n} for {owner}" for n in range(10)] for owner in owners}
    for n in range(10):
        for owner in owners:
            await queue(rig.db, utcnow(), owner, expected[owner][n])
    rig.emu.set_rate_limits(scale=scale, enforce=True)
    rig.emu.inject_fault("429", count=None, probability=0.05, retry_after=1)
    rig.emu.inject_fault("5xx", count=None, probability=0.10)
    worker = sender(
        rig.bot,
        rig.db,
        limiter=RateLimiter(Limits().scaled(scale)),
        base_backoff=0.05,
        max_backoff=0.5,
        poll_interval=0.05,
    )

    worker.start()
    try:
        await asyncio.wait_for(all_sent(rig.db), timeout=30)
    finally:
        await worker.stop()

    assert {owner: rig.texts(owner) for owner in owners} == expected
    assert rig.emu.rate_limit_violations == []
    faults = {c.get("fault") for c in rig.emu.calls}
    assert {"429", "5xx"} <= faults


async def all_sent(db: Sessionmaker) -> None:
    while True:
        async with db() as session:
            left = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.state != OutboxState.SENT.value)
            )
        if left == 0:
            return
        await asyncio.sleep(0.1)


async def test_a_reaction_does_not_wait_behind_a_message_held_by_the_chats_limit(
    rig: Rig,
) -> None:
    # Staff's 👍 under their message in the group is no message for Telegram's limits and
    # needs no order: it must not wait the group's minute behind a relay copy that does.
    staff_message = rig.emu.send_text(rig.user_id, "ответ")["message_id"]
    texts = [f"#{n}" for n in range(5)]  # the private chat takes 3 in any 3 s
    await rig.queue(rig.user_id, *texts)
    async with rig.db.begin() as session:
        await queue_call(
            session,
            chat_id=rig.user_id,
            method="setMessageReaction",
            params={"message_id": staff_message, "reaction": [{"type": "emoji", "emoji": "👍"}]},
            kind="reaction",
            now=rig.clock.utc(),
        )
    worker = sender(rig.bot, rig.db, limiter=RateLimiter(), poll_interval=0.05)
    worker.start()
    try:
        await asyncio.wait_for(all_sent(rig.db), timeout=30)
    finally:
        await worker.stop()

    assert rig.texts(rig.user_id) == texts  # the messages keep their order
    order = [c["method"] for c in rig.emu.calls if c["method"] != "getMe"]
    reaction = order.index("setMessageReaction")
    assert reaction < order.index("sendMessage") + 3, order  # before the held-back ones


async def test_an_album_counts_one_message_per_file_in_the_groups_limit(rig: Rig) -> None:
    group = rig.emu.add_group("Операторы", forum=False, members=[rig.user_id])
    files = [rig.emu.world.files.add_document(b"%PDF-1", f"{n}.pdf", None) for n in range(3)]
    async with rig.db.begin() as session:
        album = await queue_call(
            session,
            chat_id=group,
            method="sendMediaGroup",
            params={"media": [{"type": "document", "media": f["file_id"]} for f in files]},
            kind="card_files",
            now=rig.clock.utc(),
        )
    assert album is not None
    ids = [album, *await rig.queue(group, "after the album", "one too many")]
    # Four messages a minute: the album is three of them, so the second text waits a minute.
    limiter = RateLimiter(Limits(group_per_min=4), clock=rig.clock.monotonic, sleep=rig.clock.sleep)
    worker = sender(rig.bot, rig.db, limiter=limiter, clock=rig.clock.utc)

    assert await worker.run_once() == 3

    assert await rig.states(ids) == ["sent"] * 3
    assert rig.texts(group)[-2:] == ["after the album", "one too many"]
    assert rig.clock.seconds >= 60
