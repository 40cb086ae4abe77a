"""The summary before submission: every field with its Edit button, then Submit."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain import form
from bot.domain.intake import submit_appeal
from bot.domain.invest import get_project
from bot.i18n import Translator
from bot.keyboards.common import main_menu
from bot.services import Services
from handlers import appeal_flow as flow
from models import Appeal, User

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)


async def invest_obstacle(session: AsyncSession, appeal: Appeal, services: Services) -> None:
    """An obstacle of an investment project: staff of the project read of its appeal."""
    project = await get_project(session, appeal.project_id or 0)
    if project is not None:
        note = services.staff_t("invest.staff.obstacle", number=appeal.number)
        await services.projects.post(session, project, note)


async def on_summary_button(
    query: CallbackQuery,
    *,
    message: Message,
    value: str,
    state: FSMContext,
    session: AsyncSession,
    t: Translator,
    user: User | None,
    services: Services,
) -> None:
    data = await state.get_data()
    visible = {step.name for step in form.summary_steps(form.Facts(answers=data))}
    if value.startswith("edit-") and value[5:] in visible:
        await query.answer()
        await message.edit_reply_markup(reply_markup=None)
        before = {field: data.get(field) for field in form.ANSWER_FIELDS}
        await state.update_data(editing=True, before_edit=before)
        await flow.go(message, state, t, user, step=value[5:])
        return
    if value != "submit":
        await query.answer(t("hint.stale"))
        await flow.ask(message, state, t, user)
        return
    now = services.clock()
    calendar = services.calendar
    problems = form.problems(flow.facts(data, user, today=calendar.local(now).date()))
    await query.answer()
    if problems:
        # Only reachable with a damaged dialogue record, or a saved profile's number that
        # stricter checks now refuse: ask the first missing field again.
        step, refusal = problems[0]
        await state.update_data(editing=True)
        if refusal is not None:
            await message.answer(t(refusal.key, **refusal.values))
        await flow.go(message, state, t, user, step=step.name)
        return
    await message.edit_reply_markup(reply_markup=None)
    appeal = await submit_appeal(
        session,
        calendar,
        query.from_user.id,
        data,
        now=now,
        term_days=services.term_days,
    )
    await state.clear()
    registered = calendar.local(appeal.registered_at)
    text = t(
        "form.receipt.text",
        number=appeal.number,
        registered=registered.strftime("%d.%m.%Y"),
        due=calendar.local(appeal.due_at).strftime("%d.%m.%Y"),
    )
    if appeal.registered_at > now:
        text += "\n\n" + t("form.receipt.later")
    await message.answer(text, reply_markup=main_menu(t))
    await services.topics.publish(session, appeal)
    if appeal.project_id is not None:
        await invest_obstacle(session, appeal, services)
