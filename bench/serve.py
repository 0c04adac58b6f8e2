"""The service benchmark: audits per second and p50 / p99 latency over HTTP, beside the floor.

    .venv/bin/python bench/serve.py                  # 1, 4 and 16 clients, 200 audits each
    .venv/bin/python bench/serve.py --audits 400 --clients 1 16 --database postgresql+psycopg://...

Starts `strataudit serve` on a free 127.0.0.1 port (a fresh SQLite record in a temporary
folder unless `--database` names one), makes a submitter token, and submits the typical plan
(bench/generate.py, ~200 entities, clean, YAML) from N concurrent clients, each with its own
connection, a fixed number of audits in all (bounded: it stops by itself; loopback only).

The floor is the in-process audit of the same plan: `strataudit.run` in this process, best and
median of 20 after a warm-up (the catalogue read once, as in a worker). The issue's targets on
these 2-core machines: p50 at most 2x the floor with one client, at least 60 audits/s with 16
clients, p99 under 250 ms. The load average is printed: the machine is shared, and audits are
CPU-bound, so a busy neighbour lowers every figure here.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

TARGETS = {"p50_ratio_1": 2.0, "rate_16": 60.0, "p99_ms": 250.0}
START_DEADLINE = 120.0


def strataudit() -> list[str]:
    script = Path(sys.executable).parent / "strataudit"
    return [str(script)] if script.exists() else [sys.executable, "-m", "strataudit"]


def floor(path: Path, repeat: int = 20) -> tuple[float, float]:
    """(best, median) seconds of `strataudit.run` on `path` in this process."""
    from strataudit.runner import RunOptions, run

    options = RunOptions(find_config=False)
    run([str(path)], options)  # warm-up: imports and the catalogue
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run([str(path)], options)
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(database: str, workers: int, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(
        [*strataudit(), "serve", "--port", str(port), "--database", database],
        stdout=subprocess.DEVNULL,
        stderr=log,
        cwd=folder,
        env={**os.environ, "STRATAUDIT_WORKERS": str(workers), "STRATAUDIT_LOG_LEVEL": "warning"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited; see {folder / 'server.log'}")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return server, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.kill()
    raise SystemExit("the server was not ready in time")


def burst(
    url: str, token: str, body: bytes, clients: int, audits: int
) -> tuple[float, list[float]]:
    """(wall seconds, per-audit latencies) of `audits` submissions from `clients` threads."""
    latencies: list[float] = []
    lock = threading.Lock()
    left = [audits]
    failures: list[str] = []

    def client() -> None:
        with httpx.Client(base_url=url, timeout=120) as http:
            while True:
                with lock:
                    if left[0] <= 0:
                        return
                    left[0] -= 1
                started = time.perf_counter()
                answer = http.post(
                    "/v1/audits",
                    content=body,
                    params={"name": "typical.yaml"},
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/yaml",
                    },
                )
                elapsed = time.perf_counter() - started
                with lock:
                    if answer.status_code == 201:
                        latencies.append(elapsed)
                    else:
                        failures.append(f"{answer.status_code} {answer.text[:200]}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} submissions failed, e.g. {failures[0]}")
    return wall, sorted(latencies)


def main() -> None:
    ap = argparse.ArgumentParser(description="strataudit serve benchmark")
    ap.add_argument("--audits", type=int, default=200, help="audits per client count")
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--size", type=int, default=200, help="entities of the typical plan")
    ap.add_argument("--database", help="SQLAlchemy URL [default: SQLite in a temporary folder]")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="strataudit-bench-") as tmp:
        folder = Path(tmp)
        plan = generate(args.size, "clean")
        path = folder / "typical.yaml"
        path.write_text(plan.yaml_text(), encoding="utf-8")
        best, median = floor(path)
        database = args.database or f"sqlite:///{folder / 'record.db'}"
        made = subprocess.run(
            [
                *strataudit(),
                "tokens",
                "create",
                "--name",
                "bench",
                "--role",
                "submitter",
                "--database",
                database,
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=folder,
        )
        token = made.stdout.strip()
        server, url = start(database, args.workers, folder)
        body = path.read_bytes()
        backend = database.split(":")[0]
        print(f"typical plan: {plan.entities} entities; {args.workers} workers; {backend}")
        print(f"in-process audit (floor): best {best * 1000:.1f} ms, median {median * 1000:.1f} ms")
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        heads = ("clients", "audits/s", "p50 ms", "p99 ms", "p50/floor", "p99/floor")
        print(" ".join(f"{h:>10}" for h in heads))
        results = {}
        try:
            burst(url, token, body, 2, 20)  # warm-up: connections, caches
            for clients in args.clients:
                wall, lat = burst(url, token, body, clients, args.audits)
                p50 = lat[len(lat) // 2]
                p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
                rate = len(lat) / wall
                results[clients] = (rate, p50, p99)
                cells = (f"{clients}", f"{rate:.1f}", f"{p50 * 1000:.1f}", f"{p99 * 1000:.1f}")
                ratios = (f"{p50 / median:.2f}x", f"{p99 / median:.2f}x")
                print(" ".join(f"{c:>10}" for c in (*cells, *ratios)))
        finally:
            server.terminate()
            server.wait(timeout=120)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        if 1 in results:
            ok = results[1][1] / median <= TARGETS["p50_ratio_1"]
            print(f"target p50 <= 2x floor with 1 client: {'met' if ok else 'NOT met'}")
        if 16 in results:
            rate_ok = results[16][0] >= TARGETS["rate_16"]
            p99_ok = results[16][2] * 1000 < TARGETS["p99_ms"]
            print(f"target >= 60 audits/s with 16 clients: {'met' if rate_ok else 'NOT met'}")
            print(f"target p99 < 250 ms with 16 clients: {'met' if p99_ok else 'NOT met'}")


if __name__ == "__main__":
    main()
