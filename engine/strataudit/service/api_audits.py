"""`/v1/audits`: submit a plan or bundle for a decision, read decisions, reports and reviews.

A submission is audited in a worker process and recorded before it is answered: 201 with the
decision (verdict pass or fail), or 422 with a decision of verdict `error` when the plan could
not be read. With `Idempotency-Key`, a retry answers the first decision (same status, header
`Idempotent-Replayed: true`), however many retries race.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import RowMapping
from starlette.concurrency import run_in_threadpool

from strataudit import RULES_VERSION, __version__
from strataudit.service import bundle as bundles
from strataudit.service import decisions
from strataudit.service.auth import Principal, require
from strataudit.service.job import AuditJob, AuditOutcome, replay_job
from strataudit.service.pool import AuditTimeout, JobProblem, Overloaded, WorkerLost
from strataudit.service.problems import Problem
from strataudit.service.runtime import Runtime, runtime, today
from strataudit.service.store import NewDecision, StoredFile, now

router = APIRouter(prefix="/v1/audits", tags=["audits"])
RETRY_AFTER = "2"  # seconds: a lost worker is replaced in about one
MEDIA = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "sarif": "application/sarif+json",
    "junit": "application/xml",
    "markdown": "text/markdown; charset=utf-8",
    "text": "text/plain; charset=utf-8",
}
Format = Literal["json", "html", "sarif", "junit", "markdown", "text"]


async def run_job(rt: Runtime, job: AuditJob, kind: str = "audit") -> AuditOutcome:
    """The job's outcome from a worker, or the problem the service answers instead."""
    retry = {"Retry-After": RETRY_AFTER}
    try:
        return await rt.pool.run(job, kind)
    except WorkerLost as exc:
        raise Problem("worker-lost", f"{exc}; nothing was recorded, retry", retry) from None
    except AuditTimeout as exc:
        raise Problem("audit-timeout", f"{exc}; nothing was recorded", retry) from None
    except Overloaded as exc:
        raise Problem("overloaded", f"{exc}; nothing was recorded, retry", retry) from None
    except JobProblem as exc:
        raise Problem(exc.slug, exc.detail, **exc.extra) from None


def _bundle(request: Request, body: bytes, query: dict[str, Any]) -> bundles.Bundle:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == bundles.BUNDLE_TYPE:
        return bundles.from_bundle(body)
    if media not in bundles.PLAN_TYPES:
        accepted = ", ".join([*bundles.PLAN_TYPES, bundles.BUNDLE_TYPE])
        raise Problem("unsupported-media-type", f"`{media or 'none'}`: send one of {accepted}")
    severity = {}
    for item in query["severity"]:
        rule, sep, level = item.partition(":")
        if not sep:
            raise Problem("invalid-options", f"severity `{item}`: write RULE:LEVEL")
        severity[rule.strip().upper()] = level.strip().lower()
    options = {
        "fail_on": query["fail_on"],
        "select": _split(query["select"]),
        "ignore": _split(query["ignore"]),
        "severity": severity,
    }
    try:
        parsed = bundles.GateOptions.model_validate(options)
    except ValueError as exc:
        raise Problem("invalid-options", str(exc).splitlines()[0]) from None
    return bundles.from_plan(body, media, query["name"], parsed)


def _split(values: list[str]) -> tuple[str, ...]:
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


def _answer(
    rt: Runtime, row: decisions.Row, files: Any = None, replayed: bool = False
) -> JSONResponse:
    """The decision as the API answers it (`files`: its files, read when not given)."""
    body = decisions.view(row, files if files is not None else rt.store.files(row["id"]))
    headers = {"Location": body["links"]["self"]}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(body, decisions.STATUS[row["verdict"]], headers=headers)


def _replay(rt: Runtime, row: RowMapping, digest: str) -> JSONResponse:
    if row["request_digest"] != digest:
        raise Problem(
            "idempotency-key-reused",
            f"this key was used for decision {row['id']}, a different request",
            decision=row["id"],
        )
    return _answer(rt, row, replayed=True)


