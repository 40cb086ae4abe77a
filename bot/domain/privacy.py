"""Personal data on the person's request (Law 94-V): what is stored, a copy of it, consent
withdrawal, and anonymisation once the retention period after an appeal's end is over.

Appeals are records of an administrative procedure: a withdrawal of consent ends the use of
the profile kept for the next appeal, not the appeals already filed; those lose the
applicant's personal data when their retention period is over.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import unescape
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import appeals as appeal_service
from bot.domain import form, workflow
from bot.domain.calendar import WorkCalendar
from bot.domain.catalog import CONSENT_VERSION, is_known_locality
from bot.domain.lifecycle import OPEN_STATUSES
from bot.domain.outbox import PIECE_OF, RELAY_KIND, enqueue
from bot.i18n import Translator
from models import (
    ActorKind,
    Appeal,
    AppealEvent,
    Attachment,
    EventKind,
    Hearing,
    InvestmentProject,
    OutboxMessage,
    OutboxState,
    ProjectEvent,
    RelayedMessage,
    User,
    search_text,
)

ANONYMISED = "—"
EXPORT_KIND = "privacy_export"
# An export once delivered: its file is no longer kept in the outbox.
EXPORT_FORGOTTEN_KIND = "privacy_export_gone"
# Each anonymised appeal edits its card and topic in the operator group: a few a minute
# leave Telegram's group limit (20 a minute) to the staff's own work.
ANONYMISE_PER_MINUTE = 3
FINAL_STATUSES = [status.value for status, nexts in workflow.TRANSITIONS.items() if not nexts]
OPEN = [status.value for status in OPEN_STATUSES]
DONE_STATES = [OutboxState.SENT.value, OutboxState.CANCELLED.value]
# Internal notes are the office's working notes, never shown to the owner.
HIDDEN_EVENTS = {EventKind.NOTE.value}
# Relayed messages seen by the owner (internal ones are staff notes).
OWNER_DIRECTIONS = ("to_owner", "to_staff")
TAG = re.compile(r"<[^>]+>")


# --- consent ---------------------------------------------------------------------------------


def consent_withdrawn_at(user: User | None) -> datetime | None:
    """When consent was withdrawn, if no consent was given again since."""
    if user is None or user.consent_withdrawn_at is None:
        return None
    if user.consent_at is not None and user.consent_at > user.consent_withdrawn_at:
        return None
    return user.consent_withdrawn_at


def has_consent(user: User | None) -> bool:
    """A consent given and not withdrawn (of whichever text version)."""
    return bool(user and user.consent_at and consent_withdrawn_at(user) is None)


def consent_is_current(user: User | None) -> bool:
    return bool(
        user
        and user.consent_at
        and user.consent_version == CONSENT_VERSION
        and consent_withdrawn_at(user) is None
    )


def withdrawal_on_card(owner: User | None, appeal: Appeal) -> datetime | None:
    """The withdrawal staff see on an appeal's card: one made after the appeal was filed. It
    stays there if a consent is given again later (for a new appeal)."""
    withdrawn = owner.consent_withdrawn_at if owner is not None else None
    return withdrawn if withdrawn is not None and appeal.created_at <= withdrawn else None


@dataclass
class Overview:
    user: User | None
    appeals: int
    open_appeals: list[Appeal]


async def owner_appeals(session: AsyncSession, user_id: int) -> list[Appeal]:
    rows = await session.scalars(
        select(Appeal).where(Appeal.user_id == user_id).order_by(Appeal.created_at, Appeal.id)
    )
    return list(rows)


async def overview(session: AsyncSession, user_id: int) -> Overview:
    appeals = await owner_appeals(session, user_id)
    return Overview(
        user=await session.get(User, user_id),
        appeals=len(appeals),
        open_appeals=[a for a in appeals if a.status in OPEN],
    )


@dataclass
class Withdrawal:
    at: datetime
    withdrawn: list[Appeal] = field(default_factory=list)
    kept: list[Appeal] = field(default_factory=list)
    appeals: list[Appeal] = field(default_factory=list)  # every appeal whose card shows it


async def withdraw_consent(
    session: AsyncSession, user: User, now: datetime, *, withdraw_open: bool
) -> Withdrawal:
    """Record the withdrawal, forget the profile kept for the next appeal and, if asked,
    withdraw the open appeals (the owner's own withdrawal: its event, the same rules)."""
    result = Withdrawal(at=now)
    for appeal in await owner_appeals(session, user.id):
        if appeal.anonymised_at is not None:
            continue
        if appeal.status in OPEN:
            if withdraw_open and await appeal_service.withdraw(session, appeal, user.id, now):
                result.withdrawn.append(appeal)
            else:
                result.kept.append(appeal)
        workflow.record_event(
            session,
            appeal,
            EventKind.CONSENT_WITHDRAWN,
            actor_kind=ActorKind.OWNER,
            actor_id=user.id,
            now=now,
        )
        result.appeals.append(appeal)
    user.consent_withdrawn_at = now
    _forget_profile(user)
    await session.flush()
    return result


def _forget_profile(user: User) -> None:
    for column in form.profile_columns():
        setattr(user, column, None)


# --- the copy of everything stored -------------------------------------------------------------


def _when(calendar: WorkCalendar, moment: datetime | None) -> str | None:
    return calendar.local(moment).isoformat(timespec="seconds") if moment else None


def _plain(html_text: str | None) -> str | None:
    return unescape(TAG.sub("", html_text)).strip() if html_text else None


def _label(t: Translator, group: str, value: str | None) -> str | None:
    if not value:
        return None
    if group == "locality" and not is_known_locality(value):
        return value
    return t(f"{group}.{value}")


# The form's Appeal columns the export names itself (above); any other answer a later step
# adds is exported under its field name, so the copy stays complete.
EXPORTED_COLUMNS = frozenset(
    {
        "applicant_name",
        "applicant_kind",
        "applicant_iin_bin",
        "applicant_company",
        "applicant_phone",
        "appeal_type",
        "category",
        "locality",
        "body",
        "description",
        "confidential",
    }
)


def _other_answers(appeal: Appeal) -> dict[str, Any]:
    return {
        step.field or step.name: getattr(appeal, step.appeal)
        for step in form.STEPS
        if step.appeal and step.appeal not in EXPORTED_COLUMNS
    }


def _profile(
    t: Translator, calendar: WorkCalendar, user_id: int, user: User | None
) -> dict[str, Any]:
    if user is None:
        return {"telegram_user_id": user_id}
    return {
        "telegram_user_id": user.id,
        "full_name": user.full_name,
        "applicant_kind": _label(t, "form.applicant_kind", user.applicant_kind),
        "iin_bin": user.iin_bin,
        "phone": user.phone,
        "company": user.company,
        "language": t(f"staff.card.language_{user.language}") if user.language else None,
        "consent_given_at": _when(calendar, user.consent_at),
        "consent_version": user.consent_version,
        "consent_withdrawn_at": _when(calendar, user.consent_withdrawn_at),
        "bot_blocked": user.blocked,
        "first_contact_at": _when(calendar, user.created_at),
        "updated_at": _when(calendar, user.updated_at),
    }


def _known(t: Translator, key: str, fallback: str) -> str:
    return t(key) if key in t.i18n.catalogs[t.language] else fallback


def _event(t: Translator, calendar: WorkCalendar, event: AppealEvent) -> dict[str, Any]:
    actor = {"staff": "office"}.get(event.actor_kind, event.actor_kind)
    return {
        "at": _when(calendar, event.created_at),
        "what": _known(t, f"privacy.export.event_{event.kind}", event.kind),
        "by": t(f"privacy.export.by_{actor}"),
        "from_status": _label(t, "status", event.from_status),
        "to_status": _label(t, "status", event.to_status),
        "note": event.note,
    }


def _message_text(rows: list[OutboxMessage]) -> str | None:
    """What was said, without the heading the bot put above it; a message relayed in pieces
    (too long for one) is put together again."""
    texts = [row.payload.get("text") or row.payload.get("caption") for row in rows]
    parts = [text for text in texts if isinstance(text, str)]
    if not parts:
        return None
    _heading, _, first = parts[0].partition("\n\n")
    # The break between pieces was white space (a paragraph, a line or a space).
    return _plain("\n".join([first, *parts[1:]])) or None


async def _relay_pieces(session: AsyncSession, appeal_id: int) -> dict[int, list[OutboxMessage]]:
    """The outbox rows that carried each relayed message of the appeal, in order."""
    rows = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.appeal_id == appeal_id, OutboxMessage.kind == RELAY_KIND)
        .order_by(OutboxMessage.id)
    )
    pieces: dict[int, list[OutboxMessage]] = {}
    for row in rows:
        relayed_id = (row.after or {}).get(PIECE_OF)
        if isinstance(relayed_id, int):
            pieces.setdefault(relayed_id, []).append(row)
    return pieces


