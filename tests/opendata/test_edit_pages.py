"""Editing a published dataset from the web: metadata, a resource's name, a new version of
its file (validated, all or nothing, problems by row and column in Japanese), withdrawal; the
history on the dataset page; only the ward's own officer or the joint centre (both DBs)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from rengo.core.runtime import Runtime
from rengo.core.wards import JOINT
from tests.helpers import WARD_A, WARD_B
from tests.opendata.samples import csv_bytes, rows
from tests.opendata.test_pages import _publish


@pytest.fixture
def officer_of(
    new_client: Callable[[], TestClient], login: Callable[..., str]
) -> Callable[..., tuple[TestClient, str]]:
    """``officer_of(ward)`` -> a client logged in as that ward's open-data officer, its CSRF."""

    def make(ward: str) -> tuple[TestClient, str]:
        client = new_client()
        return client, login(client, ward, "opendata")

    return make


def _resource(client: TestClient, name: str) -> str:
    shown = client.get("/api/3/action/package_show", params={"id": name}).json()
    return str(shown["result"]["resources"][0]["id"])


def test_officer_edits_metadata_replaces_a_file_and_withdraws(
    env: Runtime,
    client: TestClient,
    new_client: Callable[[], TestClient],
    login: Callable[..., str],
) -> None:
    name = _publish(env)
    resource = _resource(client, name)
    officer = new_client()
    csrf = login(officer, WARD_A, "opendata")
    form = officer.get(f"/opendata/dataset/{name}/edit")
    assert form.status_code == 200 and "AED設置箇所一覧" in form.text
    saved = officer.post(
        f"/opendata/dataset/{name}/edit",
        data={
            "title": "AED設置箇所一覧(令和7年度)",
            "tags": "防災, AED",
            "frequency": "monthly",
            "license_id": "CC-BY-4.0",
            "contact": "千代田区 防災課",
            "csrf_token": csrf,
        },
    )
    assert saved.status_code == 303, saved.text
    bad_date = officer.post(
        f"/opendata/dataset/{name}/edit",
        data={"title": "x", "temporal_start": "2025/4/1", "csrf_token": csrf},
    )
    assert bad_date.status_code == 422 and "temporal_start" in bad_date.text
    renamed = officer.post(
        f"/opendata/dataset/{name}/resources/{resource}",
        data={"resource_name": "AED一覧(CSV)", "description": "", "csrf_token": csrf},
    )
    assert renamed.status_code == 303

    wrong = rows(n=4)
    wrong[2]["緯度"] = "34.9"  # outside the wards
    refused = officer.post(
        f"/opendata/dataset/{name}/resources/{resource}/version",
        data={"csrf_token": csrf},
        files={"file": ("aed-new.csv", csv_bytes(wrong, "cp932"), "text/csv")},
    )
    assert refused.status_code == 422
    assert "aed-new.csv:4行目 列「緯度」" in refused.text and "23区の範囲外" in refused.text
    old = client.get(f"/opendata/resource/{resource}.csv").content.decode()
    assert len(list(csv.DictReader(io.StringIO(old)))) == 3  # nothing changed
    replaced = officer.post(
        f"/opendata/dataset/{name}/resources/{resource}/version",
        data={"csrf_token": csrf},
        files={"file": ("aed-new.csv", csv_bytes(rows(n=5), "cp932"), "text/csv")},
    )
    assert replaced.status_code == 303, replaced.text
    new = client.get(f"/opendata/resource/{resource}.csv").content.decode()
    assert len(list(csv.DictReader(io.StringIO(new)))) == 5

    page = client.get(f"/opendata/dataset/{name}")
    assert "AED設置箇所一覧(令和7年度)" in page.text and "AED一覧(CSV)" in page.text
    history = page.text.split("<caption", 1)[0].rsplit("<table", 1)[-1]
    for version in ("<td>1</td>", "<td>2</td>", "<td>3</td>", "<td>4</td>"):
        assert version in history
    assert "chiyoda" not in history.split("<tbody>")[1]  # who changed it: staff only
    assert f"/opendata/dataset/{name}/edit" not in page.text  # no edit link for the public

    withdrawn = officer.post(
        f"/opendata/dataset/{name}/state", data={"state": "withdrawn", "csrf_token": csrf}
    )
    assert withdrawn.status_code == 303
    assert client.get(f"/opendata/dataset/{name}").status_code == 404
    assert client.get("/api/3/action/package_list").json()["result"] == []
    assert officer.get(f"/opendata/dataset/{name}").status_code == 200
    officer.post(f"/opendata/dataset/{name}/state", data={"state": "active", "csrf_token": csrf})
    assert client.get(f"/opendata/dataset/{name}").status_code == 200


