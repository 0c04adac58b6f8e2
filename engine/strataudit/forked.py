"""Run one call in a forked child process, so that its crash cannot take the caller with it.

The rule engine is a C extension that has died with a signal on some inputs, and its state
(sessions, memory, queued actions) is process-wide. `call` forks, runs the call in the child,
and sends back its result or its exception, pickled through a pipe; the child then leaves with
`os._exit`, discarding everything the call changed. In the parent:

- a signal that killed the child, or an exit without an answer, is `Crashed`;
- a call past `timeout` seconds is `TimedOut` (the child is killed);
- an interrupt of the child (Ctrl-C reaches the whole process group) is `KeyboardInterrupt`;
- an interrupt of the parent while it waits kills and reaps the child, then propagates.

SIGINT and SIGTERM are blocked from just before the fork until the parent's cleanup is armed,
so no interrupt can leave a child running unwatched. See docs/architecture.md (engine hazards).
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

AVAILABLE = hasattr(os, "fork")  #: whether this platform can fork (POSIX)
_INTERRUPTS = {signal.SIGINT, signal.SIGTERM}
_INTERRUPTED = 130  # the child's exit code when it was interrupted (as a shell reports it)
_FAILED = 70  # EX_SOFTWARE: the child could not even send its answer


class Crashed(Exception):
    """The child died without an answer; the message says how (`crashed (SIGSEGV)`)."""


class TimedOut(Crashed):
    """The child ran past its time limit and was killed."""


def call(function: Callable[[], T], timeout: float | None = None) -> T:
    """`function()` in a forked child: its result, or its exception raised here."""
    read_fd, write_fd = os.pipe()
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, _INTERRUPTS)
    try:
        pid = os.fork()
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(read_fd)
        os.close(write_fd)
        raise
    if pid == 0:  # the child: answer through the pipe, then leave without any cleanup
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(read_fd)
        os._exit(_child(function, write_fd))
    reaped = False
    try:
        os.close(write_fd)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a pending interrupt is raised here
        data = _read_all(read_fd, None if timeout is None else time.monotonic() + timeout)
        if data is None:
            raise TimedOut(f"ran past the time limit of {timeout:g} s")
        _, status = os.waitpid(pid, 0)
        reaped = True
    finally:
        os.close(read_fd)
        if not reaped:  # interrupted, or past the deadline: the child must not outlive us
            _reap(pid)
    return _answer(data, status)


def _child(function: Callable[[], Any], write_fd: int) -> int:
    """Run the call and write the pickled answer; return the child's exit code.

    A crash dump (faulthandler) would reach the user's terminal through the shared stderr:
    the parent reports the crash instead."""
    faulthandler.disable()
    try:
        answer: tuple[str, Any]
        try:
            answer = ("ok", function())
        except Exception as exc:
            answer = ("error", exc)
        try:
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an answer that does not pickle is still an answer
            data = pickle.dumps(("error", RuntimeError(f"unpicklable answer: {exc!r}")))
        with os.fdopen(write_fd, "wb") as out:
            out.write(data)
        return 0
    except KeyboardInterrupt:
        return _INTERRUPTED
    except BaseException:
        return _FAILED


def _reap(pid: int) -> None:
    """Kill and reap a child that may already be gone: an interrupt can arrive just after
    `waitpid` returned (Python runs signal handlers then), so the child may be reaped already."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _read_all(fd: int, deadline: float | None) -> bytes | None:
    """Everything the child writes, or None when the deadline passes first."""
    chunks: list[bytes] = []
    while True:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _answer(data: bytes, status: int) -> Any:
    """The child's result, or its exception, or the crash its exit status tells."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGINT:
            raise KeyboardInterrupt
        raise Crashed(f"crashed ({signal.Signals(sig).name})")
    code = os.WEXITSTATUS(status)
    if code == _INTERRUPTED:
        raise KeyboardInterrupt
    if code != 0 or not data:
        raise Crashed(f"ended its process with exit code {code}")
    kind, value = pickle.loads(data)
    if kind == "ok":
        return value
    raise value
