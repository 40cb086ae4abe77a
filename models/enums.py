"""Closed vocabularies stored as plain strings."""

from __future__ import annotations

from enum import StrEnum


class AppealStatus(StrEnum):
    REGISTERED = "registered"
    IN_REVIEW = "in_review"
    NEEDS_INFO = "needs_info"
    HEARING_SCHEDULED = "hearing_scheduled"
    ANSWERED = "answered"
    REDIRECTED = "redirected"
    NOT_CONSIDERED = "not_considered"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


OPEN_STATUSES = frozenset(
    {
        AppealStatus.REGISTERED,
        AppealStatus.IN_REVIEW,
        AppealStatus.NEEDS_INFO,
        AppealStatus.HEARING_SCHEDULED,
    }
)


class ApplicantKind(StrEnum):
    ENTREPRENEUR = "ie"  # individual entrepreneur: IIN
    LEGAL_ENTITY = "le"  # legal entity: BIN


class AppealType(StrEnum):
    STATEMENT = "statement"
    COMPLAINT = "complaint"
    PROPOSAL = "proposal"
    REQUEST = "request"
    REPORT = "report"


class Category(StrEnum):
    PERMITS = "permits"
    INSPECTIONS = "inspections"
    LAND = "land"
    CONSTRUCTION = "construction"
    TAXES = "taxes"
    PROCUREMENT = "procurement"
    EXTORTION = "extortion"
    OTHER = "other"


class ActorKind(StrEnum):
    OWNER = "owner"
    STAFF = "staff"
    SYSTEM = "system"


class EventKind(StrEnum):
    STATUS = "status"
    INFO_ADDED = "info_added"
    MESSAGE = "message"
    NOTE = "note"
    EXTENSION = "extension"
    HEARING = "hearing"
    RATING = "rating"


class OutboxState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class HearingState(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    HELD = "held"
