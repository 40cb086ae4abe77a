"""Each appeal's place in the operator group: its forum topic (or, without topics, the
thread of replies under its card), the card itself, and posting there.

Everything here queues outbox rows in the caller's transaction; the sender creates the topic,
posts the card and fills in their ids, so a row for the topic can be queued before the topic
exists (outbox place "topic").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiogram import Bot
from aiogram.methods import CreateForumTopic, SendMessage, TelegramMethod
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.calendar import WorkCalendar
from bot.domain.hearings import current_hearing
from bot.domain.privacy import withdrawal_on_card
from bot.domain.workflow import TRANSITIONS
from bot.i18n import I18n
from bot.keyboards.staff import card_keyboard
from bot.telegram.outbox import TOPIC, enqueue, queue_call
from bot.telegram.texts import split_html
from bot.views.cards import card_text, full_text, shortened, topic_name
from models import Appeal, AppealStatus, Attachment, User

Send = Callable[[TelegramMethod[Any]], Any]


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

    async def is_forum(self, bot: Bot) -> bool:
        """Whether the operator group has topics (asked once)."""
        if self._forum is None:
            chat = await bot.get_chat(self.chat_id)
            self._forum = bool(chat.is_forum)
        return self._forum

    # --- the card --------------------------------------------------------------------------

    async def card(self, session: AsyncSession, appeal: Appeal) -> str:
        owner = await session.get(User, appeal.user_id)
        attachments = await session.scalar(
            select(func.count()).select_from(Attachment).where(Attachment.appeal_id == appeal.id)
        )
        hearing = await current_hearing(session, appeal.id)
        return card_text(
            self.t,
            appeal,
            owner_language=owner.language if owner else None,
            calendar=self.calendar,
            now=self.clock(),
            attachments=attachments or 0,
            hearing=hearing,
            consent_withdrawn_at=withdrawal_on_card(owner, appeal),
        )

    def _markup(self, appeal: Appeal) -> dict[str, Any]:
        return card_keyboard(self.t, appeal).model_dump(mode="json", exclude_none=True)

    async def publish(self, session: AsyncSession, appeal: Appeal) -> None:
        """Queue the appeal's topic, card and files, once per appeal."""
        now = self.clock()
        await queue_call(
            session,
            chat_id=self.chat_id,
            method="createForumTopic",
            params={"name": topic_name(self.t, appeal)},
            kind="topic",
            now=now,
            appeal_id=appeal.id,
            after={"topic": appeal.id},
            dedupe_key=f"topic:{appeal.id}",
        )
        await queue_call(
            session,
            chat_id=self.chat_id,
            method="sendMessage",
            params={
                "text": await self.card(session, appeal),
                "parse_mode": "HTML",
                "reply_markup": self._markup(appeal),
            },
            kind="card",
            now=now,
            appeal_id=appeal.id,
            place=TOPIC,
            after={"card": appeal.id},
            dedupe_key=f"card:{appeal.id}",
        )
        await self._queue_full_text(session, appeal, now)
        await self._queue_files(session, appeal, now)

    def _full_text(self, appeal: Appeal) -> list[str]:
        """The appeal's whole text in pieces when the card had to shorten it, else nothing."""
        return split_html(full_text(self.t, appeal)) if shortened(appeal) else []

    async def _queue_full_text(self, session: AsyncSession, appeal: Appeal, now: datetime) -> None:
        # Once per appeal (an appeal filed before cards were shortened gets it on its next
        # refresh); a topic made anew after staff deleted it gets it in `recreate`.
        for index, piece in enumerate(self._full_text(appeal)):
            await queue_call(
                session,
                chat_id=self.chat_id,
                method="sendMessage",
                params={"text": piece, "parse_mode": "HTML"},
                kind="card_full_text",
                now=now,
                appeal_id=appeal.id,
                place=TOPIC,
                dedupe_key=f"card_full_text:{appeal.id}:{index}",
            )

    async def _queue_files(self, session: AsyncSession, appeal: Appeal, now: datetime) -> None:
        files = (
            await session.scalars(
                select(Attachment)
                .where(Attachment.appeal_id == appeal.id, Attachment.event_id.is_(None))
                .order_by(Attachment.position)
            )
        ).all()
        # Telegram does not mix photos and documents in one album.
        for kind in ("photo", "document"):
            group = [f.file_id for f in files if f.kind == kind]
            if len(group) == 1:
                method = "sendPhoto" if kind == "photo" else "sendDocument"
                params: dict[str, Any] = {kind: group[0]}
            elif group:
                method = "sendMediaGroup"
                params = {"media": [{"type": kind, "media": file_id} for file_id in group]}
            else:
                continue
            await queue_call(
                session,
                chat_id=self.chat_id,
                method=method,
                params=params,
                kind="card_files",
                now=now,
                appeal_id=appeal.id,
                place=TOPIC,
            )

    async def refresh(self, session: AsyncSession, appeal: Appeal) -> None:
        """Queue the card's new text and buttons, the topic's name, and closing it when the
        appeal is final."""
        now = self.clock()
        card = {"$card": appeal.id}
        await queue_call(
            session,
            chat_id=self.chat_id,
            method="editMessageText",
            params={
                "message_id": card,
                "text": await self.card(session, appeal),
                "parse_mode": "HTML",
                "reply_markup": self._markup(appeal),
            },
            kind="card_edit",
            now=now,
            appeal_id=appeal.id,
        )
        await self._queue_full_text(session, appeal, now)
        await queue_call(
            session,
            chat_id=self.chat_id,
            method="editForumTopic",
            params={"name": topic_name(self.t, appeal)},
            kind="topic_edit",
            now=now,
            appeal_id=appeal.id,
            place=TOPIC,
        )
        if not TRANSITIONS[AppealStatus(appeal.status)]:
            await queue_call(
                session,
                chat_id=self.chat_id,
                method="closeForumTopic",
                params={},
                kind="topic_edit",
                now=now,
                appeal_id=appeal.id,
                place=TOPIC,
            )

    # --- posting in an appeal's place --------------------------------------------------------

    async def post(
        self,
        session: AsyncSession,
        appeal: Appeal,
        text: str,
        *,
        kind: str = "staff_note",
        after: dict[str, Any] | None = None,
        dedupe_key: str | None = None,
    ) -> int | None:
        return await enqueue(
            session,
            chat_id=self.chat_id,
            kind=kind,
            text=text,
            now=self.clock(),
            appeal_id=appeal.id,
            place=TOPIC,
            after=after,
            dedupe_key=dedupe_key,
        )

    # --- a topic deleted by staff -----------------------------------------------------------

    async def recreate(
        self, sessionmaker: async_sessionmaker[AsyncSession], appeal_id: int, send: Send
    ) -> int | None:
        """Open a new topic with the card (the sender calls this when the old one is gone)."""
        async with sessionmaker() as session:
            appeal = await session.get(Appeal, appeal_id)
            if appeal is None:
                return None
            text = await self.card(session, appeal)
            name = topic_name(self.t, appeal)
            topic = await send(CreateForumTopic(chat_id=self.chat_id, name=name))
            thread = int(topic.message_thread_id)
            card = await send(
                SendMessage(
                    chat_id=self.chat_id,
                    text=text,
                    parse_mode="HTML",
                    message_thread_id=thread,
                    reply_markup=card_keyboard(self.t, appeal),
                )
            )
            for piece in self._full_text(appeal):
                await send(
                    SendMessage(
                        chat_id=self.chat_id,
                        text=piece,
                        parse_mode="HTML",
                        message_thread_id=thread,
                    )
                )
            await session.execute(
                update(Appeal)
                .where(Appeal.id == appeal_id)
                .values(topic_id=thread, card_message_id=card.message_id)
            )
            await session.commit()
        return thread
