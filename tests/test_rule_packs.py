"""User rule packs, `rules` commands and generated docs: the rule format as a public contract."""

from __future__ import annotations

import json
import shutil

from conftest import FIXTURES, ROOT, SAMPLES

from strataudit.docs import GENERATED
from strataudit.rulefile import load_ruleset

PACK_RULE = FIXTURES / "packs" / "one_rule.yaml"


def make_pack(tmp_path, text: str | None = None, name: str = "XPK001.yaml"):
    pack = tmp_path / "pack"
    pack.mkdir(exist_ok=True)
    (pack / name).write_text(text if text is not None else PACK_RULE.read_text())
    return pack


def test_generated_docs_are_fresh():
    """Fails when a rule file or fact kind changed but `python -m strataudit.docs` was not run."""
    ruleset = load_ruleset()
    for name, make in GENERATED.items():
        assert (ROOT / name).read_text() == make(ruleset), f"{name} is stale: regenerate it"


def test_builtin_rules_test_passes(run_cli):
    result = run_cli("rules", "test")
    assert result.returncode == 0, result.stdout
    assert "55 rules behaved, 0 misbehaved" in result.stdout


def test_user_pack_runs_with_no_python(run_cli, tmp_path):
    pack = make_pack(tmp_path)
    assert run_cli("rules", "test", str(pack)).returncode == 0
    result = run_cli(
        "audit",
        "--rules",
        str(pack),
        "--select",
        "XPK001",
        "--format",
        "json",
        "--fail-on",
        "warning",
        str(SAMPLES / "acme-skeleton.yaml"),
    )
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert {f["rule"] for f in report["findings"]} == {"XPK001"}


def test_misbehaving_pack_rule_is_reported(run_cli, tmp_path):
    broken = PACK_RULE.read_text().replace(
        "go_to_market: {missing: true}", "go_to_market: {present: true}"
    )
    result = run_cli("rules", "test", str(make_pack(tmp_path, broken)))
    assert result.returncode == 1
    assert "FAIL XPK001 fail[0]" in result.stdout and "FAIL XPK001 pass[0]" in result.stdout


def test_malformed_rule_file_names_file_line_and_field(run_cli, tmp_path):
    bad = PACK_RULE.read_text().replace("severity: warning", "severity: fatal")
    pack = make_pack(tmp_path, bad)
    for args in (
        ["rules", "test", str(pack)],
        ["audit", "--rules", str(pack), str(SAMPLES / "acme-2027.yaml")],
    ):
        result = run_cli(*args)
        assert result.returncode == 2
        assert "XPK001.yaml:4:1" in result.stderr and "severity" in result.stderr
        assert "Traceback" not in result.stderr


def test_unknown_operator_and_unbound_reference_are_input_errors(run_cli, tmp_path):
    for old, new, words in (
        ("{missing: true}", "{absent_in: true}", "unknown operator"),
        ("{missing: true}", "$nobody.key", "no earlier pattern binds"),
    ):
        pack = make_pack(tmp_path, PACK_RULE.read_text().replace(old, new))
        result = run_cli("rules", "test", str(pack))
        assert result.returncode == 2, result.stdout
        assert words in result.stderr and "XPK001.yaml:" in result.stderr


def test_pack_id_clash_with_a_builtin_is_an_error(run_cli, tmp_path):
    pack = make_pack(tmp_path, PACK_RULE.read_text().replace("XPK001", "SEG002"))
    result = run_cli("audit", "--rules", str(pack), str(SAMPLES / "acme-2027.yaml"))
    assert result.returncode == 2 and "SEG002 is already used" in result.stderr


def test_select_and_ignore_by_category(run_cli):
    plan = str(SAMPLES / "acme-defects.yaml")
    result = run_cli("audit", "--format", "json", "--select", "swot", plan)
    rules = {f["rule"] for f in json.loads(result.stdout)["findings"]}
    assert rules and all(r.startswith("SWT") for r in rules)
    result = run_cli("audit", "--format", "json", "--ignore", "swot,CON001", plan)
    rules = {f["rule"] for f in json.loads(result.stdout)["findings"]}
    assert rules and not any(r.startswith("SWT") or r == "CON001" for r in rules)


