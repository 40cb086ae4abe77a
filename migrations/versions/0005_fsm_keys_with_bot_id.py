"""FSM storage keys carry the bot's id (aiogram's key contract)

Keys were `fsm:<chat>[:<thread>]:<user>:<destiny>`; they become
`fsm:<bot>:<chat>[:<thread>]:<user>:<destiny>`, the layout of aiogram's DefaultKeyBuilder
with bot ids (business connections, which this bot does not serve, would follow the bot id).
Every stored key predates this revision, so each gets the bot id after `fsm:`. The bot id is
the number before the colon of BOT_TOKEN: the bot passes it; the alembic CLI reads BOT_TOKEN.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

fsm = sa.table("fsm_states", sa.column("key", sa.String))


def _bot_id() -> str | None:
    given = context.config.attributes.get("bot_id")
    if given is not None:
        return str(given)
    token = os.environ.get("BOT_TOKEN", "")
    prefix = token.split(":", 1)[0]
    return prefix if prefix.isdigit() else None


def upgrade() -> None:
    connection = op.get_bind()
    if connection.execute(sa.select(sa.func.count()).select_from(fsm)).scalar_one() == 0:
        return
    bot_id = _bot_id()
    if bot_id is None:
        raise RuntimeError("migration 0005 rewrites dialogue keys with the bot's id: set BOT_TOKEN")
    connection.execute(
        sa.update(fsm).values(key=sa.literal(f"fsm:{bot_id}:") + sa.func.substr(fsm.c.key, 5))
    )


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(fsm.c.key)).scalars().all()
    for key in rows:
        prefix, _bot, rest = key.split(":", 2)
        connection.execute(sa.update(fsm).where(fsm.c.key == key).values(key=f"{prefix}:{rest}"))
