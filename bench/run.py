"""The strataudit benchmark: end-to-end and per-stage times, the C-parser floor, memory, batches.

    /work/venv/bin/python bench/run.py            # sizes ~200, ~2,000, ~20,000 (about 4-6 min)
    /work/venv/bin/python bench/run.py --quick    # ~200 and ~2,000, 200 plans (under a minute)
    /work/venv/bin/python bench/run.py --profile 20000   # cProfile of one in-process audit

Plans come from bench/generate.py (every section present, every rule applicable): the `clean`
flavour (no finding) is the typical plan; the `defects` flavour adds counted defects, and the
benchmark checks that the findings are exactly the expected ones.

Figures:
- end to end: `strataudit audit FILE --format json` in a subprocess, Python start-up included,
  best of N wall-clock; peak memory is that subprocess's ru_maxrss (os.wait4);
- stages, in-process, best of N each: parse = source.load_document; validate = loader.load_plan
  minus parse; facts = facts.build_facts; engine = Engine.run_isolated (the forked run an
  audit makes); findings = findings.build_findings; report = the JSON report rendered as the
  CLI does. `setup` (rule files loaded, compiled and registered in the engine) is paid once per
  process and shown apart;
- floor: yaml.load(f, Loader=yaml.CSafeLoader) on the same file, best of N (with the garbage
  collector on, as in any run; the figure without it is shown too);
- batches: 1,000 typical plans in a directory, `strataudit audit DIR -j N`.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import findings_of, generate  # noqa: E402

CLI = str(Path(sys.executable).parent / "strataudit")
if not Path(CLI).exists():
    CLI = shutil.which("strataudit") or "strataudit"

TARGETS = {"typical": 0.35, "floor_ratio": 2.0, "linearity": 12.0, "plans_per_s": 100.0}


# ---------------------------------------------------------------------------------------------
# measuring
# ---------------------------------------------------------------------------------------------
def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall-clock time of `repeat` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


# A small launcher: ru_maxrss survives fork and exec, so a CLI forked from this (large) process
# would report this process's peak. The launcher is small; it forks the CLI, times it and reports
# the CLI's own peak RSS (os.wait4).
_LAUNCHER = """
import os, sys, time
t = time.perf_counter()
fd = int(sys.argv[1])
pid = os.fork()
if pid == 0:
    os.close(fd)
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
elapsed = time.perf_counter() - t
os.write(fd, f"{elapsed} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}".encode())
"""


def run_cli(args: list[str], cwd: Path | None = None) -> tuple[float, float, int, str, str]:
    """(seconds, peak RSS in MiB, exit code, stdout, stderr) of one `strataudit` run."""
    read, write = os.pipe()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, str(write), CLI, *args],
            stdout=out,
            stderr=err,
            cwd=cwd,
            pass_fds=(write,),
        )
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            report = pipe.read().decode()
        proc.wait()
        out.seek(0)
        err.seek(0)
        elapsed, rss_kib, code = report.split()
        return (
            float(elapsed),
            int(rss_kib) / 1024,
            int(code),
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
        )


def cli_best(path: Path, repeat: int) -> dict[str, Any]:
    runs = [run_cli(["audit", str(path), "--format", "json"]) for _ in range(repeat)]
    t, _, code, out, err = min(runs, key=lambda r: r[0])
    return {"time": t, "rss": max(r[1] for r in runs), "code": code, "stdout": out, "stderr": err}


class Pipeline:
    """The audit stages in-process, on one engine (set up once, as in a batch)."""

    def __init__(self) -> None:
        t = time.perf_counter()
        from strataudit.audit import Auditor
        from strataudit.rulefile import load_ruleset

        self.ruleset = load_ruleset()
        self.auditor = Auditor(self.ruleset)
        self.setup = time.perf_counter() - t

    def stages(self, path: Path, repeat: int) -> dict[str, Any]:
        import strataudit.loader as loader_module
        from strataudit.facts import build_facts
        from strataudit.findings import build_findings
        from strataudit.loader import load_plan
        from strataudit.source import load_document

        display = str(path)
        parse, _ = best(lambda: load_document(path, display), repeat)
        # validate = load_plan minus the parse inside that very call (one noisy best-of minus
        # another would not do): time the loader's own call to load_document.
        inner: list[float] = []

        def timed_load_document(*a: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return load_document(*a, **kw)
            finally:
                inner.append(time.perf_counter() - t)

        def load() -> Any:
            inner.clear()
            t = time.perf_counter()
            result = load_plan(path, display)
            validations.append(time.perf_counter() - t - sum(inner))
            return result

        validations: list[float] = []
        loader_module.load_document = timed_load_document
        try:
            _, loaded = best(load, repeat)
        finally:
            loader_module.load_document = load_document
        facts, base = best(lambda: build_facts(loaded.plan), repeat)
        out: dict[str, Any] = {
            "parse": parse,
            "validate": min(validations),
            "facts": facts,
            "n_facts": len(base.facts),
        }
        try:
            engine, matches = best(lambda: self.auditor.engine.run_isolated(base.facts), repeat)
        except Exception as exc:  # an engine failure is a result, not a crash of the benchmark
            out["error"] = f"{type(exc).__name__}: {exc}"
            return out
        plan_id = loaded.plan.plan.id
        found, findings = best(
            lambda: build_findings(matches, self.ruleset, base, loaded.locator, plan_id), repeat
        )
        report, text = best(lambda: self.render(loaded, findings), repeat)
        out.update(
            engine=engine,
            findings=found,
            report=report,
            n_matches=len(matches),
            n_findings=len(findings),
            report_bytes=len(text),
        )
        out["total"] = sum(
            out[k] for k in ("parse", "validate", "facts", "engine", "findings", "report")
        )
        return out

    def render(self, loaded: Any, findings: list[Any]) -> str:
        """The JSON report as the CLI builds it (verdict, summary, every finding)."""
        from strataudit.audit import PlanResult
        from strataudit.reports import renderer

        result = PlanResult(loaded.file, loaded.plan.plan.id, tuple(findings), plan=loaded)
        try:
            from strataudit.gate import FAIL_LEVELS, judge
            from strataudit.reports.base import Report

            level = FAIL_LEVELS["error"]
            report = Report((result,), (), (), judge([result], level), self.ruleset, level)
            return renderer("json")(report)
        except TypeError:  # the Report's signature moved: render the findings alone
            from strataudit.reports.json_report import finding_dict

            return json.dumps([finding_dict(f) for f in findings], indent=2)


def floor(path: Path, repeat: int) -> tuple[float, float]:
    """yaml.load with the C loader: (with the garbage collector on, off)."""

    def load() -> Any:
        with open(path, encoding="utf-8") as f:
            return yaml.load(f, Loader=yaml.CSafeLoader)

    on, _ = best(load, repeat)
    gc.disable()
    try:
        off, _ = best(load, repeat)
    finally:
        gc.enable()
    return on, off


# ---------------------------------------------------------------------------------------------
# reporting
# ---------------------------------------------------------------------------------------------
def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from importlib.metadata import version

        dr = version("durable-rules")
    except Exception:
        dr = "?"
    try:
        commit = (
            subprocess.run(
                ["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
            ).stdout.strip()
            or "?"
        )
    except OSError:
        commit = "?"
    load = (
        " ".join(Path("/proc/loadavg").read_text().split()[:3])
        if Path("/proc/loadavg").exists()
        else "?"
    )
    return (
        f"machine: {os.cpu_count()} CPUs (nproc), {model}; Python {platform.python_version()}"
        f" ({platform.python_implementation()}); durable-rules {dr}; libyaml "
        f"{'yes' if hasattr(yaml, 'CSafeLoader') else 'NO'}; strataudit at {commit}; "
        f"load average {load}"
    )


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:,.0f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


# ---------------------------------------------------------------------------------------------
# the benchmark
# ---------------------------------------------------------------------------------------------
VARIANTS = (("clean", "yaml"), ("defects", "yaml"), ("clean", "json"))


@dataclass
class PlanFile:
    """A generated plan on disk, with what the generator expects of it (not the plan itself:
    the measuring processes are kept small, see `isolated`)."""

    path: Path
    entities: int
    expected: Counter[tuple[str, str | None]]


def write_plans(work: Path, sizes: list[int]) -> dict[tuple[int, str, str], PlanFile]:
    plans = {}
    for size in sizes:
        for flavour in ("clean", "defects"):
            gen = generate(size, flavour)
            for fmt in ("yaml", "json"):
                if (flavour, fmt) in VARIANTS:
                    path = work / f"{flavour}-{size}.{fmt}"
                    text = gen.yaml_text() if fmt == "yaml" else gen.json_text()
                    path.write_text(text, encoding="utf-8")
                    plans[size, flavour, fmt] = PlanFile(path, gen.entities, gen.expected)
            del gen
    return plans


def isolated(what: str, path: Path, repeat: int) -> dict[str, Any]:
    """Stages or floor measured in a fresh process: the garbage collector's cost depends on
    everything alive in the process, so measuring in this one (with other plans loaded) would
    inflate the figures against a CLI run."""
    proc = subprocess.run(
        [sys.executable, __file__, f"--{what}", str(path), "--repeat", str(repeat)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}"}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def check_findings(report_text: str, gen: PlanFile) -> str:
    try:
        got = findings_of(json.loads(report_text))
    except (ValueError, KeyError):
        return "no report"
    if got == gen.expected:
        return f"exact ({sum(got.values())})"
    missing, extra = gen.expected - got, got - gen.expected
    return f"WRONG: {sum(missing.values())} missing, {sum(extra.values())} extra"


def batch(work: Path, count: int, jobs_list: list[int]) -> list[tuple[str, float, int, str]]:
    """1,000 (or `count`) typical plans in one directory, audited in one command."""
    directory = work / f"batch-{count}"
    directory.mkdir()
    for seed in range(count):
        gen = generate(200, "clean", seed)
        gen.plan["plan"]["id"] = f"typical-{seed:04d}"
        (directory / f"plan-{seed:04d}.yaml").write_text(gen.yaml_text(), encoding="utf-8")
    help_text = run_cli(["audit", "--help"])[3]
    has_jobs = "--jobs" in help_text
    out = []
    for jobs in jobs_list if has_jobs else [1]:
        args = ["audit", str(directory), "--format", "json"]
        if has_jobs:
            args += ["--jobs", str(jobs)]
        t, _, code, stdout, stderr = run_cli(args)
        try:
            report = json.loads(stdout)
            audited = len(report["plans"])
            bad = sum(1 for p in report["plans"] if p.get("findings"))
            note = f"{audited} plans audited, {bad} with findings, exit {code}"
        except (ValueError, KeyError):
            audited, note = 0, f"exit {code}: {stderr.strip()[-200:]}"
        label = f"--jobs {jobs}" if has_jobs else "1 process (no --jobs option)"
        out.append((label, t, audited, note))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="strataudit benchmark")
    ap.add_argument("--quick", action="store_true", help="sizes ~200 and ~2,000, 200 plans")
    ap.add_argument("--sizes", type=int, nargs="+", help="override the sizes")
    ap.add_argument("--plans", type=int, help="plans in the batch (default 1,000; quick 200)")
    ap.add_argument("--jobs", type=int, nargs="+", help="--jobs values for the batch (1 2 nproc)")
    ap.add_argument(
        "--profile",
        type=int,
        metavar="SIZE",
        help="profile one in-process audit of a SIZE plan (cProfile) and exit",
    )
    ap.add_argument(
        "--flavour", choices=("clean", "defects"), default="clean", help="flavour for --profile"
    )
    ap.add_argument("--keep", help="write the plans here and keep them")
    ap.add_argument("--stages", type=Path, help=argparse.SUPPRESS)  # internal: one measurement
    ap.add_argument("--floor", type=Path, help=argparse.SUPPRESS)  # internal: one measurement
    ap.add_argument("--repeat", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.profile:
        return profile(args.profile, args.flavour)
    if args.stages:
        pipeline = Pipeline()
        print(json.dumps(dict(pipeline.stages(args.stages, args.repeat), setup=pipeline.setup)))
        return 0
    if args.floor:
        on, off = floor(args.floor, args.repeat)
        print(json.dumps({"floor": on, "floor_nogc": off}))
        return 0

    started = time.perf_counter()
    sizes = args.sizes or ([200, 2000] if args.quick else [200, 2000, 20000])
    count = args.plans or (200 if args.quick else 1000)
    jobs_list = args.jobs or sorted({1, 2, os.cpu_count() or 2})
    print(machine())
    print(f"cli: {CLI}\n")
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="strataudit-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        plans = write_plans(work, sizes)
        rows, summary = [], {}
        setups = []
        for size in sizes:
            big = size >= 10000
            for flavour, fmt in VARIANTS:
                plan = plans[size, flavour, fmt]
                path = plan.path
                reps = 1 if args.quick and big else (2 if big else (3 if size >= 2000 else 5))
                st = isolated("stages", path, reps)
                if "setup" in st:
                    setups.append(st["setup"])
                cli = cli_best(path, 2 if big else 5)
                fl = isolated("floor", path, 2 if big else 5)
                fl_on, fl_off = fl.get("floor", float("nan")), fl.get("floor_nogc", float("nan"))
                if cli["code"] in (0, 1):
                    check = check_findings(cli["stdout"], plan)
                else:
                    first = (cli["stderr"].strip().splitlines() or [""])[0]
                    check = f"exit {cli['code']}: {first[:40]}"
                total = st.get("total")
                summary[size, flavour, fmt] = dict(
                    st,
                    cli=cli["time"],
                    floor=fl_on,
                    floor_nogc=fl_off,
                    rss=cli["rss"],
                    entities=plan.entities,
                )
                rows.append(
                    [
                        f"{flavour} {plan.entities:,}{' json' if fmt == 'json' else ''}",
                        f"{path.stat().st_size / 1e6:.2f}",
                        f"{st.get('n_facts', 0):,}",
                        ms(st.get("parse")),
                        ms(st.get("validate")),
                        ms(st.get("facts")),
                        ms(st.get("engine")),
                        ms(st.get("findings")),
                        ms(st.get("report")),
                        ms(total),
                        f"{total / plan.entities * 1e6:,.0f}" if total else "-",
                        ms(fl_on),
                        ms(fl_off),
                        f"{total / fl_on:.1f}" if total else "-",
                        ms(cli["time"]),
                        f"{cli['time'] / fl_on:.1f}",
                        f"{cli['rss']:,.0f}",
                        check,
                    ]
                )
                if "error" in st:
                    print(f"  ! {flavour} {size} {fmt}: in-process run failed: {st['error'][:300]}")
        if setups:
            print(
                f"setup in-process (imports, rules loaded, compiled, registered; once per "
                f"process): {ms(min(setups))} ms\n"
            )
        print(
            "times in ms (best of N); us/ent = in-process total per entity; floor = "
            "yaml.load CSafeLoader (nogc: garbage collector off); cli = end to end, "
            "Python start-up included; rss = peak of the CLI process (MiB)"
        )
        print_table(
            [
                "plan (entities)",
                "MB",
                "facts",
                "parse",
                "valid",
                "facts",
                "engine",
                "find",
                "report",
                "total",
                "us/ent",
                "floor",
                "nogc",
                "x floor",
                "cli",
                "cli/floor",
                "rss",
                "findings vs generator",
            ],
            rows,
        )

        print("\nbatch of typical plans (~200 entities, clean), one directory, one command:")
        batch_rows = batch(work, count, jobs_list)
        for label, t, audited, note in batch_rows:
            rate = audited / t if t else 0
            print(f"  {label:<32} {t:6.1f} s  {rate:6.1f} plans/s  ({note})")

        print("\ntargets (issue 7):")
        typical = summary.get((sizes[0], "clean", "yaml"))
        if typical:
            print(
                f"  typical plan end to end <= {TARGETS['typical']} s: "
                f"{typical['cli']:.3f} s ({typical['entities']} entities) -> "
                f"{verdict(typical['cli'] <= TARGETS['typical'])}"
            )
        largest = max(sizes)
        lg = summary.get((largest, "clean", "yaml"))
        if lg and lg.get("total"):
            ratio = lg["total"] / lg["floor"]
            print(
                f"  {lg['entities']:,} entities <= {TARGETS['floor_ratio']:.0f}x floor: "
                f"in-process {ratio:.1f}x, end to end {lg['cli'] / lg['floor']:.1f}x "
                f"(floor {lg['floor']:.2f} s; {lg['floor_nogc']:.2f} s without gc) -> "
                f"{verdict(ratio <= TARGETS['floor_ratio'])}"
            )
        if len(sizes) >= 2:
            a, b = sizes[-2], sizes[-1]
            sa, sb = summary.get((a, "clean", "yaml")), summary.get((b, "clean", "yaml"))
            if sa and sb and sa.get("total") and sb.get("total"):
                lin = sb["total"] / sa["total"]
                print(
                    f"  t({sb['entities']:,}) / t({sa['entities']:,}) <= "
                    f"{TARGETS['linearity']:.0f}: in-process {lin:.1f}, end to end "
                    f"{sb['cli'] / sa['cli']:.1f}, engine alone "
                    f"{sb['engine'] / sa['engine']:.1f}, floor {sb['floor'] / sa['floor']:.1f} "
                    f"-> {verdict(lin <= TARGETS['linearity'])}"
                )
        two = [r for r in batch_rows if r[0] == "--jobs 2"]
        if two:
            rate = two[0][2] / two[0][1]
            print(
                f"  {count} typical plans >= {TARGETS['plans_per_s']:.0f} plans/s with 2 "
                f"processes: {rate:.0f} plans/s -> {verdict(rate >= TARGETS['plans_per_s'])}"
            )
        else:
            print("  plans/s with --jobs 2: not measured (the CLI has no --jobs)")
        print(f"\nbenchmark wall time {time.perf_counter() - started:.0f} s; plans in {work}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def profile(size: int, flavour: str) -> int:
    """cProfile of one in-process audit (the engine set up beforehand), two views."""
    import cProfile
    import pstats

    print(machine())
    with tempfile.TemporaryDirectory(prefix="strataudit-profile-") as tmp:
        gen = generate(size, flavour)
        path = Path(tmp) / f"{flavour}-{size}.yaml"
        path.write_text(gen.yaml_text(), encoding="utf-8")
        entities = gen.entities
        del gen  # keep the heap as small as in a CLI run (the garbage collector's cost)
        gc.collect()
        pipeline = Pipeline()
        pipeline.stages(path, 1)  # warm up (imports, first session)
        prof = cProfile.Profile()
        prof.enable()
        try:
            st = pipeline.stages(path, 1)
        finally:
            prof.disable()
        print(
            f"{flavour} plan, {entities:,} entities, {st.get('n_facts', 0):,} facts: "
            + ", ".join(
                f"{k} {ms(st.get(k))} ms"
                for k in ("parse", "validate", "facts", "engine", "findings", "report")
            )
            + (f"\nengine error: {st['error']}" if "error" in st else "")
        )
        stats = pstats.Stats(prof).strip_dirs()
        print("\n=== by cumulative time ===")
        stats.sort_stats("cumulative").print_stats(35)
        print("=== by own time (tottime) ===")
        stats.sort_stats("tottime").print_stats(35)
    return 0


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
