"""The registry of the policy's targets.

Each domain declares its targets with ``register(Target(...))`` in its ``targets``
module. A target says what it measures, how the data is obtained, which setting holds
its threshold, and how to compute its value from the platform's own data — per ward
and for all wards together (key ``JOINT``). A target of a domain not built yet has
``compute=None`` and shows "planned"; nothing is ever typed in. A built domain computes
every target it declares (``tests/targets/test_registry.py`` checks it).
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from rengo.core.clock import JST, to_jst
from rengo.core.permissions import Principal
from rengo.core.settings import Settings, sections
from rengo.core.storage import DataDir
from rengo.core.types import TenantCode
from rengo.core.vocabulary import Term, vocabulary
from rengo.core.wards import JOINT


class Kind(enum.StrEnum):
    KGI = "KGI"
    KSI = "KSI"
    KPI = "KPI"


class Direction(enum.StrEnum):
    AT_LEAST = "at_least"
    AT_MOST = "at_most"
    TRACK = "track"
    """Counted and shown, with no pass/fail threshold (e.g. intelligence shared)."""


class Status(enum.StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    NO_DATA = "no_data"
    TRACKED = "tracked"
    PLANNED = "planned"
    """Its domain is not built yet: nothing computes it."""


STATUS_NAMES = vocabulary(
    Term(Status.MET, "達成", "Met"),
    Term(Status.NOT_MET, "未達成", "Not met"),
    Term(Status.NO_DATA, "データなし", "No data"),
    Term(Status.TRACKED, "計測中", "Tracked"),
    Term(Status.PLANNED, "計画中", "Planned"),
)


UNIT_NAMES = vocabulary(
    Term("%", "%", "%"),
    Term("件", "件", "items"),
    Term("回", "回", "times"),
    Term("人", "人", "people"),
    Term("時間", "時間", "hours"),
)
"""The units targets are counted in (``Target.unit``), named in each language."""


class Period(enum.StrEnum):
    SNAPSHOT = "snapshot"
    """State as of the evaluation time."""
    FISCAL_YEAR = "fiscal_year"
    """Japanese fiscal year (April–March) to date."""
    ROLLING_YEAR = "rolling_year"
    MONTH = "month"
    THREE_YEARS = "three_years"
    FIVE_YEARS = "five_years"


PERIOD_NAMES = vocabulary(
    Term(Period.SNAPSHOT, "現時点", "Now"),
    Term(Period.FISCAL_YEAR, "年度累計", "Fiscal year to date"),
    Term(Period.ROLLING_YEAR, "直近1年", "Last 12 months"),
    Term(Period.MONTH, "当月", "This month"),
    Term(Period.THREE_YEARS, "3年間", "Three years"),
    Term(Period.FIVE_YEARS, "5年間", "Five years"),
)


@dataclass(frozen=True, slots=True)
class Record:
    """One record a value was computed from, listed on the target's page so that an auditor
    can find it and recompute the value (its own page enforces who may open it)."""

    kind: str
    """What it is, an English msgid shown translated ("Incident", "Budget line" …)."""
    ref: str
    """Its id where the platform keeps it."""
    ward: str = ""
    on: str = ""
    """Its date (ISO), where it has one."""
    amount: float | None = None
    """Its figure in the computation (yen, hours, people …)."""
    note: str = ""
    """Its role in the computation, e.g. "baseline" or "after" (an English msgid)."""
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Measurement:
    value: float | None
    detail: dict[str, Any] = field(default_factory=dict)
    """What the value was computed from (numerator, denominator, counts…)."""
    records: tuple[Record, ...] = ()
    """The records themselves (on the overall value), for the evidence list."""


@dataclass(frozen=True, slots=True)
class TargetContext:
    session: Session
    settings: Settings
    data_dir: DataDir
    as_of: datetime
    start: datetime
    """Start of the target's period ending at ``as_of``."""


Compute = Callable[[TargetContext], dict[TenantCode, Measurement]]


