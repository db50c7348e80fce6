"""The alert queue's chart of alert volumes per day and level (issue 17): its bars are the
table beside it, and a ward sees only its own alerts in both."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from rengo.core.clock import to_jst
from rengo.core.runtime import Runtime
from rengo.soc.alerts_models import Alert
from tests.helpers import WARD_A, WARD_B
from tests.soc.factories import alert


def test_alert_volume_chart_matches_its_table(
    client: TestClient, new_client: Any, env: Runtime, login: Any
) -> None:
    for ward in (WARD_A, WARD_A, WARD_B):
        alert(env, ward)
    with env.db.session() as session:
        # The sample detections are of a fixed past day: make them this morning's.
        session.execute(update(Alert).values(first_seen=env.clock.now()))
        rows = session.execute(select(Alert.tenant, Alert.level)).all()
    login(client, "joint", "soc_analyst")
    page = client.get("/soc/alerts").text
    day = to_jst(env.clock.now()).strftime("%m/%d")
    for level, n in Counter(level for _t, level in rows).items():
        titles = re.findall(rf"<title>([^<]*) · {day} · {n}</title>", page)
        assert titles, (level, n)
    today = re.search(rf'<tr><th scope="row">{day}</th>(.*?)</tr>', page, re.S)
    assert today
    cells = [int(c) for c in re.findall(r'<td class="num">(\d+)</td>', today.group(1))]
    assert sum(cells) == len(rows)
    ward = new_client()
    login(ward, WARD_A, "ward_it")
    own = ward.get("/soc/alerts").text
    own_today = re.search(rf'<tr><th scope="row">{day}</th>(.*?)</tr>', own, re.S)
    assert own_today
    own_cells = [int(c) for c in re.findall(r'<td class="num">(\d+)</td>', own_today.group(1))]
    assert sum(own_cells) == sum(1 for t, _l in rows if t == WARD_A) == 2
