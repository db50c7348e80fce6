"""Running detection: incrementally on what the lake stores, or on demand over a time range.

``IncrementalDetector`` polls the lake's change cursor (``Lake.changes``), evaluates each
new event once, writes the detections to the alert queue and only then saves its state
(the cursor and the open correlation windows) — so a crash re-evaluates at most the
last batch, and the queue's idempotent linking of events to alerts absorbs it.

``hunt`` runs rules over ``Lake.scan(since, until)`` and yields detections without
touching the queue (``rengo soc detect --since … --until …``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from rengo.core.runtime import Runtime
from rengo.core.storage import DataDir, write_atomically
from rengo.core.types import TenantCode
from rengo.soc.detect.detector import Detection, Detector
from rengo.soc.detect.parquet_input import DETECT_COLUMNS
from rengo.soc.detect.rules import RuleSet, load_rules
from rengo.soc.detect.segments import SegmentRanges
from rengo.soc.detect.settings import DetectSettings
from rengo.soc.schema import EVENT_SCHEMA

MAX_COMMITS_PER_RUN = 64
"""Lake commits evaluated together: after a pause, a backlog is worked off in bounded steps."""


class EventSource(Protocol):
    """What detection needs of the lake (``rengo.soc.lake.Lake`` provides it)."""

    def scan(
        self,
        since: datetime,
        until: datetime,
        *,
        wards: list[TenantCode] | None = None,
        columns: list[str] | None = None,
        where: str = "",
        batch_rows: int = ...,
    ) -> Iterator[pa.RecordBatch]: ...

    def changes(
        self, cursor: int, *, columns: list[str] | None = ..., limit_commits: int = ...
    ) -> tuple[list[pa.RecordBatch], int]: ...


def open_lake(runtime: Runtime) -> EventSource:
    """The SOC lake of the data directory (from the ingest side of the SOC)."""
    try:
        from rengo.soc.lake import Lake
    except ImportError as error:  # pragma: no cover - until the lake lands on main
        raise RuntimeError("the SOC lake is not part of this build") from error
    return Lake(runtime.data_dir.lake("soc"))


def ward_segments(session: Session) -> SegmentRanges:
    """Each ward's three-layer segment ranges from the asset register (``%segment_*%``)."""
    from rengo.assets.service import segment_ranges
    from rengo.core.wards import wards

    return SegmentRanges(
        {
            ward.code: {name: sorted(cidrs) for name, cidrs in found.items()}
            for ward in wards()
            if (found := segment_ranges(session, ward.code))
        }
    )


def load_segments(runtime: Runtime) -> SegmentRanges:
    try:
        with runtime.db.session() as session:
            return ward_segments(session)
    except SQLAlchemyError:  # no state database (rules checked on a laptop): no segments
        return SegmentRanges()


def cache_dir(runtime: Runtime) -> Path:
    """Compiled rules, literal statistics and matcher databases, kept between runs."""
    return runtime.data_dir.files("soc") / "detect-cache"


def load_configured_rules(
    runtime: Runtime, extra_folders: Iterable[Path] = (), *, builtin: bool | None = None
) -> RuleSet:
    """Rules of the settings (and ``extra_folders``), placeholders from settings and register."""
    settings = runtime.settings.section(DetectSettings)
    return load_rules(
        [*settings.rule_folders, *extra_folders],
        placeholders=settings.placeholders,
        cache_dir=cache_dir(runtime),
        include_builtin=settings.builtin_rules if builtin is None else builtin,
    )


def _table(batches: list[pa.RecordBatch]) -> pa.Table:
    tables = [pa.Table.from_batches([b]) for b in batches if b.num_rows]
    if not tables:
        return EVENT_SCHEMA.empty_table()
    table = pa.concat_tables(tables, promote_options="default")
    return table.select([n for n in EVENT_SCHEMA.names if n in table.column_names])


