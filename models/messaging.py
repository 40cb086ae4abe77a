from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.enums import OutboxState


class RelayedMessage(Base):
    """Pairs an owner's message with its copy in the operator chat (both directions)."""

    __tablename__ = "relayed_messages"
    __table_args__ = (
        Index("ix_relayed_operator", "operator_chat_id", "operator_message_id"),
        Index("ix_relayed_owner", "owner_chat_id", "owner_message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(10))  # to_staff | to_owner | internal
    owner_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    owner_message_id: Mapped[int | None] = mapped_column(Integer)
    operator_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    operator_message_id: Mapped[int | None] = mapped_column(Integer)
    staff_id: Mapped[int | None] = mapped_column(BigInteger)
    # The outbox row that sends the copy; the sender fills in the copy's message id.
    outbox_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Hearing(Base):
    """One appeal on a session's agenda (models.office.OfficeSession). Its time and place are
    the session's, copied when it is put on the agenda or the session moves; every hearing
    from before sessions existed became a session with one item (migration 0008)."""

    __tablename__ = "hearings"

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("office_sessions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    starts_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(500))
    notes: Mapped[str | None] = mapped_column(Text)  # what to bring
    state: Mapped[str] = mapped_column(String(12))
    owner_answer: Mapped[str | None] = mapped_column(String(20))
    # Recorded by staff after the session: None until then.
    owner_attended: Mapped[bool | None]
    official_attended: Mapped[bool | None]
    decision: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OutboxMessage(Base):
    """One Bot API call to make later: everything the bot says leaves through here.

    ``method`` and ``payload`` are the call (payload holds its parameters as JSON, without
    chat_id and message_thread_id, which are columns). ``place`` "topic" means "in the
    appeal's topic" (or under its card in a group without topics), resolved when sent, so a
    row can be queued before the topic exists. ``after`` says what to record once Telegram
    accepted the call (bot/telegram/effects.py).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_state_due", "state", "due_at"),
        Index("ix_outbox_chat_state", "chat_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(Integer)
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeals.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(30))
    # Unique when set: lets a scheduled push (e.g. one reminder offset) be queued once only.
    dedupe_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    method: Mapped[str] = mapped_column(
        String(40), default="sendMessage", server_default="sendMessage"
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    place: Mapped[str | None] = mapped_column(String(10))
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A push that would mislead once out of date is cancelled instead of sent: after stale_at
    # (a hearing reminder once the next one or the hearing is due), or once its appeal is no
    # longer in while_status (a reminder to answer a question already answered).
    stale_at: Mapped[datetime | None]
    while_status: Mapped[str | None] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(10), default=OutboxState.PENDING.value)
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    last_error: Mapped[str | None] = mapped_column(Text)
    result_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # When Telegram accepted the call. On a row not sent (yet): when a call for it a killed
    # sender was making may have reached Telegram, which counts it in its limits anyway.
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FsmRecord(Base):
    """aiogram FSM state and data for one storage key (chat, user, thread, destiny)."""

    __tablename__ = "fsm_states"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
