"""Survey and HR training imports: good files land, bad rows are named by row and column and
nothing of the file is stored; cp932, UTF-8 and Excel are read."""

from __future__ import annotations

import io
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook

from tests.ebpm.helpers import create_policy
from tests.helpers import WARD_A, WARD_B, bearer

SURVEY = """年度,区,設問,回答,割合,回答者数,肯定的
2024,131016,子育て環境の満足度,満足,30,800,はい
2024,131016,子育て環境の満足度,やや満足,25,800,はい
2024,131016,子育て環境の満足度,不満,45,800,いいえ
2025,131016,子育て環境の満足度,満足,35,900,はい
2025,131016,子育て環境の満足度,やや満足,27,900,はい
2025,131016,子育て環境の満足度,不満,38,900,いいえ
"""

TRAINING = """職員番号,区,所属,研修コード,修了日
A001,千代田区,総務部,DL-BASIC,2026/05/10
A002,131016,総務部,DL-BASIC,2026-06-01
A003,131016,子ども家庭部,DL-BASIC,2026-06-02
A003,131016,子ども家庭部,DL-STAT,2026-07-02
"""
STAFF = "区,所属,職員数,基準日\n131016,総務部,4,2026-04-01\n131016,子ども家庭部,2,2026-04-01\n"


def _upload(client: TestClient, url: str, token: str, name: str, data: bytes) -> Any:
    return client.post(url, files={"file": (name, data)}, headers=bearer(token))


def test_survey_import_feeds_the_indicator_with_its_margin(client: TestClient, tokens: Any) -> None:
    policy = create_policy(client, tokens(WARD_A, "policy"))
    response = _upload(
        client, "/api/v1/ebpm/surveys/import", tokens(WARD_A, "policy"), "s.csv", SURVEY.encode()
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"questions": 2, "rows": 6, "indicators_updated": 1}
    surveys = client.get("/api/v1/ebpm/surveys", headers=bearer(tokens(WARD_A, "policy"))).json()
    latest = next(s for s in surveys if s["year"] == 2025)
    assert latest["positive_pct"] == 62.0
    # 1.96 · sqrt(.62 · .38 / 900) = 3.17 points
    assert latest["margin_pct"] == 3.17
    indicator = next(i for i in policy["indicators"] if i["source"] == "survey")
    read = client.get(
        f"/api/v1/ebpm/indicators/{indicator['id']}", headers=bearer(tokens(WARD_A, "policy"))
    ).json()
    assert [(a["period_end"], a["value"], a["margin"]) for a in read["actuals"]] == [
        ("2025-03-31", 55.0, 3.45),
        ("2026-03-31", 62.0, 3.17),
    ]


def test_survey_bad_rows_are_named_and_nothing_is_stored(client: TestClient, tokens: Any) -> None:
    bad = SURVEY.replace(
        "2025,131016,子育て環境の満足度,満足,35", "2025,131016,子育て環境の満足度,満足,abc"
    )
    bad = bad.replace(
        "2024,131016,子育て環境の満足度,不満,45", "2024,131024,子育て環境の満足度,不満,45"
    )
    response = _upload(
        client, "/api/v1/ebpm/surveys/import", tokens(WARD_A, "policy"), "s.csv", bad.encode()
    )
    assert response.status_code == 422
    locations = [p["location"] for p in response.json()["problems"]]
    assert "s.csv:5 column 5 (share)" in locations
    assert "s.csv:4 column 2 (ward)" in locations  # another ward's row
    assert any(loc.startswith("s.csv:2-3") for loc in locations)  # shares add up to 55
    assert client.get("/api/v1/ebpm/surveys", headers=bearer(tokens(WARD_A, "policy"))).json() == []


def test_survey_from_excel(client: TestClient, tokens: Any) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in SURVEY.strip().splitlines():
        cells: list[Any] = line.split(",")
        sheet.append([int(c) if c.isdigit() else c for c in cells])
    buffer = io.BytesIO()
    book.save(buffer)
    response = _upload(
        client, "/api/v1/ebpm/surveys/import", tokens(WARD_A, "policy"), "s.xlsx", buffer.getvalue()
    )
    assert response.status_code == 200, response.text
    assert response.json()["questions"] == 2


def test_training_import_in_cp932_and_completion_rates(client: TestClient, tokens: Any) -> None:
    hr = tokens(WARD_A, "hr")
    staff = _upload(
        client, "/api/v1/ebpm/trainings/staff/import", hr, "staff.csv", STAFF.encode("cp932")
    )
    assert staff.status_code == 200, staff.text
    done = _upload(client, "/api/v1/ebpm/trainings/import", hr, "hr.csv", TRAINING.encode("cp932"))
    assert done.status_code == 200, done.text
    assert done.json() == {"created": 4, "updated": 0}
    again = _upload(client, "/api/v1/ebpm/trainings/import", hr, "hr.csv", TRAINING.encode())
    assert again.json() == {"created": 0, "updated": 4}
    rates = client.get("/api/v1/ebpm/trainings/rates", headers=bearer(hr)).json()
    assert {(r["department"], r["staff"], r["completed"], r["pct"]) for r in rates} == {
        ("総務部", 4, 2, 50.0),
        ("子ども家庭部", 2, 1, 50.0),
    }
    # Policy staff may read rates but not record training.
    policy = tokens(WARD_A, "policy")
    assert (
        _upload(
            client, "/api/v1/ebpm/trainings/import", policy, "hr.csv", TRAINING.encode()
        ).status_code
        == 403
    )


def test_training_bad_rows_are_named_and_nothing_is_stored(client: TestClient, tokens: Any) -> None:
    hr = tokens(WARD_A, "hr")
    bad = TRAINING + "A004,131016,総務部,NOPE,2026-13-01\n,新宿区,総務部,DL-BASIC,2026-01-01\n"
    response = _upload(client, "/api/v1/ebpm/trainings/import", hr, "hr.csv", bad.encode("cp932"))
    assert response.status_code == 422
    locations = {p["location"] for p in response.json()["problems"]}
    assert {
        "hr.csv:6 column 4 (course)",
        "hr.csv:6 column 5 (completed_on)",
        "hr.csv:7 column 1 (staff_id)",
        "hr.csv:7 column 2 (ward)",
    } <= locations
    _upload(client, "/api/v1/ebpm/trainings/staff/import", hr, "staff.csv", STAFF.encode())
    rates = client.get("/api/v1/ebpm/trainings/rates", headers=bearer(hr)).json()
    assert all(r["completed"] == 0 for r in rates)
    header = _upload(client, "/api/v1/ebpm/trainings/import", hr, "x.csv", "名前,区\n".encode())
    assert header.status_code == 422
    assert {p["location"] for p in header.json()["problems"]} >= {"x.csv:1 column 1", "x.csv:1"}


def test_one_ward_cannot_read_or_write_anothers_training(client: TestClient, tokens: Any) -> None:
    hr_b = tokens(WARD_B, "hr")
    assert (
        client.get(
            "/api/v1/ebpm/trainings/rates", params={"ward": WARD_A}, headers=bearer(hr_b)
        ).status_code
        == 403
    )
    response = client.post(
        "/api/v1/ebpm/trainings/completions",
        json={"ward": WARD_A, "staff_id": "X", "course": "DL-BASIC", "completed_on": "2026-05-01"},
        headers=bearer(hr_b),
    )
    assert response.status_code == 403
