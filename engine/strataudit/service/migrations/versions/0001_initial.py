"""The decision record: tokens, decisions with their files, reviews, waivers, revocations.

Every table refuses UPDATE in the database itself (a trigger on SQLite and on PostgreSQL), on
top of the store having no code that updates: the record is append-only. DELETE stays possible
for `strataudit decisions prune`, the one explicit retention command.

Revision ID: 0001
Revises:
Create Date: 2026-11-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    "tokens",
    "token_revocations",
    "decisions",
    "decision_files",
    "reviews",
    "waivers",
    "waiver_revocations",
)
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("hash", sa.String(300), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "token_revocations",
        sa.Column("token_id", sa.String(32), sa.ForeignKey("tokens.id"), primary_key=True),
        sa.Column("revoked_at", TZ, nullable=False),
        sa.Column("revoked_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "decisions",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        sa.Column("plan_id", sa.String(200), nullable=True),
        sa.Column("verdict", sa.String(10), nullable=False),
        sa.Column("submitter_id", sa.String(32), sa.ForeignKey("tokens.id"), nullable=False),
        sa.Column("submitter", sa.String(200), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("request_digest", sa.String(64), nullable=False),
        sa.Column("submitted_at", TZ, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("audit_ms", sa.Float, nullable=False),
        sa.Column("tool_version", sa.String(40), nullable=False),
        sa.Column("rules_version", sa.String(40), nullable=False),
        sa.Column("catalogue_digest", sa.String(64), nullable=False),
        sa.Column("options_digest", sa.String(64), nullable=False),
        sa.Column("options", sa.Text, nullable=False),
        sa.Column("waivers", sa.Text, nullable=False),
        sa.Column("report", sa.Text, nullable=False),
        sa.Column("plans_stored", sa.Boolean, nullable=False),
        sa.UniqueConstraint("submitter_id", "idempotency_key", name="uq_decisions_idempotency"),
    )
    op.create_index("ix_decisions_plan", "decisions", ["plan_id", "seq"])
    op.create_index("ix_decisions_submitted", "decisions", ["submitted_at"])
    op.create_table(
        "decision_files",
        sa.Column("decision_id", sa.String(36), sa.ForeignKey("decisions.id"), primary_key=True),
        sa.Column("name", sa.String(500), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=True),
    )
    op.create_table(
        "reviews",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        sa.Column("decision_id", sa.String(36), sa.ForeignKey("decisions.id"), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("reviewer_id", sa.String(32), sa.ForeignKey("tokens.id"), nullable=False),
        sa.Column("reviewer", sa.String(200), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_reviews_decision_id", "reviews", ["decision_id"])
    op.create_table(
        "waivers",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        sa.Column("plan_id", sa.String(200), nullable=False),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("entity", sa.String(200), nullable=True),
        sa.Column("path", sa.String(500), nullable=True),
        sa.Column("files", sa.String(500), nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("expires", sa.Date, nullable=False),
        sa.Column("granted_by_id", sa.String(32), sa.ForeignKey("tokens.id"), nullable=False),
        sa.Column("granted_by", sa.String(200), nullable=False),
        sa.Column("granted_at", TZ, nullable=False),
    )
    op.create_index("ix_waivers_plan_id", "waivers", ["plan_id"])
    op.create_table(
        "waiver_revocations",
        sa.Column("waiver_id", sa.String(36), sa.ForeignKey("waivers.id"), primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("revoked_by", sa.String(200), nullable=False),
        sa.Column("revoked_at", TZ, nullable=False),
    )
    for table in TABLES:
        _forbid_updates(table)


def _forbid_updates(table: str) -> None:
    """A trigger that aborts any UPDATE of `table`: the record is append-only."""
    name = f"{table}_append_only"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"RAISE EXCEPTION '{table} is append-only: rows are never updated'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} BEGIN "
            f"SELECT RAISE(ABORT, '{table} is append-only: rows are never updated'); END"
        )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in reversed(TABLES):
        op.drop_table(table)
        if postgres:
            op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
