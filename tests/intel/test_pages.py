"""The hub's pages (Japanese first): share through the form, approve the preview, advisories,
feeds."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

import rengo.web
from tests.helpers import JOINT, WARD_A


def test_ward_shares_through_the_form_and_approves(
    client: TestClient, login: Callable[..., str]
) -> None:
    csrf = login(client, WARD_A, "ward_it")
    hub = client.get("/intel")
    assert hub.status_code == 200 and "脅威情報共有基盤" in hub.text
    form = client.get("/intel/submit?kind=access")
    assert form.status_code == 200 and 'name="source_addresses"' in form.text
    bad = client.post(
        "/intel/submit",
        data={
            "csrf_token": csrf,
            "kind": "access",
            "title": "VPN",
            "source_addresses": "not-an-ip",
            "tlp": "green",
        },
    )
    assert bad.status_code == 422 and "not-an-ip" in bad.text and 'aria-invalid="true"' in bad.text
    created = client.post(
        "/intel/submit",
        data={
            "csrf_token": csrf,
            "kind": "access",
            "title": "VPN spraying",
            "tlp": "green",
            "source_addresses": "203.0.113.45\n10.1.5.5",
            "accounts": "t-yamada",
            "user_agents": "SprayBot/2.1",
            "description": "from abroad",
        },
    )
    assert created.status_code == 303
    detail = client.get(created.headers["location"])
    assert "自区が見たもの" in detail.text and "全区に共有される内容" in detail.text
    assert "203.0.113.45" in detail.text
    assert (
        "区またはプライベートのアドレス範囲 10.0.0.0/8" in detail.text
    )  # why 10.1.5.5 was removed
    version = re.search(r'name="version" value="(\d+)"', detail.text)
    assert version
    assert 'name="urgency" value="urgent"' in detail.text and "緊急対応が必要" in detail.text
    unknown = client.post(
        created.headers["location"] + "/approve",
        data={"csrf_token": csrf, "version": version.group(1), "urgency": "later"},
    )
    assert "緊急度を選択してください" in client.get(unknown.headers["location"]).text
    approved = client.post(
        created.headers["location"] + "/approve",
        data={"csrf_token": csrf, "version": version.group(1), "urgency": "urgent"},
    )
    assert approved.status_code == 303 and "message=published" in approved.headers["location"]
    assert "緊急対応が必要" in client.get(created.headers["location"]).text
    listed = client.get("/intel/submissions?state=published")
    assert "VPN spraying" in listed.text
    english = client.get("/intel/indicators?q=203.0.113&lang=en")
    assert "Search indicators" in english.text and "203.0.113.45" in english.text


def test_joint_publishes_an_advisory_and_sees_who_has_not_applied(
    client: TestClient, login: Callable[..., str], new_client: Callable[[], TestClient]
) -> None:
    csrf = login(client, JOINT, "soc_analyst")
    assert client.get("/intel/advisories/new").status_code == 200
    response = client.post(
        "/intel/advisories/new",
        data={
            "csrf_token": csrf,
            "title": "Patch the VPN",
            "summary": "Exploited now.",
            "severity": "critical",
            "countermeasures": "Apply 22.7R2.5",
            "tlp": "amber",
            "wards": [WARD_A, "131024"],
            "indicator_values": "203.0.113.66",
        },
    )
    assert response.status_code == 303
    url = response.headers["location"]
    page = client.get(url)
    assert "2 区が対策を未実施です" in page.text
    ward = new_client()
    ward_csrf = login(ward, WARD_A, "ward_it")
    assert (
        ward.post(url + "/respond", data={"csrf_token": ward_csrf, "applied": "on"}).status_code
        == 303
    )
    assert "1 区が対策を未実施です" in client.get(url).text
    feeds = client.get("/intel/feeds")
    assert feeds.status_code == 200 and "フィードとハンティング" in feeds.text
    imported = client.post(
        "/intel/feeds/import",
        data={"csrf_token": csrf, "format": "csv"},
        files={"file": ("iocs.csv", b"198.51.100.3\nbad value\n", "text/csv")},
    )
    assert (
        imported.status_code == 200
        and "1 件追加" in imported.text
        and "iocs.csv:2" in imported.text
    )


def test_ward_finance_sees_no_intel(client: TestClient, login: Callable[..., str]) -> None:
    login(client, WARD_A, "ward_finance")
    assert client.get("/intel").status_code == 403
    menu = client.get("/").text.split('class="sidenav"')[1].split("</nav>")[0]
    assert "/intel" not in menu


TLP_COLOURS = {  # FIRST TLP 2.0: the label's colour, on black
    "clear": "#fff",
    "green": "#33ff00",
    "amber": "#ffc000",
    "amber-strict": "#ffc000",
    "red": "#ff2b2b",
}


def _contrast_on_black(colour: str) -> float:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return (luminance + 0.05) / 0.05


def test_tlp_labels_are_drawn_in_the_tlp_2_colours_by_one_macro(
    client: TestClient, login: Callable[..., str]
) -> None:
    root = Path(rengo.web.__file__).parent
    css = (root / "static" / "rengo.css").read_text()
    for level, colour in TLP_COLOURS.items():
        rule = re.search(rf"\.tlp-{level}\b[^{{]*{{([^}}]*)}}", css)
        assert rule and f"color: {colour}" in rule.group(1), level
        assert _contrast_on_black(colour) >= 4.5, level  # WCAG AA, axe's color-contrast
    assert re.search(r"\.tlp \{[^}]*background: #000", css)
    # Every TLP label goes through _tlp.html: no template draws one by itself (prose in a
    # message may still name TLP:RED).
    spelled = [
        p.name
        for p in (root / "templates").rglob("*.html")
        if p.name != "_tlp.html"
        and re.search(r"TLP:\{\{|>\s*TLP:(CLEAR|GREEN|AMBER|RED)", p.read_text())
    ]
    assert spelled == []
    csrf = login(client, WARD_A, "ward_it")
    for level in ("clear", "green", "amber", "amber+strict", "red"):
        created = client.post(
            "/intel/submit",
            data={
                "csrf_token": csrf,
                "kind": "access",
                "title": f"VPN {level}",
                "tlp": level,
                "source_addresses": "203.0.113.45",
            },
        )
        assert created.status_code == 303, created.text
        detail = client.get(created.headers["location"]).text
        css_class = level.replace("+", "-")
        assert f'<span class="tlp tlp-{css_class}">TLP:{level.upper()}</span>' in detail
    listed = client.get("/intel/submissions").text
    for level in ("clear", "green", "amber", "amber+strict", "red"):
        assert f'class="tlp tlp-{level.replace("+", "-")}">TLP:{level.upper()}<' in listed
