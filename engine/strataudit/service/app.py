"""The ASGI app factory and the server: `create_app(settings)`, `serve(settings)`.

FastAPI (on Starlette) rather than bare Starlette: the routes' bodies and queries are
validated by the same Pydantic the plan model uses, and the OpenAPI document at
`/v1/openapi.json` is generated from the routes themselves, so it cannot drift from them.

The lifespan opens the record (migrating it to the packaged head), starts the worker pool and
waits until every worker is up; at shutdown uvicorn first lets running requests finish (their
audits complete and are recorded), then the workers are stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator

from fastapi import FastAPI

from strataudit import __version__
from strataudit.service import api_audits, api_ops, api_plans, problems
from strataudit.service.auth import Authenticator
from strataudit.service.metrics import Metrics
from strataudit.service.middleware import AccessLog, BodyLimit
from strataudit.service.pool import WorkerPool
from strataudit.service.runtime import Runtime, live_waivers
from strataudit.service.settings import Settings
from strataudit.service.store import Store

log = logging.getLogger("strataudit.service")
READY_WAIT = 120.0  # seconds the start waits for its workers


def create_app(settings: Settings) -> FastAPI:
    """The service as an ASGI app (`uvicorn` serves it; tests may too)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from strataudit.rulefile import load_ruleset

        store = Store(settings.database_url)
        await asyncio.to_thread(store.migrate)
        holder: list[Metrics] = []
        pool = WorkerPool(
            settings.workers,
            settings.audit_timeout,
            lambda plan_id: live_waivers(store, plan_id),
            settings.queue_limit,
            on_restart=lambda reason: holder[0].restarts.labels(reason).inc(),
        )
        metrics = Metrics(lambda: pool.depth, lambda: pool.ready)
        holder.append(metrics)
        rule_ids = frozenset(r.id for r in load_ruleset(()))
        app.state.runtime = Runtime(settings, store, pool, metrics, Authenticator(store), rule_ids)
        pool.start()
        for _ in range(int(READY_WAIT * 10)):
            if pool.ready == pool.size:
                break
            await asyncio.sleep(0.1)
        log.info(
            "strataudit %s serving on %s:%d with %d workers, record %s",
            __version__,
            settings.host,
            settings.port,
            settings.workers,
            store.engine.url.render_as_string(hide_password=True),
        )
        try:
            yield
        finally:
            await asyncio.to_thread(pool.close)
            store.close()

    app = FastAPI(
        title="strataudit",
        version=__version__,
        summary="The pre-approval gate for marketing strategy plans, with a decision record",
        openapi_url="/v1/openapi.json",
        docs_url="/v1/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        lifespan=lifespan,
    )
    problems.install(app)
    for module in (api_audits, api_plans, api_ops):
        app.include_router(module.router)
    app.add_middleware(BodyLimit, limit=settings.max_body)
    app.add_middleware(AccessLog)  # outermost: it sees the 413s too
    return app


def serve(settings: Settings) -> None:
    """Run the service under uvicorn until SIGINT or SIGTERM (then shut down gracefully)."""
    import uvicorn

    logging.basicConfig(
        level=settings.log_level.upper(), stream=sys.stderr, format="%(message)s", force=True
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its plugin list at every start
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        log_level=settings.log_level,
        timeout_graceful_shutdown=int(settings.audit_timeout) + 10,
        server_header=False,
    )
