"""The summary before submission: every answer with its Edit button, then Submit."""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain import form
from bot.i18n import Translator
from bot.keyboards.callbacks import FormCb
from bot.keyboards.form import nav_buttons
from bot.views.answers import shown

SUMMARY_DESCRIPTION_CHARS = 1500


def summary_view(t: Translator, data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    steps = form.summary_steps(form.Facts(answers=data))
    lines = [t("form.summary.title"), ""]
    truncated = t("form.summary.truncated")
    for step in steps:
        assert step.row is not None and step.field is not None
        value = shown(t, step, data.get(step.field), limit=SUMMARY_DESCRIPTION_CHARS, cut=truncated)
        lines.append(f"<b>{t(f'form.summary.{step.row.label}')}:</b> {value}")
    lines += ["", t("form.summary.edit_prompt")]
    builder = InlineKeyboardBuilder()
    for step in steps:
        assert step.row is not None
        builder.button(
            text=t("form.summary.edit", field=t(f"form.summary.{step.row.label}")),
            callback_data=FormCb(step="summary", value=f"edit-{step.name}"),
        )
    builder.adjust(2)
    builder.button(
        text=t("form.summary.submit"), callback_data=FormCb(step="summary", value="submit")
    )
    builder.adjust(2)
    markup = builder.as_markup()
    markup.inline_keyboard.append(nav_buttons(t, "summary"))
    return "\n".join(lines), markup
