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

from rengo.core.types import TenantCode
from rengo.soc.detect.rules import CompiledRule, Correlation

_RISING = ("gt", "gte")
REAL: tuple[str, str | None] = ("real", None)


@dataclass(frozen=True, slots=True)
class BaseMatch:
    """One event matched by one (base) rule, with the fields correlations may group on."""

    rule_id: str
    event_id: str
    time: datetime
    ward: TenantCode
    fields: dict[str, str | None] = field(default_factory=dict)
    origin: str = "real"
    exercise: str | None = None
    """The exercise (``EX-…``) whose telemetry this event is (``origin=exercise``)."""


@dataclass(frozen=True, slots=True)
class CorrelationHit:
    rule: CompiledRule
    ward: TenantCode
    group: dict[str, str | None]
    event_ids: tuple[str, ...]
    first_time: datetime
    last_time: datetime
    origin: str = "real"
    exercise: str | None = None


def is_anchored(spec: Correlation) -> bool:
    """Windows judged only when they close: counts that must stay low, and extended
    temporal conditions with ``not`` (an absence is known only at the end)."""
    if spec.type in ("event_count", "value_count"):
        return spec.op not in _RISING
    return spec.expression is not None and _negated(spec.expression)


def _negated(expression: list[Any]) -> bool:
    if expression[0] == "not":
        return True
    return expression[0] in ("and", "or") and any(_negated(e) for e in expression[1])


def holds(expression: list[Any], seen: set[str]) -> bool:
    """An extended condition over the rules that matched in a window."""
    op = expression[0]
    if op == "rule":
        return expression[1] in seen
    if op == "not":
        return not holds(expression[1], seen)
    results = (holds(e, seen) for e in expression[1])
    return all(results) if op == "and" else any(results)


def _lowered(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


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
    values: dict[str | None, int] = field(default_factory=dict)
    """How many items hold each value (``value_count`` without recounting the window)."""

    def __post_init__(self) -> None:
        for *_, value in self.items:
            self.values[value] = self.values.get(value, 0) + 1

    def add(self, item: tuple[datetime, str, str, str | None]) -> None:
        if not self.items or item >= self.items[-1]:
            self.items.append(item)
        else:
            bisect.insort(self.items, item)
        self.values[item[3]] = self.values.get(item[3], 0) + 1

    def drop_before(self, start: datetime) -> None:
        stale = 0
        while stale < len(self.items) and self.items[stale][0] < start:
            value = self.items[stale][3]
            self.values[value] -= 1
            if not self.values[value]:
                del self.values[value]
            stale += 1
        if stale:
            del self.items[:stale]

    def clear(self) -> None:
        self.items, self.values = [], {}

    def distinct_values(self) -> int:
        return len(self.values) - (None in self.values)


_Route = tuple[CompiledRule, tuple[str, ...], str | None, timedelta, bool]
"""A correlation a base rule feeds: (rule, its group-by fields and counted field as this
base rule names them, timespan, windows anchored at their first event)."""


class CorrelationEngine:
    """Feeds base matches through every correlation rule; keeps windows between feeds."""

    def __init__(self, correlations: Iterable[CompiledRule]) -> None:
        self.correlations = [c for c in correlations if c.correlation is not None]
        self.windows: dict[str, dict[tuple[Any, ...], _Window]] = {
            c.id: {} for c in self.correlations
        }
        self.watermark: datetime | None = None
        self._origin_of: dict[str, tuple[str, str | None]] = {}
        """Demo and exercise events in open windows (real is the default, not kept)."""
        self._routes: dict[str, list[_Route]] = {}
        for corr in self.correlations:
            spec = corr.correlation
            assert spec is not None
            anchored = is_anchored(spec)
            for rule_id in dict.fromkeys(spec.rules):
                named = {
                    n: spec.aliases.get(n, {}).get(rule_id, n)
                    for n in (*spec.group_by, spec.field)
                    if n
                }
                self._routes.setdefault(rule_id, []).append(
                    (
                        corr,
                        tuple(named[g] for g in spec.group_by),
                        named[spec.field] if spec.field else None,
                        timedelta(seconds=spec.timespan_seconds),
                        anchored,
                    )
                )

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
                self._origin_of[match.event_id] = (match.origin, match.exercise)
            for route in self._routes.get(match.rule_id, ()):
                hit = self._add(route, match)
                if hit is not None:
                    hits.append(hit)
            if self.watermark is None or match.time > self.watermark:
                self.watermark = match.time
        return hits

    def _add(self, route: _Route, match: BaseMatch) -> CorrelationHit | None:
        corr, group_fields, value_field, span, anchored = route
        get = match.fields.get
        key = (match.ward, *(_lowered(get(name)) for name in group_fields))
        window = self.windows[corr.id].get(key)
        if window is None:
            window = self.windows[corr.id][key] = _Window()
        value = _lowered(get(value_field)) if value_field else None
        item = (match.time, match.event_id, match.rule_id, value)
        if anchored:
            return self._add_anchored(corr, key, window, item, span)
        window.add(item)
        window.drop_before(window.items[-1][0] - span)
        if self._fires(corr, window):
            hit = self._hit(corr, key, window.items)
            window.clear()
            return hit
        return None

    def _measure(self, corr: CompiledRule, window: _Window) -> int:
        spec = corr.correlation
        assert spec is not None
        if spec.type == "value_count":
            return window.distinct_values()
        return len(window.items)

    def _fires(self, corr: CompiledRule, window: _Window) -> bool:
        spec = corr.correlation
        assert spec is not None
        items = window.items
        if spec.type in ("event_count", "value_count"):
            return _condition_holds(spec.op, self._measure(corr, window), spec.count)
        if spec.type == "temporal":
            seen = {rule for _, _, rule, _ in items}
            if spec.expression is not None:
                return holds(spec.expression, seen)
            return len(seen) >= spec.count
        if spec.type == "temporal_ordered":
            position = 0
            for _, _, rule, _ in items:
                if position < len(spec.rules) and rule == spec.rules[position]:
                    position += 1
            return position >= min(spec.count, len(spec.rules))
        return False

    def _add_anchored(
        self,
        corr: CompiledRule,
        key: tuple[Any, ...],
        window: _Window,
        item: tuple[datetime, str, str, str | None],
        span: timedelta,
    ) -> CorrelationHit | None:
        hit = None
        if window.items and item[0] > window.items[0][0] + span:
            hit = self._close(corr, key, window)
        window.add(item)
        return hit

    def _close(
        self, corr: CompiledRule, key: tuple[Any, ...], window: _Window
    ) -> CorrelationHit | None:
        spec = corr.correlation
        assert spec is not None
        items = window.items
        met = bool(items) and (
            self._fires(corr, window)
            if spec.type == "temporal"
            else _condition_holds(spec.op, self._measure(corr, window), spec.count)
        )
        window.clear()
        return self._hit(corr, key, items) if met else None

    def flush(self, now: datetime | None = None) -> list[CorrelationHit]:
        """Judge the anchored windows that have ended by ``now`` (default: all of them)."""
        hits = []
        for corr in self.correlations:
            spec = corr.correlation
            assert spec is not None
            if not is_anchored(spec):
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
        tags = [self._origin_of.pop(e, REAL) for _, e, _, _ in items]
        tag = next((t for t in tags if t[0] != "real"), REAL)
        return CorrelationHit(
            rule=corr,
            ward=key[0],
            group=dict(zip(spec.group_by, key[1:], strict=True)),
            event_ids=tuple(event_id for _, event_id, _, _ in items),
            origin=tag[0],
            exercise=tag[1],
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
