"""The appeal dialogue's engine: which step comes next, how each step asks, Back and Cancel.

Dialogue data (FSM data, stored in the database) holds the answers plus:
  history  steps visited, for Back;
  editing  True when a step was opened from the summary's Edit button.
"""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardMarkup, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove

from bot.i18n import Translator
from bot.keyboards.common import main_menu
from bot.keyboards.form import choices, nav_only, phone_keyboard
from bot.services import catalog
from models import ApplicantKind, User
from states import NewAppeal

STEPS = [
    "consent",
    "profile",
    "full_name",
    "applicant_kind",
    "iin_bin",
    "company",
    "phone",
    "appeal_type",
    "category",
    "locality",
    "locality_other",
    "body",
    "description",
    "attachments",
    "confidentiality",
    "summary",
]
# What a step waits for; decides the hint given for anything else.
EXPECTS = {
    "full_name": "text",
    "iin_bin": "text",
    "company": "text",
    "phone": "contact",
    "locality_other": "text",
    "body": "text",
    "description": "text",
    "attachments": "files",
}
PROFILE_FIELDS = ("full_name", "applicant_kind", "iin_bin", "company", "phone")
ANSWER_FIELDS = (
    *PROFILE_FIELDS,
    "appeal_type",
    "category",
    "locality",
    "body",
    "description",
    "files",
    "confidential",
)
# Main numbered steps shown to the owner as "step N of 11" (optional ones share a number).
NUMBERED = {
    "full_name": 1,
    "applicant_kind": 2,
    "iin_bin": 3,
    "company": 3,
    "phone": 4,
    "appeal_type": 5,
    "category": 6,
    "locality": 7,
    "locality_other": 7,
    "body": 8,
    "description": 9,
    "attachments": 10,
    "confidentiality": 11,
}


def step_of(state_name: str | None) -> str | None:
    if not state_name or not state_name.startswith("NewAppeal:"):
        return None
    return state_name.split(":", 1)[1]


def has_profile(user: User | None) -> bool:
    return bool(user and user.full_name and user.iin_bin and user.phone and user.applicant_kind)


def is_legal_entity(data: dict[str, Any]) -> bool:
    return data.get("applicant_kind") == ApplicantKind.LEGAL_ENTITY.value


def next_step(step: str, data: dict[str, Any], user: User | None) -> str:
    """The step after `step`, given the answers so far."""
    if data.get("editing"):
        if step == "applicant_kind":
            return "iin_bin"
        if step == "iin_bin" and is_legal_entity(data) and not data.get("company"):
            return "company"
        if step == "locality" and data.get("locality") == catalog.OTHER_LOCALITY:
            return "locality_other"
        return "summary"
    follow = {
        "consent": "profile" if has_profile(user) else "full_name",
        "iin_bin": "company" if is_legal_entity(data) else "phone",
        "locality": "locality_other" if data.get("locality") == catalog.OTHER_LOCALITY else "body",
    }
    if step in follow:
        return follow[step]
    if step == "company":
        return "phone"
    if step == "locality_other":
        return "body"
    return STEPS[STEPS.index(step) + 1]


def label(t: Translator, group: str, value: str | None) -> str:
    if not value:
        return "—"
    if group == "locality" and not catalog.is_known_locality(value):
        return escape(value)
    return t(f"{group}.{value}")


def _question(
    t: Translator, step: str, data: dict[str, Any], user: User | None
) -> tuple[str, InlineKeyboardMarkup | ReplyKeyboardMarkup]:
    if step == "consent":
        text = t("form.consent.question", version=catalog.CONSENT_VERSION)
        options = [("agree", t("form.consent.agree")), ("refuse", t("form.consent.refuse"))]
        return text, choices(t, step, options)
    if step == "profile":
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
        options = [("reuse", t("form.profile.reuse")), ("anew", t("form.profile.anew"))]
        return text, choices(t, step, options)
    if step == "applicant_kind":
        options = [(kind.value, t(f"form.applicant_kind.{kind.value}")) for kind in ApplicantKind]
        return t("form.applicant_kind.question"), choices(t, step, options)
    if step == "iin_bin":
        key = "question_le" if is_legal_entity(data) else "question_ie"
        return t(f"form.iin_bin.{key}"), nav_only(t, step)
    if step == "phone":
        return t("form.phone.question"), phone_keyboard(t)
    if step == "appeal_type":
        options = [(v, t(f"appeal_type.{v}")) for v in catalog.APPEAL_TYPES]
        return t("form.appeal_type.question"), choices(t, step, options)
    if step == "category":
        options = [(v, t(f"category.{v}")) for v in catalog.CATEGORIES]
        return t("form.category.question"), choices(t, step, options, columns=2)
    if step == "locality":
        values = [*catalog.LOCALITIES, catalog.OTHER_LOCALITY]
        options = [(v, t(f"locality.{v}")) for v in values]
        return t("form.locality.question"), choices(t, step, options, columns=2)
    if step == "locality_other":
        return t("form.locality.other_question"), nav_only(t, step)
    if step == "description":
        text = t(
            "form.description.question",
            min=catalog.DESCRIPTION_MIN,
            max=catalog.DESCRIPTION_MAX,
        )
        return text, nav_only(t, step)
    if step == "attachments":
        text = t("form.attachments.question", limit=catalog.MAX_FILES, size_mb=catalog.MAX_FILE_MB)
        options = [("done", t("form.attachments.done")), ("skip", t("form.attachments.skip"))]
        return text, choices(t, step, options, columns=2)
    if step == "confidentiality":
        options = [
            ("disclose", t("form.confidentiality.disclose")),
            ("keep", t("form.confidentiality.keep")),
        ]
        return t("form.confidentiality.question"), choices(t, step, options)
    if step == "summary":
        from handlers.appeal_summary import summary_view

        return summary_view(t, data)
    return t(f"form.{step}.question"), nav_only(t, step)


async def ask(message: Message, state: FSMContext, t: Translator, user: User | None) -> None:
    """(Re)send the question of the current step."""
    step = step_of(await state.get_state())
    if step is None:
        return
    data = await state.get_data()
    text, markup = _question(t, step, data, user)
    if step in NUMBERED:
        text = f"<i>{t('form.step', number=NUMBERED[step], total=11)}</i>\n{text}"
    await message.answer(text, reply_markup=markup)


async def go(
    message: Message,
    state: FSMContext,
    t: Translator,
    user: User | None,
    step: str,
    *,
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
    message: Message, state: FSMContext, t: Translator, user: User | None, step: str
) -> None:
    """The current step is answered: go on to the next one."""
    data = await state.get_data()
    target = next_step(step, data, user)
    await go(message, state, t, user, target, remember=None if data.get("editing") else step)


async def back(message: Message, state: FSMContext, t: Translator, user: User | None) -> None:
    data = await state.get_data()
    if data.get("editing"):
        # Leaving an edit half-done (say, a new applicant kind without its number) restores the
        # answers as they were, so the summary never shows a mix that was not checked.
        await state.update_data(**(data.get("before_edit") or {}))
        await go(message, state, t, user, "summary")
        return
    history: list[str] = list(data.get("history", []))
    if not history:
        await cancel(message, state, t)
        return
    previous = history.pop()
    await state.update_data(history=history)
    await go(message, state, t, user, previous)


async def cancel(message: Message, state: FSMContext, t: Translator) -> None:
    await state.clear()
    await message.answer(t("nav.cancelled"), reply_markup=main_menu(t))


async def close_reply_keyboard(message: Message, text: str) -> None:
    await message.answer(text, reply_markup=ReplyKeyboardRemove())
