"""A worker process: audits jobs sent down its pipe, one at a time, until told to stop.

The engine is a C extension that is not thread-safe and has crashed on inputs before, so it
runs here, never in the server. The conversation, one job at a time (pickled tuples):

    parent -> worker: ("audit", AuditJob) | ("render", AuditJob) | ("exit",)
    worker -> parent: ("ready", pid) once started, then per job
                      ("waivers?", plan_id) -> parent: ("waivers", tuple[Waiver, ...])
                      ("done", AuditOutcome) | ("problem", slug, detail, extra)
                      | ("failed", message)

A worker that dies (a crash, `kill -9`) closes its pipe: the supervisor (`pool.py`) sees it and
starts another. Ctrl-C and SIGTERM of the server's process group are left to the server, which
stops its workers once their running audits are done (graceful shutdown).
"""

from __future__ import annotations

import os
import signal
import traceback
from multiprocessing.connection import Connection
from typing import Any

from strataudit.results import Waiver


def main(conn: Connection) -> None:
    """The worker's loop (the target of its `multiprocessing` process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the supervisor stops us with ("exit",)
    from strataudit.errors import InputError
    from strataudit.service import job as jobs
    from strataudit.service.problems import Problem

    _warm_up()
    conn.send(("ready", os.getpid()))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the server is gone
        kind = message[0]
        if kind == "exit":
            return
        job = message[1]

        def ask(plan_id: str) -> tuple[Waiver, ...]:
            conn.send(("waivers?", plan_id))
            answer: tuple[Waiver, ...] = conn.recv()[1]
            return answer

        reply: tuple[Any, ...]
        try:
            reply = ("done", jobs.audit(job, ask if kind == "audit" else None))
        except Problem as exc:
            reply = ("problem", exc.slug, exc.detail, exc.extra)
        except InputError as exc:  # the options (an unknown rule id): the plan's are reported
            reply = ("problem", "invalid-options", exc.problem.message, {})
        except Exception as exc:
            reply = ("failed", f"{exc!r}\n{traceback.format_exc(limit=8)}")
        try:
            conn.send(reply)
        except OSError:
            return  # the server is gone


def _warm_up() -> None:
    """Import the audit's modules and load the catalogue once, before the first request."""
    from strataudit.rulefile import load_ruleset
    from strataudit.runner import run  # noqa: F401

    load_ruleset(())
