"""`--format html`: one self-contained page a reviewer opens in a browser or gets by e-mail.

The page has inline CSS, inline SVG and a small inline script (the findings filters), and makes
no request to any network address: a Content-Security-Policy in the page allows only that one
script (by its hash) and no fetch of any kind. Every plan string reaches the page through
Jinja2 with autoescape on; data for the script travels as JSON (`|tojson`) inside
`<script type="application/json">`, which the browser never executes.

This module only lays out what the audit decided: highlights (an unmatched product, an
unaligned goal, an unaddressed weakness, a budget overrun) come from the findings, through the
marks of `marks.py`, and the budget figures are the engine's own facts: never a second opinion.

Per plan, in order: the findings (each opening the plan lines around it, `excerpts.py`), the
checklist (`Report.checklist`), the matrix and the SWOT coverage (here), the goal cascade
(`html_cascade.py`), the budget bars (`html_budget.py`), the spend view (`html_spend.py`) and,
on paper only, a sign-off block. Below 900 px a findings row becomes a two-column card.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter, defaultdict
from typing import Any

import jinja2
from markupsafe import Markup

from strataudit.facts import build_facts
from strataudit.model import Plan
from strataudit.reports.excerpts import Excerpts
from strataudit.reports.html_budget import budget
from strataudit.reports.html_cascade import cascade
from strataudit.reports.html_spend import spend
from strataudit.reports.marks import MARKS, FindingLinks
from strataudit.reports.numbers import number as _number
from strataudit.reports.origin import OWN, Origins
from strataudit.results import SEVERITIES as ORDER
from strataudit.results import Check, Checklist, Finding, InputProblem, PlanResult, Report, State

SEVERITIES = tuple(s.label for s in ORDER)  # error, warning, info

# The one script of the page, allowed by its hash in the page's Content-Security-Policy. It
# reads the JSON blocks and toggles rows; it never writes markup (no innerHTML).
SCRIPT = """
(function () {
  "use strict";
  var root = document.documentElement;
  root.setAttribute("data-js", "ready");
  function rowsOf(block) {
    var data = document.getElementById(block.getAttribute("data-rows"));
    return data ? JSON.parse(data.textContent) : [];
  }
  function setup(block) {
    var rows = rowsOf(block);
    var form = block.querySelector("form.filters");
    var count = block.querySelector(".shown");
    if (!form) { return; }
    var selects = form.querySelectorAll("select");
    function apply() {
      var want = {};
      selects.forEach(function (s) { want[s.name] = s.value; });
      var shown = 0;
      rows.forEach(function (r) {
        var el = document.getElementById(r.id);
        if (!el) { return; }
        var ok = (!want.severity || r.severity === want.severity) &&
                 (!want.category || r.category === want.category) &&
                 (!want.rule || r.rule === want.rule) &&
                 (!want.status || r.status === want.status);
        el.hidden = !ok;
        if (ok) { shown += 1; }
      });
      if (count) { count.textContent = shown + " of " + rows.length + " shown"; }
    }
    function reset() {
      selects.forEach(function (s) { s.value = ""; });
      apply();
    }
    form.addEventListener("change", apply);
    form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
    block.resetFilters = reset;
    form.hidden = false;
    apply();
  }
  var blocks = document.querySelectorAll("[data-rows]");
  blocks.forEach(setup);
  function reveal() {
    var id = window.location.hash.slice(1);
    if (!id) { return; }
    var target = document.getElementById(id);
    if (!target || !target.hidden) { return; }
    blocks.forEach(function (b) {
      if (b.contains(target) && b.resetFilters) { b.resetFilters(); }
    });
    target.scrollIntoView();
  }
  window.addEventListener("hashchange", reveal);
  reveal();
})();
"""


def _script_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()


CSP = (
    "default-src 'none'; script-src '{script}'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)


_JOINED = re.compile(r"([\w(']+(?:[-\u2013][\w)',.:]+)+)")  # EU-G7, self-reference), 21-27


def _ticks(text: str) -> list[tuple[str, str]]:
    """`a `b` EU-G7` -> [("text", "a "), ("code", "b"), ("text", " "), ("word", "EU-G7")].

    Code spans become <code>; words joined by a hyphen (ids above all) become unbreakable
    spans, so that a narrow column never splits `EU-` from `G7`. The template escapes each
    part itself; an unpaired backtick stays as text.
    """
    parts = text.split("`")
    if len(parts) % 2 == 0:  # odd number of backticks: keep the last one literally
        parts[-2:] = [parts[-2] + "`" + parts[-1]]
    out: list[tuple[str, str]] = []
    for i, part in enumerate(parts):
        if i % 2 == 1:
            out.append(("code", part))
            continue
        for j, piece in enumerate(_JOINED.split(part)):
            if piece:
                out.append(("word" if j % 2 else "text", piece))
    return [p for p in out if p[1]]


_FILE_BREAK, _PATH_BREAK = re.compile(r"(?<=/)"), re.compile(r"(?<=/)|(?=[.\[])")


def _breaks(text: str, path: bool = False) -> list[str]:
    """Where a long file name (after `/`) or plan path (also before `.`, `[`) may wrap."""
    return [part for part in (_PATH_BREAK if path else _FILE_BREAK).split(text) if part]


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


# ---------------------------------------------------------------------------------------------
# Findings


def _finding_view(f: Finding, anchor: str, plan_file: str, excerpts: Excerpts) -> dict[str, Any]:
    loc = f.location
    waiver = None
    if f.state is State.WAIVED and f.waiver is not None:
        w = f.waiver
        waiver = {
            "owner": w.owner,
            "reason": w.reason,
            "expires": w.expires.isoformat(),
            "source": w.source,
            "describe": w.describe(),
        }
    return {
        "anchor": anchor,
        "rule": f.rule,
        "title": f.title,
        "severity": f.severity.label,
        "category": f.category,
        "message": f.message,
        "file": loc.file,
        "line": loc.line,
        "column": loc.column,
        "path": loc.path,
        "included": loc.file != plan_file,
        "entity": f.entity,
        "remediation": f.remediation,
        "rationale": f.rationale,
        "waiver": waiver,
        "expired_waiver": f.expired_waiver.describe() if f.expired_waiver else None,
        "baselined": f.state is State.BASELINED,
        "status": f.state.value,
        "excerpt": excerpts.around(loc.file, loc.line),
    }


# ---------------------------------------------------------------------------------------------
# What was checked and what passed

CHECK_COLUMNS = (  # (column, heading, css), in the order the table shows them
    (Check.FAILED, "failed", "bad"),
    (Check.WAIVED, "waived or baselined", "warn"),
    (Check.PASSED, "passed", "ok"),
    (Check.NOT_APPLICABLE, "not applicable", ""),
)


def _checklist(checklist: Checklist, anchors: dict[str, str]) -> dict[str, Any]:
    """The checklist's rows for the template: counts and, per column, (rule id, the anchor of
    its first finding on the page or None)."""
    return {
        "columns": [{"key": c.value, "title": t, "css": css} for c, t, css in CHECK_COLUMNS],
        "rows": [
            {
                "category": row.category,
                "ran": row.ran,
                "cells": [
                    {"n": row.count(c), "rules": [(r, anchors.get(r)) for r in row.rules[c]]}
                    for c, _, _ in CHECK_COLUMNS
                ],
            }
            for row in checklist.rows
        ],
        "totals": [checklist.total(c) for c, _, _ in CHECK_COLUMNS],
        "ran": checklist.ran,
        "summary": checklist.summary(),
    }


# ---------------------------------------------------------------------------------------------
# Product x segment matching matrix


def _matrix(plan: Plan, links: FindingLinks, origins: Origins) -> dict[str, Any]:
    segments = list(plan.segments or [])
    products = list(plan.products or [])
    seg_ids = {s.id for s in segments}
    targets = [s for s in segments if s.target]
    others = [s for s in segments if not s.target]
    targets.sort(key=lambda s: (s.priority is None, s.priority or 0))
    columns = []
    offered: Counter[str] = Counter()
    for p in products:
        for sid in set(p.segments or []):
            offered[sid] += 1
    seg_origin = origins.by_key("segment")
    for s in [*targets, *others]:
        origin = seg_origin.get(s.id, OWN)
        columns.append(
            {
                "id": s.id,
                "name": s.name,
                "label": _clip(s.name, 28),
                "target": bool(s.target),
                "priority": _number(s.priority) if s.priority is not None else None,
                "products": offered.get(s.id, 0),
                "finding": links.get("matrix.unserved_target", s.id) if s.target else None,
                "context": origin.context,
                "origin": origin.file,
            }
        )
    rows = []
    unknown_any = False
    for p in products:
        listed = list(dict.fromkeys(p.segments or []))
        unknown = [sid for sid in listed if sid not in seg_ids]
        unknown_any = unknown_any or bool(unknown)
        rows.append(
            {
                "id": p.id,
                "name": p.name,
                "kind": p.kind,
                "unit": p.unit,
                "cells": [c["id"] in listed for c in columns],
                "targets": sum(1 for c in columns if c["target"] and c["id"] in listed),
                "unknown": unknown,
                "finding": links.get("matrix.unmatched_product", p.id),
            }
        )
    return {"columns": columns, "rows": rows, "unknown": unknown_any, "targets": len(targets)}


# ---------------------------------------------------------------------------------------------
# SWOT coverage


def _swot(plan: Plan, links: FindingLinks, origins: Origins) -> list[dict[str, Any]] | None:
    a = plan.assessment
    if a is None:
        return None
    by_item: dict[str, list[dict[str, str]]] = defaultdict(list)
    for action in plan.actions or []:
        for ref in dict.fromkeys(action.addresses or []):
            by_item[ref].append({"id": action.id, "title": action.title})
    cited: dict[str, list[dict[str, str]]] = defaultdict(list)
    for p in plan.products or []:
        for ref in dict.fromkeys((p.positioning.strengths or []) if p.positioning else []):
            cited[ref].append({"id": p.id, "title": p.name})
    kinds = ("strength", "weakness", "opportunity", "threat")
    item_origin = {k: o for t in kinds for k, o in origins.by_key(t).items()}
    out = []
    for kind, title in (
        ("strengths", "Strengths"),
        ("weaknesses", "Weaknesses"),
        ("opportunities", "Opportunities"),
        ("threats", "Threats"),
    ):
        items = []
        for item in getattr(a, kind) or []:
            actions = by_item.get(item.id, [])
            products = cited.get(item.id, []) if kind == "strengths" else []
            risk = getattr(item, "accepted_risk", None)
            items.append(
                {
                    "id": item.id,
                    "text": item.text,
                    "actions": actions,
                    "products": products,
                    "accepted_risk": risk,
                    "addressed": bool(actions or products),
                    "finding": links.get(f"swot.{kind}", item.id),
                    "context": item_origin.get(item.id, OWN).context,
                }
            )
        out.append(
            {
                "kind": kind,
                "title": title,
                "items": items,
                "open": sum(1 for i in items if not i["addressed"] and not i["accepted_risk"]),
            }
        )
    return out


# ---------------------------------------------------------------------------------------------
# The page


def _plan_view(index: int, result: PlanResult, report: Report) -> dict[str, Any]:
    prefix = f"p{index}"
    new_first = report.new_first(result.findings)  # with a baseline: not in it, first
    order = sorted(
        result.findings,
        key=lambda f: (new_first and f.baselined, -f.severity, *f.sort_key()),
    )
    links = FindingLinks()
    excerpts = Excerpts.of(result.plan)
    findings = []
    for n, f in enumerate(order, 1):
        anchor = f"{prefix}-f{n}"
        links.add(f.rule, f.entity, anchor)
        findings.append(_finding_view(f, anchor, result.file, excerpts))
    verdict = report.verdict_of(result)
    loaded = result.plan
    plan = loaded.plan if loaded is not None else None
    header = plan.plan if plan is not None else None
    period = None
    if header is not None and header.period is not None:
        start, end = header.period.start, header.period.end
        period = f"{start.isoformat() if start else '?'} to {end.isoformat() if end else '?'}"
    includes = [d.file for d in loaded.documents[1:]] if loaded is not None else []
    # once: the budget and spend views read them; context as the audit saw it
    facts = build_facts(loaded.plan, provenance=loaded.provenance) if loaded is not None else None
    origins = Origins(loaded, facts) if facts is not None else None
    counts = report.counts(result)
    return {
        "index": index,
        "anchor": f"plan-{index}",
        "prefix": prefix,
        "file": result.file,
        "id": result.plan_id,
        "title": (header.title if header is not None else None) or result.plan_id,
        "header": header,
        "period": period,
        "includes": includes,
        "verdict": verdict.verdict,
        "reasons": list(verdict.reasons),
        "counts": report.by_severity(result),
        "open_counts": report.by_severity(result, counted_only=True),
        "total": counts.findings,
        "waived": counts.waived,
        "baselined": counts.baselined,
        "expired": counts.expired,
        "findings": findings,
        "rows": [
            {
                "id": f["anchor"],
                "severity": f["severity"],
                "category": f["category"],
                "rule": f["rule"],
                "status": f["status"],
            }
            for f in findings
        ],
        "filters": {
            "severity": [s for s in SEVERITIES if any(f["severity"] == s for f in findings)],
            "category": sorted({f["category"] for f in findings}),
            "rule": sorted({(f["rule"], f["title"]) for f in findings}),
            "status": sorted({f["status"] for f in findings}),
        },
        "currency": header.currency if header is not None else None,
        "matrix": _matrix(plan, links, origins) if plan is not None and origins else None,
        "cascade": cascade(plan, links) if plan is not None else None,
        "swot": _swot(plan, links, origins) if plan is not None and origins else None,
        "budget": budget(plan, links, facts) if plan is not None and facts else None,
        "spend": spend(plan, facts, origins) if plan is not None and facts and origins else None,
        "has_model": plan is not None,
        "checklist": _checklist(
            report.checklist(result),
            {f["rule"]: f["anchor"] for f in reversed(findings)},  # each rule's first finding
        ),
    }


def _error_view(k: int, e: InputProblem) -> dict[str, Any]:
    where = e.file + (f":{e.line}:{e.column or 1}" if e.line is not None else "")
    return {
        "anchor": f"error-{k}",
        "where": where,
        "file": e.file,
        "message": e.message,
        "hint": e.hint,
        "path": e.path,
    }


def _resolved(entry: dict[str, Any]) -> str:
    """A baseline entry no finding matches any more: `RULE on ENTITY in plan PLAN`."""
    target = entry.get("entity") or entry.get("path") or "(plan-wide)"
    text = f"{entry.get('rule', '?')} on {target}"
    return text + (f" in plan {entry['plan']}" if entry.get("plan") else "")


def context(report: Report) -> dict[str, Any]:
    """Everything the template shows, as plain values (strings escaped by the template)."""
    problems = list(report.all_errors)
    errors = [_error_view(k, e) for k, e in enumerate(problems, 1)]
    plans = []
    index = []
    for i, r in enumerate(report.results, 1):
        if r.error is not None:
            anchor = next(
                (v["anchor"] for e, v in zip(problems, errors, strict=True) if e == r.error),
                "errors",
            )
            index.append(
                {
                    "file": r.file,
                    "id": r.plan_id,
                    "verdict": "error",
                    "anchor": anchor,
                    "message": r.error.message,
                    "counts": None,
                    "title": None,
                }
            )
            continue
        view = _plan_view(i, r, report)
        plans.append(view)
        index.append(
            {
                "file": r.file,
                "id": r.plan_id,
                "verdict": view["verdict"],
                "anchor": view["anchor"],
                "message": None,
                "counts": view["counts"],
                "title": view["title"],
                "total": view["total"],
                "waived": view["waived"],
                "baselined": view["baselined"],
                "expired": view["expired"],
            }
        )
    findings = report.findings
    return {
        "report": report,
        "tool_version": report.tool_version,
        "rules_version": report.rules_version,
        "as_of": report.as_of.isoformat(),
        "rules": len(report.ruleset),
        "fail_on": report.fail_on_label,
        "verdict": report.verdict.verdict,
        "reasons": list(report.verdict.reasons),
        "counts": report.by_severity(),
        "total": len(findings),
        "states": report.counts(),
        "severities": SEVERITIES,
        "plans": plans,
        "index": index,
        "errors": errors,
        "skipped": list(report.skipped),
        "expired_waivers": [w.describe() for w in report.expired_waivers],
        "unused_waivers": [w.describe() for w in report.unused_waivers],
        "resolved": [_resolved(entry) for entry in report.resolved],
        "baseline_file": report.baseline_file,
        "marks": {mark: ", ".join(rules) for mark, rules in MARKS.items()},
        "script": Markup(SCRIPT),  # our own constant, never plan data
        "csp": CSP.format(script=_script_hash(SCRIPT)),
    }


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("strataudit", "templates"),
        autoescape=True,  # every `{{ }}` is escaped; plan data is never marked safe
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = _number
    env.filters["clip"] = _clip
    env.filters["ticks"] = _ticks
    env.filters["breaks"] = _breaks
    return env


def render(report: Report) -> str:
    """The report as one self-contained HTML page."""
    return _environment().get_template("report.html.j2").render(context(report))
