"""The zone over HTTP, as its users work: a data owner deposits two registers, the privacy
officer approves them and a purpose, an analyst links them and requests a release, the
officer approves its report, policy staff download it — and nothing identifying leaves."""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rengo.core import audit
from rengo.core.runtime import Runtime
from rengo.ebpm.zone import population, registers
from tests.helpers import WARD_A, WARD_B, bearer

COLUMNS = {
    "記録番号": {"kind": "link"},
    "氏名": {"kind": "direct"},
    "氏名カナ": {"kind": "direct"},
    "電話番号": {"kind": "direct"},
    "個人番号": {"kind": "code"},
    "住所": {"kind": "quasi", "hierarchy": "address"},
    "生年月日": {"kind": "quasi", "hierarchy": "date"},
    "性別": {"kind": "quasi"},
}
CARE_LEVELS = ("要支援1", "要支援2", "要介護1", "要介護2", "要介護3", "要介護4", "要介護5")
DIAGNOSES = ("高血圧", "糖尿病", "骨折", "認知症", "心不全", "肺炎")


def _extract(people: list[population.Resident], seed: int, extra: str) -> tuple[bytes, list[str]]:
    rng = random.Random(seed)
    values = CARE_LEVELS if extra == "要介護度" else DIAGNOSES
    out = io.StringIO()
    writer = csv.writer(out)
    header = [*COLUMNS, extra]
    writer.writerow(header)
    by_id = {p.person_id: p for p in people}
    ids = []
    for n, (person_id, record) in enumerate(registers.register(people, 1_200, seed=seed)):
        ids.append(person_id)
        person = by_id[person_id]
        writer.writerow(
            [
                f"R{seed}-{n:05d}",
                record["氏名"],
                record["氏名カナ"],
                record["電話番号"],
                person.individual_number,
                record["住所"],
                record["生年月日"],
                record["性別"],
                rng.choice(values),
            ]
        )
    # Departments' systems export Shift_JIS: the zone reads it as it comes.
    return out.getvalue().encode("cp932"), ids


def _deposit(client: TestClient, token: str, data: bytes, extra: str, title: str) -> Any:
    columns = {**COLUMNS, extra: {"kind": "sensitive"}}
    return client.post(
        "/api/v1/ebpm/deposits",
        headers=bearer(token),
        files={"file": (f"{title}.csv", data, "text/csv")},
        data={
            "ward": WARD_A,
            "department": "福祉部",
            "domain": "welfare",
            "title": title,
            "legal_basis": (
                "個人情報保護法 第69条第2項第2号(所掌事務の遂行に必要な限度での内部利用)"
            ),
            "purpose": "介護と医療の利用実態の分析",
            "retention_until": "2027-03-31",
            "columns": json.dumps(columns, ensure_ascii=False),
            "key_column": "記録番号",
        },
    )


@pytest.fixture
def people() -> list[population.Resident]:
    residents = population.residents(8_000, seed=11)
    return [p for p in residents if p.birth_date.year < 1961]


