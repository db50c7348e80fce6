"""Follow-up tasks worked and closed over HTTP: a missed expectation's task is marked done
with a note by its ward, reopened, reassigned by the planner; another ward gets 404; each
change is audited; the after-action report shows done/open with the date."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from rengo.core.audit import AuditEvent
from rengo.core.runtime import Runtime
from rengo.drills.models import FollowUp
from tests.helpers import JOINT, WARD_A, WARD_B, bearer


def finished_tabletop(client: TestClient, planner: dict[str, str]) -> str:
    """A tabletop of ward A started and completed with nobody answering: every
    expectation missed, so each became a follow-up task."""
    made = client.post(
        "/api/v1/drills/exercises",
        json={"scenario": "tabletop-ransomware", "wards": [WARD_A], "start": True},
        headers=planner,
    )
    assert made.status_code == 201, made.text
    public_id: str = made.json()["id"]
    done = client.post(f"/api/v1/drills/exercises/{public_id}/complete", headers=planner)
    assert done.status_code == 200, done.text
    return public_id


def test_a_follow_up_is_done_reopened_and_reassigned(
    client: TestClient, tokens: Any, env: Runtime
) -> None:
    planner = bearer(tokens(JOINT, "planner"))
    public_id = finished_tabletop(client, planner)
    tasks = client.get("/api/v1/drills/followups", params={"ward": WARD_A}, headers=planner).json()
    assert tasks, "the missed expectations made no follow-up task"
    # Give one to ward A (whatever the scenario assigned it to).
    task = tasks[0]
    moved = client.patch(
        f"/api/v1/drills/followups/{task['id']}",
        json={"owner": WARD_A, "due_on": "2030-04-01"},
        headers=planner,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["owner"] == WARD_A and moved.json()["due_on"] == "2030-04-01"
    url = f"/api/v1/drills/followups/{task['id']}"

    # Ward A's IT staff see it among their open tasks and close it with a note.
    ward_it = bearer(tokens(WARD_A, "ward_it"))
    mine = client.get("/api/v1/drills/followups", headers=ward_it).json()
    assert task["id"] in [t["id"] for t in mine]
    assert {t["owner"] for t in mine} == {WARD_A}
    assert client.patch(url, json={"owner": WARD_A}, headers=ward_it).status_code == 403
    closed = client.post(f"{url}/done", json={"note": "検知ルールを追加した"}, headers=ward_it)
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["done_at"] is not None and body["note"] == "検知ルールを追加した"
    assert "ward_it@" + WARD_A in body["done_by"]
    again = client.post(f"{url}/done", json={"note": "x"}, headers=ward_it)
    assert again.status_code == 409
    assert client.post(f"{url}/done", json={"note": ""}, headers=ward_it).status_code == 422
    still_open = client.get("/api/v1/drills/followups", headers=ward_it).json()
    assert task["id"] not in [t["id"] for t in still_open]

    # The report shows it done, with the date.
    report = client.get(
        f"/api/v1/drills/exercises/{public_id}/report",
        params={"format": "html"},
        headers=planner,
    ).text
    plan = report.split("改善計画", 1)[1]
    assert "完了(" in plan and "検知ルールを追加した" in plan

    # Another ward sees nothing of it and may not touch it.
    other = bearer(tokens(WARD_B, "ward_it"))
    assert client.get(url, headers=other).status_code == 404
    assert client.post(f"{url}/reopen", headers=other).status_code == 404
    assert client.post(f"{url}/done", json={"note": "x"}, headers=other).status_code == 404
    assert task["id"] not in [
        t["id"] for t in client.get("/api/v1/drills/followups", headers=other).json()
    ]
    # An executive of ward A sees it but may not work it.
    executive = bearer(tokens(WARD_A, "executive"))
    assert client.get(url, headers=executive).status_code == 200
    assert client.post(f"{url}/reopen", headers=executive).status_code == 403

    reopened = client.post(f"{url}/reopen", headers=ward_it)
    assert reopened.status_code == 200
    assert reopened.json()["done_at"] is None and reopened.json()["note"] == ""
    assert client.post(f"{url}/reopen", headers=ward_it).status_code == 409
    report = client.get(
        f"/api/v1/drills/exercises/{public_id}/report",
        params={"format": "html"},
        headers=planner,
    ).text
    assert "完了(" not in report.split("改善計画", 1)[1]

    with env.db.session() as session:
        row = session.get(FollowUp, task["id"])
        assert row is not None and row.done_at is None and row.owner == WARD_A
        actions = list(
            session.scalars(
                select(AuditEvent.action)
                .where(
                    AuditEvent.object_type == "drills_followup",
                    AuditEvent.object_id == str(task["id"]),
                )
                .order_by(AuditEvent.id)
            )
        )
    assert actions == ["drills.followup.reassign", "drills.followup.done", "drills.followup.reopen"]


def test_an_unknown_follow_up_and_owner(client: TestClient, tokens: Any) -> None:
    planner = bearer(tokens(JOINT, "planner"))
    assert client.get("/api/v1/drills/followups/999999", headers=planner).status_code == 404
    finished_tabletop(client, planner)
    (task, *_) = client.get("/api/v1/drills/followups", headers=planner).json()
    bad = client.patch(
        f"/api/v1/drills/followups/{task['id']}", json={"owner": "999990"}, headers=planner
    )
    assert bad.status_code == 422 and "owner" in bad.text


def test_the_pages_list_and_close_a_ward_task(
    client: TestClient, tokens: Any, login: Callable[..., str]
) -> None:
    planner = bearer(tokens(JOINT, "planner"))
    public_id = finished_tabletop(client, planner)
    (task, *_) = client.get("/api/v1/drills/followups", headers=planner).json()
    moved = client.patch(
        f"/api/v1/drills/followups/{task['id']}", json={"owner": WARD_A}, headers=planner
    )
    assert moved.status_code == 200

    csrf = login(client, WARD_A, "ward_it")
    page = client.get("/drills/followups", headers={"Accept-Language": "ja"})
    assert page.status_code == 200
    assert task["title"]["ja"] in page.text and "完了にする" in page.text
    assert f'action="/drills/followups/{task["id"]}/done"' in page.text
    assert "担当・期限を変更" not in page.text  # reassigning is the planner's
    empty = client.post(
        f"/drills/followups/{task['id']}/done",
        data={"csrf_token": csrf, "note": " ", "back": "list"},
        headers={"Accept-Language": "ja"},
    )
    assert empty.status_code == 422 and "対応内容を入力してください" in empty.text
    closed = client.post(
        f"/drills/followups/{task['id']}/done",
        data={"csrf_token": csrf, "note": "手順書を改訂した", "back": "exercise"},
    )
    assert closed.status_code == 303
    assert closed.headers["location"] == f"/drills/exercises/{public_id}#followups"
    shown = client.get(f"/drills/exercises/{public_id}", headers={"Accept-Language": "ja"})
    assert "手順書を改訂した" in shown.text and "未了に戻す" in shown.text
    assert task["title"]["ja"] not in client.get("/drills/followups").text

    other = TestClient(client.app, base_url="http://127.0.0.1", follow_redirects=False)
    other_csrf = login(other, WARD_B, "ward_it")
    refused = other.post(f"/drills/followups/{task['id']}/reopen", data={"csrf_token": other_csrf})
    assert refused.status_code == 404
    assert task["title"]["ja"] not in other.get("/drills/followups?done=1").text
