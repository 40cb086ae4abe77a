"""The appeal dialogue's steps: each answer is checked, stored in the FSM data, then next."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import I18n, Translator
from bot.keyboards.callbacks import FormCb
from bot.keyboards.common import main_menu
from bot.services import catalog
from bot.services.calendar import WorkCalendar
from bot.services.intake import has_current_consent, profile_answers, record_consent
from bot.services.topics import TopicService
from bot.services.users import ensure_user
from bot.services.validation import (
    Invalid,
    check_full_name,
    check_iin_bin,
    clean_text,
    normalise_phone,
)
from handlers import appeal_flow as flow
from handlers.appeal_files import on_file, on_files_button
from handlers.appeal_summary import on_summary_button
from models import ApplicantKind, User
from states import NewAppeal


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
    if not has_current_consent(user):
        first = "consent"
    else:
        first = "profile" if flow.has_profile(user) else "full_name"
    await flow.go(message, state, t, user, first)


# --- buttons -------------------------------------------------------------------------------


async def on_button(
    query: CallbackQuery,
    callback_data: FormCb,
    state: FSMContext,
    session: AsyncSession,
    t: Translator,
    user: User | None,
    clock: Callable[[], datetime],
    settings: Settings,
    calendar: WorkCalendar,
    bot: Bot,
    topics: TopicService,
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
    if current == "summary":
        await on_summary_button(
            query,
            message,
            value,
            state,
            session,
            t,
            user,
            clock(),
            settings,
            calendar,
            bot,
            topics,
        )
        return
    if current == "attachments":
        await on_files_button(query, message, value, state, t, user)
        return
    chosen = await _choose(current, value, state, session, t, user, clock)
    if chosen is None:
        await query.answer(t("hint.stale"))
        await flow.ask(message, state, t, user)
        return
    await query.answer()
    await message.edit_reply_markup(reply_markup=None)
    await message.answer(f"✅ {chosen}")
    if current == "consent" and value == "refuse":
        await state.clear()
        await message.answer(t("form.consent.refused"), reply_markup=main_menu(t))
        return
    if current == "profile" and value == "reuse":
        assert user is not None
        await state.update_data(**profile_answers(user))
        await flow.go(message, state, t, user, "appeal_type", remember="profile")
        return
    await flow.proceed(message, state, t, user, current)


async def _choose(
    step: str,
    value: str,
    state: FSMContext,
    session: AsyncSession,
    t: Translator,
    user: User | None,
    clock: Callable[[], datetime],
) -> str | None:
    """Store a button choice; return its label, or None if the value is not offered here."""
    if step == "consent" and value in ("agree", "refuse"):
        if value == "agree" and user is not None:
            await record_consent(session, user.id, clock())
        return t(f"form.consent.{value}")
    if step == "profile" and value in ("reuse", "anew"):
        if value == "reuse" and not flow.has_profile(user):
            return None
        return t(f"form.profile.{value}")
    if step == "applicant_kind" and value in {kind.value for kind in ApplicantKind}:
        update: dict[str, Any] = {"applicant_kind": value}
        if value != ApplicantKind.LEGAL_ENTITY.value:
            update["company"] = None
        await state.update_data(**update)
        return t(f"form.applicant_kind.{value}")
    fields = {
        "appeal_type": ("appeal_type", catalog.APPEAL_TYPES),
        "category": ("category", catalog.CATEGORIES),
        "locality": ("locality", [*catalog.LOCALITIES, catalog.OTHER_LOCALITY]),
    }
    if step in fields and value in fields[step][1]:
        await state.update_data({fields[step][0]: value})
        return t(f"{step}.{value}")
    if step == "confidentiality" and value in ("disclose", "keep"):
        await state.update_data(confidential=value == "keep")
        return t(f"form.confidentiality.{value}")
    return None


# --- typed answers -------------------------------------------------------------------------


async def _reject(
    message: Message, state: FSMContext, t: Translator, user: User | None, text: str
) -> None:
    await message.answer(text)
    await flow.ask(message, state, t, user)


async def on_full_name(
    message: Message, state: FSMContext, t: Translator, user: User | None
) -> None:
    result = check_full_name(message.text or "")
    if isinstance(result, Invalid):
        await _reject(message, state, t, user, t(f"form.full_name.invalid_{result.reason}"))
        return
    await state.update_data(full_name=result)
    await flow.proceed(message, state, t, user, "full_name")


async def on_iin_bin(message: Message, state: FSMContext, t: Translator, user: User | None) -> None:
    data = await state.get_data()
    result = check_iin_bin(message.text or "", legal_entity=flow.is_legal_entity(data))
    if isinstance(result, Invalid):
        await _reject(message, state, t, user, t(f"form.iin_bin.invalid_{result.reason}"))
        return
    await state.update_data(iin_bin=result)
    await flow.proceed(message, state, t, user, "iin_bin")


def _bounded_text(message: Message, low: int, high: int) -> str | None:
    text = clean_text(message.text or "")
    return text if low <= len(text) <= high else None


async def on_company(message: Message, state: FSMContext, t: Translator, user: User | None) -> None:
    company = _bounded_text(message, 2, 300)
    if company is None:
        await _reject(message, state, t, user, t("form.company.invalid"))
        return
    await state.update_data(company=company)
    await flow.proceed(message, state, t, user, "company")


async def on_phone(message: Message, state: FSMContext, t: Translator, user: User | None) -> None:
    contact = message.contact
    sender = message.from_user.id if message.from_user else None
    # The "share contact" button sends the sender's own card; any other card is someone else.
    if contact is not None and contact.user_id != sender:
        await _reject(message, state, t, user, t("form.phone.not_own"))
        return
    raw = contact.phone_number if contact else (message.text or "")
    phone = normalise_phone(raw)
    if phone is None:
        await _reject(message, state, t, user, t("form.phone.invalid"))
        return
    await state.update_data(phone=phone)
    # The confirmation closes the reply keyboard the phone step opened.
    await message.answer(t("form.phone.saved", phone=phone), reply_markup=ReplyKeyboardRemove())
    await flow.proceed(message, state, t, user, "phone")


async def on_locality_other(
    message: Message, state: FSMContext, t: Translator, user: User | None
) -> None:
    place = _bounded_text(message, 2, 200)
    if place is None or catalog.is_known_locality(place):
        await _reject(message, state, t, user, t("form.locality.invalid"))
        return
    await state.update_data(locality=place)
    await flow.proceed(message, state, t, user, "locality_other")


async def on_body(message: Message, state: FSMContext, t: Translator, user: User | None) -> None:
    body = _bounded_text(message, 3, 500)
    if body is None:
        await _reject(message, state, t, user, t("form.body.invalid"))
        return
    await state.update_data(body=body)
    await flow.proceed(message, state, t, user, "body")


async def on_description(
    message: Message, state: FSMContext, t: Translator, user: User | None
) -> None:
    text = clean_text(message.text or "")
    low, high = catalog.DESCRIPTION_MIN, catalog.DESCRIPTION_MAX
    if len(text) < low:
        await _reject(
            message, state, t, user, t("form.description.too_short", length=len(text), min=low)
        )
        return
    if len(text) > high:
        await _reject(
            message,
            state,
            t,
            user,
            t("form.description.too_long", length=len(text), max=high, excess=len(text) - high),
        )
        return
    await state.update_data(description=text)
    await flow.proceed(message, state, t, user, "description")


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
    message: Message, state: FSMContext, t: Translator, user: User | None, i18n: I18n
) -> None:
    if message.text in i18n.all_variants("nav.cancel"):
        await flow.cancel(message, state, t)
        return
    await message.answer("◀️", reply_markup=ReplyKeyboardRemove())
    await flow.back(message, state, t, user)


async def on_anything_else(
    message: Message, state: FSMContext, t: Translator, user: User | None
) -> None:
    step = flow.step_of(await state.get_state()) or ""
    await message.answer(t(f"hint.{flow.EXPECTS.get(step, 'buttons')}"))
    await flow.ask(message, state, t, user)


async def cancel_outside(message: Message, state: FSMContext, t: Translator) -> None:
    """/cancel outside the appeal form: ends whatever else was going on (e.g. adding info)."""
    key = "nav.stopped" if await state.get_state() is not None else "nav.nothing_to_cancel"
    await state.clear()
    await message.answer(t(key), reply_markup=main_menu(t))


def make_router(i18n: I18n) -> Router:
    router = Router(name="appeal_form")
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    in_form = StateFilter(NewAppeal)
    menu_labels = set().union(
        *(i18n.all_variants(f"menu.{key}") for key in ("new", "my", "help", "language"))
    )
    router.message.register(
        on_command_inside, in_form, F.text.startswith("/") | F.text.in_(menu_labels)
    )
    router.message.register(start_dialogue, Command("new"))
    router.message.register(start_dialogue, F.text.in_(i18n.all_variants("menu.new")))
    router.message.register(cancel_outside, Command("cancel"))
    router.callback_query.register(on_button, FormCb.filter())

    nav_labels = i18n.all_variants("nav.back") | i18n.all_variants("nav.cancel")
    router.message.register(on_reply_nav, StateFilter(NewAppeal.phone), F.text.in_(nav_labels))
    text_steps = {
        NewAppeal.full_name: on_full_name,
        NewAppeal.iin_bin: on_iin_bin,
        NewAppeal.company: on_company,
        NewAppeal.locality_other: on_locality_other,
        NewAppeal.body: on_body,
        NewAppeal.description: on_description,
    }
    for step_state, handler in text_steps.items():
        router.message.register(handler, StateFilter(step_state), F.text)
    router.message.register(on_phone, StateFilter(NewAppeal.phone), F.contact | F.text)
    router.message.register(on_file, StateFilter(NewAppeal.attachments), F.photo | F.document)
    router.message.register(on_anything_else, in_form)
    return router
