"""The record itself, without a server: the migrated schema, append-only, prune, verify.

On each backend (conftest.py's `database`): the packaged migrations build exactly the tables
of `tables.py`, the database refuses any UPDATE, and prune deletes only what it is told.
"""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError

from strataudit.service import tables
from strataudit.service.auth import Authenticator, create_token
from strataudit.service.problems import Problem
from strataudit.service.store import NewDecision, Store, StoredFile

from .conftest import cli


@pytest.fixture(scope="module")
def store(database: str) -> Any:
    record = Store(database)
    record.migrate()
    record.migrate()  # upgrading an up-to-date record does nothing
    yield record
    record.close()


def _decision(submitter: str, when: datetime.datetime, key: str | None = None) -> NewDecision:
    return NewDecision(
        id=str(uuid.uuid4()),
        plan_id="p",
        verdict="pass",
        submitter_id=submitter,
        submitter="wf",
        idempotency_key=key,
        request_digest="0" * 64,
        submitted_at=when,
        as_of=when.date(),
        duration_ms=1.0,
        audit_ms=1.0,
        tool_version="0",
        rules_version="1",
        catalogue_digest="0" * 64,
        options_digest="0" * 64,
        options="{}",
        waivers="[]",
        report=json.dumps({"findings": []}),
        plans_stored=True,
    )


def test_the_migrations_build_the_tables(store: Store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with store.engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c), tables.metadata)
    assert diff == []


def test_rows_are_never_updated(store: Store) -> None:
    token_id, token = create_token(store, f"t-{uuid.uuid4().hex[:6]}", "submitter", "test")
    now = datetime.datetime.now(datetime.UTC)
    decision = _decision(token_id, now)
    assert store.add_decision(decision, [StoredFile("a.yaml", "0" * 64, 1, b"x")]) is None
    for table, column in (
        (tables.decisions, "verdict"),
        (tables.tokens, "role"),
        (tables.decision_files, "sha256"),
    ):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as c:
            c.execute(update(table).values({column: "admin"}))
    assert store.decision(decision.id)["verdict"] == "pass"
    assert Authenticator(store).principal(f"Bearer {token}").role == "submitter"
    store.revoke_token(token_id, "test")
    with pytest.raises(Problem):
        Authenticator(store).principal(f"Bearer {token}")


def test_an_idempotency_key_is_one_decision(store: Store) -> None:
    token_id, _ = create_token(store, f"t-{uuid.uuid4().hex[:6]}", "submitter", "test")
    now = datetime.datetime.now(datetime.UTC)
    first = _decision(token_id, now, key="k")
    assert store.add_decision(first, []) is None
    again = store.add_decision(_decision(token_id, now, key="k"), [])
    assert again is not None and again["id"] == first.id
    assert len(store.decisions(submitter_id=token_id)) == 1


def test_prune_deletes_only_older_decisions(store: Store, database: str) -> None:
    token_id, _ = create_token(store, f"t-{uuid.uuid4().hex[:6]}", "submitter", "test")
    old = _decision(token_id, datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    new = _decision(token_id, datetime.datetime.now(datetime.UTC))
    for d in (old, new):
        store.add_decision(d, [StoredFile("a.yaml", "0" * 64, 1, b"x")])
    store.add_review(old.id, "rejected", "", type("P", (), {"token_id": token_id, "name": "r"})())
    dry = cli("decisions", "prune", "--before", "2021-01-01", database=database)
    assert dry.stdout.startswith("1 decisions before 2021-01-01 would be deleted")
    assert store.decision(old.id) is not None
    done = cli("decisions", "prune", "--before", "2021-01-01", "--yes", database=database)
    assert done.stdout.startswith("deleted 1 decisions")
    assert store.decision(old.id) is None and store.decision(new.id) is not None
    with store.engine.connect() as c:
        left = c.execute(
            text("SELECT count(*) FROM decision_files WHERE decision_id = :i"), {"i": old.id}
        )
        assert left.scalar_one() == 0


def test_tokens_cli(store: Store, database: str) -> None:
    name = f"cli-{uuid.uuid4().hex[:6]}"
    made = cli("tokens", "create", "--name", name, "--role", "reviewer", database=database)
    assert made.stdout.startswith("sat_") and "shown this once" in made.stderr
    twice = cli(
        "tokens", "create", "--name", name, "--role", "reviewer", database=database, check=False
    )
    assert twice.returncode == 2 and "already named" in twice.stderr
    listed = cli("tokens", "list", database=database).stdout
    assert name in listed and made.stdout.strip() not in listed
    token_id = made.stdout.split("_")[1]
    assert cli("tokens", "revoke", token_id, database=database).stdout.startswith("revoked")
    again = cli("tokens", "revoke", token_id, database=database, check=False)
    assert again.returncode == 2 and "already revoked" in again.stderr
