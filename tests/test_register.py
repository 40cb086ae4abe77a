"""The registers (/export) on the generated year (tests/support/history.py plus one project of
2026, tests/support/registers.py): every row of both sheets, opened with openpyxl, against
what the test computes itself from the inserted rows; a masked register holds no IIN, BIN or
phone in any cell nor anywhere in the file; the full one holds them and is recorded; then
/export as staff and outsiders see it, the whole app against the emulator."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.domain.calendar import WorkCalendar
from bot.domain.periods import Period, month_of, year_of
from bot.domain.register import (
    REGISTER_FORGOTTEN_KIND,
    REGISTER_KIND,
    RegisterTooLarge,
    Staff,
    forget_sent_registers,
    mask,
    queue_register,
    split_args,
)
from bot.i18n import I18n, Translator
from bot.sandbox.emulator import BotAPIEmulator
from bot.views import register as register_view
from bot.views.register import build_register, register_file
from models import AuditEvent, OutboxMessage
from tests.support.history import (
    PEOPLE,
    PROJECTS,
    ROWS,
    TERM_DAYS,
    TZ,
    history_before_start,
    insert_history,
    weekdays_after,
)
from tests.support.live import eventually, live_app, settled
from tests.support.pages import Group, OwnerChat
from tests.support.registers import (
    LATE_BIN,
    LATE_NUMBER,
    LATE_PHONE,
    insert_late_project,
)

I18N = I18n()
RU, KK = I18N.translator("ru"), I18N.translator("kk")
CALENDAR = WorkCalendar(TZ)
YEAR = year_of(date(2025, 1, 1))
JANUARY_2026 = month_of(date(2026, 1, 1))
NOW = datetime(2025, 12, 15, 5, 0, tzinfo=UTC)  # Monday 15 December 2025, 10:00 in Almaty
STAFF = Staff(555, "Дина Оспанова")
APPEAL_PHONE = "+77010000000"
TYPED = {"с. Новая Бухтарма"}  # the history's one locality typed by hand
PROJECT_PHONE = "+77010000001"
# Every IIN/BIN and phone inserted, and the digits of each phone without its +7 or +.
SECRETS = sorted(
    {iin for _, _, iin in PEOPLE.values() if iin.isdigit()}
    | {LATE_BIN}
    | {
        p
        for phone in (APPEAL_PHONE, PROJECT_PHONE, LATE_PHONE)
        for p in (phone, phone[1:], phone[2:])
    }
)


@pytest.fixture
async def history(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as session:
        await insert_history(session)
    async with sessionmaker() as session:
        await insert_late_project(session)


def sheets(content: bytes) -> tuple[list[list[Any]], list[list[Any]]]:
    """Both sheets' rows, the header first; dates as dates."""
    book = load_workbook(io.BytesIO(content))
    assert len(book.worksheets) == 2
    out = []
    for sheet in book.worksheets:
        rows = [
            [v.date() if isinstance(v, datetime) else v for v in row]
            for row in sheet.iter_rows(values_only=True)
        ]
        out.append(rows)
    return out[0], out[1]


# ---- what the test expects, from the inserted rows ----------------------------------------------


def masked_iin(value: str) -> str:
    return value if not value.isdigit() else "•" * 8 + value[-4:]


def masked_phone(value: str) -> str:
    return "+" + "•" * (len(value) - 3) + value[-2:]


def expected_appeals(t: Translator, period: Period, *, full: bool) -> list[list[Any]]:
    out = []
    for index, row in enumerate(ROWS, start=1):
        # The history's registered day is the local day (the midnight traps included).
        if not period.start <= row.registered <= period.end:
            continue
        iin = PEOPLE[row.person][2]
        answered = (
            None if row.answer_after is None else weekdays_after(row.registered, row.answer_after)
        )
        on_time = None if row.answer_after is None else row.answer_after <= TERM_DAYS
        out.append(
            [
                f"{row.registered.year}-{index:06d}",
                row.registered,
                answered,
                t(f"appeal_type.{row.appeal_type}"),
                t(f"category.{row.category}"),
                row.locality if row.locality in TYPED else t(f"locality.{row.locality}"),
                "Акимат",
                t(f"status.{row.status}"),
                None if row.outcome is None else t(f"staff.outcome.{row.outcome}"),
                row.answer_after,
                None if on_time is None else t("registers.yes" if on_time else "registers.no"),
                "—" if iin == "—" else f"Заявитель {row.key}",
                iin if full else masked_iin(iin),
                APPEAL_PHONE if full else masked_phone(APPEAL_PHONE),
            ]
        )
    # The journal's order: by registration, then number (all but one at 10:00 local).
    return sorted(out, key=lambda cells: (cells[1], cells[0]))


