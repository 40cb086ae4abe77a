"""The investor's projects beside their appeals (/my): the list, a project's card, writing to
the office about it, and reporting an obstacle, which becomes an appeal linked to it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove

from bot.domain import form, invest
from bot.domain.catalog import DESCRIPTION_MAX
from bot.i18n import Translator
from bot.keyboards.callbacks import InvestCb
from bot.keyboards.common import main_menu
from bot.keyboards.invest import FORM, investor_keyboard, list_keyboard, write_keyboard
from bot.services import Services
from bot.telegram.relay import RELAYED_MEDIA
from bot.views.projects import investor_card, project_list
from handlers import appeal_flow as flow
from models import InvestmentProject, ProjectStatus, User
from states import ProjectMessage

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


async def send_projects(
    message: Message, session: AsyncSession, t: Translator, user_id: int
) -> None:
    """The investor's projects, after the list of their appeals (nothing without projects)."""
    projects = await invest.owner_projects(session, user_id)
    if projects:
        await message.answer(project_list(t, projects), reply_markup=list_keyboard(projects))


async def on_button(
    query: CallbackQuery,
    callback_data: InvestCb,
    session: AsyncSession,
    state: FSMContext,
    t: Translator,
    user: User | None,
    services: Services,
) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer(t("hint.stale"))
        return
    project = await invest.owner_project(session, query.from_user.id, callback_data.project_id)
    if project is None:
        await query.answer(t("invest.my.not_found"), show_alert=True)
        return
    action = callback_data.action
    if action == "open":
        await query.answer()
        events = await invest.status_events(session, project)
        linked = await invest.obstacles(session, project)
        text = investor_card(t, project, events, linked, services.calendar)
        await message.answer(text, reply_markup=investor_keyboard(t, project))
    elif action == "write":
        await query.answer()
        await state.set_state(ProjectMessage.writing)
        await state.set_data({"project_id": project.id})
        await message.answer(
            t("invest.my.write_prompt", number=project.number),
            reply_markup=write_keyboard(t, project.id),
        )
    elif action == "stop":
        await query.answer()
        await state.clear()
        await message.edit_reply_markup(reply_markup=None)
        await message.answer(t("nav.stopped"), reply_markup=main_menu(t))
    elif action == "obstacle" and project.status != ProjectStatus.DECLINED:
        await query.answer()
        await state.clear()
        await state.update_data(history=[], files=[], **invest.obstacle_answers(project))
        await message.answer(
            t("invest.my.obstacle_intro", number=project.number), reply_markup=ReplyKeyboardRemove()
        )
        facts = flow.facts(await state.get_data(), user)
        first = form.first_step(facts)
        if first != "consent":
            first = form.next_step(first, facts, reused_profile=True)
        await flow.go(message, state, t, user, step=first)
    else:
        await query.answer(t("hint.stale"))


async def on_write(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    t: Translator,
    services: Services,
) -> None:
    assert message.from_user is not None
    data = await state.get_data()
    project = await invest.owner_project(
        session, message.from_user.id, int(data.get("project_id", 0))
    )
    if project is None:
        await state.clear()
        await message.answer(t("invest.my.not_found"), reply_markup=main_menu(t))
        return
    if message.text is not None and len(message.text) > DESCRIPTION_MAX:
        text = t("my.add.too_long", length=len(message.text), max=DESCRIPTION_MAX)
        await message.answer(text, reply_markup=write_keyboard(t, project.id))
        return
    await state.clear()
    await services.projects.to_staff(session, project, message)
    await message.answer(t("invest.my.written", number=project.number), reply_markup=main_menu(t))


async def on_write_other(message: Message, state: FSMContext, t: Translator) -> None:
    data = await state.get_data()
    keyboard = write_keyboard(t, int(data.get("project_id", 0)))
    await message.answer(t("invest.my.write_hint"), reply_markup=keyboard)


async def replied_project(message: Message, session: AsyncSession) -> dict[str, Any] | bool:
    """Filter: the investor's project of the bot's message they reply to."""
    reply = message.reply_to_message
    if reply is None or message.from_user is None:
        return False
    project = await invest.project_replied_to(session, message.chat.id, reply.message_id)
    return {"project": project} if project is not None else False


async def on_reply(
    message: Message,
    session: AsyncSession,
    t: Translator,
    services: Services,
    project: InvestmentProject,
) -> None:
    """A reply to a message about a project goes to the project's topic."""
    await services.projects.to_staff(session, project, message)
    await message.answer(t("invest.my.written", number=project.number))


def make_router() -> Router:
    router = Router(name="invest_my")
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)
    router.callback_query.register(on_button, InvestCb.filter(F.action != FORM))
    writing = StateFilter(ProjectMessage.writing)
    router.message.register(
        on_write, writing, (F.text & ~F.text.startswith("/")) | F.content_type.in_(RELAYED_MEDIA)
    )
    router.message.register(on_write_other, writing, ~F.text.startswith("/"))
    router.message.register(
        on_reply,
        StateFilter(None),
        (F.text & ~F.text.startswith("/")) | F.content_type.in_(RELAYED_MEDIA),
        replied_project,
    )
    return router
