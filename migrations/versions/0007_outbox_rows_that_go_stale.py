"""outbox rows that go stale: a time after which, or an appeal status outside which, a
queued push is cancelled instead of sent

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stale_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("while_status", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("while_status")
        batch_op.drop_column("stale_at")
