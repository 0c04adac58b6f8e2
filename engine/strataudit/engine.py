"""The only module that touches durable-rules: a synchronous host, sessions, and the hazards.

Each defence below answers an engine hazard of docs/architecture.md:
1. absence depends on arrival order: checks start with a trigger asserted last (compiler.py);
2. assertion is asynchronous: `SyncHost` starts no timer threads, and `_drain` runs every
   action still pending on the caller's thread until none is, before anything is read;
3. 32-bit hashes: every fact id is checked unique by its FNV-1a hash within the session, and
   session ids come from a pool whose hashes are distinct;
4. facts no rule can use: only fact types some pattern names are asserted, and a never-firing
   sink rule per type makes each of them "handled" (an unhandled fact in a batch corrupted the
   engine's memory here); an unhandled fact is an `EngineError`;
5. swallowed action errors: actions record their exception, and the session state is checked
   after every assertion; either makes the audit fail loudly (`EngineError`);
6. state lives per session: emptied by retraction after each plan and the sid reused (the
   engine's `delete_state` crashed here, see `_empty`); far under the 1,024 live sessions;
7. 512 rules sharing a first test hang, 256 give wrong counts: rulesets are chunked
   (compiler.MAX_RULES_PER_RULESET).
8. a Host is not thread-safe: one per `Engine`, parallel audits use processes.
9. defects found by our probes (compiler.compile_tests): a false last join test reads past
   its array, a join after `$or` is ignored, a comparison with a missing field aborts;
10. numbers: the C parser misreads `5e-05`; `engine_dumps` is durable-rules' encoder, and the
   facts the engine holds are counted after each plan (`_check_received`);
11. a crash of the C core, or state carried between plans: `run_isolated` runs each plan's
   engine in a forked child (an audit never retracts; hazard 6 is the in-process fallback).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from strataudit import _compat  # noqa: F401  # isort: skip  (first: Python 3.13 needs it)
import durable.engine  # isort: skip
import durable_rules_engine  # isort: skip
from durable.engine import Host, MessageNotHandledException

from strataudit import forked
from strataudit.compiler import Check, Derive, Program, bind_template
from strataudit.contract import ALWAYS, DEFAULT_TRIGGER, FID, ID, SID, TRIGGER, Match

MAX_LIVE_SESSIONS = 1024
MAX_DERIVED_FACTS = 100_000  # GOL009's closure grows with the square of a chain's length
BATCH = 2000


class EngineError(RuntimeError):
    """The engine did not give a trustworthy answer; the audit must not pass silently."""

    hint = "the audit of this plan is not trustworthy; please report it with the plan"


class EngineCrash(EngineError):
    """The engine's process died (a signal from the C core) or ran past its time limit."""

    hint = (
        "this is a defect of the rule engine, not necessarily of the plan: please report it "
        "with the plan; the other plans of the run were audited"
    )


class DerivationLimit(EngineError):
    """Forward chaining grew past its bound: the plan, not the engine, is the cause."""

    hint = (
        "shorten the plan's chains of references (goals supporting goals): cycles are "
        "checked over their closure, which grows with the square of a chain's length"
    )


def fnv32(text: str) -> int:
    """durable-rules' 32-bit FNV-1a over UTF-8 bytes (signed char on x86, as the engine)."""
    h = 2166136261
    for b in text.encode():
        if b >= 128:
            b = (b - 256) & 0xFFFFFFFF
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


_PLAIN_ID = re.compile(r"^[A-Za-z0-9:._~-]*$")


@functools.lru_cache(maxsize=1 << 18)
def engine_hash(fact_id: str) -> int:
    """The hash the engine computes for an id: over the id as written in the JSON it receives
    (`"` as `\\"`...), not over the string itself (a mismatch found at 20,000 entities).
    Our ids are plain counters (`product:12`), the same in every plan: cached."""
    if _PLAIN_ID.fullmatch(fact_id):
        return fnv32(fact_id)
    return fnv32(json.dumps(fact_id, ensure_ascii=False)[1:-1])


# -- numbers as the engine's JSON parser reads them (hazard 10) --------------------------------
# The C parser reads a number as `-?digits`, then `.digits`, then an exponent only after a
# fraction: `5e-05` and `1e+16` (what Python's json writes for such floats) stop after `5` and
# the rest of the batch is misread (facts dropped, a false pass, or SIGSEGV). Integers go through
# `atoll` (int64), fractions through `atof` (correctly rounded). So every float is written with a
# fraction before its exponent (`5.0e-05`), and an integer beyond 2**63 as the float it rounds to.
_INT64 = 2**63 - 1
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
# what `json` writes for a float with an exponent (`repr` always signs it: `5e-05`, `1e+16`),
# and for an integer of 19 digits or more, once every digit reads `0`
_SUSPECTS = (b"0e-", b"0e+", b"0" * 19)


