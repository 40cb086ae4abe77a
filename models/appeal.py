from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.enums import AppealStatus


class Appeal(Base):
    """One registered appeal. Applicant fields are a snapshot taken at submission."""

    __tablename__ = "appeals"
    __table_args__ = (
        Index("ix_appeals_user_created", "user_id", "created_at"),
        Index("ix_appeals_status_due", "status", "due_at"),
        Index("ix_appeals_created", "created_at"),  # the digest's "new since"
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    applicant_name: Mapped[str] = mapped_column(String(200))
    applicant_kind: Mapped[str] = mapped_column(String(2))
    applicant_iin_bin: Mapped[str] = mapped_column(String(12))
    applicant_company: Mapped[str | None] = mapped_column(String(300))
    applicant_phone: Mapped[str] = mapped_column(String(16))
    appeal_type: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20))
    locality: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text)
    confidential: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default=AppealStatus.REGISTERED.value)
    outcome: Mapped[str | None] = mapped_column(String(20))
    registered_at: Mapped[datetime]
    due_at: Mapped[datetime]
    assigned_staff_id: Mapped[int | None] = mapped_column(BigInteger)
    assigned_staff_name: Mapped[str | None] = mapped_column(String(200))
    # When the office first gave its answer (answered, redirected or not considered): the
    # figures' "answered on time" and the register's "days taken".
    answered_at: Mapped[datetime | None]
    # An obstacle an investor reported on a project it is accompanied in.
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("investment_projects.id", ondelete="SET NULL"), index=True
    )
    rating: Mapped[int | None] = mapped_column(Integer)
    rated_at: Mapped[datetime | None]
    topic_id: Mapped[int | None] = mapped_column(Integer)
    card_message_id: Mapped[int | None] = mapped_column(Integer)
    # When the retention period ended and the applicant's personal data were anonymised.
    anonymised_at: Mapped[datetime | None] = mapped_column(index=True)
    # Lower-cased (casefold) number, names, body and description: /find matches Cyrillic and
    # Kazakh letters whatever their case, on SQLite and PostgreSQL alike.
    search_text: Mapped[str] = mapped_column(Text, default="", nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Bumped by every change of the row: a change made from a stale read (two staff pressing
    # Take at once, a withdrawal racing a Take) fails with StaleDataError and is redone.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's mapping)

    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="appeal", order_by="Attachment.position", lazy="raise"
    )
    events: Mapped[list[AppealEvent]] = relationship(
        back_populates="appeal", order_by="AppealEvent.id", lazy="raise"
    )


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("appeal_events.id"))
    file_id: Mapped[str] = mapped_column(String(200))
    file_unique_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))  # photo | document
    file_name: Mapped[str | None] = mapped_column(String(300))
    mime_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    appeal: Mapped[Appeal] = relationship(back_populates="attachments", lazy="raise")


class AppealEvent(Base):
    """Audit trail: every status change, added information and relayed message."""

    __tablename__ = "appeal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    actor_kind: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_name: Mapped[str | None] = mapped_column(String(200))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    appeal: Mapped[Appeal] = relationship(back_populates="events", lazy="raise")


def search_text(*parts: str | None) -> str:
    return "\n".join(part.casefold() for part in parts if part)


class ReceiptCounter(Base):
    """Last receipt number handed out per year (numbers look like 2026-000123)."""

    __tablename__ = "receipt_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)
