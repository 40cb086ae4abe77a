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
    AuditKind,
    HearingState,
    InboxState,
    OutboxState,
    ProjectStage,
    ProjectStatus,
    SessionState,
)
from models.inbox import InboxUpdate
from models.office import (
    AuditEvent,
    InvestmentProject,
    OfficeSession,
    ProjectCounter,
    ProjectEvent,
)
from models.messaging import FsmRecord, Hearing, OutboxMessage, RelayedMessage
from models.user import User

__all__ = [
    "ActorKind",
    "AuditEvent",
    "AuditKind",
    "InvestmentProject",
    "OfficeSession",
    "ProjectCounter",
    "ProjectEvent",
    "ProjectStage",
    "ProjectStatus",
    "SessionState",
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
