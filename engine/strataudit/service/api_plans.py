"""`/v1/plans/{plan_id}`: a plan's history of decisions, and the waivers granted for it.

A waiver is granted by a reviewer with the fields of `strataudit.yaml`'s `waivers:` (rule,
entity or path, files, reason, expires); its owner is the granting token. Its length is capped
by `--max-waiver-days`. Later audits of the plan apply it; revoking is a new record, and a
revoked waiver is no longer given to audits.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from strataudit.service import decisions
from strataudit.service.auth import Principal, require
from strataudit.service.problems import Problem
from strataudit.service.runtime import runtime, today

router = APIRouter(prefix="/v1/plans", tags=["plans"])
NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


@router.get("/{plan_id}/audits", summary="The plan's decisions, newest first, with changes")
def plan_history(
    request: Request,
    plan_id: str,
    caller: Annotated[Principal, Depends(require("read"))],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[int | None, Query(description="cursor: `next` of the last page")] = None,
) -> dict[str, Any]:
    """Each decision lists the findings `new` and `resolved` against the plan's previous
    decision (by fingerprint). A submitter sees the history of its own submissions."""
    rt = runtime(request)
    own = None if caller.may("read_all") else caller.token_id
    rows = rt.store.decisions(plan_id, own, limit + 1, before)
    shown = decisions.history(rows, limit)
    cursor = rows[limit - 1]["seq"] if len(rows) > limit else None
    return {"plan_id": plan_id, "decisions": shown, "next": cursor}


class WaiverBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9]*[0-9]{3}$")]
    entity: NonBlank | None = None
    path: NonBlank | None = None
    files: NonBlank | None = None
    reason: NonBlank
    expires: datetime.date = Field(description="its last valid day (YYYY-MM-DD)")


class RevokeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: NonBlank


@router.post("/{plan_id}/waivers", status_code=201, summary="Grant a waiver for the plan")
def grant_waiver(
    request: Request,
    plan_id: str,
    body: WaiverBody,
    caller: Annotated[Principal, Depends(require("waive"))],
) -> dict[str, Any]:
    rt = runtime(request)
    rule = body.rule.upper()
    if rule not in rt.rule_ids:
        raise Problem("validation-error", f"no rule `{rule}` in the catalogue")
    if body.entity and body.path:
        raise Problem("validation-error", "a waiver names an `entity` or a `path`, not both")
    first, last = today(), today() + datetime.timedelta(days=rt.settings.max_waiver_days)
    if not first <= body.expires <= last:
        raise Problem(
            "validation-error",
            f"`expires` must be between {first} and {last} "
            f"(at most {rt.settings.max_waiver_days} days, set by --max-waiver-days)",
        )
    fields = {**body.model_dump(), "rule": rule}
    return decisions.waiver_view(
        {**rt.store.add_waiver(plan_id, fields, caller), "revoked_at": None}
    )


@router.get("/{plan_id}/waivers", summary="The plan's waivers, with their revocations")
def list_waivers(
    request: Request, plan_id: str, caller: Annotated[Principal, Depends(require("read"))]
) -> dict[str, Any]:
    rows = runtime(request).store.waivers(plan_id)
    return {"plan_id": plan_id, "waivers": [decisions.waiver_view(r) for r in rows]}


@router.post("/{plan_id}/waivers/{waiver_id}/revoke", status_code=201, summary="Revoke a waiver")
def revoke_waiver(
    request: Request,
    plan_id: str,
    waiver_id: str,
    body: RevokeBody,
    caller: Annotated[Principal, Depends(require("waive"))],
) -> dict[str, Any]:
    rt = runtime(request)
    row = rt.store.waiver(waiver_id)
    if row is None or row["plan_id"] != plan_id:
        raise Problem("not-found", f"no waiver {waiver_id} for plan {plan_id}")
    if not rt.store.revoke_waiver(waiver_id, body.reason, caller.name):
        raise Problem("conflict", f"waiver {waiver_id} is already revoked")
    found = next(r for r in rt.store.waivers(plan_id) if r["id"] == waiver_id)
    return decisions.waiver_view(found)