def hunt(
    source: EventSource,
    rules: RuleSet,
    since: datetime,
    until: datetime,
    *,
    wards: list[TenantCode] | None = None,
    batch_rows: int = 200_000,
    workers: int = 1,
    cache_dir: Path | None = None,
    segments: SegmentRanges | None = None,
) -> Iterator[Detection]:
    """Detections over events with ``since <= time < until`` (nothing is written)."""
    detector = Detector(rules, workers=workers, cache_dir=cache_dir, segments=segments)
    try:
        pending: list[pa.RecordBatch] = []
        size = 0
        for batch in source.scan(since, until, wards=wards, batch_rows=batch_rows):
            pending.append(batch)
            size += batch.num_rows
            if size >= batch_rows:
                yield from detector.run(_table(pending))
                pending, size = [], 0
        if pending:
            yield from detector.run(_table(pending))
        yield from detector.flush()
    finally:
        detector.close()


def state_path(data_dir: DataDir) -> Path:
    """Where incremental detection keeps its cursor and open correlation windows."""
    return data_dir.files("soc") / "detect-state.json"


def detected_up_to(data_dir: DataDir) -> int | None:
    """The lake position incremental detection has evaluated — alerts for every event up
    to it are queued — or ``None`` when it never ran here."""
    try:
        return int(json.loads(state_path(data_dir).read_text("utf-8")).get("cursor", 0))
    except (FileNotFoundError, ValueError):
        return None


@dataclass
class RunReport:
    events: int = 0
    detections: int = 0
    new_alerts: int = 0
    campaigns: int = 0
    seconds: float = 0.0


class IncrementalDetector:
    """Each new event of the lake evaluated once; detections into the alert queue."""

    def __init__(self, runtime: Runtime, rules: RuleSet, source: EventSource) -> None:
        self.runtime = runtime
        self.settings: DetectSettings = runtime.settings.section(DetectSettings)
        self.source = source
        self.detector = Detector(
            rules,
            disabled=self._disabled(),
            workers=self.settings.workers,
            cache_dir=cache_dir(runtime),
            segments=load_segments(runtime),
        )
        self.state_path = state_path(runtime.data_dir)
        self.cursor = 0
        self._load()

    def _disabled(self) -> dict[str, set[str]]:
        from rengo.soc.alerts_ingest import rule_tuning

        with self.runtime.db.session() as session:
            return rule_tuning(session)[0]

    def _load(self) -> None:
        try:
            state: dict[str, Any] = json.loads(self.state_path.read_text("utf-8"))
        except (OSError, ValueError):
            return
        self.cursor = int(state.get("cursor", 0))
        self.detector.correlator.load_json(state.get("correlation") or {})

    def _save(self) -> None:
        state = {"cursor": self.cursor, "correlation": self.detector.correlator.to_json()}
        write_atomically(self.state_path, json.dumps(state).encode())

    def run_once(self) -> RunReport:
        """Evaluate what the lake stored since the last run; queue the detections."""
        from rengo.soc.alerts_ingest import ingest

        started = time.perf_counter()
        batches, cursor = self.source.changes(
            self.cursor, columns=list(DETECT_COLUMNS), limit_commits=MAX_COMMITS_PER_RUN
        )
        table = _table(batches)
        if table.num_rows:  # tuning and the register may have changed since the last batch
            self.detector.disabled = self._disabled()
            self.detector.segments = load_segments(self.runtime)
        report = RunReport(events=table.num_rows)
        detections = self.detector.run(table) if table.num_rows else []
        now = self.runtime.clock.now()
        detections += self.detector.flush(self.detector.correlator.watermark or now)
        if detections:
            with self.runtime.db.session() as session:
                result = ingest(session, detections, self.settings, now)
            report.new_alerts, report.campaigns = len(result.new_alerts), len(result.campaigns)
        report.detections = len(detections)
        self.cursor = cursor
        self._save()
        report.seconds = time.perf_counter() - started
        return report

    def close(self) -> None:
        self.detector.close()

    def follow(self, stop: threading.Event | None = None) -> Iterator[RunReport]:
        """Run until ``stop`` is set (forever without one), polling every ``poll_seconds``."""
        stop = stop or threading.Event()
        while not stop.is_set():
            report = self.run_once()
            yield report
            if report.events == 0:
                stop.wait(self.settings.poll_seconds)
