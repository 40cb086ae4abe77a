"""The appeal dialogue's steps: each answer is checked, stored in the FSM data, then next.

Handlers go by the kind of the current step (bot/domain/form.py): one for a typed answer,
one for a contact, one for a button, so a new step of a known kind needs no handler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove

from bot.domain import form
from bot.domain.intake import profile_answers, record_consent
from bot.domain.users import ensure_user
from bot.i18n import I18n, Translator
from bot.keyboards.callbacks import FormCb
from bot.keyboards.common import main_menu
from bot.services import Services
from handlers import appeal_flow as flow
from handlers.appeal_files import on_file, on_files_button
from handlers.appeal_summary import on_summary_button
from models import User
from states import NewAppeal

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


async def start_dialogue(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    t: Translator,
    user: User | None,
) -> None:
    assert message.from_user is not None
    user = user or await ensure_user(session, message.from_user.id)
    await state.clear()
    await state.update_data(history=[], files=[])
    await message.answer(t("form.intro"), reply_markup=ReplyKeyboardRemove())
    await flow.go(message, state, t, user, step=form.first_step(flow.facts({}, user)))


# --- buttons -------------------------------------------------------------------------------


async def on_button(
    query: CallbackQuery,
    callback_data: FormCb,
    state: FSMContext,
    session: AsyncSession,
    t: Translator,
    user: User | None,
    services: Services,
) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer(t("hint.stale"))
        return
    current = flow.step_of(await state.get_state())
    if current is None or current != callback_data.step:
        await query.answer(t("hint.stale"), show_alert=False)
        if current is not None:
            await flow.ask(message, state, t, user)
        return
    value = callback_data.value
    if value == "back":
        await query.answer()
        await flow.back(message, state, t, user)
        return
    if value == "cancel":
        await query.answer()
        await flow.cancel(message, state, t)
        return
    step = form.step(current)
    if step.kind == "summary":
        await on_summary_button(
            query,
            message=message,
            value=value,
            state=state,
            session=session,
            t=t,
            user=user,
            services=services,
        )
        return
    if step.kind == "files":
        await on_files_button(query, message=message, value=value, state=state, t=t, user=user)
        return
    if not _offered(step, value, user):
        await query.answer(t("hint.stale"))
        await flow.ask(message, state, t, user)
        return
    await query.answer()
    await message.edit_reply_markup(reply_markup=None)
    chosen = t(step.label_key(value))
    # The echo of the choice; a label that starts with the mark already is not marked twice.
    await message.answer(chosen if chosen.startswith("✅") else f"✅ {chosen}")
    if step.kind == "consent":
        if value == "refuse":
            await state.clear()
            await message.answer(t("form.consent.refused"), reply_markup=main_menu(t))
            return
        if user is not None:
            await record_consent(session, user.id, services.clock())
    reused = step.kind == "profile" and value == "reuse"
    if reused:
        assert user is not None
        await state.update_data(**profile_answers(user))
    else:
        await state.update_data(step.answers_for(value))
    await flow.proceed(message, state, t, user, step=current, reused_profile=reused)


def _offered(step: form.Step, value: str, user: User | None) -> bool:
    """Whether `value` is a button of `step` as it was shown (not forged, not stale)."""
    if value not in step.options:
        return False
    return not (step.kind == "profile" and value == "reuse" and not flow.has_profile(user))


# --- typed answers -------------------------------------------------------------------------


async def _accept(
    message: Message,
    state: FSMContext,
    t: Translator,
    user: User | None,
    *,
    step: form.Step,
    raw: str,
    services: Services,
) -> None:
    """Check a typed (or shared) answer of `step`: store it and go on, or refuse and ask again."""
    data = await state.get_data()
    today = services.calendar.local(services.clock()).date()
    assert step.check is not None and step.field is not None
    result = step.check(raw, flow.facts(data, user, today=today))
    if isinstance(result, form.Refusal):
        await message.answer(t(result.key, **result.values))
        await flow.ask(message, state, t, user)
        return
    await state.update_data({step.field: result})
    if step.confirm is not None:
        # The confirmation closes a reply keyboard the step opened (the phone's).
        reply = t(step.confirm, **{step.field: result})
        await message.answer(reply, reply_markup=ReplyKeyboardRemove())
    await flow.proceed(message, state, t, user, step=step.name)


async def on_text(
    message: Message, state: FSMContext, t: Translator, user: User | None, services: Services
) -> None:
    name = flow.step_of(await state.get_state())
    assert name is not None
    step = form.step(name)
    await _accept(message, state, t, user, step=step, raw=message.text or "", services=services)


async def on_contact(
    message: Message, state: FSMContext, t: Translator, user: User | None, services: Services
) -> None:
    name = flow.step_of(await state.get_state())
    assert name is not None
    contact = message.contact
    sender = message.from_user.id if message.from_user else None
    # The "share contact" button sends the sender's own card; any other card is someone else.
    if contact is not None and contact.user_id != sender:
        await message.answer(t("form.phone.not_own"))
        await flow.ask(message, state, t, user)
        return
    raw = contact.phone_number if contact else (message.text or "")
    step = form.step(name)
    await _accept(message, state, t, user, step=step, raw=raw, services=services)


# --- anything else -------------------------------------------------------------------------


async def on_command_inside(
    message: Message, state: FSMContext, t: Translator, user: User | None
) -> None:
    if (message.text or "").split("@")[0].strip() == "/cancel":
        await flow.cancel(message, state, t)
        return
    await message.answer(t("hint.command"))
    await flow.ask(message, state, t, user)


async def on_reply_nav(
    message: Message, state: FSMContext, t: Translator, user: User | None, services: Services
) -> None:
    if message.text in services.i18n.all_variants("nav.cancel"):
        await flow.cancel(message, state, t)
        return
    await message.answer("◀️", reply_markup=ReplyKeyboardRemove())
    await flow.back(message, state, t, user)


async def on_anything_else(
    message: Message, state: FSMContext, t: Translator, user: User | None
) -> None:
    name = flow.step_of(await state.get_state())
    expects = form.step(name).expects if name in form.BY_NAME else "buttons"
    await message.answer(t(f"hint.{expects}"))
    await flow.ask(message, state, t, user)


async def cancel_outside(message: Message, state: FSMContext, t: Translator) -> None:
    """/cancel outside the appeal form: ends whatever else was going on (e.g. adding info)."""
    key = "nav.stopped" if await state.get_state() is not None else "nav.nothing_to_cancel"
    await state.clear()
    await message.answer(t(key), reply_markup=main_menu(t))


def _states(kind: form.Kind) -> StateFilter:
    return StateFilter(*(getattr(NewAppeal, s.name) for s in form.STEPS if s.kind == kind))


def make_router(i18n: I18n) -> Router:
    router = Router(name="appeal_form")
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)
    in_form = StateFilter(NewAppeal)
    menu_labels = set().union(
        *(i18n.all_variants(f"menu.{key}") for key in ("new", "my", "help", "language", "invest"))
    )
    router.message.register(
        on_command_inside, in_form, F.text.startswith("/") | F.text.in_(menu_labels)
    )
    router.message.register(start_dialogue, Command("new"))
    router.message.register(start_dialogue, F.text.in_(i18n.all_variants("menu.new")))
    router.message.register(cancel_outside, Command("cancel"))
    router.callback_query.register(on_button, FormCb.filter())

    nav_labels = i18n.all_variants("nav.back") | i18n.all_variants("nav.cancel")
    # A contact step has a reply keyboard: its Back and Cancel come as text.
    router.message.register(on_reply_nav, _states("contact"), F.text.in_(nav_labels))
    router.message.register(on_text, _states("text"), F.text)
    router.message.register(on_contact, _states("contact"), F.contact | F.text)
    router.message.register(on_file, _states("files"), F.photo | F.document)
    router.message.register(on_anything_else, in_form)
    return router
