"""Investment projects: registering one, its lifecycle as a table, its events, and what the
investor is told (in their language, through the outbox, each change once)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.invest_amount import parse_amount
from bot.domain.outbox import Button, enqueue
from bot.domain.users import ensure_user
from bot.domain.workflow import Staff
from bot.i18n import I18n, Translator
from models import (
    ActorKind,
    Appeal,
    InvestmentProject,
    OutboxMessage,
    ProjectCounter,
    ProjectEvent,
    ProjectStatus,
    User,
)
from models.db import insert_for

P = ProjectStatus
# Which status each may go to; a final one goes nowhere.
TRANSITIONS: dict[ProjectStatus, frozenset[ProjectStatus]] = {
    P.RECEIVED: frozenset({P.UNDER_REVIEW, P.DECLINED}),
    P.UNDER_REVIEW: frozenset({P.AGREEMENT_SIGNED, P.DECLINED}),
    P.AGREEMENT_SIGNED: frozenset(),
    P.DECLINED: frozenset(),
}
# What staff must type for a status: nothing, the agreement, or the reason.
NEEDS: dict[ProjectStatus, str] = {
    P.UNDER_REVIEW: "nothing",
    P.AGREEMENT_SIGNED: "agreement",
    P.DECLINED: "reason",
}
STATUS_EVENT, MESSAGE_EVENT, OBSTACLE_EVENT = "status", "message", "obstacle"
REASON_MAX = 2000
AGREEMENT = re.compile(
    r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*[;,]?\s*(?:№\s*)?([^\s;]{1,50})\s*[;,]?\s*(.+?)\s*$",
    re.DOTALL,
)


def allowed(status: str, target: ProjectStatus) -> bool:
    return target in TRANSITIONS[ProjectStatus(status)]


def is_final(project: InvestmentProject) -> bool:
    return not TRANSITIONS[ProjectStatus(project.status)]


def spaced(amount: int) -> str:
    """1500000000 as "1 500 000 000" (no-break spaces), the same in both languages."""
    return f"{amount:,}".replace(",", "\u00a0")


async def next_project_number(session: AsyncSession, year: int) -> str:
    """ИП-YYYY-NNNN in one upsert, like appeals' numbers: two registrations at the same
    moment, on any instance, get two numbers (the counter row is locked until commit)."""
    insert = insert_for(session)
    statement = insert(ProjectCounter).values(year=year, last=1)
    statement = statement.on_conflict_do_update(
        index_elements=["year"], set_={"last": ProjectCounter.last + 1}
    ).returning(ProjectCounter.last)
    last = await session.scalar(statement)
    return f"ИП-{year}-{last:04d}"


def record(
    session: AsyncSession,
    project: InvestmentProject,
    kind: str,
    *,
    actor_kind: ActorKind,
    now: datetime,
    actor_id: int | None = None,
    actor_name: str | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str | None = None,
) -> ProjectEvent:
    event = ProjectEvent(
        project_id=project.id,
        kind=kind,
        actor_kind=actor_kind.value,
        actor_id=actor_id,
        actor_name=actor_name,
        from_status=from_status,
        to_status=to_status,
        note=note,
        created_at=now,
    )
    session.add(event)
    return event


async def register_project(
    session: AsyncSession,
    user_id: int,
    answers: dict[str, Any],
    *,
    now: datetime,
    local_year: int,
    consent_at: datetime,
) -> InvestmentProject:
    """Store the project and its first event. No commit."""
    user = await ensure_user(session, user_id)
    project = InvestmentProject(
        number=await next_project_number(session, local_year),
        user_id=user_id,
        language=user.language or "kk",
        company=answers["company"],
        bin=answers["bin"],
        project=answers["project"],
        industry=answers["industry"],
        locality=answers["locality"],
        amount_tenge=int(answers["amount"]),
        jobs=int(answers["jobs"]),
        stage=answers["stage"],
        needs=answers["needs"],
        bodies=answers["bodies"],
        contact_name=answers["contact_name"],
        contact_phone=answers["phone"],
        consent_at=consent_at,
        status=P.RECEIVED.value,
        registered_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(project)
    await session.flush()
    record(
        session,
        project,
        STATUS_EVENT,
        actor_kind=ActorKind.OWNER,
        actor_id=user_id,
        to_status=P.RECEIVED.value,
        now=now,
    )
    await session.flush()
    return project


@dataclass(frozen=True)
class Agreement:
    signed_on: date
    number: str
    amount: int


def parse_agreement(text: str, today: date) -> Agreement | None:
    """ "15.12.2025 № 17-ИП 1,5 млрд": the date (not later than today), the number, the amount."""
    match = AGREEMENT.match(text)
    if match is None:
        return None
    try:
        signed_on = date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        return None
    amount = parse_amount(match[5])
    if signed_on > today or amount is None:
        return None
    return Agreement(signed_on, match[4].strip(), amount)


async def investor_translator(
    session: AsyncSession, i18n: I18n, project: InvestmentProject
) -> Translator:
    owner = await session.get(User, project.user_id)
    return i18n.translator(owner.language if owner and owner.language else project.language)


def about(project: InvestmentProject) -> dict[str, Any]:
    """An outbox row's mark of the project a message to the investor is about (effects ignore
    it; a reply to that message goes to the project's topic)."""
    return {"project": project.id}


