"""aiogram FSM storage in the bot's own database, so dialogues survive restarts.

The storage reads and writes through the session of the update being handled (the unit of
work sets `update_session`): a dialogue step and the rows it creates commit together or not
at all (changes are written, one statement a dialogue, as the transaction commits), and a unit
of work redone after a lost race starts from the stored step again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any

from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StorageKey
from sqlalchemy import bindparam, delete, event, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from models import FsmRecord, table_of, utcnow
from models.db import insert_of

update_session: ContextVar[AsyncSession | None] = ContextVar("update_session", default=None)
# The dialogues one transaction has read and changed (session.info), so that the five to nine
# reads of one update cost one query and its changes one statement, written as it commits.
RECORDS = "fsm_records"

TABLE = table_of(FsmRecord)
# Built once (the hot path: every update reads its dialogue, most change it).
READ = select(TABLE.c.state, TABLE.c.data).where(TABLE.c.key == bindparam("name"))
CHANGE = (
    update(TABLE)
    .where(TABLE.c.key == bindparam("name"))
    .values(state=bindparam("state"), data=bindparam("data"), updated_at=bindparam("at"))
)
FORGET = delete(TABLE).where(TABLE.c.key == bindparam("name"))


@dataclass
class Dialogue:
    """One fsm_states row as this transaction sees it."""

    state: str | None
    data: dict[str, Any]
    stored: bool  # the row exists in the table
    changed: bool = False


def forget_records(session: AsyncSession) -> None:
    """After a rollback: what was read may no longer be so."""
    session.info.pop(RECORDS, None)


@event.listens_for(Session, "before_commit")
def _write_dialogues(session: Session) -> None:
    """The transaction's dialogue changes, one statement each, as it commits."""
    records: dict[str, Dialogue] = session.info.pop(RECORDS, {})
    for name, dialogue in records.items():
        if not dialogue.changed:
            continue
        empty = dialogue.state is None and not dialogue.data
        if empty:
            # An empty record carries nothing: the table stays as small as the live dialogues.
            if dialogue.stored:
                session.execute(FORGET, {"name": name})
            continue
        values = {"name": name, "state": dialogue.state, "data": dialogue.data, "at": utcnow()}
        if dialogue.stored:
            session.execute(CHANGE, values)
        else:
            session.execute(_create(session.get_bind().dialect.name), values)


@cache
def _create(dialect: str) -> Any:
    # An upsert: two transactions writing a new key at once (the same person in two chats'
    # lanes) both succeed, the later one's dialogue kept.
    statement = insert_of(dialect)(TABLE).values(
        key=bindparam("name"),
        state=bindparam("state"),
        data=bindparam("data"),
        updated_at=bindparam("at"),
    )
    return statement.on_conflict_do_update(
        index_elements=[TABLE.c.key],
        set_={
            "state": statement.excluded.state,
            "data": statement.excluded.data,
            "updated_at": statement.excluded.updated_at,
        },
    )


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
    async def _record(session: AsyncSession, name: str) -> Dialogue:
        records: dict[str, Dialogue] = session.info.setdefault(RECORDS, {})
        dialogue = records.get(name)
        if dialogue is None:
            row = (await session.execute(READ, {"name": name})).first()
            if row is None:
                dialogue = Dialogue(state=None, data={}, stored=False)
            else:
                dialogue = Dialogue(state=row.state, data=dict(row.data or {}), stored=True)
            records[name] = dialogue
        return dialogue

    async def _save(self, key: StorageKey, *, state: Any = ..., data: Any = ...) -> None:
        """Changes the dialogue in the session; its commit writes it (once)."""
        name = self._key_builder.build(key)
        async with self._session() as session:
            dialogue = await self._record(session, name)
            if state is not ...:
                dialogue.state = state.state if isinstance(state, State) else state
            if data is not ...:
                dialogue.data = dict(data)
            dialogue.changed = True

    async def _load(self, key: StorageKey) -> Dialogue:
        async with self._session() as session:
            return await self._record(session, self._key_builder.build(key))

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        await self._save(key, state=state)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._load(key)).state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, dict):
            # As aiogram's own storages: a list or a string is a bug, not an empty dialogue.
            raise DataNotDictLikeError(
                f"Data must be a dict or dict-like object, got {type(data).__name__}"
            )
        await self._save(key, data=data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return dict((await self._load(key)).data)

    async def clear_all(self) -> None:
        async with self._session() as session:
            session.info.pop(RECORDS, None)
            await session.execute(delete(FsmRecord))

    async def close(self) -> None:
        # The engine belongs to the application, which disposes of it.
        return None
