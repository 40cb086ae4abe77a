"""Scheduled pushes with a controllable clock (nothing sleeps for minutes or hours): hearing
reminders, deadlines, needs_info reminders, the daily digest, ratings and automatic closing,
failed deliveries. The whole application polls the emulator in-process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.app import Application
from bot.sandbox.emulator import BotAPIEmulator
from models import Appeal, OutboxMessage
from tests.e2e.harness import ChatDriver
from tests.support.keyboard import buttons, data_of
from tests.support.live import eventually, live_app
from tests.support.owner import I18N, file_appeal, frag
from tests.support.pages import Group, staff_step, wait_status

ALMATY = ZoneInfo("Asia/Almaty")
Entry = dict[str, Any]


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set_local(self, text: str) -> None:
        self.now = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=ALMATY).astimezone(UTC)


class World:
    def __init__(self, emu: BotAPIEmulator, group: Group, clock: Clock, tmp_path: Path) -> None:
        self.emu, self.group, self.clock, self.tmp_path = emu, group, clock, tmp_path
        self.app: Application | None = None

    async def run(self) -> None:
        """Let the scheduler's checks and the delivery worker see the moved clock."""
        assert self.app is not None
        await self.app.jobs.tick()
        self.app.sender.wake()
        await self.settled()

    async def settled(self) -> None:
        """Wait until everything due is sent and recorded as sent."""
        assert self.app is not None
        waiting = select(func.count()).where(
            OutboxMessage.state.in_(["pending", "claimed"]), OutboxMessage.due_at <= self.clock.now
        )
        for _ in range(500):
            if await self.scalar(waiting) == 0:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("messages due on the moved clock were not delivered")

    async def scalar(self, statement: Any) -> Any:
        assert self.app is not None
        async with self.app.sessionmaker() as session:
            return await session.scalar(statement)

    async def rows(self, statement: Any) -> list[Any]:
        assert self.app is not None
        async with self.app.sessionmaker() as session:
            return list((await session.execute(statement)).all())


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    emu = BotAPIEmulator(seed=5)
    await emu.start()
    staff = emu.add_user("Дина", "Оспанова")
    group_id = emu.add_group("Операторы", forum=True, members=[staff], admins=[staff])
    clock = Clock(datetime(2026, 12, 1, 5, 0, tzinfo=UTC))  # Tuesday 10:00 in Almaty
    state = World(emu, Group(emu, group_id, staff), clock, tmp_path)
    async with live_app(emu, tmp_path, group_id, clock=clock) as app:
        state.app = app
        yield state
    await emu.stop()


def texts(emu: BotAPIEmulator, chat: int, needle: str, thread: int | None = None) -> list[str]:
    return [
        e["text"] or e["caption"] or ""
        for e in emu.transcript(chat, thread)
        if e["from_bot"] and needle in (e["text"] or e["caption"] or "")
    ]


async def case(
    world: World, user: int, language: str, returning: bool = False
) -> tuple[str, Entry]:
    number = await file_appeal(world.emu, user, language, returning=returning, photos=0)
    card = await world.group.card(number)
    assert world.app is not None
    owner = ChatDriver(world.emu, user)
    after = owner.last_id()
    await world.group.press(card, "take")
    await wait_status(world.app, number, "in_review")
    # The owner is told before the test goes on: a notice sent after a test moved the clock
    # would count as the office's latest message (the one a typed message is about).
    await owner.expect(frag(language, "notify.in_review"), after)
    await world.settled()  # and recorded as sent (its time is the office's latest message)
    return number, card


