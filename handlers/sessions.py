"""Sessions in the operator group: /session, the session card's buttons, and the texts they
ask for (an appeal's number, a new time, a decision). The domain decides; this says it."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InaccessibleMessage, Message

from bot.domain import sessions as domain
from bot.domain.agenda import parse_session, parse_when
from bot.domain.sessions import SessionRefused
from bot.domain.workflow import Staff
from bot.i18n import Translator
from bot.keyboards.callbacks import ResultCb, SessionAnswerCb, SessionCb
from bot.keyboards.sessions import session_keyboard
from bot.middlewares.staff import StaffMiddleware
from bot.services import Services
from bot.telegram.staff import StaffDirectory
from bot.views.sessions import session_card, session_line
from models import Appeal, SessionState
from states import SessionInput

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

ASKS = {"add": SessionInput.appeal, "move": SessionInput.move}


def refused_text(t: Translator, refused: SessionRefused) -> str:
    values = dict(refused.values)
    if "state" in values:
        values["state"] = t(f"session.state.{values['state']}")
    return t(refused.key, **values)


async def _card(
    session: AsyncSession, session_id: int, services: Services
) -> tuple[str, Any] | None:
    loaded = await domain.load(session, session_id)
    if loaded is None:
        return None
    t = services.staff_t
    return session_card(t, loaded, services.sessions), session_keyboard(t, loaded)


async def _post_card(
    message: Message, session: AsyncSession, session_id: int, services: Services
) -> None:
    card = await _card(session, session_id, services)
    if card is not None:
        await message.answer(card[0], reply_markup=card[1])


async def session_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    state: FSMContext,
    staff: Staff,
    services: Services,
) -> None:
    t, now = services.staff_t, services.clock()
    args = (command.args or "").strip()
    if not args:
        offices = await domain.upcoming(session, now)
        lines = [t("session.usage")]
        if offices:
            lines += ["", t("session.upcoming", count=len(offices))]
            lines += [session_line(t, office, services.sessions) for office in offices]
        await message.reply("\n".join(lines))
        return
    if args.isdigit():
        card = await _card(session, int(args), services)
        if card is None:
            await message.reply(t("session.unknown"))
            return
        await message.reply(card[0], reply_markup=card[1])
        return
    await _create(message, args, None, session=session, staff=staff, services=services)


async def _create(
    message: Message,
    line: str,
    appeal_id: int | None,
    *,
    session: AsyncSession,
    staff: Staff,
    services: Services,
) -> bool:
    t, now = services.staff_t, services.clock()
    request = parse_session(line, services.calendar)
    if request is None:
        await message.reply(t("session.invalid") + "\n\n" + t("session.usage"))
        return False
    try:
        office = await services.sessions.create(session, request, staff, now)
        if appeal_id is not None:
            appeal = await session.get(Appeal, appeal_id)
            if appeal is not None:
                await services.sessions.add(session, office, appeal, staff, now)
                await services.topics.refresh(session, appeal)
    except SessionRefused as refused:
        await message.reply(refused_text(t, refused))
        return False
    await _post_card(message, session, office.id, services)
    return True


async def on_session_button(
    query: CallbackQuery,
    callback_data: SessionCb,
    session: AsyncSession,
    state: FSMContext,
    staff: Staff,
    services: Services,
) -> None:
    t, now, sessions = services.staff_t, services.clock(), services.sessions
    message = query.message
    if message is None or isinstance(message, InaccessibleMessage):
        await query.answer(t("session.unknown"), show_alert=True)
        return
    action = callback_data.action
    if action == "new":
        await state.set_state(SessionInput.create)
        await state.set_data({"appeal_id": callback_data.appeal_id})
        await query.answer()
        await message.answer(t("session.ask.create") + "\n\n" + t("session.usage"))
        return
    loaded = await domain.load(session, callback_data.session_id)
    if loaded is None:
        await query.answer(t("session.unknown"), show_alert=True)
        return
    office = loaded.office
    try:
        if action in ASKS:
            sessions.ensure_open(office, now)
            await state.set_state(ASKS[action])
            await state.set_data({"session_id": office.id})
            await query.answer()
            await message.answer(t(f"session.ask.{action}", id=office.id))
            return
        if action == "put":
            appeal = await session.get(Appeal, callback_data.appeal_id)
            if appeal is None:
                raise SessionRefused("session.unknown_appeal")
            await sessions.add(session, office, appeal, staff, now)
            await services.topics.refresh(session, appeal)
            await query.answer(t("session.added", number=appeal.number, id=office.id))
            await _post_card(message, session, office.id, services)
            return
        if action == "invite":
            count = await sessions.invite(session, office, now)
            await query.answer(t("session.invited", count=count), show_alert=True)
        elif action == "cancel":
            await sessions.cancel(session, office, staff, now)
            await query.answer(t("session.cancelled"))
        elif action == "hold":
            await sessions.hold(session, office, now)
            await query.answer(t("session.held"))
        elif action == "remove":
            item = next((i for i in loaded.items if i.id == callback_data.item_id), None)
            if item is None:
                raise SessionRefused("session.unknown_item")
            await sessions.remove(session, office, item, staff, now)
            await query.answer(t("session.removed"))
        elif action == "show":
            await query.answer()
        else:
            raise SessionRefused("session.unknown")
    except SessionRefused as refused:
        await query.answer(refused_text(t, refused), show_alert=True)
        return
    if action in ("cancel", "remove"):
        for appeal in loaded.appeals.values():
            await services.topics.refresh(session, appeal)
    card = await _card(session, office.id, services)
    if card is not None:
        await message.edit_text(card[0], reply_markup=card[1])


async def on_attendance(
    query: CallbackQuery, callback_data: SessionAnswerCb, session: AsyncSession, services: Services
) -> None:
    t = services.staff_t
    found = await domain.item_of(session, callback_data.item_id)
    if found is None:
        await query.answer(t("session.unknown_item"), show_alert=True)
        return
    office, item = found
    try:
        services.sessions.mark(
            office, item, callback_data.who, bool(callback_data.came), services.clock()
        )
    except SessionRefused as refused:
        await query.answer(refused_text(t, refused), show_alert=True)
        return
    await query.answer(t("session.marked"))
    card = await _card(session, office.id, services)
    if card is not None and isinstance(query.message, Message):
        await query.message.edit_text(card[0], reply_markup=card[1])


async def on_decision_button(
    query: CallbackQuery,
    callback_data: ResultCb,
    session: AsyncSession,
    state: FSMContext,
    services: Services,
) -> None:
    t = services.staff_t
    found = await domain.item_of(session, callback_data.item_id)
    if found is None:
        await query.answer(t("session.unknown_item"), show_alert=True)
        return
    office, item = found
    if item.decided_at is not None:
        await query.answer(t("session.decided"), show_alert=True)
        return
    if office.state != SessionState.HELD:
        await query.answer(t("session.not_held"), show_alert=True)
        return
    appeal = await session.get(Appeal, item.appeal_id)
    await state.set_state(SessionInput.decision)
    await state.set_data({"item_id": item.id})
    await query.answer()
    if isinstance(query.message, Message):
        number = appeal.number if appeal is not None else ""
        await query.message.answer(t("session.ask.decision", number=number))


async def on_text(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    staff: Staff,
    services: Services,
) -> None:
    """The text a session button asked for."""
    t, now, sessions = services.staff_t, services.clock(), services.sessions
    current, data = await state.get_state(), await state.get_data()
    text = (message.text or "").strip()
    if current == SessionInput.create.state:
        if await _create(
            message, text, data.get("appeal_id"), session=session, staff=staff, services=services
        ):
            await state.clear()
        return
    if current == SessionInput.decision.state:
        found = await domain.item_of(session, int(data.get("item_id", 0)))
        if found is None:
            await state.clear()
            await message.reply(t("session.unknown_item"))
            return
        office, item = found
        try:
            appeal = await sessions.decide(session, office, item, text, staff, now)
        except SessionRefused as refused:
            await message.reply(refused_text(t, refused))
            if refused.key != "session.decision_length":
                await state.clear()
            return
        await state.clear()
        await services.topics.refresh(session, appeal)
        note = t("session.decision_note", id=office.id, text=escape(item.decision or ""))
        await services.topics.post(session, appeal, note)
        await message.reply(t("session.decision_sent", number=appeal.number))
        await _post_card(message, session, office.id, services)
        return
    loaded = await domain.load(session, int(data.get("session_id", 0)))
    if loaded is None:
        await state.clear()
        await message.reply(t("session.unknown"))
        return
    office = loaded.office
    try:
        if current == SessionInput.appeal.state:
            numbered = await domain.appeal_by_number(session, text)
            if numbered is None:
                await message.reply(t("session.unknown_appeal"))
                return  # still waiting for a number
            await sessions.add(session, office, numbered, staff, now)
            await services.topics.refresh(session, numbered)
            await message.reply(t("session.added", number=numbered.number, id=office.id))
        else:
            when = parse_when(text, services.calendar)
            if when is None:
                await message.reply(t("session.ask.move_invalid"))
                return
            await sessions.move(session, office, when[0], when[1] or None, staff, now)
            date_text, time_text = sessions.when(office)
            await message.reply(t("session.moved_staff", date=date_text, time=time_text))
    except SessionRefused as refused:
        await state.clear()
        await message.reply(refused_text(t, refused))
        return
    await state.clear()
    await _post_card(message, session, office.id, services)


async def text_only(message: Message, services: Services) -> None:
    """A photo, a file, a sticker… where a session button asked for a text: still asked."""
    await message.reply(services.staff_t("session.text_only"))


def make_router(operator_chat_id: int, directory: StaffDirectory) -> Router:
    router = Router(name="sessions")
    router.message.filter(F.chat.id == operator_chat_id)
    router.callback_query.filter(F.message.chat.id == operator_chat_id)
    router.message.middleware(StaffMiddleware(directory))
    router.callback_query.middleware(StaffMiddleware(directory))
    router.message.register(session_command, Command("session"))
    waiting = StateFilter(
        SessionInput.create, SessionInput.appeal, SessionInput.move, SessionInput.decision
    )
    # A command (/cancel above all) is not the text asked for: the operator router takes it.
    router.message.register(on_text, waiting, F.text, ~F.text.startswith("/"))
    router.message.register(text_only, waiting, ~F.text, ~F.caption.startswith("!"))
    router.callback_query.register(on_session_button, SessionCb.filter())
    router.callback_query.register(on_attendance, SessionAnswerCb.filter())
    router.callback_query.register(on_decision_button, ResultCb.filter())
    return router
