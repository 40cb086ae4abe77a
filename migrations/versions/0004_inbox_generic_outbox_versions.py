"""inbox, generic outbox calls, appeal versions and search text

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("lane", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("flood_key", sa.String(length=80), nullable=True),
        sa.Column("flood", sa.String(length=10), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_inbox")),
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.create_index("ix_inbox_lane_state", ["lane", "state", "update_id"], unique=False)
        batch_op.create_index("ix_inbox_lane_received", ["lane", "received_at"], unique=False)
        batch_op.create_index("ix_inbox_state_received", ["state", "received_at"], unique=False)

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("method", sa.String(length=40), nullable=False, server_default="sendMessage")
        )
        batch_op.add_column(sa.Column("place", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("after", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("result_message_id", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("relayed_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outbox_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_relayed_messages_outbox_id"), ["outbox_id"], unique=False
        )

    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))

    _convert_outbox_payloads()
    _fill_search_text()


def _convert_outbox_payloads() -> None:
    """Rows still to send had {text, reply_markup, document}: make them Bot API calls."""
    bind = op.get_bind()
    outbox = sa.table(
        "outbox",
        sa.column("id", sa.Integer()),
        sa.column("state", sa.String()),
        sa.column("method", sa.String()),
        sa.column("payload", sa.JSON()),
    )
    rows = bind.execute(
        sa.select(outbox.c.id, outbox.c.payload).where(outbox.c.state.in_(["pending", "failed"]))
    ).all()
    for row_id, payload in rows:
        method, params = _as_call(dict(payload or {}))
        bind.execute(
            outbox.update().where(outbox.c.id == row_id).values(method=method, payload=params)
        )


def _as_call(payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {"parse_mode": "HTML"}
    if payload.get("reply_markup") is not None:
        params["reply_markup"] = payload["reply_markup"]
    document = payload.get("document")
    if document is None:
        params["text"] = str(payload.get("text", ""))
        return "sendMessage", params
    params["document"] = {"$file": {"name": document["name"], "data_b64": document["data_b64"]}}
    if payload.get("text"):
        params["caption"] = str(payload["text"])
    return "sendDocument", params


def _fill_search_text() -> None:
    bind = op.get_bind()
    appeals = sa.table(
        "appeals",
        sa.column("id", sa.Integer()),
        sa.column("number", sa.String()),
        sa.column("applicant_name", sa.String()),
        sa.column("applicant_company", sa.String()),
        sa.column("applicant_iin_bin", sa.String()),
        sa.column("body", sa.String()),
        sa.column("description", sa.Text()),
        sa.column("search_text", sa.Text()),
    )
    rows = bind.execute(
        sa.select(
            appeals.c.id,
            appeals.c.number,
            appeals.c.applicant_name,
            appeals.c.applicant_company,
            appeals.c.applicant_iin_bin,
            appeals.c.body,
            appeals.c.description,
        )
    ).all()
    for row_id, *parts in rows:
        text = "\n".join(str(part).casefold() for part in parts if part)
        bind.execute(appeals.update().where(appeals.c.id == row_id).values(search_text=text))


def downgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_column("version")
        batch_op.drop_column("search_text")

    with op.batch_alter_table("relayed_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relayed_messages_outbox_id"))
        batch_op.drop_column("outbox_id")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("result_message_id")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("after")
        batch_op.drop_column("place")
        batch_op.drop_column("method")

    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_state_received")
        batch_op.drop_index("ix_inbox_lane_received")
        batch_op.drop_index("ix_inbox_lane_state")

    op.drop_table("inbox")