def expected_projects(t: Translator, *, full: bool) -> list[list[Any]]:
    bin_ = PEOPLE["P4"][2]
    out = [
        [
            number,
            date(2025, 1, 20),
            "ТОО «Промотход Казахстан»",
            bin_ if full else masked_iin(bin_),
            "Завод по переработке отходов",
            "переработка",
            t("locality.ust_kamenogorsk"),
            amount,
            120,
            t("registers.stage.design"),
            t(f"registers.project_status.{status}"),
            signed,
            None if signed is None else f"С-{number}",
            agreement,
            "Сергей Сергеев",
            PROJECT_PHONE if full else masked_phone(PROJECT_PHONE),
        ]
        for number, status, signed, agreement, amount in PROJECTS
    ]
    return sorted(out, key=lambda cells: cells[0])


APPEAL_HEADERS = [
    "number",
    "registered",
    "answered",
    "type",
    "category",
    "locality",
    "body",
    "status",
    "outcome",
    "days_taken",
    "on_time",
    "applicant",
    "iin_bin",
    "phone",
]
PROJECT_HEADERS = [
    "number",
    "registered",
    "company",
    "bin",
    "project",
    "industry",
    "locality",
    "amount",
    "jobs",
    "stage",
    "status",
    "agreement_date",
    "agreement_number",
    "agreement_amount",
    "contact",
    "phone",
]


# ---- the register itself -------------------------------------------------------------------------


@pytest.mark.parametrize("t", [RU, KK], ids=["ru", "kk"])
async def test_each_row_of_both_sheets_is_what_the_history_holds(
    sessionmaker: async_sessionmaker[AsyncSession], history: None, t: Translator
) -> None:
    async with sessionmaker() as session:
        name, content = await register_file(session, YEAR, CALENDAR, t, full=False, now=NOW)
    assert name == "register-20250101-20251231.xlsx"
    appeals, projects = sheets(content)
    assert appeals[0] == [t(f"registers.appeal.{key}") for key in APPEAL_HEADERS]
    assert projects[0] == [t(f"registers.project.{key}") for key in PROJECT_HEADERS]
    expected = expected_appeals(t, YEAR, full=False)
    assert len(expected) == 23  # the year's appeals received (/stats says the same)
    for got, want in zip(appeals[1:], expected, strict=True):
        assert got == want, want[0]
    # The late project (1 January 2026, local) is not in 2025.
    for got, want in zip(projects[1:], expected_projects(t, full=False), strict=True):
        assert got == want, want[0]
    book = load_workbook(io.BytesIO(content))
    assert [s.title for s in book.worksheets] == [
        t("registers.sheet.appeals"),
        t("registers.sheet.projects"),
    ]


async def test_a_period_holds_what_was_registered_in_it(
    sessionmaker: async_sessionmaker[AsyncSession], history: None
) -> None:
    async with sessionmaker() as session:
        _, content = await register_file(session, JANUARY_2026, CALENDAR, RU, full=False, now=NOW)
    appeals, projects = sheets(content)
    # 00:30 local on 1 January 2026 (19:30 UTC the day before): January's, both of them.
    assert [row[0] for row in appeals[1:]] == [
        a[0] for a in expected_appeals(RU, JANUARY_2026, full=False)
    ]
    assert [row[0] for row in appeals[1:]] == ["2026-000025"]
    assert projects[1:] == [
        [
            LATE_NUMBER,
            date(2026, 1, 1),
            "ЖШС «Алтай Агро»",
            masked_iin(LATE_BIN),
            "Сүт өңдеу зауыты",
            "агроөнеркәсіп",
            "Катон-Қарағай ауданы, Үлкен Нарын ауылы",  # typed by hand: as typed
            1_200_000_000,
            35,
            "Идея",
            "Получено",
            None,
            None,
            None,
            "Айгүл Сейітова",
            masked_phone(LATE_PHONE),
        ]
    ]
    # A period with nothing registered: the headings alone.
    async with sessionmaker() as session:
        _, content = await register_file(
            session, Period(date(2025, 3, 1), date(2025, 3, 31)), CALENDAR, RU, full=False, now=NOW
        )
    appeals, projects = sheets(content)
    assert len(appeals) == 1 and len(projects) == 1


