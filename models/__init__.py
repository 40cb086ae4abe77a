"""Database tables. Imports nothing else of the project's."""

from models.appeal import Appeal, AppealEvent, Attachment, ReceiptCounter
from models.base import Base, utcnow
from models.enums import (
    OPEN_STATUSES,
    ActorKind,
    AppealStatus,
    AppealType,
    ApplicantKind,
    Category,
    EventKind,
    HearingState,
    OutboxState,
)
from models.messaging import FsmRecord, Hearing, OutboxMessage, RelayedMessage
from models.user import User

__all__ = [
    "OPEN_STATUSES",
    "ActorKind",
    "Appeal",
    "AppealEvent",
    "AppealStatus",
    "AppealType",
    "ApplicantKind",
    "Attachment",
    "Base",
    "Category",
    "EventKind",
    "FsmRecord",
    "Hearing",
    "HearingState",
    "OutboxMessage",
    "OutboxState",
    "ReceiptCounter",
    "RelayedMessage",
    "User",
    "utcnow",
]
