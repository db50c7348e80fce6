"""Detections: what a rule found, ready for the alert queue or a JSON line.

``Detector`` runs the engine and the correlation engine over EVENT_SCHEMA batches and
returns ``Detection`` records: one per matched event for single-event rules, one per
fired window for correlations. Base rules used only by correlations stay silent
(Sigma: unless the correlation says ``generate``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from rengo.core.types import TenantCode
from rengo.soc.detect.columns import Columns
from rengo.soc.detect.correlation import BaseMatch, CorrelationEngine, CorrelationHit
from rengo.soc.detect.engine import Engine, RuleHits
from rengo.soc.detect.parallel import ParallelEngine
from rengo.soc.detect.rules import RuleSet
from rengo.soc.detect.segments import SegmentRanges

# Where a host, a user and a source address are, in order of preference.
HOST_FIELDS = ("device_hostname", "Computer", "Workstation", "WorkstationName")
USER_FIELDS = ("user_name", "TargetUserName", "User", "SubjectUserName", "AccountName")
SOURCE_FIELDS = ("src_ip", "IpAddress", "SourceIp", "SourceAddress")


EXERCISE_SOURCE = "exercise:"
"""An exercise's telemetry is sent with ``source=exercise:<id>`` (OCSF
``metadata.log_name``) and ``origin=exercise``: the tag travels with each event."""


def exercise_ids(origins: list[str], sources: list[str | None]) -> list[str | None]:
    """The exercise id of each event (``None`` for all but exercise telemetry)."""
    return [
        s[len(EXERCISE_SOURCE) :][:32]
        if o == "exercise" and s and s.startswith(EXERCISE_SOURCE)
        else None
        for o, s in zip(origins, sources, strict=True)
    ]


@dataclass(frozen=True, slots=True)
class Detection:
    rule_id: str
    title: str
    level: str
    techniques: tuple[str, ...]
    pack: str
    kind: str
    """sigma | correlation"""
    ward: TenantCode
    origin: str
    event_ids: tuple[str, ...]
    first_time: datetime
    last_time: datetime
    host: str | None = None
    user: str | None = None
    src_ip: str | None = None
    group: dict[str, Any] = field(default_factory=dict)
    exercise: str | None = None
    """The exercise (``EX-…``) whose telemetry raised it, from its events' ``source``."""

    def to_json(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "title": self.title,
            "level": self.level,
            "kind": self.kind,
            "ward": self.ward,
            "time": self.last_time.isoformat(),
            "first_time": self.first_time.isoformat(),
            "event_ids": list(self.event_ids),
            "techniques": list(self.techniques),
            "host": self.host,
            "user": self.user,
            "src_ip": self.src_ip,
            "group": self.group,
        }


def _first_present(columns: Columns, names: Iterable[str], rows: np.ndarray) -> list[str | None]:
    out: list[str | None] = [None] * len(rows)
    for name in names:
        values = columns.get(name).take(pa.array(rows)).to_pylist()
        out = [o if o not in (None, "", "-") else v for o, v in zip(out, values, strict=True)]
    return [v if v not in ("", "-") else None for v in out]


