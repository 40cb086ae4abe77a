"""The appeal lifecycle as data: where each status may lead, and what each status is.

A new status is a member of models.enums.AppealStatus, a row in STATUS and in TRANSITIONS,
and its texts in both catalogs (status.*, staff.button.*, staff.ask.*, notify.*). The card's
buttons, the button handler, CaseWork and the cards read everything else from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from models.enums import ActorKind, AppealStatus

S = AppealStatus
STAFF = frozenset({ActorKind.STAFF})
# The staff action that takes a new appeal into review ("Take": it also assigns the appeal).
TAKE = "take"
# Card actions that lead to no status of their own.
EXTEND = "extend"
OUTCOME = "outcome"  # the second step of "Answered": which outcome


class Needs(StrEnum):
    """What staff give before a change is made."""

    NOTHING = "nothing"
    TEXT = "text"  # a text typed next (the question, the body redirected to, the reason)
    OUTCOME = "outcome"  # an outcome button, then the answer's text
    HEARING = "hearing"  # the /hearing command (date, time, place)


@dataclass(frozen=True, kw_only=True)
class StatusSpec:
    icon: str
    # Open: the office still owes an answer (deadlines, overdue marks, extensions of the term).
    open: bool
    # The card button (StaffCb action) that leads here; None: no staff button does.
    action: str | None = None
    needs: Needs = Needs.NOTHING
    # The owner's notice (catalog key) when staff lead the appeal here; the staff's text
    # fills its placeholder `note_as`; `reply`: it has a "Reply" button.
    notice: str | None = None
    note_as: str | None = None
    reply: bool = False
    # The term may be extended while the appeal is here.
    extendable: bool = False
    # Who may lead an appeal here.
    by: frozenset[ActorKind] = STAFF
    # From a new appeal the way here is "Take", with this notice instead.
    take_notice: str | None = None


# In the order the card shows their buttons ("Take" always first).
STATUS: dict[AppealStatus, StatusSpec] = {
    S.REGISTERED: StatusSpec(icon="🆕", open=True, by=frozenset({ActorKind.OWNER})),
    S.NEEDS_INFO: StatusSpec(
        icon="❓",
        open=True,
        action="needs_info",
        needs=Needs.TEXT,
        notice="notify.needs_info",
        note_as="question",
        reply=True,
        extendable=True,
    ),
    S.ANSWERED: StatusSpec(
        icon="✅",
        open=False,
        action="answered",
        needs=Needs.OUTCOME,
        notice="notify.answered",
        note_as="text",
    ),
    S.REDIRECTED: StatusSpec(
        icon="↪️",
        open=False,
        action="redirected",
        needs=Needs.TEXT,
        notice="notify.redirected",
        note_as="body",
    ),
    S.NOT_CONSIDERED: StatusSpec(
        icon="⛔",
        open=False,
        action="not_considered",
        needs=Needs.TEXT,
        notice="notify.not_considered",
        note_as="reason",
    ),
    S.IN_REVIEW: StatusSpec(
        icon="🔍",
        open=True,
        action="in_review",
        notice="notify.back_in_review",
        take_notice="notify.in_review",
        extendable=True,
        by=frozenset({ActorKind.STAFF, ActorKind.OWNER}),
    ),
    S.CLOSED: StatusSpec(
        icon="🔒",
        open=False,
        action="closed",
        notice="notify.closed",
        by=frozenset({ActorKind.STAFF, ActorKind.SYSTEM}),
    ),
    S.HEARING_SCHEDULED: StatusSpec(
        icon="📅",
        open=True,
        action="hearing",
        needs=Needs.HEARING,
        notice="notify.hearing",
        extendable=True,
    ),
    S.WITHDRAWN: StatusSpec(icon="↩️", open=False, by=frozenset({ActorKind.OWNER})),
}

TRANSITIONS: dict[AppealStatus, frozenset[AppealStatus]] = {
    S.REGISTERED: frozenset({S.IN_REVIEW, S.REDIRECTED, S.NOT_CONSIDERED, S.WITHDRAWN}),
    S.IN_REVIEW: frozenset(
        {S.NEEDS_INFO, S.HEARING_SCHEDULED, S.ANSWERED, S.REDIRECTED, S.WITHDRAWN}
    ),
    S.NEEDS_INFO: frozenset({S.IN_REVIEW, S.NOT_CONSIDERED, S.WITHDRAWN}),
    S.HEARING_SCHEDULED: frozenset({S.IN_REVIEW, S.ANSWERED, S.HEARING_SCHEDULED, S.WITHDRAWN}),
    S.ANSWERED: frozenset({S.CLOSED, S.IN_REVIEW}),
    S.REDIRECTED: frozenset(),
    S.NOT_CONSIDERED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.CLOSED: frozenset(),
}

OPEN_STATUSES = frozenset(status for status, spec in STATUS.items() if spec.open)
# Final: nothing leads out (the card offers nothing; the topic is closed).
FINAL_STATUSES = frozenset(status for status, targets in TRANSITIONS.items() if not targets)
# The office has given its answer: the appeal's answered_at is set on the first of these.
ANSWER_STATUSES = frozenset({S.ANSWERED, S.REDIRECTED, S.NOT_CONSIDERED})


def allowed(current: str, target: str) -> bool:
    return AppealStatus(target) in TRANSITIONS[AppealStatus(current)]


def may(actor: ActorKind, current: str, target: str) -> bool:
    """The lifecycle allows it, and this kind of actor may do it."""
    return allowed(current, target) and actor in STATUS[AppealStatus(target)].by


def is_final(status: str) -> bool:
    return AppealStatus(status) in FINAL_STATUSES


def extendable(status: str) -> bool:
    return STATUS[AppealStatus(status)].extendable


def action_to(current: str, target: AppealStatus) -> str | None:
    """The card action that leads from `current` to `target`, or None if none does."""
    spec = STATUS[target]
    if spec.take_notice is not None and current == S.REGISTERED:
        return TAKE
    return spec.action


def notice_for(previous: str, target: AppealStatus) -> str | None:
    spec = STATUS[target]
    if spec.take_notice is not None and previous == S.REGISTERED:
        return spec.take_notice
    return spec.notice


def card_actions(status: str) -> list[str]:
    """The staff actions a card offers in this status, in the order shown."""
    current = AppealStatus(status)
    actions = [
        action
        for target in STATUS
        if may(ActorKind.STAFF, current, target)
        and (action := action_to(current, target)) is not None
    ]
    actions.sort(key=lambda action: action != TAKE)
    if STATUS[current].extendable:
        actions.append(EXTEND)
    return actions


def target_of(current: str, action: str) -> AppealStatus | None:
    """The status a card action leads to from `current`; None if the table forbids it."""
    for target in TRANSITIONS[AppealStatus(current)]:
        if action_to(current, target) == action and ActorKind.STAFF in STATUS[target].by:
            return target
    return None


def target_named(action: str) -> AppealStatus | None:
    """The status a card action is about, wherever the appeal is now (None: no status)."""
    if action == TAKE:
        return S.IN_REVIEW
    if action == OUTCOME:
        return S.ANSWERED
    return next((status for status, spec in STATUS.items() if spec.action == action), None)
