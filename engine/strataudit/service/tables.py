"""The decision record's tables (SQLAlchemy Core), the one description of the schema in code.

The migrations in `migrations/versions/` create exactly these tables (a test compares the
migrated schema with this metadata). Every table is append-only: rows are inserted, never
updated; a revocation is a row of its own. JSON documents are stored as text so that SQLite
and PostgreSQL hold the same bytes, and a decision's JSON is exactly what the API answered.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

tokens = Table(
    "tokens",
    metadata,
    Column("id", String(32), primary_key=True),  # the public part of the token
    Column("name", String(200), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("hash", String(300), nullable=False),  # scrypt$n$r$p$salt$digest (auth.py)
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
)

token_revocations = Table(
    "token_revocations",
    metadata,
    Column("token_id", String(32), ForeignKey("tokens.id"), primary_key=True),
    Column("revoked_at", DateTime(timezone=True), nullable=False),
    Column("revoked_by", String(200), nullable=False),
)

decisions = Table(
    "decisions",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),  # insertion order
    Column("id", String(36), nullable=False, unique=True),  # the public UUID
    Column("plan_id", String(200), nullable=True),  # None when the plan could not be read
    Column("verdict", String(10), nullable=False),  # pass | fail | error
    Column("submitter_id", String(32), ForeignKey("tokens.id"), nullable=False),
    Column("submitter", String(200), nullable=False),
    Column("idempotency_key", String(200), nullable=True),
    Column("request_digest", String(64), nullable=False),  # sha256 of the request
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("duration_ms", Float, nullable=False),  # request received -> decision ready
    Column("audit_ms", Float, nullable=False),  # the run in the worker
    Column("tool_version", String(40), nullable=False),
    Column("rules_version", String(40), nullable=False),
    Column("catalogue_digest", String(64), nullable=False),
    Column("options_digest", String(64), nullable=False),
    Column("options", Text, nullable=False),  # JSON: fail_on, select, ignore, severity
    Column("waivers", Text, nullable=False),  # JSON: every waiver given to the run
    Column("report", Text, nullable=False),  # JSON: the report contract's document
    Column("plans_stored", Boolean, nullable=False),
    UniqueConstraint("submitter_id", "idempotency_key", name="uq_decisions_idempotency"),
    Index("ix_decisions_plan", "plan_id", "seq"),
    Index("ix_decisions_submitted", "submitted_at"),
)

decision_files = Table(
    "decision_files",
    metadata,
    Column("decision_id", String(36), ForeignKey("decisions.id"), primary_key=True),
    Column("name", String(500), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("content", LargeBinary, nullable=True),  # None with --no-store-plans
)

reviews = Table(
    "reviews",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("decision_id", String(36), ForeignKey("decisions.id"), nullable=False, index=True),
    Column("outcome", String(20), nullable=False),  # approved | rejected | changes_requested
    Column("comment", Text, nullable=False),
    Column("reviewer_id", String(32), ForeignKey("tokens.id"), nullable=False),
    Column("reviewer", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

waivers = Table(
    "waivers",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("plan_id", String(200), nullable=False, index=True),
    Column("rule", String(40), nullable=False),
    Column("entity", String(200), nullable=True),
    Column("path", String(500), nullable=True),
    Column("files", String(500), nullable=True),
    Column("reason", Text, nullable=False),
    Column("expires", Date, nullable=False),
    Column("granted_by_id", String(32), ForeignKey("tokens.id"), nullable=False),
    Column("granted_by", String(200), nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False),
)

waiver_revocations = Table(
    "waiver_revocations",
    metadata,
    Column("waiver_id", String(36), ForeignKey("waivers.id"), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("revoked_by", String(200), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=False),
)

#: every table, for the append-only triggers of the migration
APPEND_ONLY = tuple(metadata.tables)