async def _appeal(
    session: AsyncSession, t: Translator, calendar: WorkCalendar, appeal: Appeal
) -> dict[str, Any]:
    events = await session.scalars(
        select(AppealEvent).where(AppealEvent.appeal_id == appeal.id).order_by(AppealEvent.id)
    )
    relayed = (
        await session.execute(
            select(RelayedMessage, OutboxMessage)
            .outerjoin(OutboxMessage, OutboxMessage.id == RelayedMessage.outbox_id)
            .where(
                RelayedMessage.appeal_id == appeal.id,
                RelayedMessage.direction.in_(OWNER_DIRECTIONS),
            )
            .order_by(RelayedMessage.id)
        )
    ).all()
    pieces = await _relay_pieces(session, appeal.id)
    files = await session.scalars(
        select(Attachment).where(Attachment.appeal_id == appeal.id).order_by(Attachment.position)
    )
    hearings = await session.scalars(
        select(Hearing).where(Hearing.appeal_id == appeal.id).order_by(Hearing.id)
    )
    return {
        "number": appeal.number,
        "status": _label(t, "status", appeal.status),
        "outcome": _label(t, "staff.outcome", appeal.outcome),
        "applicant": {
            "full_name": appeal.applicant_name,
            "kind": _label(t, "form.applicant_kind", appeal.applicant_kind),
            "iin_bin": appeal.applicant_iin_bin,
            "company": appeal.applicant_company,
            "phone": appeal.applicant_phone,
        },
        "appeal_type": _label(t, "appeal_type", appeal.appeal_type),
        "category": _label(t, "category", appeal.category),
        "locality": _label(t, "locality", appeal.locality),
        "body_or_official": appeal.body,
        "description": appeal.description,
        "identity_not_disclosed_to_the_body": appeal.confidential,
        **_other_answers(appeal),
        "filed_at": _when(calendar, appeal.created_at),
        "registered_at": _when(calendar, appeal.registered_at),
        "due_at": _when(calendar, appeal.due_at),
        "rating": appeal.rating,
        "rated_at": _when(calendar, appeal.rated_at),
        "anonymised_at": _when(calendar, appeal.anonymised_at),
        "history": [
            _event(t, calendar, event) for event in events if event.kind not in HIDDEN_EVENTS
        ],
        "messages": [
            {
                "at": _when(calendar, message.created_at),
                "direction": t(f"privacy.export.direction_{message.direction}"),
                "text": _message_text(pieces.get(message.id) or ([row] if row else [])),
            }
            for message, row in relayed
        ],
        "attachments": [
            {
                "kind": item.kind,
                "file_name": item.file_name,
                "mime_type": item.mime_type,
                "size_bytes": item.size,
                "added_at": _when(calendar, item.created_at),
                "added_later": item.event_id is not None,
            }
            for item in files
        ],
        "hearings": [
            {
                "starts_at": _when(calendar, hearing.starts_at),
                "place": hearing.place,
                "what_to_bring": hearing.notes,
                "state": hearing.state,
                "your_answer": hearing.owner_answer,
            }
            for hearing in hearings
        ],
    }


