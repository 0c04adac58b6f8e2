"""Numbers reach the engine exactly, and one plan's engine crash is that plan's error.

Issue 10: `budget: 0.00005` made a plan with a real error pass (the engine's JSON parser stops
at the `e` of `5e-05`, which is how Python writes that float), `1.0e+16` lost findings, and
`1e+308` crashed the process or broke the plans after it. See docs/architecture.md, hazard 10.
"""

from __future__ import annotations

import datetime
import json
import os
import signal
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import SAMPLES

from strataudit.audit import Auditor
from strataudit.cli import main
from strataudit.engine import Engine, EngineCrash, engine_dumps, engine_number
from strataudit.loader import load_plan
from strataudit.rulefile import load_ruleset

RULESET = load_ruleset()

SMALL_PLAN = """\
strataudit: 1
plan: {{id: nums, period: {{start: 2027-01-01, end: 2027-12-31}}}}
corporate: {{budget: {envelope}, goals: [{{id: CG1, statement: Grow, metric: revenue,
  baseline: {baseline}, target: {target}, deadline: 2027-12-31, owner: ceo}}]}}
segments:
  - {{id: S1, name: One, target: true, budget: {segment}, size: {size}}}
  - {{id: S2, name: Two, budget: {segment}}}
actions:
  - {{id: A1, title: Launch, kind: promotion, budget: {action}, segments: [S1]}}
  - {{id: A2, title: Follow, kind: communication, budget: {action}, owner: x}}
"""

# One plan, its numbers written in several notations of the same values (and values chosen at
# the edges: tiny, huge, negative zero). Findings must not depend on the notation.
NOTATIONS = {
    "plain": dict(
        envelope="1000000",
        baseline="0",
        target="100",
        segment="0.00005",
        size="10000000000000000",
        action="20000",
    ),
    "exponent": dict(
        envelope="1.0e+6",
        baseline="0.0e+0",
        target="1.0e+2",
        segment="5.0e-05",
        size="1.0e+16",
        action="2.0e+4",
    ),
    "float": dict(
        envelope="1000000.0",
        baseline="-0.0",
        target="100.0",
        segment="5.0e-05",
        size="1.0e+16",
        action="20000.0",
    ),
}


def as_json(yaml_text: str) -> str:
    """The same plan in JSON, as Python writes it: `5e-05`, `1e+16`, the engine's bad case."""
    data = yaml.safe_load(yaml_text)

    def plain(node: object) -> object:
        if isinstance(node, dict):
            return {k: plain(v) for k, v in node.items()}
        if isinstance(node, list):
            return [plain(v) for v in node]
        if isinstance(node, datetime.date):
            return node.isoformat()
        if isinstance(node, int) and not isinstance(node, bool) and node > 1000:
            return float(node)  # 10000000000000000 -> 1e+16 in the JSON text
        return node

    return json.dumps(plain(data))


def fingerprints(text: str, name: str = "plan.yaml") -> set[tuple[str, str | None, str]]:
    loaded = load_plan(None, name, text)
    found = Auditor(RULESET).findings(loaded)
    return {(f.rule, f.entity, f.location.path) for f in found}


@pytest.mark.parametrize(
    "value",
    [5e-05, 1e16, 1e20, 1e308, 1e-300, -0.0, 1.5e16, 0.1, 2**70, -(2**70), 123, -5e-324],
)
def test_every_number_is_written_so_the_engine_reads_it_back_exactly(value: float) -> None:
    text = engine_number(value)
    mantissa = text.lower().partition("e")[0]
    assert "e" not in text.lower() or "." in mantissa, text
    assert float(text) == float(value)


def test_the_fast_encoder_is_only_left_for_exact_text() -> None:
    facts = [{"id": "a", "v": 5e-05, "label": "1e5 in a string"}, {"id": "b", "v": 10**30}]
    text = engine_dumps(facts)
    assert "5.0e-05" in text and "1e+30" not in text and "1.0e+30" in text
    assert json.loads(text) == [
        {"id": "a", "v": 5e-05, "label": "1e5 in a string"},
        {"id": "b", "v": 1e30},
    ]


def test_findings_do_not_depend_on_how_numbers_are_written() -> None:
    results = {
        name: fingerprints(SMALL_PLAN.format(**values)) for name, values in NOTATIONS.items()
    }
    assert results["plain"], "the plan has defects: the comparison must not be vacuous"
    assert results["exponent"] == results["plain"]
    assert results["float"] == results["plain"]
    json_text = as_json(SMALL_PLAN.format(**NOTATIONS["plain"]))
    assert "5e-05" in json_text and "1e+16" in json_text
    assert fingerprints(json_text, "plan.json") == results["plain"]


