"""The record's only reader and writer: SQLAlchemy 2 Core on SQLite or PostgreSQL.

Append-only by construction: this module has inserts and selects, and one delete (`prune`,
the explicit retention command); the migration's triggers refuse any UPDATE besides. A
decision is inserted with its files in one transaction, so it is in the record whole or not at
all. Idempotency rests on the unique constraint (submitter, key): of two concurrent inserts one
wins and the other reads the winner, with no read-then-write race.

Rows come back as SQLAlchemy `RowMapping`s, read-only mappings keyed by column name.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, RowMapping, create_engine, delete, event, func, insert, select
from sqlalchemy.exc import IntegrityError

from strataudit.service import tables as t

MIGRATIONS = Path(__file__).parent / "migrations"


def now() -> datetime.datetime:
    """The record's clock: aware UTC, so both backends store the same instant."""
    return datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True)
class StoredFile:
    """One submitted file: its name in the bundle, digest, size and (optionally) bytes."""

    name: str
    sha256: str
    size: int
    content: bytes | None


@dataclass(frozen=True)
class NewDecision:
    """A decision as it is inserted (the columns of `tables.decisions` but `seq`)."""

    id: str
    plan_id: str | None
    verdict: str
    submitter_id: str
    submitter: str
    idempotency_key: str | None
    request_digest: str
    submitted_at: datetime.datetime
    as_of: datetime.date
    duration_ms: float
    audit_ms: float
    tool_version: str
    rules_version: str
    catalogue_digest: str
    options_digest: str
    options: str
    waivers: str
    report: str
    plans_stored: bool


