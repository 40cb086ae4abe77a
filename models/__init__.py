"""Database tables. Imports nothing else of the project's."""

from models.appeal import Appeal, AppealEvent, Attachment, ReceiptCounter, search_text
from models.base import Base, utcnow
from models.enums import (
    ActorKind,
    AppealStatus,
    AppealType,
    ApplicantKind,
    Category,
    EventKind,
    HearingState,
    InboxState,
    OutboxState,
)
from models.inbox import InboxUpdate
from models.messaging import FsmRecord, Hearing, OutboxMessage, RelayedMessage
from models.user import User

__all__ = [
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
    "InboxState",
    "InboxUpdate",
    "OutboxMessage",
    "OutboxState",
    "ReceiptCounter",
    "RelayedMessage",
    "User",
    "search_text",
    "utcnow",
]
