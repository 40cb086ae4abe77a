"""The investor's dialogue (/invest, the menu's button): each answer checked, kept in the FSM
data, then the next step; the summary with Edit buttons; registration with its number.

What the steps are lives in bot/domain/invest_form.py. Dialogue data holds the answers plus
`history` (steps visited, for Back), `editing` (a step opened from the summary) and
`consent_at` (when the investor agreed, ISO).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove

from bot.domain import invest, invest_form
from bot.domain.users import ensure_user
from bot.i18n import I18n, Translator
from bot.keyboards.callbacks import InvestCb
from bot.keyboards.common import main_menu
from bot.keyboards.form import phone_keyboard
from bot.keyboards.invest import FORM, nav_keyboard, step_keyboard, summary_keyboard
from bot.services import Services
from bot.views.projects import summary_text
from states import NewProject

if TYPE_CHECKING:
    from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup
    from sqlalchemy.ext.asyncio import AsyncSession

PREFIX = f"{NewProject.__full_group_name__}:"


def step_of(state_name: str | None) -> str | None:
    if not state_name or not state_name.startswith(PREFIX):
        return None
    return state_name.removeprefix(PREFIX)


def _question(
    t: Translator, name: str, data: dict[str, Any]
) -> tuple[str, InlineKeyboardMarkup | ReplyKeyboardMarkup]:
    step = invest_form.step(name)
    if step.kind == "summary":
        return summary_text(t, data), summary_keyboard(t, data)
    text = t(step.question)
    number = invest_form.number_of(name)
    if number is not None:
        text = f"<i>{t('form.step', number=number, total=invest_form.TOTAL)}</i>\n{text}"
    if step.kind == "contact":
        return text, phone_keyboard(t)
    if step.options:
        return text, step_keyboard(t, step)
    return text, nav_keyboard(t, name)


async def ask(message: Message, state: FSMContext, t: Translator) -> None:
    name = step_of(await state.get_state())
    if name is None:
        return
    text, markup = _question(t, name, await state.get_data())
    await message.answer(text, reply_markup=markup)


async def go(
    message: Message, state: FSMContext, t: Translator, *, step: str, remember: str | None = None
) -> None:
    if remember is not None:
        data = await state.get_data()
        await state.update_data(history=[*data.get("history", []), remember])
    if step == "summary":
        await state.update_data(editing=False)
    await state.set_state(getattr(NewProject, step))
    await ask(message, state, t)


async def proceed(message: Message, state: FSMContext, t: Translator, *, step: str) -> None:
    data = await state.get_data()
    editing = bool(data.get("editing"))
    target = invest_form.next_step(step, data, editing=editing)
    await go(message, state, t, step=target, remember=None if editing else step)


async def back(message: Message, state: FSMContext, t: Translator) -> None:
    data = await state.get_data()
    if data.get("editing"):
        await state.update_data(**(data.get("before_edit") or {}))
        await go(message, state, t, step="summary")
        return
    history: list[str] = list(data.get("history", []))
    if not history:
        await cancel(message, state, t)
        return
    previous = history.pop()
    await state.update_data(history=history)
    await go(message, state, t, step=previous)


async def cancel(message: Message, state: FSMContext, t: Translator) -> None:
    await state.clear()
    await message.answer(t("invest.cancelled"), reply_markup=main_menu(t))


async def start(message: Message, session: AsyncSession, state: FSMContext, t: Translator) -> None:
    assert message.from_user is not None
    await ensure_user(session, message.from_user.id)
    await state.clear()
    await state.update_data(history=[])
    await message.answer(t("invest.intro"), reply_markup=ReplyKeyboardRemove())
    await go(message, state, t, step=invest_form.STEPS[0].name)


# --- buttons --------------------------------------------------------------------------------


async def on_button(
    query: CallbackQuery,
    callback_data: InvestCb,
    state: FSMContext,
    session: AsyncSession,
    t: Translator,
    services: Services,
) -> None:
    message = query.message
    current = step_of(await state.get_state())
    if not isinstance(message, Message) or current is None or current != callback_data.step:
        # From an old message, or forged: nothing changes; the current question again.
        await query.answer(t("hint.stale"))
        if isinstance(message, Message) and current is not None:
            await ask(message, state, t)
        return
    value = callback_data.value
    if value in ("back", "cancel"):
        await query.answer()
        await (back(message, state, t) if value == "back" else cancel(message, state, t))
        return
    step = invest_form.step(current)
    if step.kind == "summary":
        await on_summary(query, message, value, state, session, t, services)
        return
    if value not in step.options:
        await query.answer(t("hint.stale"))
        await ask(message, state, t)
        return
    await query.answer()
    await message.edit_reply_markup(reply_markup=None)
    chosen = t(step.label_key(value))
    await message.answer(chosen if chosen.startswith("✅") else f"✅ {chosen}")
    if step.kind == "consent":
        if value == "refuse":
            await state.clear()
            await message.answer(t("invest.consent.refused"), reply_markup=main_menu(t))
            return
        await state.update_data(consent_at=services.clock().isoformat())
    else:
        assert step.field is not None
        await state.update_data({step.field: value})
    await proceed(message, state, t, step=current)


async def on_summary(
    query: CallbackQuery,
    message: Message,
    value: str,
    state: FSMContext,
    session: AsyncSession,
    t: Translator,
    services: Services,
) -> None:
    data = await state.get_data()
    visible = {s.name for s in invest_form.summary_steps(data)}
    if value.startswith("edit-") and value[5:] in visible:
        await query.answer()
        await message.edit_reply_markup(reply_markup=None)
        before = {name: data.get(name) for name in invest_form.FIELDS}
        await state.update_data(editing=True, before_edit=before)
        await go(message, state, t, step=value[5:])
        return
    if value != "submit":
        await query.answer(t("hint.stale"))
        await ask(message, state, t)
        return
    await query.answer()
    missing = invest_form.missing(data)
    if missing is not None or not data.get("consent_at"):
        # Only a damaged dialogue record: ask what is missing.
        await state.update_data(editing=True)
        await go(message, state, t, step=missing.name if missing else "consent")
        return
    await message.edit_reply_markup(reply_markup=None)
    now = services.clock()
    local = services.calendar.local(now)
    project = await invest.register_project(
        session,
        query.from_user.id,
        data,
        now=now,
        local_year=local.year,
        consent_at=datetime.fromisoformat(str(data["consent_at"])),
    )
    await state.clear()
    receipt = t("invest.receipt", number=project.number, date=local.strftime("%d.%m.%Y"))
    await message.answer(receipt, reply_markup=main_menu(t))
    await services.projects.publish(session, project)


# --- typed answers --------------------------------------------------------------------------


async def on_answer(message: Message, state: FSMContext, t: Translator, services: Services) -> None:
    name = step_of(await state.get_state())
    assert name is not None
    step = invest_form.step(name)
    contact = message.contact
    if contact is not None and contact.user_id != (message.from_user and message.from_user.id):
        await message.answer(t("form.phone.not_own"))
        await ask(message, state, t)
        return
    raw = contact.phone_number if contact is not None else (message.text or "")
    assert step.check is not None and step.field is not None
    today = services.calendar.local(services.clock()).date()
    result = step.check(raw, today)
    if isinstance(result, invest_form.Refusal):
        await message.answer(t(result.key, **result.values))
        await ask(message, state, t)
        return
    await state.update_data({step.field: result})
    if step.kind == "contact":
        await message.answer(
            t("form.phone.saved", phone=result), reply_markup=ReplyKeyboardRemove()
        )
    await proceed(message, state, t, step=name)


async def on_reply_nav(
    message: Message, state: FSMContext, t: Translator, services: Services
) -> None:
    if message.text in services.i18n.all_variants("nav.cancel"):
        await cancel(message, state, t)
        return
    await message.answer("◀️", reply_markup=ReplyKeyboardRemove())
    await back(message, state, t)


async def on_command_inside(message: Message, state: FSMContext, t: Translator) -> None:
    if (message.text or "").split("@")[0].strip() == "/cancel":
        await cancel(message, state, t)
        return
    await message.answer(t("invest.hint.command"))
    await ask(message, state, t)


async def on_anything_else(message: Message, state: FSMContext, t: Translator) -> None:
    """A sticker, a photo, a voice message where a typed answer or a button is wanted: the
    step's hint, the same question again, nothing lost."""
    name = step_of(await state.get_state())
    expects = invest_form.step(name).expects if name in invest_form.BY_NAME else "buttons"
    await message.answer(t(f"hint.{expects}"))
    await ask(message, state, t)


def _states(*kinds: str) -> StateFilter:
    return StateFilter(*(getattr(NewProject, s.name) for s in invest_form.STEPS if s.kind in kinds))


def make_router(i18n: I18n) -> Router:
    router = Router(name="invest_dialogue")
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)
    inside = StateFilter(NewProject)
    menu = set().union(
        *(i18n.all_variants(f"menu.{key}") for key in ("new", "my", "help", "language", "invest"))
    )
    router.message.register(on_command_inside, inside, F.text.startswith("/") | F.text.in_(menu))
    router.message.register(start, Command("invest"))
    router.message.register(start, F.text.in_(i18n.all_variants("menu.invest")))
    router.callback_query.register(on_button, InvestCb.filter(F.action == FORM))
    nav = i18n.all_variants("nav.back") | i18n.all_variants("nav.cancel")
    router.message.register(on_reply_nav, _states("contact"), F.text.in_(nav))
    router.message.register(on_answer, _states("text"), F.text)
    router.message.register(on_answer, _states("contact"), F.contact | F.text)
    router.message.register(on_anything_else, inside)
    return router
