"""One audit of a bundle: its files in a private folder, `strataudit.run`, the outcome.

Runs in a worker process (never in the server's event loop) and in `decisions verify`. The
files are written into a fresh `mkdtemp` folder (mode 0700) and the run starts there, so the
findings name files as the bundle does (`eu/plan.yaml`), exactly as the CLI run in a folder of
those files names them. The run never looks for a `strataudit.yaml` (`find_config=False`):
the gate's options come from the request, severity overrides through a config file written
outside the bundle folder, waivers from the record (`RunOptions.waivers`).
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from strataudit.results import Report, Waiver
from strataudit.service.bundle import GateOptions, resolve_includes


@dataclass(frozen=True)
class AuditJob:
    """What a worker audits (picklable: it crosses a pipe)."""

    files: tuple[tuple[str, bytes], ...]  #: (name, bytes) with checked names
    main: str | None  #: the plan to audit; None: the file no other includes
    options: GateOptions  #: fail_on, select, ignore, severity
    as_of: datetime.date  #: the day waivers are judged on
    waivers: tuple[Waiver, ...] = ()  #: from the record; looked up by plan id when empty
    fmt: str = "json"  #: a report format to render besides the JSON document


@dataclass(frozen=True)
class AuditOutcome:
    """What a worker answers."""

    main: str  #: the audited plan's name in the bundle
    plan_id: str | None  #: its `plan.id` (None when it could not be read)
    verdict: str  #: pass | fail | error
    report: dict[str, Any]  #: the JSON report contract's document
    rendered: str | None  #: the report in `fmt`, when it is not json
    waivers: tuple[Waiver, ...]  #: the waivers given to the run
    catalogue_digest: str  #: sha256 of the rules that ran, as they ran
    options_digest: str  #: sha256 of the options, `as_of` and the waivers
    audit_ms: float  #: the run's time in the worker

    def report_waivers(self) -> list[dict[str, Any]]:
        """The waivers given to the run, as the report contract writes them."""
        from strataudit.reports.json_report import waiver_dict

        return [waiver_dict(w) for w in self.waivers]


def waivers_from_json(data: list[dict[str, Any]]) -> tuple[Waiver, ...]:
    """The waivers a decision recorded (as the report contract writes them) as `Waiver`s."""
    return tuple(
        Waiver(
            rule=w["rule"],
            reason=w["reason"],
            owner=w["owner"],
            expires=datetime.date.fromisoformat(w["expires"]),
            entity=w["entity"],
            path=w["path"],
            files=w["files"],
            source=w["source"],
        )
        for w in data
    )


def replay_job(row: Any, stored: Any, fmt: str = "json") -> AuditJob:
    """The job that re-runs a stored decision exactly: its files, options, waivers, day."""
    report = json.loads(row["report"])
    main = report["plans"][0]["file"] if report["plans"] else None
    return AuditJob(
        files=tuple((f["name"], f["content"]) for f in stored),
        main=main,
        options=GateOptions.model_validate(json.loads(row["options"])),
        as_of=row["as_of"],
        waivers=waivers_from_json(json.loads(row["waivers"])),
        fmt=fmt,
    )


_DIGESTS: dict[tuple[int, ...], tuple[tuple[Any, ...], str]] = {}


def catalogue_digest(report: Report) -> str:
    """sha256 of the effective catalogue: each rule that ran, after select, ignore and
    severity overrides, as its full spec (a changed message or condition changes it).

    Remembered by the identity of the specs (kept alive beside the digest, so an id is never
    reused while remembered): the built-in catalogue is loaded once per process, so most runs
    of a worker share their specs, and dumping 50 specs cost a tenth of a small plan's audit."""
    specs = tuple(r.spec for r in report.ruleset)
    key = tuple(id(spec) for spec in specs)
    if key not in _DIGESTS:
        dumped = [spec.model_dump(mode="json") for spec in specs]
        digest = hashlib.sha256(json.dumps(dumped, sort_keys=True).encode()).hexdigest()
        if len(_DIGESTS) >= 32:
            _DIGESTS.clear()
        _DIGESTS[key] = (specs, digest)
    return _DIGESTS[key][1]


def options_digest(job: AuditJob) -> str:
    """sha256 of everything besides the files and the rules that decides the verdict."""
    from strataudit.reports.json_report import waiver_dict

    data = {
        "options": job.options.model_dump(mode="json"),
        "as_of": job.as_of.isoformat(),
        "waivers": [waiver_dict(w) for w in job.waivers],
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


@contextlib.contextmanager
def _folder(files: tuple[tuple[str, bytes], ...]) -> Iterator[Path]:
    """A private folder holding the bundle under `bundle/` (removed afterwards)."""
    root = Path(tempfile.mkdtemp(prefix="strataudit-"))
    try:
        for name, raw in files:
            target = root / "bundle" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(raw)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def execute(job: AuditJob, main: str) -> tuple[Report, str | None]:
    """Run the audit of `main` in a private folder: (report, the report in `job.fmt`)."""
    import yaml

    from strataudit.reports import renderer
    from strataudit.runner import RunOptions, run

    with _folder(job.files) as root:
        config = None
        if job.options.severity:
            config = root / "strataudit.yaml"
            config.write_text(yaml.safe_dump({"severity": dict(job.options.severity)}))
        options = RunOptions(
            select=job.options.select,
            ignore=job.options.ignore,
            fail_on=job.options.fail_on,
            config=config,
            find_config=False,
            as_of=job.as_of,
            waivers=job.waivers,
            formats=(job.fmt,),
        )
        before = os.getcwd()
        os.chdir(root / "bundle")
        try:
            report = run([main], options)
            rendered = renderer(job.fmt)(report) if job.fmt != "json" else None
        finally:
            os.chdir(before)
    return report, rendered


def audit(
    job: AuditJob, waivers_for: Callable[[str], tuple[Waiver, ...]] | None = None
) -> AuditOutcome:
    """Audit the job's bundle; with `waivers_for`, with the waivers the record holds for the
    plan. The plan id is known only once the plan is read, so a plan that has waivers is run
    a second time with them (a plan without any, the usual case, runs once)."""
    from strataudit.reports.json_report import as_dict

    started = time.perf_counter()
    main = resolve_includes(job.files, job.main)
    report, rendered = execute(job, main)
    plan_id = report.results[0].plan_id if report.results else None
    if waivers_for is not None and plan_id is not None and not job.waivers:
        granted = waivers_for(plan_id)
        if granted:
            job = replace(job, waivers=granted)
            report, rendered = execute(job, main)
    return AuditOutcome(
        main=main,
        plan_id=plan_id,
        verdict=report.verdict.verdict,
        report=as_dict(report),
        rendered=rendered,
        waivers=job.waivers,
        catalogue_digest=catalogue_digest(report),
        options_digest=options_digest(job),
        audit_ms=(time.perf_counter() - started) * 1000,
    )