async def _projects(
    session: AsyncSession, calendar: WorkCalendar, user_id: int
) -> list[dict[str, Any]]:
    """The person's investment projects as they filed them, with their status history."""
    projects = await session.scalars(
        select(InvestmentProject)
        .where(InvestmentProject.user_id == user_id)
        .order_by(InvestmentProject.id)
    )
    found: list[dict[str, Any]] = []
    for project in projects:
        events = await session.scalars(
            select(ProjectEvent)
            .where(ProjectEvent.project_id == project.id, ProjectEvent.kind == "status")
            .order_by(ProjectEvent.id)
        )
        found.append(
            {
                "number": project.number,
                "status": project.status,
                "registered_at": _when(calendar, project.registered_at),
                "consent_at": _when(calendar, project.consent_at),
                **{
                    column: getattr(project, column)
                    for column in (
                        "company",
                        "bin",
                        "project",
                        "industry",
                        "locality",
                        "amount_tenge",
                        "jobs",
                        "stage",
                        "needs",
                        "bodies",
                        "contact_name",
                        "contact_phone",
                        "agreement_number",
                        "agreement_amount",
                        "decline_reason",
                    )
                },
                "agreement_date": (
                    project.agreement_date.isoformat() if project.agreement_date else None
                ),
                "history": [
                    {"at": _when(calendar, event.created_at), "status": event.to_status}
                    for event in events
                ],
            }
        )
    return found


