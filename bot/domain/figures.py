"""The office's figures for a period (/stats, the monthly report) and for the public (/results).

Computed straight from the rows; each figure counts what happened in the period by the date of
its own event (docs/figures.md has the definition of each one). The rows are few (an office's
appeals of a year), so they are read as a few narrow columns and counted here, where the
working-day calendar and the office's local time are at hand.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.calendar import WorkCalendar
from bot.domain.catalog import APPEAL_TYPES, CATEGORIES, LOCALITIES, OTHER_LOCALITY
from bot.domain.periods import Period, year_of
from models import (
    Appeal,
    AppealEvent,
    AppealStatus,
    EventKind,
    Hearing,
    HearingState,
    InvestmentProject,
    OfficeSession,
    ProjectStatus,
    SessionState,
    User,
)

OUTCOMES = ("satisfied", "partly", "refused")
# Outcomes that protected the applicant's rights, in whole or in part.
PROTECTING = frozenset({"satisfied", "partly"})
LANGUAGES = ("kk", "ru")
UNKNOWN_LANGUAGE = "unknown"
IIN_BIN_LENGTH = 12


@dataclass(frozen=True)
class Figures:
    period: Period
    term_days: int  # the legal term in working days (APPEAL_TERM_DAYS)
    # Appeals received: registered in the period.
    received: int
    by_type: Mapping[str, int]
    by_category: Mapping[str, int]
    by_locality: Mapping[str, int]  # the form's localities; a typed place counts as "other"
    by_language: Mapping[str, int]
    # Answers: appeals whose first answer (answered, redirected, not considered) fell in it.
    answered: int
    on_time: int
    late: int
    median_days: float | None  # working days from registration to the answer
    satisfied: int
    partly: int
    refused: int
    # Distinct entrepreneurs (IIN/BIN, else the Telegram user) with an answer satisfied or
    # partly satisfied in the period.
    rights_protected: int
    withdrawn: int
    not_considered: int
    # Sessions held (starting in the period) and their agenda items' attendance.
    sessions_held: int
    owners_came: int
    owners_absent: int
    officials_came: int
    officials_absent: int
    # Agreements on anti-corruption support signed (agreement date in the period).
    agreements: int
    agreements_amount: int  # tenge
    ratings: int
    rating_mean: float | None
    # Appeals received per month of the period (first day of the month) by category.
    by_month: Mapping[date, Mapping[str, int]]
    # Answers by working days taken: {days: appeals}.
    answer_days: Mapping[int, int]

    @property
    def empty(self) -> bool:
        """Nothing happened in the period: no appeal came, ended or was rated, no session
        was held and no agreement signed."""
        return not (
            self.received
            or self.answered
            or self.withdrawn
            or self.not_considered
            or self.sessions_held
            or self.agreements
            or self.ratings
        )


@dataclass(frozen=True)
class PublicResults:
    """What anyone may see (/results): aggregates only."""

    year: int
    received: int
    answered: int
    on_time: int
    sessions_held: int
    rights_protected: int
    projects: int  # investment projects accompanied: agreements signed
    projects_amount: int  # tenge


def locality_key(value: str) -> str:
    """The form's locality, or "other" for a place typed by hand."""
    return value if value in LOCALITIES else OTHER_LOCALITY


def person_key(iin_bin: str, user_id: int) -> str:
    """Who an appeal's applicant is: the IIN/BIN while it is kept, else the Telegram user
    (an anonymised appeal keeps no IIN/BIN)."""
    digits = iin_bin.strip()
    if len(digits) == IIN_BIN_LENGTH and digits.isdigit():
        return f"iin:{digits}"
    return f"user:{user_id}"


def _ordered(counts: Counter[str], known: Iterable[str]) -> dict[str, int]:
    """Every known key (zeros kept: the chart and the text show them in a fixed order), then
    any other key seen."""
    ordered = {key: counts.get(key, 0) for key in known}
    for key, value in counts.items():
        ordered.setdefault(key, value)
    return ordered


