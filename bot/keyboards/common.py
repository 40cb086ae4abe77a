from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder, ReplyKeyboardBuilder

from bot.i18n import Translator
from bot.keyboards.callbacks import LanguageCb


def language_keyboard(t: Translator) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=t("language.kk_button"), callback_data=LanguageCb(code="kk"))
    builder.button(text=t("language.ru_button"), callback_data=LanguageCb(code="ru"))
    return builder.as_markup()


def main_menu(t: Translator) -> ReplyKeyboardMarkup:
    builder = ReplyKeyboardBuilder()
    builder.button(text=t("menu.new"))
    builder.button(text=t("menu.my"))
    builder.button(text=t("menu.invest"))
    builder.button(text=t("menu.help"))
    builder.button(text=t("menu.language"))
    # Two rows: a third would take a phone's chat below 60 % of the screen.
    builder.adjust(2, 3)
    return builder.as_markup(resize_keyboard=True, is_persistent=True)
