"""Buttons of /privacy: the copy of one's data and the withdrawal of consent."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import Translator


class PrivacyCb(CallbackData, prefix="pv"):
    # download | withdraw | confirm (no open appeals) | all (with the open appeals) |
    # keep (the open appeals are finished) | cancel
    action: str


def overview_keyboard(t: Translator, *, can_withdraw: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=t("privacy.button_download"), callback_data=PrivacyCb(action="download"))
    if can_withdraw:
        builder.button(
            text=t("privacy.button_withdraw"), callback_data=PrivacyCb(action="withdraw")
        )
    builder.adjust(1)
    return builder.as_markup()


def withdraw_keyboard(t: Translator, *, open_appeals: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if open_appeals:
        builder.button(
            text=t("privacy.withdraw.with_appeals"), callback_data=PrivacyCb(action="all")
        )
        builder.button(
            text=t("privacy.withdraw.keep_appeals"), callback_data=PrivacyCb(action="keep")
        )
    else:
        builder.button(
            text=t("privacy.withdraw.confirm"), callback_data=PrivacyCb(action="confirm")
        )
    builder.button(text=t("privacy.withdraw.cancel"), callback_data=PrivacyCb(action="cancel"))
    builder.adjust(1)
    return builder.as_markup()
