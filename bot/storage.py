"""aiogram FSM storage in the bot's own database, so dialogues survive restarts.

While an update is handled, the storage writes through that update's session (set by
DbSessionMiddleware in `update_session`): SQLite has one writer, so a second connection
would wait on the update's own open transaction; and a dialogue step and the rows it
creates then commit together or not at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StorageKey
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import FsmRecord

update_session: ContextVar[AsyncSession | None] = ContextVar("update_session", default=None)


class SQLAlchemyStorage(BaseStorage):
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        key_builder: KeyBuilder | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        shared = update_session.get()
        if shared is not None:
            yield shared
            return
        async with self._sessionmaker.begin() as session:
            yield session

    async def _save(self, key: StorageKey, *, state: Any = ..., data: Any = ...) -> None:
        name = self._key_builder.build(key)
        async with self._session() as session:
            record = await session.get(FsmRecord, name)
            if record is None:
                record = FsmRecord(key=name, state=None, data={})
                session.add(record)
            if state is not ...:
                record.state = state.state if isinstance(state, State) else state
            if data is not ...:
                record.data = dict(data)
            if record.state is None and not record.data:
                # An empty record carries nothing: keep the table as small as the live dialogues.
                if record in session.new:
                    session.expunge(record)
                else:
                    await session.delete(record)
            await session.flush()

    async def _load(self, key: StorageKey) -> FsmRecord | None:
        # session.get answers repeated reads of one update from the session, not the database.
        async with self._session() as session:
            return await session.get(FsmRecord, self._key_builder.build(key))

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        await self._save(key, state=state)

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._load(key)
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
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
