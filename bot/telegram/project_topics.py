"""Each investment project's place in the operator group: its own forum topic with its card
(or, in a group without topics, the replies under its card), posting there, and messages
relayed between the topic and the investor.

Like appeals' (bot/telegram/topics.py), everything is queued in the caller's transaction; the
sender makes the topic and the card and records their ids (outbox place "project", references
{"$project_topic": P} and {"$project_card": P}: bot/telegram/methods.py, sender.py).
"""

from __future__ import annotations

from typing import Any

from aiogram.methods import CreateForumTopic, SendMessage
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import invest
from bot.domain.outbox import PROJECT, buttons_json, queue_call
from bot.i18n import I18n
from bot.keyboards.invest import staff_keyboard
from bot.telegram.relay import RELAY_KIND, relay_calls
from bot.telegram.topics import Send, TopicService
from bot.views.projects import staff_card, topic_name
from models import ActorKind, InvestmentProject, User


def in_topic(project_id: int) -> dict[str, Any]:
    return {"message_thread_id": {"$project_topic": project_id}}


class ProjectTopics:
    """Built on the appeals' topic service: the same group, staff language, calendar, clock."""

    def __init__(self, topics: TopicService, i18n: I18n) -> None:
        self.topics = topics
        self.i18n = i18n
        self.t = topics.t

    async def _card(self, session: AsyncSession, project: InvestmentProject) -> str:
        owner = await session.get(User, project.user_id)
        language = owner.language if owner and owner.language else project.language
        return staff_card(self.t, project, self.topics.calendar, language=language)

    def _markup(self, project: InvestmentProject) -> dict[str, Any]:
        return staff_keyboard(self.t, project).model_dump(mode="json", exclude_none=True)

    async def _queue(
        self,
        session: AsyncSession,
        project: InvestmentProject,
        method: str,
        params: dict[str, Any],
        *,
        kind: str,
        after: dict[str, Any] | None = None,
        dedupe_key: str | None = None,
    ) -> int | None:
        return await queue_call(
            session,
            chat_id=self.topics.chat_id,
            method=method,
            params={**in_topic(project.id), **params},
            kind=kind,
            now=self.topics.clock(),
            place=PROJECT,
            after=after,
            dedupe_key=dedupe_key,
        )

    async def publish(self, session: AsyncSession, project: InvestmentProject) -> None:
        """Queue the project's topic and card, once per project."""
        await queue_call(
            session,
            chat_id=self.topics.chat_id,
            method="createForumTopic",
            params={"name": topic_name(self.t, project)},
            kind="topic",
            now=self.topics.clock(),
            after={"project_topic": project.id},
            dedupe_key=f"project_topic:{project.id}",
        )
        await self._queue(
            session,
            project,
            "sendMessage",
            {
                "text": await self._card(session, project),
                "parse_mode": "HTML",
                "reply_markup": self._markup(project),
            },
            kind="card",
            after={"project_card": project.id},
            dedupe_key=f"project_card:{project.id}",
        )

    async def refresh(self, session: AsyncSession, project: InvestmentProject) -> None:
        """The card's new text and buttons, the topic's name; closing the topic once final."""
        await queue_call(
            session,
            chat_id=self.topics.chat_id,
            method="editMessageText",
            params={
                "message_id": {"$project_card": project.id},
                "text": await self._card(session, project),
                "parse_mode": "HTML",
                "reply_markup": self._markup(project),
            },
            kind="card_edit",
            now=self.topics.clock(),
        )
        name = {"name": topic_name(self.t, project)}
        await self._queue(session, project, "editForumTopic", name, kind="topic_edit")
        if invest.is_final(project):
            await self._queue(session, project, "closeForumTopic", {}, kind="topic_edit")

    async def recreate(
        self, sessionmaker: async_sessionmaker[AsyncSession], project_id: int, send: Send
    ) -> int | None:
        """Open a new topic with the card (the sender calls this when the old one is gone)."""
        async with sessionmaker() as session:
            project = await session.get(InvestmentProject, project_id)
            if project is None:
                return None
            chat_id = self.topics.chat_id
            name = topic_name(self.t, project)
            topic = await send(CreateForumTopic(chat_id=chat_id, name=name))
            thread = int(topic.message_thread_id)
            card = await send(
                SendMessage(
                    chat_id=chat_id,
                    text=await self._card(session, project),
                    parse_mode="HTML",
                    message_thread_id=thread,
                    reply_markup=staff_keyboard(self.t, project),
                )
            )
            await invest.set_place(session, project_id, thread, card.message_id)
            await session.commit()
        return thread

    async def post(self, session: AsyncSession, project: InvestmentProject, text: str) -> None:
        await self._queue(
            session, project, "sendMessage", {"text": text, "parse_mode": "HTML"}, kind="staff_note"
        )

    # --- messages both ways ----------------------------------------------------------------

    async def to_investor(
        self,
        session: AsyncSession,
        project: InvestmentProject,
        message: Message,
        staff_id: int,
        staff_name: str,
    ) -> None:
        """A staff message in the topic, for the investor under the office's name; once it
        arrived, the staff message gets 👍."""
        now = self.topics.clock()
        t = await invest.investor_translator(session, self.i18n, project)
        planned = relay_calls(message, t("invest.notify.header", number=project.number))
        last = len(planned.calls) - 1
        buttons = invest.write_button(t, project)
        for index, (method, params) in enumerate(planned.calls):
            after: dict[str, Any] = invest.about(project)
            if index == last:
                react = {"chat_id": message.chat.id, "message_id": message.message_id}
                after["react"] = {**react, "emoji": "👍"}
                params = {**params, "reply_markup": buttons_json(buttons)}
            await queue_call(
                session,
                chat_id=project.user_id,
                method=method,
                params=params,
                kind=RELAY_KIND,
                now=now,
                after=after,
            )
        invest.record(
            session,
            project,
            invest.MESSAGE_EVENT,
            actor_kind=ActorKind.STAFF,
            actor_id=staff_id,
            actor_name=staff_name,
            note=message.text or message.caption,
            now=now,
        )

    async def to_staff(
        self, session: AsyncSession, project: InvestmentProject, message: Message
    ) -> None:
        """The investor's message, in the project's topic under a header."""
        now = self.topics.clock()
        header = self.t("invest.staff.from_investor", number=project.number)
        for method, params in relay_calls(message, header).calls:
            await self._queue(session, project, method, params, kind=RELAY_KIND)
        invest.record(
            session,
            project,
            invest.MESSAGE_EVENT,
            actor_kind=ActorKind.OWNER,
            actor_id=project.user_id,
            note=message.text or message.caption,
            now=now,
        )