async def project_replied_to(
    session: AsyncSession, chat_id: int, message_id: int
) -> InvestmentProject | None:
    """The project of the bot's message (a notice, a staff message) the investor replies to."""
    marks = await session.scalars(
        select(OutboxMessage.after).where(
            OutboxMessage.chat_id == chat_id, OutboxMessage.result_message_id == message_id
        )
    )
    for mark in marks:
        if isinstance(mark, dict) and isinstance(mark.get("project"), int):
            return await owner_project(session, chat_id, mark["project"])
    return None


def write_button(t: Translator, project: InvestmentProject) -> list[list[Button]]:
    """ "Write to the office" under a notice about the project."""
    values: dict[str, str | int] = {"action": "write", "project_id": project.id}
    return [[Button(t("invest.my.write"), "invest", values)]]


async def notify_investor(
    session: AsyncSession,
    i18n: I18n,
    project: InvestmentProject,
    key: str,
    *,
    now: datetime,
    dedupe_key: str,
    **values: Any,
) -> int | None:
    t = await investor_translator(session, i18n, project)
    text = t(key, number=project.number, **values)
    return await enqueue(
        session,
        chat_id=project.user_id,
        kind="project",
        text=text,
        now=now,
        buttons=write_button(t, project),
        dedupe_key=dedupe_key,
        after=about(project),
    )


class ProjectRefused(Exception):
    """The change is not allowed from the project's status now (stale or forged, or lost to a
    colleague's press)."""

    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"{current} -> {target}")
        self.current = current
        self.target = target


async def change_status(
    session: AsyncSession,
    i18n: I18n,
    project: InvestmentProject,
    target: ProjectStatus,
    staff: Staff,
    *,
    now: datetime,
    agreement: Agreement | None = None,
    reason: str | None = None,
) -> None:
    """Move the project, record the event and tell the investor (once: a status is reached at
    most once, so the status names the notice's dedupe key)."""
    if not allowed(project.status, target):
        raise ProjectRefused(project.status, target.value)
    previous = project.status
    project.status = target.value
    project.updated_at = now
    note = reason
    values: dict[str, Any] = {}
    if agreement is not None:
        project.agreement_date = agreement.signed_on
        project.agreement_number = agreement.number
        project.agreement_amount = agreement.amount
        note = f"{agreement.signed_on:%d.%m.%Y} № {agreement.number}; {agreement.amount}"
        values = {
            "date": f"{agreement.signed_on:%d.%m.%Y}",
            "agreement": agreement.number,
            "amount": spaced(agreement.amount),
        }
    if reason is not None:
        project.decline_reason = reason
        values = {"reason": reason}
    record(
        session,
        project,
        STATUS_EVENT,
        actor_kind=ActorKind.STAFF,
        actor_id=staff.id,
        actor_name=staff.name,
        from_status=previous,
        to_status=target.value,
        note=note,
        now=now,
    )
    await session.flush()
    await notify_investor(
        session,
        i18n,
        project,
        f"invest.notify.{target.value}",
        now=now,
        dedupe_key=f"project:{project.id}:status:{target.value}",
        **values,
    )