def _suspect(text: str) -> bool:
    """Whether `json`'s text may hold a number the engine misreads. Digits are mapped to `0`
    and the patterns found by substring search: 0.25 ms for a typical plan's facts (100 kB of
    JSON) where a regex scan took 3.4 ms, the engine stage's largest Python cost then."""
    flat = text.encode("utf-8").translate(_DIGITS_AS_ZERO)
    return any(suspect in flat for suspect in _SUSPECTS)


def engine_number(value: float | int) -> str:
    """A number as text the engine's parser reads back exactly (finite values only)."""
    if isinstance(value, int) and -_INT64 <= value <= _INT64:
        return str(value)
    number = float(value)
    if not math.isfinite(number):
        raise EngineError(f"the number {value!r} cannot be given to the rule engine")
    text = repr(number)
    mantissa, e, exponent = text.partition("e")
    if e and "." not in mantissa:
        text = f"{mantissa}.0e{exponent}"
    return text


def _engine_json(value: Any) -> str:
    """The slow, exact encoder: only used when a batch holds a number `json` writes unsafely."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (int, float)):
        return engine_number(value)
    if isinstance(value, dict):
        items = (
            f"{json.dumps(str(k), ensure_ascii=False)}:{_engine_json(v)}" for k, v in value.items()
        )
        return "{" + ",".join(items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_engine_json(v) for v in value) + "]"
    raise EngineError(f"a value of type {type(value).__name__} cannot be given to the engine")


def engine_dumps(value: Any, **_: Any) -> str:
    """`json.dumps` for everything durable-rules sends its C core (facts, rulesets, state).

    The C encoder is used first; only when its text holds something that looks like an exponent
    or a long integer (rare: plan amounts are mostly plain) is the batch encoded again exactly.
    A match inside a string (a metric named `1e5`) only costs the slow path, never correctness."""
    text = json.dumps(value, ensure_ascii=False)
    return _engine_json(value) if _suspect(text) else text


class _EngineJson:
    """What durable.engine sees as its `json` module: our encoder, the standard decoder."""

    dumps = staticmethod(engine_dumps)
    loads = staticmethod(json.loads)


durable.engine.json = _EngineJson


class SyncHost(Host):
    """A durable-rules Host whose actions run only on the caller's thread (no timer threads)."""

    def __init__(self, actions: dict[str, Callable[[Any], None]]) -> None:
        self._actions_by_name = actions
        super().__init__()

    def _run(self) -> None:  # the base class starts two timer threads here (hazard 2)
        return None

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        return self._actions_by_name[action_name]

    def set_rulesets(self, ruleset_definitions: dict[str, Any]) -> Any:
        result = super().set_rulesets(ruleset_definitions)
        for name in ruleset_definitions:
            ruleset = self.get_ruleset(name)
            ruleset._flush_actions = functools.partial(_run_actions, ruleset)
        return result


class _Match:
    """What an action reads of the engine's closure: the matched facts and the ruleset."""

    __slots__ = ("_m", "_ruleset")

    def __init__(self, message: dict[str, Any], ruleset: Any) -> None:
        self._m = message
        self._ruleset = ruleset


def _run_actions(
    ruleset: Any,
    state: Any,
    result: dict[str, Any],
    state_handle: Any,
    complete: Callable[..., Any],
) -> None:
    """Run the engine's pending actions, lean: the binding's own loop wraps each one in a
    Closure, a Promise with lease timers, and writes the session state back after every action
    (about 40 µs each, most of a typical plan's engine time). Our actions never change the
    state, record their own errors (hazard 5), and run synchronously, so only the engine calls
    that complete an action and fetch the next remain."""
    handle = ruleset._handle
    while "message" in result:
        ((rule_name, message),) = result.pop("message").items()
        try:
            ruleset._actions[rule_name]._func(_Match(message, ruleset))
        except Exception as exc:
            durable_rules_engine.abandon_action(handle, state_handle)
            complete(exc, None)
            return
        following = durable_rules_engine.complete_and_start_action(handle, state_handle)
        if following:
            result["message"] = json.loads(following)
        else:
            complete(None, state)


