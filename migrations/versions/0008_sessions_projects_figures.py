"""sessions with an agenda (every hearing becomes a session with one item), investment
projects, appeals' answer time and project link, the audit of registers taken out

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "office_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=500), nullable=False),
        sa.Column("online_link", sa.String(length=500), nullable=True),
        sa.Column("invited", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("revision", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_sessions")),
    )
    op.create_index(
        "ix_office_sessions_state_starts", "office_sessions", ["state", "starts_at"], unique=False
    )
    op.create_table(
        "investment_projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("company", sa.String(length=300), nullable=False),
        sa.Column("bin", sa.String(length=12), nullable=False),
        sa.Column("project", sa.Text(), nullable=False),
        sa.Column("industry", sa.String(length=200), nullable=False),
        sa.Column("locality", sa.String(length=200), nullable=False),
        sa.Column("amount_tenge", sa.BigInteger(), nullable=False),
        sa.Column("jobs", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("needs", sa.Text(), nullable=False),
        sa.Column("bodies", sa.Text(), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_phone", sa.String(length=16), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("agreement_date", sa.Date(), nullable=True),
        sa.Column("agreement_number", sa.String(length=50), nullable=True),
        sa.Column("agreement_amount", sa.BigInteger(), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("topic_id", sa.Integer(), nullable=True),
        sa.Column("card_message_id", sa.Integer(), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_investment_projects_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investment_projects")),
        sa.UniqueConstraint("number", name=op.f("uq_investment_projects_number")),
    )
    op.create_index("ix_investment_projects_user", "investment_projects", ["user_id", "created_at"])
    op.create_index(
        "ix_investment_projects_agreement", "investment_projects", ["status", "agreement_date"]
    )
    op.create_table(
        "project_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor_kind", sa.String(length=10), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=True),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["investment_projects.id"],
            name=op.f("fk_project_events_project_id_investment_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_events")),
    )
    op.create_index(
        op.f("ix_project_events_project_id"), "project_events", ["project_id"], unique=False
    )
    op.create_table(
        "project_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_project_counters")),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_created_at"), "audit_events", ["created_at"])

    with op.batch_alter_table("hearings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("position", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("owner_attended", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("official_attended", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("decision", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_hearings_session_id"), ["session_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_hearings_session_id_office_sessions"),
            "office_sessions",
            ["session_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("project_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_appeals_project_id"), ["project_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_appeals_project_id_investment_projects"),
            "investment_projects",
            ["project_id"],
            ["id"],
            ondelete="SET NULL",
        )

    # Every hearing held, set or cancelled so far becomes a session with that one item.
    bind = op.get_bind()
    hearings = sa.table(
        "hearings",
        sa.column("id", sa.Integer),
        sa.column("session_id", sa.Integer),
        sa.column("starts_at", sa.DateTime(timezone=True)),
        sa.column("place", sa.String),
        sa.column("state", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    sessions = sa.table(
        "office_sessions",
        sa.column("id", sa.Integer),
        sa.column("starts_at", sa.DateTime(timezone=True)),
        sa.column("place", sa.String),
        sa.column("state", sa.String),
        sa.column("revision", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    rows = bind.execute(sa.select(hearings).order_by(hearings.c.id)).all()
    for row in rows:
        session_id = bind.execute(
            sa.insert(sessions)
            .values(
                starts_at=row.starts_at,
                place=row.place,
                state=row.state,
                revision=1,
                created_at=row.created_at,
                updated_at=row.updated_at,
            )
            .returning(sessions.c.id)
        ).scalar_one()
        bind.execute(
            sa.update(hearings).where(hearings.c.id == row.id).values(session_id=session_id)
        )

    # The answer time of appeals answered so far: their first change to an answer status.
    op.execute(
        sa.text(
            "UPDATE appeals SET answered_at = (SELECT min(e.created_at) FROM appeal_events e "
            "WHERE e.appeal_id = appeals.id AND e.kind = 'status' AND e.to_status IN "
            "('answered', 'redirected', 'not_considered'))"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_appeals_project_id_investment_projects"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_appeals_project_id"))
        batch_op.drop_column("project_id")
        batch_op.drop_column("answered_at")
    with op.batch_alter_table("hearings", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_hearings_session_id_office_sessions"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_hearings_session_id"))
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decision")
        batch_op.drop_column("official_attended")
        batch_op.drop_column("owner_attended")
        batch_op.drop_column("position")
        batch_op.drop_column("session_id")
    op.drop_index(op.f("ix_audit_events_created_at"), table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_table("project_counters")
    op.drop_index(op.f("ix_project_events_project_id"), table_name="project_events")
    op.drop_table("project_events")
    op.drop_index("ix_investment_projects_agreement", table_name="investment_projects")
    op.drop_index("ix_investment_projects_user", table_name="investment_projects")
    op.drop_table("investment_projects")
    op.drop_index("ix_office_sessions_state_starts", table_name="office_sessions")
    op.drop_table("office_sessions")