def test_deposit_link_release_download_and_nothing_identifying_leaves(
    client: TestClient,
    tokens: Callable[..., str],
    env: Runtime,
    people: list[population.Resident],
) -> None:
    owner = tokens(WARD_A, "data_owner")
    officer = tokens(WARD_A, "privacy_officer")
    analyst = tokens(WARD_A, "zone_analyst")
    policy = tokens(WARD_A, "policy")
    outsider = tokens(WARD_B, "zone_analyst")
    responses: list[str] = []

    def call(method: str, url: str, token: str, **kwargs: Any) -> Any:
        response = client.request(method, url, headers=bearer(token), **kwargs)
        responses.append(response.text)
        return response

    care_csv, _ = _extract(people, 2, "要介護度")
    medical_csv, _ = _extract(people, 3, "主病名")
    care = _deposit(client, owner, care_csv, "要介護度", "介護認定")
    medical = _deposit(client, owner, medical_csv, "主病名", "医療受診")
    assert care.status_code == 201, care.text
    assert medical.status_code == 201, medical.text
    care_id, medical_id = care.json()["id"], medical.json()["id"]
    assert care.json()["rows"] == 1_200 and care.json()["status"] == "pending"

    # Nobody uses a deposit before the privacy officer approves it.
    purpose_body = {
        "ward": WARD_A,
        "title": "介護度と受診の関係",
        "legal_basis": "個人情報保護法 第69条第2項第2号",
        "columns": {
            str(care_id): ["生年月日", "性別", "住所", "要介護度"],
            str(medical_id): ["主病名"],
        },
    }
    assert call("POST", "/api/v1/ebpm/purposes", analyst, json=purpose_body).status_code == 422
    for deposit_id in (care_id, medical_id):
        decided = call(
            "POST", f"/api/v1/ebpm/deposits/{deposit_id}/decision", officer, json={"approve": True}
        )
        assert decided.status_code == 200 and decided.json()["status"] == "approved"
    # Names are never asked for: the zone gives a person key instead.
    named = {**purpose_body, "columns": {str(care_id): ["氏名", "要介護度"]}}
    refused = call("POST", "/api/v1/ebpm/purposes", analyst, json=named)
    assert refused.status_code == 422 and "氏名" in refused.text
    purpose = call("POST", "/api/v1/ebpm/purposes", analyst, json=purpose_body)
    assert purpose.status_code == 201, purpose.text
    purpose_id = purpose.json()["id"]
    link_body = {
        "purpose_id": purpose_id,
        "left_deposit_id": care_id,
        "right_deposit_id": medical_id,
    }
    assert call("POST", "/api/v1/ebpm/linkages", analyst, json=link_body).status_code == 409
    approved = call(
        "POST", f"/api/v1/ebpm/purposes/{purpose_id}/decision", officer, json={"approve": True}
    )
    assert approved.json()["status"] == "approved"

    linked = call("POST", "/api/v1/ebpm/linkages", analyst, json=link_body)
    assert linked.status_code == 201, linked.text
    linkage_id = linked.json()["id"]
    assert linked.json()["links"] > 100
    page = call("GET", f"/api/v1/ebpm/linkages/{linkage_id}/records?limit=1000", analyst)
    records = page.json()["records"]
    assert set(records[0]) == {"person_key", "生年月日", "性別", "住所", "要介護度", "主病名"}
    assert len({r["person_key"] for r in records}) == len(records)

    # Another ward's analyst sees none of it.
    assert call("GET", f"/api/v1/ebpm/deposits/{care_id}", outsider).status_code == 404
    assert call("GET", f"/api/v1/ebpm/linkages/{linkage_id}/records", outsider).status_code == 404
    assert call("GET", "/api/v1/ebpm/deposits", outsider).json() == []

    release = call(
        "POST",
        "/api/v1/ebpm/releases",
        analyst,
        json={"linkage_id": linkage_id, "title": "介護×医療"},
    )
    assert release.status_code == 201, release.text
    release_id = release.json()["id"]
    report = release.json()["report"]
    assert [s["standard"] for s in report["steps"]] == [1, 2, 3, 4, 5]
    assert report["steps"][2]["columns"] == ["person_key"]
    assert report["k_achieved"] >= 5
    # Policy staff get nothing until the officer approves the report; the analyst cannot.
    assert call("GET", f"/api/v1/ebpm/releases/{release_id}/data.csv", policy).status_code == 404
    self_approval = call(
        "POST", f"/api/v1/ebpm/releases/{release_id}/decision", analyst, json={"approve": True}
    )
    assert self_approval.status_code in (403, 404)
    decided = call(
        "POST",
        f"/api/v1/ebpm/releases/{release_id}/decision",
        officer,
        json={"approve": True, "note": "k=5, l=2 を確認"},
    )
    assert decided.json()["status"] == "approved"
    download = call("GET", f"/api/v1/ebpm/releases/{release_id}/data.csv", policy)
    assert download.status_code == 200
    released = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert len(released) == release.json()["rows"] > 0
    assert "person_key" not in released[0]

    # A table of counts: ward × care level, small cells hidden and listed in the report.
    table_body = {
        "linkage_id": linkage_id,
        "title": "区×要介護度",
        "table": {"dimensions": [{"column": "住所", "level": 2}, {"column": "要介護度"}]},
    }
    counted = call("POST", "/api/v1/ebpm/releases", analyst, json=table_body)
    assert counted.status_code == 201, counted.text
    section = counted.json()["report"]["table"]
    assert section["small_cell"] == 10 and section["differential_privacy"] is None
    assert counted.json()["rows"] == section["cells"]
    too_private = {**table_body, "table": {**table_body["table"], "epsilon": 5}}
    refused_epsilon = call("POST", "/api/v1/ebpm/releases", analyst, json=too_private)
    assert refused_epsilon.status_code == 422 and "epsilon" in refused_epsilon.text
    by_key = {**table_body, "table": {"dimensions": [{"column": "person_key"}]}}
    assert call("POST", "/api/v1/ebpm/releases", analyst, json=by_key).status_code == 422
    private = {**table_body, "table": {**table_body["table"], "epsilon": 0.5}}
    noisy = call("POST", "/api/v1/ebpm/releases", analyst, json=private)
    assert noisy.status_code == 201, noisy.text
    assert noisy.json()["report"]["table"]["differential_privacy"]["scale"] == 2.0
    page_html = client.get(
        f"/ebpm/zone/releases/{noisy.json()['id']}", headers=bearer(officer)
    ).text
    assert "差分プライバシー" in page_html and "ε" in page_html
    call(
        "POST",
        f"/api/v1/ebpm/releases/{counted.json()['id']}/decision",
        officer,
        json={"approve": True},
    )
    table_csv = call("GET", f"/api/v1/ebpm/releases/{counted.json()['id']}/data.csv", policy)
    cells = list(csv.DictReader(io.StringIO(table_csv.content.decode("utf-8-sig"))))
    assert set(cells[0]) == {"住所", "要介護度", "件数"}
    shown = [int(c["件数"]) for c in cells if c["件数"]]
    assert shown and all(n == 0 or n >= 10 for n in shown)
    assert len(shown) < len(cells) == section["cells"]

    # Nothing that left the zone names anyone.
    leaked = "\n".join(responses)
    for person in people:
        for identifier in (
            f"{person.family_name} {person.given_name}",
            f"{person.family_name}{person.given_name}",
            person.address,
            person.phone,
            person.individual_number,
        ):
            assert identifier not in leaked, identifier

    with env.db.session() as session:
        actions = {e.action for e in audit.query(session, tenants=None, limit=500)}
    assert {
        "ebpm.zone.deposit",
        "ebpm.zone.deposit.approved",
        "ebpm.zone.purpose.approve",
        "ebpm.zone.link",
        "ebpm.zone.records.read",
        "ebpm.zone.release.request",
        "ebpm.zone.release.approved",
        "ebpm.zone.release.download",
    } <= actions


