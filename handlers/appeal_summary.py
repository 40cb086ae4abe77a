"""The summary before submission: every field with its Edit button, then Submit."""

from __future__ import annotations

import logging
from datetime import datetime
from html import escape
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import Translator
from bot.keyboards.callbacks import FormCb
from bot.keyboards.common import main_menu
from bot.keyboards.form import nav_buttons
from bot.services.calendar import WorkCalendar
from bot.services.intake import submit_appeal
from bot.services.topics import TopicService
from bot.services.validation import Invalid, check_iin_bin
from handlers import appeal_flow as flow
from models import User

log = logging.getLogger(__name__)
SUMMARY_DESCRIPTION_CHARS = 1500
# (catalog key of the field, step that edits it)
FIELDS = [
    ("name", "full_name"),
    ("kind", "applicant_kind"),
    ("iin_bin", "iin_bin"),
    ("company", "company"),
    ("phone", "phone"),
    ("appeal_type", "appeal_type"),
    ("category", "category"),
    ("locality", "locality"),
    ("body", "body"),
    ("description", "description"),
    ("files", "attachments"),
    ("confidentiality", "confidentiality"),
]
REQUIRED = (
    "full_name",
    "applicant_kind",
    "iin_bin",
    "phone",
    "appeal_type",
    "category",
    "locality",
    "body",
    "description",
)


def _visible_fields(data: dict[str, Any]) -> list[tuple[str, str]]:
    return [(key, step) for key, step in FIELDS if key != "company" or flow.is_legal_entity(data)]


def _value(t: Translator, key: str, data: dict[str, Any]) -> str:
    if key == "kind":
        return t(f"form.applicant_kind.{data.get('applicant_kind')}")
    if key in ("appeal_type", "category", "locality"):
        return flow.label(t, key, data.get(key))
    if key == "files":
        count = len(data.get("files", []))
        return t("form.summary.files_count", count=count) if count else t("form.summary.files_none")
    if key == "confidentiality":
        return t("confidential.yes") if data.get("confidential") else t("confidential.no")
    field = {"name": "full_name"}.get(key, key)
    text = str(data.get(field) or "—")
    if key == "description" and len(text) > SUMMARY_DESCRIPTION_CHARS:
        return escape(text[:SUMMARY_DESCRIPTION_CHARS]) + t("form.summary.truncated")
    return escape(text)


def summary_view(t: Translator, data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    lines = [t("form.summary.title"), ""]
    for key, _ in _visible_fields(data):
        lines.append(f"<b>{t(f'form.summary.{key}')}:</b> {_value(t, key, data)}")
    lines += ["", t("form.summary.edit_prompt")]
    builder = InlineKeyboardBuilder()
    for key, step in _visible_fields(data):
        builder.button(
            text=t("form.summary.edit", field=t(f"form.summary.{key}")),
            callback_data=FormCb(step="summary", value=f"edit-{step}"),
        )
    builder.adjust(2)
    builder.button(
        text=t("form.summary.submit"), callback_data=FormCb(step="summary", value="submit")
    )
    builder.adjust(2)
    markup = builder.as_markup()
    markup.inline_keyboard.append(nav_buttons(t, "summary"))
    return "\n".join(lines), markup


async def on_summary_button(
    query: CallbackQuery,
    message: Message,
    value: str,
    state: FSMContext,
    session: AsyncSession,
    t: Translator,
    user: User | None,
    now: datetime,
    settings: Settings,
    calendar: WorkCalendar,
    bot: Bot,
    topics: TopicService,
) -> None:
    data = await state.get_data()
    visible = {step for _, step in _visible_fields(data)}
    if value.startswith("edit-") and value[5:] in visible:
        await query.answer()
        await message.edit_reply_markup(reply_markup=None)
        before = {field: data.get(field) for field in flow.ANSWER_FIELDS}
        await state.update_data(editing=True, before_edit=before)
        await flow.go(message, state, t, user, value[5:])
        return
    if value != "submit":
        await query.answer(t("hint.stale"))
        await flow.ask(message, state, t, user)
        return
    missing = [field for field in REQUIRED if not data.get(field)]
    number = check_iin_bin(str(data.get("iin_bin") or ""), legal_entity=flow.is_legal_entity(data))
    if isinstance(number, Invalid):
        missing.insert(0, "iin_bin")
    if missing or (flow.is_legal_entity(data) and not data.get("company")):
        # Only reachable with a damaged dialogue record: ask the first missing field again.
        await query.answer()
        await state.update_data(editing=True)
        await flow.go(message, state, t, user, missing[0] if missing else "company")
        return
    await query.answer()
    await message.edit_reply_markup(reply_markup=None)
    appeal = await submit_appeal(
        session,
        calendar,
        query.from_user.id,
        data,
        now=now,
        term_days=settings.APPEAL_TERM_DAYS,
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
    try:
        await topics.publish(bot, session, appeal)
    except TelegramAPIError as error:
        # The owner has the receipt; the card is posted later (start-up sweep or next message).
        log.warning("card of %s not posted: %s", appeal.number, error)
