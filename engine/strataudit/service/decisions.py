"""A stored decision as the API shows it, and what changed between two decisions of a plan.

The view is computed from the stored row (the report JSON is stored as the worker produced it),
so `POST` and every later `GET` answer the same document. `findings`, `errors`, `summary` and
`reasons` are the JSON report contract's, unchanged; the full contract document is the
`json` report (`/v1/audits/{id}/report?format=json`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

Row = Mapping[Any, Any]  # a row of the record (SQLAlchemy's RowMapping) or a dict

STATUS = {"pass": 201, "fail": 201, "error": 422}  # a plan that cannot be read: 422, recorded


def _iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z") if value.tzinfo else value.isoformat() + "Z"


def view(row: Row, files: Sequence[Row]) -> dict[str, Any]:
    """The decision document of `/v1/audits/{id}`."""
    report = json.loads(row["report"])
    waivers = json.loads(row["waivers"])
    applied = {
        f["waived"]["source"]
        for f in report["findings"]
        if f.get("waived") and f["waived"].get("source")
    }
    return {
        "id": row["id"],
        "plan_id": row["plan_id"],
        "verdict": row["verdict"],
        "submitted_at": _iso(row["submitted_at"]),
        "submitter": row["submitter"],
        "duration_ms": round(row["duration_ms"], 2),
        "audit_ms": round(row["audit_ms"], 2),
        "as_of": row["as_of"].isoformat(),
        "tool_version": row["tool_version"],
        "rules_version": row["rules_version"],
        "catalogue_digest": row["catalogue_digest"],
        "options_digest": row["options_digest"],
        "options": json.loads(row["options"]),
        "files": [
            {
                "name": f["name"],
                "sha256": f["sha256"],
                "size": f["size"],
                "stored": bool(f["stored"]),
            }
            for f in files
        ],
        "waivers_applied": [w for w in waivers if w["source"] in applied],
        "reasons": report["reasons"],
        "summary": report["summary"],
        "errors": report["errors"],
        "findings": report["findings"],
        "links": {
            "self": f"/v1/audits/{row['id']}",
            "report": f"/v1/audits/{row['id']}/report?format=json",
            "reviews": f"/v1/audits/{row['id']}/reviews",
            **({"plan": f"/v1/plans/{row['plan_id']}/audits"} if row["plan_id"] else {}),
        },
    }


def summary(row: Row) -> dict[str, Any]:
    """One decision in a list: who, when, what verdict (no findings)."""
    report = json.loads(row["report"])
    return {
        "id": row["id"],
        "plan_id": row["plan_id"],
        "verdict": row["verdict"],
        "submitted_at": _iso(row["submitted_at"]),
        "submitter": row["submitter"],
        "summary": report["summary"],
        "links": {"self": f"/v1/audits/{row['id']}"},
    }


def history(rows: Sequence[Row], limit: int) -> list[dict[str, Any]]:
    """Newest first, each with the findings `new` and `resolved` against the decision before
    it (by fingerprint). `rows` holds up to `limit + 1` decisions: the last one is only the
    previous decision of the oldest shown. The oldest decision of a plan has all its findings
    new."""
    out = []
    for i, row in enumerate(rows[:limit]):
        findings = json.loads(row["report"])["findings"]
        before = json.loads(rows[i + 1]["report"])["findings"] if i + 1 < len(rows) else []
        now_keys = {f["fingerprint"] for f in findings}
        old_keys = {f["fingerprint"] for f in before}
        out.append(
            {
                **summary(row),
                "previous": rows[i + 1]["id"] if i + 1 < len(rows) else None,
                "new": [f for f in findings if f["fingerprint"] not in old_keys],
                "resolved": [f for f in before if f["fingerprint"] not in now_keys],
            }
        )
    return out


def waiver_view(row: Row) -> dict[str, Any]:
    """A waiver grant with its revocation, if any."""
    revoked = row.get("revoked_at")
    return {
        "id": row["id"],
        "plan_id": row["plan_id"],
        "rule": row["rule"],
        "entity": row["entity"],
        "path": row["path"],
        "files": row["files"],
        "reason": row["reason"],
        "expires": row["expires"].isoformat(),
        "granted_by": row["granted_by"],
        "granted_at": _iso(row["granted_at"]),
        "revoked": (
            {"at": _iso(revoked), "by": row["revoked_by"], "reason": row["revoke_reason"]}
            if revoked is not None
            else None
        ),
    }


def review_view(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "decision_id": row["decision_id"],
        "outcome": row["outcome"],
        "comment": row["comment"],
        "reviewer": row["reviewer"],
        "created_at": _iso(row["created_at"]),
    }
