"""Sigma correlation rules over base-rule matches, with real sliding windows.

Matches of the referenced rules are grouped by the correlation's ``group-by`` fields
(through ``aliases`` where the rules name them differently) and by ward — a ward's
alerts stay the ward's; what spans wards is the campaign detector's business. Per
group the matches of the last ``timespan`` are kept, ordered by event time:

* ``event_count`` / ``value_count`` with ``gt``/``gte``: fires as soon as the events
  (or distinct values of ``field``) inside any window of ``timespan`` ending at an event
  reach the threshold; the window then starts afresh, so one burst is one alert;
* ``lt``/``lte``/``eq``/``neq``: the count of a window is only known when it closes, so
  windows are anchored at their first event and judged when a later event falls outside
  them, or when ``flush`` says no earlier event can still arrive;
* ``temporal``: fires when at least ``count`` (default: all) of the referenced rules
  matched within one window; ``temporal_ordered`` in addition needs them in the order
  the rule lists them.

The state is plain data (``to_json``/``from_json``) so that incremental runs continue
windows across batches.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from rengo.soc.detect.rules import CompiledRule

_RISING = ("gt", "gte")


@dataclass(frozen=True, slots=True)
class BaseMatch:
    """One event matched by one (base) rule, with the fields correlations may group on."""

    rule_id: str
    event_id: str
    time: datetime
    ward: str
    fields: dict[str, str | None] = field(default_factory=dict)
    origin: str = "real"


@dataclass(frozen=True, slots=True)
class CorrelationHit:
    rule: CompiledRule
    ward: str
    group: dict[str, str | None]
    event_ids: tuple[str, ...]
    first_time: datetime
    last_time: datetime
    origin: str = "real"


def _condition_holds(op: str, value: int, threshold: int) -> bool:
    return {
        "gt": value > threshold,
        "gte": value >= threshold,
        "lt": value < threshold,
        "lte": value <= threshold,
        "eq": value == threshold,
        "neq": value != threshold,
    }[op]


@dataclass(slots=True)
class _Window:
    items: list[tuple[datetime, str, str, str | None]] = field(default_factory=list)
    """(time, event id, rule id, value) sorted by time."""


class CorrelationEngine:
    """Feeds base matches through every correlation rule; keeps windows between feeds."""

    def __init__(self, correlations: Iterable[CompiledRule]) -> None:
        self.correlations = [c for c in correlations if c.correlation is not None]
        self.windows: dict[str, dict[tuple[Any, ...], _Window]] = {
            c.id: {} for c in self.correlations
        }
        self.watermark: datetime | None = None
        self._origin_of: dict[str, str] = {}
        """Demo and exercise events in open windows (real is the default, not kept)."""

    @property
    def referenced_rules(self) -> set[str]:
        return {r for c in self.correlations for r in c.correlation.rules}  # type: ignore[union-attr]

    def fields_needed(self, rule_id: str) -> set[str]:
        """Fields of base rule ``rule_id`` that correlations group or count on."""
        needed: set[str] = set()
        for corr in self.correlations:
            spec = corr.correlation
            assert spec is not None
            if rule_id not in spec.rules:
                continue
            for name in (*spec.group_by, *([spec.field] if spec.field else [])):
                needed.add(spec.aliases.get(name, {}).get(rule_id, name))
        return needed

    # -- feeding ---------------------------------------------------------------------

    def feed(self, matches: Iterable[BaseMatch]) -> list[CorrelationHit]:
        hits: list[CorrelationHit] = []
        ordered = sorted(matches, key=lambda m: (m.time, m.event_id))
        for match in ordered:
            if match.origin != "real":
                self._origin_of[match.event_id] = match.origin
            for corr in self.correlations:
                spec = corr.correlation
                assert spec is not None
                if match.rule_id not in spec.rules:
                    continue
                hit = self._add(corr, match)
                if hit is not None:
                    hits.append(hit)
            if self.watermark is None or match.time > self.watermark:
                self.watermark = match.time
        return hits

    def _value(self, corr: CompiledRule, match: BaseMatch, name: str) -> str | None:
        spec = corr.correlation
        assert spec is not None
        actual = spec.aliases.get(name, {}).get(match.rule_id, name)
        value = match.fields.get(actual)
        return value.lower() if isinstance(value, str) else value

    def _add(self, corr: CompiledRule, match: BaseMatch) -> CorrelationHit | None:
        spec = corr.correlation
        assert spec is not None
        group_values = tuple(self._value(corr, match, g) for g in spec.group_by)
        key = (match.ward, *group_values)
        windows = self.windows[corr.id]
        window = windows.setdefault(key, _Window())
        value = self._value(corr, match, spec.field) if spec.field else None
        span = timedelta(seconds=spec.timespan_seconds)
        item = (match.time, match.event_id, match.rule_id, value)
        if spec.type in ("event_count", "value_count") and spec.op not in _RISING:
            return self._add_anchored(corr, key, window, item, span)
        bisect.insort(window.items, item)
        newest = window.items[-1][0]
        while window.items and window.items[0][0] < newest - span:
            window.items.pop(0)
        if self._fires(corr, window.items):
            hit = self._hit(corr, key, window.items)
            window.items = []
            return hit
        return None

    def _measure(
        self, corr: CompiledRule, items: list[tuple[datetime, str, str, str | None]]
    ) -> int:
        spec = corr.correlation
        assert spec is not None
        if spec.type == "value_count":
            return len({v for *_, v in items if v is not None})
        return len(items)

    def _fires(
        self, corr: CompiledRule, items: list[tuple[datetime, str, str, str | None]]
    ) -> bool:
        spec = corr.correlation
        assert spec is not None
        if spec.type in ("event_count", "value_count"):
            return _condition_holds(spec.op, self._measure(corr, items), spec.count)
        if spec.type == "temporal":
            return len({rule for _, _, rule, _ in items}) >= spec.count
        if spec.type == "temporal_ordered":
            position = 0
            for _, _, rule, _ in items:
                if position < len(spec.rules) and rule == spec.rules[position]:
                    position += 1
            return position >= min(spec.count, len(spec.rules))
        return False

    def _add_anchored(self, corr, key, window, item, span):  # type: ignore[no-untyped-def]
        hit = None
        if window.items and item[0] > window.items[0][0] + span:
            hit = self._close(corr, key, window)
        bisect.insort(window.items, item)
        return hit

    def _close(
        self, corr: CompiledRule, key: tuple[Any, ...], window: _Window
    ) -> CorrelationHit | None:
        spec = corr.correlation
        assert spec is not None
        items, window.items = window.items, []
        if items and _condition_holds(spec.op, self._measure(corr, items), spec.count):
            return self._hit(corr, key, items)
        return None

    def flush(self, now: datetime | None = None) -> list[CorrelationHit]:
        """Judge the anchored windows that have ended by ``now`` (default: all of them)."""
        hits = []
        for corr in self.correlations:
            spec = corr.correlation
            assert spec is not None
            if not (spec.type in ("event_count", "value_count") and spec.op not in _RISING):
                continue
            span = timedelta(seconds=spec.timespan_seconds)
            for key, window in self.windows[corr.id].items():
                if window.items and (now is None or window.items[0][0] + span < now):
                    hit = self._close(corr, key, window)
                    if hit is not None:
                        hits.append(hit)
        return hits

    def _hit(self, corr: CompiledRule, key: tuple[Any, ...], items: list[Any]) -> CorrelationHit:
        spec = corr.correlation
        assert spec is not None
        return CorrelationHit(
            rule=corr,
            ward=key[0],
            group=dict(zip(spec.group_by, key[1:], strict=True)),
            event_ids=tuple(event_id for _, event_id, _, _ in items),
            origin=next(
                (o for _, e, _, _ in items if (o := self._origin_of.pop(e, "real")) != "real"),
                "real",
            ),
            first_time=items[0][0],
            last_time=items[-1][0],
        )

    # -- state -----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "watermark": self.watermark.isoformat() if self.watermark else None,
            "windows": {
                rule_id: [
                    [list(key), [[t.isoformat(), e, r, v] for t, e, r, v in w.items]]
                    for key, w in groups.items()
                    if w.items
                ]
                for rule_id, groups in self.windows.items()
            },
        }

    def load_json(self, data: dict[str, Any]) -> None:
        watermark = data.get("watermark")
        self.watermark = datetime.fromisoformat(watermark) if watermark else None
        for rule_id, groups in (data.get("windows") or {}).items():
            if rule_id not in self.windows:
                continue
            for key, items in groups:
                self.windows[rule_id][tuple(key)] = _Window(
                    [(datetime.fromisoformat(t).astimezone(UTC), e, r, v) for t, e, r, v in items]
                )
