"""The appeal dialogue's engine at the Telegram edge: ask a step, move on, Back and Cancel.

What the steps are, their order and conditions live in bot/domain/form.py; this module renders
a step's question and moves the FSM. Dialogue data (FSM data, stored in the database) holds the
answers plus:
  history  steps visited, for Back;
  editing  True when a step was opened from the summary's Edit button.
"""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardMarkup, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove

from bot.domain import form
from bot.domain.intake import has_current_consent
from bot.i18n import Translator
from bot.keyboards.common import main_menu
from bot.keyboards.form import choices, nav_only, phone_keyboard
from bot.views.summary import summary_view
from models import ApplicantKind, User
from states import NewAppeal

# Kept for the modules that read the answers of a dialogue (privacy: the draft).
ANSWER_FIELDS = form.ANSWER_FIELDS


def step_of(state_name: str | None) -> str | None:
    prefix = f"{NewAppeal.__full_group_name__}:"
    if not state_name or not state_name.startswith(prefix):
        return None
    return state_name.split(":", 1)[1]


def has_profile(user: User | None) -> bool:
    return bool(user and user.full_name and user.iin_bin and user.phone and user.applicant_kind)


def facts(data: dict[str, Any], user: User | None, *, today: date | None = None) -> form.Facts:
    return form.Facts(
        answers=data,
        consented=has_current_consent(user),
        has_profile=has_profile(user),
        today=today,
    )


def options(t: Translator, step: form.Step) -> list[tuple[str, str]]:
    return [(value, t(step.label_key(value))) for value in step.options]


def _profile_question(t: Translator, user: User | None) -> str:
    assert user is not None
    text = t(
        "form.profile.question",
        name=escape(user.full_name or ""),
        kind=t(f"form.applicant_kind.{user.applicant_kind}"),
        iin_bin=user.iin_bin,
        phone=user.phone,
    )
    if user.company and user.applicant_kind == ApplicantKind.LEGAL_ENTITY.value:
        text += "\n" + t("form.profile.company_line", company=escape(user.company))
    return text


def _question(
    t: Translator, name: str, data: dict[str, Any], user: User | None
) -> tuple[str, InlineKeyboardMarkup | ReplyKeyboardMarkup]:
    step = form.step(name)
    if step.kind == "summary":
        return summary_view(t, data)
    if step.kind == "profile":
        text = _profile_question(t, user)
    else:
        key, values = step.prompt(facts(data, user))
        text = t(key, **values)
    if step.kind == "contact":
        return text, phone_keyboard(t)
    if step.options:
        return text, choices(t, name, options(t, step), columns=step.columns)
    return text, nav_only(t, name)


async def ask(message: Message, state: FSMContext, t: Translator, user: User | None) -> None:
    """(Re)send the question of the current step."""
    step = step_of(await state.get_state())
    if step is None:
        return
    data = await state.get_data()
    text, markup = _question(t, step, data, user)
    if step in form.NUMBERS:
        number = t("form.step", number=form.NUMBERS[step], total=form.TOTAL)
        text = f"<i>{number}</i>\n{text}"
    await message.answer(text, reply_markup=markup)


async def go(
    message: Message,
    state: FSMContext,
    t: Translator,
    user: User | None,
    *,
    step: str,
    remember: str | None = None,
) -> None:
    """Move to `step`; `remember` is the step being left, for Back."""
    if remember is not None:
        data = await state.get_data()
        await state.update_data(history=[*data.get("history", []), remember])
    if step == "summary":
        await state.update_data(editing=False, before_edit=None)
    await state.set_state(getattr(NewAppeal, step))
    await ask(message, state, t, user)


async def proceed(
    message: Message,
    state: FSMContext,
    t: Translator,
    user: User | None,
    *,
    step: str,
    reused_profile: bool = False,
) -> None:
    """The current step is answered: go on to the next one."""
    data = await state.get_data()
    editing = bool(data.get("editing"))
    # An obstacle of an investment project starts with the investor's identity filled in.
    reused_profile = reused_profile or bool(data.get("prefilled"))
    target = form.next_step(step, facts(data, user), editing=editing, reused_profile=reused_profile)
    await go(message, state, t, user, step=target, remember=None if editing else step)


async def back(message: Message, state: FSMContext, t: Translator, user: User | None) -> None:
    data = await state.get_data()
    if data.get("editing"):
        # Leaving an edit half-done (say, a new applicant kind without its number) restores the
        # answers as they were, so the summary never shows a mix that was not checked.
        await state.update_data(**(data.get("before_edit") or {}))
        await go(message, state, t, user, step="summary")
        return
    history: list[str] = list(data.get("history", []))
    if not history:
        await cancel(message, state, t)
        return
    previous = history.pop()
    await state.update_data(history=history)
    await go(message, state, t, user, step=previous)


async def cancel(message: Message, state: FSMContext, t: Translator) -> None:
    await state.clear()
    await message.answer(t("nav.cancelled"), reply_markup=main_menu(t))


async def close_reply_keyboard(message: Message, text: str) -> None:
    await message.answer(text, reply_markup=ReplyKeyboardRemove())
