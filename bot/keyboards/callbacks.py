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


class StaffCb(CallbackData, prefix="st"):
    action: str  # take | <status> | outcome | hearing | extend
    appeal_id: int
    value: str = ""


class HearingAnswerCb(CallbackData, prefix="hr"):
    hearing_id: int
    answer: str  # yes | no


class ReplyCb(CallbackData, prefix="re"):
    """The owner's "Reply" under an office message: opens adding information to that appeal."""

    appeal_id: int


class RateCb(CallbackData, prefix="rt"):
    appeal_id: int
    value: str  # "1".."5" or "dispute"


class FailedCb(CallbackData, prefix="fl"):
    row_id: int
