"""Health, readiness, metrics, and token management for admins.

`/healthz` says the process answers; `/readyz` that the record answers and every worker is up
(a load balancer sends traffic only then); both need no token. `/metrics` needs one (any role).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy.exc import SQLAlchemyError

from strataudit.service.auth import ROLES, Principal, create_token, require
from strataudit.service.metrics import CONTENT_TYPE
from strataudit.service.problems import Problem, response
from strataudit.service.runtime import runtime

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The record answers and the workers are up")
def readyz(request: Request) -> Response:
    rt = runtime(request)
    try:
        rt.store.ping()
    except SQLAlchemyError as exc:
        return response("unavailable", f"the database does not answer: {type(exc).__name__}")
    if rt.pool.ready < rt.pool.size:
        return response("unavailable", f"{rt.pool.ready} of {rt.pool.size} workers are up")
    return JSONResponse({"status": "ready", "workers": rt.pool.size, "queue": rt.pool.depth})


@router.get("/metrics", summary="Prometheus metrics")
def metrics(
    request: Request, caller: Annotated[Principal, Depends(require("metrics"))]
) -> Response:
    return Response(runtime(request).metrics.render(), media_type=CONTENT_TYPE)


class TokenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    role: str


def _token_view(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "role": row["role"],
        "created_at": row["created_at"].isoformat(),
        "created_by": row["created_by"],
        "revoked_at": row["revoked_at"].isoformat() if row["revoked_at"] else None,
    }


@router.get("/v1/tokens", tags=["tokens"], summary="Every token (never its secret)")
def list_tokens(
    request: Request, caller: Annotated[Principal, Depends(require("manage_tokens"))]
) -> dict[str, Any]:
    return {"tokens": [_token_view(r) for r in runtime(request).store.tokens()]}


@router.post("/v1/tokens", status_code=201, tags=["tokens"], summary="Create a token")
def new_token(
    request: Request,
    body: TokenBody,
    caller: Annotated[Principal, Depends(require("manage_tokens"))],
) -> dict[str, Any]:
    """The answer holds the token: it is shown this once (only its hash is stored)."""
    store = runtime(request).store
    if body.role not in ROLES:
        raise Problem("validation-error", f"`role` is one of {', '.join(ROLES)}")
    if any(r["name"] == body.name for r in store.tokens()):
        raise Problem("conflict", f"a token is already named `{body.name}`")
    token_id, token = create_token(store, body.name, body.role, caller.name)
    row = store.token(token_id)
    return {**_token_view(row), "token": token}


@router.post(
    "/v1/tokens/{token_id}/revoke", status_code=201, tags=["tokens"], summary="Revoke a token"
)
def revoke_token(
    request: Request,
    token_id: str,
    caller: Annotated[Principal, Depends(require("manage_tokens"))],
) -> dict[str, Any]:
    store = runtime(request).store
    if store.token(token_id) is None:
        raise Problem("not-found", f"no token {token_id}")
    if not store.revoke_token(token_id, caller.name):
        raise Problem("conflict", f"token {token_id} is already revoked")
    return _token_view(store.token(token_id))
