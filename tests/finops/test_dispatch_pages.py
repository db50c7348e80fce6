"""BPR support team dispatch in the web: a ward asks through the BPR page and follows its
request on the request's page; the joint centre assigns experts, records a visit and
closes with the outcome against the ward's BPR register through the forms there; another
ward does not find the page; bad input is a clear error. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from rengo.core.runtime import Runtime
from rengo.finops.models import BprDispatch, BprVisit
from tests.finops.test_bpr_dispatch import _case
from tests.helpers import JOINT, WARD_A, WARD_B


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_ward_asks_and_the_centre_answers_through_the_pages(
    env: Runtime,
    client: TestClient,
    login: Callable[..., str],
    new_client: Callable[[], TestClient],
) -> None:
    case_id = _case(env, WARD_A)
    ward_csrf = login(client, WARD_A, "ward_it")
    asked = client.post(
        "/finops/bpr/dispatches",
        data={
            "csrf_token": ward_csrf,
            "topic": "窓口の待ち時間を減らしたい",
            "business_system": "jumin_kihon_daicho",
            "detail": "転入の繁忙期",
        },
    )
    assert asked.status_code == 303
    listing = client.get("/finops/bpr").text
    found = re.search(r'href="/finops/bpr/dispatches/(\d+)">窓口の待ち時間を減らしたい', listing)
    assert found, listing[-2000:]
    page = f"/finops/bpr/dispatches/{found.group(1)}"
    mine = client.get(page)
    assert mine.status_code == 200 and "転入の繁忙期" in mine.text and "依頼受付" in mine.text
    # The ward follows its request but does not run the team: no form, and a post is refused.
    assert 'action="' + page + '/assign"' not in mine.text
    refused = client.post(f"{page}/assign", data={"csrf_token": ward_csrf, "experts": "x"})
    assert refused.status_code == 403
    other = new_client()
    other_csrf = login(other, WARD_B, "admin")
    assert other.get(page).status_code == 404
    assert "窓口の待ち時間を減らしたい" not in other.get("/finops/bpr").text
    closing = other.post(f"{page}/close", data={"csrf_token": other_csrf, "outcome": "x"})
    assert closing.status_code == 404

    centre = new_client()
    csrf = login(centre, JOINT, "policy")
    shown = centre.get(page).text
    assert 'action="' + page + '/assign"' in shown and "記録する" not in shown.split("<h2")[0]
    assigned = centre.post(
        f"{page}/assign",
        data={"csrf_token": csrf, "experts": "業務改革アドバイザー 佐藤\n\nRPA 専門家 鈴木\n"},
    )
    assert assigned.status_code == 303 and assigned.headers["location"] == f"{page}?done=saved"
    form = {
        "csrf_token": csrf,
        "visited_on": "2026-11-10",
        "expert": "RPA 専門家 鈴木",
        "hours": "3.5",
        "notes": "窓口の動線を確認",
    }
    # Bad input names the field and is never a 500.
    bad = centre.post(f"{page}/visits", data={**form, "hours": "many"})
    assert bad.status_code == 422 and "hours" in bad.text
    stranger = centre.post(f"{page}/visits", data={**form, "expert": "誰か"})
    assert stranger.status_code == 422 and "expert" in stranger.text
    assert centre.post(f"{page}/visits", data=form).status_code == 303
    closed = centre.post(
        f"{page}/close",
        data={"csrf_token": csrf, "outcome": "書かない窓口を導入", "bpr_case_id": str(case_id)},
    )
    assert closed.status_code == 303
    with env.db.session() as session:
        dispatch = session.scalars(select(BprDispatch)).one()
        visit = session.scalars(select(BprVisit)).one()
    assert dispatch.experts == ["業務改革アドバイザー 佐藤", "RPA 専門家 鈴木"]
    assert (dispatch.status, dispatch.bpr_case_id) == ("closed", case_id)
    assert (visit.expert, visit.hours) == ("RPA 専門家 鈴木", 3.5)
    assert visit.visited_on == date(2026, 11, 10)
    # The ward sees the outcome, the visit and the register's hours before and after.
    final = client.get(page).text
    for text in ("書かない窓口を導入", "RPA 専門家 鈴木", "窓口の動線を確認", "1,200.0", "700.0"):
        assert text in final, text
    again = centre.post(f"{page}/assign", data={"csrf_token": csrf, "experts": "x"})
    assert again.status_code == 409
