"""Buttons under an appeal's card in the operator group."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import Translator
from bot.keyboards.callbacks import HearingAnswerCb, RateCb, StaffCb
from bot.services.workflow import allowed
from models import Appeal, AppealStatus

# Card actions in the order shown; each is offered only where the lifecycle allows it.
STATUS_ACTIONS = [
    AppealStatus.NEEDS_INFO,
    AppealStatus.ANSWERED,
    AppealStatus.REDIRECTED,
    AppealStatus.NOT_CONSIDERED,
    AppealStatus.IN_REVIEW,
    AppealStatus.CLOSED,
]


def card_keyboard(t: Translator, appeal: Appeal) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    status = AppealStatus(appeal.status)
    if status == AppealStatus.REGISTERED:
        builder.button(
            text=t("staff.button.take"), callback_data=StaffCb(action="take", appeal_id=appeal.id)
        )
    for target in STATUS_ACTIONS:
        if target == AppealStatus.IN_REVIEW and status == AppealStatus.REGISTERED:
            continue  # "Take" is the way into review from a new appeal
        if allowed(status, target):
            builder.button(
                text=t(f"staff.button.{target.value}"),
                callback_data=StaffCb(action=target.value, appeal_id=appeal.id),
            )
    if allowed(status, AppealStatus.HEARING_SCHEDULED):
        builder.button(
            text=t("staff.button.hearing"),
            callback_data=StaffCb(action="hearing", appeal_id=appeal.id),
        )
    if status in (AppealStatus.IN_REVIEW, AppealStatus.NEEDS_INFO, AppealStatus.HEARING_SCHEDULED):
        builder.button(
            text=t("staff.button.extend"),
            callback_data=StaffCb(action="extend", appeal_id=appeal.id),
        )
    builder.adjust(2)
    return builder.as_markup()


def outcome_keyboard(t: Translator, appeal_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for outcome in ("satisfied", "partly", "refused"):
        builder.button(
            text=t(f"staff.button.{outcome}"),
            callback_data=StaffCb(action="outcome", appeal_id=appeal_id, value=outcome),
        )
    return builder.as_markup()


def hearing_answer_keyboard(t: Translator, hearing_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=t("notify.will_come"),
        callback_data=HearingAnswerCb(hearing_id=hearing_id, answer="yes"),
    )
    builder.button(
        text=t("notify.another_date"),
        callback_data=HearingAnswerCb(hearing_id=hearing_id, answer="no"),
    )
    return builder.as_markup()


def rating_keyboard(t: Translator, appeal_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for stars in range(1, 6):
        builder.button(
            text="⭐" * stars if stars < 4 else f"{stars} ⭐",
            callback_data=RateCb(appeal_id=appeal_id, value=str(stars)),
        )
    builder.button(
        text=t("rate.dispute"), callback_data=RateCb(appeal_id=appeal_id, value="dispute")
    )
    builder.adjust(5, 1)
    return builder.as_markup()
