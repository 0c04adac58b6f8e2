"""`strataudit decisions verify`: re-audit stored decisions and report any that would differ.

A decision is replayed from its stored bytes under its recorded options, waivers and day
(`as_of`), in this process. It *differs* when the verdict or the findings (fingerprint and
state) are not those recorded, while the catalogue digest is the same: the same rules gave
another answer. A replay under a changed catalogue is reported as such, not as a difference
(new rules may rightly decide otherwise). The stored bytes are checked against their recorded
sha256 first: a mismatch means the record was altered.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import RowMapping

from strataudit.service import job as jobs
from strataudit.service.pool import JobProblem
from strataudit.service.problems import Problem
from strataudit.service.store import Store


@dataclass(frozen=True)
class Replay:
    """The outcome of replaying one decision."""

    decision_id: str
    status: str  #: same | differs | tampered | rules-changed | not-stored | failed
    detail: str = ""

    @property
    def bad(self) -> bool:
        return self.status in ("differs", "tampered", "failed")


def _findings(report: dict[str, object]) -> list[tuple[str, str]]:
    found = report["findings"]
    assert isinstance(found, list)
    return sorted((f["fingerprint"], f["state"]) for f in found)


def replay(store: Store, row: RowMapping) -> Replay:
    """Replay one decision row."""
    decision_id: str = row["id"]
    stored = store.files(decision_id, content=True)
    if any(f["content"] is None for f in stored):
        return Replay(decision_id, "not-stored", "recorded with --no-store-plans")
    for f in stored:
        if hashlib.sha256(f["content"]).hexdigest() != f["sha256"]:
            return Replay(decision_id, "tampered", f"{f['name']}: bytes do not match sha256")
    try:
        outcome = jobs.audit(jobs.replay_job(row, stored))
    except (Problem, JobProblem) as exc:
        return Replay(decision_id, "failed", str(exc))
    if outcome.catalogue_digest != row["catalogue_digest"]:
        return Replay(decision_id, "rules-changed", "the catalogue differs from the recorded one")
    recorded = json.loads(row["report"])
    if outcome.verdict != row["verdict"]:
        verdicts = f"{row['verdict']} -> {outcome.verdict}"
        return Replay(decision_id, "differs", f"verdict {verdicts}")
    if _findings(outcome.report) != _findings(recorded):
        return Replay(decision_id, "differs", "the findings differ")
    return Replay(decision_id, "same")


def verify(
    store: Store, since: datetime.datetime | None = None, ids: tuple[str, ...] = ()
) -> Iterator[Replay]:
    """Replay the decisions named, or every decision (since `since`), newest first."""
    if ids:
        for decision_id in ids:
            row = store.decision(decision_id)
            yield replay(store, row) if row else Replay(decision_id, "failed", "no such decision")
        return
    before = None
    while True:
        rows = store.decisions(limit=200, before=before, since=since)
        for row in rows:
            yield replay(store, row)
        if len(rows) < 200:
            return
        before = rows[-1]["seq"]
