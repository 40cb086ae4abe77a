"""Investment projects in the operator group: the card's buttons (under review, agreement
signed, declined), the texts two of them ask for, and staff messages in a project's topic,
which reach the investor."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain import invest
from bot.domain.workflow import Staff
from bot.keyboards.callbacks import ProjectStaffCb
from bot.middlewares.staff import StaffMiddleware
from bot.services import Services
from bot.telegram.relay import RELAYED_MEDIA, appeal_in_topic
from bot.telegram.staff import StaffDirectory
from models import InvestmentProject, ProjectStatus
from states import ProjectStaffInput

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


async def project_of(
    message: Message, session: AsyncSession, bot: Bot, services: Services
) -> dict[str, Any] | bool:
    """Filter: the project whose topic the message is in (or whose card it replies to)."""
    project: InvestmentProject | None = None
    if await services.topics.is_forum(bot):
        thread = message.message_thread_id
        # Most topics are appeals'. That look-up is made for every group message anyway (and
        # kept for the unit of work), so an appeal's topic costs no second query here.
        if (
            message.is_topic_message
            and thread is not None
            and await appeal_in_topic(session, thread) is None
        ):
            project = await invest.project_in_topic(session, thread)
    elif message.reply_to_message is not None:
        project = await invest.project_of_card(session, message.reply_to_message.message_id)
    return {"project": project} if project is not None else False


async def _changed(
    session: AsyncSession,
    services: Services,
    project: InvestmentProject,
    previous: str,
    staff: Staff,
) -> str:
    """Refresh the card; the line staff read about the change."""
    t = services.staff_t
    await services.projects.refresh(session, project)
    return t(
        "invest.staff.changed",
        from_status=t(f"invest.status.{previous}"),
        to_status=t(f"invest.status.{project.status}"),
        name=escape(staff.name),
    )


async def on_card_button(
    query: CallbackQuery,
    callback_data: ProjectStaffCb,
    session: AsyncSession,
    state: FSMContext,
    staff: Staff,
    services: Services,
) -> None:
    t = services.staff_t
    project = await invest.get_project(session, callback_data.project_id)
    message = query.message
    if project is None or not isinstance(message, Message):
        await query.answer(t("invest.staff.not_found"), show_alert=True)
        return
    try:
        target = ProjectStatus(callback_data.action)
    except ValueError:
        target = None
    if target is None or target not in invest.NEEDS or not invest.allowed(project.status, target):
        # Stale (someone moved it already), or forged: nothing changes.
        status = t(f"invest.status.{project.status}")
        await query.answer(t("invest.staff.refused", status=status), show_alert=True)
        return
    needs = invest.NEEDS[target]
    if needs == "nothing":
        previous = project.status
        await invest.change_status(
            session, services.i18n, project, target, staff, now=services.clock()
        )
        line = await _changed(session, services, project, previous, staff)
        await query.answer(line)
        await services.projects.post(session, project, line)
        return
    await state.set_state(ProjectStaffInput.text)
    await state.set_data({"project_id": project.id, "action": target.value})
    await query.answer()
    await message.answer(t(f"invest.staff.ask_{needs}", number=project.number))


async def on_input(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    staff: Staff,
    services: Services,
) -> None:
    t = services.staff_t
    data = await state.get_data()
    project = await invest.get_project(session, int(data.get("project_id", 0)))
    target = ProjectStatus(str(data.get("action")))
    text = (message.text or "").strip()
    if project is None or not invest.allowed(project.status, target):
        await state.clear()
        if project is not None:
            status = t(f"invest.status.{project.status}")
            await message.reply(t("invest.staff.refused", status=status))
        return
    now = services.clock()
    agreement, reason = None, None
    if target == ProjectStatus.AGREEMENT_SIGNED:
        agreement = invest.parse_agreement(text, services.calendar.local(now).date())
        if agreement is None:
            await message.reply(t("invest.staff.agreement_invalid"))
            return
    else:
        if not 3 <= len(text) <= invest.REASON_MAX:
            await message.reply(t("invest.staff.reason_invalid", max=invest.REASON_MAX))
            return
        reason = text
    await state.clear()
    previous = project.status
    await invest.change_status(
        session, services.i18n, project, target, staff, now=now, agreement=agreement, reason=reason
    )
    await message.reply(await _changed(session, services, project, previous, staff))


async def on_input_cancel(message: Message, state: FSMContext, services: Services) -> None:
    await state.clear()
    await message.reply(services.staff_t("staff.input_cancelled"))


async def on_staff_message(
    message: Message,
    session: AsyncSession,
    staff: Staff,
    services: Services,
    project: InvestmentProject,
) -> None:
    await services.projects.to_investor(session, project, message, staff.id, staff.name)


def make_router(operator_chat_id: int, directory: StaffDirectory) -> Router:
    router = Router(name="invest_staff")
    router.message.filter(F.chat.id == operator_chat_id)
    router.callback_query.filter(F.message.chat.id == operator_chat_id)
    router.message.middleware(StaffMiddleware(directory))
    router.callback_query.middleware(StaffMiddleware(directory))
    router.callback_query.register(on_card_button, ProjectStaffCb.filter())
    waiting = StateFilter(ProjectStaffInput.text)
    router.message.register(on_input_cancel, waiting, Command("cancel"))
    router.message.register(on_input, waiting, F.text & ~F.text.startswith("/"))
    relayed = (F.text & ~F.text.startswith("/") & ~F.text.startswith("!")) | (
        F.content_type.in_(RELAYED_MEDIA) & ~F.caption.startswith("!")
    )
    router.message.register(on_staff_message, relayed, project_of)
    return router