async def test_hearing_reminders_at_each_offset_in_both_languages(world: World) -> None:
    emu, group = world.emu, world.group
    owners = {
        "kk": emu.add_user("Асель", language_code="kk"),
        "ru": emu.add_user("Ольга", language_code="ru"),
    }
    threads = {}
    for language, user in owners.items():
        number, card = await case(world, user, language)
        threads[language] = (number, card["message_thread_id"])
        await group.say(
            "/hearing 2026-12-07 15:00 Өскемен, Горький к-сі 40; bring: шарт",
            card["message_thread_id"],
            expect="Заседание: 07.12.2026 15:00",
        )
    await world.run()

    marks = {
        "2026-12-04 15:00": (3, "day"),
        "2026-12-06 15:00": (1, "day"),
        "2026-12-07 13:00": (2, "hour"),
    }
    for moment, (amount, unit) in marks.items():
        world.clock.set_local(moment)
        await world.run()
        for language, user in owners.items():
            key = "remind.in_days" if unit == "day" else "remind.in_hours"
            when = I18N.get(language, key, days=amount, hours=amount)
            found = texts(emu, user, when)
            assert len(found) == 1, (language, moment, found)
            reminder = found[0]
            assert "07.12.2026" in reminder and "15:00" in reminder and "шарт" in reminder
            assert frag(language, "remind.hearing") in reminder
    # each reminder carries the attendance buttons; an answer reaches the topic
    last = [e for e in emu.transcript(owners["ru"]) if e["from_bot"] and e["buttons"]][-1]
    going = data_of(last, suffix=":yes")
    await ChatDriver(emu, owners["ru"]).press(going, "15:00")
    await group.expect("Заявитель придёт", threads["ru"][1], 0)
    # nothing is sent twice when the checks run again
    await world.run()
    for user in owners.values():
        assert len(texts(emu, user, "⏰")) == 3


async def test_moved_cancelled_and_late_hearings(world: World) -> None:
    emu, group = world.emu, world.group
    user = emu.add_user("Ольга", language_code="ru")
    _number, card = await case(world, user, "ru")
    thread = card["message_thread_id"]
    await group.say("/hearing 2026-12-10 11:00 Каб. 1", thread, expect="10.12.2026 11:00")
    await group.say("/hearing 2026-12-11 12:00 Каб. 2", thread, expect="11.12.2026 12:00")
    # the moved hearing's reminders are never sent; the new one's are
    for moment in ("2026-12-07 11:00", "2026-12-08 12:00", "2026-12-09 11:00", "2026-12-10 10:00"):
        world.clock.set_local(moment)
        await world.run()
    reminders = texts(emu, user, "⏰")
    assert len(reminders) == 1 and "11.12.2026" in reminders[0] and "10.12.2026" not in reminders[0]
    # a cancelled hearing sends none
    await group.say("/hearing cancel", thread, expect="Заседание отменено")
    for moment in ("2026-12-10 12:00", "2026-12-11 10:00", "2026-12-11 11:00"):
        world.clock.set_local(moment)
        await world.run()
    assert len(texts(emu, user, "⏰")) == 1
    # set 30 hours ahead: the 72 h reminder is already past and skipped
    await group.say("/hearing 2026-12-12 17:00 Каб. 3", thread, expect="12.12.2026 17:00")
    keys = sorted(
        row[0]
        for row in await world.rows(
            select(OutboxMessage.dedupe_key).where(
                OutboxMessage.state == "pending", OutboxMessage.kind == "reminder"
            )
        )
    )
    assert [k.split(":")[-1] for k in keys] == ["24h", "2h"]


async def test_restart_across_a_due_time_sends_the_reminder_once(
    world: World, tmp_path: Path
) -> None:
    emu, group = world.emu, world.group
    user = emu.add_user("Асель", language_code="kk")
    _number, card = await case(world, user, "kk")
    await group.say(
        "/hearing 2026-12-03 15:00 Каб. 5", card["message_thread_id"], expect="03.12.2026 15:00"
    )
    assert world.app is not None
    assert world.app.stop_requested is not None
    world.app.stop_requested.set()  # the bot is down while the reminder falls due
    await world.app.stopped.wait()
    world.clock.set_local("2026-12-02 16:00")
    async with live_app(emu, tmp_path, group.chat_id, clock=world.clock) as again:
        world.app = again
        await eventually(lambda: texts(emu, user, "⏰"))  # sent at start, by itself
        await world.run()
        world.clock.set_local("2026-12-02 17:00")
        await world.run()
    assert len(texts(emu, user, "⏰")) == 1


