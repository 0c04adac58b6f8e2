"""What every route shares for the app's lifetime: settings, record, workers, metrics, auth.

Built by the app's lifespan (`app.py`) and read by routes with `runtime(request)`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from fastapi import Request

from strataudit.results import Waiver
from strataudit.service.auth import Authenticator
from strataudit.service.metrics import Metrics
from strataudit.service.pool import WorkerPool
from strataudit.service.settings import Settings
from strataudit.service.store import Store


@dataclass
class Runtime:
    """The app's long-lived parts."""

    settings: Settings
    store: Store
    pool: WorkerPool
    metrics: Metrics
    auth: Authenticator
    rule_ids: frozenset[str]  #: the built-in catalogue's rule ids (waivers name one)


def runtime(request: Request) -> Runtime:
    found: Runtime = request.app.state.runtime
    return found


def today() -> datetime.date:
    """The service's "today" (UTC): the day waivers are judged on and expiries counted from."""
    return datetime.datetime.now(datetime.UTC).date()


def live_waivers(store: Store, plan_id: str) -> tuple[Waiver, ...]:
    """The plan's waivers that are not revoked, as the run takes them (an expired one is
    given too: the report says it expired, and the gate counts its finding again)."""
    return tuple(
        Waiver(
            rule=row["rule"],
            reason=row["reason"],
            owner=row["granted_by"],
            expires=row["expires"],
            entity=row["entity"],
            path=row["path"],
            files=row["files"],
            source=f"waiver:{row['id']}",
        )
        for row in store.waivers(plan_id)
        if row["revoked_at"] is None
    )
