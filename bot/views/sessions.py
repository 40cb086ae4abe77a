"""A session's card in the operator group: time, place, who is invited, the agenda."""

from __future__ import annotations

from html import escape

from bot.domain.sessions import Agenda, Sessions, items_of
from bot.i18n import Translator
from models import Hearing, OfficeSession, SessionState

MARK = {True: "✅", False: "❌", None: "·"}
ANSWER = {"will_come": "✅", "another_date": "⚠️"}


def _item_line(t: Translator, position: int, item: Hearing, number: str, held: bool) -> str:
    if not held:
        answer = ANSWER.get(item.owner_answer or "", "·")
        return t("session.card.item", position=position, number=number, answer=answer)
    return t(
        "session.card.item_held",
        position=position,
        number=number,
        owner=MARK[item.owner_attended],
        official=MARK[item.official_attended],
        decision="📝" if item.decided_at is not None else "·",
    )


def session_card(t: Translator, loaded: Agenda, sessions: Sessions) -> str:
    office = loaded.office
    date_text, time_text = sessions.when(office)
    lines = [
        t("session.card.title", id=office.id, date=date_text, time=time_text),
        t("session.card.place", place=escape(sessions.where(office))),
        t(
            "session.card.invited",
            invited=escape(", ".join((office.invited or "").splitlines()))
            or t("session.invited_none"),
        ),
        t("session.card.bring", bring=escape(office.notes or "") or t("notify.bring_nothing")),
        t("session.card.state", state=t(f"session.state.{office.state}")),
        "",
        t("session.card.agenda", count=len(loaded.items)),
    ]
    held = office.state == SessionState.HELD
    for position, item, appeal in items_of(loaded):
        lines.append(_item_line(t, position, item, appeal.number, held))
    if not loaded.items:
        lines.append(t("session.card.agenda_empty"))
    lines.append(t("session.card.legend_held" if held else "session.card.legend"))
    return "\n".join(lines)


def session_line(t: Translator, office: OfficeSession, sessions: Sessions) -> str:
    date_text, time_text = sessions.when(office)
    return t(
        "session.line",
        id=office.id,
        date=date_text,
        time=time_text,
        place=escape(sessions.where(office)),
    )