async def test_deadline_alerts_overdue_marks_and_needs_info_reminders(world: World) -> None:
    emu, group = world.emu, world.group
    user = emu.add_user("Ольга", language_code="ru")
    number, card = await case(world, user, "ru")
    thread = card["message_thread_id"]
    due = await world.scalar(select(Appeal.due_at).where(Appeal.number == number))
    # registered Tue 01.12.2026; day 1 is Wed 02.12; 15 working days, Independence Day
    # (Wed 16.12) skipped: 2-4, 7-11, 14-15, 17-18, 21-23 December. Due Wed 23.12, 23:59 local.
    assert due == datetime(2026, 12, 23, 18, 59, 59, tzinfo=UTC)
    world.clock.set_local("2026-12-16 10:00")  # 10 of 15 working days: not yet 80 %
    await world.run()
    assert texts(emu, group.chat_id, "80 %", thread) == []
    world.clock.set_local("2026-12-18 10:00")  # 12 of 15: 80 %
    await world.run()
    await world.run()
    assert len(texts(emu, group.chat_id, "80 %", thread)) == 1
    world.clock.set_local("2026-12-23 09:00")
    await world.run()
    assert len(texts(emu, group.chat_id, "последний день", thread)) == 1
    world.clock.set_local("2026-12-24 09:00")
    await world.run()
    await world.run()
    assert len(texts(emu, group.chat_id, "истёк 23.12.2026", thread)) == 1
    await eventually(lambda: "ПРОСРОЧЕНО" in (group.current_card(card)["text"] or ""))
    await group.say("/open", None, expect=f"⚠️ {number}")
    listing = await ChatDriver(emu, user).say("/my", number)
    assert "срок истёк" in listing["text"]

    # needs_info: reminders to the owner after 3 and 10 days; staff see when it lapsed
    await staff_step(group, card, "needs_info", "Пришлите копию предписания.", "→")
    await world.run()
    for moment in ("2026-12-26 10:00", "2026-12-27 10:00"):  # 2 and 3 days later
        world.clock.set_local(moment)
        await world.run()
    reminders = texts(emu, user, "ждут вашего ответа")
    assert len(reminders) == 1 and "копию предписания" in reminders[0]
    world.clock.set_local("2027-01-03 10:00")  # 10 days
    await world.run()
    await world.run()
    assert len(texts(emu, user, "ждут вашего ответа")) == 2
    assert len(texts(emu, group.chat_id, "не ответил на уточняющий вопрос", thread)) == 1


