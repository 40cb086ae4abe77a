"""Each appeal's place in the operator group: its forum topic (or, without topics, the
thread of replies under its card), the card itself, and posting there."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import datetime
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import InputMediaDocument, InputMediaPhoto, Message
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import I18n
from bot.keyboards.staff import card_keyboard
from bot.services.calendar import WorkCalendar
from bot.services.cards import card_text, topic_name
from bot.services.workflow import TRANSITIONS
from models import Appeal, AppealStatus, Attachment, Hearing, HearingState, User

log = logging.getLogger(__name__)


def thread_missing(error: TelegramBadRequest) -> bool:
    text = error.message.lower()
    return "thread not found" in text or "topic_deleted" in text or "topic deleted" in text


class TopicService:
    def __init__(
        self,
        chat_id: int,
        i18n: I18n,
        staff_language: str,
        calendar: WorkCalendar,
        clock: Callable[[], datetime],
    ) -> None:
        self.chat_id = chat_id
        self.t = i18n.translator(staff_language)
        self.i18n = i18n
        self.calendar = calendar
        self.clock = clock
        self._forum: bool | None = None
        self._locks: dict[int, asyncio.Lock] = {}

    async def is_forum(self, bot: Bot) -> bool:
        if self._forum is None:
            chat = await bot.get_chat(self.chat_id)
            self._forum = bool(chat.is_forum)
        return self._forum

    # --- the card --------------------------------------------------------------------------

    async def _card(self, session: AsyncSession, appeal: Appeal) -> str:
        owner = await session.get(User, appeal.user_id)
        attachments = await session.scalar(
            select(func.count()).select_from(Attachment).where(Attachment.appeal_id == appeal.id)
        )
        hearing = await session.scalar(
            select(Hearing)
            .where(Hearing.appeal_id == appeal.id, Hearing.state == HearingState.SCHEDULED.value)
            .order_by(Hearing.id.desc())
            .limit(1)
        )
        return card_text(
            self.t,
            appeal,
            owner_language=owner.language if owner else None,
            calendar=self.calendar,
            now=self.clock(),
            attachments=attachments or 0,
            hearing=hearing,
        )

    async def publish(self, bot: Bot, session: AsyncSession, appeal: Appeal) -> None:
        """Open the appeal's topic and post its card, once, even if asked twice at once."""
        lock = self._locks.setdefault(appeal.id, asyncio.Lock())
        async with lock:
            await session.commit()  # end the snapshot: see what another update committed
            await session.refresh(appeal)
            if appeal.card_message_id is not None:
                return
            await self._post_card(bot, session, appeal)

    async def _post_card(self, bot: Bot, session: AsyncSession, appeal: Appeal) -> None:
        thread_id = None
        if await self.is_forum(bot):
            topic = await bot.create_forum_topic(self.chat_id, topic_name(self.t, appeal))
            thread_id = topic.message_thread_id
            appeal.topic_id = thread_id
            await session.commit()
        card = await bot.send_message(
            self.chat_id,
            await self._card(session, appeal),
            message_thread_id=thread_id,
            reply_markup=card_keyboard(self.t, appeal),
        )
        appeal.card_message_id = card.message_id
        await session.commit()
        await self._post_attachments(bot, session, appeal, thread_id, card.message_id)

    async def _post_attachments(
        self, bot: Bot, session: AsyncSession, appeal: Appeal, thread_id: int | None, card_id: int
    ) -> None:
        files = (
            await session.scalars(
                select(Attachment)
                .where(Attachment.appeal_id == appeal.id, Attachment.event_id.is_(None))
                .order_by(Attachment.position)
            )
        ).all()
        photos = [InputMediaPhoto(media=f.file_id) for f in files if f.kind == "photo"]
        documents = [InputMediaDocument(media=f.file_id) for f in files if f.kind == "document"]
        # Telegram does not mix photos and documents in one album.
        for group in (photos, documents):
            if len(group) == 1:
                media = group[0]
                if isinstance(media, InputMediaPhoto):
                    await bot.send_photo(
                        self.chat_id,
                        str(media.media),
                        message_thread_id=thread_id,
                        reply_to_message_id=None if thread_id else card_id,
                    )
                else:
                    await bot.send_document(
                        self.chat_id,
                        str(media.media),
                        message_thread_id=thread_id,
                        reply_to_message_id=None if thread_id else card_id,
                    )
            elif group:
                await bot.send_media_group(
                    self.chat_id,
                    list(group),
                    message_thread_id=thread_id,
                    reply_to_message_id=None if thread_id else card_id,
                )

    async def refresh(self, bot: Bot, session: AsyncSession, appeal: Appeal) -> None:
        """Card text and buttons, topic name, topic closed when the appeal is final."""
        if appeal.card_message_id is None:
            await self.publish(bot, session, appeal)
            return
        text = await self._card(session, appeal)
        try:
            await bot.edit_message_text(
                text=text,
                chat_id=self.chat_id,
                message_id=appeal.card_message_id,
                reply_markup=card_keyboard(self.t, appeal),
            )
        except TelegramBadRequest as error:
            if "not modified" not in error.message:
                log.warning("card of %s not updated: %s", appeal.number, error.message)
        if appeal.topic_id is None:
            return
        with suppress(TelegramAPIError):
            await bot.edit_forum_topic(
                self.chat_id, appeal.topic_id, name=topic_name(self.t, appeal)
            )
        final = not TRANSITIONS[AppealStatus(appeal.status)]
        with suppress(TelegramAPIError):
            if final:
                await bot.close_forum_topic(self.chat_id, appeal.topic_id)
            else:
                await bot.reopen_forum_topic(self.chat_id, appeal.topic_id)

    # --- posting in an appeal's place --------------------------------------------------------

    async def _deliver(
        self,
        bot: Bot,
        session: AsyncSession,
        appeal: Appeal,
        send: Callable[[dict[str, Any]], Awaitable[Any]],
    ) -> Any:
        if appeal.card_message_id is None:
            await self.publish(bot, session, appeal)
        for attempt in (1, 2):
            failed_thread = appeal.topic_id
            place: dict[str, Any] = (
                {"message_thread_id": appeal.topic_id}
                if appeal.topic_id is not None
                else {"reply_to_message_id": appeal.card_message_id}
            )
            try:
                return await send(place)
            except TelegramBadRequest as error:
                if attempt == 2 or not thread_missing(error):
                    raise
                # Staff deleted the topic: open a new one with the card, then post again.
                log.info("topic of %s is gone; recreating it", appeal.number)
                lock = self._locks.setdefault(appeal.id, asyncio.Lock())
                async with lock:
                    await session.commit()
                    await session.refresh(appeal)
                    if appeal.topic_id == failed_thread:  # nobody else recreated it meanwhile
                        await self._post_card(bot, session, appeal)
        raise AssertionError("unreachable")

    async def post(
        self, bot: Bot, session: AsyncSession, appeal: Appeal, text: str, **kwargs: Any
    ) -> Message:
        async def send(place: dict[str, Any]) -> Message:
            return await bot.send_message(self.chat_id, text, **place, **kwargs)

        result: Message = await self._deliver(bot, session, appeal, send)
        return result

    async def copy(
        self,
        bot: Bot,
        session: AsyncSession,
        appeal: Appeal,
        from_chat_id: int,
        message_id: int,
        caption: str,
    ) -> int:
        async def send(place: dict[str, Any]) -> int:
            copied = await bot.copy_message(
                self.chat_id, from_chat_id, message_id, caption=caption, **place
            )
            return copied.message_id

        result: int = await self._deliver(bot, session, appeal, send)
        return result
