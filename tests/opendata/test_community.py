"""Reuses (moderated) and a contest edition end to end over HTTP — call, entries, several
judges' scores by criterion, ranking, winner, support, launch — and the apps KPI."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from rengo.core.clock import JST
from rengo.core.runtime import Runtime
from rengo.core.wards import JOINT
from rengo.opendata.targets import _new_services
from rengo.targets.registry import Period, TargetContext, period_start
from tests.helpers import WARD_A, bearer

API = "/api/v1/opendata"


def test_reuses_are_moderated_before_they_show(
    client: TestClient, tokens: Callable[..., str]
) -> None:
    sent = client.post(
        f"{API}/reuses",
        json={
            "title": "保育園マップ",
            "type": "application",
            "author": "Code for Chiyoda",
            "url": "https://example.jp/hoiku",
            "datasets": ["chiyoda-childcare"],
        },
    )
    assert sent.status_code == 201 and sent.json()["status"] == "pending"
    assert client.get(f"{API}/reuses").json() == []
    reuse_id = sent.json()["id"]
    ward = client.post(
        f"{API}/reuses/{reuse_id}/moderation",
        json={"publish": True},
        headers=bearer(tokens(WARD_A, "opendata")),
    )
    assert ward.status_code == 403
    joint = client.post(
        f"{API}/reuses/{reuse_id}/moderation",
        json={"publish": True},
        headers=bearer(tokens(JOINT, "admin")),
    )
    assert joint.status_code == 200
    assert [r["title"] for r in client.get(f"{API}/reuses").json()] == ["保育園マップ"]
    bad = client.post(f"{API}/reuses", json={"title": "x", "type": "poem", "author": "a"})
    assert bad.status_code == 422


def test_a_contest_edition_end_to_end_feeds_the_apps_kpi(
    env: Runtime, client: TestClient, tokens: Callable[..., str]
) -> None:
    admin = bearer(tokens(JOINT, "admin"))
    today = env.clock.now().astimezone(JST).date()
    contest = client.post(
        f"{API}/contests",
        json={
            "fiscal_year": 2026,
            "title": "23区オープンデータコンテスト",
            "call": "募集",
            "opens_on": (today - timedelta(days=10)).isoformat(),
            "closes_on": (today + timedelta(days=10)).isoformat(),
            "criteria": {"impact": 2, "feasibility": 1},
        },
        headers=admin,
    )
    assert contest.status_code == 201, contest.text
    contest_id = contest.json()["id"]
    entries = [
        client.post(
            f"{API}/contests/{contest_id}/entries",
            json={"team": team, "idea": idea, "datasets": ["chiyoda-aed"]},
        ).json()["id"]
        for team, idea in (("A班", "AEDまでの最短経路"), ("B班", "避難所の空き状況"))
    ]
    judge_1, judge_2 = bearer(tokens(JOINT, "judge")), bearer(tokens(WARD_A, "judge"))
    scores = {
        (entries[0], 1): {"impact": 5, "feasibility": 4},
        (entries[0], 2): {"impact": 4, "feasibility": 4},
        (entries[1], 1): {"impact": 2, "feasibility": 5},
        (entries[1], 2): {"impact": 3, "feasibility": 5},
    }
    for (entry, judge), values in scores.items():
        response = client.put(
            f"{API}/entries/{entry}/scores",
            json=values,
            headers=judge_1 if judge == 1 else judge_2,
        )
        assert response.status_code == 200, response.text
    missing = client.put(f"{API}/entries/{entries[0]}/scores", json={"impact": 9}, headers=judge_1)
    assert missing.status_code == 422
    not_judge = client.put(
        f"{API}/entries/{entries[0]}/scores",
        json=scores[(entries[0], 1)],
        headers=bearer(tokens(WARD_A, "opendata")),
    )
    assert not_judge.status_code == 403
    assert client.get(f"{API}/contests/{contest_id}/ranking").status_code == 409  # still open
    closed = client.post(f"{API}/contests/{contest_id}/close", headers=admin)
    assert closed.status_code == 200 and closed.json()["judging_closed_at"]
    late = client.put(f"{API}/entries/{entries[0]}/scores", json=values, headers=judge_1)
    assert late.status_code == 409
    ranked = client.get(f"{API}/contests/{contest_id}/ranking").json()
    assert [r["team"] for r in ranked] == ["A班", "B班"]
    assert ranked[0]["score"] == round((2 * 4.5 + 4) / 3, 2) and ranked[0]["judges"] == 2
    winner = entries[0]
    assert (
        client.post(
            f"{API}/entries/{winner}/award", json={"prize": "最優秀賞"}, headers=admin
        ).status_code
        == 200
    )
    supported = client.post(
        f"{API}/entries/{winner}/support",
        json={"note": "区のデータ提供と実証", "on": today.isoformat()},
        headers=admin,
    )
    assert supported.json()["support"][0]["note"] == "区のデータ提供と実証"
    launched = client.post(
        f"{API}/entries/{winner}/launch",
        json={"url": "https://aed.example.jp", "on": today.isoformat()},
        headers=admin,
    )
    assert launched.status_code == 200 and launched.json()["evidence"] == "contest"
    with env.db.session() as session:
        now = env.clock.now()
        ctx = TargetContext(
            session, env.settings, env.data_dir, now, period_start(Period.FISCAL_YEAR, now)
        )
        measured = _new_services(ctx)
    assert measured[JOINT].value == 1 and measured[JOINT].detail == {"contest": 1}
