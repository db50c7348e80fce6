"""Training reminders through the platform's notifications: staff of the roster who have not
completed the required course are e-mailed (the delivery log, a real local SMTP server), on
demand by HR and by the worker's hook, never twice within the interval, and every reminder
is recorded — over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from email.header import decode_header, make_header
from typing import Any

import pytest
from sqlalchemy import select

from rengo.core.clock import FakeClock
from rengo.core.runtime import Runtime
from rengo.csirt.settings import CsirtSettings
from rengo.ebpm.settings import EbpmSettings
from rengo.notify.models import Delivery
from tests.helpers import WARD_A, WARD_B
from tests.notify.fixtures import with_fake_clock

Api = Callable[..., Any]
ROSTER_A = """職員番号,区,所属,氏名,メール
A001,131016,総務部,山田 花子,a001@chiyoda.example.test
A002,131016,総務部,佐藤 太郎,a002@chiyoda.example.test
A003,131016,子ども家庭部,鈴木 一郎,
"""
ROSTER_B = "職員番号,区,所属,氏名,メール\nB001,131024,区民部,高橋 次郎,b001@chuo.example.test\n"
DONE = "職員番号,区,所属,研修コード,修了日\nA001,131016,総務部,DL-BASIC,2026-05-10\n"


@pytest.fixture
def env(env: Runtime) -> Runtime:
    return with_fake_clock(env)


def _upload(api: Api, url: str, ward: str, name: str, text: str, role: str = "hr") -> Any:
    response = api("POST", url, ward=ward, role=role, files={"file": (name, text.encode())})
    assert response.status_code == 200, response.text
    return response.json()


def _staff(api: Api) -> None:
    roster = "/api/v1/ebpm/trainings/roster/import"
    assert _upload(api, roster, WARD_A, "roster.csv", ROSTER_A) == {"created": 3, "updated": 0}
    assert _upload(api, roster, WARD_B, "roster.csv", ROSTER_B) == {"created": 1, "updated": 0}
    _upload(api, "/api/v1/ebpm/trainings/import", WARD_A, "done.csv", DONE)


def _reminded(env: Runtime) -> list[str]:
    with env.db.session() as session:
        return [
            d.recipient
            for d in session.scalars(
                select(Delivery)
                .where(Delivery.topic == "ebpm.training.reminder")
                .order_by(Delivery.id)
            )
        ]


def test_hr_reminds_its_wards_staff_once_per_interval_by_email(
    api: Api,
    env: Runtime,
    clock: FakeClock,
    smtp_server: Any,
    worker_round: Callable[[], dict[str, Any]],
) -> None:
    env.settings.section(CsirtSettings).smtp_port = smtp_server.port
    env.settings.section(EbpmSettings).reminders_scheduled = False
    _staff(api)
    sent = api("POST", "/api/v1/ebpm/trainings/reminders", ward=WARD_A, role="hr", json={})
    assert sent.status_code == 200, sent.text
    # A001 completed; A003 has no address; ward B is not ward A's HR's to remind
    assert sent.json() == {"sent": 1, "recently_reminded": 0, "without_email": 1}
    assert _reminded(env) == ["a002@chiyoda.example.test"]
    assert worker_round()["sent"] == 1
    [message] = smtp_server.received
    assert message["To"] == "a002@chiyoda.example.test"
    subject = str(make_header(decode_header(message["Subject"])))
    assert "必修研修" in subject and "データ活用基礎" in subject
    body = message.get_payload(decode=True).decode(message.get_content_charset())
    assert "佐藤 太郎 様" in body and "/ebpm/training" in body and "DL-BASIC" in body

    again = api("POST", "/api/v1/ebpm/trainings/reminders", ward=WARD_A, role="hr", json={})
    assert again.json() == {"sent": 0, "recently_reminded": 1, "without_email": 1}
    listed = api("GET", "/api/v1/ebpm/trainings/reminders", ward=WARD_A, role="hr").json()
    assert [(r["staff_id"], r["trigger"], r["ward"]) for r in listed] == [
        ("A002", "manual", WARD_A)
    ]
    assert listed[0]["actor"].startswith("hr@131016") and listed[0]["sent_at"].startswith(
        "2026-06-01"
    )
    clock.advance(days=15)  # past the 14-day interval
    later = api("POST", "/api/v1/ebpm/trainings/reminders", ward=WARD_A, role="hr", json={})
    assert later.json()["sent"] == 1
    # ward B's staff and reminders are not ward A's to see
    assert api("GET", "/api/v1/ebpm/trainings/reminders", ward=WARD_B, role="hr").json() == []
    other = api(
        "POST", "/api/v1/ebpm/trainings/reminders", ward=WARD_A, role="hr", json={"ward": WARD_B}
    )
    assert other.status_code == 403
    assert (
        api(
            "POST", "/api/v1/ebpm/trainings/reminders", ward=WARD_A, role="policy", json={}
        ).status_code
        == 403
    )


def test_the_worker_reminds_on_schedule_without_duplicates(
    api: Api,
    env: Runtime,
    clock: FakeClock,
    worker_round: Callable[[], dict[str, Any]],
) -> None:
    _staff(api)
    first = worker_round()
    assert first["hooked"] == 2  # A002 and B001
    assert sorted(_reminded(env)) == ["a002@chiyoda.example.test", "b001@chuo.example.test"]
    clock.advance(days=3)
    assert worker_round()["hooked"] == 0  # within the interval: nobody twice
    _upload(
        api,
        "/api/v1/ebpm/trainings/import",
        WARD_B,
        "done.csv",
        "職員番号,区,所属,研修コード,修了日\nB001,131024,区民部,DL-BASIC,2026-06-03\n",
    )
    clock.advance(days=12)
    assert worker_round()["hooked"] == 1  # A002 again; B001 has completed since
    listed = api("GET", "/api/v1/ebpm/trainings/reminders", ward="joint", role="admin").json()
    assert [(r["staff_id"], r["trigger"]) for r in listed] == [
        ("A002", "scheduled"),
        ("B001", "scheduled"),
        ("A002", "scheduled"),
    ]
    env.settings.section(EbpmSettings).reminders_scheduled = False
    clock.advance(days=30)
    assert worker_round()["hooked"] == 0


def test_a_bad_roster_is_refused_whole_with_rows_and_columns(api: Api) -> None:
    bad = ROSTER_A.replace("a002@chiyoda.example.test", "not-an-address").replace(
        "131016,子ども家庭部", "131024,子ども家庭部"
    )
    response = api(
        "POST",
        "/api/v1/ebpm/trainings/roster/import",
        ward=WARD_A,
        role="hr",
        files={"file": ("roster.csv", bad.encode("cp932"))},
    )
    assert response.status_code == 422, response.text
    places = {p["location"] for p in response.json()["problems"]}
    assert places == {"roster.csv:3 column 5 (email)", "roster.csv:4 column 2 (ward)"}
    assert api("GET", "/api/v1/ebpm/trainings/reminders", ward=WARD_A, role="hr").json() == []
