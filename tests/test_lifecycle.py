"""The lifecycle table (bot/domain/lifecycle.py) is what the card offers and what the button
handler and the casework service allow; the domain's plain buttons reach Telegram as the very
buttons aiogram's keyboards made before."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy import func, select

from bot.domain import lifecycle
from bot.domain.casework import CaseWork, Staff
from bot.domain.intake import submit_appeal
from bot.domain.lifecycle import STATUS, TRANSITIONS
from bot.domain.notify import hearing_answer_buttons, rating_buttons, reply_buttons
from bot.domain.outbox import message_params
from bot.i18n import LANGUAGES, I18n
from bot.keyboards.callbacks import (
    HearingAnswerCb,
    RateCb,
    ReplyCb,
    StaffCb,
    markup,
    render_buttons,
)
from bot.keyboards.staff import card_keyboard
from bot.telegram import outbox as edge_outbox
from bot.telegram.methods import inline_file
from models import ActorKind, Appeal, AppealEvent, AppealStatus, OutboxMessage, User
from tests.support import updates as up
from tests.support.cases import ANSWERS
from tests.support.harness import OPERATOR_CHAT, Harness

S = AppealStatus
I18N = I18n("ru")
T = I18N.translator("ru")
_people = itertools.count(20_000)

# What the card offered before the table, status by status (handlers and keyboards then).
CARD_BEFORE = {
    S.REGISTERED: ["take", "redirected", "not_considered"],
    S.IN_REVIEW: ["needs_info", "answered", "redirected", "hearing", "extend"],
    S.NEEDS_INFO: ["not_considered", "in_review", "extend"],
    S.HEARING_SCHEDULED: ["answered", "in_review", "hearing", "extend"],
    S.ANSWERED: ["in_review", "closed"],
    S.REDIRECTED: [],
    S.NOT_CONSIDERED: [],
    S.WITHDRAWN: [],
    S.CLOSED: [],
}


def card_actions(status: AppealStatus) -> list[str]:
    appeal = Appeal(id=7, status=status.value)
    rows = card_keyboard(T, appeal).inline_keyboard
    return [StaffCb.unpack(str(b.callback_data)).action for row in rows for b in row]


def table_allows(status: AppealStatus) -> set[str]:
    """Read from the table alone: each staff move out of `status`, and "extend" if allowed."""
    actions = {
        lifecycle.TAKE if STATUS[target].take_notice and status == S.REGISTERED else spec.action
        for target in TRANSITIONS[status]
        if ActorKind.STAFF in (spec := STATUS[target]).by and spec.action
    }
    return {a for a in actions if a} | ({lifecycle.EXTEND} if STATUS[status].extendable else set())


@pytest.mark.parametrize("status", list(S))
def test_the_card_offers_exactly_what_the_table_allows(status: AppealStatus) -> None:
    offered = card_actions(status)
    assert set(offered) == table_allows(status)
    assert offered == CARD_BEFORE[status]  # and in the order it always had


def test_every_status_has_its_row_and_its_texts() -> None:
    assert set(STATUS) == set(S) == set(TRANSITIONS)
    assert {s for s in S if STATUS[s].open} == {
        S.REGISTERED,
        S.IN_REVIEW,
        S.NEEDS_INFO,
        S.HEARING_SCHEDULED,
    }
    # One definition of "extendable": open and in the office's hands (not a new appeal).
    assert {s for s in S if lifecycle.extendable(s)} == {
        S.IN_REVIEW,
        S.NEEDS_INFO,
        S.HEARING_SCHEDULED,
    }
    for language in LANGUAGES:
        catalog = I18N.catalogs[language]
        for status, spec in STATUS.items():
            assert f"status.{status.value}" in catalog
            for action in filter(None, (spec.action, lifecycle.TAKE)):
                assert f"staff.button.{action}" in catalog
            if spec.needs == lifecycle.Needs.TEXT:
                assert f"staff.ask.{spec.action}" in catalog
            for key in filter(None, (spec.notice, spec.take_notice)):
                assert key in catalog, key
            if spec.note_as is not None:
                assert spec.notice and f"{{{spec.note_as}}}" in catalog[spec.notice]


# ---- forged buttons -------------------------------------------------------------------------


async def _appeal(harness: Harness, status: AppealStatus) -> tuple[int, int]:
    owner = next(_people)
    calendar = harness.dispatcher["services"].calendar
    async with harness.app.sessionmaker.begin() as session:
        session.add(User(id=owner, language="ru"))
        await session.flush()
        appeal = await submit_appeal(
            session,
            calendar,
            owner,
            dict(ANSWERS),
            now=datetime.now(UTC),
            term_days=15,
        )
        appeal.status = status.value
        if status != S.REGISTERED:
            appeal.assigned_staff_id, appeal.assigned_staff_name = 501, "User501"
        return appeal.id, owner


async def _rows(harness: Harness, appeal_id: int) -> tuple[Any, ...]:
    async with harness.app.sessionmaker() as session:
        appeal = await session.get(Appeal, appeal_id)
        assert appeal is not None
        events = await session.scalar(
            select(func.count()).select_from(AppealEvent).where(AppealEvent.appeal_id == appeal_id)
        )
        queued = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.appeal_id == appeal_id, OutboxMessage.kind != "card")
        )
        return appeal.status, appeal.due_at, appeal.updated_at, events, queued


async def _press(harness: Harness, appeal_id: int, action: str, value: str = "") -> str:
    data = StaffCb(action=action, appeal_id=appeal_id, value=value).pack()
    calls = await harness.feed(up.callback(501, data, chat_id=OPERATOR_CHAT))
    answers = [c.text or "" for c in calls if isinstance(c, AnswerCallbackQuery)]
    assert len(answers) == 1, calls
    return answers[0]


def stale_answer(status: AppealStatus, action: str) -> str:
    """What a button pressed too late is answered (handlers/operator_actions.py _refuse)."""
    if action == lifecycle.EXTEND:
        return T("staff.extend_not_allowed")
    target = lifecycle.target_named(action) or S.CLOSED
    if status == target == S.IN_REVIEW:
        return T("staff.already_taken", name="User501")
    if status == target:
        return T("staff.already_status", status=T(f"status.{status}"))
    return T(
        "staff.refused_transition",
        from_status=T(f"status.{status}"),
        to_status=T(f"status.{target}"),
    )


FORGED = [
    (S.REGISTERED, "in_review", ""),  # the way into review from a new appeal is "Take"
    (S.REGISTERED, "extend", ""),  # a new appeal's term is not extended
    (S.REGISTERED, "needs_info", ""),
    (S.REGISTERED, "hearing", ""),
    (S.REGISTERED, "answered", ""),
    (S.REGISTERED, "outcome", "satisfied"),
    (S.REGISTERED, "closed", ""),
    (S.IN_REVIEW, "take", ""),
    (S.IN_REVIEW, "in_review", ""),
    (S.IN_REVIEW, "not_considered", ""),
    (S.IN_REVIEW, "outcome", "everything"),
    (S.IN_REVIEW, "launch", ""),
    (S.NEEDS_INFO, "answered", ""),
    (S.NEEDS_INFO, "hearing", ""),
    (S.ANSWERED, "extend", ""),
    (S.ANSWERED, "needs_info", ""),
    (S.ANSWERED, "take", ""),
]


@pytest.mark.parametrize(("status", "action", "value"), FORGED)
async def test_a_forged_button_gets_the_stale_answer_and_changes_nothing(
    harness: Harness, status: AppealStatus, action: str, value: str
) -> None:
    appeal_id, _owner = await _appeal(harness, status)
    before = await _rows(harness, appeal_id)
    answer = await _press(harness, appeal_id, action, value)
    assert answer == stale_answer(status, action)
    assert await _rows(harness, appeal_id) == before


async def test_a_stale_button_is_answered_the_same(harness: Harness) -> None:
    """ "Answered" from the card of an appeal in review, pressed once it waits for the owner."""
    appeal_id, _owner = await _appeal(harness, S.NEEDS_INFO)
    before = await _rows(harness, appeal_id)
    assert await _press(harness, appeal_id, "answered") == stale_answer(S.NEEDS_INFO, "answered")
    assert await _rows(harness, appeal_id) == before


async def test_the_service_refuses_what_the_table_forbids(harness: Harness) -> None:
    casework: CaseWork = harness.dispatcher["services"].casework
    appeal_id, _owner = await _appeal(harness, S.REGISTERED)
    async with harness.app.sessionmaker() as session:
        appeal = await session.get(Appeal, appeal_id)
        assert appeal is not None
        limit = casework.extension_limit(appeal)
        staff = Staff(501, "User501")
        assert not await casework.extend(
            session, appeal, limit, "причина", staff, datetime.now(UTC)
        )


# ---- the domain's plain buttons on Telegram -------------------------------------------------


def old_reply_button(appeal_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=T("notify.reply"), callback_data=ReplyCb(appeal_id=appeal_id))
    return builder.as_markup()


def old_hearing_answer_keyboard(hearing_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=T("notify.will_come"),
        callback_data=HearingAnswerCb(hearing_id=hearing_id, answer="yes"),
    )
    builder.button(
        text=T("notify.another_date"),
        callback_data=HearingAnswerCb(hearing_id=hearing_id, answer="no"),
    )
    return builder.as_markup()


def old_rating_keyboard(appeal_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for stars in range(1, 6):
        builder.button(
            text="⭐" * stars if stars < 4 else f"{stars} ⭐",
            callback_data=RateCb(appeal_id=appeal_id, value=str(stars)),
        )
    builder.button(
        text=T("rate.dispute"), callback_data=RateCb(appeal_id=appeal_id, value="dispute")
    )
    builder.adjust(5, 1)
    return builder.as_markup()


@pytest.mark.parametrize("row_id", [1, 42, 2**63 - 1])
def test_plain_buttons_become_the_buttons_aiogram_made(row_id: int) -> None:
    pairs = [
        (reply_buttons(T, row_id), old_reply_button(row_id)),
        (hearing_answer_buttons(T, row_id), old_hearing_answer_keyboard(row_id)),
        (rating_buttons(T, row_id), old_rating_keyboard(row_id)),
    ]
    for plain, old in pairs:
        assert markup(plain) == old
        # Stored as plain data, rendered when sent: the same JSON the outbox stored before.
        _method, stored = message_params("текст", buttons=plain)
        _method, before = edge_outbox.message_params("текст", old)
        assert stored != before  # plain in the row ...
        assert render_buttons(stored) == before  # ... Telegram's own when it is sent
    assert markup(reply_buttons(T, row_id)).inline_keyboard[0][0].callback_data == f"re:{row_id}"


def test_a_call_without_plain_buttons_is_sent_as_stored() -> None:
    _method, params = edge_outbox.message_params("текст", old_reply_button(5))
    assert render_buttons(params) is params
    _method, params = message_params("x", document=("a.ics", b"BEGIN:VCALENDAR", "text/calendar"))
    # The inline file aiogram's input file made before.
    assert params["document"] == inline_file(BufferedInputFile(b"BEGIN:VCALENDAR", "a.ics"))
