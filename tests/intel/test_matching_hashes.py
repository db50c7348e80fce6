"""MD5 and SHA-1 file-hash indicators hunted in every ward's events (issue #6): each
STIX spelling of the hash, any case on either side, the ward and event of each hit, and
lake files written before the hash columns existed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy import select

from rengo.core.permissions import SYSTEM
from rengo.core.runtime import Runtime
from rengo.intel import hunting
from rengo.intel.collections import FEEDS, get_collection
from rengo.intel.ingest import ingest
from rengo.intel.models import Sighting
from tests.helpers import WARD_A, WARD_B
from tests.intel.helpers import event, indicator, write_events

WARD_C = "131032"
MD5, SHA1 = "3c99b2e97f120eeacdf353ed2ec8dc74", "cb11bd0766cf29a342e0084f960bcee50caee31c"
SHA256 = "5998fecc082534314928e4d49c1d366259a73422fe429a0ff6eaa3d6f5577a8d"
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def _hash_indicator(pattern: str, ident: str) -> dict[str, Any]:
    return {**indicator("x", ident=f"indicator--{ident}"), "pattern": pattern}


def _ingest(env: Runtime, objects: list[dict[str, Any]]) -> None:
    with env.db.session() as session:
        target = get_collection(session, SYSTEM, FEEDS)
        ingest(session, env.settings, SYSTEM, target, objects, now=env.clock.now(), source="test")


def _sightings(env: Runtime) -> set[tuple[str, str, str, str, str, str]]:
    with env.db.session() as session:
        return {
            (s.ward, s.stix_id.removeprefix("indicator--"), s.kind, s.value, s.field, s.event_id)
            for s in session.scalars(select(Sighting))
        }


IDS = {
    "md5": "00000000-0000-4000-8000-000000000001",
    "sha1-quoted": "00000000-0000-4000-8000-000000000002",
    "sha1-bare": "00000000-0000-4000-8000-000000000003",
    "empty": "00000000-0000-4000-8000-000000000004",
    "sha256": "00000000-0000-4000-8000-000000000005",
}
INDICATORS = [
    _hash_indicator(f"[file:hashes.MD5 = '{MD5.upper()}']", IDS["md5"]),
    # A hash alone identifies the file: matched even under AND with other properties.
    _hash_indicator(
        f"[file:hashes.'SHA-1' = '{SHA1}' AND file:name = 'invoice.exe']", IDS["sha1-quoted"]
    ),
    _hash_indicator(f"[file:hashes.SHA1 = '{SHA1.upper()}']", IDS["sha1-bare"]),
    _hash_indicator(f"[file:hashes.MD5 = '{EMPTY_MD5}']", IDS["empty"]),
    _hash_indicator(f"[file:hashes.'SHA-256' = '{SHA256}']", IDS["sha256"]),
]


def test_md5_and_sha1_indicators_hit_the_events_that_carry_them(env: Runtime) -> None:
    old = env.clock.now() - timedelta(days=3)
    write_events(
        env.data_dir.lake("soc"),
        [
            # Upper case as some sources store it; the parsers write lower case.
            event(
                WARD_A,
                old,
                event_id="a-proc",
                class_uid=1007,
                file_hash_md5=MD5.upper(),
                file_hash_sha1=None,
                file_hash_sha256="ee" * 32,
            ),
            event(WARD_B, old, event_id="b-file", class_uid=1001, file_hash_sha1=SHA1),
            event(
                WARD_C,
                old,
                event_id="c-other",
                class_uid=1001,
                file_hash_md5="ab" * 16,
                file_hash_sha1="cd" * 20,
            ),
            event(WARD_C, old, event_id="c-empty", class_uid=1001, file_hash_md5=EMPTY_MD5),
            event(WARD_C, old, event_id="c-ip", src_ip=MD5),  # a hash in another field: no hit
        ],
    )
    _ingest(env, INDICATORS)
    hunts = hunting.run_queued_hunts(env.db, env.settings, env.data_dir, env.clock.now())
    assert [(h.state, h.error) for h in hunts] == [("done", "")]
    found = _sightings(env)
    assert found == {
        (WARD_A, IDS["md5"], "md5", MD5, "file_hash_md5", "a-proc"),
        (WARD_B, IDS["sha1-quoted"], "sha1", SHA1, "file_hash_sha1", "b-file"),
        (WARD_B, IDS["sha1-bare"], "sha1", SHA1, "file_hash_sha1", "b-file"),
    }  # the MD5 of empty content is on a warning list: stored, never a hit
    assert hunts[0].hits == len(found) and hunts[0].events == 5


def _strip_hash_columns(lake_root: Path) -> None:
    """Make every event file look written before file_hash_md5/file_hash_sha1 existed."""
    for path in (lake_root / "events").rglob("*.parquet"):
        table = pq.read_table(path).drop_columns(["file_hash_md5", "file_hash_sha1"])
        pq.write_table(table, path)


def test_hash_hunts_over_files_written_before_the_hash_columns(env: Runtime) -> None:
    now = env.clock.now()
    lake = env.data_dir.lake("soc")
    write_events(
        lake,
        [
            event(
                WARD_C,
                now - timedelta(hours=2),
                event_id="c-old",
                class_uid=1001,
                file_hash_sha256=SHA256,
            )
        ],
    )
    _strip_hash_columns(lake)
    _ingest(env, INDICATORS)
    # Live matching reads only the old files; so does the retro-hunt the indicators queued.
    assert hunting.match_new_events(env.db, env.settings, env.data_dir, now) == 1
    hunts = hunting.run_queued_hunts(env.db, env.settings, env.data_dir, now)
    assert [(h.state, h.error, h.events) for h in hunts] == [("done", "", 1)]
    write_events(
        lake,
        [
            event(
                WARD_A,
                now - timedelta(minutes=1),
                event_id="a-new",
                class_uid=1007,
                file_hash_md5=MD5,
                file_hash_sha1=SHA1,
            )
        ],
    )
    assert hunting.match_new_events(env.db, env.settings, env.data_dir, now) == 3
    assert _sightings(env) == {
        (WARD_C, IDS["sha256"], "sha256", SHA256, "file_hash_sha256", "c-old"),
        (WARD_A, IDS["md5"], "md5", MD5, "file_hash_md5", "a-new"),
        (WARD_A, IDS["sha1-quoted"], "sha1", SHA1, "file_hash_sha1", "a-new"),
        (WARD_A, IDS["sha1-bare"], "sha1", SHA1, "file_hash_sha1", "a-new"),
    }
