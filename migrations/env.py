"""Alembic environment. The bot passes an open connection; the alembic CLI builds one."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from models import Base
from models.db import make_engine, sqlite_foreign_keys

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite alters most things only by copying the table; PostgreSQL alters in place.
        render_as_batch=connection.dialect.name == "sqlite",
        # `alembic check` / autogenerate compare what tests/test_schema.py compares.
        compare_type=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine() -> None:
    url = context.config.get_main_option("sqlalchemy.url") or os.environ.get(
        "DATABASE_URL", "sqlite+aiosqlite:///data/adal.db"
    )
    engine = make_engine(url)
    async with engine.connect() as connection:
        # As bot/migrate.py does: SQLite's copy-and-drop of a table must not cascade.
        await connection.run_sync(sqlite_foreign_keys, enforced=False)
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_with_own_engine())
