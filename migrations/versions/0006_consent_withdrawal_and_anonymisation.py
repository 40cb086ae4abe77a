"""consent withdrawal and anonymisation of appeals past their retention

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("consent_withdrawn_at", sa.DateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_appeals_anonymised_at"), ["anonymised_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeals_anonymised_at"))
        batch_op.drop_column("anonymised_at")

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("consent_withdrawn_at")
