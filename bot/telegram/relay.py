"""Messages between an appeal's owner and the staff, both ways, each stored for mapping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiogram.enums import ContentType
from aiogram.types import InlineKeyboardMarkup, Message
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import appeals
from bot.domain.lifecycle import OPEN_STATUSES
from bot.domain.notify import owner_translator
from bot.domain.workflow import record_event
from bot.i18n import I18n
from bot.keyboards.staff import reply_button
from bot.telegram.outbox import PIECE_OF, RELAY_KIND, TOPIC, enqueue, queue_call
from bot.telegram.texts import CAPTION_LIMIT, TEXT_LIMIT, split_html
from bot.telegram.topics import TopicService
from models import (
    ActorKind,
    Appeal,
    EventKind,
    OutboxMessage,
    OutboxState,
    RelayedMessage,
)

TO_OWNER, TO_STAFF, INTERNAL = "to_owner", "to_staff", "internal"


# Built once: every message in the operator group looks up its topic's appeal.
APPEAL_IN_TOPIC = select(Appeal).where(Appeal.topic_id == bindparam("topic"))
IN_TOPIC = "appeal_in_topic"


async def appeal_in_topic(session: AsyncSession, topic_id: int) -> Appeal | None:
    """The appeal whose topic this is. Asked twice in one update (the closed-topic check,
    then the relay), it is read once per session: a unit of work's lives one transaction."""
    known: dict[int, Appeal | None] = session.info.setdefault(IN_TOPIC, {})
    if topic_id not in known:
        known[topic_id] = await session.scalar(APPEAL_IN_TOPIC, {"topic": topic_id})
    return known[topic_id]


async def appeal_for_operator_message(
    session: AsyncSession, message: Message, forum: bool
) -> Appeal | None:
    """Which appeal a message in the operator group belongs to: its topic, or what it replies to."""
    if forum and message.is_topic_message and message.message_thread_id is not None:
        return await appeal_in_topic(session, message.message_thread_id)
    reply = message.reply_to_message
    if reply is None:
        return None
    by_card = await session.scalar(select(Appeal).where(Appeal.card_message_id == reply.message_id))
    if by_card is not None:
        return by_card
    relayed = await session.scalar(
        select(RelayedMessage).where(
            RelayedMessage.operator_chat_id == message.chat.id,
            RelayedMessage.operator_message_id == reply.message_id,
        )
    )
    if relayed is not None:
        return await session.get(Appeal, relayed.appeal_id)
    # Any piece of an owner's message that came in several (only one is the relayed copy).
    piece_of = await session.scalar(
        select(OutboxMessage.appeal_id).where(
            OutboxMessage.chat_id == message.chat.id,
            OutboxMessage.kind == RELAY_KIND,
            OutboxMessage.result_message_id == reply.message_id,
        )
    )
    return await session.get(Appeal, piece_of) if piece_of is not None else None


async def appeal_for_owner_reply(session: AsyncSession, message: Message) -> Appeal | None:
    """The appeal of the office message an owner replied to (Telegram's reply), if any."""
    reply = message.reply_to_message
    if reply is None or message.from_user is None:
        return None
    relayed = await session.scalar(
        select(RelayedMessage).where(
            RelayedMessage.owner_chat_id == message.chat.id,
            RelayedMessage.owner_message_id == reply.message_id,
        )
    )
    if relayed is None:
        return None
    appeal = await session.get(Appeal, relayed.appeal_id)
    return appeal if appeal is not None and appeal.user_id == message.from_user.id else None


async def appeal_replied_to(session: AsyncSession, message: Message) -> Appeal | None:
    """The owner's appeal that the bot's message they reply to was about: a relayed staff
    message, or any message the bot sent about the appeal (a question, a notice)."""
    reply = message.reply_to_message
    if reply is None or message.from_user is None:
        return None
    appeal = await appeal_for_owner_reply(session, message)
    if appeal is not None:
        return appeal
    appeal_id = await session.scalar(
        select(OutboxMessage.appeal_id).where(
            OutboxMessage.chat_id == message.chat.id,
            OutboxMessage.result_message_id == reply.message_id,
        )
    )
    appeal = await session.get(Appeal, appeal_id) if appeal_id is not None else None
    return appeal if appeal is not None and appeal.user_id == message.from_user.id else None


# An office message this recent tells which appeal an owner's typed answer is about.
RECENT_OFFICE_MESSAGE = timedelta(days=3)
SHOWN_CHOICES = 10


