"""The alert queue's service API (used by the web layer, the CLI, CSIRT and intel).

For other domains (see docs/soc-detection.md, "Service API"):

* ``get_alerts(session, principal, ids)`` — alerts by public id (``ALR-…``), only those
  the principal may see;
* ``matched_event_ids(session, principal, public_id)`` — the lake event ids an alert
  matched;
* ``set_status(session, principal, public_id, status, reason=…, note=…)`` — acknowledge
  or close (closing needs a reason from ``CLOSE_REASONS``, e.g. ``incident_opened``);
* ``raise_alert(session, principal, settings, ward=…, source="intel", indicator=…, …)``
  — an alert from another detector, through the same grouping, suppressions and
  campaign detection as Sigma detections.

Every read of an alert's events and every change is audited; a ward's principal sees
only its ward's alerts (others answer 404), the joint centre sees all and campaigns.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

import rengo.soc.permissions  # noqa: F401  (the queue's actions are defined there)
from rengo.core import audit
from rengo.core.clock import to_jst
from rengo.core.errors import InvalidInput, NotFound, Problem
from rengo.core.permissions import Principal, narrow_to_visible, require
from rengo.core.types import Page, TenantCode
from rengo.core.wards import JOINT, is_tenant
from rengo.soc.alerts_ingest import IngestResult, ingest
from rengo.soc.alerts_models import (
    CLOSE_REASONS,
    STATUSES,
    Alert,
    AlertChange,
    AlertEvent,
)
from rengo.soc.detect.detector import Detection
from rengo.soc.detect.settings import DetectSettings
from rengo.soc.schema import LEVELS

PAGE_MAX = 500


@dataclass(slots=True)
class AlertFilter:
    ward: TenantCode | None = None
    status: str | None = None
    level: str | None = None
    min_level: str | None = None
    rule: str | None = None
    technique: str | None = None
    kind: str | None = None
    assignee: str | None = None
    q: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1
    per_page: int = 50
    extra: dict[str, Any] = field(default_factory=dict)


def _check_filter(f: AlertFilter) -> None:
    problems = []
    if f.status and f.status not in STATUSES:
        problems.append(Problem(f"one of {', '.join(STATUSES)}", "field status"))
    for name in ("level", "min_level"):
        value = getattr(f, name)
        if value and value not in LEVELS:
            problems.append(Problem(f"one of {', '.join(LEVELS)}", f"field {name}"))
    if f.ward and not is_tenant(f.ward):
        problems.append(Problem(f"{f.ward!r} is not a ward code", "field ward"))
    if problems:
        raise InvalidInput("invalid alert filter", problems)


def _visible(principal: Principal, f: AlertFilter) -> Select[Any]:
    tenants = narrow_to_visible(principal, "soc.alerts.read", f.ward or None)
    stmt = select(Alert)
    if tenants is not None:
        stmt = stmt.where(Alert.tenant.in_(tenants))
    return stmt


def search_alerts(session: Session, principal: Principal, f: AlertFilter) -> Page[Alert]:
    """The queue, newest first, narrowed to what the principal may see."""
    _check_filter(f)
    stmt = _visible(principal, f)
    if f.status:
        stmt = stmt.where(Alert.status == f.status)
    if f.level:
        stmt = stmt.where(Alert.level == f.level)
    if f.min_level:
        stmt = stmt.where(Alert.severity >= LEVELS.index(f.min_level))
    if f.rule:
        stmt = stmt.where((Alert.rule_id == f.rule) | Alert.rule_title.contains(f.rule))
    if f.technique:
        stmt = stmt.where(Alert.technique_text.contains("|" + f.technique.upper().strip()))
    if f.kind:
        stmt = stmt.where(Alert.kind == f.kind)
    if f.assignee:
        stmt = stmt.where(Alert.assignee == f.assignee)
    if f.since:
        stmt = stmt.where(Alert.last_seen >= f.since)
    if f.until:
        stmt = stmt.where(Alert.last_seen < f.until)
    if f.q:
        needle = f"%{f.q.strip()}%"
        stmt = stmt.where(
            Alert.rule_title.ilike(needle)
            | Alert.host.ilike(needle)
            | Alert.user_name.ilike(needle)
            | Alert.src_ip.ilike(needle)
            | (Alert.public_id == f.q.strip())
        )
    per_page = max(1, min(f.per_page, PAGE_MAX))
    page = max(1, f.page)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = session.scalars(
        stmt.order_by(Alert.last_seen.desc(), Alert.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(list(items), total, page, per_page)


def volume_by_day(
    session: Session, principal: Principal, since: datetime
) -> dict[tuple[date, str], int]:
    """Alerts first seen since ``since`` per JST day and level, of the wards ``principal``
    may see (the alert queue's chart of volumes over time)."""
    tenants = narrow_to_visible(principal, "soc.alerts.read", None)
    stmt = select(Alert.first_seen, Alert.level).where(Alert.first_seen >= since)
    if tenants is not None:
        stmt = stmt.where(Alert.tenant.in_(tenants))
    out: dict[tuple[date, str], int] = defaultdict(int)
    for first_seen, level in session.execute(stmt):
        out[(to_jst(first_seen).date(), level)] += 1
    return dict(out)


def get_alert(session: Session, principal: Principal, public_id: str) -> Alert:
    alert = session.scalar(select(Alert).where(Alert.public_id == public_id))
    if alert is None:
        raise NotFound(f"alert {public_id} not found")
    require(principal, "soc.alerts.read", alert.tenant, hide=True)
    return alert


def get_alerts(session: Session, principal: Principal, ids: list[str]) -> list[Alert]:
    """The alerts with these public ids that ``principal`` may see (others are left out)."""
    tenants = narrow_to_visible(principal, "soc.alerts.read", None)
    stmt = select(Alert).where(Alert.public_id.in_(ids))
    if tenants is not None:
        stmt = stmt.where(Alert.tenant.in_(tenants))
    return list(session.scalars(stmt.order_by(Alert.id)))


def matched_event_ids(
    session: Session, principal: Principal, public_id: str, *, client: str = ""
) -> list[str]:
    """Lake event ids the alert matched (for a campaign: those of its member alerts)."""
    alert = get_alert(session, principal, public_id)
    ids = [alert.id]
    if alert.kind == "campaign":
        ids += list(session.scalars(select(Alert.id).where(Alert.campaign_id == alert.id)))
    events = list(
        session.scalars(
            select(AlertEvent.event_id)
            .where(AlertEvent.alert_id.in_(ids))
            .order_by(AlertEvent.time, AlertEvent.id)
        )
    )
    audit.record(
        session,
        principal,
        "soc.alert.events.read",
        object_type="soc_alert",
        object_id=alert.public_id,
        object_tenant=alert.tenant,
        client=client,
    )
    return events


def campaign_members(session: Session, principal: Principal, alert: Alert) -> list[Alert]:
    """Ward alerts linked to a campaign that the principal may see."""
    tenants = narrow_to_visible(principal, "soc.alerts.read", None)
    stmt = select(Alert).where(Alert.campaign_id == alert.id)
    if tenants is not None:
        stmt = stmt.where(Alert.tenant.in_(tenants))
    return list(session.scalars(stmt.order_by(Alert.tenant)))


def history(session: Session, principal: Principal, alert: Alert) -> list[AlertChange]:
    require(principal, "soc.alerts.read", alert.tenant, hide=True)
    return list(
        session.scalars(
            select(AlertChange).where(AlertChange.alert_id == alert.id).order_by(AlertChange.id)
        )
    )


# -- changes ---------------------------------------------------------------------------


def _change(
    session: Session,
    principal: Principal,
    alert: Alert,
    action: str,
    detail: dict[str, Any],
    now: datetime,
    client: str,
) -> None:
    alert.updated_at = now
    session.add(
        AlertChange(alert_id=alert.id, at=now, actor=principal.label, action=action, detail=detail)
    )
    audit.record(
        session,
        principal,
        f"soc.alert.{action}",
        object_type="soc_alert",
        object_id=alert.public_id,
        object_tenant=alert.tenant,
        detail=detail,
        client=client,
        at=now,
    )
    session.flush()


def set_status(
    session: Session,
    principal: Principal,
    public_id: str,
    status: str,
    *,
    reason: str = "",
    note: str = "",
    now: datetime,
    client: str = "",
) -> Alert:
    """Acknowledge, close (with a reason) or reopen an alert."""
    alert = get_alert(session, principal, public_id)
    require(principal, "soc.alerts.triage", alert.tenant, hide=True)
    problems = []
    if status not in STATUSES:
        problems.append(Problem(f"one of {', '.join(STATUSES)}", "field status"))
    if status == "closed" and reason not in CLOSE_REASONS:
        problems.append(
            Problem(f"closing needs a reason: one of {', '.join(CLOSE_REASONS)}", "field reason")
        )
    if problems:
        raise InvalidInput("invalid status change", problems)
    before = alert.status
    alert.status = status
    alert.close_reason = reason if status == "closed" else ""
    alert.close_note = note if status == "closed" else alert.close_note
    _change(
        session,
        principal,
        alert,
        status if status != "new" else "reopened",
        {"from": before, "to": status, "reason": reason, "note": note},
        now,
        client,
    )
    return alert


def assign(
    session: Session,
    principal: Principal,
    public_id: str,
    assignee: str,
    *,
    now: datetime,
    client: str = "",
) -> Alert:
    alert = get_alert(session, principal, public_id)
    require(principal, "soc.alerts.triage", alert.tenant, hide=True)
    assignee = assignee.strip()[:64]
    before = alert.assignee
    alert.assignee = assignee
    if alert.status == "new" and assignee:
        alert.status = "acknowledged"
    _change(session, principal, alert, "assigned", {"from": before, "to": assignee}, now, client)
    return alert


BulkAction = Literal["assign", "acknowledge", "close"]
BULK_MAX = 200


def bulk_triage(
    session: Session,
    principal: Principal,
    public_ids: list[str],
    action: BulkAction,
    *,
    assignee: str = "",
    reason: str = "",
    note: str = "",
    now: datetime,
    client: str = "",
) -> list[Alert]:
    """Assign, acknowledge or close several alerts at once, all or none.

    Each alert goes through ``assign`` / ``set_status``: its own permission check for its
    ward and its own audit entry. Any alert the caller may not change (or cannot see) is
    named and nothing is changed (the caller's transaction is rolled back by the raise).
    """
    ids = list(dict.fromkeys(i.strip() for i in public_ids if i.strip()))
    refused = "none of the {n} alerts was changed"
    if not ids or len(ids) > BULK_MAX:
        problem = Problem(
            "choose at least one of up to {max} alerts", "alert_ids", values={"max": BULK_MAX}
        )
        raise InvalidInput(refused, [problem], values={"n": len(ids)})
    if action == "close" and reason not in CLOSE_REASONS:
        problem = Problem(
            "closing needs a reason: one of {reasons}",
            "field reason",
            values={"reasons": ", ".join(CLOSE_REASONS)},
        )
        raise InvalidInput(refused, [problem], values={"n": len(ids)})
    changed: list[Alert] = []
    problems: list[Problem] = []
    for public_id in ids:
        try:
            if action == "assign":
                changed.append(
                    assign(session, principal, public_id, assignee, now=now, client=client)
                )
            else:
                status = "acknowledged" if action == "acknowledge" else "closed"
                changed.append(
                    set_status(
                        session,
                        principal,
                        public_id,
                        status,
                        reason=reason,
                        note=note,
                        now=now,
                        client=client,
                    )
                )
        except NotFound:
            problems.append(
                Problem(
                    "no alert {alert_id} that you may change",
                    "alert_ids",
                    values={"alert_id": public_id},
                )
            )
    if problems:
        raise InvalidInput(refused, problems, values={"n": len(ids)})
    return changed


def ingest_detections(
    session: Session, detections: list[Detection], settings: DetectSettings, now: datetime
) -> IngestResult:
    """Detections of the Sigma engine into the queue (the system's own principal)."""
    return ingest(session, detections, settings, now)


def raise_alert(
    session: Session,
    principal: Principal,
    settings: DetectSettings,
    *,
    ward: TenantCode,
    title: str,
    level: str,
    time: datetime,
    event_ids: list[str],
    source: str = "intel",
    indicator: str | None = None,
    rule_id: str | None = None,
    techniques: tuple[str, ...] = (),
    host: str | None = None,
    user: str | None = None,
    src_ip: str | None = None,
    origin: str = "real",
    now: datetime,
) -> IngestResult:
    """An alert from an external detector (e.g. intel's indicator hits), queued like any other."""
    problems = []
    if not is_tenant(ward) or ward == JOINT:
        problems.append(Problem(f"{ward!r} is not a ward code", "field ward"))
    if level not in LEVELS:
        problems.append(Problem(f"one of {', '.join(LEVELS)}", "field level"))
    if not event_ids:
        problems.append(Problem("at least one matched event id", "field event_ids"))
    if problems:
        raise InvalidInput("invalid alert", problems)
    require(principal, "soc.alerts.raise", ward)
    detection = Detection(
        rule_id=rule_id or f"{source}:{indicator or title}"[:64],
        title=title,
        level=level,
        techniques=techniques,
        pack=source,
        kind=source,
        ward=ward,
        origin=origin,
        event_ids=tuple(event_ids),
        first_time=time,
        last_time=time,
        host=host,
        user=user,
        src_ip=src_ip,
    )
    result = ingest(session, [detection], settings, now, source=source, indicator=indicator)
    for public_id in result.new_alerts:
        audit.record(
            session,
            principal,
            "soc.alert.raise",
            object_type="soc_alert",
            object_id=public_id,
            object_tenant=ward,
            detail={"source": source, "indicator": indicator},
            at=now,
        )
    return result