def test_a_bad_extract_is_refused_whole_with_rows_and_columns(
    client: TestClient, tokens: Callable[..., str], env: Runtime
) -> None:
    owner = tokens(WARD_A, "data_owner")
    header = ",".join([*COLUMNS, "要介護度"])
    rows = [
        "R1,山田 花子,ヤマダ "
        "ハナコ,03-1234-5678,123456789018,世田谷区太子堂1-2-3,昭和45年3月2日,女,要介護1",
        "R1,山田 太郎,ヤマダ "
        "タロウ,03-1234-5678,123456789018,世田谷区太子堂1-2-3,昭和45年2月30日,男,要介護2",
        "R3,佐藤 一郎,サトウ イチロウ,,,世田谷区太子堂1-2-4,1950-01-01,男",
    ]
    data = "\n".join([header, *rows]).encode("cp932")
    response = _deposit(client, owner, data, "要介護度", "壊れた抽出")
    assert response.status_code == 422
    problems = {p["location"]: p["message"] for p in response.json()["problems"]}
    assert "already on line 2" in problems["壊れた抽出.csv:3 記録番号"]
    assert "昭和45年2月30日" in problems["壊れた抽出.csv:3 生年月日"]
    assert "cells" in problems["壊れた抽出.csv:4"]
    assert client.get("/api/v1/ebpm/deposits", headers=bearer(owner)).json() == []
    assert not any((env.data_dir.root / "files").rglob("*.sealed"))
