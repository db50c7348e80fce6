"""Detections into the alert queue: tuning, suppressions, grouping, campaigns.

A detection (from the Sigma engine, a correlation, or an external detector such as
threat-intelligence matching) becomes part of an alert like this:

1. a rule switched off for the ward is dropped; a level override replaces the level;
2. an active suppression that fits (ward, rule, host/user/source) drops it and counts;
3. it joins the open alert with the same grouping key (ward, rule, host or user or
   source) whose last detection is at most ``alert_group_minutes`` older; otherwise it
   opens a new alert with a public id ``ALR-<date>-<hex>``. An event is linked to an
   alert once, so running the same events again changes nothing;
4. campaigns: when the same rule, the same indicator or the same source address has
   alerts in at least ``campaign_min_wards`` wards within ``campaign_window_minutes``,
   one joint campaign alert names every affected ward and links their alerts.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from rengo.core.wards import JOINT
from rengo.soc.alerts_models import Alert, AlertEvent, RuleSetting, Suppression
from rengo.soc.detect.detector import Detection
from rengo.soc.detect.settings import DetectSettings
from rengo.soc.schema import LEVELS


@dataclass
class IngestResult:
    new_alerts: list[str] = field(default_factory=list)
    updated_alerts: list[str] = field(default_factory=list)
    campaigns: list[str] = field(default_factory=list)
    suppressed: int = 0
    disabled: int = 0


def new_public_id(at: datetime) -> str:
    return f"ALR-{at:%Y%m%d}-{secrets.token_hex(4).upper()}"


def severity_of(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else 2


def rule_tuning(session: Session) -> tuple[dict[str, set[str]], dict[tuple[str, str], str]]:
    """(rule ids switched off per ward — ``*`` for all —, level overrides per (ward, rule))."""
    disabled: dict[str, set[str]] = {}
    levels: dict[tuple[str, str], str] = {}
    for row in session.scalars(select(RuleSetting)):
        ward = "*" if row.tenant == JOINT else row.tenant
        if not row.enabled:
            disabled.setdefault(ward, set()).add(row.rule_id)
        if row.level:
            levels[(ward, row.rule_id)] = row.level
    return disabled, levels


def _active_suppressions(session: Session, now: datetime) -> list[Suppression]:
    return list(session.scalars(select(Suppression).where(Suppression.expires_at > now)))


def _suppressed_by(detection: Detection, suppressions: list[Suppression]) -> Suppression | None:
    for s in suppressions:
        if s.tenant not in (JOINT, detection.ward):
            continue
        if s.rule_id and s.rule_id != detection.rule_id:
            continue
        if s.field:
            actual = {
                "host": detection.host,
                "user": detection.user,
                "src_ip": detection.src_ip,
            }.get(s.field)
            if (actual or "").lower() != (s.value or "").lower():
                continue
        return s
    return None


def grouping_key(detection: Detection) -> str:
    who = detection.host or detection.user or detection.src_ip or ""
    if detection.kind == "correlation":
        who = "|".join(f"{k}={v}" for k, v in sorted(detection.group.items())) or who
    # An exercise's detections never join a real alert (nor another exercise's).
    exercise = f"|{detection.exercise}" if detection.exercise else ""
    return f"{detection.ward}|{detection.rule_id}|{who.lower()}"[: 200 - len(exercise)] + exercise


def ingest(
    session: Session,
    detections: Iterable[Detection],
    settings: DetectSettings,
    now: datetime,
    *,
    source: str = "sigma",
    indicator: str | None = None,
) -> IngestResult:
    """Add detections to the queue (in the caller's transaction)."""
    result = IngestResult()
    disabled, levels = rule_tuning(session)
    suppressions = _active_suppressions(session, now)
    window = timedelta(minutes=settings.alert_group_minutes)
    touched: dict[int, Alert] = {}
    for detection in detections:
        if detection.rule_id in disabled.get("*", set()) | disabled.get(detection.ward, set()):
            result.disabled += 1
            continue
        suppression = _suppressed_by(detection, suppressions)
        if suppression is not None:
            suppression.hits += 1
            result.suppressed += 1
            continue
        level = (
            levels.get((detection.ward, detection.rule_id))
            or levels.get(("*", detection.rule_id))
            or detection.level
        )
        alert = _open_alert(session, detection, window)
        if alert is None:
            alert = _create(session, detection, level, source, indicator, now)
            result.new_alerts.append(alert.public_id)
        elif alert.id not in touched:
            result.updated_alerts.append(alert.public_id)
        _attach(session, alert, detection, settings.max_events_per_alert, now)
        touched[alert.id] = alert
    session.flush()
    result.campaigns = detect_campaigns(session, list(touched.values()), settings, now)
    return result


def _open_alert(session: Session, detection: Detection, window: timedelta) -> Alert | None:
    return session.scalar(
        select(Alert)
        .where(Alert.dedup_key == grouping_key(detection), Alert.status != "closed")
        .where(Alert.last_seen >= detection.first_time - window)
        .order_by(Alert.last_seen.desc())
        .limit(1)
    )


def _create(
    session: Session, d: Detection, level: str, source: str, indicator: str | None, now: datetime
) -> Alert:
    alert = Alert(
        public_id=new_public_id(d.first_time),
        tenant=d.ward,
        kind=d.kind if source == "sigma" else source,
        source=source,
        rule_id=d.rule_id,
        rule_title=d.title[:300],
        rule_pack=d.pack[:100],
        level=level,
        severity=severity_of(level),
        techniques=list(d.techniques),
        technique_text="|" + "|".join(d.techniques) + "|" if d.techniques else "",
        status="new",
        dedup_key=grouping_key(d),
        host=d.host,
        user_name=d.user,
        src_ip=d.src_ip,
        indicator=indicator,
        group=d.group,
        wards=[d.ward],
        origin=d.origin,
        exercise_id=d.exercise,
        event_count=0,
        detections=0,
        first_seen=d.first_time,
        last_seen=d.last_time,
        created_at=now,
        updated_at=now,
    )
    session.add(alert)
    session.flush()
    return alert


def _attach(session: Session, alert: Alert, d: Detection, limit: int, now: datetime) -> None:
    known = set(
        session.scalars(
            select(AlertEvent.event_id).where(
                AlertEvent.alert_id == alert.id, AlertEvent.event_id.in_(d.event_ids)
            )
        )
    )
    fresh = [e for e in dict.fromkeys(d.event_ids) if e not in known]
    if not fresh:
        return
    room = max(0, limit - alert.event_count)
    for event_id in fresh[:room]:
        session.add(AlertEvent(alert_id=alert.id, event_id=event_id, ward=d.ward, time=d.last_time))
    alert.event_count += len(fresh)
    alert.detections += 1
    alert.first_seen = min(alert.first_seen, d.first_time)
    alert.last_seen = max(alert.last_seen, d.last_time)
    alert.updated_at = now


# -- campaigns -------------------------------------------------------------------------


def _campaign_keys(alert: Alert) -> list[tuple[str, str]]:
    # An external detector's rule id says who raised it, not what was seen (intel uses one
    # id for every ward's own TLP:RED indicator): only its indicator and source count.
    keys = [] if alert.source != "sigma" else [("rule", alert.rule_id)]
    if alert.indicator:
        keys.append(("indicator", alert.indicator))
    if alert.src_ip:
        keys.append(("source", alert.src_ip))
    return keys


def _members(session: Session, kind: str, value: str, since: datetime) -> list[Alert]:
    stmt = select(Alert).where(Alert.kind != "campaign", Alert.last_seen >= since)
    column = {"rule": Alert.rule_id, "indicator": Alert.indicator, "source": Alert.src_ip}[kind]
    return list(session.scalars(stmt.where(column == value)))


def detect_campaigns(
    session: Session, alerts: list[Alert], settings: DetectSettings, now: datetime
) -> list[str]:
    """Open or extend campaign alerts for keys seen in enough wards; return new ids."""
    window = timedelta(minutes=settings.campaign_window_minutes)
    created: list[str] = []
    seen: set[tuple[str, str]] = set()
    for alert in alerts:
        for key in _campaign_keys(alert):
            if key in seen:
                continue
            seen.add(key)
            members = _members(session, *key, since=alert.last_seen - window)
            members = [m for m in members if m.last_seen >= alert.last_seen - window]
            wards = sorted({m.tenant for m in members})
            if len(wards) < settings.campaign_min_wards:
                continue
            campaign = _campaign_for(session, key, members, window)
            if campaign is None:
                campaign = _new_campaign(session, key, members, now)
                created.append(campaign.public_id)
            _extend_campaign(campaign, members, now)
    session.flush()
    return created


def _campaign_for(
    session: Session, key: tuple[str, str], members: list[Alert], window: timedelta
) -> Alert | None:
    linked = {m.campaign_id for m in members if m.campaign_id is not None}
    dedup = f"campaign|{key[0]}|{key[1]}"[:200]
    first = min(m.first_seen for m in members)
    return session.scalar(
        select(Alert)
        .where(Alert.kind == "campaign", Alert.status != "closed")
        .where(or_(Alert.id.in_(linked or {-1}), Alert.dedup_key == dedup))
        .where(Alert.last_seen >= first - window)
        .order_by(Alert.id)
        .limit(1)
    )


def _new_campaign(
    session: Session, key: tuple[str, str], members: list[Alert], now: datetime
) -> Alert:
    kind, value = key
    top = max(members, key=lambda m: m.severity)
    level = LEVELS[max(top.severity, LEVELS.index("high"))]
    what = {"rule": top.rule_title, "indicator": f"indicator {value}", "source": f"source {value}"}[
        kind
    ]
    techniques = sorted({t for m in members for t in m.techniques})
    exercises = {m.exercise_id for m in members}  # one exercise's own campaign is tagged
    campaign = Alert(
        public_id=new_public_id(min(m.first_seen for m in members)),
        tenant=JOINT,
        kind="campaign",
        source="campaign",
        rule_id=top.rule_id if kind == "rule" else f"campaign:{kind}",
        rule_title=f"Campaign across wards: {what}"[:300],
        rule_pack=top.rule_pack,
        level=level,
        severity=severity_of(level),
        techniques=techniques,
        technique_text="|" + "|".join(techniques) + "|" if techniques else "",
        dedup_key=f"campaign|{kind}|{value}"[:200],
        src_ip=value if kind == "source" else None,
        indicator=value if kind == "indicator" else None,
        group={"key": kind, "value": value},
        wards=[],
        origin=top.origin,
        exercise_id=exercises.pop() if len(exercises) == 1 else None,
        first_seen=min(m.first_seen for m in members),
        last_seen=max(m.last_seen for m in members),
        created_at=now,
        updated_at=now,
        event_count=0,
        detections=0,
    )
    session.add(campaign)
    session.flush()
    return campaign


def _extend_campaign(campaign: Alert, members: list[Alert], now: datetime) -> None:
    campaign.wards = sorted(set(campaign.wards) | {m.tenant for m in members})
    for member in members:
        if member.campaign_id is None:
            member.campaign_id = campaign.id
    campaign.first_seen = min(campaign.first_seen, *(m.first_seen for m in members))
    campaign.last_seen = max(campaign.last_seen, *(m.last_seen for m in members))
    campaign.event_count = sum(m.event_count for m in members)
    campaign.detections = len(members)
    campaign.updated_at = now
