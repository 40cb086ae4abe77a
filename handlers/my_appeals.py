"""'My appeals': the owner's list, an appeal's card, adding information, withdrawing."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain import appeals as service
from bot.domain import form, workflow
from bot.domain.calendar import WorkCalendar
from bot.domain.catalog import DESCRIPTION_MAX, MAX_FILE_MB
from bot.i18n import I18n, Translator
from bot.keyboards.callbacks import MyAppealsCb
from bot.keyboards.common import main_menu
from bot.keyboards.my_appeals import add_keyboard, card_keyboard, list_keyboard, withdraw_keyboard
from bot.services import Services
from bot.telegram.attachments import describe_file
from bot.telegram.owner_messages import share_with_staff
from bot.views.answers import shown
from handlers.invest_my import send_projects
from models import AppealStatus
from states import AddInfo

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

CARD_DESCRIPTION_CHARS = 1500


def list_text(t: Translator, page: service.Page, now: datetime) -> str:
    if not page.appeals:
        return t("my.empty")
    lines = [t("my.title", page=page.page + 1, pages=page.pages), ""]
    for appeal in page.appeals:
        line = t(
            "my.line",
            number=appeal.number,
            category=t(f"category.{appeal.category}"),
            status=t(f"status.{appeal.status}"),
        )
        if workflow.is_overdue(appeal, now):
            line += " " + t("my.overdue")
        lines.append(line)
    lines += ["", t("my.open_hint")]
    return "\n".join(lines)


def card_text(t: Translator, card: service.CardData, calendar: WorkCalendar, now: datetime) -> str:
    appeal = card.appeal
    day = "%d.%m.%Y"
    status = t(f"status.{appeal.status}")
    if workflow.is_overdue(appeal, now):
        status += " " + t("my.overdue")
    lines = [
        t("my.card.title", number=appeal.number),
        t("my.card.status", status=status),
        t("my.card.registered", date=calendar.local(appeal.registered_at).strftime(day)),
        t("my.card.due", date=calendar.local(appeal.due_at).strftime(day)),
        "",
    ]
    for step in form.card_steps():
        assert step.row is not None
        value: object = card.attachments if step.row.show == "count" else None
        if step.appeal is not None:
            value = getattr(appeal, step.appeal)
        shown_value = shown(t, step, value, limit=CARD_DESCRIPTION_CHARS)
        lines.append(f"<b>{t(f'form.summary.{step.row.label}')}:</b> {shown_value}")
    if card.hearing is not None:
        starts = calendar.local(card.hearing.starts_at)
        lines += [
            "",
            t(
                "my.card.hearing",
                date=starts.strftime(day),
                time=starts.strftime("%H:%M"),
                place=escape(card.hearing.place),
            ),
        ]
    lines += ["", t("my.card.history")]
    for event in card.events:
        when = calendar.local(event.created_at).strftime("%d.%m.%Y %H:%M")
        lines.append(t("my.card.history_line", date=when, status=t(f"status.{event.to_status}")))
    return "\n".join(lines)


async def show_list(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    t: Translator,
    services: Services,
) -> None:
    assert message.from_user is not None
    if await state.get_state() == AddInfo.collecting.state:
        await state.clear()
    page = await service.owner_page(session, message.from_user.id, 0)
    markup = list_keyboard(t, page) if page.appeals else main_menu(t)
    await message.answer(list_text(t, page, services.clock()), reply_markup=markup)
    await send_projects(message, session, t, message.from_user.id)


async def on_button(
    query: CallbackQuery,
    callback_data: MyAppealsCb,
    session: AsyncSession,
    state: FSMContext,
    t: Translator,
    services: Services,
) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer(t("hint.stale"))
        return
    owner = query.from_user.id
    now = services.clock()
    if callback_data.action == "page":
        page = await service.owner_page(session, owner, callback_data.page)
        await query.answer()
        await message.edit_text(list_text(t, page, now), reply_markup=list_keyboard(t, page))
        return
    appeal = await service.owner_appeal(session, owner, callback_data.appeal_id)
    if appeal is None:
        await query.answer(t("my.not_found"), show_alert=True)
        return
    action = callback_data.action
    if action == "open":
        await query.answer()
        card = await service.card_data(session, appeal)
        await message.answer(
            card_text(t, card, services.calendar, now),
            reply_markup=card_keyboard(t, appeal, service.can_add(appeal)),
        )
    elif action == "add":
        if not service.can_add(appeal):
            await query.answer(t("my.add.closed", number=appeal.number), show_alert=True)
            return
        await query.answer()
        await state.set_state(AddInfo.collecting)
        await state.set_data({"appeal_id": appeal.id})
        await message.answer(
            t("my.add.prompt", number=appeal.number), reply_markup=add_keyboard(t, appeal.id)
        )
    elif action == "done":
        await query.answer()
        await state.clear()
        await message.edit_reply_markup(reply_markup=None)
        await message.answer(t("my.add.finished", number=appeal.number), reply_markup=main_menu(t))
    elif action == "withdraw":
        if not workflow.allowed(appeal.status, AppealStatus.WITHDRAWN):
            status = t(f"status.{appeal.status}")
            text = t("my.withdraw.not_allowed", number=appeal.number, status=status)
            await query.answer(text, show_alert=True)
            return
        await query.answer()
        await message.answer(
            t("my.withdraw.confirm", number=appeal.number),
            reply_markup=withdraw_keyboard(t, appeal),
        )
    elif action == "confirm":
        await query.answer()
        await message.edit_reply_markup(reply_markup=None)
        if await service.withdraw(session, appeal, owner, now):
            await message.answer(t("my.withdraw.done", number=appeal.number))
            await services.topics.post(session, appeal, services.staff_t("staff.owner_withdrew"))
            await services.topics.refresh(session, appeal)
        else:
            status = t(f"status.{appeal.status}")
            await message.answer(t("my.withdraw.not_allowed", number=appeal.number, status=status))
    elif action == "keep":
        await query.answer()
        await message.edit_reply_markup(reply_markup=None)
        await message.answer(t("my.withdraw.kept", number=appeal.number))
    else:
        await query.answer(t("hint.stale"))


async def on_add(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    t: Translator,
    services: Services,
) -> None:
    assert message.from_user is not None
    data = await state.get_data()
    appeal = await service.owner_appeal(
        session, message.from_user.id, int(data.get("appeal_id", 0))
    )
    if appeal is None or not service.can_add(appeal):
        await state.clear()
        await message.answer(t("my.not_found"), reply_markup=main_menu(t))
        return
    keyboard = add_keyboard(t, appeal.id)
    now = services.clock()
    if message.text is not None:
        if len(message.text) > DESCRIPTION_MAX:
            text = t("my.add.too_long", length=len(message.text), max=DESCRIPTION_MAX)
            await message.answer(text, reply_markup=keyboard)
            return
        await service.add_information(
            session, appeal, message.from_user.id, now=now, text=message.text
        )
    else:
        item, name, refusal = describe_file(message, t)
        if refusal is not None or item is None:
            await message.answer(
                t(
                    refusal or "form.attachments.bad_type",
                    name=escape(name),
                    size_mb=MAX_FILE_MB,
                ),
                reply_markup=keyboard,
            )
            return
        await service.add_information(
            session, appeal, message.from_user.id, now=now, text=message.caption, file=item
        )
    await message.answer(t("my.add.added", number=appeal.number), reply_markup=keyboard)
    await share_with_staff(
        message,
        appeal,
        header_key="staff.owner_added",
        session=session,
        services=services,
        now=now,
    )


async def on_add_other(message: Message, t: Translator, state: FSMContext) -> None:
    data = await state.get_data()
    await message.answer(
        t("my.add.hint"), reply_markup=add_keyboard(t, int(data.get("appeal_id", 0)))
    )


def make_router(i18n: I18n) -> Router:
    router = Router(name="my_appeals")
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)
    router.message.register(show_list, Command("my"))
    router.message.register(show_list, F.text.in_(i18n.all_variants("menu.my")))
    router.callback_query.register(on_button, MyAppealsCb.filter())
    adding = StateFilter(AddInfo.collecting)
    router.message.register(
        on_add, adding, (F.text & ~F.text.startswith("/")) | F.photo | F.document
    )
    router.message.register(on_add_other, adding, ~F.text.startswith("/"))
    return router
