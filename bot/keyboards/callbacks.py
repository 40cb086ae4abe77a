"""Callback data of every inline button (each packs into Telegram's 64 bytes)."""

from __future__ import annotations

from typing import Annotated, Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from pydantic import Field

from bot.domain.outbox import BUTTONS, Buttons

# Forged data may carry any number. One outside the databases' 64-bit integers is the id of
# nothing (and would not even bind), so such a button is unknown, hence stale, like any other.
RowId = Annotated[int, Field(ge=0, le=2**63 - 1)]
Page = Annotated[int, Field(ge=0, le=100_000)]


class LanguageCb(CallbackData, prefix="lang"):
    code: str


class FormCb(CallbackData, prefix="f"):
    """A button of the appeal dialogue; `step` lets a press from an old message be spotted."""

    step: str
    value: str


class MyAppealsCb(CallbackData, prefix="my"):
    action: str  # page | open | add | withdraw | confirm | keep | done
    appeal_id: RowId = 0
    page: Page = 0


class StaffCb(CallbackData, prefix="st"):
    action: str  # take | <status> | outcome | hearing | extend
    appeal_id: RowId
    value: str = ""


class HearingAnswerCb(CallbackData, prefix="hr"):
    hearing_id: RowId
    answer: str  # yes | no


class ReplyCb(CallbackData, prefix="re"):
    """The owner's "Reply" under an office message: opens adding information to that appeal."""

    appeal_id: RowId


class MessageForCb(CallbackData, prefix="mf"):
    """Which appeal an owner's typed message is about (asked when several are open)."""

    appeal_id: RowId


class RateCb(CallbackData, prefix="rt"):
    appeal_id: RowId
    value: str  # "1".."5" or "dispute"


class FailedCb(CallbackData, prefix="fl"):
    row_id: RowId


class FailedUpdateCb(CallbackData, prefix="fu"):
    """Handle again an incoming update that failed every attempt."""

    update_id: RowId


class ClosedSendCb(CallbackData, prefix="cs"):
    """Staff wrote in a closed appeal's topic: send the kept message anyway, or drop it."""

    action: str  # send | drop
    message_id: RowId


class StatsCb(CallbackData, prefix="fg"):
    """/stats for another period: month | quarter | year (the current one)."""

    period: str


# What the domain's plain buttons (bot/domain/outbox.py Button.action) do.
BUTTON_DATA: dict[str, type[CallbackData]] = {
    "reply": ReplyCb,
    "hearing_answer": HearingAnswerCb,
    "rate": RateCb,
}


def _button(text: str, action: str, values: dict[str, Any]) -> InlineKeyboardButton:
    kind = BUTTON_DATA.get(action)
    if kind is None:
        raise ValueError(f"no button does {action!r}")
    return InlineKeyboardButton(text=text, callback_data=kind(**values).pack())


def markup(rows: Buttons) -> InlineKeyboardMarkup:
    """Plain buttons as Telegram's inline keyboard."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(b.text, b.action, dict(b.values)) for b in row] for row in rows]
    )


def render_buttons(params: dict[str, Any]) -> dict[str, Any]:
    """A stored call's plain buttons ({"$buttons": rows}) as its reply_markup JSON, at send
    time; any other reply_markup is left as it is. ValueError: a button nothing handles."""
    stored = params.get("reply_markup")
    if not (isinstance(stored, dict) and set(stored) == {BUTTONS}):
        return params
    rows = [
        [_button(b["text"], b["action"], b.get("values") or {}) for b in row]
        for row in stored[BUTTONS]
    ]
    rendered = InlineKeyboardMarkup(inline_keyboard=rows)
    return {**params, "reply_markup": rendered.model_dump(mode="json", exclude_none=True)}


# Sessions (handlers/sessions.py). The owner answers an agenda item's invitation with the
# hearing buttons above (HearingAnswerCb): one path for a hearing and an agenda item.
class SessionCb(CallbackData, prefix="ss"):
    """A session card's button: add | invite | move | cancel | hold | show | remove | put | new.
    `appeal_id`: the appeal to put on it (from the appeal card's 📅); `item_id`: one item."""

    action: str
    session_id: RowId = 0
    appeal_id: RowId = 0
    item_id: RowId = 0


class SessionAnswerCb(CallbackData, prefix="sa"):
    """Staff record who came to an agenda item: who = owner | official, came = 1 | 0."""

    item_id: RowId
    who: str
    came: Annotated[int, Field(ge=0, le=1)]


class ResultCb(CallbackData, prefix="sr"):
    """Staff write the session's decision on an agenda item."""

    item_id: RowId


# --- investment projects (handlers/invest_*.py) ----------------------------------------------


class InvestCb(CallbackData, prefix="iv"):
    """The investor's buttons: a dialogue step (action "f", with step and value), or one of
    their projects (open | obstacle | write)."""

    action: str
    step: str = ""
    value: str = ""
    project_id: RowId = 0


class ProjectStaffCb(CallbackData, prefix="ip"):
    """A button on a project's card in the operator group: the status it moves to."""

    action: str  # under_review | agreement_signed | declined
    project_id: RowId


BUTTON_DATA["invest"] = InvestCb  # "Write to the office" under a notice about a project
