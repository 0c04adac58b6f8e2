"""`forked.call`: a call in a child process, whose crash or hang is the caller's exception."""

from __future__ import annotations

import os
import signal
import time

import pytest

from strataudit import forked


def test_the_result_and_the_exception_come_back() -> None:
    assert forked.call(lambda: {"n": [1, 2.5, "x"]}) == {"n": [1, 2.5, "x"]}
    with pytest.raises(ZeroDivisionError):
        forked.call(lambda: 1 / 0)


def test_nothing_the_call_changes_outlives_the_child() -> None:
    state = {"touched": False}

    def touch() -> bool:
        state["touched"] = True
        return True

    assert forked.call(touch) is True
    assert state == {"touched": False}


def test_a_signal_is_a_crash_and_an_exit_without_answer_too() -> None:
    with pytest.raises(forked.Crashed, match=r"crashed \(SIGSEGV\)"):
        forked.call(lambda: os.kill(os.getpid(), signal.SIGSEGV))
    with pytest.raises(forked.Crashed, match="exit code 3"):
        forked.call(lambda: os._exit(3))


def test_a_call_past_its_time_limit_is_killed() -> None:
    started = time.monotonic()
    with pytest.raises(forked.TimedOut, match=r"time limit of 0\.3 s"):
        forked.call(lambda: time.sleep(30), timeout=0.3)
    assert time.monotonic() - started < 20


def test_an_interrupted_child_is_an_interrupt() -> None:
    with pytest.raises(KeyboardInterrupt):
        forked.call(lambda: os.kill(os.getpid(), signal.SIGINT))
