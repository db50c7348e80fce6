"""The SOC's event search, collection status and quarantine pages, over HTTP via the app."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from html import unescape
from typing import Any

from fastapi.testclient import TestClient

from rengo.core.runtime import Runtime
from rengo.soc.lake import quarantine_table
from rengo.soc.lake_files import write_parquet
from rengo.soc.service import store_for
from rengo.soc.settings import SocSettings
from tests.helpers import WARD_A, WARD_B
from tests.soc import samples
from tests.soc.test_api import auth, wait_stored

WIDE = {"since": "2026-01-01T00:00", "until": "2027-01-01T00:00"}
XSS = (
    b"1777597200.123 250 10.1.1.9 TCP_MISS/200 10 GET http://x.example/<script>alert(1)</script> "
    b"- HIER_DIRECT/1.2.3.4 text/html"
)


def send(client: TestClient, env: Runtime, token: str, body: bytes, fmt: str = "auto") -> None:
    response = client.post(
        f"/api/v1/soc/ingest?format={fmt}",
        content=body,
        headers={**auth(token), "Content-Type": "text/plain"},
    )
    assert response.status_code == 200, response.text
    wait_stored(env, response.json()["position"])


def event_links(html: str) -> list[str]:
    return [unescape(m) for m in re.findall(r'href="(/soc/events/[^"]+)"', html)]


def test_ward_staff_search_their_own_events_only(
    client: TestClient, new_client: Any, env: Runtime, tokens: Callable[..., str], login: Any
) -> None:
    send(client, env, tokens(WARD_A, "ward_it"), samples.FORTI_TRAFFIC + b"\n" + XSS)
    send(client, env, tokens(WARD_B, "ward_it"), samples.FORTI_VPN)
    login(client, WARD_A, "soc_analyst")
    page = client.get("/soc/events", params=WIDE)
    assert page.status_code == 200 and "イベント検索" in page.text
    assert 'name="ward"' not in page.text  # a ward has no ward to pick
    links = event_links(page.text)
    assert len(links) == 2
    assert "<script>alert(1)</script>" not in page.text
    details = [client.get(link) for link in links]
    assert all(d.status_code == 200 for d in details)
    raw = next(d.text for d in details if "x.example" in d.text)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw and "<script>alert(1)" not in raw
    assert 'class="raw"' in raw and "src_endpoint.ip" in raw  # OCSF attribute names shown
    # Ward B's event is neither found nor reachable by its link.
    joint = new_client()
    login(joint, "joint", "soc_analyst")
    [b_link] = event_links(joint.get("/soc/events", params={**WIDE, "user_name": "bob"}).text)
    assert joint.get(b_link).status_code == 200
    assert client.get(b_link).status_code == 404
    assert client.get(b_link.split("?")[0]).status_code == 404
    assert client.get("/soc/events", params={**WIDE, "ward": WARD_B}).status_code == 403


def test_joint_centre_filters_pages_and_shares_the_url(
    client: TestClient, env: Runtime, tokens: Callable[..., str], login: Any
) -> None:
    lines = [
        f"{1777593600 + n}.000 5 10.0.0.{n} TCP_MISS/200 100 GET http://a.example/{n} - "
        f"HIER_DIRECT/1.2.3.4 text/html".encode()
        for n in range(60)
    ]
    send(client, env, tokens(WARD_A, "ward_it"), b"\n".join(lines), "squid")
    send(client, env, tokens(WARD_B, "ward_it"), samples.FORTI_VPN)
    login(client, "joint", "soc_analyst")
    both = client.get("/soc/events", params=WIDE).text
    assert "千代田区" in both and "港区" in both
    only_b = client.get("/soc/events", params={**WIDE, "ward": WARD_B}).text
    assert len(event_links(only_b)) == 1
    one = client.get(
        "/soc/events", params={**WIDE, "src_ip": "10.0.0.7"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in one.text and len(event_links(one.text)) == 1
    by_filter = client.get("/soc/events", params={**WIDE, "filter": "url:http://a.example/1*"}).text
    assert len(event_links(by_filter)) == 11  # /1 and /10–/19
    by_text = client.get("/soc/events", params={**WIDE, "q": "failed"}).text
    assert len(event_links(by_text)) == 1
    first = client.get("/soc/events", params={**WIDE, "ward": WARD_A}).text
    assert len(event_links(first)) == 50
    [older] = re.findall(r'href="(/soc/events\?[^"]*cursor=[^"]+)"', first)
    second = client.get(unescape(older)).text
    assert len(event_links(second)) == 10 and "ward=" + WARD_A in unescape(older)
    assert not set(event_links(first)) & set(event_links(second))


def test_bad_search_input_is_explained_not_a_500(
    client: TestClient, env: Runtime, login: Any
) -> None:
    login(client, "joint", "soc_analyst")
    for params, place in (
        ({"since": "yesterday"}, "since"),
        ({"filter": "nocolon"}, "filter"),
        ({"filter": "no_such_field:1"}, "no_such_field"),
        ({"class_uid": "x"}, "class_uid"),
        ({"last": "9y"}, "last"),
        ({"since": "2026-05-02T00:00", "until": "2026-05-01T00:00"}, "until"),
        ({"cursor": "!!!"}, "cursor"),
        ({"ward": "nowhere"}, "ward"),
        ({"dst_port": "x"}, ""),
    ):
        response = client.get("/soc/events", params=params)
        assert response.status_code in (200, 422), (params, response.status_code)
        if response.status_code == 422:
            assert 'role="alert"' in response.text and place in response.text, params
    assert client.get("/soc/events", params={"filter": "src_port:abc", **WIDE}).status_code == 422
    assert client.get("/soc/events/nothing-here").status_code == 404
    assert client.get("/soc/events/x", params={"at": "soon"}).status_code == 422


def test_status_page_counts_and_warns_of_silent_wards(
    client: TestClient, new_client: Any, env: Runtime, tokens: Callable[..., str], login: Any
) -> None:
    now = env.clock.now()
    fresh = samples.SQUID.replace(b"1777597200.123", f"{now.timestamp():.3f}".encode())
    send(client, env, tokens(WARD_A, "ward_it"), fresh, "squid")
    login(client, "joint", "executive")
    page = client.get("/soc/status")
    assert page.status_code == 200
    alert = re.search(r'<div class="flash error" role="alert">(.*?)</div>', page.text, re.S)
    assert alert and "港区" in alert.group(1) and "千代田区" not in alert.group(1)
    assert 'class="heat-' in page.text and "HTTP Activity (4002)" in page.text
    # The chart's bar for today is the table's cell for today (issue 17).
    row = re.search(r'<th scope="row">千代田区</th>(.*?)</tr>', page.text, re.S)
    assert row
    today_cell = re.findall(r'<td class="heat-\d">([\d,]+)</td>', row.group(1))[-1]
    assert int(today_cell.replace(",", "")) > 0
    day = now.strftime("%m-%d")  # the table's days are UTC days
    assert f"<title>千代田区 · {day} · {today_cell}</title>" in page.text
    assert client.get("/soc/status", params={"days": "99"}).status_code == 422
    ward = new_client()
    login(ward, WARD_A, "ward_it")
    own = ward.get("/soc/status").text
    assert "千代田区" in own and "港区" not in own and 'role="alert"' not in own


def test_quarantine_shows_raw_bytes_and_replays(
    client: TestClient, new_client: Any, env: Runtime, tokens: Callable[..., str], login: Any
) -> None:
    send(client, env, tokens(WARD_A, "ward_it"), b"<b>bold</b>\xff\xfe noise", "squid")
    send(client, env, tokens(WARD_B, "ward_it"), samples.MALFORMED["cef"], "cef")
    # A record an earlier parser version rejected, which today's squid parser reads.
    lake = store_for(env.data_dir, env.settings.section(SocSettings)).lake
    row = {
        "quarantine_id": "old-1",
        "received": datetime(2026, 5, 1, tzinfo=UTC),
        "ward": WARD_A,
        "origin": "real",
        "source": "proxy",
        "format": "squid",
        "location": "proxy.log:7",
        "reason": "parser bug",
        "raw": samples.SQUID,
        "ingest_seq": 1,
    }
    write_parquet(
        quarantine_table([row]),
        lake.quarantine_dir / f"ward={WARD_A}/day=2026-05-01/p-{1:020d}-9.parquet",
    )
    csrf = login(client, WARD_A, "ward_it")
    page = client.get("/soc/quarantine")
    assert page.status_code == 200 and "proxy.log:7" in page.text
    assert "&lt;b&gt;bold&lt;/b&gt;\\xff\\xfe noise" in page.text and "<b>bold" not in page.text
    assert "港区" not in page.text.split("<h1>")[1]  # ward B's record stays hidden
    assert client.get("/soc/quarantine", params={"ward": WARD_B}).status_code == 403
    assert (
        client.post("/soc/quarantine/replay", data={"ward": WARD_A}).status_code == 403
    )  # no CSRF
    refused = client.post("/soc/quarantine/replay", data={"csrf_token": csrf, "ward": WARD_B})
    assert refused.status_code == 403
    done = client.post("/soc/quarantine/replay", data={"csrf_token": csrf, "ward": WARD_A})
    assert done.status_code == 303 and "replayed=1" in done.headers["location"]
    after = client.get(done.headers["location"]).text
    assert "proxy.log:7" not in after and "1 件" in after
    store = store_for(env.data_dir, env.settings.section(SocSettings))
    assert store.wait_stored(store.spool.end())
    found = client.get("/soc/events", params={**WIDE, "src_ip": "10.1.1.5"}).text
    assert len(event_links(found)) == 1
    executive = new_client()
    login(executive, WARD_B, "executive")
    assert executive.get("/soc/quarantine").status_code == 403


def test_menu_entries_follow_the_role(
    client: TestClient, new_client: Any, env: Runtime, login: Any
) -> None:
    login(client, WARD_A, "ward_it")
    home = client.get("/").text
    assert all(
        p in home for p in ('href="/soc/events"', 'href="/soc/status"', 'href="/soc/quarantine"')
    )
    executive = new_client()
    login(executive, WARD_A, "executive")
    home = executive.get("/").text
    assert 'href="/soc/status"' in home and 'href="/soc/events"' not in home
    assert 'href="/soc/quarantine"' not in home


def test_bad_input_in_the_htmx_partial_is_shown(
    client: TestClient, env: Runtime, login: Any
) -> None:
    login(client, "joint", "soc_analyst")
    partial = client.get(
        "/soc/events", params={"since": "yesterday"}, headers={"HX-Request": "true"}
    )
    assert partial.status_code == 200  # htmx swaps only 2xx answers
    assert (
        'role="alert"' in partial.text and "since" in partial.text and "<html" not in partial.text
    )
