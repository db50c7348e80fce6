"""Reports: the Japanese incident report as HTML and as a PDF whose text can be
extracted, and the monthly report per ward and for the joint centre."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest

from rengo.core.clock import FakeClock
from rengo.core.reports import japanese_font
from tests.helpers import WARD_A, WARD_B

Api = Callable[..., Any]


def _closed_incident(
    api: Api, open_incident: Callable[..., dict[str, Any]], clock: FakeClock
) -> dict[str, Any]:
    incident = open_incident(
        title="標的型メールによるマルウェア感染",
        category="phishing",
        description="職員が添付ファイルを開いた。送信元 attacker@phish.example.com",
        people_affected=120,
    )
    url = f"/api/v1/incidents/{incident['id']}"
    clock.advance(minutes=10)
    api("POST", f"{url}/transitions", json={"to": "triage", "reason": "内容を確認"})
    api("POST", f"{url}/actions", json={"kind": "block_domain", "target": "phish.example.com"})
    api(
        "PATCH",
        url,
        json={
            "cause": "添付ファイルのマクロ実行",
            "report_summary": "端末を隔離し、送信元ドメインを遮断した。",
        },
    )
    api("POST", f"{url}/transitions", json={"to": "closed", "reason": "復旧完了"})
    return incident


def test_incident_report_html_in_japanese(
    api: Api, open_incident: Callable[..., dict[str, Any]], clock: FakeClock
) -> None:
    incident = _closed_incident(api, open_incident, clock)
    response = api("GET", f"/api/v1/incidents/{incident['id']}/report?format=html")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    for expected in (
        "インシデント報告書",
        "標的型メールによるマルウェア感染",
        "フィッシング・標的型メール",
        "添付ファイルのマクロ実行",
        "千代田区",
        "120 人",
        "phish.example.com",
        "2026年06月01日 10:00",
    ):
        assert expected in html, expected
    assert (
        api(
            "GET", f"/api/v1/incidents/{incident['id']}/report?format=html", ward=WARD_B
        ).status_code
        == 404
    )


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the layout; the data: HTML test
def test_incident_report_pdf_has_extractable_japanese_text(
    api: Api, open_incident: Callable[..., dict[str, Any]], clock: FakeClock
) -> None:
    if japanese_font() is None:
        pytest.skip("no Japanese font installed (apt-get install fonts-ipaexfont)")
    from pypdf import PdfReader

    incident = _closed_incident(api, open_incident, clock)
    response = api("GET", f"/api/v1/incidents/{incident['id']}/report?format=pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert f"incident-report-{incident['ref']}.pdf" in response.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    compact = "".join(text.split())
    for expected in (
        "インシデント報告書",
        "標的型メールによるマルウェア感染",
        "原因",
        "添付ファイルのマクロ実行",
        "千代田区",
    ):
        assert expected in compact, expected
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any("IPAex" in f or "CJK" in f for f in fonts), fonts


def _alert_counts(html: str) -> tuple[str, str]:
    """(all SOC alerts of the month, those linked to incidents) as the report prints them."""
    everything = re.search(
        re.escape("SOCアラート(この月に検知したもの)") + r"</th><td[^>]*>([^<]+)</td>", html
    )
    linked = re.search(r"うちインシデントに紐づくSOCアラート</th><td[^>]*>([^<]+)</td>", html)
    assert everything and linked, html
    return everything.group(1).strip(), linked.group(1).strip()


def test_monthly_report_per_ward_and_joint(
    api: Api,
    open_incident: Callable[..., dict[str, Any]],
    clock: FakeClock,
    soc_alert: Callable[..., str],
) -> None:
    linked = soc_alert(WARD_A, "C2通信の検知", level="high")
    soc_alert(WARD_A, "不審なログオン", level="medium")
    soc_alert(WARD_B, "B区の検知", level="low")
    open_incident(title=None, alert_ids=[linked])
    _closed_incident(api, open_incident, clock)
    open_incident(WARD_B, title="B区の件", people_affected=20_000)
    clock.advance(days=40)
    soc_alert(WARD_A, "翌月のアラート")
    open_incident(title="翌月の件")
    ward = api("GET", "/api/v1/incidents/reports/monthly?month=2026-06&format=html")
    assert ward.status_code == 200
    assert (
        "千代田区 2026年6月" in ward.text
        and "標的型メール" in ward.text
        and "B区の件" not in ward.text
    )
    assert "翌月の件" not in ward.text
    assert _alert_counts(ward.text) == ("2 件", "1 件")  # every alert of the month, not only linked
    assert "SOCアラートの重要度別" in ward.text
    joint = api("GET", "/api/v1/incidents/reports/monthly?month=2026-06&format=html", ward="joint")
    assert "共同センター" in joint.text and "B区の件" in joint.text and "(重大)" in joint.text
    assert _alert_counts(joint.text) == ("3 件", "1 件")
    assert (
        api("GET", f"/api/v1/incidents/reports/monthly?month=2026-06&ward={WARD_B}").status_code
        == 403
    )
    assert api("GET", "/api/v1/incidents/reports/monthly?month=2026-13").status_code == 422
    unknown = api(
        "GET", "/api/v1/incidents/reports/monthly?month=2026-06&ward=%C4%80", ward="joint"
    )
    assert unknown.status_code == 422 and unknown.json()["problems"][0]["location"] == "field ward"