def _sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
    """WAL lets readers go on during a write; the busy timeout queues concurrent writers."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # NORMAL: in WAL mode a commit survives the process's death (kill -9), not a power cut;
    # an operator who needs that runs PostgreSQL (docs/service.md)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Store:
    """The decision record behind one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)

    def migrate(self) -> None:
        """Create or upgrade the schema with the packaged Alembic migrations."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def ping(self) -> None:
        """Raise unless the database answers."""
        with self.engine.connect() as connection:
            connection.execute(select(1))

    def close(self) -> None:
        self.engine.dispose()

    # -- tokens ---------------------------------------------------------------------------
    def add_token(self, token_id: str, name: str, role: str, hashed: str, by: str) -> None:
        row = {"id": token_id, "name": name, "role": role, "hash": hashed}
        with self.engine.begin() as c:
            c.execute(insert(t.tokens).values(**row, created_at=now(), created_by=by))

    def token(self, token_id: str) -> RowMapping | None:
        """The token's row with `revoked_at` (None while it is live)."""
        query = (
            select(t.tokens, t.token_revocations.c.revoked_at, t.token_revocations.c.revoked_by)
            .outerjoin(t.token_revocations)
            .where(t.tokens.c.id == token_id)
        )
        with self.engine.connect() as c:
            return c.execute(query).mappings().first()

    def tokens(self) -> Sequence[RowMapping]:
        query = (
            select(t.tokens, t.token_revocations.c.revoked_at, t.token_revocations.c.revoked_by)
            .outerjoin(t.token_revocations)
            .order_by(t.tokens.c.created_at)
        )
        with self.engine.connect() as c:
            return c.execute(query).mappings().all()

    def revoke_token(self, token_id: str, by: str) -> bool:
        """Record the revocation; False when the token is unknown or already revoked."""
        try:
            with self.engine.begin() as c:
                values = {"token_id": token_id, "revoked_at": now(), "revoked_by": by}
                c.execute(insert(t.token_revocations).values(**values))
        except IntegrityError:
            return False
        return True

    # -- decisions ------------------------------------------------------------------------
    def add_decision(self, decision: NewDecision, files: Sequence[StoredFile]) -> RowMapping | None:
        """Insert the decision and its files in one transaction: None. When the submitter
        already used its idempotency key: the first decision, and nothing is inserted."""
        try:
            with self.engine.begin() as c:
                c.execute(insert(t.decisions).values(**asdict(decision)))
                if files:
                    rows = [{"decision_id": decision.id, **asdict(f)} for f in files]
                    c.execute(insert(t.decision_files), rows)
        except IntegrityError:
            if decision.idempotency_key is None:
                raise
            first = self.decision_by_key(decision.submitter_id, decision.idempotency_key)
            if first is None:
                raise
            return first
        return None

    def decision(self, decision_id: str) -> RowMapping | None:
        with self.engine.connect() as c:
            query = select(t.decisions).where(t.decisions.c.id == decision_id)
            return c.execute(query).mappings().first()

    def decision_by_key(self, submitter_id: str, key: str) -> RowMapping | None:
        query = select(t.decisions).where(
            t.decisions.c.submitter_id == submitter_id, t.decisions.c.idempotency_key == key
        )
        with self.engine.connect() as c:
            return c.execute(query).mappings().first()

    def decisions(
        self,
        plan_id: str | None = None,
        submitter_id: str | None = None,
        limit: int = 50,
        before: int | None = None,
        since: datetime.datetime | None = None,
    ) -> Sequence[RowMapping]:
        """Newest first; `before` is a `seq` cursor (the last page's smallest)."""
        d = t.decisions.c
        query = select(t.decisions).order_by(d.seq.desc()).limit(limit)
        if plan_id is not None:
            query = query.where(d.plan_id == plan_id)
        if submitter_id is not None:
            query = query.where(d.submitter_id == submitter_id)
        if before is not None:
            query = query.where(d.seq < before)
        if since is not None:
            query = query.where(d.submitted_at >= since)
        with self.engine.connect() as c:
            return c.execute(query).mappings().all()

    def files(self, decision_id: str, content: bool = False) -> Sequence[RowMapping]:
        f = t.decision_files.c
        stored = f.content.is_not(None).label("stored")
        columns = [f.name, f.sha256, f.size, stored, *([f.content] if content else [])]
        query = select(*columns).where(f.decision_id == decision_id).order_by(f.name)
        with self.engine.connect() as c:
            return c.execute(query).mappings().all()

    def count_decisions(self, before: datetime.datetime | None = None) -> int:
        """How many decisions the record holds (submitted before `before`)."""
        query = select(func.count()).select_from(t.decisions)
        if before is not None:
            query = query.where(t.decisions.c.submitted_at < before)
        with self.engine.connect() as c:
            return int(c.execute(query).scalar_one())

    def prune(self, before: datetime.datetime) -> int:
        """Delete the decisions submitted before `before`, with their files and reviews."""
        old = select(t.decisions.c.id).where(t.decisions.c.submitted_at < before)
        with self.engine.begin() as c:
            c.execute(delete(t.decision_files).where(t.decision_files.c.decision_id.in_(old)))
            c.execute(delete(t.reviews).where(t.reviews.c.decision_id.in_(old)))
            return c.execute(
                delete(t.decisions).where(t.decisions.c.submitted_at < before)
            ).rowcount

    # -- reviews and waivers --------------------------------------------------------------
    def add_review(self, decision_id: str, outcome: str, comment: str, by: Any) -> RowMapping:
        row = {
            "id": str(uuid.uuid4()),
            "decision_id": decision_id,
            "outcome": outcome,
            "comment": comment,
            "reviewer_id": by.token_id,
            "reviewer": by.name,
            "created_at": now(),
        }
        with self.engine.begin() as c:
            c.execute(insert(t.reviews).values(**row))
        return self._one(t.reviews, row["id"])

    def reviews(self, decision_id: str) -> Sequence[RowMapping]:
        query = select(t.reviews).where(t.reviews.c.decision_id == decision_id)
        with self.engine.connect() as c:
            return c.execute(query.order_by(t.reviews.c.seq)).mappings().all()

    def add_waiver(self, plan_id: str, fields: dict[str, Any], by: Any) -> RowMapping:
        row = {
            "id": str(uuid.uuid4()),
            "plan_id": plan_id,
            **fields,
            "granted_by_id": by.token_id,
            "granted_by": by.name,
            "granted_at": now(),
        }
        with self.engine.begin() as c:
            c.execute(insert(t.waivers).values(**row))
        return self._one(t.waivers, row["id"])

    def revoke_waiver(self, waiver_id: str, reason: str, by: str) -> bool:
        """Record the revocation; False when it was already revoked."""
        values = {"waiver_id": waiver_id, "reason": reason, "revoked_by": by, "revoked_at": now()}
        try:
            with self.engine.begin() as c:
                c.execute(insert(t.waiver_revocations).values(**values))
        except IntegrityError:
            return False
        return True

    def waivers(self, plan_id: str) -> Sequence[RowMapping]:
        """The plan's waiver grants, oldest first, each with `revoked_at` (None: in force)."""
        r = t.waiver_revocations.c
        query = (
            select(t.waivers, r.revoked_at, r.revoked_by, r.reason.label("revoke_reason"))
            .outerjoin(t.waiver_revocations)
            .where(t.waivers.c.plan_id == plan_id)
            .order_by(t.waivers.c.seq)
        )
        with self.engine.connect() as c:
            return c.execute(query).mappings().all()

    def waiver(self, waiver_id: str) -> RowMapping | None:
        with self.engine.connect() as c:
            query = select(t.waivers).where(t.waivers.c.id == waiver_id)
            return c.execute(query).mappings().first()

    def _one(self, table: Any, row_id: str) -> RowMapping:
        with self.engine.connect() as c:
            return c.execute(select(table).where(table.c.id == row_id)).mappings().one()