async def office_figures(
    session: AsyncSession, period: Period, calendar: WorkCalendar, *, term_days: int
) -> Figures:
    start, end = period.bounds(calendar.tz)
    received = (
        await session.execute(
            select(
                Appeal.appeal_type,
                Appeal.category,
                Appeal.locality,
                User.language,
                Appeal.registered_at,
            )
            .outerjoin(User, User.id == Appeal.user_id)
            .where(Appeal.registered_at >= start, Appeal.registered_at < end)
        )
    ).all()
    months = {month: Counter[str]() for month in period.months()}
    for row in received:
        month = calendar.local(row.registered_at).date().replace(day=1)
        months[month][row.category] += 1

    answers = (
        await session.execute(
            select(
                Appeal.registered_at,
                Appeal.answered_at,
                Appeal.due_at,
                Appeal.outcome,
                Appeal.applicant_iin_bin,
                Appeal.user_id,
            ).where(Appeal.answered_at >= start, Appeal.answered_at < end)
        )
    ).all()
    days = [
        calendar.working_days_between(
            calendar.local(row.registered_at).date(), calendar.local(row.answered_at).date()
        )
        for row in answers
    ]
    outcomes = Counter(row.outcome for row in answers if row.outcome in OUTCOMES)
    protected = {
        person_key(row.applicant_iin_bin, row.user_id)
        for row in answers
        if row.outcome in PROTECTING
    }
    on_time = sum(1 for row in answers if row.answered_at <= row.due_at)

    attendance = await _attendance(session, start, end)
    agreements, amount = await _agreements(session, period.start, period.end)
    ratings = [
        int(rating)
        for rating in await session.scalars(
            select(Appeal.rating).where(
                Appeal.rating.is_not(None), Appeal.rated_at >= start, Appeal.rated_at < end
            )
        )
        if rating is not None
    ]
    return Figures(
        period=period,
        term_days=term_days,
        received=len(received),
        by_type=_ordered(Counter(r.appeal_type for r in received), APPEAL_TYPES),
        by_category=_ordered(Counter(r.category for r in received), CATEGORIES),
        by_locality=_ordered(
            Counter(locality_key(r.locality) for r in received), [*LOCALITIES, OTHER_LOCALITY]
        ),
        by_language=_ordered(
            Counter(r.language if r.language in LANGUAGES else UNKNOWN_LANGUAGE for r in received),
            LANGUAGES,
        ),
        answered=len(answers),
        on_time=on_time,
        late=len(answers) - on_time,
        median_days=float(statistics.median(days)) if days else None,
        satisfied=outcomes["satisfied"],
        partly=outcomes["partly"],
        refused=outcomes["refused"],
        rights_protected=len(protected),
        withdrawn=await _ended_as(session, AppealStatus.WITHDRAWN, start, end),
        not_considered=await _ended_as(session, AppealStatus.NOT_CONSIDERED, start, end),
        sessions_held=attendance.sessions,
        owners_came=attendance.owners[True],
        owners_absent=attendance.owners[False],
        officials_came=attendance.officials[True],
        officials_absent=attendance.officials[False],
        agreements=agreements,
        agreements_amount=amount,
        ratings=len(ratings),
        rating_mean=statistics.fmean(ratings) if ratings else None,
        by_month={month: _ordered(counts, CATEGORIES) for month, counts in months.items()},
        answer_days=dict(sorted(Counter(days).items())),
    )


async def _ended_as(
    session: AsyncSession, status: AppealStatus, start: datetime, end: datetime
) -> int:
    """Appeals moved to a final `status` in the period (its status event's time)."""
    count = await session.scalar(
        select(func.count(func.distinct(AppealEvent.appeal_id))).where(
            AppealEvent.kind == EventKind.STATUS.value,
            AppealEvent.to_status == status.value,
            AppealEvent.created_at >= start,
            AppealEvent.created_at < end,
        )
    )
    return int(count or 0)


@dataclass(frozen=True)
class _Attendance:
    sessions: int
    owners: Counter[bool]
    officials: Counter[bool]


async def _attendance(session: AsyncSession, start: datetime, end: datetime) -> _Attendance:
    held = select(OfficeSession.id).where(
        OfficeSession.state == SessionState.HELD.value,
        OfficeSession.starts_at >= start,
        OfficeSession.starts_at < end,
    )
    sessions = await session.scalar(select(func.count()).select_from(held.subquery()))
    items = (
        await session.execute(
            select(Hearing.owner_attended, Hearing.official_attended).where(
                Hearing.session_id.in_(held), Hearing.state != HearingState.CANCELLED.value
            )
        )
    ).all()
    # None: not recorded yet; neither a visit nor a no-show.
    owners = Counter(row.owner_attended for row in items if row.owner_attended is not None)
    officials = Counter(row.official_attended for row in items if row.official_attended is not None)
    return _Attendance(int(sessions or 0), owners, officials)


async def _agreements(session: AsyncSession, first: date, last: date) -> tuple[int, int]:
    # The amount of the agreement; a signed one without it counts the project's own amount.
    amount = func.coalesce(InvestmentProject.agreement_amount, InvestmentProject.amount_tenge)
    row = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(amount), 0)).where(
                InvestmentProject.status == ProjectStatus.AGREEMENT_SIGNED.value,
                InvestmentProject.agreement_date >= first,
                InvestmentProject.agreement_date <= last,
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def public_results(
    session: AsyncSession, year: int, calendar: WorkCalendar, *, term_days: int
) -> PublicResults:
    """The office's figures of `year` as the public sees them: counts, nobody's data."""
    figures = await office_figures(
        session, year_of(date(year, 1, 1)), calendar, term_days=term_days
    )
    return PublicResults(
        year=year,
        received=figures.received,
        answered=figures.answered,
        on_time=figures.on_time,
        sessions_held=figures.sessions_held,
        rights_protected=figures.rights_protected,
        projects=figures.agreements,
        projects_amount=figures.agreements_amount,
    )