async def appeals_for_owner_message(
    session: AsyncSession, message: Message, now: datetime
) -> list[Appeal]:
    """Where an owner's message outside a dialogue goes: one appeal, or the candidates to ask
    about (none: it is about no appeal of theirs).

    The appeal of the office message it replies to; else the one the last office message of
    the last days was about; else their open appeals (one: that one)."""
    if message.from_user is None:
        return []
    owner = message.from_user.id
    replied = await appeal_replied_to(session, message)
    if replied is not None and appeals.can_add(replied):
        return [replied]
    latest = await session.scalar(
        select(OutboxMessage.appeal_id)
        .where(
            OutboxMessage.chat_id == owner,
            OutboxMessage.appeal_id.is_not(None),
            OutboxMessage.state == OutboxState.SENT.value,
            OutboxMessage.sent_at >= now - RECENT_OFFICE_MESSAGE,
        )
        .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc())
        .limit(1)
    )
    if latest is not None:
        appeal = await session.get(Appeal, latest)
        if appeal is not None and appeal.user_id == owner and appeals.can_add(appeal):
            return [appeal]
    mine = await session.scalars(
        select(Appeal)
        .where(Appeal.user_id == owner, Appeal.status.in_(OPEN_STATUSES))
        .order_by(Appeal.id.desc())
        .limit(SHOWN_CHOICES)
    )
    return list(mine)


# How each kind of message crosses to the other side (copyMessage copies any of them).
CAPTIONED_KINDS = frozenset(
    {
        ContentType.PHOTO,
        ContentType.DOCUMENT,
        ContentType.VIDEO,
        ContentType.ANIMATION,
        ContentType.AUDIO,
        ContentType.VOICE,
        ContentType.LIVE_PHOTO,
    }
)
# These cannot carry a caption: the header goes before them as a text of its own.
UNCAPTIONED_KINDS = frozenset(
    {
        ContentType.STICKER,
        ContentType.VIDEO_NOTE,
        ContentType.LOCATION,
        ContentType.VENUE,
        ContentType.CONTACT,
    }
)
# Relayed besides texts.
RELAYED_MEDIA = CAPTIONED_KINDS | UNCAPTIONED_KINDS
# What a person can post that means nothing, or cannot be copied, on the other side.
NOT_RELAYED_KINDS = frozenset(
    {
        ContentType.POLL,
        ContentType.DICE,
        ContentType.GAME,
        ContentType.STORY,
        ContentType.CHECKLIST,
        ContentType.PAID_MEDIA,
        ContentType.INVOICE,
        ContentType.GIVEAWAY,
        ContentType.GIVEAWAY_WINNERS,
    }
)


@dataclass
class RelayCalls:
    """The calls that carry one message under a header, in order, each within Telegram's
    limits; `main` is the one that is the message itself, `pieces` how many carry its text."""

    calls: list[tuple[str, dict[str, Any]]]
    main: int
    pieces: int


def _text_call(text: str) -> tuple[str, dict[str, Any]]:
    return "sendMessage", {"text": text, "parse_mode": "HTML"}


def relay_calls(message: Message, header: str) -> RelayCalls:
    """A text split where it is too long (the header on the first piece); a caption cut at
    1,024 with the rest following as texts; media without captions after the header."""
    if message.text is not None:
        pieces = split_html(f"{header}\n\n{message.html_text}")
        return RelayCalls([_text_call(piece) for piece in pieces], 0, len(pieces))
    copy: dict[str, Any] = {"from_chat_id": message.chat.id, "message_id": message.message_id}
    if message.content_type in UNCAPTIONED_KINDS:
        return RelayCalls([_text_call(header), ("copyMessage", copy)], 1, 1)
    full = header + (f"\n\n{message.html_text}" if message.caption else "")
    caption, *rest = split_html(full, TEXT_LIMIT, first=CAPTION_LIMIT)
    calls = [("copyMessage", {**copy, "caption": caption, "parse_mode": "HTML"})]
    calls += [_text_call(piece) for piece in rest]
    return RelayCalls(calls, 0, len(calls))


