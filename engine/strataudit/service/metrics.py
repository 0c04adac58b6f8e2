"""Prometheus metrics (text exposition at `/metrics`), in a registry of the app's own.

Audits by verdict, their latency as the workflow sees it (request to decision), worker restarts
by reason, and the queue depth and live workers read from the pool when scraped.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """The service's metrics."""

    def __init__(self, depth: Callable[[], float], workers: Callable[[], float]) -> None:
        self.registry = CollectorRegistry()
        self.audits = Counter(
            "strataudit_audits",
            "Decisions recorded, by verdict",
            ["verdict"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "strataudit_audit_seconds",
            "Time from receiving a submission to its decision",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.restarts = Counter(
            "strataudit_worker_restarts",
            "Audit workers replaced, by reason (lost, timeout, error)",
            ["reason"],
            registry=self.registry,
        )
        self.refused = Counter(
            "strataudit_audits_refused",
            "Submissions answered with a problem instead of a decision, by problem type",
            ["type"],
            registry=self.registry,
        )
        queue = Gauge(
            "strataudit_queue_depth", "Audits waiting for a worker", registry=self.registry
        )
        queue.set_function(depth)
        alive = Gauge("strataudit_workers_ready", "Audit workers ready", registry=self.registry)
        alive.set_function(workers)
        for verdict in ("pass", "fail", "error"):
            self.audits.labels(verdict)
        for reason in ("lost", "timeout", "error"):
            self.restarts.labels(reason)

    def render(self) -> bytes:
        return generate_latest(self.registry)