# --- the investor's side ----------------------------------------------------------------------


async def owner_projects(session: AsyncSession, user_id: int) -> list[InvestmentProject]:
    rows = await session.scalars(
        select(InvestmentProject)
        .where(InvestmentProject.user_id == user_id)
        .order_by(InvestmentProject.created_at.desc(), InvestmentProject.id.desc())
    )
    return list(rows)


async def owner_project(
    session: AsyncSession, user_id: int, project_id: int
) -> InvestmentProject | None:
    """The project only if it is this investor's: anyone else's id is 'not found'."""
    project = await session.get(InvestmentProject, project_id)
    return project if project is not None and project.user_id == user_id else None


async def get_project(session: AsyncSession, project_id: int) -> InvestmentProject | None:
    return await session.get(InvestmentProject, project_id)


# Built once: every staff message in the group asks whether its topic is a project's.
PROJECT_IN_TOPIC = select(InvestmentProject).where(InvestmentProject.topic_id == bindparam("topic"))


async def project_in_topic(session: AsyncSession, topic_id: int) -> InvestmentProject | None:
    return await session.scalar(PROJECT_IN_TOPIC, {"topic": topic_id})


async def project_of_card(session: AsyncSession, message_id: int) -> InvestmentProject | None:
    return await session.scalar(
        select(InvestmentProject).where(InvestmentProject.card_message_id == message_id)
    )


async def set_place(
    session: AsyncSession, project_id: int, topic_id: int, card_message_id: int
) -> None:
    """A new topic and card replaced deleted ones (no version bump: only the sender writes
    these columns)."""
    await session.execute(
        update(InvestmentProject)
        .where(InvestmentProject.id == project_id)
        .values(topic_id=topic_id, card_message_id=card_message_id)
    )


async def status_events(session: AsyncSession, project: InvestmentProject) -> list[ProjectEvent]:
    rows = await session.scalars(
        select(ProjectEvent)
        .where(ProjectEvent.project_id == project.id, ProjectEvent.kind == STATUS_EVENT)
        .order_by(ProjectEvent.id)
    )
    return list(rows)


async def obstacles(session: AsyncSession, project: InvestmentProject) -> list[Appeal]:
    rows = await session.scalars(
        select(Appeal).where(Appeal.project_id == project.id).order_by(Appeal.id)
    )
    return list(rows)


def obstacle_answers(project: InvestmentProject) -> dict[str, Any]:
    """The appeal form's answers an obstacle of this project starts with: the company, its
    BIN and the contact, so the form goes straight to what happened."""
    return {
        "full_name": project.contact_name,
        "applicant_kind": "le",
        "iin_bin": project.bin,
        "company": project.company,
        "phone": project.contact_phone,
        "project_id": project.id,
        "prefilled": True,
    }


async def link_obstacle(session: AsyncSession, appeal: Appeal, now: datetime) -> None:
    """An appeal filed as an obstacle of the owner's project: the project's event."""
    if appeal.project_id is None:
        return
    project = await session.get(InvestmentProject, appeal.project_id)
    if project is None or project.user_id != appeal.user_id:
        appeal.project_id = None  # not theirs (a damaged dialogue record): a plain appeal
        return
    record(
        session,
        project,
        OBSTACLE_EVENT,
        actor_kind=ActorKind.OWNER,
        actor_id=appeal.user_id,
        note=appeal.number,
        now=now,
    )
