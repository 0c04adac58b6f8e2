"""The supervisor of the audit workers: N processes, each driven by one thread of its own.

Not a `ProcessPoolExecutor`: there, one dead worker breaks the pool and every pending future.
Here each slot owns a process and a pipe; a job is sent, and the slot's thread waits for the
answer until the audit's deadline. A worker that dies mid-audit (its pipe closes) or runs past
the deadline (it is killed) is replaced by a fresh one; that job fails with `WorkerLost` or
`AuditTimeout` (the service answers 503 with `Retry-After`), every other job goes on. Workers
are started with `spawn`: a fork of the threaded server could inherit held locks.

The slot thread also answers a worker's `("waivers?", plan_id)` question by calling
`waivers_for`, a blocking database read that never runs in the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from strataudit.results import Waiver
from strataudit.service import worker
from strataudit.service.job import AuditJob, AuditOutcome

log = logging.getLogger("strataudit.service")
START_TIMEOUT = 60.0  # seconds a fresh worker may take to import and load the catalogue


class WorkerLost(Exception):
    """The worker died during the job (a crash or a kill)."""


class AuditTimeout(Exception):
    """The job ran past its deadline; its worker was killed."""


class Overloaded(Exception):
    """Too many jobs are waiting."""


class JobProblem(Exception):
    """The job's input was refused (a problem slug, detail and extra members)."""

    def __init__(self, slug: str, detail: str, extra: dict[str, Any]) -> None:
        super().__init__(detail)
        self.slug, self.detail, self.extra = slug, detail, extra


@dataclass
class _Work:
    kind: str  # audit | render
    job: AuditJob
    future: asyncio.Future[AuditOutcome]
    loop: asyncio.AbstractEventLoop
    queued: float = field(default_factory=time.monotonic)


class WorkerPool:
    """`await pool.run(job)` -> `AuditOutcome`, in one of `size` worker processes."""

    def __init__(
        self,
        size: int,
        timeout: float,
        waivers_for: Callable[[str], tuple[Waiver, ...]],
        queue_limit: int = 256,
        on_restart: Callable[[str], object] | None = None,
    ) -> None:
        self.size, self.timeout, self.waivers_for = size, timeout, waivers_for
        self.queue_limit = queue_limit
        self.on_restart = on_restart or (lambda reason: None)
        self.restarts = 0
        self.busy = 0
        self._queue: queue.Queue[_Work | None] = queue.Queue()
        self._context = multiprocessing.get_context("spawn")
        self._threads: list[threading.Thread] = []
        self._ready: list[bool] = [False] * size
        self._closed = False

    # -- the server's side ----------------------------------------------------------------
    def start(self) -> None:
        for slot in range(self.size):
            thread = threading.Thread(
                target=self._serve, args=(slot,), name=f"audit-slot-{slot}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    @property
    def depth(self) -> int:
        """Jobs waiting for a worker."""
        return self._queue.qsize()

    @property
    def ready(self) -> int:
        """Workers started and waiting for or running a job."""
        return sum(self._ready)

    async def run(self, job: AuditJob, kind: str = "audit") -> AuditOutcome:
        """Audit (or render) `job` in a worker; raises WorkerLost, AuditTimeout, Overloaded
        or JobProblem."""
        if self._closed:
            raise Overloaded("the service is shutting down")
        if self._queue.qsize() >= self.queue_limit:
            raise Overloaded(f"{self._queue.qsize()} audits are waiting")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[AuditOutcome] = loop.create_future()
        self._queue.put(_Work(kind, job, future, loop))
        return await future

    def close(self) -> None:
        """Stop taking jobs; each worker finishes its running job, then exits."""
        self._closed = True
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=self.timeout + 5)

    # -- a slot's thread ------------------------------------------------------------------
    def _spawn(self) -> tuple[BaseProcess, Connection]:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=worker.main, args=(theirs,), daemon=True)
        process.start()
        theirs.close()
        if not ours.poll(START_TIMEOUT) or ours.recv()[0] != "ready":
            process.kill()
            raise RuntimeError("an audit worker did not start")
        return process, ours

    def _serve(self, slot: int) -> None:
        process: BaseProcess | None = None
        conn: Connection | None = None
        while True:
            if process is None:
                try:
                    process, conn = self._spawn()
                except (RuntimeError, OSError, EOFError):
                    log.exception("audit worker %d failed to start; retrying", slot)
                    time.sleep(1.0)
                    continue
                self._ready[slot] = True
            work = self._queue.get()
            if work is None:
                assert conn is not None
                _stop(process, conn)
                self._ready[slot] = False
                return
            if work.future.cancelled():
                continue
            assert conn is not None
            self.busy += 1
            try:
                result: Any = self._exchange(conn, work)
            except Exception as exc:  # lost, timed out, or the record failed mid-conversation
                result = exc
                reason = {WorkerLost: "lost", AuditTimeout: "timeout"}.get(type(exc), "error")
                log.warning("audit worker %d (pid %s) %s; replacing it", slot, process.pid, reason)
                process.kill()
                process.join()
                conn.close()
                process = conn = None
                self._ready[slot] = False
                self.restarts += 1
                self.on_restart(reason)
            finally:
                self.busy -= 1
            work.loop.call_soon_threadsafe(_settle, work.future, result)

    def _exchange(self, conn: Connection, work: _Work) -> Any:
        """Send the job; answer the worker's questions; the outcome or the exception."""
        deadline = time.monotonic() + self.timeout
        try:
            conn.send((work.kind, work.job))
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not conn.poll(left):
                    raise AuditTimeout(f"the audit ran past {self.timeout:g} s")
                message = conn.recv()
                if message[0] == "waivers?":
                    conn.send(("waivers", self.waivers_for(message[1])))
                elif message[0] == "done":
                    return message[1]
                elif message[0] == "problem":
                    return JobProblem(message[1], message[2], message[3])
                else:
                    return RuntimeError(f"the audit failed in its worker: {message[1]}")
        except (EOFError, OSError):
            raise WorkerLost("the audit's worker process died") from None


def _settle(future: asyncio.Future[AuditOutcome], result: Any) -> None:
    if future.cancelled():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


def _stop(process: BaseProcess, conn: Connection) -> None:
    with contextlib.suppress(OSError):
        conn.send(("exit",))
    process.join(timeout=10)
    if process.is_alive():
        process.kill()
    conn.close()
