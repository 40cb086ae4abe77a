"""Keyboards of the appeal dialogue."""

from __future__ import annotations

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import Translator
from bot.keyboards.callbacks import FormCb


def choices(
    t: Translator, step: str, options: list[tuple[str, str]], *, columns: int = 1
) -> InlineKeyboardMarkup:
    """Options as (value, label) plus the Back / Cancel row every step has."""
    builder = InlineKeyboardBuilder()
    for value, label in options:
        builder.button(text=label, callback_data=FormCb(step=step, value=value))
    builder.adjust(columns)
    builder.row(*nav_buttons(t, step))
    return builder.as_markup()


def nav_only(t: Translator, step: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.row(*nav_buttons(t, step))
    return builder.as_markup()


def nav_buttons(t: Translator, step: str) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(
            text=t("nav.back"), callback_data=FormCb(step=step, value="back").pack()
        ),
        InlineKeyboardButton(
            text=t("nav.cancel"), callback_data=FormCb(step=step, value="cancel").pack()
        ),
    ]


def phone_keyboard(t: Translator) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=t("form.phone.share"), request_contact=True)],
            [KeyboardButton(text=t("nav.back")), KeyboardButton(text=t("nav.cancel"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
