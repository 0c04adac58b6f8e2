"""Waivers and baselines: findings a reviewer accepted, still reported, not counted by the gate.

A waiver waives while `as_of <= expires` (its expiry day is its last valid day); an expired one
no longer waives and is reported, so the gate fails on its finding as usual: the finding keeps
the expired waiver (`Finding.expired_waiver`), and a baseline does not hide it (the expiry is
when someone must look again). A live waiver that matches nothing is reported as unused. A
baseline records findings by fingerprint; findings in it are reported as baselined, and
baseline entries no finding matches are reported as resolved. How each state is counted:
`results.py`.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from strataudit.errors import input_error
from strataudit.results import Finding, PlanResult, Waiver

BASELINE_VERSION = 1


def _covers(waiver: Waiver, finding: Finding, plan_file: str) -> bool:
    if waiver.rule != finding.rule:
        return False
    if waiver.files and not glob_matches(waiver.files, plan_file):
        return False
    if waiver.entity is not None:
        return waiver.entity == finding.entity
    if waiver.path is not None:
        return waiver.path == finding.location.path
    return finding.entity is None  # no entity, no path: the rule's plan-wide finding


# wcmatch, the glob library: `*` and `?` stay within a folder, `**` crosses folders (GLOBSTAR),
# `{a,b}` is either (BRACE), `[de]` and `[!d]` are character classes, on `/` everywhere.
# Imported on first use: it costs about 12 ms of a plain audit's start-up, and only waivers with a
# `file:` glob need it.
def _globmatch(path: str, glob: str) -> bool:
    from wcmatch import glob as wcglob

    return bool(
        wcglob.globmatch(path, glob, flags=wcglob.GLOBSTAR | wcglob.BRACE | wcglob.FORCEUNIX)
    )


def glob_matches(glob: str, file: str) -> bool:
    """Whether `file` (a path as reported; `\\` read as `/`) matches `glob`."""
    return _globmatch(str(PurePosixPath(file.replace("\\", "/"))), glob)


def glob_problem(glob: str) -> str | None:
    """Why `glob` cannot be used (a brace expansion past wcmatch's limit), or None."""
    from wcmatch._wcparse import PatternLimitException  # raised by globmatch; not re-exported

    try:
        _globmatch("", glob)
    except PatternLimitException as exc:
        return f"the glob `{glob}` expands to too many patterns ({exc})"
    return None


@dataclass(frozen=True)
class WaiverOutcome:
    """The results with waivers applied, and the waivers to report."""

    results: list[PlanResult]  #: findings marked `waiver` or `expired_waiver`
    expired: tuple[Waiver, ...]  #: waivers past their last day
    unused: tuple[Waiver, ...]  #: live waivers of rules that ran that matched nothing


def apply_waivers(
    results: list[PlanResult],
    waivers: tuple[Waiver, ...],
    as_of: datetime.date,
    active: set[str] | None = None,
) -> WaiverOutcome:
    """Mark each finding with the first live waiver that covers it, or else with the first
    expired one. `active`: the rules that ran; a waiver of another rule can match nothing, so
    it is not reported as unused."""
    live = [w for w in waivers if as_of <= w.expires]
    expired = tuple(w for w in waivers if as_of > w.expires)
    used: set[int] = set()
    out: list[PlanResult] = []
    for result in results:
        findings = []
        for finding in result.findings:
            match = next((i for i, w in enumerate(live) if _covers(w, finding, result.file)), None)
            if match is not None:
                used.add(match)
                finding = replace(finding, waiver=live[match])
            else:
                old = next((w for w in expired if _covers(w, finding, result.file)), None)
                if old is not None:
                    finding = replace(finding, expired_waiver=old)
            findings.append(finding)
        out.append(replace(result, findings=tuple(findings)))
    unused = tuple(
        w for i, w in enumerate(live) if i not in used and (active is None or w.rule in active)
    )
    return WaiverOutcome(out, expired, unused)


def baseline_entry(finding: Finding) -> dict[str, Any]:
    """What a baseline records of a finding: its fingerprint, and what a reader needs."""
    return {
        "fingerprint": finding.fingerprint,
        "rule": finding.rule,
        "plan": finding.plan_id,
        "entity": finding.entity,
        "path": finding.location.path,
    }


def save_baseline(path: Path, results: list[PlanResult], write: Callable[[Path, str], None]) -> int:
    """Record every finding of `results` in `path` (through `write`); returns how many."""
    entries = sorted(
        (baseline_entry(f) for r in results for f in r.findings),
        key=lambda e: (e["plan"], e["rule"], e["path"], e["fingerprint"]),
    )
    write(
        path,
        json.dumps({"strataudit_baseline": BASELINE_VERSION, "findings": entries}, indent=2) + "\n",
    )
    return len(entries)


def read_baseline(path: Path) -> list[dict[str, Any]]:
    """A baseline's entries; an input error if it is missing or not a version-1 baseline."""
    shown = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise input_error(
            shown, None, None, "baseline file not found", "create it with --write-baseline FILE"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise input_error(
            shown,
            line,
            getattr(exc, "colno", None) if line else None,
            "the baseline is not valid JSON",
            "regenerate it with --write-baseline FILE",
        ) from None
    if (
        not isinstance(data, dict)
        or data.get("strataudit_baseline") != BASELINE_VERSION
        or not isinstance(data.get("findings"), list)
        or not all(_entry_ok(e) for e in data["findings"])
    ):
        raise input_error(
            shown,
            1,
            1,
            "not a strataudit baseline (version 1)",
            "regenerate it with --write-baseline FILE",
        )
    entries: list[dict[str, Any]] = data["findings"]
    return entries


def _entry_ok(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("fingerprint"), str)
        and isinstance(entry.get("rule"), str)
        and all(isinstance(entry.get(k), (str, type(None))) for k in ("plan", "entity", "path"))
    )


def apply_baseline(
    results: list[PlanResult], entries: list[dict[str, Any]]
) -> tuple[list[PlanResult], tuple[dict[str, Any], ...]]:
    """Mark findings in the baseline, except those whose waiver expired (they count again);
    returns the results and the audited plans' entries that no finding matches (resolved)."""
    known = {e["fingerprint"] for e in entries}
    seen: set[str] = set()
    out: list[PlanResult] = []
    for result in results:
        findings = []
        for finding in result.findings:
            if finding.fingerprint in known:
                seen.add(finding.fingerprint)  # still there: not resolved, whatever its state
                if finding.expired_waiver is None:
                    finding = replace(finding, baselined=True)
            findings.append(finding)
        out.append(replace(result, findings=tuple(findings)))
    audited = {r.plan_id for r in results if r.plan_id}
    resolved = tuple(
        e for e in entries if e["fingerprint"] not in seen and e.get("plan") in audited
    )
    return out, resolved
