"""Actuals of live-metric indicators stored per period, so that history (the KGI's
five-year improvement) comes from records rather than only from today's value.

An indicator linked to a scoreboard target (``source`` metric) gets one actual per fiscal
quarter or fiscal year (``ebpm.snapshot_period``), dated at the period's end, with the
target as its source and the time it was taken. The worker refreshes the current period's
snapshot when it is older than ``ebpm.snapshot_refresh_hours``; policy staff take one on
demand (the model's page, ``POST /api/v1/ebpm/policies/{id}/snapshots``,
``rengo ebpm snapshot``). A period that has ended keeps its last snapshot.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core.clock import JST
from rengo.core.permissions import Principal, require
from rengo.core.settings import Settings
from rengo.core.storage import DataDir
from rengo.ebpm.indicators import metric_values, value_for
from rengo.ebpm.models import Actual, Indicator
from rengo.ebpm.policies import audit_policy, visible_policy
from rengo.ebpm.settings import EbpmSettings
from rengo.targets.registry import Measurement

SnapshotPeriod = Literal["quarter", "year"]
QUARTER_ENDS = {4: (6, 30), 5: (6, 30), 6: (6, 30), 7: (9, 30), 8: (9, 30), 9: (9, 30)}
QUARTER_ENDS |= {10: (12, 31), 11: (12, 31), 12: (12, 31), 1: (3, 31), 2: (3, 31), 3: (3, 31)}


def period_end(moment: datetime, period: SnapshotPeriod) -> date:
    """The last day of the fiscal quarter or fiscal year (April–March, JST) of ``moment``."""
    day = moment.astimezone(JST).date()
    if period == "year":
        return date(day.year + 1 if day.month >= 4 else day.year, 3, 31)
    month, last = QUARTER_ENDS[day.month]
    return date(day.year, month, last)


def source_of(indicator: Indicator) -> str:
    return f"metric:{indicator.metric_target}"


def _store(
    indicator: Indicator,
    measured: Measurement,
    end: date,
    now: datetime,
    found: Actual | None,
    session: Session,
) -> Actual:
    actual = found
    if actual is None:
        actual = Actual(indicator_id=indicator.id, period_end=end, value=0.0)
        session.add(actual)
    detail = ", ".join(f"{k}={v}" for k, v in sorted(measured.detail.items()))[:160]
    actual.value = float(measured.value or 0.0)
    actual.margin, actual.source, actual.recorded_at = None, source_of(indicator), now
    actual.note = f"snapshot {indicator.metric_target} {detail}".strip()[:200]
    return actual


def take(
    session: Session,
    settings: Settings,
    data_dir: DataDir,
    now: datetime,
    indicators: list[Indicator],
    *,
    older_than: timedelta | None = None,
) -> list[Actual]:
    """Store the current period's actual of each live-metric indicator (those without a
    value for their ward are passed over); with ``older_than``, only where the stored
    snapshot is at least that old."""
    end = period_end(now, settings.section(EbpmSettings).snapshot_period)
    linked = [i for i in indicators if i.source == "metric" and i.metric_target]
    if not linked:
        return []
    stored = {
        a.indicator_id: a
        for a in session.scalars(
            select(Actual).where(
                Actual.indicator_id.in_([i.id for i in linked]), Actual.period_end == end
            )
        )
    }
    cache: dict[str, dict[str, Measurement]] = {}
    taken = []
    for indicator in linked:
        found = stored.get(indicator.id)
        if older_than is not None and found is not None and found.recorded_at > now - older_than:
            continue
        target = str(indicator.metric_target)
        if target not in cache:
            cache[target] = metric_values(session, settings, data_dir, target, now)
        measured = value_for(cache[target], indicator.tenant)
        if measured is None or measured.value is None:
            continue
        taken.append(_store(indicator, measured, end, now, found, session))
    session.flush()
    return taken


def take_for_policy(
    session: Session,
    principal: Principal,
    settings: Settings,
    data_dir: DataDir,
    now: datetime,
    policy_id: int,
    *,
    client: str = "",
) -> list[Actual]:
    """Policy staff take the snapshot of a policy's live-metric indicators now."""
    policy = visible_policy(session, principal, policy_id)
    require(principal, "ebpm.policies.write", policy.tenant, hide=True)
    linked = list(session.scalars(select(Indicator).where(Indicator.policy_id == policy.id)))
    taken = take(session, settings, data_dir, now, linked)
    audit_policy(
        session,
        principal,
        "snapshot",
        policy,
        client,
        {"indicators": [a.indicator_id for a in taken]},
    )
    return taken


def take_all(
    session: Session,
    settings: Settings,
    data_dir: DataDir,
    now: datetime,
    *,
    older_than: timedelta | None = None,
) -> list[Actual]:
    linked = list(
        session.scalars(
            select(Indicator).where(Indicator.source == "metric").order_by(Indicator.id)
        )
    )
    return take(session, settings, data_dir, now, linked, older_than=older_than)


def scheduled_snapshots(session: Session, settings: Settings, now: datetime) -> int:
    """The worker's round: refresh the current period's snapshots that are due."""
    hours = settings.section(EbpmSettings).snapshot_refresh_hours
    data_dir = DataDir(settings.data_dir)
    return len(take_all(session, settings, data_dir, now, older_than=timedelta(hours=hours)))