class Relay:
    def __init__(self, topics: TopicService, i18n: I18n) -> None:
        self.topics = topics
        self.i18n = i18n

    async def _queue(
        self,
        session: AsyncSession,
        appeal: Appeal,
        planned: RelayCalls,
        relayed: RelayedMessage,
        *,
        chat_id: int,
        side: str,
        now: datetime,
        place: str | None = None,
        every: dict[str, Any] | None = None,
        last: dict[str, Any] | None = None,
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """Queue the calls in order; the copy of the message is recorded as the relayed one,
        `every` goes with each call and `last` (and the buttons) with the last one."""
        final = len(planned.calls) - 1
        for index, (method, params) in enumerate(planned.calls):
            after = {**(every or {}), PIECE_OF: relayed.id}
            if index == planned.main:
                after.update({"relay": relayed.id, "side": side})
            if index == final:
                after.update(last or {})
                if markup is not None:
                    params = {
                        **params,
                        "reply_markup": markup.model_dump(mode="json", exclude_none=True),
                    }
            row = await queue_call(
                session,
                chat_id=chat_id,
                method=method,
                params=params,
                kind=RELAY_KIND,
                now=now,
                appeal_id=appeal.id,
                place=place,
                after=after,
            )
            if index == planned.main:
                relayed.outbox_id = row

    async def to_owner(
        self,
        session: AsyncSession,
        appeal: Appeal,
        message: Message,
        staff_id: int,
        now: datetime,
    ) -> None:
        """Queue a staff message for the owner under the office's name.

        Once it is delivered the staff message gets 👍; if it cannot be, staff are told in
        the topic (bot/telegram/effects.py). A text too long for one message goes in pieces,
        and staff are told so.
        """
        t = await owner_translator(session, self.i18n, appeal)
        planned = relay_calls(message, t("notify.header", number=appeal.number))
        relayed = RelayedMessage(
            appeal_id=appeal.id,
            direction=TO_OWNER,
            owner_chat_id=appeal.user_id,
            operator_chat_id=message.chat.id,
            operator_message_id=message.message_id,
            staff_id=staff_id,
            created_at=now,
        )
        session.add(relayed)
        await session.flush()
        react = {"chat_id": message.chat.id, "message_id": message.message_id, "emoji": "👍"}
        await self._queue(
            session,
            appeal,
            planned,
            relayed,
            chat_id=appeal.user_id,
            side="owner",
            now=now,
            every={"tell_staff": appeal.id},
            last={"react": react},
            markup=reply_button(t, appeal.id),
        )
        if planned.pieces > 1:
            note = self.topics.t("staff.sent_in_parts", count=planned.pieces)
            await self.topics.post(session, appeal, note)
        record_event(
            session,
            appeal,
            EventKind.MESSAGE,
            actor_kind=ActorKind.STAFF,
            actor_id=staff_id,
            note=message.text or message.caption,
            now=now,
        )

    async def note(
        self, session: AsyncSession, appeal: Appeal, message: Message, text: str, now: datetime
    ) -> None:
        session.add(
            RelayedMessage(
                appeal_id=appeal.id,
                direction=INTERNAL,
                operator_chat_id=message.chat.id,
                operator_message_id=message.message_id,
                staff_id=message.from_user.id if message.from_user else None,
                created_at=now,
            )
        )
        record_event(
            session,
            appeal,
            EventKind.NOTE,
            actor_kind=ActorKind.STAFF,
            actor_id=message.from_user.id if message.from_user else None,
            note=text,
            now=now,
        )

    async def to_staff(
        self,
        session: AsyncSession,
        appeal: Appeal,
        message: Message,
        header: str,
        now: datetime,
    ) -> None:
        """Queue an owner's message for the appeal's topic; a text too long for one message
        goes in pieces, and the owner is told so."""
        planned = relay_calls(message, header)
        relayed = RelayedMessage(
            appeal_id=appeal.id,
            direction=TO_STAFF,
            owner_chat_id=message.chat.id,
            owner_message_id=message.message_id,
            operator_chat_id=self.topics.chat_id,
            created_at=now,
        )
        session.add(relayed)
        await session.flush()
        await self._queue(
            session,
            appeal,
            planned,
            relayed,
            chat_id=self.topics.chat_id,
            side="operator",
            now=now,
            place=TOPIC,
        )
        if planned.pieces > 1:
            t = await owner_translator(session, self.i18n, appeal)
            await enqueue(
                session,
                chat_id=message.chat.id,
                kind="relay_note",
                text=t("owner_message.sent_in_parts", count=planned.pieces),
                now=now,
                appeal_id=appeal.id,
            )