class _Session:
    """Per-plan bookkeeping: the ids asserted (by hash), what fired, what went wrong."""

    def __init__(self, sid: str) -> None:
        self.sid = sid
        self.hashes: set[int] = set()
        # per engine ruleset: every ruleset derives its own facts (checks are chunked)
        self.derived: dict[str, set[tuple[tuple[str, Any], ...]]] = {}
        self.derived_facts: dict[str, list[dict[str, Any]]] = {}
        self.pending: dict[str, list[dict[str, Any]]] = {}  # derived, not yet asserted
        self.asserted: dict[str, list[dict[str, Any]]] = {}  # per engine ruleset
        self.trigger: dict[str, Any] = {}
        self.limit: DerivationLimit | None = None
        self.matches: list[Match] = []
        self.errors: list[str] = []

    def unique_id(self, wanted: str) -> str:
        """`wanted`, or a variant of it, whose 32-bit hash no other fact here has (hazard 3)."""
        candidate, n = wanted, 0
        while engine_hash(candidate) in self.hashes:
            n += 1
            candidate = f"{wanted}~{n}"
        self.hashes.add(engine_hash(candidate))
        return candidate


class _SessionIds:
    """Session ids whose 32-bit hashes all differ (two colliding sids share one session)."""

    def __init__(self) -> None:
        self._hashes: set[int] = set()
        self._n = 0

    def mint(self) -> str:
        while True:
            sid = f"plan-{self._n}"
            self._n += 1
            if fnv32(sid) not in self._hashes:
                self._hashes.add(fnv32(sid))
                return sid

    @property
    def minted(self) -> int:
        return len(self._hashes)


