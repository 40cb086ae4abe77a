"""Keyboards of investment projects: the investor's dialogue and projects, the staff card."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain import invest, invest_form
from bot.i18n import Translator
from bot.keyboards.callbacks import InvestCb, ProjectStaffCb
from models import InvestmentProject, ProjectStatus

FORM = "f"


def _form(step: str, value: str) -> str:
    return InvestCb(action=FORM, step=step, value=value).pack()


def nav_row(t: Translator, step: str) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(text=t("nav.back"), callback_data=_form(step, "back")),
        InlineKeyboardButton(text=t("nav.cancel"), callback_data=_form(step, "cancel")),
    ]


def nav_keyboard(t: Translator, step: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[nav_row(t, step)])


def step_keyboard(t: Translator, step: invest_form.Step) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for value in step.options:
        builder.button(text=t(step.label_key(value)), callback_data=_form(step.name, value))
    builder.adjust(step.columns)
    builder.row(*nav_row(t, step.name))
    return builder.as_markup()


def summary_keyboard(t: Translator, answers: Mapping[str, Any]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for step in invest_form.summary_steps(answers):
        text = t("invest.summary.edit", field=t(step.label))
        builder.button(text=text, callback_data=_form("summary", f"edit-{step.name}"))
    builder.adjust(2)
    builder.row(
        InlineKeyboardButton(
            text=t("invest.summary.submit"), callback_data=_form("summary", "submit")
        )
    )
    builder.row(*nav_row(t, "summary"))
    return builder.as_markup()


# The buttons a card shows for each status the project may move to.
STAFF_BUTTONS = (
    ProjectStatus.UNDER_REVIEW,
    ProjectStatus.AGREEMENT_SIGNED,
    ProjectStatus.DECLINED,
)


def staff_keyboard(t: Translator, project: InvestmentProject) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for target in STAFF_BUTTONS:
        if invest.allowed(project.status, target):
            builder.button(
                text=t(f"invest.button.{target.value}"),
                callback_data=ProjectStaffCb(action=target.value, project_id=project.id),
            )
    builder.adjust(1)
    return builder.as_markup()


def list_keyboard(projects: Sequence[InvestmentProject]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for project in projects:
        builder.button(
            text=project.number, callback_data=InvestCb(action="open", project_id=project.id)
        )
    builder.adjust(1)
    return builder.as_markup()


def investor_keyboard(t: Translator, project: InvestmentProject) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=t("invest.my.write"), callback_data=InvestCb(action="write", project_id=project.id)
    )
    if not invest.is_final(project) or project.status == ProjectStatus.AGREEMENT_SIGNED:
        builder.button(
            text=t("invest.my.obstacle"),
            callback_data=InvestCb(action="obstacle", project_id=project.id),
        )
    builder.adjust(1)
    return builder.as_markup()


def write_keyboard(t: Translator, project_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=t("nav.cancel"), callback_data=InvestCb(action="stop", project_id=project_id)
    )
    return builder.as_markup()
