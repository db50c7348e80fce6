"""A tabletop over HTTP: the facilitator sends injects; three participants (two by code on
their phones, one with an account) answer and draft; the facilitator sees who answered,
the report names every decision, and a second exercise at the same time never crosses."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from rengo.core.runtime import Runtime
from rengo.drills.models import Decision, Exercise, Result
from tests.helpers import JOINT, WARD_A, bearer


def _start(client: TestClient, token: str, wards: list[str]) -> dict[str, Any]:
    made = client.post(
        "/api/v1/drills/exercises",
        json={"scenario": "tabletop-ransomware", "wards": wards, "start": False},
        headers=bearer(token),
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


def _join(client: TestClient, code: str, name: str) -> str:
    joined = client.post("/drills/join", data={"code": code.lower(), "name": name})
    assert joined.status_code == 303, joined.text
    page = client.get(joined.headers["location"])
    assert page.status_code == 200
    match = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def _answer(client: TestClient, exercise: str, token: str, inject: str, option: int) -> int:
    response = client.post(
        f"/drills/play/{exercise}/decisions",
        data={"form_token": token, "inject": inject, "option": str(option)},
    )
    return int(response.status_code)


def test_three_participants_answer_in_real_time(
    env: Runtime,
    client: TestClient,
    new_client: Callable[[], TestClient],
    tokens: Any,
    login: Any,
) -> None:
    planner = tokens(JOINT, "planner")
    first = _start(client, planner, [WARD_A])
    other = _start(client, planner, ["131024"])
    assert first["join_code"] and first["join_code"] != other["join_code"]
    ex = first["id"]

    mayor, deputy, it_head = new_client(), new_client(), new_client()
    mayor_token = _join(mayor, first["join_code"], "区長")
    deputy_token = _join(deputy, first["join_code"], "副区長")
    login(it_head, WARD_A, "executive")
    joined = it_head.post(f"/drills/exercises/{ex}/join", data={"csrf_token": _csrf(it_head)})
    assert joined.status_code == 303
    it_token = re.search(  # type: ignore[union-attr]
        r'name="form_token" value="([^"]+)"', it_head.get(f"/drills/play/{ex}").text
    ).group(1)

    # Before the facilitator sends it, the decision point does not exist for anyone.
    assert _answer(mayor, ex, mayor_token, "first-report", 0) == 404
    facilitator = new_client()
    login(facilitator, JOINT, "planner")
    sent = facilitator.post(
        f"/drills/exercises/{ex}/injects/first-report", data={"csrf_token": _csrf(facilitator)}
    )
    assert sent.status_code == 303
    feed = mayor.get(f"/drills/play/{ex}/feed").text
    assert "身代金" in feed and 'name="option"' in feed

    assert _answer(mayor, ex, mayor_token, "first-report", 0) == 303
    assert _answer(deputy, ex, deputy_token, "first-report", 1) == 303
    assert _answer(it_head, ex, it_token, "first-report", 0) == 303
    assert _answer(mayor, ex, mayor_token, "first-report", 1) == 409  # once each
    assert _answer(deputy, ex, "forged", "first-report", 0) == 403
    # A participant of this exercise is nobody in the other one.
    assert mayor.get(f"/drills/play/{other['id']}/feed").status_code == 404

    board = facilitator.get(f"/drills/exercises/{ex}/status").text
    assert 'data-inject="first-report">3 / 3' in board
    assert "区長" in board and "副区長" in board

    draft = mayor.post(
        f"/drills/play/{ex}/drafts",
        data={"form_token": mayor_token, "template": "mayor_report", "body": "区長 様\n第1報"},
    )
    assert draft.status_code == 303
    done = client.post(f"/api/v1/drills/exercises/{ex}/complete", headers=bearer(planner))
    assert done.status_code == 200 and done.json()["status"] == "completed"

    with env.db.session() as session:
        exercise = session.scalar(select(Exercise).where(Exercise.public_id == ex))
        assert exercise is not None
        decisions = list(
            session.scalars(select(Decision).where(Decision.exercise_id == exercise.id))
        )
        assert len(decisions) == 3 and all(d.at >= exercise.start_at for d in decisions)
        results = {
            r.expectation_id: r.status
            for r in session.scalars(select(Result).where(Result.exercise_id == exercise.id))
        }
    assert results["isolate-decided"] == "met" and results["mayor-report"] == "met"
    assert results["press-decided"] == "missed"  # never sent, never answered
    report = client.get(
        f"/api/v1/drills/exercises/{ex}/report", params={"format": "html"}, headers=bearer(planner)
    )
    assert report.status_code == 200
    assert "区長" in report.text and "副区長" in report.text and "直ちに切り離す" in report.text
    # The other exercise saw nothing of this one.
    detail = client.get(f"/api/v1/drills/exercises/{other['id']}", headers=bearer(planner)).json()
    assert detail["status"] == "planned"
    assert all(i["sent_at"] is None for i in detail["injects"])
    # Over: answers are refused.
    assert _answer(deputy, ex, deputy_token, "first-report", 0) == 409


def test_a_wrong_code_is_a_clear_error(client: TestClient) -> None:
    page = client.post("/drills/join", data={"code": "NOPE00", "name": "誰か"})
    assert page.status_code == 404
    assert "<h1>" in page.text and "Traceback" not in page.text


def _csrf(c: TestClient) -> str:
    from tests.helpers import csrf_of

    return csrf_of(c)
