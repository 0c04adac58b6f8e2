"""Alembic's environment: migrations run on the connection the caller hands over.

`store.migrate` passes a connection in `config.attributes["connection"]`, so the service, the
CLI and the tests migrate the same way, and no `alembic.ini` is needed (the scripts ship inside
the package). On PostgreSQL an advisory lock serialises replicas that start together.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from strataudit.service.tables import metadata

MIGRATION_LOCK = 0x5A7A_0D17  # any constant: the key of the advisory lock

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
if connection.dialect.name == "postgresql":
    connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
with context.begin_transaction():
    context.run_migrations()
