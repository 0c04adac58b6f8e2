"""The durable-rules field notes' silent hazards, each turned into a test that would catch it.

See docs/architecture.md (the hazards table); each test names the hazard it guards.
"""

from __future__ import annotations

import random
import subprocess
import threading
from pathlib import Path

import pytest
import yaml
from conftest import SAMPLES, strataudit_command

from strataudit.audit import Auditor, Target
from strataudit.compiler import MAX_RULES_PER_RULESET, compile_rules
from strataudit.engine import MAX_LIVE_SESSIONS, Engine, EngineError, _Session, fnv32
from strataudit.facts import build_facts
from strataudit.findings import build_findings
from strataudit.loader import load_plan
from strataudit.rulefile import load_ruleset

RULESET = load_ruleset()
# Two ids whose 32-bit FNV-1a hashes collide (found by brute force; checked below).
COLLIDING = ("PR-68199", "PR-269406")


def identities(auditor: Auditor, text: str) -> set[tuple[str, str | None, str, str | None]]:
    loaded = load_plan(None, "plan.yaml", text)
    return {(f.rule, f.entity, f.location.path, f.detail) for f in auditor.findings(loaded)}


def shuffled(text: str, seed: int) -> str:
    """The same plan with every list (entities and references) in another order."""
    rng = random.Random(seed)

    def walk(node):
        if isinstance(node, dict):
            items = list(node.items())
            rng.shuffle(items)
            return {k: walk(v) for k, v in items}
        if isinstance(node, list):
            items = [walk(v) for v in node]
            rng.shuffle(items)
            return items
        return node

    return yaml.safe_dump(walk(yaml.safe_load(text)), sort_keys=False, allow_unicode=True)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_absence_checks_do_not_depend_on_fact_arrival_order(seed):
    """Hazard 1: a negation fires as soon as it holds; the trigger-last design must not.

    The facts of one plan reach the engine in a shuffled order: the findings must not move."""
    auditor = Auditor(RULESET)
    loaded = load_plan(SAMPLES / "acme-defects.yaml", "acme-defects.yaml")
    base = build_facts(loaded.plan)
    plan_id = loaded.plan.plan.id

    def run(facts):
        matches = auditor.engine.run(facts)
        return {
            (f.rule, f.entity, f.location.path, f.detail)
            for f in build_findings(matches, RULESET, base, loaded.locator, plan_id)
        }

    expected = run(base.facts)
    assert len(expected) > 20, "the defect plan must give findings for this test to mean anything"
    facts = list(base.facts)
    random.Random(seed).shuffle(facts)
    assert run(facts) == expected
    assert run(list(reversed(base.facts))) == expected


ORDER_SENSITIVE = {"VAL002"}  # "an earlier product's": document order is its meaning


@pytest.mark.parametrize("seed", [1, 2])
def test_reordering_the_plan_moves_no_finding(seed):
    """Entities written in another order: same findings (paths are built from ids)."""
    auditor = Auditor(RULESET.select(ignore=tuple(ORDER_SENSITIVE)))
    text = (SAMPLES / "acme-defects.yaml").read_text()
    assert identities(auditor, shuffled(text, seed)) == identities(auditor, text)


def test_completion_barrier_runs_every_action_before_results_are_read():
    """Hazard 2: a 200-goal chain needs 200 chained derivations; all must be in before checks.

    Without the drain, GOL001 reports the goals whose alignment was still pending."""
    parents = ["CG1", *(f"G{i}" for i in range(199))]
    goals = "\n".join(
        f"      - {{id: G{i}, statement: g{i}, supports: [{parent}]}}"
        for i, parent in enumerate(parents)
    )
    text = f"""strataudit: 1
plan: {{id: chain}}
corporate:
  goals: [{{id: CG1, statement: Top}}]
units:
  - id: BU
    name: Unit
    goals:
{goals}
"""
    auditor = Auditor(RULESET.select(("GOL001", "GOL009")))
    assert identities(auditor, text) == set()
    assert threading.active_count() == 1, "the engine must not start timer threads"


def test_the_barrier_runs_actions_that_batch_assertion_left_pending():
    """Seen in our probes: when a batch raises MessageNotHandledException, the actions of the
    facts it did accept are left pending when `assert_facts` returns. The sink rules keep that
    from happening in an audit; the drain is the barrier if it ever does: it must run them."""
    from durable.engine import MessageNotHandledException

    engine = Engine(compile_rules([RULESET.by_id["SEG002"]]))
    session = engine._session = _Session("probe")
    name = engine.ruleset_names[0]
    facts = [
        {"type": "product", "key": "P1", "id": "f1", "path": "products[P1]"},
        {"type": "trigger", "id": "t", "level": "full"},  # the trigger a full plan gets
        {"type": "not_a_fact_kind", "id": "f2"},
    ]
    with pytest.raises(MessageNotHandledException):
        engine.host.assert_facts(name, [dict(f, sid="probe", one=1) for f in facts])
    assert session.matches == [], "the check's action is still pending here"
    assert engine._drain(name) >= 1
    assert [m.rule_id for m in session.matches] == ["SEG002"]
    assert engine._drain(name) == 0, "after the drain nothing is pending"
    engine._session = None


