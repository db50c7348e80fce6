"""The demo logs go through the real parsers, land for all 23 wards, marked demo."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from rengo.soc.demo import PHISH_SUBJECT, SPRAY_IP, demo_batches
from rengo.soc.quarantine import quarantined
from rengo.soc.service import SocStore
from rengo.soc.stats import collect_stats


def test_demo_fills_every_ward_with_parsed_demo_events(soc_store: SocStore) -> None:
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    batches = demo_batches(now, random.Random(1), per_day=6)
    soc_store.spool.append(batches)
    soc_store.writer.drain()
    assert quarantined(soc_store.lake, wards=None) == []
    stats = collect_stats(soc_store.lake, wards=None, now=now, days=15)
    assert all(seen is not None for seen in stats.last_seen.values())
    assert len(stats.last_seen) == 23 and {c["origin"] for c in stats.counts} == {"demo"}
    connection = soc_store.lake.connect()
    source = soc_store.lake.events_source()
    [(spray_wards,)] = connection.sql(
        f"SELECT count(DISTINCT ward) FROM {source} WHERE src_ip = ? AND class_uid = 3002 AND "
        "status_id = 2",
        params=[SPRAY_IP],
    ).fetchall()
    [(phished,)] = connection.sql(
        f"SELECT count(DISTINCT ward) FROM {source} WHERE email_subject = ?", params=[PHISH_SUBJECT]
    ).fetchall()
    assert (spray_wards, phished) == (6, 3)
