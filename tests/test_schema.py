"""The migrations make the schema the models describe, on the database this run uses
(SQLite by default, PostgreSQL with TEST_DATABASE_URL; see tests/support/database.py)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.migrate import alembic_config, upgrade_to_head
from models import Base
from models.base import UTCDateTime

# Ids Telegram hands out: user ids need more than 32 bits, supergroup ids are -100xxxxxxxxxx.
TELEGRAM_IDS = [
    ("users", "id"),
    ("appeals", "user_id"),
    ("appeals", "assigned_staff_id"),
    ("appeal_events", "actor_id"),
    ("relayed_messages", "owner_chat_id"),
    ("relayed_messages", "operator_chat_id"),
    ("relayed_messages", "staff_id"),
    ("outbox", "chat_id"),
]


def differences(connection: Connection) -> list[str]:
    """What autogenerate would write into a new migration: nothing, when the two agree."""
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return [describe(diff) for diff in compare_metadata(context, Base.metadata)]


def describe(diff: Any) -> str:
    """One readable line per difference (alembic gives tuples, or lists of them per column)."""
    if isinstance(diff, list):
        return "; ".join(describe(item) for item in diff)
    kind, *rest = diff
    if kind.startswith("modify_"):
        _schema, table, column, existing, database, model = rest
        if kind == "modify_type":
            database = existing.get("existing_type", database)
        if kind == "modify_default":
            database = getattr(getattr(database, "arg", None), "text", database)
            model = getattr(getattr(model, "arg", None), "text", model)
        return f"{kind} {table}.{column}: database {database!r}, models {model!r}"
    named = rest[-1]
    name = getattr(named, "name", named)
    table = getattr(getattr(named, "table", None), "name", "")
    return f"{kind} {table + '.' if table else ''}{name}"


async def schema_differences(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(differences)


async def test_one_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"the migrations have several heads, merge them: {heads}"


async def test_migrations_make_the_models_schema(engine: AsyncEngine) -> None:
    found = await schema_differences(engine)
    assert not found, "the migrations and the models disagree:\n" + "\n".join(found)


async def test_downgrade_to_base_and_upgrade_again(engine: AsyncEngine) -> None:
    def downgrade(connection: Connection) -> list[str]:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        return sa.inspect(connection).get_table_names()

    async with engine.begin() as connection:
        left = await connection.run_sync(downgrade)
    assert set(left) <= {"alembic_version"}

    await upgrade_to_head(engine)
    found = await schema_differences(engine)
    assert not found, "after downgrade and upgrade:\n" + "\n".join(found)


async def test_telegram_ids_are_bigint_and_timestamps_keep_their_zone(
    engine: AsyncEngine,
) -> None:
    def columns(connection: Connection) -> dict[tuple[str, str], Any]:
        inspector = sa.inspect(connection)
        return {
            (table, column["name"]): column["type"]
            for table in inspector.get_table_names()
            for column in inspector.get_columns(table)
        }

    async with engine.connect() as connection:
        found = await connection.run_sync(columns)
        dialect = connection.dialect.name

    for key in TELEGRAM_IDS:
        assert isinstance(found[key], sa.BigInteger), f"{key}: {found[key]!r}"

    stamps = [
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, UTCDateTime)
    ]
    assert ("users", "created_at") in stamps
    for key in stamps:
        assert isinstance(found[key], sa.DateTime), f"{key}: {found[key]!r}"
        if dialect == "postgresql":  # SQLite has no zones: UTCDateTime stores UTC there
            assert found[key].timezone, f"{key} is {found[key]!r}, not WITH TIME ZONE"
