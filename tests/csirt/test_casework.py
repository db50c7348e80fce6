"""Tasks, evidence with SHA-256 and chain of custody, notes with indicators, and the
security cost KPI from recorded cost entries and populations."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from rengo.core.clock import FakeClock
from rengo.core.runtime import Runtime
from rengo.core.wards import ward_by_code, wards
from tests.helpers import WARD_A, WARD_B

Api = Callable[..., Any]


def test_tasks_with_assignee_and_due_time(
    api: Api,
    clock: FakeClock,
    make_user: Callable[..., str],
    open_incident: Callable[..., dict[str, Any]],
) -> None:
    person = make_user(WARD_A, "ward_it")
    incident = open_incident()
    base = f"/api/v1/incidents/{incident['id']}/tasks"
    due = (clock.now() + timedelta(hours=4)).isoformat()
    task = api("POST", base, json={"title": "ログを保全する", "assignee": person, "due_at": due})
    assert task.status_code == 201 and task.json()["assignee"] == person
    assert api("POST", base, json={"title": "x", "assignee": "ghost"}).status_code == 422
    done = api("POST", f"{base}/{task.json()['id']}/done")
    assert done.json()["done_at"] is not None
    assert api("POST", f"{base}/{task.json()['id']}/done").status_code == 409
    summaries = [
        e["summary"]
        for e in api("GET", f"/api/v1/incidents/{incident['id']}/timeline?kind=task").json()[
            "items"
        ]
    ]
    assert summaries == [f"Task: ログを保全する → {person}, due {due}", "Task done: ログを保全する"]


def test_evidence_hash_custody_and_audited_download(
    api: Api, env: Runtime, open_incident: Callable[..., dict[str, Any]]
) -> None:
    incident = open_incident()
    base = f"/api/v1/incidents/{incident['id']}/evidence"
    content = "メールヘッダ\nReceived: from mx.phish.example.com\n".encode() * 1000
    uploaded = api(
        "POST",
        base,
        files={"file": ("header.eml", content, "message/rfc822")},
        params={"description": "受信メールの原本"},
    )
    assert uploaded.status_code == 201, uploaded.text
    item = uploaded.json()
    assert item["sha256"] == hashlib.sha256(content).hexdigest() and item["size"] == len(content)
    assert (
        api(
            "POST", base, files={"file": ("empty.bin", b"", "application/octet-stream")}
        ).status_code
        == 422
    )
    download = api("GET", f"{base}/{item['id']}", role="ward_it")
    assert download.content == content and download.headers["x-sha256"] == item["sha256"]
    assert api("GET", f"{base}/{item['id']}", ward=WARD_B, role="ward_it").status_code == 404
    assert api("GET", f"{base}/{item['id']}", role="executive").status_code == 403
    assert api("POST", f"{base}/{item['id']}/verify").json() == {"intact": True}
    (env.data_dir.files("csirt") / "evidence" / item["sha256"]).write_bytes(b"tampered")
    assert api("POST", f"{base}/{item['id']}/verify").json() == {"intact": False}
    custody = api("GET", f"{base}/{item['id']}/custody").json()
    assert [c["action"] for c in custody] == ["collected", "downloaded", "verified", "verified"]
    assert custody[-1]["note"] == "MISMATCH" and custody[-1]["sha256_seen"] != item["sha256"]
    from rengo.core import audit

    with env.db.session() as session:
        events = audit.query(session, tenants=None, action="csirt.evidence.download")
    assert len(events) == 1 and events[0].actor.startswith("ward_it@")


def test_notes_feed_indicators(api: Api, open_incident: Callable[..., dict[str, Any]]) -> None:
    incident = open_incident()
    note = api(
        "POST",
        f"/api/v1/incidents/{incident['id']}/notes",
        json={"text": "送信元 hxxps://login-update[.]example[.]net/a から。ハッシュ " + "ab" * 32},
    )
    assert note.status_code == 201
    kinds = {
        (i["kind"], i["value"])
        for i in api("GET", f"/api/v1/incidents/{incident['id']}/indicators").json()
    }
    assert ("url", "https://login-update.example.net/a") in kinds
    assert ("sha256", "ab" * 32) in kinds
    assert ("domain", "login-update.example.net") not in kinds  # only the URL, once


def test_security_cost_kpi(api: Api, env: Runtime, clock: FakeClock) -> None:
    joint_cost = 2_000_000_000
    for ward in wards():
        r = api(
            "POST",
            "/api/v1/csirt/costs",
            ward=ward.code,
            role="ward_finance",
            json={
                "fiscal_year": 2026,
                "tenant": ward.code,
                "kind": "standalone_estimate",
                "amount_yen": 150_000_000,
            },
        )
        assert r.status_code == 201, r.text
    refused = api(
        "POST",
        "/api/v1/csirt/costs",
        ward=WARD_A,
        role="ward_finance",
        json={"fiscal_year": 2026, "tenant": "joint", "kind": "joint_operating", "amount_yen": 1},
    )
    assert refused.status_code == 403
    bad = api(
        "POST",
        "/api/v1/csirt/costs",
        ward="joint",
        role="admin",
        json={"fiscal_year": 2026, "tenant": WARD_A, "kind": "joint_operating", "amount_yen": 0},
    )
    assert {p["location"] for p in bad.json()["problems"]} == {"field tenant", "field amount_yen"}
    assert (
        api(
            "POST",
            "/api/v1/csirt/costs",
            ward="joint",
            role="admin",
            json={
                "fiscal_year": 2026,
                "tenant": "joint",
                "kind": "joint_operating",
                "amount_yen": joint_cost,
            },
        ).status_code
        == 201
    )
    # The recorded entries' comparison (the policy target itself is computed by FinOps from
    # the budget import and the joint SOC/CSIRT's costs: tests/finops/test_targets.py).
    result = api("GET", "/api/v1/csirt/costs/comparison", ward="joint", role="admin").json()
    standalone = 23 * 150_000_000
    assert result["reduction_pct"] == pytest.approx(
        round((standalone - joint_cost) / standalone * 100, 1)
    )
    population_a = ward_by_code(WARD_A).population
    total_population = sum(w.population for w in wards())
    share_a = joint_cost * population_a / total_population
    ward_a = next(w for w in result["wards"] if w["ward"] == WARD_A)
    assert ward_a["reduction_pct"] == pytest.approx(
        round((150_000_000 - share_a) / 150_000_000 * 100, 1)
    )
    assert result["shared_by"] == "population"
    mine = api("GET", "/api/v1/csirt/costs/comparison", ward=WARD_A, role="ward_finance").json()
    assert [w["ward"] for w in mine["wards"]] == [WARD_A] and mine["reduction_pct"] is None