def test_an_exception_inside_an_action_fails_the_audit_loudly():
    """Hazard 5: the engine swallows action errors; the audit must not pass silently."""
    program = compile_rules([RULESET.by_id["SEG002"]])

    class Broken(Engine):
        def _action(self, item):
            real = super()._action(item)

            def boom(c):
                real(c)
                raise ValueError("boom")

            return boom

    engine = Broken(program)
    loaded = load_plan(
        None, "p.yaml", "strataudit: 1\nplan: {id: x}\nproducts: [{id: P1, name: One}]\n"
    )
    with pytest.raises(EngineError, match="boom"):
        engine.run(build_facts(loaded.plan).facts)
    assert len(engine._retired) == 1, "a failed plan's session is never reused"


def test_fact_ids_never_share_a_hash_in_a_session():
    """Hazard 3: ids are compared by 32-bit hash; a colliding second id must be renamed."""
    a, b = COLLIDING
    assert a != b and fnv32(a) == fnv32(b)
    session = _Session("plan-0")
    first, second = session.unique_id(a), session.unique_id(b)
    assert first == a and second != b and fnv32(first) != fnv32(second)


def test_join_values_with_colliding_hashes_are_still_told_apart():
    """Hazard 3 on join values: a reference to PR-269406 must not find product PR-68199."""
    a, b = COLLIDING
    auditor = Auditor(RULESET.select(("CON001", "SEG002")))
    found = identities(
        auditor,
        f"""strataudit: 1
plan: {{id: coll}}
segments: [{{id: {a}, name: Mid, target: true}}]
products:
  - {{id: P1, name: One, segments: [{b}]}}
actions:
  - {{id: A1, title: Push, products: [{b}]}}
""",
    )
    assert ("CON001", "P1", "products[P1].segments", b) in found
    assert ("CON001", "A1", "actions[A1].products", b) in found
    assert ("SEG002", "P1", "products[P1].segments", None) in found


def test_session_ids_are_distinct_by_hash_and_state_is_deleted():
    """Hazards 3 and 6: more plans than the 1,024 live-session limit, one engine.

    Audits run each plan in a child forked from the never-used engine (`run_isolated`), so the
    sessions of one engine are consumed only by the in-process `Engine.run` (probes, no fork):
    that is where each clean plan's session must be emptied and its sid reused. The 1,100 runs
    happen in-process in one forked child (the retraction they do is what the hazards table
    says can read uninitialised memory: a crash there must not end the test session); checked
    to fail when the emptying or the reuse is removed from `Engine.run`."""
    from strataudit import forked

    auditor = Auditor(RULESET.select(("SEG002",)))
    pool = list(auditor.engine._free)
    assert len({fnv32(s) for s in pool}) == len(pool)
    text = "strataudit: 1\nplan: {id: x}\nproducts: [{id: P1, name: One}]\n"
    base = build_facts(load_plan(None, "p.yaml", text).plan)

    def plans() -> tuple[int, int]:
        for _ in range(MAX_LIVE_SESSIONS + 76):
            matches = auditor.engine.run(base.for_engine(), trigger=base.trigger)
            assert [m.rule_id for m in matches] == ["SEG002"]
        return auditor.engine.live_sessions(), auditor.engine._ids.minted

    live, minted = forked.call(plans)
    assert live <= 1  # the last plan's, emptied before the next
    assert minted <= 3, "sids are reused, not minted per plan"
    for _ in range(3):  # and audits, each in its own child, leave this engine untouched
        result = auditor.audit(Target(None, "p.yaml", text))
        assert [f.rule for f in result.findings] == ["SEG002"]
    assert auditor.engine.live_sessions() == 0 and auditor.engine._free == pool