class Detector:
    """Rules over batches of events; correlation windows persist between batches."""

    def __init__(
        self,
        rules: RuleSet,
        *,
        disabled: dict[str, set[str]] | None = None,
        workers: int = 1,
        cache_dir: Path | None = None,
        segments: SegmentRanges | None = None,
    ) -> None:
        self.rules = rules
        self.engine: Engine | ParallelEngine = (
            ParallelEngine(
                rules.detections, workers=workers, disabled=disabled, cache_dir=cache_dir
            )
            if workers > 1
            else Engine(rules.detections, disabled=disabled, cache_dir=cache_dir)
        )
        self.engine.segments = segments or SegmentRanges()
        self.correlator = CorrelationEngine(rules.correlations)
        self._referenced = self.correlator.referenced_rules
        self._techniques = {rule.id: rule.techniques for rule in rules.rules}

    @property
    def disabled(self) -> dict[str, set[str]]:
        """Rule ids switched off per ward ("*": all) — tuning can change between batches."""
        return self.engine.disabled

    @disabled.setter
    def disabled(self, value: dict[str, set[str]]) -> None:
        self.engine.disabled = value

    @property
    def segments(self) -> SegmentRanges:
        """Each ward's three-layer segments — the asset register can change too."""
        return self.engine.segments

    @segments.setter
    def segments(self, value: SegmentRanges) -> None:
        self.engine.segments = value

    def run(self, table: pa.Table) -> list[Detection]:
        if table.num_rows == 0:
            return []
        table = (
            table.combine_chunks()
            if isinstance(table, pa.Table)
            else pa.Table.from_batches([table])
        )
        return self._detections([(table, self.engine.evaluate(table))])

    def run_parts(self, loaders: Sequence[Callable[[], pa.Table]]) -> list[Detection]:
        """``run`` over the parts ``loaders`` read, each read where it is evaluated."""
        if isinstance(self.engine, ParallelEngine):
            return self._detections(self.engine.evaluate_parts(loaders))
        table = pa.concat_tables([load() for load in loaders]).combine_chunks()
        return self._detections([(table, self.engine.evaluate(table))]) if table.num_rows else []

    def _detections(self, parts: list[tuple[pa.Table, list[RuleHits]]]) -> list[Detection]:
        detections: list[Detection] = []
        base: list[BaseMatch] = []
        for table, hits in parts:
            if hits:
                self._from_part(table, hits, detections, base)
        detections += [self._correlated(h) for h in self.correlator.feed(base)]
        return detections

    def _from_part(
        self,
        table: pa.Table,
        hits: list[RuleHits],
        detections: list[Detection],
        base: list[BaseMatch],
    ) -> None:
        matched_rows = np.unique(np.concatenate([h.rows for h in hits]))
        extra = {
            f
            for h in hits
            if h.rule.id in self._referenced
            for f in self.correlator.fields_needed(h.rule.id)
        }
        # Only the matched rows become Python objects (a batch has hundreds of thousands).
        matched = table.take(pa.array(matched_rows))
        columns = Columns(matched, [*HOST_FIELDS, *USER_FIELDS, *SOURCE_FIELDS, *extra])
        everywhere = np.arange(len(matched_rows))
        ids, times = matched.column("event_id").to_pylist(), matched.column("time").to_pylist()
        wards, origins = matched.column("ward").to_pylist(), matched.column("origin").to_pylist()
        exercises = exercise_ids(
            origins,
            matched.column("source").to_pylist()
            if "source" in matched.column_names
            else [None] * len(origins),
        )
        hosts = _first_present(columns, HOST_FIELDS, everywhere)
        users = _first_present(columns, USER_FIELDS, everywhere)
        sources = _first_present(columns, SOURCE_FIELDS, everywhere)
        for hit in hits:
            local = np.searchsorted(matched_rows, hit.rows)
            rows = local.tolist()
            if hit.rule.id in self._referenced:
                needed = sorted(self.correlator.fields_needed(hit.rule.id))
                values = [columns.get(n).take(pa.array(local)).to_pylist() for n in needed]
                base += [
                    BaseMatch(
                        hit.rule.id,
                        ids[r],
                        times[r],
                        wards[r],
                        dict(zip(needed, row, strict=True)),
                        origins[r],
                        exercises[r],
                    )
                    for r, row in zip(
                        rows, zip(*values, strict=True) if needed else [()] * len(rows), strict=True
                    )
                ]
            if not hit.rule.emits_alerts:
                continue
            rule, techniques = hit.rule, self._techniques[hit.rule.id]
            detections += [
                Detection(
                    rule.id,
                    rule.title,
                    rule.level,
                    techniques,
                    rule.pack,
                    "sigma",
                    wards[r],
                    origins[r],
                    (ids[r],),
                    times[r],
                    times[r],
                    hosts[r],
                    users[r],
                    sources[r],
                    exercise=exercises[r],
                )
                for r in rows
            ]

    def close(self) -> None:
        if isinstance(self.engine, ParallelEngine):
            self.engine.close()

    def flush(self, now: datetime | None = None) -> list[Detection]:
        """Correlation windows that can be judged only when they are over."""
        return [self._correlated(h) for h in self.correlator.flush(now)]

    @staticmethod
    def _correlated(hit: CorrelationHit) -> Detection:
        rule = hit.rule
        group = {k: v for k, v in hit.group.items()}
        return Detection(
            rule.id,
            rule.title,
            rule.level,
            rule.techniques,
            rule.pack,
            "correlation",
            hit.ward,
            hit.origin,
            hit.event_ids,
            hit.first_time,
            hit.last_time,
            host=group.get("Computer") or group.get("device_hostname"),
            user=group.get("user_name") or group.get("TargetUserName") or group.get("User"),
            src_ip=group.get("src_ip") or group.get("IpAddress"),
            group=group,
            exercise=hit.exercise,
        )
