"""Buttons under an appeal's card, and the texts some of them ask for.

What a button may do is the lifecycle table's (bot/domain/lifecycle.py): each action is a
small function, and a button the table does not allow (stale, or forged) gets the same
answer as one pressed too late.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from typing import TYPE_CHECKING

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain import appeals, lifecycle, sessions
from bot.domain.casework import OUTCOMES, CaseWork
from bot.domain.lifecycle import EXTEND, OUTCOME, TAKE, Needs
from bot.domain.workflow import Staff
from bot.i18n import Translator
from bot.keyboards.callbacks import StaffCb
from bot.keyboards.sessions import session_choice_keyboard
from bot.keyboards.staff import outcome_keyboard
from bot.middlewares.staff import StaffMiddleware
from bot.services import Services
from bot.telegram.staff import StaffDirectory
from bot.telegram.topics import TopicService
from models import Appeal, AppealStatus
from states import StaffInput

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

S = AppealStatus
EXTENSION = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s+(.{3,})$", re.DOTALL)


def is_final(appeal: Appeal) -> bool:
    return lifecycle.is_final(appeal.status)


def closed_text(t: Translator, appeal: Appeal) -> str:
    """What staff are told about any change asked of a final appeal (no status leads out of
    one, so there is nothing to reopen)."""
    return t("staff.appeal_closed", number=appeal.number, status=t(f"status.{appeal.status}"))


@dataclass(frozen=True, kw_only=True)
class Press:
    """One press of a card button, with what its action needs."""

    query: CallbackQuery
    message: Message
    appeal: Appeal
    action: str
    value: str
    session: AsyncSession
    state: FSMContext
    staff: Staff
    services: Services

    @property
    def t(self) -> Translator:
        return self.services.staff_t


async def _refuse(press: Press) -> None:
    """The same answer for a stale button, a forged one and a race lost to someone else."""
    t, appeal = press.t, press.appeal
    target = lifecycle.target_named(press.action) or S.CLOSED
    status = t(f"status.{appeal.status}")
    if appeal.status == target == S.IN_REVIEW and appeal.assigned_staff_name:
        text = t("staff.already_taken", name=appeal.assigned_staff_name)
    elif appeal.status == target:
        text = t("staff.already_status", status=status)
    else:
        text = t("staff.refused_transition", from_status=status, to_status=t(f"status.{target}"))
    await press.query.answer(text, show_alert=True)


async def _ask(press: Press, *, action: str, outcome: str = "") -> None:
    """Wait for the text this action needs (apply_staff_input gets it)."""
    await press.state.set_state(StaffInput.text)
    await press.state.set_data({"appeal_id": press.appeal.id, "action": action, "outcome": outcome})
    await press.query.answer()


async def _change_now(press: Press, target: AppealStatus) -> None:
    """An action that needs nothing more: change the status at once."""
    t, appeal, staff = press.t, press.appeal, press.staff
    casework, now = press.services.casework, press.services.clock()
    if press.action == TAKE:
        await casework.take(press.session, appeal, staff, now)
        await press.query.answer(t("staff.taken", name=staff.name))
    else:
        previous = appeal.status
        await casework.change(press.session, appeal, target, staff, now)
        await press.query.answer(
            t(
                "staff.changed",
                from_status=t(f"status.{previous}"),
                to_status=t(f"status.{target}"),
                name=staff.name,
            )
        )
    await press.services.topics.refresh(press.session, appeal)


async def _ask_text(press: Press, target: AppealStatus) -> None:
    await _ask(press, action=press.action)
    await press.message.answer(press.t(f"staff.ask.{press.action}"))


async def _ask_outcome(press: Press, target: AppealStatus) -> None:
    await press.query.answer()
    await press.message.answer(
        press.t("staff.ask.answered"), reply_markup=outcome_keyboard(press.t, press.appeal.id)
    )


async def _ask_hearing(press: Press, target: AppealStatus) -> None:
    """A hearing of its own with /hearing (the text says how), or a place on a session's
    agenda: a new one, or one of those to come (handlers/sessions.py takes the buttons)."""
    await press.query.answer()
    services = press.services
    offices = await sessions.upcoming(press.session, services.clock())
    keyboard = session_choice_keyboard(press.t, press.appeal.id, offices, services.sessions)
    await press.message.answer(press.t("staff.ask.hearing"), reply_markup=keyboard)


STATUS_ACTIONS: dict[Needs, Callable[[Press, AppealStatus], Awaitable[None]]] = {
    Needs.NOTHING: _change_now,
    Needs.TEXT: _ask_text,
    Needs.OUTCOME: _ask_outcome,
    Needs.HEARING: _ask_hearing,
}


async def _status_action(press: Press) -> None:
    target = lifecycle.target_of(press.appeal.status, press.action)
    if target is None:
        await _refuse(press)
        return
    await STATUS_ACTIONS[lifecycle.STATUS[target].needs](press, target)


async def _outcome(press: Press) -> None:
    """The outcome of an answer chosen: now its text."""
    target = lifecycle.target_of(press.appeal.status, S.ANSWERED.value)
    if press.value not in OUTCOMES or target is None:
        await _refuse(press)
        return
    await _ask(press, action=S.ANSWERED.value, outcome=press.value)
    outcome = press.t(f"staff.outcome.{press.value}")
    await press.message.answer(press.t("staff.ask.answered_text", outcome=outcome))


async def _extend(press: Press) -> None:
    if not lifecycle.extendable(press.appeal.status):
        await press.query.answer(press.t("staff.extend_not_allowed"), show_alert=True)
        return
    await _ask(press, action=EXTEND)
    limit = press.services.casework.extension_limit(press.appeal).strftime("%d.%m.%Y")
    await press.message.answer(press.t("staff.ask.extend", limit=limit))


# Card actions that lead to no status of their own; every other one is a status action.
ACTIONS: dict[str, Callable[[Press], Awaitable[None]]] = {
    OUTCOME: _outcome,
    EXTEND: _extend,
}


async def on_card_button(
    query: CallbackQuery,
    callback_data: StaffCb,
    session: AsyncSession,
    state: FSMContext,
    staff: Staff,
    services: Services,
) -> None:
    t = services.staff_t
    appeal = await appeals.get_appeal(session, callback_data.appeal_id)
    message = query.message
    if appeal is None or not isinstance(message, Message):
        await query.answer(t("my.not_found"), show_alert=True)
        return
    if is_final(appeal):
        await query.answer(closed_text(t, appeal), show_alert=True)
        return
    press = Press(
        query=query,
        message=message,
        appeal=appeal,
        action=callback_data.action,
        value=callback_data.value,
        session=session,
        state=state,
        staff=staff,
        services=services,
    )
    await ACTIONS.get(press.action, _status_action)(press)


def _parse_extension(text: str) -> tuple[date, str] | None:
    match = EXTENSION.match(text)
    if match is None:
        return None
    try:
        new_due = date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        return None
    return new_due, match[4].strip()


async def _apply_extension(
    message: Message,
    *,
    session: AsyncSession,
    state: FSMContext,
    staff: Staff,
    t: Translator,
    topics: TopicService,
    casework: CaseWork,
    appeal: Appeal,
    text: str,
    now: datetime,
) -> None:
    parsed = _parse_extension(text)
    limit = casework.extension_limit(appeal)
    if parsed is None or not await casework.extend(
        session, appeal, parsed[0], parsed[1], staff, now
    ):
        await message.reply(t("staff.ask.extend_invalid", limit=limit.strftime("%d.%m.%Y")))
        return
    await state.clear()
    await message.reply(
        t("staff.ask.extended", date=parsed[0].strftime("%d.%m.%Y"), reason=escape(parsed[1]))
    )
    await topics.refresh(session, appeal)


async def apply_staff_input(
    message: Message,
    *,
    session: AsyncSession,
    state: FSMContext,
    staff: Staff,
    services: Services,
) -> None:
    """The text a card action asked for (handlers/operator.py calls this; the casework
    service refuses, with TransitionRefused, a change the lifecycle no longer allows)."""
    t, topics, casework = services.staff_t, services.topics, services.casework
    now = services.clock()
    data = await state.get_data()
    appeal = await appeals.get_appeal(session, int(data.get("appeal_id", 0)))
    text = (message.text or "").strip()
    if appeal is None or not text:
        await state.clear()
        return
    if is_final(appeal):  # closed while the text was being written
        await state.clear()
        await message.reply(closed_text(t, appeal))
        return
    action = str(data.get("action"))
    if action == EXTEND:
        await _apply_extension(
            message,
            session=session,
            state=state,
            staff=staff,
            t=t,
            topics=topics,
            casework=casework,
            appeal=appeal,
            text=text,
            now=now,
        )
        return
    await state.clear()
    target = lifecycle.target_named(action) or S(action)
    outcome = str(data.get("outcome") or "") or None
    previous = appeal.status
    await casework.change(session, appeal, target, staff, now, note=text, outcome=outcome)
    await message.reply(
        t(
            "staff.changed",
            from_status=t(f"status.{previous}"),
            to_status=t(f"status.{target}"),
            name=escape(staff.name),
        )
    )
    await topics.refresh(session, appeal)


def make_router(operator_chat_id: int, directory: StaffDirectory) -> Router:
    router = Router(name="operator_actions")
    router.callback_query.filter(F.message.chat.id == operator_chat_id)
    router.callback_query.middleware(StaffMiddleware(directory))
    router.callback_query.register(on_card_button, StaffCb.filter())
    return router
