"""Buttons of a session's card, and the choice the appeal card's 📅 offers."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.sessions import Agenda, Sessions, items_of
from bot.i18n import Translator
from bot.keyboards.callbacks import ResultCb, SessionAnswerCb, SessionCb
from models import OfficeSession, SessionState


def _session_button(
    t: Translator, action: str, session_id: int, **ids: int
) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=t(f"session.button.{action}"),
        callback_data=SessionCb(action=action, session_id=session_id, **ids).pack(),
    )


def session_keyboard(t: Translator, loaded: Agenda) -> InlineKeyboardMarkup:
    office = loaded.office
    rows: list[list[InlineKeyboardButton]] = []
    if office.state == SessionState.SCHEDULED:
        rows.append([_session_button(t, a, office.id) for a in ("add", "invite")])
        rows.append([_session_button(t, a, office.id) for a in ("move", "cancel", "hold")])
        for position, item, _appeal in items_of(loaded):
            rows.append(
                [
                    InlineKeyboardButton(
                        text=t("session.button.remove", position=position),
                        callback_data=SessionCb(
                            action="remove", session_id=office.id, item_id=item.id
                        ).pack(),
                    )
                ]
            )
    elif office.state == SessionState.HELD:
        for position, item, _appeal in items_of(loaded):
            marks = [
                InlineKeyboardButton(
                    text=t(f"session.button.{who}_{came}", position=position),
                    callback_data=SessionAnswerCb(item_id=item.id, who=who, came=came).pack(),
                )
                for who in ("owner", "official")
                for came in (1, 0)
            ]
            decision = InlineKeyboardButton(
                text=t("session.button.decision", position=position),
                callback_data=ResultCb(item_id=item.id).pack(),
            )
            rows.append(marks)
            rows.append([decision])
    rows.append([_session_button(t, "show", office.id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def session_choice_keyboard(
    t: Translator, appeal_id: int, offices: Sequence[OfficeSession], sessions: Sessions
) -> InlineKeyboardMarkup:
    """The appeal card's 📅: a new session for it, or one of the sessions to come."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=t("session.button.new"), callback_data=SessionCb(action="new", appeal_id=appeal_id)
    )
    for office in offices:
        date_text, time_text = sessions.when(office)
        builder.button(
            text=t("session.button.put", id=office.id, date=date_text, time=time_text),
            callback_data=SessionCb(action="put", session_id=office.id, appeal_id=appeal_id),
        )
    builder.adjust(1)
    return builder.as_markup()
