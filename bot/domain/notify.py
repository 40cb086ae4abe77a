"""Notifications to an appeal's owner, in the owner's language, through the outbox.

What is said is plain data: a catalog key, its values and its buttons (bot/domain/outbox.py
Button); the Telegram edge turns the buttons into a keyboard when the message is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.outbox import Button, Buttons, enqueue
from bot.i18n import I18n, Translator
from models import Appeal, User


async def owner_translator(session: AsyncSession, i18n: I18n, appeal: Appeal) -> Translator:
    owner = await session.get(User, appeal.user_id)
    return i18n.translator(owner.language if owner else None)


def reply_buttons(t: Translator, appeal_id: int) -> Buttons:
    """ "Reply" under an office message: opens adding information to that appeal."""
    return [[Button(t("notify.reply"), "reply", {"appeal_id": appeal_id})]]


def hearing_answer_buttons(t: Translator, hearing_id: int) -> Buttons:
    come = Button(
        t("notify.will_come"), "hearing_answer", {"hearing_id": hearing_id, "answer": "yes"}
    )
    other = Button(
        t("notify.another_date"), "hearing_answer", {"hearing_id": hearing_id, "answer": "no"}
    )
    return [[come, other]]


def rating_buttons(t: Translator, appeal_id: int) -> Buttons:
    stars = [
        Button("⭐" * n if n < 4 else f"{n} ⭐", "rate", {"appeal_id": appeal_id, "value": str(n)})
        for n in range(1, 6)
    ]
    dispute = Button(t("rate.dispute"), "rate", {"appeal_id": appeal_id, "value": "dispute"})
    return [stars, [dispute]]


async def notify_owner(
    session: AsyncSession,
    i18n: I18n,
    appeal: Appeal,
    key: str,
    *,
    now: datetime,
    kind: str = "status",
    buttons: Buttons | Callable[[Translator], Buttons] | None = None,
    document: tuple[str, bytes, str] | None = None,
    dedupe_key: str | None = None,
    due_at: datetime | None = None,
    stale_at: datetime | None = None,
    while_status: str | None = None,
    after: dict[str, Any] | None = None,
    **values: Any,
) -> int | None:
    """Queue `key` of the catalog for the owner; `values` fill its placeholders (a callable
    value, like `buttons`, is given the owner's translator)."""
    t = await owner_translator(session, i18n, appeal)
    rendered = {k: (v(t) if callable(v) else v) for k, v in values.items()}
    text = t(key, number=appeal.number, **rendered)
    return await enqueue(
        session,
        chat_id=appeal.user_id,
        kind=kind,
        text=text,
        now=now,
        appeal_id=appeal.id,
        buttons=buttons(t) if callable(buttons) else buttons,
        document=document,
        dedupe_key=dedupe_key,
        due_at=due_at,
        stale_at=stale_at,
        while_status=while_status,
        after=after,
    )
