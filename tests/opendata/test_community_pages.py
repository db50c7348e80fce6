"""The reuse and contest pages over HTTP: anyone submits (honeypot, per-address limit),
the joint centre moderates; a contest edition from its call to three judges' scores, the
closing of the judging, winners and the follow-up support."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from rengo.core.clock import JST
from rengo.core.runtime import Runtime
from rengo.core.wards import JOINT
from rengo.opendata.models import Entry, Reuse
from tests.helpers import WARD_A, WARD_B

REUSE = {
    "title": "まちのAEDマップ",
    "type": "application",
    "author": "市民開発者",
    "url": "https://aed-map.example.jp",
    "datasets": "chiyoda-aed, chuo-aed",
    "description": "最寄りのAEDを地図で探せます",
}


def _count(env: Runtime, model: type[Reuse] | type[Entry]) -> int:
    with env.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_submit_moderate_and_the_reuse_appears(
    env: Runtime,
    client: TestClient,
    new_client: Callable[[], TestClient],
    login: Callable[..., str],
) -> None:
    form = client.get("/opendata/reuses/new")
    assert form.status_code == 200 and 'name="website"' in form.text
    bot = client.post("/opendata/reuses/new", data={**REUSE, "website": "http://spam"})
    assert bot.status_code == 303 and _count(env, Reuse) == 0  # the honeypot drops it
    bad = client.post("/opendata/reuses/new", data={**REUSE, "url": "javascript:alert(1)"})
    assert bad.status_code == 422 and "field url" in bad.text
    sent = client.post("/opendata/reuses/new", data=REUSE)
    assert sent.status_code == 303 and sent.headers["location"] == "/opendata/reuses?submitted=1"
    assert _count(env, Reuse) == 1
    assert "まちのAEDマップ" not in client.get("/opendata/reuses").text  # waits for moderation
    with env.db.session() as session:
        reuse_id = session.scalar(select(Reuse.id))
    assert client.get(f"/opendata/reuses/{reuse_id}").status_code == 404

    curator = new_client()
    csrf = login(curator, JOINT, "admin")
    queue = curator.get("/opendata/moderation")
    assert queue.status_code == 200 and "まちのAEDマップ" in queue.text
    officer = new_client()
    login(officer, WARD_A, "opendata")
    assert officer.get("/opendata/moderation").status_code == 403
    done = curator.post(
        f"/opendata/moderation/{reuse_id}", data={"decision": "publish", "csrf_token": csrf}
    )
    assert done.status_code == 303
    gallery = client.get("/opendata/reuses")
    assert f"/opendata/reuses/{reuse_id}" in gallery.text
    page = client.get(f"/opendata/reuses/{reuse_id}")
    assert page.status_code == 200
    assert "/opendata/dataset/chuo-aed" in page.text and "https://aed-map.example.jp" in page.text
    assert "application" not in page.text.split("<main", 1)[-1]  # the type is a label

    for _ in range(3):  # 5 an hour per address: 2 used above (the bot's is not counted)
        assert client.post("/opendata/reuses/new", data=REUSE).status_code == 303
    assert client.post("/opendata/reuses/new", data=REUSE).status_code == 429


def _judge(client: TestClient, contest: int, entry: int, csrf: str, impact: int, feas: int) -> None:
    answer = client.post(
        f"/opendata/contests/{contest}/judging/{entry}",
        data={"score-impact": str(impact), "score-feasibility": str(feas), "csrf_token": csrf},
    )
    assert answer.status_code == 303, answer.text


def test_contest_call_entries_three_judges_results_support(
    env: Runtime,
    client: TestClient,
    new_client: Callable[[], TestClient],
    login: Callable[..., str],
) -> None:
    today = env.clock.now().astimezone(JST).date()
    curator = new_client()
    csrf = login(curator, JOINT, "admin")
    created = curator.post(
        "/opendata/contests",
        data={
            "fiscal_year": "2026",
            "title": "23区オープンデータコンテスト",
            "call": "区のデータで暮らしを便利に",
            "opens_on": (today - timedelta(days=5)).isoformat(),
            "closes_on": (today + timedelta(days=5)).isoformat(),
            "criteria": "impact=2, feasibility=1",
            "csrf_token": csrf,
        },
    )
    assert created.status_code == 303, created.text
    contest = int(created.headers["location"].rsplit("/", 1)[1])
    call = client.get(f"/opendata/contests/{contest}")
    assert call.status_code == 200 and "区のデータで暮らしを便利に" in call.text
    for team, idea in (("A班", "AEDまでの最短経路"), ("B班", "避難所の空き状況")):
        sent = client.post(
            f"/opendata/contests/{contest}/entries",
            data={"team": team, "idea": idea, "datasets": "chiyoda-aed", "demo_url": ""},
        )
        assert sent.status_code == 303
    empty = client.post(f"/opendata/contests/{contest}/entries", data={"team": "", "idea": ""})
    assert empty.status_code == 422 and "field team" in empty.text
    with env.db.session() as session:
        entries = list(session.scalars(select(Entry.id).order_by(Entry.id)))
    assert len(entries) == 2

    judges = [new_client() for _ in range(3)]
    tokens = [
        login(j, ward, "judge") for j, ward in zip(judges, (JOINT, WARD_A, WARD_B), strict=True)
    ]
    marks = [((5, 4), (2, 5)), ((4, 4), (3, 5)), ((5, 5), (1, 1))]
    for judge, csrf_j, (first, second) in zip(judges, tokens, marks, strict=True):
        _judge(judge, contest, entries[0], csrf_j, *first)
        _judge(judge, contest, entries[1], csrf_j, *second)
    own = judges[2].get(f"/opendata/contests/{contest}/judging")
    assert own.status_code == 200
    selected = re.findall(r'<option value="(\d)" selected>', own.text)
    assert selected == ["5", "5", "1", "1"]  # only this judge's own scores
    assert client.get(f"/opendata/contests/{contest}/results").status_code == 409
    assert judges[0].get(f"/opendata/contests/{contest}/results").status_code == 409
    assert client.get(f"/opendata/contests/{contest}/judging").status_code in (303, 401)

    closed = curator.post(f"/opendata/contests/{contest}/close", data={"csrf_token": csrf})
    assert closed.status_code == 303
    late = judges[0].post(
        f"/opendata/contests/{contest}/judging/{entries[0]}",
        data={"score-impact": "1", "score-feasibility": "1", "csrf_token": tokens[0]},
    )
    assert late.status_code == 409
    winner = entries[0]
    curator.post(
        f"/opendata/entries/{winner}/award", data={"prize": "最優秀賞", "csrf_token": csrf}
    )
    curator.post(
        f"/opendata/entries/{winner}/support",
        data={"note": "区のデータ提供と実証", "on": today.isoformat(), "csrf_token": csrf},
    )
    results = client.get(f"/opendata/contests/{contest}/results")
    assert results.status_code == 200
    assert results.text.index("A班") < results.text.index("B班") and "最優秀賞" in results.text
    # A: impact (5+4+5)/3, feasibility (4+4+5)/3 → (2*4.67 + 4.33) / 3
    assert "4.56" in results.text
    entry = client.get(f"/opendata/entries/{winner}")
    assert "区のデータ提供と実証" in entry.text and 'action="/opendata/entries' not in entry.text
    launched = curator.post(
        f"/opendata/entries/{winner}/launch",
        data={"url": "https://aed.example.jp", "on": today.isoformat(), "csrf_token": csrf},
    )
    assert launched.status_code == 303
    assert "https://aed.example.jp" in client.get(launched.headers["location"]).text
