"""What people are told when delivery or handling goes wrong: staff in the appeal's topic
(the owner blocked the bot, a relayed message failed for good, the topic was deleted), and
the person whose update failed for good. The sender and the unit of work call these hooks;
bot/app.py only wires them."""

from __future__ import annotations

import logging
from html import escape

from aiogram.methods import AnswerCallbackQuery
from aiogram.types import Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.appeals import get_appeal
from bot.domain.users import get_user
from bot.i18n import I18n, Translator
from bot.telegram.capture import Scope
from bot.telegram.outbox import enqueue
from bot.telegram.sender import Job, Send
from bot.telegram.topics import TopicService
from bot.telegram.uow import Head

log = logging.getLogger("bot")


class StaffAlerts:
    """The sender's hooks: staff hear, in the appeal's topic, what did not reach its owner."""

    def __init__(
        self,
        *,
        topics: TopicService,
        staff_t: Translator,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        self.topics = topics
        self.staff_t = staff_t
        self.sessionmaker = sessionmaker

    async def owner_blocked(self, session: AsyncSession, job: Job) -> None:
        appeal = await get_appeal(session, job.appeal_id) if job.appeal_id else None
        if appeal is not None:
            text = self.staff_t("staff.owner_blocked", number=appeal.number)
            await self.topics.post(session, appeal, text)

    async def delivery_failed(self, session: AsyncSession, job: Job, error: str) -> None:
        """A row that asked for it (after["tell_staff"]: a relayed message) failed for good."""
        appeal_id = (job.after or {}).get("tell_staff")
        appeal = await get_appeal(session, int(appeal_id)) if appeal_id else None
        if appeal is not None:
            text = self.staff_t("staff.relay_failed", error=escape(error))
            await self.topics.post(session, appeal, text)

    async def thread_missing(self, job: Job, send: Send) -> int | None:
        """The appeal's topic was deleted: a new one, with the card, takes its place."""
        assert job.appeal_id is not None
        log.info("the topic of appeal %s is gone; opening a new one", job.appeal_id)
        return await self.topics.recreate(self.sessionmaker, job.appeal_id, send)


class FailureNotice:
    """The unit of work's hook: the person whose update failed for good hears that something
    went wrong (an alert on the button they pressed, a message in their private chat)."""

    def __init__(self, i18n: I18n) -> None:
        self.i18n = i18n

    async def __call__(
        self, session: AsyncSession, head: Head, event: Update | None, scope: Scope
    ) -> None:
        if event is None:
            return
        query = event.callback_query
        message = event.message or (query.message if query else None)
        sender = event.message.from_user if event.message else (query.from_user if query else None)
        user = await get_user(session, sender.id) if sender else None
        language = (user.language if user else None) or (sender.language_code if sender else None)
        text = self.i18n.get(language, "errors.unexpected")
        if query is not None:
            scope.after_commit.append(
                AnswerCallbackQuery(callback_query_id=query.id, text=text, show_alert=True)
            )
        if message is not None and message.chat.type == "private":
            await enqueue(session, chat_id=message.chat.id, kind="error", text=text, now=scope.now)
