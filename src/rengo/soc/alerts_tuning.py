"""Per-ward rule tuning (on/off, level) and suppressions with an expiry and a reason."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.errors import InvalidInput, NotFound, Problem
from rengo.core.permissions import Principal, narrow_to_visible, require
from rengo.core.types import TenantCode
from rengo.core.wards import JOINT, is_tenant
from rengo.soc.alerts import get_alert
from rengo.soc.alerts_models import RuleSetting, Suppression
from rengo.soc.schema import LEVELS

SUPPRESSION_FIELDS = ("host", "user", "src_ip")


def _tenant(principal: Principal, ward: TenantCode | None) -> str:
    tenant = ward or principal.tenant
    if not is_tenant(tenant):
        raise InvalidInput("unknown ward", [Problem(f"{tenant!r} is not a tenant", "field ward")])
    return tenant


def set_rule(
    session: Session,
    principal: Principal,
    rule_id: str,
    *,
    ward: TenantCode | None,
    enabled: bool,
    level: str | None = None,
    note: str = "",
    now: datetime,
) -> RuleSetting:
    """Switch a rule on/off or change its level for a ward (``joint``: every ward)."""
    tenant = _tenant(principal, ward)
    require(principal, "soc.rules.manage", tenant)
    if level is not None and level not in LEVELS:
        raise InvalidInput("invalid level", [Problem(f"one of {', '.join(LEVELS)}", "field level")])
    row = session.scalar(
        select(RuleSetting).where(RuleSetting.tenant == tenant, RuleSetting.rule_id == rule_id)
    )
    if row is None:
        row = RuleSetting(tenant=tenant, rule_id=rule_id)
        session.add(row)
    row.enabled, row.level, row.note = enabled, level, note
    row.updated_by, row.updated_at = principal.label, now
    audit.record(
        session,
        principal,
        "soc.rule.tune",
        object_type="soc_rule",
        object_id=rule_id,
        object_tenant=tenant,
        detail={"enabled": enabled, "level": level, "note": note},
        at=now,
    )
    session.flush()
    return row


def rule_settings(session: Session, principal: Principal) -> list[RuleSetting]:
    tenants = narrow_to_visible(principal, "soc.alerts.read", None)
    stmt = select(RuleSetting)
    if tenants is not None:
        stmt = stmt.where(RuleSetting.tenant.in_({*tenants, JOINT}))
    return list(session.scalars(stmt.order_by(RuleSetting.tenant, RuleSetting.rule_id)))


def suppress(
    session: Session,
    principal: Principal,
    *,
    reason: str,
    expires_at: datetime,
    now: datetime,
    ward: TenantCode | None = None,
    rule_id: str | None = None,
    field: str | None = None,
    value: str | None = None,
    alert_id: str | None = None,
) -> Suppression:
    """Drop matching detections until ``expires_at``; from an alert, its rule and
    host/user/source."""
    if alert_id:
        alert = get_alert(session, principal, alert_id)
        ward, rule_id = alert.tenant, alert.rule_id
        if field and value is None:
            value = {"host": alert.host, "user": alert.user_name, "src_ip": alert.src_ip}.get(field)
    tenant = _tenant(principal, ward)
    problems = []
    if not reason.strip():
        problems.append(Problem("say why (it is kept with the suppression)", "field reason"))
    if expires_at <= now:
        problems.append(Problem("must be in the future", "field expires_at"))
    if field is not None and field not in SUPPRESSION_FIELDS:
        problems.append(Problem(f"one of {', '.join(SUPPRESSION_FIELDS)}", "field field"))
    if field is not None and not value:
        problems.append(Problem("a value to match", "field value"))
    if rule_id is None and field is None:
        problems.append(Problem("give a rule, or a host/user/source, or both", "field rule_id"))
    if problems:
        raise InvalidInput("invalid suppression", problems)
    require(principal, "soc.alerts.suppress", tenant, hide=bool(alert_id))
    row = Suppression(
        tenant=tenant,
        rule_id=rule_id,
        field=field,
        value=value,
        reason=reason.strip(),
        expires_at=expires_at,
        created_by=principal.label,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        principal,
        "soc.suppression.create",
        object_type="soc_suppression",
        object_id=row.id,
        object_tenant=tenant,
        detail={
            "rule_id": rule_id,
            "field": field,
            "reason": reason,
            "expires_at": expires_at.isoformat(),
        },
        at=now,
    )
    return row


def suppressions(
    session: Session, principal: Principal, *, active_at: datetime | None = None
) -> list[Suppression]:
    tenants = narrow_to_visible(principal, "soc.alerts.read", None)
    stmt = select(Suppression)
    if tenants is not None:
        stmt = stmt.where(Suppression.tenant.in_({*tenants, JOINT}))
    if active_at is not None:
        stmt = stmt.where(Suppression.expires_at > active_at)
    return list(session.scalars(stmt.order_by(Suppression.expires_at.desc())))


def end_suppression(
    session: Session, principal: Principal, suppression_id: int, *, now: datetime
) -> Suppression:
    row = session.get(Suppression, suppression_id)
    if row is None:
        raise NotFound(f"suppression {suppression_id} not found")
    require(principal, "soc.alerts.suppress", row.tenant, hide=True)
    row.expires_at = min(row.expires_at, now)
    audit.record(
        session,
        principal,
        "soc.suppression.end",
        object_type="soc_suppression",
        object_id=row.id,
        object_tenant=row.tenant,
        at=now,
    )
    session.flush()
    return row
