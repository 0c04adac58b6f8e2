"""What editors rely on: the plan schema's descriptions, `$schema` in JSON plans, the schema file.

The YAML language server and VS Code's JSON support show a property's `description` on hover
and in completion; a JSON plan names its schema with a top-level `$schema` key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

import jsonschema
import yaml
from conftest import ROOT, SAMPLES
from pydantic import BaseModel

from strataudit.model import Plan


def _models(annotation: Any, seen: set[type[BaseModel]]) -> set[type[BaseModel]]:
    """Every model reachable from an annotation (through lists and optionals)."""
    is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
    if is_model and annotation not in seen:
        seen.add(annotation)
        for field in annotation.model_fields.values():
            _models(field.annotation, seen)
    for arg in get_args(annotation):
        _models(arg, seen)
    return seen


def test_every_model_field_has_a_description():
    models = _models(Plan, set())
    assert len(models) >= 20
    undocumented = [
        f"{model.__name__}.{name}"
        for model in models
        for name, field in model.model_fields.items()
        if name != "x_fields" and not (field.description or "").strip()
    ]
    assert undocumented == []


def test_every_property_of_the_plan_schema_has_a_description(run_cli):
    schema = json.loads(run_cli("schema").stdout)
    missing: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for name, prop in (node.get("properties") or {}).items():
                if not prop.get("description"):
                    missing.append(f"{where}.{name}")
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for value in node:
                walk(value, where)

    walk(schema, "#")
    assert len(json.dumps(schema)) > 10_000 and missing == []


def test_docs_plan_schema_is_what_the_schema_command_prints(run_cli):
    """Editors can point at the file in the repository; `python -m strataudit.docs` writes it."""
    printed = run_cli("schema").stdout
    assert (ROOT / "docs" / "plan.schema.json").read_text(encoding="utf-8") == printed


def test_a_json_plan_may_name_its_schema(run_cli, tmp_path):
    plan = yaml.safe_load((SAMPLES / "acme-defects.yaml").read_text(encoding="utf-8"))
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(plan, indent=1, default=str), encoding="utf-8")
    linked = tmp_path / "linked.json"
    linked.write_text(
        json.dumps({**plan, "$schema": "./plan.schema.json"}, indent=1, default=str),
        encoding="utf-8",
    )

    def findings(path: Path) -> list[tuple[str, str, int]]:
        result = run_cli("audit", "--format", "json", str(path))
        assert result.returncode == 1, result.stderr
        found = json.loads(result.stdout)["findings"]
        return [(f["rule"], f["entity"], f["location"]["line"]) for f in found]

    assert len(findings(plain)) > 20 and findings(linked) == findings(plain)
    schema = json.loads(run_cli("schema").stdout)
    data = json.loads(linked.read_text(encoding="utf-8"))
    assert not list(jsonschema.Draft202012Validator(schema).iter_errors(data))


def test_schema_is_only_accepted_at_the_top_level(run_cli, tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"strataudit": 1, "plan": {"id": "x", "$schema": "s.json"}}))
    result = run_cli("audit", str(plan))
    assert result.returncode == 2 and "$schema" in result.stderr
