"""Buttons under an appeal's card in the operator group, and the owner's notice buttons."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain import lifecycle
from bot.domain.casework import OUTCOMES
from bot.domain.notify import hearing_answer_buttons, rating_buttons, reply_buttons
from bot.i18n import Translator
from bot.keyboards.callbacks import StaffCb, markup
from models import Appeal


def card_keyboard(t: Translator, appeal: Appeal) -> InlineKeyboardMarkup:
    """Exactly the actions the lifecycle table offers staff in the appeal's status."""
    builder = InlineKeyboardBuilder()
    for action in lifecycle.card_actions(appeal.status):
        builder.button(
            text=t(f"staff.button.{action}"),
            callback_data=StaffCb(action=action, appeal_id=appeal.id),
        )
    builder.adjust(2)
    return builder.as_markup()


def outcome_keyboard(t: Translator, appeal_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for outcome in OUTCOMES:
        builder.button(
            text=t(f"staff.button.{outcome}"),
            callback_data=StaffCb(action=lifecycle.OUTCOME, appeal_id=appeal_id, value=outcome),
        )
    return builder.as_markup()


def reply_button(t: Translator, appeal_id: int) -> InlineKeyboardMarkup:
    return markup(reply_buttons(t, appeal_id))


def hearing_answer_keyboard(t: Translator, hearing_id: int) -> InlineKeyboardMarkup:
    return markup(hearing_answer_buttons(t, hearing_id))


def rating_keyboard(t: Translator, appeal_id: int) -> InlineKeyboardMarkup:
    return markup(rating_buttons(t, appeal_id))
