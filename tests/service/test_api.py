"""Every route, every role and the bad bodies, over HTTP against `strataudit serve`.

Runs once on SQLite and once on PostgreSQL (see conftest.py). The server is shared by the
module: tests that need a plan of their own give it a fresh plan id.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import uuid
from pathlib import Path

import httpx
import pytest

from .conftest import SAMPLES, Api, cli, strataudit

PROBLEM = "application/problem+json"
DEFECTS = (SAMPLES / "acme-defects.yaml").read_text()
CLEAN = (SAMPLES / "acme-2027.yaml").read_text()


def with_plan_id(text: str, plan_id: str) -> str:
    """The YAML plan with its `plan.id` replaced (its first `  id:` line)."""
    return re.sub(r"(?m)^(  id: ).*$", rf"\g<1>{plan_id}", text, count=1)


def problem(answer: httpx.Response, status: int, slug: str) -> dict:
    assert answer.status_code == status, answer.text[:2000]
    assert answer.headers["content-type"].startswith(PROBLEM)
    body = answer.json()
    assert body["type"].endswith("/" + slug), body
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_health_and_readiness_need_no_token(api: Api) -> None:
    assert api.call("GET", "/healthz", None).json() == {"status": "ok"}
    ready = api.call("GET", "/readyz", None)
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_openapi_lists_every_route(api: Api) -> None:
    from strataudit.service import api_audits, api_ops, api_plans

    document = api.call("GET", "/v1/openapi.json", None).json()
    listed = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    routes = {
        (method, route.path)
        for module in (api_audits, api_plans, api_ops)
        for route in module.router.routes
        for method in getattr(route, "methods", ())
    }
    assert len(routes) >= 16
    assert routes and routes <= listed, routes - listed
    for expected in (
        "/v1/audits",
        "/v1/audits/{decision_id}/report",
        "/v1/plans/{plan_id}/waivers",
    ):
        assert expected in document["paths"]


ROUTES = [  # (method, path, the roles allowed)
    ("GET", "/v1/audits", {"submitter", "reviewer", "admin"}),
    ("GET", "/v1/plans/p/audits", {"submitter", "reviewer", "admin"}),
    ("GET", "/v1/plans/p/waivers", {"submitter", "reviewer", "admin"}),
    ("GET", "/metrics", {"submitter", "reviewer", "admin"}),
    ("GET", "/v1/tokens", {"admin"}),
    ("POST", "/v1/audits", {"submitter"}),
    ("POST", "/v1/plans/p/waivers", {"reviewer"}),
    ("POST", "/v1/audits/x/review", {"reviewer"}),
    ("POST", "/v1/tokens", {"admin"}),
]


@pytest.mark.parametrize(("method", "path", "allowed"), ROUTES)
def test_roles(api: Api, method: str, path: str, allowed: set[str]) -> None:
    body = problem(api.call(method, path, None), 401, "unauthenticated")
    assert "Bearer" in api.call(method, path, None).headers["www-authenticate"]
    assert body["detail"]
    bad = api.call(method, path, None, headers={"Authorization": "Bearer sat_nope_nope"})
    problem(bad, 401, "unauthenticated")
    for role in ("submitter", "reviewer", "admin"):
        answer = api.call(method, path, role)
        if role in allowed:
            assert answer.status_code != 403, (role, answer.text)
        else:
            problem(answer, 403, "forbidden")


def test_submit_read_and_reports(api: Api) -> None:
    answer = api.submit(DEFECTS, "acme-defects.yaml")
    assert answer.status_code == 201, answer.text
    decision = answer.json()
    assert decision["verdict"] == "fail" and decision["plan_id"] == "acme-2027-defects"
    uuid.UUID(decision["id"])
    assert answer.headers["location"] == f"/v1/audits/{decision['id']}"
    import hashlib

    [file] = decision["files"]
    assert file == {
        "name": "acme-defects.yaml",
        "sha256": hashlib.sha256(DEFECTS.encode()).hexdigest(),
        "size": len(DEFECTS.encode()),
        "stored": True,
    }
    assert decision["submitter"].startswith("submitter-")
    assert len(decision["catalogue_digest"]) == 64 and decision["rules_version"] == "1"
    assert decision["duration_ms"] >= decision["audit_ms"] > 0
    again = api.call("GET", decision["links"]["self"])
    assert again.status_code == 201 and again.json() == decision  # a decision keeps its status
    assert api.call("GET", decision["links"]["self"], "reviewer").json() == decision
    problem(api.call("GET", decision["links"]["self"], "other"), 404, "not-found")
    report = api.call("GET", f"/v1/audits/{decision['id']}/report?format=json").json()
    assert report["findings"] == decision["findings"] and report["verdict"] == "fail"
    media = {
        "html": "text/html",
        "sarif": "application/sarif+json",
        "junit": "application/xml",
        "markdown": "text/markdown",
    }
    for fmt, kind in media.items():
        rendered = api.call("GET", f"/v1/audits/{decision['id']}/report", params={"format": fmt})
        assert rendered.status_code == 200 and rendered.headers["content-type"].startswith(kind)
        assert "SEG002" in rendered.text
    problem(
        api.call("GET", f"/v1/audits/{decision['id']}/report?format=pdf"), 422, "validation-error"
    )
    listed = api.call("GET", "/v1/audits").json()["decisions"]
    assert decision["id"] in {d["id"] for d in listed}
    assert decision["id"] not in {
        d["id"] for d in api.call("GET", "/v1/audits", "other").json()["decisions"]
    }


def _cli_findings(cwd: Path, name: str) -> list[dict]:
    done = subprocess.run(
        [*strataudit(), "audit", name, "--format", "json"], cwd=cwd, capture_output=True, text=True
    )
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)["findings"]


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*.*")))
def test_findings_equal_the_cli_report(api: Api, name: str) -> None:
    answer = api.submit((SAMPLES / name).read_bytes(), name)
    assert answer.status_code == 201, answer.text
    assert answer.json()["findings"] == _cli_findings(SAMPLES, name)


def test_bundle_findings_equal_the_cli_report(api: Api) -> None:
    folder = SAMPLES / "unit-eu"
    files = {p.name: p.read_text() for p in folder.glob("*.yaml")}
    for main in (None, "eu-plan.yaml"):
        body = {"files": files, **({"main": main} if main else {})}
        answer = api.call(
            "POST",
            "/v1/audits",
            content=json.dumps(body),
            headers={"Content-Type": "application/vnd.strataudit.bundle+json"},
        )
        assert answer.status_code == 201, answer.text
        decision = answer.json()
        assert [f["name"] for f in decision["files"]] == sorted(files)
        assert decision["findings"] == _cli_findings(folder, "eu-plan.yaml")


def test_unreadable_plans_are_error_decisions(api: Api) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    for body in (
        bomb.encode(),
        b"strataudit: 1\nplan: {id: \xff\xfe}\n",
        b"strataudit: 1\nplan: [\n",
    ):
        answer = api.submit(body, "broken.yaml")
        assert answer.status_code == 422, answer.text
        decision = answer.json()
        assert decision["verdict"] == "error" and decision["plan_id"] is None
        [error] = decision["errors"]
        assert error["file"] == "broken.yaml" and error["message"] and error["hint"]
        assert api.call("GET", decision["links"]["self"]).status_code == 422


def test_bad_bodies_are_problems(api: Api) -> None:
    problem(
        api.submit(DEFECTS, headers={"Content-Type": "text/plain"}), 415, "unsupported-media-type"
    )
    problem(api.call("POST", "/v1/audits", content=DEFECTS), 415, "unsupported-media-type")
    bundle = {"Content-Type": "application/vnd.strataudit.bundle+json"}

    def send(body: object) -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return api.call("POST", "/v1/audits", content=raw, headers=bundle)

    problem(send(b"{not json"), 400, "bad-request")
    problem(send(b'{"files": {"a.yaml": "\xff"}}'), 400, "bad-request")
    problem(send({"files": {}}), 422, "validation-error")
    problem(send({"files": {"a.yaml": "x"}, "extra": 1}), 422, "validation-error")
    for name in (
        "../x.yaml",
        "/etc/x.yaml",
        "a\\b.yaml",
        "a/../b.yaml",
        ".hidden.yaml",
        "a//b.yaml",
        "x.txt",
    ):
        problem(send({"files": {name: "strataudit: 1\n"}}), 400, "invalid-bundle")
    problem(send({"files": {"a.yaml": "x", "a.yaml/b.yaml": "y"}}), 400, "invalid-bundle")
    problem(send({"files": {"a.yaml": "x"}, "main": "b.yaml"}), 400, "invalid-bundle")
    problem(api.submit(DEFECTS, "../plan.yaml"), 400, "invalid-bundle")
    for include in ("/etc/passwd", "../../../../etc/hostname", "missing.yaml", "sub/../../x.yaml"):
        plan = f"strataudit: 1\ninclude: [{json.dumps(include)}]\nplan: {{id: x}}\n"
        body = problem(send({"files": {"plan.yaml": plan}}), 422, "include-outside-bundle")
        assert body["include"] == include
        problem(api.submit(plan, "plan.yaml"), 422, "include-outside-bundle")
        context = f"strataudit: 1\ninclude: [{{file: {json.dumps(include)}, as: context}}]\n"
        problem(api.submit(context, "plan.yaml"), 422, "include-outside-bundle")  # every form
    escaped = 'strataudit: 1\n"\\x69nclude": [/etc/passwd]\n'  # an escaped key is still found
    problem(api.submit(escaped, "plan.yaml"), 422, "include-outside-bundle")
    problem(api.submit(DEFECTS, params={"fail_on": "sometimes"}), 422, "validation-error")
    problem(api.submit(DEFECTS, params={"select": "NOPE999"}), 422, "invalid-options")
    problem(api.submit(DEFECTS, params={"severity": "SEG002"}), 422, "invalid-options")


def test_oversized_bodies_are_refused_before_parsing(api: Api) -> None:
    big = b"#" * (2 * 1024 * 1024 + 1)
    problem(api.submit(big, "big.yaml"), 413, "body-too-large")

    def chunks():  # no Content-Length: counted as it streams
        for _ in range(40):
            yield b"#" * 65536

    answer = api.call(
        "POST", "/v1/audits", content=chunks(), headers={"Content-Type": "application/yaml"}
    )
    problem(answer, 413, "body-too-large")


def test_idempotent_retries(api: Api) -> None:
    key = uuid.uuid4().hex
    first = api.submit(DEFECTS, "acme-defects.yaml", headers={"Idempotency-Key": key})
    second = api.submit(DEFECTS, "acme-defects.yaml", headers={"Idempotency-Key": key})
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and second.headers["idempotent-replayed"] == "true"
    problem(
        api.submit(CLEAN, "acme-2027.yaml", headers={"Idempotency-Key": key}),
        422,
        "idempotency-key-reused",
    )
    other = api.submit(DEFECTS, "acme-defects.yaml", who="other", headers={"Idempotency-Key": key})
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]  # per submitter
    plan_id = f"race-{uuid.uuid4().hex[:8]}"
    text, race_key, ids = with_plan_id(DEFECTS, plan_id), uuid.uuid4().hex, []

    def retry() -> None:
        with httpx.Client(base_url=api.server.url, timeout=60) as client:
            answer = client.post(
                "/v1/audits",
                content=text.encode(),
                params={"name": "acme-defects.yaml"},
                headers={
                    "Authorization": f"Bearer {api.tokens['submitter']}",
                    "Content-Type": "application/yaml",
                    "Idempotency-Key": race_key,
                },
            )
            assert answer.status_code == 201, answer.text
            ids.append(answer.json()["id"])

    threads = [threading.Thread(target=retry) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(ids) == 6 and len(set(ids)) == 1
    history = api.call("GET", f"/v1/plans/{plan_id}/audits", "reviewer").json()["decisions"]
    assert [d["id"] for d in history] == ids[:1]


def test_history_new_and_resolved(api: Api) -> None:
    plan_id = f"hist-{uuid.uuid4().hex[:8]}"
    first = api.submit(with_plan_id(DEFECTS, plan_id), "plan.yaml").json()
    second = api.submit(with_plan_id(CLEAN, plan_id), "plan.yaml").json()
    third = api.submit(with_plan_id(DEFECTS, plan_id), "plan.yaml").json()
    assert (first["verdict"], second["verdict"], third["verdict"]) == ("fail", "pass", "fail")
    answer = api.call("GET", f"/v1/plans/{plan_id}/audits", "reviewer", params={"limit": 2})
    page = answer.json()
    assert [d["id"] for d in page["decisions"]] == [third["id"], second["id"]]
    fingerprints = {f["fingerprint"] for f in first["findings"]}
    newest, middle = page["decisions"]
    assert {f["fingerprint"] for f in newest["new"]} == fingerprints and newest["resolved"] == []
    assert middle["new"] == [] and {f["fingerprint"] for f in middle["resolved"]} == fingerprints
    assert middle["previous"] == first["id"] and page["next"] is not None
    rest = api.call(
        "GET", f"/v1/plans/{plan_id}/audits", "reviewer", params={"before": page["next"]}
    )
    [oldest] = rest.json()["decisions"]
    assert oldest["id"] == first["id"] and oldest["previous"] is None
    assert len(oldest["new"]) == len(first["findings"])
    own = api.call("GET", f"/v1/plans/{plan_id}/audits", "other").json()["decisions"]
    assert own == []  # a submitter sees its own submissions only


def test_waivers_reviews_and_approval(api: Api) -> None:
    plan_id = f"waive-{uuid.uuid4().hex[:8]}"
    text = with_plan_id(DEFECTS, plan_id)
    options = {"select": "SEG002"}
    failed = api.submit(text, "plan.yaml", params=options).json()
    assert failed["verdict"] == "fail" and failed["findings"]
    refused = api.call(
        "POST", f"/v1/audits/{failed['id']}/review", "reviewer", json={"outcome": "approved"}
    )
    problem(refused, 409, "conflict")
    review = api.call(
        "POST",
        f"/v1/audits/{failed['id']}/review",
        "reviewer",
        json={"outcome": "changes_requested", "comment": "target the products"},
    )
    assert review.status_code == 201 and review.json()["outcome"] == "changes_requested"
    import datetime

    expires = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    granted = []
    for f in failed["findings"]:
        body = {"rule": f["rule"], "entity": f["entity"], "reason": "sunset", "expires": expires}
        answer = api.call("POST", f"/v1/plans/{plan_id}/waivers", "reviewer", json=body)
        assert answer.status_code == 201, answer.text
        granted.append(answer.json())
    too_long = {"rule": "SEG002", "reason": "x", "expires": "2999-01-01"}
    problem(
        api.call("POST", f"/v1/plans/{plan_id}/waivers", "reviewer", json=too_long),
        422,
        "validation-error",
    )
    unknown = {"rule": "NOP001", "reason": "x", "expires": expires}
    problem(
        api.call("POST", f"/v1/plans/{plan_id}/waivers", "reviewer", json=unknown),
        422,
        "validation-error",
    )
    waived = api.submit(text, "plan.yaml", params=options).json()
    assert waived["verdict"] == "pass"
    assert all(f["state"] == "waived" for f in waived["findings"])
    applied = {w["source"]: w for w in waived["waivers_applied"]}
    assert set(applied) == {f"waiver:{g['id']}" for g in granted}
    assert {w["owner"] for w in applied.values()} == {granted[0]["granted_by"]}
    approved = api.call(
        "POST",
        f"/v1/audits/{waived['id']}/review",
        "reviewer",
        json={"outcome": "approved", "comment": "ok"},
    )
    assert approved.status_code == 201
    reviews = api.call("GET", f"/v1/audits/{failed['id']}/reviews").json()["reviews"]
    assert [r["outcome"] for r in reviews] == ["changes_requested"]
    revoke = api.call(
        "POST",
        f"/v1/plans/{plan_id}/waivers/{granted[0]['id']}/revoke",
        "reviewer",
        json={"reason": "done"},
    )
    assert revoke.status_code == 201 and revoke.json()["revoked"]["by"] == granted[0]["granted_by"]
    again = api.call(
        "POST",
        f"/v1/plans/{plan_id}/waivers/{granted[0]['id']}/revoke",
        "reviewer",
        json={"reason": "x"},
    )
    problem(again, 409, "conflict")
    assert api.submit(text, "plan.yaml", params=options).json()["verdict"] == "fail"
    listed = api.call("GET", f"/v1/plans/{plan_id}/waivers").json()["waivers"]
    assert [w["revoked"] is not None for w in listed] == [True] + [False] * (len(granted) - 1)


def test_tokens_are_managed_and_revoked_at_once(api: Api) -> None:
    made = api.call(
        "POST",
        "/v1/tokens",
        "admin",
        json={"name": f"tmp-{uuid.uuid4().hex[:6]}", "role": "submitter"},
    )
    assert made.status_code == 201
    token = made.json()["token"]
    use = {"Authorization": f"Bearer {token}"}
    assert api.call("GET", "/v1/audits", None, headers=use).status_code == 200
    listed = api.call("GET", "/v1/tokens", "admin").json()["tokens"]
    assert made.json()["id"] in {t["id"] for t in listed} and all("token" not in t for t in listed)
    assert api.call("POST", f"/v1/tokens/{made.json()['id']}/revoke", "admin").status_code == 201
    problem(api.call("GET", "/v1/audits", None, headers=use), 401, "unauthenticated")
    problem(
        api.call("POST", "/v1/tokens", "admin", json={"name": "x", "role": "root"}),
        422,
        "validation-error",
    )


def test_metrics(api: Api) -> None:
    text = api.call("GET", "/metrics").text
    assert re.search(r'strataudit_audits_total\{verdict="fail"\} [1-9]', text)
    for name in (
        "strataudit_audit_seconds_bucket",
        "strataudit_worker_restarts_total",
        "strataudit_queue_depth",
    ):
        assert name in text


def test_verify_replays_the_record(api: Api) -> None:
    answers = [
        api.submit(DEFECTS, "a.yaml"),
        api.submit(CLEAN, "b.yaml"),
        api.submit(b"[", "c.yaml"),
    ]
    ids = [a.json()["id"] for a in answers]
    done = cli("decisions", "verify", *ids, database=api.server.database)
    assert done.stdout.strip().endswith(f"{len(ids)} same"), done.stdout
    count = cli("decisions", "prune", "--before", "2999-01-01", database=api.server.database)
    assert re.match(r"[1-9]\d* decisions before 2999-01-01 would be deleted", count.stdout)
    nothing = cli(
        "decisions", "prune", "--before", "2000-01-01", "--yes", database=api.server.database
    )
    assert nothing.stdout.startswith("deleted 0 decisions")
