"""Races between people, each fired 50 times: two updates handled at the same moment.

Submit+Submit by two owners, Take+Take by two staff, Withdraw+Take, two status buttons at
once. On PostgreSQL the two units of work really overlap (a barrier holds both until each has
read the appeal); on SQLite one connection takes them in turn. Either way: exactly one
transition, one event and one notice for each change made, a chain of events without a fork,
and the loser told what happened instead.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import BaseMiddleware
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import TelegramObject
from sqlalchemy import func, select

from bot.config import Settings
from bot.domain.calendar import calendar_from_settings
from bot.domain.intake import submit_appeal
from bot.i18n import I18n
from models import Appeal, AppealEvent, OutboxMessage, User
from tests.support import database
from tests.support import updates as up
from tests.support.harness import OPERATOR_CHAT, Harness

RUNS = 50
I18N = I18n("ru")
ANSWERS: dict[str, Any] = {
    "full_name": "Сейткали Айгерім Нұрланқызы",
    "applicant_kind": "ie",
    "iin_bin": "900101300017",
    "company": None,
    "phone": "+77011234567",
    "appeal_type": "complaint",
    "category": "construction",
    "locality": "ridder",
    "body": "Отдел строительства акимата г. Риддер",
    "description": "Акимат третий месяц не выдаёт разрешение на строительство склада.",
    "files": [],
    "confidential": False,
}
_people = itertools.count(10_000)


class Together(BaseMiddleware):
    """Holds each callback until two have arrived, so both read the same state (PostgreSQL:
    two transactions at once; SQLite has one connection, so there is nothing to hold)."""

    def __init__(self) -> None:
        self.barrier: asyncio.Barrier | None = None
        self.held: set[str] = set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        query_id = getattr(event, "id", "")
        if self.barrier is not None and query_id not in self.held:
            self.held.add(query_id)  # a unit of work redone after a lost race runs alone
            with suppress(TimeoutError, asyncio.BrokenBarrierError):
                await asyncio.wait_for(self.barrier.wait(), 5)
        return await handler(event, data)


@pytest.fixture
async def race(harness: Harness) -> AsyncIterator[Race]:
    together = Together()
    harness.dispatcher.callback_query.outer_middleware(together)
    yield Race(harness, together)


class Race:
    def __init__(self, harness: Harness, together: Together) -> None:
        self.h = harness
        self.together = together
        self.settings: Settings = harness.app.settings

    async def both(self, first: Any, second: Any) -> None:
        """Handle two updates at the same moment (the recorded calls are the sender's)."""
        self.together.barrier = None if database.is_sqlite() else asyncio.Barrier(2)
        await asyncio.gather(self.h.app.handle_now(first), self.h.app.handle_now(second))
        self.together.barrier = None

    def answers(self) -> dict[str, str]:
        """Callback answers made so far, by query id (made right after each commit)."""
        calls = self.h.session.take()
        return {
            c.callback_query_id: c.text or "" for c in calls if isinstance(c, AnswerCallbackQuery)
        }

    async def owner(self, language: str = "ru") -> int:
        user_id = next(_people)
        async with self.h.app.sessionmaker.begin() as session:
            session.add(User(id=user_id, language=language))
        return user_id

    async def appeal(self, owner: int, status: str = "registered") -> int:
        calendar = calendar_from_settings(self.settings)
        async with self.h.app.sessionmaker.begin() as session:
            appeal = await submit_appeal(
                session, calendar, owner, dict(ANSWERS), now=datetime.now(UTC), term_days=15
            )
            appeal.status = status
            return appeal.id

    async def events(self, appeal_id: int) -> list[tuple[str | None, str | None]]:
        async with self.h.app.sessionmaker() as session:
            rows = await session.execute(
                select(AppealEvent.from_status, AppealEvent.to_status)
                .where(AppealEvent.appeal_id == appeal_id, AppealEvent.kind == "status")
                .order_by(AppealEvent.id)
            )
            return [tuple(row) for row in rows.all()]  # type: ignore[misc]

    async def notices(self, owner: int, kind: str = "status") -> int:
        async with self.h.app.sessionmaker() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.chat_id == owner, OutboxMessage.kind == kind)
            )
            return int(count or 0)

    async def status(self, appeal_id: int) -> str:
        async with self.h.app.sessionmaker() as session:
            appeal = await session.get(Appeal, appeal_id)
            assert appeal is not None
            return appeal.status


