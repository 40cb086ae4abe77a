"""The monthly report: on the first working day at DIGEST_TIME the previous month's figures,
press paragraphs, charts and register are queued for the operator group, once, whatever
runs again, restarts or a downtime over that day; an empty month is one line."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.domain.calendar import WorkCalendar
from bot.domain.figures import office_figures
from bot.domain.periods import month_of
from bot.i18n import I18n
from bot.sandbox.emulator import BotAPIEmulator
from bot.telegram.monthly import queue_monthly_report, report_due
from bot.views.figures import figures_text
from models import OutboxMessage
from tests.support.history import TZ, insert_history
from tests.support.live import eventually, live_app, settled
from tests.support.owner import file_appeal
from tests.support.pages import Group

I18N = I18n()
STAFF = I18N.translator("ru")
CALENDAR = WorkCalendar(TZ)
GROUP = -100777
AT = time(9, 0)


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(UTC)


async def run(sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> bool:
    async with sessionmaker() as session:
        queued = await queue_monthly_report(
            session,
            chat_id=GROUP,
            calendar=CALENDAR,
            i18n=I18N,
            staff_t=STAFF,
            term_days=15,
            now=now,
            at=AT,
        )
        await session.commit()
        return queued


async def report_rows(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, OutboxMessage]:
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key.like("monthly:%"))
        )
        return {row.dedupe_key or "": row for row in rows}


def test_the_report_falls_due_on_the_first_working_day_at_digest_time() -> None:
    # 1 December 2025 is a Monday; 1 November 2025 a Saturday (the report comes on the 3rd).
    assert report_due(CALENDAR, at_local(date(2025, 12, 1), 8, 59), AT) is None
    assert report_due(CALENDAR, at_local(date(2025, 12, 1), 9, 0), AT) == month_of(
        date(2025, 11, 1)
    )
    assert report_due(CALENDAR, at_local(date(2025, 11, 1), 12), AT) is None
    assert report_due(CALENDAR, at_local(date(2025, 11, 3), 9, 30), AT) == month_of(
        date(2025, 10, 1)
    )
    # After a downtime over that day: later in the month, still the previous month's.
    assert report_due(CALENDAR, at_local(date(2025, 12, 19), 15), AT) == month_of(date(2025, 11, 1))


async def test_novembers_report_is_queued_once_with_figures_press_and_charts(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        await insert_history(session)
    assert not await run(sessionmaker, at_local(date(2025, 12, 1), 8, 30))
    assert await report_rows(sessionmaker) == {}

    assert await run(sessionmaker, at_local(date(2025, 12, 1), 9, 5))
    rows = await report_rows(sessionmaker)
    assert set(rows) == {
        "monthly:2025-11:text",
        "monthly:2025-11:press:ru",
        "monthly:2025-11:press:kk",
        "monthly:2025-11:charts",
        "monthly:2025-11:register",
    }
    assert {row.chat_id for row in rows.values()} == {GROUP}
    async with sessionmaker() as session:
        november = await office_figures(
            session, month_of(date(2025, 11, 1)), CALENDAR, term_days=15
        )
    assert rows["monthly:2025-11:text"].payload["text"] == figures_text(STAFF, november)
    assert rows["monthly:2025-11:charts"].method == "sendMediaGroup"
    assert rows["monthly:2025-11:register"].method == "sendDocument"

    # Every later run that month (another tick, a restart, another instance) adds nothing.
    assert not await run(sessionmaker, at_local(date(2025, 12, 1), 9, 6))
    assert not await run(sessionmaker, at_local(date(2025, 12, 22), 9, 6))
    assert set(await report_rows(sessionmaker)) == set(rows)


async def test_a_month_with_nothing_in_it_is_one_line(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    assert await run(sessionmaker, at_local(date(2026, 12, 1), 10))
    rows = await report_rows(sessionmaker)
    assert list(rows) == ["monthly:2026-11:text"]
    assert rows["monthly:2026-11:text"].payload["text"] == STAFF(
        "monthly.empty", period="01.11.2026 – 30.11.2026"
    )


# ---- across restarts, against the emulator -------------------------------------------------------


async def test_a_restart_across_the_first_working_day_sends_the_report_once(
    tmp_path: Path,
) -> None:
    emu = BotAPIEmulator(seed=7)
    await emu.start()
    staff = emu.add_user("Дина", "Оспанова")
    group_id = emu.add_group("Операторы", forum=True, members=[staff], admins=[staff])
    group = Group(emu, group_id, staff)
    clock = Clock(at_local(date(2026, 12, 1), 10))  # Tuesday 1 December 2026, 10:00
    try:
        async with live_app(emu, tmp_path, group_id, clock=clock) as app:
            await eventually(app.jobs.is_leader)
            await app.jobs.tick()
            await settled(emu, app)
            # November 2026 had nothing in it: one line.
            assert texts(emu, group_id, "📊") == [
                "📊 Отчёт за 01.11.2026 – 30.11.2026: за месяц не было ни обращений, ни "
                "заседаний, ни соглашений."
            ]
            owner = emu.add_user("Ольга", language_code="ru")
            number = await file_appeal(emu, owner, "ru", photos=0)
            await group.card(number)
        # Down from Thursday 31 December 2026 until Tuesday 5 January 2027, the first working
        # day (1-2 January are public holidays, Saturday's moved to Monday the 4th), 11:00:
        # December's report comes at start.
        assert CALENDAR.first_working_day(date(2027, 1, 1)) == date(2027, 1, 5)
        clock.now = at_local(date(2027, 1, 5), 11)
        async with live_app(emu, tmp_path, group_id, clock=clock) as app:
            title = await group.expect("01.12.2026 – 31.12.2026", None, 0)
            assert "Поступило обращений: 1" in (title["text"] or "")
            await group.expect("Для пресс-релиза, на русском:", None, 0)
            await group.expect("Для пресс-релиза, на казахском:", None, 0)
            # By month and by locality; nothing was answered, so no outcome or time chart.
            await eventually(lambda: len(photos(emu, group_id)) == 2)
            register = await group.expect("📑 Реестр за 01.12.2026 – 31.12.2026", None, 0)
            assert register["kind"] == "document"
            assert register["content"]["document"]["file_name"] == "register-20261201-20261231.xlsx"
            await eventually(app.jobs.is_leader)
            await app.jobs.tick()
            await delivered(app)
        sent = len(emu.transcript(group_id))
        clock.now = at_local(date(2027, 1, 5), 15)  # and again the same day
        async with live_app(emu, tmp_path, group_id, clock=clock) as app:
            await eventually(app.jobs.is_leader)
            await app.jobs.tick()
            await delivered(app)
        assert len(emu.transcript(group_id)) == sent
        assert len(texts(emu, group_id, "Показатели офиса за 01.12.2026 – 31.12.2026")) == 1
        assert len(texts(emu, group_id, "Для пресс-релиза, на русском:")) == 1
        assert len(photos(emu, group_id)) == 2
        assert len(texts(emu, group_id, "📑 Реестр за")) == 1
    finally:
        await emu.stop()


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def texts(emu: BotAPIEmulator, chat: int, needle: str) -> list[str]:
    return [
        e["text"] or e["caption"] or ""
        for e in emu.transcript(chat)
        if e["from_bot"] and needle in (e["text"] or e["caption"] or "")
    ]


def photos(emu: BotAPIEmulator, chat: int) -> list[dict[str, Any]]:
    return [e for e in emu.transcript(chat) if e["from_bot"] and e["kind"] == "photo"]


async def delivered(app: Application) -> None:
    """Until nothing due is waiting in the outbox. (Not live.settled: a month on, the inbox
    has forgotten the updates the emulator handed out before.)"""
    waiting = select(func.count()).where(
        OutboxMessage.state.in_(["pending", "claimed"]), OutboxMessage.due_at <= app.clock()
    )
    for _ in range(1000):
        async with app.sessionmaker() as session:
            if await session.scalar(waiting) == 0:
                return
        await asyncio.sleep(0.02)
    raise AssertionError("the messages due were not delivered")