@dataclass(frozen=True, slots=True)
class Target:
    id: str
    measure: int
    """1 joint cyber defence, 2 cost, 3 EBPM/open data; 0 the shared register."""
    kind: Kind
    name_ja: str
    name_en: str
    formula_ja: str
    formula_en: str
    source_ja: str
    source_en: str
    """How the data is obtained (the paper's データ取得方法), made real."""
    unit: str
    direction: Direction
    threshold_setting: str | None
    """Dotted path of the setting holding the threshold, e.g. 'policy.cloud_savings_pct'."""
    period: Period
    domain: str
    compute: Compute | None = None
    threshold_value: float | None = None
    """A fixed threshold where the policy states one that is not a setting (e.g. zero)."""
    evidence_path: str | None = None
    """A page that shows what the value was computed from."""
    per_ward: bool = True

    def name(self, language: str) -> str:
        return self.name_ja if language == "ja" else self.name_en

    def formula(self, language: str) -> str:
        return self.formula_ja if language == "ja" else self.formula_en

    def source(self, language: str) -> str:
        return self.source_ja if language == "ja" else self.source_en

    def threshold(self, settings: Settings) -> float | None:
        if self.threshold_setting is None:
            return self.threshold_value
        group, *path = self.threshold_setting.split(".")
        value: Any = (
            getattr(settings, group)
            if group in Settings.model_fields
            else settings.section(sections()[group])  # a domain's own section
        )
        for part in path:
            value = getattr(value, part)
        return float(value)

    def status(self, value: float | None, settings: Settings) -> Status:
        if self.compute is None:
            return Status.PLANNED
        if value is None:
            return Status.NO_DATA
        threshold = self.threshold(settings)
        if self.direction is Direction.TRACK or threshold is None:
            return Status.TRACKED
        if self.direction is Direction.AT_LEAST:
            return Status.MET if value >= threshold else Status.NOT_MET
        return Status.MET if value <= threshold else Status.NOT_MET


def visible_records(records: tuple[Record, ...], principal: Principal) -> list[Record]:
    """The records a principal may see listed: the joint centre every one; a ward its own
    and those of no ward (or of the joint centre)."""
    if principal.is_joint:
        return list(records)
    return [r for r in records if r.ward in ("", JOINT, principal.tenant)]


_targets: dict[str, Target] = {}


def register(target: Target) -> Target:
    if target.id in _targets and _targets[target.id] != target:
        raise ValueError(f"target {target.id!r} registered twice")
    _targets[target.id] = target
    return target


def declare(path: Path, computes: Mapping[str, Compute]) -> list[Target]:
    """Register the targets a domain declares in ``path`` (a TOML file of ``[[target]]``
    tables, in the order they are listed), each computed by the function its ``compute``
    names in ``computes``. The wording, units and thresholds are data; only the
    computation is code."""
    with path.open("rb") as handle:
        declared = tomllib.load(handle)["target"]
    named = {entry["compute"] for entry in declared if "compute" in entry}
    if unknown := named - computes.keys():
        raise ValueError(f"{path.name}: no compute function named {sorted(unknown)}")
    if unused := computes.keys() - named:
        raise ValueError(f"{path.name}: compute functions no target uses: {sorted(unused)}")
    out = []
    for entry in declared:
        fields = dict(entry)
        compute = computes[fields.pop("compute")] if "compute" in fields else None
        threshold = fields.pop("threshold_value", None)
        out.append(
            register(
                Target(
                    **fields
                    | {
                        "kind": Kind(fields["kind"]),
                        "direction": Direction(fields["direction"]),
                        "period": Period(fields["period"]),
                        "threshold_setting": fields.get("threshold_setting"),
                        "compute": compute,
                        "threshold_value": None if threshold is None else float(threshold),
                    }
                )
            )
        )
    return out


def targets() -> list[Target]:
    kind_order = {Kind.KGI: 0, Kind.KSI: 1, Kind.KPI: 2}
    return sorted(_targets.values(), key=lambda t: (t.measure, kind_order[t.kind], t.id))


def get_target(target_id: str) -> Target:
    try:
        return _targets[target_id]
    except KeyError:
        raise KeyError(target_id) from None


def fiscal_year_start(moment: datetime) -> datetime:
    """1 April 00:00 JST of the Japanese fiscal year containing ``moment``."""
    local = to_jst(moment)
    year = local.year if local.month >= 4 else local.year - 1
    return datetime(year, 4, 1, tzinfo=JST)


def period_start(period: Period, as_of: datetime) -> datetime:
    local = to_jst(as_of)
    if period is Period.FISCAL_YEAR:
        return fiscal_year_start(as_of)
    if period is Period.MONTH:
        return datetime(local.year, local.month, 1, tzinfo=JST)
    if period is Period.ROLLING_YEAR:
        return as_of - timedelta(days=365)
    if period is Period.THREE_YEARS:
        return as_of - timedelta(days=3 * 365)
    if period is Period.FIVE_YEARS:
        return as_of - timedelta(days=5 * 365)
    return datetime(2000, 1, 1, tzinfo=JST)


def month_ends(as_of: datetime, count: int) -> list[datetime]:
    """``as_of`` and the ends of the ``count - 1`` months before it, oldest first."""
    local = to_jst(as_of)
    points = [as_of]
    first = date(local.year, local.month, 1)
    for _ in range(count - 1):
        points.append(
            datetime(first.year, first.month, first.day, tzinfo=JST) - timedelta(seconds=1)
        )
        prev = first - timedelta(days=1)
        first = date(prev.year, prev.month, 1)
    return sorted(points)
