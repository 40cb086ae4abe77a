"""A year of the office's work (2025) inserted as rows, with its figures known by construction.

Every appeal is registered at 10:00 local on a day chosen inside a stretch of 2025 with no
public holiday (Kazakhstan's 2025 holidays: 1-3 and 7 January, 8/10 and 21-25 March, 1, 7 and
9 May, 6 June, 6-7 July, 30 August/1 September, 25/27 October, 16 December), so the working
days to its answer are simply the weekdays counted: each row says that number itself, and its
due date is 15 working days on (three weeks from a Monday or a Tuesday). The expected figures
below were counted by hand from the table; nothing here calls the code under test.

Traps on purpose: an appeal registered at 00:30 local on 1 January 2025 (19:30 UTC the day
before: in 2025) and one at 00:30 local on 1 January 2026 (not in 2025); one answered in 2024;
one person with two protected appeals (counted once); an anonymised appeal (no IIN: counted
by its Telegram user); a typed locality (counted as "other"); a session not held, a cancelled
one, one of 2024, an agenda item taken off; a signed agreement without its own amount (the
project's amount counts), one signed in 2024, projects under review or declined.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Appeal,
    AppealEvent,
    Hearing,
    InvestmentProject,
    OfficeSession,
    User,
)
from models.db import make_engine, make_sessionmaker
from tests.support import database

TZ = ZoneInfo("Asia/Almaty")
YEAR = 2025
TERM_DAYS = 15


def local(day: date, at: time = time(10, 0)) -> datetime:
    return datetime.combine(day, at, tzinfo=TZ).astimezone(UTC)


def weekdays_after(day: date, n: int) -> date:
    """The n-th weekday after `day` (the table's stretches have no holidays)."""
    while n:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


@dataclass(frozen=True)
class Row:
    key: str
    registered: date
    appeal_type: str
    category: str
    locality: str
    person: str  # users and IINs: one per person
    answer_after: int | None = None  # working days to the first answer
    outcome: str | None = None
    status: str = "in_review"
    rating: int | None = None
    ended_after: int | None = None  # weekdays to a withdrawal
    registered_at: datetime | None = None  # when not 10:00 local on `registered`


# person: (user id, language, IIN/BIN; "—" once anonymised)
PEOPLE = {
    "P1": (7001, "ru", "850315400124"),
    "P2": (7002, "kk", "940140000385"),
    "P3": (7003, "kk", "880101300011"),
    "P4": (7004, "ru", "990140004654"),
    "P5": (7005, "kk", "870202400022"),
    "P6": (7006, "kk", "860303300033"),
    "P7": (7007, "ru", "910404400044"),
    "P8": (7008, "kk", "920505300055"),
    "U9": (7009, "kk", "—"),
    "P10": (7010, "kk", "930606400066"),
    "P11": (7011, "ru", "940707300077"),
    "P12": (7012, "kk", "950808400088"),
    "P13": (7013, "ru", "960909300099"),
    "P14": (7014, "ru", "971010400010"),
    "P15": (7015, "kk", "981111300020"),
    "P16": (7016, "ru", "991212400030"),
    "P17": (7017, "kk", "800101300040"),
    "P18": (7018, "ru", "810202400050"),
}

FEB, APR, NOV = date(2025, 2, 3), date(2025, 4, 1), date(2025, 11, 3)
ROWS = (
    # February: Monday 3rd, due Monday 24th.
    Row(
        "A1", FEB, "complaint", "inspections", "ust_kamenogorsk", "P1", 5, "satisfied", "closed", 5
    ),
    Row("A2", FEB, "complaint", "permits", "ridder", "P2", 10, "partly", "answered", 4),
    Row("A3", FEB, "statement", "land", "ust_kamenogorsk", "P3", 17, "refused", "closed", 2),
    Row("A4", FEB, "statement", "permits", "glubokoe", "P1", 3, "satisfied", "answered"),
    Row("A5", FEB, "request", "taxes", "с. Новая Бухтарма", "P4", 2, None, "redirected"),
    Row("A6", FEB, "complaint", "extortion", "zaisan", "P5", status="withdrawn", ended_after=4),
    # April: Tuesday 1st, due Tuesday 22nd.
    Row(
        "B1", APR, "complaint", "inspections", "ust_kamenogorsk", "P6", 15, "satisfied", "closed", 5
    ),
    Row(
        "B2", APR, "proposal", "construction", "ust_kamenogorsk", "P7", 16, "partly", "answered", 3
    ),
    Row("B3", APR, "complaint", "procurement", "ridder", "P8", 8, None, "not_considered"),
    Row("B4", APR, "report", "other", "katon", "P2", 4, "satisfied", "closed", 5),
    Row("B5", APR, "complaint", "inspections", "ulan", "U9", 6, "partly", "closed"),
    # November: Monday 3rd, due Monday 24th.
    Row(
        "C1", NOV, "complaint", "inspections", "ust_kamenogorsk", "P10", 2, "satisfied", "closed", 5
    ),
    Row("C2", NOV, "complaint", "inspections", "ridder", "P11", 9, "refused", "answered", 1),
    Row("C3", NOV, "statement", "land", "ust_kamenogorsk", "P12", 18, "satisfied", "answered", 4),
    Row("C4", NOV, "complaint", "permits", "samar", "P12", 7, "partly", "answered"),
    Row("C5", NOV, "request", "taxes", "ust_kamenogorsk", "P13"),
    Row(
        "C6",
        NOV,
        "complaint",
        "construction",
        "shemonaikha",
        "P14",
        status="withdrawn",
        ended_after=5,
    ),
    Row("C7", NOV, "complaint", "extortion", "ust_kamenogorsk", "P15", 12, None, "not_considered"),
    # The rest of the year.
    Row("D1", date(2025, 1, 13), "complaint", "permits", "altai", "P17", status="registered"),
    Row(
        "D2",
        date(2025, 6, 10),
        "statement",
        "inspections",
        "ust_kamenogorsk",
        "P16",
        4,
        "satisfied",
        "closed",
        4,
    ),
    Row("D3", date(2025, 9, 2), "complaint", "land", "tarbagatai", "P17", 20, "refused", "closed"),
    Row("D4", date(2025, 12, 1), "complaint", "inspections", "ust_kamenogorsk", "P10"),
    # 00:30 local on 1 January 2025 (19:30 UTC on 31 December 2024): in 2025.
    Row(
        "E2",
        date(2025, 1, 1),
        "request",
        "permits",
        "ust_kamenogorsk",
        "P18",
        registered_at=datetime(2024, 12, 31, 19, 30, tzinfo=UTC),
    ),
    # Not in 2025: answered in 2024; registered at 00:30 local on 1 January 2026.
    Row(
        "E1",
        date(2024, 12, 2),
        "complaint",
        "inspections",
        "ust_kamenogorsk",
        "P18",
        5,
        "satisfied",
        "closed",
        5,
    ),
    Row(
        "E3",
        date(2026, 1, 1),
        "complaint",
        "inspections",
        "ridder",
        "P18",
        registered_at=datetime(2025, 12, 31, 19, 30, tzinfo=UTC),
    ),
)

# (starts, state, items: (appeal key, owner came, official came, item state))
SESSIONS = (
    (
        date(2025, 2, 20),
        "held",
        (("A1", True, True, "held"), ("A2", True, False, "held"), ("A3", False, True, "held")),
    ),
    (date(2025, 4, 15), "held", (("B1", True, True, "held"), ("B2", False, False, "held"))),
    (
        date(2025, 11, 20),
        "held",
        (("C1", True, True, "held"), ("C2", True, None, "held"), ("C3", None, None, "cancelled")),
    ),
    (date(2025, 11, 27), "scheduled", (("C4", None, None, "scheduled"),)),
    (date(2025, 12, 10), "cancelled", (("D4", None, None, "cancelled"),)),
    (date(2024, 12, 10), "held", (("E1", True, True, "held"),)),
)

# (number, status, agreement date, agreement amount, project amount)
PROJECTS = (
    ("ИП-2025-0001", "agreement_signed", date(2025, 3, 14), 39_550_000_000, 41_000_000_000),
    ("ИП-2025-0002", "agreement_signed", date(2025, 11, 5), 27_300_000_000, 27_300_000_000),
    ("ИП-2025-0003", "agreement_signed", date(2025, 11, 25), None, 450_000_000),
    ("ИП-2024-0009", "agreement_signed", date(2024, 12, 20), 5_000_000_000, 5_000_000_000),
    ("ИП-2025-0004", "under_review", None, None, 9_000_000_000),
    ("ИП-2025-0005", "declined", None, None, 3_000_000_000),
)


@dataclass(frozen=True)
class Expected:
    received: int
    by_type: dict[str, int]
    by_category: dict[str, int]
    by_locality: dict[str, int]
    by_language: dict[str, int]
    answered: int
    on_time: int
    late: int
    median_days: float
    satisfied: int
    partly: int
    refused: int
    rights_protected: int
    withdrawn: int
    not_considered: int
    sessions_held: int
    owners_came: int
    owners_absent: int
    officials_came: int
    officials_absent: int
    agreements: int
    agreements_amount: int
    ratings: int
    rating_mean: float
    by_month: dict[int, dict[str, int]]  # month number: nonzero categories
    answer_days: dict[int, int]


YEAR_2025 = Expected(
    received=23,
    by_type={"complaint": 14, "statement": 4, "request": 3, "proposal": 1, "report": 1},
    by_category={
        "inspections": 7,
        "permits": 5,
        "land": 3,
        "taxes": 2,
        "extortion": 2,
        "construction": 2,
        "procurement": 1,
        "other": 1,
    },
    by_locality={
        "ust_kamenogorsk": 11,
        "ridder": 3,
        "glubokoe": 1,
        "other": 1,
        "zaisan": 1,
        "katon": 1,
        "ulan": 1,
        "samar": 1,
        "shemonaikha": 1,
        "altai": 1,
        "tarbagatai": 1,
    },
    by_language={"kk": 14, "ru": 9},
    answered=17,
    on_time=13,
    late=4,
    median_days=8,
    satisfied=7,
    partly=4,
    refused=3,
    rights_protected=8,
    withdrawn=2,
    not_considered=2,
    sessions_held=3,
    owners_came=5,
    owners_absent=2,
    officials_came=4,
    officials_absent=2,
    agreements=3,
    agreements_amount=67_300_000_000,
    ratings=10,
    rating_mean=3.8,
    by_month={
        1: {"permits": 2},
        2: {"inspections": 1, "permits": 2, "land": 1, "taxes": 1, "extortion": 1},
        4: {"inspections": 2, "construction": 1, "procurement": 1, "other": 1},
        6: {"inspections": 1},
        9: {"land": 1},
        11: {
            "inspections": 2,
            "land": 1,
            "permits": 1,
            "taxes": 1,
            "construction": 1,
            "extortion": 1,
        },
        12: {"inspections": 1},
    },
    answer_days={
        2: 2,
        3: 1,
        4: 2,
        5: 1,
        6: 1,
        7: 1,
        8: 1,
        9: 1,
        10: 1,
        12: 1,
        15: 1,
        16: 1,
        17: 1,
        18: 1,
        20: 1,
    },
)

NOVEMBER_2025 = Expected(
    received=7,
    by_type={"complaint": 5, "statement": 1, "request": 1},
    by_category={
        "inspections": 2,
        "land": 1,
        "permits": 1,
        "taxes": 1,
        "construction": 1,
        "extortion": 1,
    },
    by_locality={"ust_kamenogorsk": 4, "ridder": 1, "samar": 1, "shemonaikha": 1},
    by_language={"kk": 4, "ru": 3},
    answered=5,
    on_time=4,
    late=1,
    median_days=9,
    satisfied=2,
    partly=1,
    refused=1,
    rights_protected=2,
    withdrawn=1,
    not_considered=1,
    sessions_held=1,
    owners_came=2,
    owners_absent=0,
    officials_came=1,
    officials_absent=0,
    agreements=2,
    agreements_amount=27_750_000_000,
    ratings=3,
    rating_mean=10 / 3,
    by_month={
        11: {
            "inspections": 2,
            "land": 1,
            "permits": 1,
            "taxes": 1,
            "construction": 1,
            "extortion": 1,
        }
    },
    answer_days={2: 1, 7: 1, 9: 1, 12: 1, 18: 1},
)


def _due(registered: date) -> datetime:
    return datetime.combine(
        weekdays_after(registered, TERM_DAYS), time(23, 59, 59), tzinfo=TZ
    ).astimezone(UTC)


async def insert_history(session: AsyncSession) -> dict[str, int]:
    """Insert the year's rows (and commit); the appeals' ids by their key."""
    for user_id, language, _ in PEOPLE.values():
        session.add(User(id=user_id, language=language))
    await session.flush()
    ids: dict[str, int] = {}
    for number, row in enumerate(ROWS, start=1):
        user_id, _, iin = PEOPLE[row.person]
        registered_at = row.registered_at or local(row.registered)
        answered_at = (
            None
            if row.answer_after is None
            else local(weekdays_after(row.registered, row.answer_after), time(15, 0))
        )
        appeal = Appeal(
            number=f"{row.registered.year}-{number:06d}",
            user_id=user_id,
            applicant_name="—" if iin == "—" else f"Заявитель {row.key}",
            applicant_kind="ie",
            applicant_iin_bin=iin,
            applicant_phone="+77010000000",
            appeal_type=row.appeal_type,
            category=row.category,
            locality=row.locality,
            body="Акимат",
            description="Описание обращения для истории показателей офиса.",
            status=row.status,
            outcome=row.outcome,
            registered_at=registered_at,
            due_at=_due(row.registered),
            answered_at=answered_at,
            rating=row.rating,
            rated_at=None
            if row.rating is None or answered_at is None
            else answered_at + timedelta(days=1),
            anonymised_at=local(date(2025, 12, 1)) if iin == "—" else None,
        )
        session.add(appeal)
        await session.flush()
        ids[row.key] = appeal.id
        ended = (
            local(weekdays_after(row.registered, row.ended_after), time(12, 0))
            if row.ended_after is not None
            else answered_at
        )
        if row.status in ("withdrawn", "not_considered") and ended is not None:
            session.add(
                AppealEvent(
                    appeal_id=appeal.id,
                    kind="status",
                    actor_kind="owner" if row.status == "withdrawn" else "staff",
                    from_status="in_review",
                    to_status=row.status,
                    created_at=ended,
                )
            )
    for starts, state, items in SESSIONS:
        starts_at = local(starts, time(15, 0))
        office_session = OfficeSession(
            starts_at=starts_at,
            place="Өскемен, Горький к-сі 40",
            state=state,
            held_at=starts_at + timedelta(hours=2) if state == "held" else None,
        )
        session.add(office_session)
        await session.flush()
        for position, (key, owner, official, item_state) in enumerate(items, start=1):
            session.add(
                Hearing(
                    appeal_id=ids[key],
                    session_id=office_session.id,
                    position=position,
                    starts_at=starts_at,
                    place=office_session.place,
                    state=item_state,
                    owner_attended=owner,
                    official_attended=official,
                )
            )
    for project_number, status, signed, agreement, amount in PROJECTS:
        session.add(
            InvestmentProject(
                number=project_number,
                user_id=PEOPLE["P4"][0],
                language="ru",
                company="ТОО «Промотход Казахстан»",
                bin=PEOPLE["P4"][2],
                project="Завод по переработке отходов",
                industry="переработка",
                locality="ust_kamenogorsk",
                amount_tenge=amount,
                jobs=120,
                stage="design",
                needs="земельный участок, разрешение на строительство",
                bodies="акимат, ДЭ",
                contact_name="Сергей Сергеев",
                contact_phone="+77010000001",
                consent_at=local(date(2025, 1, 20)),
                status=status,
                agreement_date=signed,
                agreement_number=None if signed is None else f"С-{project_number}",
                agreement_amount=agreement,
                registered_at=local(date(2025, 1, 20)),
            )
        )
    await session.commit()
    return ids


async def history_before_start(tmp_path: Path) -> None:
    """The year's rows in the database a live app of `tmp_path` will open, before it starts,
    so that its first scheduled check already sees them (the monthly report is the same on
    every run, not sometimes an empty month)."""
    engine = make_engine(database.fresh_database_url_sync(tmp_path))
    try:
        async with make_sessionmaker(engine)() as session:
            await insert_history(session)
    finally:
        await engine.dispose()
