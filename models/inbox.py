"""Every update Telegram hands the bot, stored before Telegram is told it arrived."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.enums import InboxState


class InboxUpdate(Base):
    """One incoming update. Handled from here, in update_id order per lane (one person)."""

    __tablename__ = "inbox"
    __table_args__ = (
        # The head of a lane: its oldest pending update.
        Index("ix_inbox_lane_state", "lane", "state", "update_id"),
        # Flood control counts a person's recent updates across instances.
        Index("ix_inbox_lane_received", "lane", "received_at"),
        Index("ix_inbox_state_received", "state", "received_at"),
    )

    # Telegram's own id: a redelivered update is recognised by it.
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # Who the update is from (user id; chat id when there is no user): updates of one lane
    # are handled one after another, in order, whichever instance received them.
    lane: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(40))
    # Private messages and button presses count for flood control; an album counts once.
    flood_key: Mapped[str | None] = mapped_column(String(80))
    # "warned" or "dropped" when flood control stopped this update.
    flood: Mapped[str | None] = mapped_column(String(10))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(10), default=InboxState.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    handled_at: Mapped[datetime | None]
