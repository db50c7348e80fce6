"""Public feeds shipped disabled: definitions with licences, enabling is a click (page and
API), and the recorded copies shipped in the project load without any network."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from rengo.core.permissions import SYSTEM
from rengo.core.runtime import Runtime
from rengo.intel import bulletins, feeds, public_feeds
from rengo.intel.models import Feed, IntelObject, QuarantinedRecord
from rengo.intel.tlp import TLP
from tests.helpers import JOINT, WARD_A, bearer

KEYS = {
    "jpcert-alerts",
    "nisc-news",
    "urlhaus-recent",
    "threatfox-recent",
    "cisa-kev",
    "circl-osint",
    "botvrij-osint",
}


def test_every_definition_names_its_source_and_licence_and_ships_a_copy() -> None:
    catalogue = public_feeds.catalogue()
    assert {f.key for f in catalogue} == KEYS
    for feed in catalogue:
        assert feed.url.startswith("https://") and feed.licence and feed.licence_url
        # A licence is either checked at a cited page or says it could not be.
        assert feed.licence_source.startswith("https://") or (
            "unverified" in feed.licence or "no licence published" in feed.licence
        ), feed.key
        assert feed.kind in feeds.FEED_KINDS
        assert public_feeds.recorded_path(feed).exists(), feed.key


def test_the_licences_checked_against_the_publishers_terms() -> None:
    by_key = {f.key: f for f in public_feeds.catalogue()}
    # NISC's site policy: the Public Data Licence 1.0, not the government terms 2.0.
    assert "PDL1.0" in by_key["nisc-news"].licence
    assert by_key["nisc-news"].licence_url == "https://www.nisc.go.jp/rights.html"
    # CISA's KEV: CC0, at the licence file the kev-data README names.
    kev = by_key["cisa-kev"]
    assert kev.licence.startswith("CC0") and kev.licence_url.endswith("/kev/license.txt")
    assert by_key["threatfox-recent"].licence_source == "https://threatfox.abuse.ch/api/#tos"


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_shipped_disabled_and_enabled_by_one_call(
    client: TestClient, env: Runtime, tokens: Callable[..., str]
) -> None:
    joint, ward = tokens(JOINT, "admin"), tokens(WARD_A, "admin")
    listed = client.get("/api/v1/intel/public-feeds", headers=bearer(joint))
    assert listed.status_code == 200
    assert {f["key"] for f in listed.json()} == KEYS
    assert not any(f["enabled"] for f in listed.json())
    with env.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Feed)) == 0
        assert feeds.due_feeds(session, env.clock.now()) == []
    url = "/api/v1/intel/public-feeds/cisa-kev/enable"
    assert client.post(url, headers=bearer(ward)).status_code == 403
    enabled = client.post(url, headers=bearer(joint))
    assert enabled.status_code == 200 and enabled.json()["enabled"] is True
    with env.db.session() as session:
        [row] = session.scalars(select(Feed)).all()
        assert (row.kind, row.default_tlp, row.enabled) == ("kev", "clear", True)
        assert feeds.due_feeds(session, env.clock.now()) == [row.id]
    off = client.post("/api/v1/intel/public-feeds/cisa-kev/disable", headers=bearer(joint))
    assert off.status_code == 200 and off.json()["enabled"] is False
    again = client.post(url, headers=bearer(joint)).json()
    assert again["enabled"] is True and again["feed_id"] == enabled.json()["feed_id"]
    assert (
        client.post("/api/v1/intel/public-feeds/nope/enable", headers=bearer(joint)).status_code
        == 404
    )


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_enabling_on_the_feeds_page_is_a_click(
    client: TestClient, login: Callable[..., str]
) -> None:
    csrf = login(client, JOINT, "admin")
    page = client.get("/intel/feeds").text
    assert "公開フィード（既定では無効）" in page and "CC0 1.0" in page
    assert 'action="/intel/feeds/public/urlhaus-recent"' in page
    clicked = client.post(
        "/intel/feeds/public/urlhaus-recent", data={"csrf_token": csrf, "action": "enable"}
    )
    assert clicked.status_code == 303
    page = client.get("/intel/feeds").text
    row = page[page.index('id="public-urlhaus-recent"') :].split("</tr>", 1)[0]
    assert "有効" in row and "無効にする" in row


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_recorded_copies_load_without_the_network(env: Runtime) -> None:
    now = env.clock.now()
    reports = {
        f.key: public_feeds.load_recorded(env.db, env.settings, SYSTEM, f.key, now=now)
        for f in public_feeds.catalogue()
    }
    assert all(r.added > 0 for r in reports.values()), reports
    with env.db.session() as session:
        types = dict(
            session.execute(
                select(IntelObject.type, func.count())
                .where(IntelObject.is_latest.is_(True))
                .group_by(IntelObject.type)
            ).all()
        )
        bodies = [json.loads(b) for b in session.scalars(select(IntelObject.body))]
        names = {b.get("name") for b in bodies}
        assert session.scalar(select(func.count()).select_from(Feed)) == 0  # still disabled
        quarantined = session.scalar(select(func.count()).select_from(QuarantinedRecord))
    assert types["vulnerability"] == 3 and types["report"] == 4 and types["indicator"] >= 10
    assert {"CVE-2021-44228", "CVE-2023-4966", "CVE-2024-3400"} <= names
    assert "VPN 装置の脆弱性を悪用した攻撃に関する注意喚起" in names
    assert quarantined == 0
    # Loading again adds nothing twice.
    second = public_feeds.load_recorded(env.db, env.settings, SYSTEM, "cisa-kev", now=now)
    assert second.added == 0


def test_bad_bulletins_are_problems_with_their_place() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    rss = b"<rss><channel><item><title>no link</title></item><item><title>t</title><link>https://x.example/1</link></item></channel></rss>"
    parsed = bulletins.parse_rss(rss, "feed.xml", "X", TLP.CLEAR, now)
    assert [p.location for p, _raw in parsed.problems] == ["feed.xml: item 1"]
    assert [o["type"] for o in parsed.objects] == ["identity", "report"]
    doctype = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY a "a">]><rss/>'
    assert (
        "DOCTYPE"
        in bulletins.parse_rss(doctype, "f.xml", "X", TLP.CLEAR, now).problems[0][0].message
    )
    kev = b'{"vulnerabilities": [{"cveID": "CVE-2024-1"}, {"product": "x"}]}'
    parsed = bulletins.parse_kev(kev, "kev.json", TLP.CLEAR, now)
    assert [p.location for p, _raw in parsed.problems] == ["kev.json: vulnerabilities[2]"]
    assert bulletins.parse_kev(b"[]", "kev.json", TLP.CLEAR, now).problems