async def export(
    session: AsyncSession,
    t: Translator,
    calendar: WorkCalendar,
    user_id: int,
    now: datetime,
    *,
    retention_years: int,
    draft: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything stored about the person, and nothing of anyone else: no staff names or
    ids, no internal notes, no other owner's appeals."""
    user = await session.get(User, user_id)
    data: dict[str, Any] = {
        "about": t("privacy.export.about"),
        "controller": t("privacy.export.controller"),
        "legal_basis": t("privacy.export.basis"),
        "retention_years_after_an_appeal_ends": retention_years,
        "generated_at": _when(calendar, now),
        "profile": _profile(t, calendar, user_id, user),
        "appeals": [
            await _appeal(session, t, calendar, appeal)
            for appeal in await owner_appeals(session, user_id)
        ],
    }
    projects = await _projects(session, calendar, user_id)
    if projects:
        data["investment_projects"] = projects
    if draft:
        data["unfinished_appeal"] = draft
    return data


def export_file(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


async def send_export(
    session: AsyncSession, chat_id: int, name: str, content: bytes, caption: str, now: datetime
) -> None:
    """Queue the file under a kind of its own, so that once sent it leaves the outbox."""
    await enqueue(
        session,
        chat_id=chat_id,
        kind=EXPORT_KIND,
        text=caption,
        now=now,
        document=(name, content, "application/json"),
    )


async def forget_sent_exports(session: AsyncSession) -> None:
    """An export delivered (or given up on) is not kept: it is a copy of everything."""
    for states, state in (
        ([OutboxState.SENT.value], OutboxState.SENT.value),
        ([OutboxState.FAILED.value, OutboxState.CANCELLED.value], OutboxState.CANCELLED.value),
    ):
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.kind == EXPORT_KIND, OutboxMessage.state.in_(states))
            .values(payload={}, kind=EXPORT_FORGOTTEN_KIND, state=state)
            .execution_options(synchronize_session=False)
        )


# --- retention -------------------------------------------------------------------------------


def years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