def test_officer_adds_a_new_resource_all_or_nothing(
    env: Runtime, client: TestClient, officer_of: Callable[..., tuple[TestClient, str]]
) -> None:
    name = _publish(env)
    officer, csrf = officer_of(WARD_A)
    form = officer.get(f"/opendata/dataset/{name}/edit")
    assert 'action="/opendata/dataset/' + name + '/resources"' in form.text
    assert "リソースを追加" in form.text

    def count() -> int:
        shown = client.get("/api/3/action/package_show", params={"id": name}).json()
        return int(shown["result"]["num_resources"])

    wrong = rows(n=4)
    wrong[1]["全国地方公共団体コード"] = "131017"  # a wrong check digit
    add = f"/opendata/dataset/{name}/resources"
    refused = officer.post(
        add,
        data={"resource_name": "AED一覧(第2版)", "csrf_token": csrf},
        files={"file": ("aed-2.csv", csv_bytes(wrong, "cp932"), "text/csv")},
    )
    assert refused.status_code == 422
    assert "aed-2.csv:3行目 列「全国地方公共団体コード」" in refused.text
    assert "何も変更していません" in refused.text
    both = officer.post(
        add,
        data={"url": "https://example.jp/aed.pdf", "csrf_token": csrf},
        files={"file": ("aed-2.csv", csv_bytes(rows(n=2)), "text/csv")},
    )
    assert both.status_code == 422 and "どちらか一方" in both.text
    nothing = officer.post(add, data={"resource_name": "x", "csrf_token": csrf})
    assert nothing.status_code == 422 and "ファイルかリンクを指定してください" in nothing.text
    not_http = officer.post(add, data={"url": "ftp://example.jp/a", "csrf_token": csrf})
    assert not_http.status_code == 422
    assert "http(s) の URL ではありません: ftp://example.jp/a" in not_http.text
    assert count() == 1  # nothing half-published

    added = officer.post(
        add,
        data={"resource_name": "AED一覧(第2版)", "description": "令和7年度", "csrf_token": csrf},
        files={"file": ("aed-2.csv", csv_bytes(rows(n=4), "cp932"), "text/csv")},
    )
    assert added.status_code == 303, added.text
    linked = officer.post(
        add,
        data={"url": "https://example.jp/aed-map.pdf", "resource_name": "地図", "csrf_token": csrf},
    )
    assert linked.status_code == 303, linked.text
    shown = client.get("/api/3/action/package_show", params={"id": name}).json()["result"]
    new, link = shown["resources"][1], shown["resources"][2]
    assert (new["name"], new["format"], new["datastore_active"]) == ("AED一覧(第2版)", "CSV", True)
    assert (link["format"], link["url"]) == ("PDF", "https://example.jp/aed-map.pdf")
    assert shown["version"] == "3"
    body = client.get(f"/opendata/resource/{new['id']}.csv").content.decode()
    assert len(list(csv.DictReader(io.StringIO(body)))) == 4


def test_only_the_ward_s_officer_or_the_joint_centre_edits(
    env: Runtime,
    client: TestClient,
    new_client: Callable[[], TestClient],
    login: Callable[..., str],
) -> None:
    name = _publish(env)
    resource = _resource(client, name)
    other = new_client()
    csrf = login(other, WARD_B, "opendata")
    data = {"title": "乗っ取り", "csrf_token": csrf}
    base = f"/opendata/dataset/{name}"
    assert other.get(f"{base}/edit").status_code == 404
    assert other.post(f"{base}/edit", data=data).status_code == 404
    assert (
        other.post(f"{base}/resources/{resource}", data={**data, "resource_name": "x"}).status_code
        == 404
    )
    upload = {"file": ("a.csv", csv_bytes(rows()), "text/csv")}
    assert (
        other.post(f"{base}/resources/{resource}/version", data=data, files=upload).status_code
        == 404
    )
    assert other.post(f"{base}/resources", data=data, files=upload).status_code == 404
    assert other.post(f"{base}/state", data={**data, "state": "withdrawn"}).status_code == 404
    staff = new_client()
    login(staff, WARD_A, "ward_it")
    assert staff.get(f"{base}/edit").status_code == 404
    assert client.get(f"{base}/edit").status_code in (303, 401)  # log in first
    assert client.post(f"{base}/edit", data={"title": "x"}).status_code in (303, 401)
    assert "乗っ取り" not in client.get(base).text
    joint = new_client()
    joint_csrf = login(joint, JOINT, "admin")
    fixed = joint.post(
        f"{base}/edit", data={"title": "AED設置箇所一覧(確認済み)", "csrf_token": joint_csrf}
    )
    assert fixed.status_code == 303
    assert "AED設置箇所一覧(確認済み)" in client.get(base).text
