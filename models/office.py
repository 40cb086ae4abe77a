"""The office's own work beside appeals: sessions with an agenda, investment projects,
and the audit of what staff took out of the bot."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.enums import ProjectStatus, SessionState


class OfficeSession(Base):
    """A session (заседание): officials and complainants meet; appeals are its agenda items
    (models.messaging.Hearing rows with this session_id, ordered by position)."""

    __tablename__ = "office_sessions"
    __table_args__ = (Index("ix_office_sessions_state_starts", "state", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(500))
    online_link: Mapped[str | None] = mapped_column(String(500))
    # State bodies and officials invited, as staff typed them (one per line).
    invited: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), default=SessionState.SCHEDULED.value)
    # Bumped by every move: reminders of each time have their own dedupe keys.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    held_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class InvestmentProject(Base):
    """An investor (a legal entity, BIN) asks the office to accompany a project."""

    __tablename__ = "investment_projects"
    __table_args__ = (
        Index("ix_investment_projects_user", "user_id", "created_at"),
        Index("ix_investment_projects_agreement", "status", "agreement_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # ИП-2026-0001
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    language: Mapped[str] = mapped_column(String(2))
    company: Mapped[str] = mapped_column(String(300))
    bin: Mapped[str] = mapped_column(String(12))
    project: Mapped[str] = mapped_column(Text)
    industry: Mapped[str] = mapped_column(String(200))
    locality: Mapped[str] = mapped_column(String(200))
    amount_tenge: Mapped[int] = mapped_column(BigInteger)
    jobs: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(20))
    # Which permits, land or approvals it expects, and from which bodies.
    needs: Mapped[str] = mapped_column(Text)
    bodies: Mapped[str] = mapped_column(Text)
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_phone: Mapped[str] = mapped_column(String(16))
    consent_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default=ProjectStatus.RECEIVED.value)
    agreement_date: Mapped[date | None] = mapped_column(Date)
    agreement_number: Mapped[str | None] = mapped_column(String(50))
    agreement_amount: Mapped[int | None] = mapped_column(BigInteger)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    topic_id: Mapped[int | None] = mapped_column(Integer)
    card_message_id: Mapped[int | None] = mapped_column(Integer)
    registered_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's mapping)


class ProjectEvent(Base):
    """A project's audit trail: status changes, obstacles reported, messages."""

    __tablename__ = "project_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("investment_projects.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    actor_kind: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_name: Mapped[str | None] = mapped_column(String(200))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProjectCounter(Base):
    """Last project number handed out per year (ИП-2026-0001)."""

    __tablename__ = "project_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class AuditEvent(Base):
    """Who took what out of the bot, and when (models.enums.AuditKind)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_name: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
