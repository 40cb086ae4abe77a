"""The buttons under /stats: the same figures for this month, quarter or year."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import Translator
from bot.keyboards.callbacks import StatsCb

PERIODS = ("month", "quarter", "year")


def stats_keyboard(t: Translator) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for period in PERIODS:
        builder.button(text=t(f"figures.button.{period}"), callback_data=StatsCb(period=period))
    builder.adjust(3)
    return builder.as_markup()
