"""Scheduled pushes with a controllable clock (nothing sleeps for minutes or hours): hearing
reminders, deadlines, needs_info reminders, the daily digest, ratings and automatic closing,
failed deliveries. The whole application polls the emulator in-process."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import Application
from bot.sandbox.emulator import BotAPIEmulator
from tests.e2e.harness import ChatDriver
from tests.support.live import eventually, live_app
from tests.support.owner import I18N, file_appeal, frag
from tests.test_operator import Group, staff_step, wait_status

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
        self.app.delivery.wake()
        now = self.clock.now.replace(tzinfo=None).isoformat(" ", timespec="microseconds")

        def delivered() -> bool:
            with self.db() as conn:
                due = conn.execute(
                    "select count(*) from outbox where state = 'pending' and due_at <= ?",
                    (now,),
                ).fetchone()[0]
            return due == 0

        await eventually(delivered)

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.tmp_path / "test.db")


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
    await world.group.press(card, "take")
    await wait_status(world.app, number, "in_review")
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
    going = next(b[1] for row in last["buttons"] for b in row if b[1].endswith(":yes"))
    await ChatDriver(emu, owners["ru"]).press(going, "15:00")
    await group.expect("Владелец придёт", threads["ru"][1], 0)
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
    with world.db() as conn:
        keys = sorted(
            r[0]
            for r in conn.execute(
                "select dedupe_key from outbox where state = 'pending' and kind = 'reminder'"
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
    await world.app.dispatcher.stop_polling()  # the bot is down while the reminder falls due
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
    with world.db() as conn:
        due = conn.execute("select due_at from appeals where number = ?", (number,)).fetchone()[0]
    # registered Tue 01.12.2026; day 1 is Wed 02.12; 15 working days, Independence Day
    # (Wed 16.12) skipped: 2-4, 7-11, 14-15, 17-18, 21-23 December. Due Wed 23.12, 23:59 local.
    assert due.startswith("2026-12-23 18:59:59")
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
    assert len(texts(emu, group.chat_id, "не ответил на запрос", thread)) == 1


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
    with world.db() as conn:
        conn.execute(
            "insert into outbox (chat_id, kind, payload, due_at, attempts, state, last_error,"
            " created_at) values (42, 'status', '{\"text\": \"x\"}', '2026-12-15 05:00:00', 8,"
            " 'failed', 'network', '2026-12-15 05:00:00')"
        )
        failed_id = conn.execute("select max(id) from outbox").fetchone()[0]
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
    assert line("Срок в ближайшие") == f"Срок в ближайшие 3 рабочих дня (1): {first}"
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
        data = next(b[1] for row in outcome["buttons"] for b in row if b[1].endswith(":partly"))
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
            and any((b[1] or "").startswith("rt:") for row in e["buttons"] for b in row)
        )

    (rated, rated_card), (disputed, disputed_card), (silent, _silent_card) = numbers
    four = next(
        b[1] for row in rate_buttons(rated)["buttons"] for b in row if (b[1] or "").endswith(":4")
    )
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
    with world.db() as conn:
        ratings = dict(conn.execute("select number, rating from appeals").fetchall())
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
    with world.db() as conn:
        failed = conn.execute("select id from outbox where state = 'failed'").fetchall()
    assert len(failed) == 1
    listing = await group.say("/failed", None, expect="Недоставленные сообщения: 1")
    emu.clear_faults()
    retry = listing["buttons"][0][0][1]
    emu.press_button(group.staff, group.chat_id, listing["message_id"], retry)
    await ChatDriver(emu, user).expect("Уточните адрес", 0)

    def sent() -> bool:
        with world.db() as conn:
            state = conn.execute("select state from outbox where id = ?", failed[0]).fetchone()
        return bool(state == ("sent",))

    await eventually(sent)