def test_more_rules_than_share_a_first_test_safely(tmp_path):
    """Hazard 7: 512+ rules sharing their first test hang the process; checks are chunked."""
    pack = tmp_path / "pack"
    pack.mkdir()
    template = (Path(__file__).parent / "fixtures" / "packs" / "one_rule.yaml").read_text()
    count = max(600, MAX_RULES_PER_RULESET + 150)
    for i in range(count):
        (pack / f"X{i:03d}.yaml").write_text(template.replace("XPK001", f"XPK{i:03d}"))
    plan = tmp_path / "plan.yaml"
    plan.write_text("strataudit: 1\nplan: {id: x}\nproducts: [{id: P1, name: One}]\n")
    result = subprocess.run(
        [
            *strataudit_command(),
            "audit",
            "--rules",
            str(pack),
            "--select",
            f"XPK000,XPK{count - 1:03d}",
            "--fail-on",
            "warning",
            "--format",
            "json",
            str(plan),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 1, result.stderr
    assert f'"XPK{count - 1:03d}"' in result.stdout and '"XPK000"' in result.stdout
    full = subprocess.run(
        [*strataudit_command(), "audit", "--rules", str(pack), "--format", "json", str(plan)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert full.stdout.count('"rule": "XPK') == count, full.stderr


def test_only_the_engine_module_imports_durable_rules():
    import ast

    root = Path(__file__).resolve().parent.parent / "engine" / "strataudit"
    importers = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n.split(".")[0] in ("durable", "durable_rules_engine") for n in names):
                importers.append(path.name)
    assert sorted(set(importers)) == ["engine.py"], importers


COMPARING_PACK = """strataudit_rule: 1
id: XCMP001
title: Product listed after a cheaper one
severity: warning
category: value
scope: entity
source: "planning practice: a test pack"
rationale: Exercises a comparison join that is false for most pairs.
remediation: None.
message: "Product '{subject.label}' ({subject.key}) comes after '{other.label}'"
item: "{other.key}"
match:
  - {as: subject, fact: product}
  - {as: other, fact: product, where: {index: {lt: $subject.index}, kind: {in: [service]}}}
examples:
  fail:
    - plan: |
        strataudit: 1
        plan: {id: ex}
        products: [{id: P1, name: One, kind: service}, {id: P2, name: Two},
                   {id: P3, name: Three, kind: service}]
      expect: [{entity: P2}, {entity: P3}]
  pass:
    - plan: |
        strataudit: 1
        plan: {id: ex}
        products: [{id: P1, name: One}, {id: P2, name: Two, kind: service}]
"""


def test_false_comparison_joins_do_not_crash_the_engine(tmp_path):
    """Probe finding: a false `lt`/`gt`/`ne` as a pattern's last join read past the engine's
    expression array (segfault in 10 of 10 runs); a join after `$or` was silently ignored.
    The compiler ends every joined pattern with an always-true join and puts `$or` last."""
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "XCMP001.yaml").write_text(COMPARING_PACK)
    for _ in range(5):
        result = subprocess.run(
            [*strataudit_command(), "rules", "test", str(pack)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)


def test_compiled_patterns_are_ordered_around_engine_defects():
    from strataudit.compiler import ALWAYS, compile_tests

    compiled = compile_tests(
        "product",
        {"kind": {"in": ["a", "b"]}, "index": {"lt": "$q.index"}, "unit": "$q.unit", "name": "x"},
        "t_trigger",
        frozenset({"budget"}),
    )
    tests = compiled["$and"]
    assert tests[0] == {"type": "product"} and {"$ex": {"budget": 1}} in tests
    assert tests[-1] == {"$or": [{"kind": "a"}, {"kind": "b"}]}
    assert tests[-2] == {ALWAYS: {"t_trigger": ALWAYS}}
    joins = [t for t in tests if "p_q" in str(t)]
    assert joins == [{"$lt": {"index": {"p_q": "index"}}}, {"unit": {"p_q": "unit"}}]


def test_derivations_reach_every_engine_ruleset(tmp_path):
    """With more rules than one engine ruleset holds, every ruleset derives its own facts: a
    clean plan stays clean (the built-in checks land in the second ruleset here)."""
    pack = tmp_path / "pack"
    pack.mkdir()
    template = (Path(__file__).parent / "fixtures" / "packs" / "one_rule.yaml").read_text()
    for i in range(MAX_RULES_PER_RULESET + 10):
        (pack / f"A{i:03d}.yaml").write_text(template.replace("XPK001", f"AAA{i:03d}"))
    result = subprocess.run(
        [
            *strataudit_command(),
            "audit",
            "--rules",
            str(pack),
            "--format",
            "json",
            str(SAMPLES / "acme-2027.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    import json

    rules = {f["rule"] for f in json.loads(result.stdout)["findings"]}
    assert not {r for r in rules if not r.startswith("AAA")}, rules


def _in_process(*args: str):  # type: ignore[no-untyped-def]
    """The CLI in this process: each plan's engine runs in a forked child, so a runaway or a
    crash stays there (and a lowered derivation bound, set here, reaches the child)."""
    from click.testing import CliRunner

    from strataudit.cli import main

    return CliRunner().invoke(main, list(args))


def test_a_runaway_closure_stops_its_plan_with_a_clear_error(monkeypatch, tmp_path):
    """GOL009's closure grows with the square of a chain: 1,000 goals in a chain would take
    minutes and gigabytes; the bound stops that plan alone, with a hint (exit 2). The bound is
    lowered here to 10,000 so that a 200-goal chain (20,110 derived facts) reaches it fast."""
    import strataudit.engine

    assert strataudit.engine.MAX_DERIVED_FACTS == 100_000  # the production bound
    monkeypatch.setattr(strataudit.engine, "MAX_DERIVED_FACTS", 10_000)
    parents = ["CG1", *(f"G{i}" for i in range(199))]
    goals = "\n".join(
        f"      - {{id: G{i}, statement: g{i}, supports: [{p}]}}" for i, p in enumerate(parents)
    )
    plan = tmp_path / "chain.yaml"
    plan.write_text(
        "strataudit: 1\nplan: {id: chain}\ncorporate:\n"
        "  goals: [{id: CG1, statement: Top}]\nunits:\n  - id: BU\n    name: Unit\n"
        f"    goals:\n{goals}\n"
    )
    result = _in_process("audit", "--select", "GOL009", str(plan), str(SAMPLES / "acme-2027.yaml"))
    assert result.exit_code == 2
    assert "too long to follow" in result.stderr and "shorten" in result.stderr
    assert "2 plans audited" in result.stdout


def test_a_failed_plan_leaves_nothing_for_the_next(monkeypatch):
    """Found by review: a plan stopped by the derivation bound (a.json, a 500-goal chain) left
    queued actions that the next plan's barrier ran among its own facts: c.yaml then got a
    false GOL009 on G104. Now nothing of a plan outlives its forked engine run."""
    import json

    import strataudit.engine

    monkeypatch.setattr(strataudit.engine, "MAX_DERIVED_FACTS", 10_000)
    leak = Path(__file__).parent / "fixtures" / "leak"
    alone = _in_process("audit", "--format", "json", str(leak / "c.yaml"))
    after = _in_process("audit", "--format", "json", str(leak / "a.json"), str(leak / "c.yaml"))
    assert alone.exit_code in (0, 1) and after.exit_code == 2
    assert "too long to follow" in after.stderr
    assert json.loads(after.stdout)["findings"] == json.loads(alone.stdout)["findings"]


def test_derived_fields_are_single_values_from_bound_patterns(run_script, tmp_path):
    pack = tmp_path / "pack"
    pack.mkdir()
    rule = (Path(__file__).parent / "fixtures" / "packs" / "one_rule.yaml").read_text()
    derive = (
        "derive:\n  - when: [{as: p, fact: product}]\n"
        "    assert: {fact: xpk001_seen, product: VALUE}\nmatch:\n"
    )
    for value, words in (
        ("[a, b]", "one value"),
        ("$ghost.key", "no pattern binds"),
        ("$p.label", "for messages only"),
    ):
        (pack / "XPK001.yaml").write_text(
            rule.replace("match:\n", derive.replace("VALUE", value), 1)
        )
        result = run_script("rules", "test", str(pack))
        assert result.returncode == 2 and words in result.stderr, result.stderr


RAW_EXPONENT_PROBE = """
import json, durable_rules_engine
from durable.engine import Host
class H(Host):
    def _run(self): pass
    def get_action(self, name): return lambda c: None
h = H()
h.set_rulesets({"rs": {"r": {"all": [{"m": {"type": "x", "v": {"$gt": 0}}}], "run": "a"}}})
handle = h.get_ruleset("rs")._handle
text = '[{"id": "a", "sid": "s", "type": "x", "v": 5e-05}, {"id": "b", "sid": "s", "type": "x"}]'
durable_rules_engine.assert_facts(handle, text)
print(len(json.loads(durable_rules_engine.get_facts(handle, "s"))))
"""


def test_the_engine_still_misreads_exponents_and_we_never_send_one() -> None:
    """Hazard 10: the pinned engine's parser stops at the `e` of `5e-05` (the facts after it
    are lost, or the process dies); if this ever passes with 2 facts, the engine was fixed."""
    import sys

    from strataudit.engine import engine_dumps

    probe = subprocess.run(
        [sys.executable, "-c", RAW_EXPONENT_PROBE], capture_output=True, text=True, timeout=60
    )
    assert probe.returncode != 0 or probe.stdout.strip() != "2", probe.stdout
    sent = engine_dumps([{"id": "a", "v": 5e-05}, {"id": "b", "v": 1e16}, {"id": "c", "v": 2.0}])
    assert "5e-05" not in sent and "1e+16" not in sent