def _acme_without_owner(budget: str) -> str:
    text = (SAMPLES / "acme-2027.yaml").read_text()
    head, _, tail = text.partition("  - id: A51\n")
    tail = tail.replace("    owner: marketing-ops@acme.example\n", "", 1)
    tail = tail.replace("budget: 20000", f"budget: {budget}", 1)
    return f"{head}  - id: A51\n{tail}"


@pytest.mark.parametrize("budget", ["20000", "0.00005", "1.0e+16", "1.0e+308", "1.0e-300", "-0.0"])
def test_a_tiny_or_huge_budget_never_hides_a_real_error(budget: str) -> None:
    """The false pass of issue 10: A51 has no owner, whatever its budget is written as."""
    found = fingerprints(_acme_without_owner(budget))
    assert ("ACT001", "A51", "actions[A51].owner") in found


def test_an_extreme_plan_does_not_change_the_plans_after_it(tmp_path: Path) -> None:
    (tmp_path / "a-huge.yaml").write_text(_acme_without_owner("1.0e+308"))
    (tmp_path / "b-clean.yaml").write_text((SAMPLES / "acme-2027.yaml").read_text())
    alone = CliRunner().invoke(main, ["audit", str(tmp_path / "b-clean.yaml"), "--format", "json"])
    batch = CliRunner().invoke(main, ["audit", str(tmp_path), "--format", "json"])
    by_file = {p["file"]: p for p in json.loads(batch.stdout)["plans"]}
    clean = next(p for f, p in by_file.items() if f.endswith("b-clean.yaml"))
    assert clean["findings"] == json.loads(alone.stdout)["plans"][0]["findings"]
    assert batch.exit_code == 1, batch.stdout


def _crash_on(plan_key: str):  # type: ignore[no-untyped-def]
    """An engine whose C core 'crashes' (SIGSEGV) on one plan: the fault containment test."""
    real = Engine.run

    def run(self: Engine, facts: list[dict], trigger: dict | None = None) -> list:  # type: ignore[type-arg]
        if any(f.get("type") == "plan" and f.get("key") == plan_key for f in facts):
            os.kill(os.getpid(), signal.SIGSEGV)
        return real(self, facts, trigger)

    return run


def test_an_engine_crash_is_that_plans_error_and_the_batch_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.yaml").write_text(SMALL_PLAN.format(**NOTATIONS["plain"]))
    (tmp_path / "b.yaml").write_text(
        SMALL_PLAN.format(**NOTATIONS["plain"]).replace("id: nums", "id: other")
    )
    monkeypatch.setattr(Engine, "run", _crash_on("nums"))
    result = CliRunner().invoke(main, ["audit", str(tmp_path), "--format", "json"])
    assert result.exit_code == 2, result.output
    report = json.loads(result.stdout)
    plans = {p["id"]: p for p in report["plans"]}
    assert plans["other"]["findings"], "the other plan is audited and reported"
    assert any(
        "rule engine crashed" in e["message"] and "SIGSEGV" in e["message"]
        for e in report["errors"]
    ), report["errors"]
    assert "Traceback" not in result.output


def test_a_plan_past_the_time_limit_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    def hang(self: Engine, facts: list[dict], trigger: dict | None = None) -> list:  # type: ignore[type-arg]
        time.sleep(30)
        return []

    engine = Auditor(RULESET).engine
    monkeypatch.setattr(Engine, "run", hang)
    started = time.monotonic()
    with pytest.raises(EngineCrash, match="time limit"):
        engine.run_isolated([], timeout=0.5)
    assert time.monotonic() - started < 20  # the child was killed, not waited for


def test_isolated_runs_leave_the_engine_untouched() -> None:
    """Every plan sees a pristine engine: the parent's sessions never hold a plan's facts."""
    auditor = Auditor(RULESET)
    loaded = load_plan(SAMPLES / "acme-defects.yaml", "acme-defects.yaml")
    first = auditor.findings(loaded)
    for _ in range(3):
        assert auditor.findings(loaded) == first
    assert auditor.engine.live_sessions() == 0


def test_a_defect_of_ours_on_one_plan_does_not_hide_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import strataudit.audit as audit_module

    real = audit_module.build_facts

    def broken(plan, *rest):  # type: ignore[no-untyped-def]
        if plan.plan.id == "nums":
            raise ZeroDivisionError("a bug")
        return real(plan, *rest)

    (tmp_path / "a.yaml").write_text(SMALL_PLAN.format(**NOTATIONS["plain"]))
    (tmp_path / "b.yaml").write_text(
        SMALL_PLAN.format(**NOTATIONS["plain"]).replace("id: nums", "id: other")
    )
    monkeypatch.setattr(audit_module, "build_facts", broken)
    result = CliRunner().invoke(main, ["audit", str(tmp_path), "--format", "json"])
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert [p["id"] for p in report["plans"] if p["findings"]] == ["other"]
    assert any("internal error" in e["message"] for e in report["errors"])