def test_rules_show_and_list(run_cli):
    shown = run_cli("rules", "show", "gol001").stdout
    for section in ("### What it does", "### Why it matters", "### Example", "### Use instead"):
        assert section in shown
    assert "drive more specific marketing strategies" in shown
    listed = json.loads(run_cli("rules", "list", "--format", "json").stdout)
    assert len(listed) == 55 and {"id", "severity", "category", "title"} <= set(listed[0])
    assert run_cli("rules", "show", "NOPE001").returncode == 2


def test_pack_directory_missing(run_cli, tmp_path):
    result = run_cli("rules", "test", str(tmp_path / "none"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_a_pack_rule_finds_the_same_alone_or_with_the_catalogue(run_cli, tmp_path):
    """Found by review: routing facts by Python-compared literals dropped facts the engine
    would match (`$$` escapes; the engine's "1" == 1). Facts are now routed by type only."""
    pack = FIXTURES / "packs" / "escapes"
    plan = tmp_path / "plan.yaml"
    plan.write_text((FIXTURES / "packs" / "escapes_plan.yaml.txt").read_text())
    assert run_cli("rules", "test", str(pack)).returncode == 0
    found = []
    for extra in (["--select", "XPK101,XPK102"], []):
        result = run_cli("audit", "--rules", str(pack), "--format", "json", *extra, str(plan))
        found.append(
            sorted(
                f["rule"]
                for f in json.loads(result.stdout)["findings"]
                if f["rule"].startswith("XPK")
            )
        )
    assert found[0] == found[1] == ["XPK101", "XPK102"]


DERIVING_MATCH = """derive:
  - when:
      - {as: p, fact: product, where: {go_to_market: {missing: true}}}
    assert: {fact: RULE_seen, product: $p.key}
match:
  - {as: subject, fact: product}
  - {as: seen, fact: RULE_seen, where: {product: $subject.key}}
"""


def test_six_hundred_rules_with_derivations_their_checks_read(tmp_path):
    """Issue 10: a 600-rule pack with derivations was an internal error (every derivation
    went into every engine ruleset). Each chunk now holds the derivations its checks read, and
    derivations no check reads are never given to the engine."""
    from click.testing import CliRunner

    from strataudit.cli import main

    template = (FIXTURES / "packs" / "one_rule.yaml").read_text()
    original = "match:\n  - {as: subject, fact: product, where: {go_to_market: {missing: true}}}\n"
    assert original in template
    pack = tmp_path / "many"
    pack.mkdir()
    for i in range(600):
        rule = f"XPK{i:03d}"
        text = template.replace("XPK001", rule)
        text = text.replace(original, DERIVING_MATCH.replace("RULE", rule.lower()))
        dead = f"  - when:\n      - {{as: q, fact: product}}\n    assert: {{fact: {rule}_dead}}\n"
        text = text.replace("derive:\n", f"derive:\n{dead}")  # read by no check
        (pack / f"{rule}.yaml").write_text(text)
    plan = str(SAMPLES / "acme-2027.yaml")
    alone = CliRunner().invoke(
        main, ["audit", plan, "--format", "json", "--rules", str(make_pack(tmp_path))]
    )
    many = CliRunner().invoke(main, ["audit", plan, "--format", "json", "--rules", str(pack)])
    assert many.exit_code == 0, many.output
    expected = sum(1 for f in json.loads(alone.stdout)["findings"] if f["rule"] == "XPK001")
    assert expected > 0
    counts: dict[str, int] = {}
    for f in json.loads(many.stdout)["findings"]:
        counts[f["rule"]] = counts.get(f["rule"], 0) + 1
    assert counts == {f"XPK{i:03d}": expected for i in range(600)}
