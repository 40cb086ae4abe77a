"""The registers staff take out of the bot (/export, the monthly report): the journal of
registration of appeals and the register of investment projects for a period.

A row is in a period when it was registered in it (the journal of registration's own order).
IIN/BIN and phones are masked unless staff ask for the full register; taking one is an
AuditEvent with who and when. A register queued in the outbox is a copy of personal data: once
delivered (or given up on), its file leaves the row (forget_sent_registers, from the scheduler's
personal-data check).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.calendar import WorkCalendar
from bot.domain.outbox import enqueue
from bot.domain.periods import Period
from models import Appeal, AuditEvent, AuditKind, InvestmentProject, OutboxMessage, OutboxState

REGISTER_KIND = "register"
REGISTER_FORGOTTEN_KIND = "register_forgotten"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Telegram takes documents up to 50 MB from a bot; the row also holds the file in base64.
MAX_BYTES = 45 * 1024 * 1024
IIN_BIN_KEPT = 4  # digits of an IIN/BIN a masked register shows (the last ones)
PHONE_KEPT = 2  # digits of a phone a masked register shows (the last ones)
MASK = "•"
# The word after /export that asks for IIN/BIN and phones, in either language (or English).
FULL = frozenset({"full", "полный", "толық"})


class RegisterTooLarge(Exception):
    """The file would not go through Telegram: a shorter period is needed."""


@dataclass(frozen=True)
class Staff:
    """Who took a register."""

    user_id: int
    name: str


@dataclass(frozen=True)
class AppealRow:
    number: str
    registered: date  # local
    answered: date | None  # local; the office's first answer (Appeal.answered_at)
    appeal_type: str
    category: str
    locality: str  # a key of the form's localities, or the place as typed
    body: str
    status: str
    outcome: str | None
    days_taken: int | None  # working days from registration to the answer
    on_time: bool | None  # answered by the due date (the legal term, after any extension)
    applicant: str
    iin_bin: str
    phone: str


@dataclass(frozen=True)
class ProjectRow:
    number: str
    registered: date  # local
    company: str
    bin: str
    project: str
    industry: str
    locality: str
    amount: int  # tenge
    jobs: int
    stage: str
    status: str
    agreement_date: date | None
    agreement_number: str | None
    agreement_amount: int | None
    contact: str
    phone: str


@dataclass(frozen=True)
class Register:
    period: Period
    full: bool
    appeals: list[AppealRow]
    projects: list[ProjectRow]


def split_args(text: str) -> tuple[bool, str]:
    """'/export полный квартал' -> (True, 'квартал'): whether the full register is asked
    for, and what is left for parse_period."""
    words = text.strip().split(maxsplit=1)
    if words and words[0].casefold() in FULL:
        return True, words[1] if len(words) > 1 else ""
    return False, text.strip()


def mask(value: str, keep: int) -> str:
    """Every digit but the last `keep` becomes a dot; a leading + and anything that is not a
    digit ("—" of an anonymised appeal) stay as they are."""
    digits = sum(ch.isdigit() for ch in value)
    out, seen = [], 0
    for ch in value:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen > digits - keep else MASK)
        else:
            out.append(ch)
    return "".join(out)


async def collect(
    session: AsyncSession, period: Period, calendar: WorkCalendar, *, full: bool
) -> Register:
    start, end = period.bounds(calendar.tz)
    iin_bin = (lambda v: v) if full else (lambda v: mask(v, IIN_BIN_KEPT))
    phone = (lambda v: v) if full else (lambda v: mask(v, PHONE_KEPT))
    appeals = []
    for a in await session.scalars(
        select(Appeal)
        .where(Appeal.registered_at >= start, Appeal.registered_at < end)
        .order_by(Appeal.registered_at, Appeal.number)
    ):
        registered = calendar.local(a.registered_at).date()
        answered = None if a.answered_at is None else calendar.local(a.answered_at).date()
        appeals.append(
            AppealRow(
                number=a.number,
                registered=registered,
                answered=answered,
                appeal_type=a.appeal_type,
                category=a.category,
                locality=a.locality,
                body=a.body,
                status=a.status,
                outcome=a.outcome,
                days_taken=None
                if answered is None
                else calendar.working_days_between(registered, answered),
                on_time=None if a.answered_at is None else a.answered_at <= a.due_at,
                applicant=a.applicant_name,
                iin_bin=iin_bin(a.applicant_iin_bin),
                phone=phone(a.applicant_phone),
            )
        )
    projects = [
        ProjectRow(
            number=p.number,
            registered=calendar.local(p.registered_at).date(),
            company=p.company,
            bin=iin_bin(p.bin),
            project=p.project,
            industry=p.industry,
            locality=p.locality,
            amount=p.amount_tenge,
            jobs=p.jobs,
            stage=p.stage,
            status=p.status,
            agreement_date=p.agreement_date,
            agreement_number=p.agreement_number,
            agreement_amount=p.agreement_amount,
            contact=p.contact_name,
            phone=phone(p.contact_phone),
        )
        for p in await session.scalars(
            select(InvestmentProject)
            .where(InvestmentProject.registered_at >= start, InvestmentProject.registered_at < end)
            .order_by(InvestmentProject.registered_at, InvestmentProject.number)
        )
    ]
    return Register(period, full, appeals, projects)


async def record_full_register(
    session: AsyncSession, period: Period, staff: Staff, now: datetime
) -> None:
    session.add(
        AuditEvent(
            kind=AuditKind.FULL_REGISTER.value,
            actor_id=staff.user_id,
            actor_name=staff.name,
            note=f"{period.start.isoformat()}..{period.end.isoformat()}",
            created_at=now,
        )
    )
    await session.flush()


async def queue_register(
    session: AsyncSession,
    *,
    chat_id: int,
    thread_id: int | None,
    file_name: str,
    content: bytes,
    caption: str,
    now: datetime,
    dedupe_key: str | None = None,
) -> int | None:
    """Queue the file under a kind of its own, so that once sent it leaves the outbox."""
    return await enqueue(
        session,
        chat_id=chat_id,
        thread_id=thread_id,
        kind=REGISTER_KIND,
        text=caption,
        now=now,
        document=(file_name, content, XLSX_MIME),
        dedupe_key=dedupe_key,
    )


async def forget_sent_registers(session: AsyncSession) -> None:
    """A register delivered (or given up on) is not kept in the outbox: it names applicants
    and, when full, holds their IIN/BIN and phones."""
    for states, state in (
        ([OutboxState.SENT.value], OutboxState.SENT.value),
        ([OutboxState.FAILED.value, OutboxState.CANCELLED.value], OutboxState.CANCELLED.value),
    ):
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.kind == REGISTER_KIND, OutboxMessage.state.in_(states))
            .values(payload={}, kind=REGISTER_FORGOTTEN_KIND, state=state)
            .execution_options(synchronize_session=False)
        )