@router.post("", status_code=201, summary="Submit a plan or a bundle for a decision")
async def submit(
    request: Request,
    caller: Annotated[Principal, Depends(require("submit"))],
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    name: Annotated[str | None, Query(description="the plan's file name")] = None,
    fail_on: Literal["error", "warning", "info", "never"] = "error",
    select: Annotated[list[str], Query()] = [],  # noqa: B006 (FastAPI copies defaults)
    ignore: Annotated[list[str], Query()] = [],  # noqa: B006
    severity: Annotated[list[str], Query(description="RULE:LEVEL")] = [],  # noqa: B006
) -> Response:
    started = time.perf_counter()
    rt = runtime(request)
    query = {"name": name, "fail_on": fail_on, "select": select, "ignore": ignore}
    bundle = _bundle(request, await request.body(), {**query, "severity": severity})
    digest = bundle.digest()
    if idempotency_key is not None:
        first = await run_in_threadpool(rt.store.decision_by_key, caller.token_id, idempotency_key)
        if first is not None:
            return _replay(rt, first, digest)
    job = AuditJob(bundle.files, bundle.main, bundle.options, today())
    try:
        outcome = await run_job(rt, job)
    except Problem as exc:
        rt.metrics.refused.labels(exc.slug).inc()
        raise
    elapsed = (time.perf_counter() - started) * 1000
    decision = NewDecision(
        id=str(uuid.uuid4()),
        plan_id=outcome.plan_id,
        verdict=outcome.verdict,
        submitter_id=caller.token_id,
        submitter=caller.name,
        idempotency_key=idempotency_key,
        request_digest=digest,
        submitted_at=now(),
        as_of=job.as_of,
        duration_ms=elapsed,
        audit_ms=outcome.audit_ms,
        tool_version=__version__,
        rules_version=RULES_VERSION,
        catalogue_digest=outcome.catalogue_digest,
        options_digest=outcome.options_digest,
        options=json.dumps(bundle.options.model_dump(mode="json"), sort_keys=True),
        waivers=json.dumps(outcome.report_waivers()),
        report=json.dumps(outcome.report, ensure_ascii=False),
        plans_stored=rt.settings.store_plans,
    )
    files = [
        StoredFile(
            n, hashlib.sha256(raw).hexdigest(), len(raw), raw if decision.plans_stored else None
        )
        for n, raw in bundle.files
    ]
    first = await run_in_threadpool(rt.store.add_decision, decision, files)
    if first is not None:  # a concurrent retry with the same key was recorded first
        return await run_in_threadpool(_replay, rt, first, digest)
    rt.metrics.audits.labels(outcome.verdict).inc()
    rt.metrics.latency.observe(time.perf_counter() - started)
    shown = [
        {"name": f.name, "sha256": f.sha256, "size": f.size, "stored": f.content is not None}
        for f in files
    ]
    return _answer(rt, asdict(decision), shown)


def visible(rt: Runtime, caller: Principal, decision_id: str) -> RowMapping:
    """The decision, if the caller may read it (a submitter reads its own): else 404."""
    row = rt.store.decision(decision_id)
    if row is None or not (caller.may("read_all") or row["submitter_id"] == caller.token_id):
        raise Problem("not-found", f"no decision {decision_id} that this token may read")
    return row


@router.get("", summary="List decisions, newest first")
def list_decisions(
    request: Request,
    caller: Annotated[Principal, Depends(require("read"))],
    plan_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[int | None, Query(description="cursor: `next` of the last page")] = None,
) -> dict[str, Any]:
    rt = runtime(request)
    own = None if caller.may("read_all") else caller.token_id
    rows = rt.store.decisions(plan_id, own, limit, before)
    cursor = rows[-1]["seq"] if len(rows) == limit else None
    return {"decisions": [decisions.summary(r) for r in rows], "next": cursor}


@router.get("/{decision_id}", summary="One decision")
def get_decision(
    request: Request, decision_id: str, caller: Annotated[Principal, Depends(require("read"))]
) -> Response:
    rt = runtime(request)
    return _answer(rt, visible(rt, caller, decision_id))


@router.get("/{decision_id}/report", summary="The decision's report in a format")
async def get_report(
    request: Request,
    decision_id: str,
    caller: Annotated[Principal, Depends(require("read"))],
    format: Format = "json",
) -> Response:
    """`json` is the stored contract document; the other formats are rendered by re-running
    the stored files under the recorded options, waivers and day (needs the stored bytes)."""
    rt = runtime(request)
    row = await run_in_threadpool(visible, rt, caller, decision_id)
    if format == "json":
        return Response(row["report"], media_type=MEDIA["json"])
    stored = await run_in_threadpool(rt.store.files, decision_id, True)
    if not row["plans_stored"] or any(f["content"] is None for f in stored):
        raise Problem(
            "plan-not-stored",
            "this decision was recorded with --no-store-plans: only format=json is available",
        )
    job = replay_job(row, stored, format)
    outcome = await run_job(rt, job, kind="render")
    return Response(outcome.rendered, media_type=MEDIA[format])


class ReviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["approved", "rejected", "changes_requested"]
    comment: Annotated[str, Field(max_length=10_000)] = ""


@router.post("/{decision_id}/review", status_code=201, summary="Record a review")
def review(
    request: Request,
    decision_id: str,
    body: ReviewBody,
    caller: Annotated[Principal, Depends(require("review"))],
) -> dict[str, Any]:
    rt = runtime(request)
    row = visible(rt, caller, decision_id)
    if body.outcome == "approved" and row["verdict"] != "pass":
        raise Problem(
            "conflict",
            f"the gate's verdict is {row['verdict']}: a plan is approved only when it passes "
            "(grant waivers and submit the plan again, or request changes)",
        )
    return decisions.review_view(
        rt.store.add_review(decision_id, body.outcome, body.comment, caller)
    )


@router.get("/{decision_id}/reviews", summary="A decision's reviews, oldest first")
def reviews(
    request: Request, decision_id: str, caller: Annotated[Principal, Depends(require("read"))]
) -> dict[str, Any]:
    rt = runtime(request)
    visible(rt, caller, decision_id)
    return {"reviews": [decisions.review_view(r) for r in rt.store.reviews(decision_id)]}