async def anonymise_expired(session: AsyncSession, now: datetime, years: int) -> list[Appeal]:
    """Anonymise appeals that ended more than `years` ago, a few a minute, each once: the
    applicant's name, IIN/BIN, phone and company, the description, what was written in its
    history and messages, its files' names and Telegram references. Kept: number, type,
    category, locality, body, statuses, dates, outcome, rating and every count."""
    done_lately = await session.scalar(
        select(func.count())
        .select_from(Appeal)
        .where(Appeal.anonymised_at > now - timedelta(minutes=1))
    )
    room = ANONYMISE_PER_MINUTE - int(done_lately or 0)
    if room <= 0:
        return []
    cutoff = years_before(now, years)
    ended = (
        select(func.max(AppealEvent.created_at))
        .where(
            AppealEvent.appeal_id == Appeal.id,
            AppealEvent.kind == EventKind.STATUS.value,
            AppealEvent.to_status.in_(FINAL_STATUSES),
        )
        .correlate(Appeal)
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(Appeal, ended)
            .where(
                # Filed before the cutoff (indexed): what ended before it is among these.
                Appeal.created_at <= cutoff,
                Appeal.status.in_(FINAL_STATUSES),
                Appeal.anonymised_at.is_(None),
                ended <= cutoff,
            )
            .order_by(Appeal.created_at, Appeal.id)
            .limit(room)
        )
    ).all()
    done: list[Appeal] = []
    for appeal, ended_at in rows:
        await _anonymise(session, appeal, ended_at, now)
        done.append(appeal)
    for user_id in {appeal.user_id for appeal in done}:
        await _forget_profile_if_all_anonymised(session, user_id)
    await session.flush()
    return done


async def _anonymise(
    session: AsyncSession, appeal: Appeal, ended_at: datetime, now: datetime
) -> None:
    # Every personal answer of the form: a column that may be empty is emptied, one that
    # may not says it was erased.
    for column in form.personal_columns():
        nullable = Appeal.__table__.c[column].nullable
        setattr(appeal, column, None if nullable else ANONYMISED)
    appeal.search_text = search_text(appeal.number, appeal.body)
    appeal.anonymised_at = now
    appeal.updated_at = now
    await session.execute(
        update(AppealEvent)
        .where(AppealEvent.appeal_id == appeal.id, AppealEvent.kind != EventKind.RATING.value)
        .values(note=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Attachment)
        .where(Attachment.appeal_id == appeal.id)
        .values(file_name=None, file_id=ANONYMISED, file_unique_id=ANONYMISED)
        .execution_options(synchronize_session=False)
    )
    # What was sent about the appeal (cards, relays, notices) and the owner's own chat up to
    # the appeal's end (the dialogue that filed it) keep no text either; a failed delivery
    # of the appeal's is not retried any more.
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.appeal_id == appeal.id,
            OutboxMessage.state == OutboxState.FAILED.value,
        )
        .values(state=OutboxState.CANCELLED.value)
        .execution_options(synchronize_session=False)
    )
    for condition in (
        OutboxMessage.appeal_id == appeal.id,
        (OutboxMessage.chat_id == appeal.user_id) & (OutboxMessage.created_at <= ended_at),
    ):
        await session.execute(
            update(OutboxMessage)
            .where(condition, OutboxMessage.state.in_(DONE_STATES))
            .values(payload={})
            .execution_options(synchronize_session=False)
        )
    workflow.record_event(
        session, appeal, EventKind.ANONYMISED, actor_kind=ActorKind.SYSTEM, actor_id=None, now=now
    )


async def _forget_profile_if_all_anonymised(session: AsyncSession, user_id: int) -> None:
    """The profile kept for the next appeal goes with the last appeal's personal data."""
    left = await session.scalar(
        select(func.count())
        .select_from(Appeal)
        .where(Appeal.user_id == user_id, Appeal.anonymised_at.is_(None))
    )
    user = await session.get(User, user_id)
    if user is not None and not left:
        _forget_profile(user)