async def test_digest_lists_exactly_what_the_data_says(world: World) -> None:
    emu, group = world.emu, world.group
    kk = emu.add_user("Асель", language_code="kk")
    ru = emu.add_user("Ольга", language_code="ru")
    # the bot started at 10:00, past DIGEST_TIME: that day's digest went out at start
    await eventually(lambda: texts(emu, group.chat_id, "Сводка на 01.12.2026"))
    world.clock.now += timedelta(minutes=1)
    first, _first_card = await case(world, kk, "kk")  # registered 01.12, due 23.12
    world.clock.set_local("2026-12-15 10:00")
    second, second_card = await case(world, ru, "ru")  # registered 15.12, due 08.01
    await group.say(
        "/hearing 2026-12-18 10:00 Каб. 9",
        second_card["message_thread_id"],
        expect="18.12.2026 10:00",
    )
    assert world.app is not None
    at = datetime(2026, 12, 15, 5, 0, tzinfo=UTC)
    async with world.app.sessionmaker.begin() as session:
        failed = OutboxMessage(
            chat_id=42,
            kind="status",
            method="sendMessage",
            payload={"text": "x"},
            due_at=at,
            attempts=8,
            state="failed",
            last_error="network",
            created_at=at,
        )
        session.add(failed)
        await session.flush()
        failed_id = failed.id
    world.clock.set_local("2026-12-18 08:59")
    await world.run()
    assert texts(emu, group.chat_id, "Сводка на 18") == []
    world.clock.set_local("2026-12-18 09:00")
    await world.run()
    [digest] = texts(emu, group.chat_id, "Сводка на 18")
    lines = digest.splitlines()

    def line(start: str) -> str:
        return next(x for x in lines if x.startswith(start))

    assert "18.12.2026" in lines[0]
    assert line("Новые") == f"Новые с прошлой сводки (2): {first}, {second}"
    assert line("Срок истекает") == f"Срок истекает в ближайшие 3 рабочих дня (1): {first}"
    assert line("Просрочены") == "Просрочены (0): нет"
    assert line("Заседания") == f"Заседания сегодня и завтра (1): {second} 18.12 10:00"
    assert line("Недоставленные") == f"Недоставленные сообщения (1): #{failed_id}"
    await world.run()
    world.clock.set_local("2026-12-18 18:00")
    await world.run()
    assert len(texts(emu, group.chat_id, "Сводка на 18")) == 1
    # a later digest counts only what is new since the previous one
    world.clock.set_local("2026-12-24 09:30")
    await world.run()
    latest = texts(emu, group.chat_id, "Сводка")[-1]
    assert "Новые с прошлой сводки (0): нет" in latest
    assert f"Просрочены (1): {first}" in latest


async def test_digest_only_on_working_days(world: World) -> None:
    emu, group = world.emu, world.group
    await eventually(lambda: texts(emu, group.chat_id, "Сводка на 01.12.2026"))
    # 16.12 (Independence Day, a public holiday), Friday 18.12, the weekend, Monday 21.12
    moments = ("2026-12-16 09:30", "2026-12-18 09:30", "2026-12-19 09:30", "2026-12-20 12:00")
    for moment in moments:
        world.clock.set_local(moment)
        await world.run()
    assert texts(emu, group.chat_id, "Сводка на 18.12.2026")
    assert texts(emu, group.chat_id, "Сводка на 16") == []
    assert texts(emu, group.chat_id, "Сводка на 19") == []
    assert texts(emu, group.chat_id, "Сводка на 20") == []
    user = emu.add_user("Ольга", language_code="ru")
    number, _card = await case(world, user, "ru")  # filed on Sunday
    world.clock.set_local("2026-12-21 09:00")
    await world.run()
    [monday] = texts(emu, group.chat_id, "Сводка на 21.12.2026")
    assert f"Новые с прошлой сводки (1): {number}" in monday


