"""Callback data of every inline button (each packs into Telegram's 64 bytes)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class LanguageCb(CallbackData, prefix="lang"):
    code: str


class FormCb(CallbackData, prefix="f"):
    """A button of the appeal dialogue; `step` lets a press from an old message be spotted."""

    step: str
    value: str


class MyAppealsCb(CallbackData, prefix="my"):
    action: str  # page | open | add | withdraw | confirm | keep | done
    appeal_id: int = 0
    page: int = 0