def every_text(content: bytes) -> tuple[list[str], list[str]]:
    """Every cell's value as text, and every part of the .xlsx (its XML) as text."""
    book = load_workbook(io.BytesIO(content))
    cells = [
        str(cell.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]
    cells += [
        str(cell.comment.text)
        for s in book.worksheets
        for r in s.iter_rows()
        for cell in r
        if cell.comment
    ]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = [archive.read(name).decode("utf-8") for name in archive.namelist()]
    return cells, parts


async def test_a_masked_register_holds_no_iin_bin_or_phone_anywhere(
    sessionmaker: async_sessionmaker[AsyncSession], history: None
) -> None:
    everything = Period(date(2024, 1, 1), date(2026, 12, 31))
    async with sessionmaker() as session:
        _, content = await register_file(session, everything, CALENDAR, RU, full=False, now=NOW)
        recorded = await session.scalar(select(AuditEvent.id))
    cells, parts = every_text(content)
    assert len(cells) > 25 * 14  # every appeal and project is there
    for secret in SECRETS:
        assert not [c for c in cells if secret in c], secret
        assert not [p for p in parts if secret in p], secret
    # Masked, the last digits are left to tell people apart.
    assert masked_iin("850315400124") in cells and masked_phone(LATE_PHONE) in cells
    assert recorded is None  # a masked register is not recorded


async def test_the_full_register_holds_them_and_is_recorded(
    sessionmaker: async_sessionmaker[AsyncSession], history: None
) -> None:
    async with sessionmaker() as session:
        built = await build_register(session, YEAR, CALENDAR, RU, full=True, now=NOW, staff=STAFF)
        await session.commit()
    assert built.name == "register-full-20250101-20251231.xlsx"
    assert (built.appeals, built.projects) == (23, 6)
    appeals, projects = sheets(built.content)
    for got, want in zip(appeals[1:], expected_appeals(RU, YEAR, full=True), strict=True):
        assert got == want, want[0]
    assert projects[1:] == expected_projects(RU, full=True)
    async with sessionmaker() as session:
        events = list(await session.scalars(select(AuditEvent)))
    assert [(e.kind, e.actor_id, e.actor_name, e.note) for e in events] == [
        ("full_register", 555, "Дина Оспанова", "2025-01-01..2025-12-31")
    ]
    assert events[0].created_at.replace(tzinfo=UTC) == NOW
    # Nobody takes a full register without being recorded.
    async with sessionmaker() as session:
        with pytest.raises(ValueError, match="recorded"):
            await register_file(session, YEAR, CALENDAR, RU, full=True, now=NOW)


async def test_a_register_too_large_is_refused_before_it_is_recorded(
    sessionmaker: async_sessionmaker[AsyncSession], history: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(register_view, "MAX_BYTES", 1000)
    async with sessionmaker() as session:
        with pytest.raises(RegisterTooLarge):
            await build_register(session, YEAR, CALENDAR, RU, full=True, now=NOW, staff=STAFF)
        await session.commit()
    async with sessionmaker() as session:
        assert await session.scalar(select(AuditEvent.id)) is None


def test_the_command_words_and_the_masks() -> None:
    assert split_args("") == (False, "")
    assert split_args("квартал") == (False, "квартал")
    assert split_args("полный") == (True, "")
    assert split_args("ТОЛЫҚ жыл") == (True, "жыл")
    assert split_args("full 2025-01-01 2025-03-31") == (True, "2025-01-01 2025-03-31")
    assert mask("850315400124", 4) == "••••••••0124"
    assert mask("+77011234567", 2) == "+•••••••••67"
    assert mask("—", 4) == "—"  # an anonymised appeal keeps nothing to mask


async def test_a_delivered_register_leaves_the_outbox(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        ids = [
            await queue_register(
                session,
                chat_id=-100,
                thread_id=None,
                file_name=f"register-{n}.xlsx",
                content=b"PK secret",
                caption="",
                now=NOW,
            )
            for n in range(3)
        ]
        await session.commit()
    async with sessionmaker() as session:
        for row_id, state in zip(ids, ("sent", "failed", "pending"), strict=True):
            row = await session.get(OutboxMessage, row_id)
            assert row is not None and row.kind == REGISTER_KIND
            assert row.method == "sendDocument" and "document" in row.payload
            row.state = state
        await session.commit()
    async with sessionmaker() as session:
        await forget_sent_registers(session)
        await session.commit()
    async with sessionmaker() as session:
        rows = [await session.get(OutboxMessage, row_id) for row_id in ids]
    assert [(r.kind, r.state, r.payload == {}) for r in rows if r] == [
        (REGISTER_FORGOTTEN_KIND, "sent", True),
        (REGISTER_FORGOTTEN_KIND, "cancelled", True),
        (REGISTER_KIND, "pending", False),  # not sent yet: kept until it is
    ]


# ---- /export as people see it --------------------------------------------------------------------


@dataclass
class Office:
    emu: BotAPIEmulator
    group: Group
    app: Application
    outsider: int


@pytest.fixture
async def office(tmp_path: Path) -> AsyncIterator[Office]:
    emu = BotAPIEmulator(seed=14)
    await emu.start()
    staff = emu.add_user("Дина", "Оспанова")
    outsider = emu.add_user("Посторонний", language_code="ru")
    group_id = emu.add_group("Операторы", forum=True, members=[staff], admins=[staff])
    try:
        await history_before_start(tmp_path)
        async with live_app(emu, tmp_path, group_id, clock=lambda: NOW) as app:
            # The clock is in December: November's monthly report is sent before the tests
            # look (by the leader: on PostgreSQL the lead is taken after start).
            await eventually(app.jobs.is_leader)
            await app.jobs.tick()
            await settled(emu, app)
            yield Office(emu, Group(emu, group_id, staff), app, outsider)
    finally:
        await emu.stop()


def document_of(emu: BotAPIEmulator, entry: dict[str, Any]) -> tuple[str, bytes]:
    assert entry["kind"] == "document"
    found = emu.world.files.get(entry["content"]["document"]["file_id"])
    assert found is not None and found.file_name is not None
    return found.file_name, found.data


async def test_staff_get_the_register_in_the_group(office: Office) -> None:
    group, emu = office.group, office.emu
    sent = await group.say("/export год", None, expect="Реестр за 01.01.2025 – 31.12.2025")
    assert "обращений — 23, инвестпроектов — 6" in sent["caption"]
    name, content = document_of(emu, sent)
    assert name == "register-20250101-20251231.xlsx"
    appeals, projects = sheets(content)
    assert appeals[1:] == expected_appeals(RU, YEAR, full=False)
    assert projects[1:] == expected_projects(RU, full=False)
    # The group's own command menu offers it.
    menu = emu.world.commands[(f"chat:{group.chat_id}", "ru")]
    assert {"command": "export", "description": RU("staff_commands.export")} in menu

    # The full register: the file with IIN/BIN and phones, the line in the group, the record.
    after = group.last_id()
    full = await group.say("/export полный год", None, expect="Полный реестр за 01.01.2025")
    name, content = document_of(emu, full)
    assert name == "register-full-20250101-20251231.xlsx"
    cells, _ = every_text(content)
    assert "850315400124" in cells and APPEAL_PHONE in cells
    line = await group.expect("🔓 Дина Оспанова выгрузил(а) полный реестр", None, after)
    assert "за 01.01.2025 – 31.12.2025 (15.12.2025 10:00)" in line["text"]
    async with office.app.sessionmaker() as session:
        events = list(await session.scalars(select(AuditEvent)))
    assert [(e.kind, e.actor_id, e.actor_name) for e in events] == [
        ("full_register", group.staff, "Дина Оспанова")
    ]

    # Once delivered, the scheduler's personal-data check takes the files out of the outbox.
    await settled(emu, office.app)
    async with office.app.sessionmaker() as session:
        await office.app.jobs.personal_data(session, NOW)
        await session.commit()
    async with office.app.sessionmaker() as session:
        kept = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.method == "sendDocument")
            )
        )
    # November's monthly register, the year's and the full one.
    assert [(row.kind, row.payload) for row in kept] == [(REGISTER_FORGOTTEN_KIND, {})] * 3


async def test_a_bad_period_a_large_register_and_outsiders(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    group, emu = office.group, office.emu
    start = group.last_id()
    await group.say("/export вчера", None, expect=group.text("registers.bad_period"))
    await group.say(
        "/export полный 2025-12-31 2025-01-01", None, expect=group.text("registers.bad_period")
    )
    outsider = OwnerChat(emu, office.outsider, "ru")
    await outsider.send("/export", expect=outsider.text("staff.only_staff"))
    monkeypatch.setattr(register_view, "MAX_BYTES", 1000)
    shown = await group.say("/export полный год", None, expect="слишком большой для Telegram")
    assert "01.01.2025 – 31.12.2025" in shown["text"]
    await settled(emu, office.app)
    seen = [e for e in emu.transcript(group.chat_id) if e["message_id"] > start]
    assert not [e for e in seen if e["kind"] == "document"]
    assert not [e for e in seen if "🔓" in (e["text"] or "")]
    async with office.app.sessionmaker() as session:
        assert await session.scalar(select(AuditEvent.id)) is None
