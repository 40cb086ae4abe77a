"""Closed vocabularies stored as plain strings."""

from __future__ import annotations

from enum import StrEnum


class AppealStatus(StrEnum):
    """What each one means (open or final, its icon, its card button ...) is the lifecycle
    table, bot/domain/lifecycle.py STATUS."""

    REGISTERED = "registered"
    IN_REVIEW = "in_review"
    NEEDS_INFO = "needs_info"
    HEARING_SCHEDULED = "hearing_scheduled"
    ANSWERED = "answered"
    REDIRECTED = "redirected"
    NOT_CONSIDERED = "not_considered"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


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
    CONSENT_WITHDRAWN = "consent_withdrawn"
    ANONYMISED = "anonymised"


class OutboxState(StrEnum):
    PENDING = "pending"
    # Taken by the instance that sends (claimed_by); back to pending if that instance dies.
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class InboxState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    # Failed every attempt: kept with its error for staff (/failed), never retried by itself.
    FAILED = "failed"


class HearingState(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    HELD = "held"


class SessionState(StrEnum):
    """An office session (заседание): several appeals on its agenda, officials invited."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    HELD = "held"


class ProjectStatus(StrEnum):
    """An investor's request for anti-corruption support of an investment project."""

    RECEIVED = "received"
    UNDER_REVIEW = "under_review"
    AGREEMENT_SIGNED = "agreement_signed"
    DECLINED = "declined"


class ProjectStage(StrEnum):
    IDEA = "idea"
    DESIGN = "design"
    CONSTRUCTION = "construction"
    OPERATION = "operation"


class AuditKind(StrEnum):
    """Office-wide events that belong to no single appeal."""

    FULL_REGISTER = "full_register"  # a staff member took the register with IIN/BIN and phones
