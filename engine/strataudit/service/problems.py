"""RFC 9457 problem details: every error the service answers, with a stable `type`.

Routes raise `Problem(KIND, detail)`; the handlers in `install` turn it, FastAPI's request
validation errors and anything unexpected into `application/problem+json`. The kinds are a
table so that a client can switch on `type` and the docs can list them; bad input is always a
4xx, an unexpected error a 500 that says nothing of the internals.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://strataudit.dev/problems/"
log = logging.getLogger("strataudit.service")


@dataclass(frozen=True)
class Kind:
    """One kind of problem: its HTTP status and title (the `type` is `TYPE_BASE + slug`)."""

    status: int
    title: str


KINDS: dict[str, Kind] = {
    "bad-request": Kind(400, "The request is malformed"),
    "invalid-bundle": Kind(400, "The bundle cannot be used"),
    "unauthenticated": Kind(401, "A valid bearer token is required"),
    "forbidden": Kind(403, "The token's role does not allow this"),
    "not-found": Kind(404, "No such resource"),
    "method-not-allowed": Kind(405, "Method not allowed"),
    "not-acceptable": Kind(406, "The requested format is not available"),
    "conflict": Kind(409, "The request conflicts with the record"),
    "plan-not-stored": Kind(409, "The plan's bytes were not stored"),
    "body-too-large": Kind(413, "The request body is too large"),
    "unsupported-media-type": Kind(415, "Unsupported content type"),
    "invalid-options": Kind(422, "The gate's options cannot be used"),
    "include-outside-bundle": Kind(422, "An include names a file outside the bundle"),
    "idempotency-key-reused": Kind(422, "The Idempotency-Key was used for another request"),
    "validation-error": Kind(422, "The request's fields are invalid"),
    "worker-lost": Kind(503, "The audit's worker process died"),
    "audit-timeout": Kind(503, "The audit ran past its time limit"),
    "overloaded": Kind(503, "Too many audits are waiting"),
    "unavailable": Kind(503, "The service is not ready"),
    "internal-error": Kind(500, "Internal error"),
}

_BY_STATUS = {404: "not-found", 405: "method-not-allowed", 400: "bad-request"}


class Problem(Exception):
    """Raised by a route: answered as the problem `slug` with `detail` and extra members."""

    def __init__(
        self,
        slug: str,
        detail: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.slug, self.detail, self.headers, self.extra = slug, detail, headers or {}, extra
        self.kind = KINDS[slug]


def response(
    slug: str,
    detail: str,
    instance: str = "",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """The `application/problem+json` response of one problem."""
    kind = KINDS[slug]
    body = {
        "type": TYPE_BASE + slug,
        "title": kind.title,
        "status": kind.status,
        "detail": detail,
        **({"instance": instance} if instance else {}),
        **extra,
    }
    return JSONResponse(body, kind.status, headers=headers, media_type=MEDIA_TYPE)


def install(app: FastAPI) -> None:
    """Answer every error of `app` as a problem."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return response(exc.slug, exc.detail, request.url.path, exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        return response("validation-error", "see `errors`", request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = _BY_STATUS.get(exc.status_code, "bad-request")
        return response(slug, str(exc.detail), request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return response("internal-error", "the error was logged", request.url.path)