def press(user: int, data: str, *, staff: bool = False) -> Any:
    return up.callback(user, data, chat_id=OPERATOR_CHAT if staff else None)


def chain_holds(events: list[tuple[str | None, str | None]]) -> bool:
    """Each change starts where the one before it ended: no two changes from one state."""
    return all(after[0] == before[1] for before, after in itertools.pairwise(events))


async def test_take_and_take_by_two_staff(race: Race) -> None:
    for _ in range(RUNS):
        owner = await race.owner()
        appeal_id = await race.appeal(owner)
        first, second = (
            press(501, f"st:take:{appeal_id}:", staff=True),
            press(502, f"st:take:{appeal_id}:", staff=True),
        )
        await race.both(first, second)

        assert await race.events(appeal_id) == [(None, "registered"), ("registered", "in_review")]
        assert await race.notices(owner) == 1
        answers = race.answers()
        async with race.h.app.sessionmaker() as session:
            appeal = await session.get(Appeal, appeal_id)
            assert appeal is not None
            winner = appeal.assigned_staff_name
        assert winner in ("User501", "User502")
        assert sorted(answers.values()) == sorted(
            [
                I18N.get("ru", "staff.taken", name=winner),
                I18N.get("ru", "staff.already_taken", name=winner),
            ]
        )


async def test_withdraw_and_take_at_once(race: Race) -> None:
    outcomes = set()
    for _ in range(RUNS):
        owner = await race.owner()
        appeal_id = await race.appeal(owner)
        withdraw = press(owner, f"my:confirm:{appeal_id}:0")
        take = press(501, f"st:take:{appeal_id}:", staff=True)
        await race.both(withdraw, take)

        events = await race.events(appeal_id)
        assert chain_holds(events), events
        assert events[-1][1] == "withdrawn"  # a withdrawal from registered or from review
        took = ("registered", "in_review") in events
        assert await race.notices(owner) == (1 if took else 0)
        outcomes.add(took)
        answers = race.answers()
        if not took:
            assert "«Отозвано»" in answers[take.callback_query.id]
    assert outcomes  # at least one of the two orders happened


async def test_two_status_buttons_at_once(race: Race) -> None:
    for _ in range(RUNS):
        owner = await race.owner()
        appeal_id = await race.appeal(owner, status="answered")
        close = press(501, f"st:closed:{appeal_id}:", staff=True)
        back = press(502, f"st:in_review:{appeal_id}:", staff=True)
        await race.both(close, back)

        events = await race.events(appeal_id)
        assert len(events) == 2 and events[1][0] == "answered", events
        assert events[1][1] in ("closed", "in_review")
        assert await race.notices(owner) == 1
        answers = race.answers()
        loser = back if events[1][1] == "closed" else close
        refusal = answers[loser.callback_query.id]
        if events[1][1] == "closed":  # nothing changes on a closed appeal, and it says so
            assert "закрыто" in refusal and "ничего нельзя" in refusal
        else:
            assert "ничего не изменено" in refusal or "не допускается" in refusal


async def test_submit_and_submit_by_two_owners(race: Race) -> None:
    numbers: list[str] = []
    for _ in range(RUNS):
        owners = [await race.owner(), await race.owner()]
        storage = race.h.dispatcher.storage
        for owner in owners:
            key = up_key(race, owner)
            await storage.set_state(key, "NewAppeal:summary")
            await storage.set_data(key, dict(ANSWERS))
        first, second = (press(owner, "f:summary:submit") for owner in owners)
        await race.both(first, second)

        async with race.h.app.sessionmaker() as session:
            rows = (
                await session.execute(
                    select(Appeal.user_id, Appeal.number).where(Appeal.user_id.in_(owners))
                )
            ).all()
        assert sorted(user for user, _ in rows) == sorted(owners)
        numbers += [number for _, number in rows]
        for owner in owners:
            assert await race.notices(owner, kind="reply") >= 1
        race.answers()
    assert len(set(numbers)) == len(numbers) == 2 * RUNS


def up_key(race: Race, user_id: int) -> Any:
    from aiogram.fsm.storage.base import StorageKey

    return StorageKey(bot_id=race.h.bot.id, chat_id=user_id, user_id=user_id)
