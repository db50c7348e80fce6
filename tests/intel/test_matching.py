"""Indicators hunted in every ward's events: retro-hunts, live matching, TLP, warning lists."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from rengo.core.permissions import SYSTEM, Principal, Role
from rengo.core.runtime import Runtime
from rengo.core.wards import JOINT
from rengo.intel import hunting
from rengo.intel.access import audience_text
from rengo.intel.collections import FEEDS, get_collection, ward_collection_id
from rengo.intel.indicators import search as search_indicators
from rengo.intel.ingest import ingest
from rengo.intel.models import Hunt, IndicatorValue, Sighting
from rengo.intel.tlp import TLP
from tests.helpers import WARD_A, WARD_B
from tests.intel.helpers import event, indicator, write_events

WARD_C = "131032"


def _ingest(
    env: Runtime, objects: list[dict[str, object]], collection: str = FEEDS, **kw: object
) -> None:
    with env.db.session() as session:
        target = get_collection(session, SYSTEM, collection)
        ingest(
            session, env.settings, SYSTEM, target, objects, now=env.clock.now(), source="test", **kw
        )  # type: ignore[arg-type]


def _sightings(env: Runtime) -> set[tuple[str, str, str, str]]:
    with env.db.session() as session:
        return {(s.ward, s.value, s.field, s.event_id) for s in session.scalars(select(Sighting))}


def test_retro_hunt_finds_every_kind_in_the_right_wards(env: Runtime) -> None:
    now = env.clock.now()
    old = now - timedelta(days=30)
    too_old = now - timedelta(days=120)
    write_events(
        env.data_dir.lake("soc"),
        [
            event(WARD_A, old, event_id="a-ip", src_ip="203.0.113.5", dst_ip="10.1.2.3"),
            event(WARD_B, old, event_id="b-ip", dst_ip="203.0.113.5"),
            event(
                WARD_A, old, event_id="a-dns", class_uid=4003, dns_query="C2.Evil-Domain.example."
            ),
            event(
                WARD_A,
                old,
                event_id="a-url",
                class_uid=4002,
                url="HTTP://Evil-Domain.example/payload/",
            ),
            event(
                WARD_B,
                old,
                event_id="b-mail",
                class_uid=4009,
                email_from="billing@phish.example",
                email_to="a@city.chuo.lg.jp, b@city.chuo.lg.jp",
            ),
            event(WARD_C, old, event_id="c-hash", class_uid=1001, file_hash_sha256="AA" * 32),
            event(WARD_C, old, event_id="c-range", src_ip="198.51.100.77"),
            event(WARD_A, old, event_id="a-ua", class_uid=4002, user_agent="EvilBot/1.0"),
            event(WARD_A, old, event_id="a-private", src_ip="10.9.9.9"),
            event(WARD_A, old, event_id="a-google", class_uid=4003, dns_query="www.google.com"),
            event(WARD_A, old, event_id="a-strict", src_ip="192.0.2.200"),
            event(WARD_B, old, event_id="b-strict", src_ip="192.0.2.200"),
            event(WARD_A, old, event_id="a-amber", src_ip="192.0.2.201"),
            event(WARD_B, old, event_id="b-amber", src_ip="192.0.2.201"),
            event(WARD_A, too_old, event_id="a-too-old", src_ip="203.0.113.5"),
            event(WARD_A, old, event_id="a-own", src_ip="192.0.2.202"),
            event(WARD_B, old, event_id="b-own", src_ip="192.0.2.202"),
        ],
    )
    _ingest(
        env,
        [
            indicator("203.0.113.5"),
            indicator("evil-domain.example", kind="domain-name"),
            indicator("http://evil-domain.example/payload", kind="url"),
            indicator("billing@phish.example", kind="email-addr"),
            {**indicator("x"), "pattern": f"[file:hashes.'SHA-256' = '{'aa' * 32}']"},
            indicator("198.51.100.0/24"),
            {
                **indicator("x"),
                "pattern": (
                    "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = "
                    "'EvilBot/1.0']"
                ),
            },
            indicator("10.9.9.9"),
            indicator("www.google.com", kind="domain-name"),
            {**indicator("192.0.2.99"), "valid_until": "2020-01-01T00:00:00Z"},
        ],
    )
    _ingest(
        env,
        [indicator("192.0.2.201", tlp=TLP.AMBER)],
        audience_all=False,
        audience=audience_text([WARD_B]),
    )
    # Ward B keeps an AMBER+STRICT indicator for itself: only its own logs are hunted.
    _ingest(
        env, [indicator("192.0.2.200", tlp=TLP.AMBER_STRICT)], collection=ward_collection_id(WARD_B)
    )
    # Ward A's own GREEN object, not (yet) shared: only ward A's logs, only ward A sees it.
    _ingest(env, [indicator("192.0.2.202", tlp=TLP.GREEN)], collection=ward_collection_id(WARD_A))
    with env.db.session() as session:

        def searchable(principal: Principal) -> set[str]:
            return {v.value for v in search_indicators(session, principal, q="192.0.2.202")[0]}

        assert searchable(Principal(tenant=WARD_A, role=Role.WARD_IT)) == {"192.0.2.202"}
        assert searchable(Principal(tenant=WARD_B, role=Role.WARD_IT)) == set()
        assert searchable(Principal(tenant=JOINT, role=Role.SOC_ANALYST)) == set()

    with env.db.session() as session:
        warned = {v.value: v.warning for v in session.scalars(select(IndicatorValue)) if v.warning}
        assert set(warned) == {"10.9.9.9", "www.google.com"}
        assert session.scalar(select(Hunt).where(Hunt.state == "queued")) is not None
    hunts = hunting.run_queued_hunts(env.db, env.settings, env.data_dir, now)
    assert [h.state for h in hunts] == ["done"] and hunts[0].error == ""
    found = _sightings(env)
    assert found == {
        (WARD_A, "203.0.113.5", "src_ip", "a-ip"),
        (WARD_B, "203.0.113.5", "dst_ip", "b-ip"),
        (WARD_A, "evil-domain.example", "dns_query", "a-dns"),
        (WARD_A, "evil-domain.example", "url", "a-url"),
        (WARD_A, "http://evil-domain.example/payload", "url", "a-url"),
        (WARD_B, "billing@phish.example", "email_from", "b-mail"),
        (WARD_C, "aa" * 32, "file_hash_sha256", "c-hash"),
        (WARD_C, "198.51.100.0/24", "src_ip", "c-range"),
        (WARD_A, "EvilBot/1.0", "user_agent", "a-ua"),
        (WARD_B, "192.0.2.200", "src_ip", "b-strict"),
        (WARD_B, "192.0.2.201", "src_ip", "b-amber"),
        (WARD_A, "192.0.2.202", "src_ip", "a-own"),
    }
    assert hunts[0].hits == len(found)
    # The hit of ward B's own AMBER+STRICT indicator is ward B's alone, not the joint's.
    with env.db.session() as session:

        def values_for(principal: Principal) -> set[str]:
            return {s.value for s in session.scalars(hunting.visible_sightings(principal))}

        assert "192.0.2.200" in values_for(Principal(tenant=WARD_B, role=Role.WARD_IT))
        assert "192.0.2.200" not in values_for(Principal(tenant=JOINT, role=Role.SOC_ANALYST))
        assert "192.0.2.201" in values_for(Principal(tenant=JOINT, role=Role.SOC_ANALYST))
        assert (
            values_for(Principal(tenant=WARD_A, role=Role.WARD_IT)) & {"192.0.2.200", "192.0.2.201"}
            == set()
        )
    # Hunting again finds nothing new: a sighting is recorded once.
    _ingest(env, [indicator("203.0.113.5", ident=None)])
    again = hunting.run_queued_hunts(env.db, env.settings, env.data_dir, now)
    assert again[0].hits == 2  # only the new indicator's own sightings (wards A and B)
    with env.db.session() as session:
        assert len(session.scalars(select(Sighting)).all()) == len(found) + 2


def test_live_matching_reads_only_new_events(env: Runtime) -> None:
    now = env.clock.now()
    lake = env.data_dir.lake("soc")
    _ingest(env, [indicator("203.0.113.9")])
    write_events(
        lake, [event(WARD_A, now - timedelta(minutes=5), event_id="first", src_ip="203.0.113.9")]
    )
    assert hunting.match_new_events(env.db, env.settings, env.data_dir, now) == 1
    assert hunting.match_new_events(env.db, env.settings, env.data_dir, now) == 0
    write_events(
        lake, [event(WARD_B, now - timedelta(minutes=1), event_id="second", dst_ip="203.0.113.9")]
    )
    assert hunting.match_new_events(env.db, env.settings, env.data_dir, now) == 1
    assert {e for _, _, _, e in _sightings(env)} == {"first", "second"}
