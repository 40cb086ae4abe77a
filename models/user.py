from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class User(Base):
    """A person who wrote to the bot in private; profile fields only after consent."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str | None] = mapped_column(String(2))
    full_name: Mapped[str | None] = mapped_column(String(200))
    applicant_kind: Mapped[str | None] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(16))
    iin_bin: Mapped[str | None] = mapped_column(String(12))
    company: Mapped[str | None] = mapped_column(String(300))
    consent_at: Mapped[datetime | None]
    consent_version: Mapped[str | None] = mapped_column(String(20))
    # Set when the person withdraws consent; a consent given later (consent_at after it)
    # makes it current again. Kept as the record of the withdrawal.
    consent_withdrawn_at: Mapped[datetime | None]
    blocked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
