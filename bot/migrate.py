"""Apply Alembic migrations programmatically (at start-up and from `python -m bot migrate`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import migrations
from models.db import sqlite_foreign_key_violations, sqlite_foreign_keys


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    return config


def _upgrade(connection: Connection, bot_id: int | None, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    config.attributes["bot_id"] = bot_id  # for stored keys that carry it (0005)
    command.upgrade(config, revision)
    violations = sqlite_foreign_key_violations(connection)
    if violations:
        raise RuntimeError(f"the migration left {len(violations)} rows referring to nothing")


async def upgrade_to_head(
    engine: AsyncEngine, *, bot_id: int | None = None, revision: str = "head"
) -> None:
    """Up to `revision`, in one transaction; on SQLite with foreign keys off meanwhile
    (models.db.sqlite_foreign_keys says why) and checked before the commit."""
    async with engine.connect() as connection:
        await connection.run_sync(sqlite_foreign_keys, enforced=False)
        try:
            await connection.begin()
            await connection.run_sync(_upgrade, bot_id, revision)
            await connection.commit()
        finally:
            await connection.rollback()  # nothing left open when enforcement comes back
            await connection.run_sync(sqlite_foreign_keys, enforced=True)


class SchemaOutdated(Exception):
    """The database is not at the schema this version of the bot needs."""


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(read)


async def check_schema(engine: AsyncEngine) -> None:
    """Raise SchemaOutdated, with one line saying what to do, unless the schema is current."""
    current, head = await current_revision(engine), head_revision()
    if current != head:
        raise SchemaOutdated(
            f"the database schema is at {current or 'nothing (empty database)'}, this version "
            f"needs {head}: run `python -m bot migrate` first"
        )