class Engine:
    """Runs a compiled `Program` on the facts of one plan at a time."""

    def __init__(self, program: Program, name: str = "strataudit") -> None:
        self.program = program
        self._session: _Session | None = None
        self._dirty: _Session | None = None  # the last clean plan's, emptied before the next
        self._ids = _SessionIds()
        self._free = [self._ids.mint() for _ in range(2)]
        self._retired: set[str] = set()  # sessions of failed plans: never reused
        chunks = program.rulesets()
        actions = {item.name: self._action(item) for chunk in chunks for item in chunk.items}
        self.host = SyncHost(actions)
        self.ruleset_names: list[str] = []
        self._routes: dict[str, frozenset[str]] = {}
        for chunk in chunks:
            self._register(name, chunk.items, chunk.types)

    def _register(self, name: str, chunk: list[Derive | Check], types: frozenset[str]) -> None:
        """Register a ruleset; if the engine's fixed tables refuse it, split the checks in two.

        Besides the 512-rule hang (hazard 7), creation fails with error 107 or 108 well before
        that: 128 checks whose subject patterns branch on distinct fields after one shared test,
        or 257 identical checks, did not fit one ruleset here. Halving finds a size that fits.
        """
        # durable-rules deletes each rule's `run` key and only serialises the rest: a new
        # top-level dict per rule keeps the compiled program intact (a deep copy cost a third of
        # building the engine for the catalogue)
        rules = {item.name: {**item.definition, "run": item.name} for item in chunk}
        ruleset = f"{name}-{len(self.ruleset_names)}"
        try:
            self.host.set_rulesets({ruleset: rules})
        except Exception as exc:
            if "Could not create ruleset" not in str(exc):
                raise
            checks = [item for item in chunk if isinstance(item, Check)]
            derives = [item for item in chunk if isinstance(item, Derive)]
            if len(checks) < 2:
                raise EngineError(
                    f"the engine cannot hold the rules {[i.name for i in chunk]}: {exc}"
                ) from None
            half = len(checks) // 2
            self._register(name, [*derives, *checks[:half]], types)
            self._register(name, [*derives, *checks[half:]], types)
            return
        self.ruleset_names.append(ruleset)
        self._routes[ruleset] = types

    # -- actions -----------------------------------------------------------------------------
    def _action(self, item: Derive | Check) -> Callable[[Any], None]:
        bound = item.bound

        def facts_of(c: Any) -> dict[str, dict[str, Any]]:
            message = c._m or {}
            return {name: message[name] for name in bound if name in message}

        if isinstance(item, Check):
            rule_id, case_index = item.rule_id, item.case_index

            def check(c: Any) -> None:
                session = self._current()
                try:
                    session.matches.append(Match(rule_id, case_index, facts_of(c)))
                except Exception as exc:  # recorded, then re-raised for the engine to swallow
                    session.errors.append(f"{rule_id}: {exc!r}")
                    raise

            return check

        template = item.template
        fact_type = str(template.get("fact"))

        def derive(c: Any) -> None:
            session = self._current()
            try:
                ruleset = c._ruleset._name
                seen = session.derived.setdefault(ruleset, set())
                made = session.derived_facts.setdefault(ruleset, [])
                fact = bind_template(template, facts_of(c))
                fact["type"] = fact.pop("fact")
                natural = tuple(sorted(fact.items()))
                if natural in seen:
                    return  # derived before by another frame: assert each derived fact once
                seen.add(natural)
                if len(seen) > MAX_DERIVED_FACTS:
                    session.limit = DerivationLimit(
                        f"more than {MAX_DERIVED_FACTS:,} derived facts ({fact_type}): the "
                        "plan's chains of references are too long to follow"
                    )
                    raise session.limit
                fact[ID] = session.unique_id(f"d:{ruleset}:{len(made)}")
                fact[SID] = session.sid
                fact[ALWAYS] = 1
                made.append(fact)
                session.pending.setdefault(ruleset, []).append(fact)  # asserted by `run`
            except Exception as exc:
                session.errors.append(f"{item.name}: {exc!r}")
                raise

        return derive

    def _current(self) -> _Session:
        if self._session is None:
            raise EngineError("an action ran outside an audit session")
        return self._session

    # -- running -----------------------------------------------------------------------------
    def run(
        self, facts: list[dict[str, Any]], trigger: dict[str, Any] | None = None
    ) -> list[Match]:
        """Assert the plan's facts, then the trigger (with the plan's `trigger` fields, such as
        its level, which checks' trigger patterns test; none: a full plan's); return every
        check that fired."""
        if self._session is not None:
            raise EngineError("one plan at a time per engine (a Host is not re-entrant)")
        if self._dirty is not None:  # the previous plan's facts, retracted only now (if ever)
            self._empty(self._dirty)
            self._free.append(self._dirty.sid)
            self._dirty = None
        if not self._free:
            if self._ids.minted >= MAX_LIVE_SESSIONS:
                raise EngineError(
                    f"{len(self._retired)} failed plans hold engine sessions; "
                    "the engine's limit is 1,024"
                )
            self._free.append(self._ids.mint())
        sid = self._free.pop(0)
        session = self._session = _Session(sid)
        # `fid` keeps the fact's own id for the findings, whatever id the hash check gives it.
        every = [
            {**f, SID: sid, ID: session.unique_id(f[ID]), FID: f[ID], ALWAYS: 1} for f in facts
        ]
        trigger = session.trigger = {
            **(DEFAULT_TRIGGER if trigger is None else trigger),
            "type": TRIGGER,
            ID: session.unique_id("trigger"),
            SID: sid,
            ALWAYS: 1,
        }
        clean = False
        try:
            for name in self.ruleset_names:
                types = self._routes[name]
                batch = session.asserted[name] = [f for f in every if f["type"] in types]
                for i in range(0, len(batch), BATCH):
                    self._assert(name, batch[i : i + BATCH])
                while session.pending.get(name):  # forward chaining, a round at a time
                    derived = session.pending.pop(name)
                    for i in range(0, len(derived), BATCH):
                        self._assert(name, derived[i : i + BATCH])
                self._assert(name, [trigger])
            self._check_received(session)
            clean = True
            return session.matches
        finally:
            if clean:  # emptied before the next plan: a one-plan run never pays for it
                self._dirty = session
            else:  # a failed plan's session may hold facts and queued actions: retire it
                self._retired.add(sid)
            self._session = None

    def _check_received(self, session: _Session) -> None:
        """Hazard 10, second line of defence: the engine holds every fact it was given.

        A number its parser misread dropped the rest of a batch without an error; so after each
        plan the facts the engine holds are counted per type against those asserted (plan facts,
        derived facts, the trigger), and any difference fails the plan instead of returning
        findings from a partial fact base."""
        for name in self.ruleset_names:
            expected = Counter(f["type"] for f in session.asserted.get(name, ()))
            expected.update(f["type"] for f in session.derived_facts.get(name, ()))
            expected[TRIGGER] += 1
            handle = self.host.get_ruleset(name)._handle
            held = Counter(
                f.get("type")
                for f in json.loads(durable_rules_engine.get_facts(handle, session.sid))
            )
            if held != expected:
                lost = ", ".join(
                    f"{held.get(k, 0)} of {n} {k}"
                    for k, n in sorted(expected.items())
                    if held.get(k) != n
                )
                raise EngineError(
                    f"the rule engine did not receive every fact of the plan ({lost})"
                )

    def run_isolated(
        self,
        facts: list[dict[str, Any]],
        timeout: float | None = None,
        trigger: dict[str, Any] | None = None,
    ) -> list[Match]:
        """`run` in a forked child process (`forked.call`): a crash of the C engine (a signal)
        or a run past `timeout` seconds is this plan's `EngineCrash`, and the engine's state
        never carries from one plan to the next (the child's copy is discarded, so this engine
        is never touched: no retraction, no retired sessions, no memory held by a failed plan).

        A fork shares the compiled rulesets and the facts copy-on-write: the fork itself costs
        about 2 ms, and the child's first run in a fresh session, touching copied pages, about
        6 ms more than a warm in-process run (`bench/isolation.py`). Where there is no fork
        (not POSIX), the plan runs in-process."""
        if not forked.AVAILABLE:
            return self.run(facts, trigger)
        try:
            return forked.call(lambda: self._run_reported(facts, trigger), timeout)
        except forked.TimedOut as exc:
            raise EngineCrash(f"the rule engine {exc}") from None
        except forked.Crashed as exc:
            raise EngineCrash(f"the rule engine {exc} on this plan") from None

    def _run_reported(
        self, facts: list[dict[str, Any]], trigger: dict[str, Any] | None
    ) -> list[Match]:
        """`run`, with any defect of ours inside the engine layer still this plan's
        `EngineError` (what the child sends back must be an answer about the plan)."""
        try:
            return self.run(facts, trigger)
        except EngineError:
            raise
        except Exception as exc:
            raise EngineError(f"the rule engine failed: {exc!r}") from None

    def _empty(self, session: _Session) -> None:
        """Retract every fact of the session, trigger first (so no check can fire again).

        `delete_state` crashed the process (a segfault or a double free) once a trigger-first
        rule's `$not` had been blocked by a fact, so sessions are emptied and their ids reused
        instead: a clean plan's sid is reused, a failed plan's is retired (hazard 6).
        """
        for name in self.ruleset_names:
            own = [
                session.trigger,
                *session.asserted.get(name, []),
                *session.derived_facts.get(name, []),
            ]
            for i in range(0, len(own), BATCH):
                self.host.retract_facts(name, own[i : i + BATCH])

    def _assert(self, ruleset: str, facts: list[dict[str, Any]]) -> None:
        session = self._current()
        try:
            self.host.assert_facts(ruleset, facts)
        except MessageNotHandledException:
            # Hazard 4: cannot happen with the sink rules; if it does, the engine's memory may
            # be corrupt (seen: a double free later), so stop here rather than trust it.
            raise EngineError("a fact reached the engine that no rule handles") from None
        except Exception as exc:  # an action failed (hazard 5): `_run_actions` passed it on
            if session.limit is not None:
                raise session.limit from None
            raise EngineError(f"a rule action failed: {exc!r}") from exc
        self._drain(ruleset)
        state = self.host.get_state(ruleset, session.sid)
        if session.limit is not None:
            raise session.limit
        if session.errors or (state and "exception" in state):
            detail = "; ".join(session.errors) or str(state.get("exception"))
            raise EngineError(f"a rule action failed: {detail}")

    def _drain(self, ruleset: str) -> int:
        """The completion barrier: run every action still pending, until none is (hazard 2).

        Even without timer threads, `assert_facts` on a batch can return with actions pending
        (seen with a derivation: its action ran only here). Nothing is read before this returns.
        """
        rs = self.host.get_ruleset(ruleset)
        session = self._current()
        ran = 0
        while True:
            result = durable_rules_engine.start_action(rs._handle)
            if not result:
                return ran
            if json.loads(result[0]).get(SID) != session.sid:
                # An action queued for a failed plan's session: completed without running it,
                # or it would run now, among this plan's facts (found by review).
                while durable_rules_engine.complete_and_start_action(rs._handle, result[2]):
                    pass
                continue
            ran += 1
            rs._flush_actions(
                json.loads(result[0]),
                {"message": json.loads(result[1])},
                result[2],
                lambda e, state: session.errors.append(repr(e)) if e else None,
            )

    def live_sessions(self) -> int:
        """Sessions that hold facts: the last clean plan's (emptied lazily) and failed ones."""
        return len(self._retired) + (self._dirty is not None)
