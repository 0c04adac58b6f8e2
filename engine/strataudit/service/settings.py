"""What the operator sets: one frozen value built by `strataudit serve` from flags and env.

Every field has a flag and an environment variable (`STRATAUDIT_<FIELD>`, see cli.py), so a
container sets the environment and a developer types flags; the defaults start a working
service on a fresh machine with nothing else installed (SQLite in the working directory).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DATABASE = "sqlite:///strataudit.db"
MiB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """The service's configuration."""

    database_url: str = DEFAULT_DATABASE  #: any SQLAlchemy 2 URL; PostgreSQL for replicas
    host: str = "127.0.0.1"  #: where uvicorn listens
    port: int = 8080  #: and on which port
    workers: int = max(1, min(4, os.cpu_count() or 1))  #: audit worker processes
    audit_timeout: float = 30.0  #: seconds one audit may run before its worker is stopped
    max_body: int = 5 * MiB  #: request bodies above this are refused (413) before parsing
    max_waiver_days: int = 365  #: the longest waiver a reviewer may grant
    store_plans: bool = True  #: keep the submitted bytes (off: digests and findings only)
    queue_limit: int = 256  #: audits waiting for a worker beyond this get 503 at once
    log_level: str = "info"  #: uvicorn's and the access log's level
