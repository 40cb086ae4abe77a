"""aiogram FSM storage in the bot's own database, so dialogues survive restarts.

The storage reads and writes through the session of the update being handled (the unit of
work sets `update_session`): a dialogue step and the rows it creates commit together or not
at all, and a unit of work redone after a lost race starts from the stored step again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StorageKey
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import FsmRecord, utcnow
from models.db import insert_for

update_session: ContextVar[AsyncSession | None] = ContextVar("update_session", default=None)
# The records one session has read (None: there is none), so that the five to nine reads of
# one update cost one query. SQLAlchemy's identity map holds objects weakly and would let a
# record that nobody references go, and read it again.
RECORDS = "fsm_records"


def forget_records(session: AsyncSession) -> None:
    """After a rollback: what was read may no longer be so."""
    session.info.pop(RECORDS, None)


class SQLAlchemyStorage(BaseStorage):
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        key_builder: KeyBuilder | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        # aiogram's contract: a key tells bots and business connections apart.
        self._key_builder = key_builder or DefaultKeyBuilder(
            with_bot_id=True, with_business_connection_id=True, with_destiny=True
        )

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        shared = update_session.get()
        if shared is not None:
            yield shared
            return
        # Outside an update (tools, tests): a transaction of its own.
        async with self._sessionmaker.begin() as session:
            yield session

    @staticmethod
    async def _record(session: AsyncSession, name: str) -> FsmRecord | None:
        records: dict[str, FsmRecord | None] = session.info.setdefault(RECORDS, {})
        if name not in records:
            records[name] = await session.get(FsmRecord, name)
        return records[name]

    async def _save(self, key: StorageKey, *, state: Any = ..., data: Any = ...) -> None:
        """Changes the record in the session; the update's commit writes it (once)."""
        name = self._key_builder.build(key)
        async with self._session() as session:
            record = await self._record(session, name)
            if record is None:
                if (state is ... or state is None) and (data is ... or not data):
                    return  # nothing to keep, nothing stored
                record = await self._create(session, name)
            if state is not ...:
                record.state = state.state if isinstance(state, State) else state
            if data is not ...:
                record.data = dict(data)
            if record.state is None and not record.data:
                # An empty record carries nothing: keep the table as small as the live dialogues.
                await session.delete(record)
                session.info[RECORDS][name] = None

    @staticmethod
    async def _create(session: AsyncSession, name: str) -> FsmRecord:
        # An upsert, not an INSERT at flush: two units of work writing a new key at once
        # (the same person in two chats' lanes) both find the row, neither fails.
        await session.execute(
            insert_for(session)(FsmRecord)
            .values(key=name, state=None, data={}, updated_at=utcnow())
            .on_conflict_do_nothing(index_elements=[FsmRecord.key])
        )
        record = await session.get(FsmRecord, name, populate_existing=True)
        assert record is not None
        session.info[RECORDS][name] = record
        return record

    async def _load(self, key: StorageKey) -> FsmRecord | None:
        async with self._session() as session:
            return await self._record(session, self._key_builder.build(key))

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        await self._save(key, state=state)

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._load(key)
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, dict):
            # As aiogram's own storages: a list or a string is a bug, not an empty dialogue.
            raise DataNotDictLikeError(
                f"Data must be a dict or dict-like object, got {type(data).__name__}"
            )
        await self._save(key, data=data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._load(key)
        return dict(record.data) if record and record.data else {}

    async def clear_all(self) -> None:
        async with self._session() as session:
            await session.execute(delete(FsmRecord))

    async def close(self) -> None:
        # The engine belongs to the application, which disposes of it.
        return None