async def test_rating_dispute_and_automatic_closing(world: World) -> None:
    emu, group = world.emu, world.group
    user = emu.add_user("Асель", language_code="kk")
    owner = ChatDriver(emu, user)
    assert world.app is not None
    numbers = []
    for index in range(3):
        number, card = await case(world, user, "kk", returning=index > 0)
        await group.press(group.current_card(card), "answered")
        thread = card["message_thread_id"]
        outcome = await group.expect("Выберите итог", thread, 0)
        data = data_of(outcome, suffix=":partly")
        emu.press_button(group.staff, group.chat_id, outcome["message_id"], data)
        await group.expect("Напишите текст ответа", thread, outcome["message_id"])
        after = owner.last_id()
        await group.say("Ішінара шешілді.", thread, expect="Дан ответ")
        await world.run()
        await owner.expect(frag("kk", "rate.ask"), after)
        numbers.append((number, card))

    def rate_buttons(number: str) -> Entry:
        return next(
            e
            for e in emu.transcript(user)
            if e["from_bot"]
            and number in (e["text"] or "")
            and e["buttons"]
            and any(data.startswith("rt:") for _, data in buttons(e))
        )

    (rated, rated_card), (disputed, disputed_card), (silent, _silent_card) = numbers
    four = data_of(rate_buttons(rated), suffix=":4")
    await owner.press(four, "⭐⭐⭐")
    await group.expect("оценил ответ", rated_card["message_thread_id"], 0)
    dispute = next(
        b[1]
        for row in rate_buttons(disputed)["buttons"]
        for b in row
        if (b[1] or "").endswith(":dispute")
    )
    await owner.press(dispute, disputed)
    await group.expect("оспорил ответ", disputed_card["message_thread_id"], 0)
    await wait_status(world.app, disputed, "in_review")

    world.clock.now += timedelta(days=9)
    await world.run()
    await wait_status(world.app, silent, "answered")
    world.clock.now += timedelta(days=1, minutes=5)
    await world.run()
    await wait_status(world.app, silent, "closed")
    await wait_status(world.app, rated, "closed")  # rated, not disputed: closes too
    await wait_status(world.app, disputed, "in_review")
    await owner.expect(frag("kk", "rate.auto_closed"), 0)
    ratings = dict(await world.rows(select(Appeal.number, Appeal.rating)))
    assert ratings == {rated: 4, disputed: None, silent: None}


async def test_failed_deliveries_are_listed_and_retried(world: World) -> None:
    emu, group = world.emu, world.group
    user = emu.add_user("Ольга", language_code="ru")
    _number, card = await case(world, user, "ru")
    await world.run()  # the "taken" notice is out before Telegram starts failing
    emu.inject_fault("5xx", method="sendMessage", chat_id=user, count=None)
    await staff_step(group, card, "needs_info", "Уточните адрес.", "→")
    for _ in range(12):  # each retry falls due on the moved clock
        await world.run()
        world.clock.now += timedelta(minutes=10)
    failed = [
        row[0]
        for row in await world.rows(select(OutboxMessage.id).where(OutboxMessage.state == "failed"))
    ]
    assert len(failed) == 1
    listing = await group.say("/failed", None, expect="Недоставленные сообщения: 1")
    emu.clear_faults()
    retry = listing["buttons"][0][0][1]
    emu.press_button(group.staff, group.chat_id, listing["message_id"], retry)
    await ChatDriver(emu, user).expect("Уточните адрес", 0)

    for _ in range(500):
        if (
            await world.scalar(select(OutboxMessage.state).where(OutboxMessage.id == failed[0]))
            == "sent"
        ):
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the retried message was not sent")


async def test_after_downtime_across_a_hearing_no_stale_reminder_is_sent(world: World) -> None:
    emu, group = world.emu, world.group
    user = emu.add_user("Ольга", language_code="ru")
    owner = ChatDriver(emu, user)
    _number, card = await case(world, user, "ru")
    thread = card["message_thread_id"]
    await group.say("/hearing 2026-12-07 15:00 Каб. 4", thread, expect="07.12.2026 15:00")
    invitation = await owner.expect("07.12.2026", 0)
    going = data_of(invitation, suffix=":yes")
    await world.run()
    # Down from Thursday until Sunday 16:00: the 3-day reminder is out of date by then (the
    # 1-day one fell due at 15:00); only the 1-day one goes.
    world.clock.set_local("2026-12-06 16:00")
    await world.run()
    [reminder] = texts(emu, user, "⏰")
    assert I18N.get("ru", "remind.in_days", days=1) in reminder
    # Down again until after the hearing: nothing more about it.
    world.clock.set_local("2026-12-09 10:00")
    await world.run()
    assert len(texts(emu, user, "⏰")) == 1
    states = dict(
        await world.rows(
            select(OutboxMessage.dedupe_key, OutboxMessage.state).where(
                OutboxMessage.kind == "reminder"
            )
        )
    )
    assert {key.rsplit(":", 1)[1]: state for key, state in states.items()} == {
        "72h": "cancelled",
        "24h": "sent",
        "2h": "cancelled",
    }
    # The invitation's buttons say the hearing is over, and go.
    answer = await owner.press_answer(going)
    assert answer["text"] == I18N.get("ru", "notify.hearing_past", date="07.12.2026", time="15:00")
    assert answer["show_alert"]
    # Staff see what was not sent and why.
    listing = await group.say("/failed", None, expect="устарели")
    assert listing["text"].count("срок годности истёк") == 2


