"""Messages between an appeal's owner and the staff, both ways, each stored for mapping."""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot
from aiogram.types import Message
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import I18n
from bot.services.notify import owner_translator, reply_button
from bot.services.topics import TopicService
from models import ActorKind, Appeal, AppealEvent, EventKind, RelayedMessage

TO_OWNER, TO_STAFF, INTERNAL = "to_owner", "to_staff", "internal"


async def appeal_for_operator_message(
    session: AsyncSession, message: Message, forum: bool
) -> Appeal | None:
    """Which appeal a message in the operator group belongs to: its topic, or what it replies to."""
    if forum and message.is_topic_message and message.message_thread_id is not None:
        return await session.scalar(
            select(Appeal).where(Appeal.topic_id == message.message_thread_id)
        )
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
    return await session.get(Appeal, relayed.appeal_id) if relayed else None


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


class Relay:
    def __init__(self, topics: TopicService, i18n: I18n) -> None:
        self.topics = topics
        self.i18n = i18n

    async def to_owner(
        self,
        bot: Bot,
        session: AsyncSession,
        appeal: Appeal,
        message: Message,
        staff_id: int,
        now: datetime,
    ) -> None:
        """Send a staff message to the owner under the office's name; raises on failure."""
        t = await owner_translator(session, self.i18n, appeal)
        header = t("notify.header", number=appeal.number)
        markup = reply_button(t, appeal.id)
        if message.text is not None:
            sent = await bot.send_message(
                appeal.user_id, f"{header}\n\n{message.html_text}", reply_markup=markup
            )
            owner_message_id = sent.message_id
        else:
            caption = header + (f"\n\n{message.html_text}" if message.caption else "")
            copied = await bot.copy_message(
                appeal.user_id,
                message.chat.id,
                message.message_id,
                caption=caption[:1024],
                reply_markup=markup,
            )
            owner_message_id = copied.message_id
        session.add(
            RelayedMessage(
                appeal_id=appeal.id,
                direction=TO_OWNER,
                owner_chat_id=appeal.user_id,
                owner_message_id=owner_message_id,
                operator_chat_id=message.chat.id,
                operator_message_id=message.message_id,
                staff_id=staff_id,
                created_at=now,
            )
        )
        session.add(
            AppealEvent(
                appeal_id=appeal.id,
                kind=EventKind.MESSAGE.value,
                actor_kind=ActorKind.STAFF.value,
                actor_id=staff_id,
                note=message.text or message.caption,
                created_at=now,
            )
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
        session.add(
            AppealEvent(
                appeal_id=appeal.id,
                kind=EventKind.NOTE.value,
                actor_kind=ActorKind.STAFF.value,
                actor_id=message.from_user.id if message.from_user else None,
                note=text,
                created_at=now,
            )
        )

    async def to_staff(
        self,
        bot: Bot,
        session: AsyncSession,
        appeal: Appeal,
        message: Message,
        header: str,
        now: datetime,
    ) -> None:
        """Show an owner's message in the appeal's topic (text, photo or document)."""
        if message.text is not None:
            posted = await self.topics.post(
                bot, session, appeal, f"{header}\n\n{message.html_text}"
            )
            operator_message_id = posted.message_id
        else:
            caption = header + (f"\n\n{message.html_text}" if message.caption else "")
            operator_message_id = await self.topics.copy(
                bot, session, appeal, message.chat.id, message.message_id, caption[:1024]
            )
        session.add(
            RelayedMessage(
                appeal_id=appeal.id,
                direction=TO_STAFF,
                owner_chat_id=message.chat.id,
                owner_message_id=message.message_id,
                operator_chat_id=self.topics.chat_id,
                operator_message_id=operator_message_id,
                created_at=now,
            )
        )
