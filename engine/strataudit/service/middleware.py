"""Two pure ASGI middlewares: the request body limit and the JSON access log.

The limit is enforced before any route reads the body: a `Content-Length` above it is refused
at once, and a chunked body is counted as it streams and cut off when it passes the limit,
so an oversized body is never buffered whole nor parsed (413 problem). The access log writes
one JSON object per request on the `strataudit.access` logger (stderr): what an operator's
log pipeline expects, with the caller's token name once it is known.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from strataudit.service.problems import response

access = logging.getLogger("strataudit.access")


class BodyTooLarge(Exception):
    """The streamed body passed the limit."""


class BodyLimit:
    """Refuse request bodies above `limit` bytes with a 413 problem."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        detail = f"the body is over the {self.limit:,}-byte limit (--max-body)"
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await response("body-too-large", detail, scope["path"])(scope, receive, send)
            return
        seen = 0
        started = False

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge()
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, tracking)
        except BodyTooLarge:
            if not started:
                await response("body-too-large", detail, scope["path"])(scope, receive, send)


class AccessLog:
    """One JSON line per request: time, method, path, status, duration, caller, request id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:16]
        status = [500]
        scope.setdefault("state", {})

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            caller: Any = scope["state"].get("principal")
            client = scope.get("client") or ("", 0)
            access.info(
                json.dumps(
                    {
                        "ts": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                        "request_id": request_id,
                        "client": client[0],
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status[0],
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                        "caller": caller.name if caller is not None else None,
                    }
                )
            )
