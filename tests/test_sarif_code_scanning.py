"""SARIF as code scanning reads it: repository-relative URIs, regions, automation details, help.

Besides the official schema, the SARIF multitool's validator runs with its GitHub rules
(`validate --rule-kind "Gh;Sarif"`), installed with npm into a cache folder at test time
(`$XDG_CACHE_HOME/strataudit-tests`, else `~/.cache/strataudit-tests`); the test skips, saying
why, when npm or the tool cannot be had.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from conftest import ROOT, SAMPLES, invoke

DEFECTS = "sample_plans/acme-defects.yaml"
CLEAN = "sample_plans/acme-2027.yaml"
UNIT = "sample_plans/unit-eu"
DOCS = "https://docs.invalid/strataudit/docs/"  # a URL only these tests use (.invalid: RFC 2606)
MULTITOOL = "@microsoft/sarif-multitool@5.7.0"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    path = ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json"
    return jsonschema.Draft7Validator(json.loads(path.read_text(encoding="utf-8")))


def sarif(*args: str, stdin: str | None = None, cwd: Path | None = None) -> dict:
    result = invoke("audit", "--format", "sarif", *args, stdin=stdin, cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_locations_are_relative_to_the_root_with_a_uri_base_id(validator):
    log = sarif(DEFECTS, UNIT)
    assert not list(validator.iter_errors(log))
    [run] = log["runs"]
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == ROOT.resolve().as_uri() + "/"
    assert run["automationDetails"]["id"] == "strataudit/"
    lines = (ROOT / DEFECTS).read_text(encoding="utf-8").splitlines()
    for res in run["results"]:
        physical = res["locations"][0]["physicalLocation"]
        artifact = physical["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%" and not artifact["uri"].startswith("/")
        assert run["artifacts"][artifact["index"]]["location"]["uri"] == artifact["uri"]
        region = physical["region"]
        assert region["endLine"] == region["startLine"]
        if artifact["uri"] == DEFECTS:
            line = lines[region["startLine"] - 1]
            assert region["endColumn"] == len(line) + 1 > region["startColumn"]
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    }
    assert DEFECTS in uris


def test_sarif_root_and_files_outside_it(tmp_path, validator):
    outside = tmp_path / "plan.yaml"
    shutil.copy(ROOT / DEFECTS, outside)
    log = sarif("--sarif-root", "sample_plans", DEFECTS, str(outside))
    assert not list(validator.iter_errors(log))
    locations = {
        json.dumps(r["locations"][0]["physicalLocation"]["artifactLocation"], sort_keys=True)
        for r in log["runs"][0]["results"]
    }
    got = {json.loads(x)["uri"]: json.loads(x).get("uriBaseId") for x in locations}
    assert got == {"acme-defects.yaml": "%SRCROOT%", outside.resolve().as_uri(): None}
    base = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == (ROOT / "sample_plans").resolve().as_uri() + "/"


def test_docs_url_gives_information_and_help_uris_into_the_rule_catalogue():
    log = sarif("--docs-url", DOCS.rstrip("/"), CLEAN)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == DOCS
    headings = re.findall(r"^## (.+)$", (ROOT / "docs" / "rules.md").read_text(), re.MULTILINE)
    anchors = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}
    for rule in driver["rules"]:
        page, _, fragment = rule["helpUri"].partition("#")
        assert page == DOCS + "rules.md" and fragment in anchors, rule["id"]
    plain = sarif(CLEAN)["runs"][0]["tool"]["driver"]
    assert "informationUri" not in plain and all("helpUri" not in r for r in plain["rules"])
    assert invoke("audit", "--docs-url", "docs/", CLEAN).returncode == 2


def test_standard_input_takes_the_name_given_in_every_format(validator):
    text = (ROOT / DEFECTS).read_text(encoding="utf-8")
    name = "sample_plans/from-stdin.yaml"
    log = sarif("--stdin-filename", name, "-", stdin=text)
    assert not list(validator.iter_errors(log))
    artifacts = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    }
    assert artifacts == {name}
    report = json.loads(
        invoke("audit", "--format", "json", "--stdin-filename", name, "-", stdin=text).stdout
    )
    assert report["plans"][0]["file"] == name
    assert {f["location"]["file"] for f in report["findings"]} == {name}
    junit = invoke("audit", "--format", "junit", "--stdin-filename", name, "-", stdin=text).stdout
    assert f'<testsuite name="{name}"' in junit


# --- the SARIF multitool's validator, with its GitHub rules -----------------------------------


def _cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "strataudit-tests" / "sarif-multitool"


@pytest.fixture(scope="module")
def multitool() -> Path:
    """The multitool's native binary (its npm wrapper runs it through a shell, which splits
    `Gh;Sarif` at the semicolon, so the binary is called directly)."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        pytest.skip("npm and node are needed to install the SARIF multitool")
    prefix = _cache()
    package = prefix / "node_modules" / "@microsoft" / "sarif-multitool"
    if not package.is_dir():
        prefix.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(prefix), MULTITOOL],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            pytest.skip(f"npm could not install {MULTITOOL}: {done.stderr.strip()[-300:]}")
    found = subprocess.run(
        [node, "-e", "process.stdout.write(require(process.argv[1]))", str(package)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    binary = Path(found.stdout.strip())
    if found.returncode != 0 or not binary.is_file():
        pytest.skip(f"the SARIF multitool has no binary for this platform: {found.stderr[-300:]}")
    if not os.access(binary, os.X_OK):
        binary.chmod(binary.stat().st_mode | 0o100)  # npm may leave its postinstall unrun
    return binary


def _validate(binary: Path, log: dict, folder: Path) -> list[dict]:
    source, out = folder / "in.sarif", folder / "validation.sarif"
    source.write_text(json.dumps(log), encoding="utf-8")
    out.unlink(missing_ok=True)
    done = subprocess.run(
        [str(binary), "validate", "--rule-kind", "Gh;Sarif", "-o", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, DOTNET_CLI_TELEMETRY_OPTOUT="1"),
    )
    assert out.is_file(), done.stdout + done.stderr
    results = json.loads(out.read_text(encoding="utf-8"))["runs"][0]["results"]
    return [r for r in results if r.get("level", "warning") in ("error", "warning")]


@pytest.mark.parametrize(
    "args",
    [
        (DEFECTS, CLEAN, UNIT),
        ("sample_plans/acme-skeleton.yaml", "sample_plans/acme-2027.json"),
        ("--stdin-filename", DEFECTS, "-"),
    ],
    ids=["plans", "skeleton-and-json", "stdin"],
)
def test_the_multitool_with_github_rules_finds_nothing(multitool, tmp_path, args):
    stdin = (ROOT / DEFECTS).read_text(encoding="utf-8") if "-" in args else None
    log = sarif("--docs-url", DOCS, *args, stdin=stdin)
    problems = _validate(multitool, log, tmp_path)
    assert not problems, "\n".join(r["message"].get("text", str(r)) for r in problems[:10])


def test_the_multitool_sees_what_code_scanning_needs(multitool, tmp_path):
    """The check is real: unnamed standard input (no URI) is what GH1017 flags."""
    log = sarif("-", stdin=(SAMPLES / "acme-defects.yaml").read_text(encoding="utf-8"))
    assert any(r["ruleId"] == "GH1017" for r in _validate(multitool, log, tmp_path))
