"""The EBPM pages as logged-in users: build a model from a template through the forms,
see its diagram and table, link an indicator to a live scoreboard target, take the
approval steps, export the PDF; bad input re-renders the form naming the field."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from pypdf import PdfReader

from tests.helpers import WARD_A, WARD_B

LoginFn = Callable[..., str]


def _new_policy(client: TestClient, csrf: str, **extra: str) -> str:
    response = client.post(
        "/ebpm/policies",
        data={
            "csrf_token": csrf,
            "template": "disaster",
            "title": "地域防災力強化事業",
            "department": "危機管理部",
            "fiscal_year": "2026",
            "is_new": "true",
            "budget_line": "防災訓練費",
            "budget_yen": "8000000",
            **extra,
        },
    )
    assert response.status_code == 303, response.text
    location = str(response.headers["location"])
    assert re.fullmatch(r"/ebpm/policies/\d+\?saved=created", location)
    return location.split("?")[0]


def test_policy_officer_builds_a_model_and_exports_the_pdf(
    client: TestClient, login: LoginFn
) -> None:
    csrf = login(client, WARD_A, "policy")
    assert "地域防災" not in client.get("/ebpm").text
    assert client.get("/ebpm/policies/new?template=disaster").status_code == 200
    url = _new_policy(client, csrf)
    page = client.get(url).text
    assert "<svg" in page and 'role="img"' in page and "インプット" in page
    assert "家庭での備えの向上" in page  # template element, in the diagram and the table
    assert page.count("家庭での備えの向上") >= 2
    policy_id = url.rsplit("/", 1)[1]
    # Link a new indicator to a live scoreboard target.
    element = re.search(r'<option value="(\d+)">[^<]*地域防災訓練', page)
    assert element
    linked = client.post(
        f"{url}/indicators",
        data={
            "csrf_token": csrf,
            "element_id": element.group(1),
            "name": "データ活用研修の修了率",
            "unit": "%",
            "direction": "increase",
            "source": "metric",
            "metric_target": "m3.kpi.staff_trained",
        },
    )
    assert linked.status_code == 303
    page = client.get(linked.headers["location"]).text
    assert 'href="/targets/m3.kpi.staff_trained"' in page
    pdf = client.get(f"{url}/export?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert f"logic-model-{WARD_A}-{policy_id}-v1.pdf" in pdf.headers["content-disposition"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "地域防災力強化事業" in text and "ロジックモデル" in text
    csv_text = client.get(f"{url}/export?format=csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("段階,要素,指標")
    assert "データ活用研修の修了率" in csv_text


def test_bad_form_input_names_the_field(client: TestClient, login: LoginFn) -> None:
    csrf = login(client, WARD_A, "policy")
    response = client.post(
        "/ebpm/policies",
        data={"csrf_token": csrf, "title": "", "department": "x", "fiscal_year": "20x6"},
    )
    assert response.status_code == 422
    assert "fiscal_year" in response.text or "年度" in response.text
    url = _new_policy(client, csrf)
    bad = client.post(
        f"{url}/indicators",
        data={"csrf_token": csrf, "name": "x", "source": "metric", "metric_target": ""},
    )
    assert bad.status_code == 422 and 'role="alert"' in bad.text


def test_approval_through_the_pages_and_other_wards(
    client: TestClient, new_client: Callable[[], TestClient], login: LoginFn
) -> None:
    csrf = login(client, WARD_A, "policy")
    url = _new_policy(client, csrf)
    assert (
        client.post(f"{url}/transitions", data={"csrf_token": csrf, "action": "submit"}).status_code
        == 303
    )
    other = new_client()
    login(other, WARD_B, "policy")
    assert other.get(url).status_code == 404
    head = new_client()
    head_csrf = login(head, WARD_A, "dept_head")
    page = head.get(url).text
    assert 'value="approve_dept"' in page and 'value="approve_budget"' not in page
    done = head.post(f"{url}/transitions", data={"csrf_token": head_csrf, "action": "approve_dept"})
    assert done.status_code == 303
    budget_b = new_client()
    b_csrf = login(budget_b, WARD_B, "budget")
    refused = budget_b.post(
        f"{url}/transitions", data={"csrf_token": b_csrf, "action": "approve_budget"}
    )
    assert refused.status_code == 404


def test_evidence_and_training_pages_render(client: TestClient, login: LoginFn) -> None:
    csrf = login(client, WARD_A, "hr")
    for path in (
        "/ebpm/training",
        "/ebpm/evidence/logic-models",
        "/ebpm/evidence/outcomes",
        "/ebpm/surveys",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.text.count("<h1") == 1
    upload = client.post(
        "/ebpm/training/import",
        data={"csrf_token": csrf, "kind": "staff"},
        files={
            "file": (
                "staff.csv",
                "区,所属,職員数,基準日\n131016,総務部,x,2026-04-01\n".encode("cp932"),
            )
        },
    )
    assert upload.status_code == 422
    assert "staff.csv:2 column 3 (staff)" in upload.text


def test_pages_in_english(client: TestClient, login: LoginFn) -> None:
    login(client, WARD_A, "policy")
    for language, words in (("ja", "割合(%)"), ("en", "share (%)")):
        client.cookies.set("rengo_lang", language)
        assert words in client.get("/ebpm/surveys").text  # the import form, with its %
    client.cookies.set("rengo_lang", "en")
    page = client.get("/ebpm").text
    assert "Logic models" in page and "New policy" in page
    client.cookies.set("rengo_lang", "ja")
    assert "ロジックモデル" in client.get("/ebpm").text


def test_actuals_recorded_on_the_page_and_drafts_hidden_in_evidence(
    client: TestClient, new_client: Callable[[], TestClient], login: LoginFn
) -> None:
    csrf = login(client, WARD_A, "policy")
    url = _new_policy(client, csrf, template="childcare", title="待機児童ゼロ作戦")
    page = client.get(url).text
    option = re.search(r'<option value="(\d+)">待機児童率</option>', page)
    assert option
    recorded = client.post(
        f"{url}/actuals",
        data={
            "csrf_token": csrf,
            "indicator_id": option.group(1),
            "period_end": "2026-03-31",
            "value": "2.5",
        },
    )
    assert recorded.status_code == 303
    assert "2.5" in client.get(url).text
    bad = client.post(
        f"{url}/actuals",
        data={"csrf_token": csrf, "indicator_id": "x", "period_end": "2026-03-31", "value": "1"},
    )
    assert bad.status_code == 422 and "indicator_id" in bad.text
    # Another ward sees that a draft exists in the KSI's evidence, not what it is.
    other = new_client()
    login(other, WARD_B, "executive")
    evidence = other.get("/ebpm/evidence/logic-models")
    assert evidence.status_code == 200
    assert "待機児童ゼロ作戦" not in evidence.text and "非公開" in evidence.text
    assert "待機児童ゼロ作戦" in client.get("/ebpm/evidence/logic-models").text


def test_budget_request_pdf_and_versions(client: TestClient, login: LoginFn) -> None:
    csrf = login(client, WARD_A, "policy")
    url = _new_policy(client, csrf)
    client.post(f"{url}/transitions", data={"csrf_token": csrf, "action": "submit"})
    page = client.get(url).text
    assert "第1版" in page
    pdf = client.get(f"{url}/export?format=pdf&document=budget")
    assert pdf.headers["content-disposition"].endswith('-v1-budget.pdf"')
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "予算要求資料" in text


def test_hr_records_one_completion_on_the_page(client: TestClient, login: LoginFn) -> None:
    csrf = login(client, WARD_A, "hr")
    form = {"csrf_token": csrf, "ward": WARD_A, "staff_id": "S-1", "course": "DL-BASIC"}
    done = client.post("/ebpm/training/completions", data={**form, "completed_on": "2026-05-01"})
    assert done.status_code == 200 and "修了を記録しました。" in done.text
    bad = client.post("/ebpm/training/completions", data={**form, "completed_on": "先週"})
    assert bad.status_code == 422 and "completed_on" in bad.text
    other = client.post(
        "/ebpm/training/completions", data={**form, "ward": WARD_B, "completed_on": "2026-05-01"}
    )
    assert other.status_code == 403


def test_evaluation_plan_and_estimate_on_the_page(client: TestClient, login: LoginFn) -> None:
    csrf = login(client, WARD_A, "policy")
    url = _new_policy(client, csrf)
    planned = client.post(
        f"{url}/evaluations",
        data={"csrf_token": csrf, "design": "did", "comparison_group": "近隣区", "timing": "3年後"},
    )
    assert planned.status_code == 303
    page = client.get(url).text
    action = re.search(r'action="(/ebpm/evaluations/\d+/results)"', page)
    assert action
    rows = ["区,年度,値,対象"]
    for u in range(6):
        for year in range(2016, 2026):
            effect = 5 if u < 2 and year >= 2021 else 0
            rows.append(
                f"w{u},{year},{50 + u + 0.4 * (year - 2016) + effect + (year % 3) * 0.1},{int(u < 2)}"
            )
    data = ("\n".join(rows) + "\n").encode("cp932")
    run = client.post(
        action.group(1),
        data={"csrf_token": csrf, "method": "did", "intervention_period": "2021"},
        files={"file": ("did.csv", data)},
    )
    assert run.status_code == 303, run.text
    page = client.get(url).text
    assert "平行トレンド" in page and "ワイルド" not in page  # assumptions in Japanese
    assert "5.000" in page  # the simulated effect, exactly (no noise across units)
    bad = client.post(
        action.group(1),
        data={"csrf_token": csrf, "method": "did", "intervention_period": "2021"},
        files={"file": ("did.csv", "区,年度,値,対象\nw0,2016,abc,1\n".encode())},
    )
    assert bad.status_code == 422 and "did.csv:2 column 3 (value)" in bad.text