async def test_attendance_buttons_of_a_moved_hearing_point_to_the_new_one(world: World) -> None:
    emu, group = world.emu, world.group
    user = emu.add_user("Асель", language_code="kk")
    owner = ChatDriver(emu, user)
    _number, card = await case(world, user, "kk")
    thread = card["message_thread_id"]
    await group.say("/hearing 2026-12-10 11:00 Каб. 1", thread, expect="10.12.2026 11:00")
    first = await owner.expect("10.12.2026", 0)
    going = data_of(first, suffix=":yes")
    await group.say("/hearing 2026-12-11 12:00 Каб. 2", thread, expect="11.12.2026 12:00")
    answer = await owner.press_answer(going)
    assert answer["text"] == I18N.get(
        "kk", "notify.hearing_moved_to", date="11.12.2026", time="12:00"
    )
    await group.say("/hearing cancel", thread, expect="Заседание отменено")
    second = await owner.expect("11.12.2026", first["message_id"])
    again = data_of(second, suffix=":no")
    answer = await owner.press_answer(again)
    assert answer["text"] == I18N.get("kk", "notify.hearing_called_off")


async def test_a_reminder_to_answer_is_not_sent_once_the_owner_answered(world: World) -> None:
    emu, group = world.emu, world.group
    user = emu.add_user("Ольга", language_code="ru")
    owner = ChatDriver(emu, user)
    _number, card = await case(world, user, "ru")
    await staff_step(group, card, "needs_info", "Пришлите копию предписания.", "→")
    await world.run()
    question = await owner.expect("копию предписания", 0)
    # The reminder is queued (due in an hour, as if the sender were behind); the owner
    # answers before it goes out.
    assert world.app is not None
    async with world.app.sessionmaker() as session:
        await world.app.jobs.needs_info(session, world.clock() + timedelta(days=3, hours=1))
        await session.commit()
    reply = data_of(question, prefix="re:")
    await owner.press(reply, "Готово")
    await owner.say("Копия во вложении, номер 15.", "Добавлено")
    await wait_status(world.app, _number, "in_review")
    world.clock.now += timedelta(days=3, hours=2)
    await world.run()
    assert texts(emu, user, "ждут вашего ответа") == []
    [reason] = [
        row[0]
        for row in await world.rows(
            select(OutboxMessage.last_error).where(OutboxMessage.kind == "reminder")
        )
    ]
    assert reason == "out of date: status needs_info"


async def test_after_i_will_come_the_reminders_do_not_ask_again(world: World) -> None:
    emu, group = world.emu, world.group
    user = emu.add_user("Ольга", language_code="ru")
    owner = ChatDriver(emu, user)
    _number, card = await case(world, user, "ru")
    thread = card["message_thread_id"]
    await group.say("/hearing 2026-12-07 15:00 Каб. 4", thread, expect="07.12.2026 15:00")
    invitation = await owner.expect("07.12.2026", 0)
    going = data_of(invitation, suffix=":yes")
    await owner.press(going, "15:00")
    for moment in ("2026-12-04 15:00", "2026-12-06 15:00", "2026-12-07 13:00"):
        world.clock.set_local(moment)
        await world.run()
    reminders = [e for e in emu.transcript(user) if e["from_bot"] and "⏰" in (e["text"] or "")]
    assert len(reminders) == 3
    for reminder in reminders:
        assert "Ждём вас" in reminder["text"] and "придёте ли вы" not in reminder["text"]
        assert reminder["buttons"] == []
