"""The service as users run it: `strataudit serve` in a subprocess on a free loopback port.

Every test module here runs once per backend: SQLite (a file in a temporary folder) and
PostgreSQL when one answers at `STRATAUDIT_TEST_DATABASE_URL` (default: the local server's
`test` database); each run creates a fresh database of its own and drops it after, and is
skipped with the reason when no server answers. Only 127.0.0.1 is ever contacted, and every
wait is bounded in time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_plans"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
START_DEADLINE = 90.0  # seconds for a server to be ready (workers import and load the rules)


def strataudit() -> list[str]:
    script = Path(sys.executable).parent / "strataudit"
    return [str(script)] if script.exists() else [sys.executable, "-m", "strataudit"]


def cli(*args: str, database: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a `strataudit` command against `database`."""
    done = subprocess.run(
        [*strataudit(), *args, "--database", database],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert done.returncode == 0, done.stderr[-3000:]
    return done


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database (dropped after), or a skip saying why there is none."""
    import sqlalchemy as sa

    base = os.environ.get("STRATAUDIT_TEST_DATABASE_URL", PG_DEFAULT)
    admin = sa.create_engine(
        base, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    name = f"strataudit_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as c:
            c.execute(sa.text(f"CREATE DATABASE {name}"))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.skip(f"no PostgreSQL at {base} ({str(exc).splitlines()[0]})")
    url = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


# PostgreSQL, the backend for several replicas, is in the slow set (CI runs it): the quick set
# drives the service on SQLite, the default, and the whole suite on both.
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)]


@pytest.fixture(scope="module", params=BACKENDS)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh, empty record for this module's tests, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('record') / 'record.db'}"
        return
    with postgres_database() as url:
        yield url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PortTaken(Exception):
    """The port chosen was bound by another process before the server bound it."""


class Server:
    """One `strataudit serve` process on 127.0.0.1."""

    def __init__(self, database: str, *options: str, cwd: Path | None = None) -> None:
        self.database, self.options, self.cwd = database, options, cwd
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        # stderr (the access log) goes to a file: an unread pipe would fill and stall the server
        self.log_file = tempfile.TemporaryFile()  # noqa: SIM115 (read after the process ends)

    def start(self) -> Server:
        """Start the server and wait until it is ready. A free port can be taken by another
        process (a parallel test worker) before the server binds it: then another port."""
        for _ in range(3):
            try:
                return self._start()
            except PortTaken:
                self.port = free_port()
                self.url = f"http://127.0.0.1:{self.port}"
        raise AssertionError("no free port was bound in three tries")

    def _start(self) -> Server:
        self.log_file.seek(0)
        self.log_file.truncate()
        command = [
            *strataudit(),
            "serve",
            "--port",
            str(self.port),
            "--database",
            self.database,
            "--workers",
            "2",
            *self.options,
        ]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=self.log_file, cwd=self.cwd
        )
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if "address already in use" in self.stderr().lower():
                    raise PortTaken(self.port)
                raise AssertionError(f"the server exited: {self.stderr()[-3000:]!r}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return self
            time.sleep(0.2)
        self.kill()
        raise AssertionError("the server was not ready in time")

    def worker_pids(self) -> list[int]:
        """The audit workers (children running multiprocessing's spawn_main)."""
        assert self.process is not None
        found = []
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            for pid in (task / "children").read_text().split():
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                if b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
                    found.append(int(pid))
        return found

    def stop(self) -> str:
        """SIGTERM (a graceful shutdown), then the server's stderr."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        return self.stderr()

    def kill(self) -> None:
        """SIGKILL: no shutdown at all."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def stderr(self) -> str:
        self.log_file.seek(0)
        return self.log_file.read().decode(errors="replace")


class Api:
    """An httpx client of a server with the tokens of every role."""

    def __init__(self, server: Server, tokens: dict[str, str]) -> None:
        self.server, self.tokens = server, tokens
        self.http = httpx.Client(base_url=server.url, timeout=60)

    def call(
        self, method: str, path: str, who: str | None = "submitter", **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return self.http.request(method, path, headers=headers, **kwargs)

    def submit(
        self, text: str | bytes, name: str = "plan.yaml", who: str = "submitter", **kwargs: Any
    ) -> httpx.Response:
        media = "application/json" if name.endswith(".json") else "application/yaml"
        headers = {"Content-Type": media, **kwargs.pop("headers", {})}
        params = {"name": name, **kwargs.pop("params", {})}
        body = text.encode() if isinstance(text, str) else text
        return self.call(
            "POST", "/v1/audits", who, content=body, headers=headers, params=params, **kwargs
        )


def make_tokens(server: Server, database: str) -> dict[str, str]:
    """An admin token from the CLI, the others through the admin API."""
    admin = cli(
        "tokens",
        "create",
        "--name",
        f"admin-{uuid.uuid4().hex[:6]}",
        "--role",
        "admin",
        database=database,
    )
    tokens = {"admin": admin.stdout.strip()}
    for name, role in (
        ("submitter", "submitter"),
        ("other", "submitter"),
        ("reviewer", "reviewer"),
    ):
        answer = httpx.post(
            server.url + "/v1/tokens",
            json={"name": f"{name}-{uuid.uuid4().hex[:6]}", "role": role},
            headers={"Authorization": f"Bearer {tokens['admin']}"},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
        tokens[name] = answer.json()["token"]
    return tokens


@pytest.fixture(scope="module")
def api(database: str) -> Iterator[Api]:
    """A running server on the module's record, with a token for each role."""
    server = Server(database, "--max-body", str(2 * 1024 * 1024), "--max-waiver-days", "90").start()
    try:
        yield Api(server, make_tokens(server, database))
    finally:
        server.stop()
