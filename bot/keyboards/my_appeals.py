from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.appeals import Page
from bot.domain.workflow import is_open
from bot.i18n import Translator
from bot.keyboards.callbacks import MyAppealsCb
from models import Appeal


def list_keyboard(t: Translator, page: Page) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for appeal in page.appeals:
        builder.button(
            text=appeal.number,
            callback_data=MyAppealsCb(action="open", appeal_id=appeal.id, page=page.page),
        )
    builder.adjust(1)
    paging: list[InlineKeyboardButton] = []
    if page.page > 0:
        data = MyAppealsCb(action="page", page=page.page - 1).pack()
        paging.append(InlineKeyboardButton(text=t("my.prev"), callback_data=data))
    if page.page < page.pages - 1:
        data = MyAppealsCb(action="page", page=page.page + 1).pack()
        paging.append(InlineKeyboardButton(text=t("my.next"), callback_data=data))
    if paging:
        builder.row(*paging)
    return builder.as_markup()


def card_keyboard(t: Translator, appeal: Appeal, can_add: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if can_add:
        builder.button(
            text=t("my.card.add"), callback_data=MyAppealsCb(action="add", appeal_id=appeal.id)
        )
    if is_open(appeal):
        builder.button(
            text=t("my.card.withdraw"),
            callback_data=MyAppealsCb(action="withdraw", appeal_id=appeal.id),
        )
    builder.button(text=t("my.card.back"), callback_data=MyAppealsCb(action="page"))
    builder.adjust(2, 1)
    return builder.as_markup()


def withdraw_keyboard(t: Translator, appeal: Appeal) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=t("my.withdraw.yes"), callback_data=MyAppealsCb(action="confirm", appeal_id=appeal.id)
    )
    builder.button(
        text=t("my.withdraw.no"), callback_data=MyAppealsCb(action="keep", appeal_id=appeal.id)
    )
    return builder.as_markup()


def add_keyboard(t: Translator, appeal_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=t("my.add.done"), callback_data=MyAppealsCb(action="done", appeal_id=appeal_id)
    )
    return builder.as_markup()
