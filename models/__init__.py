"""Database tables. Imports nothing else of the project's."""

from models.appeal import Appeal, AppealEvent, Attachment, ReceiptCounter, search_text
from models.base import Base, table_of, utcnow
from models.enums import (
    ActorKind,
    AppealStatus,
    AppealType,
    ApplicantKind,
    AuditKind,
    Category,
    EventKind,
    HearingState,
    InboxState,
    OutboxState,
    ProjectStage,
    ProjectStatus,
    SessionState,
)
from models.inbox import InboxUpdate
from models.messaging import FsmRecord, Hearing, OutboxMessage, RelayedMessage
from models.office import (
    AuditEvent,
    InvestmentProject,
    OfficeSession,
    ProjectCounter,
    ProjectEvent,
)
from models.user import User

__all__ = [
    "ActorKind",
    "Appeal",
    "AppealEvent",
    "AppealStatus",
    "AppealType",
    "ApplicantKind",
    "Attachment",
    "AuditEvent",
    "AuditKind",
    "Base",
    "Category",
    "EventKind",
    "FsmRecord",
    "Hearing",
    "HearingState",
    "InboxState",
    "InboxUpdate",
    "InvestmentProject",
    "OfficeSession",
    "OutboxMessage",
    "OutboxState",
    "ProjectCounter",
    "ProjectEvent",
    "ProjectStage",
    "ProjectStatus",
    "ReceiptCounter",
    "RelayedMessage",
    "SessionState",
    "User",
    "search_text",
    "table_of",
    "utcnow",
]
