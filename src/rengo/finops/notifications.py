"""FinOps alerts told to people, through messaging's on-call and delivery machinery.

Registered explicitly as a worker hook (``rengo.notify.hooks``); ``load_domains`` imports
this module, so the web server's worker and ``rengo csirt worker`` run the same hook.

FinOps alerts (``finops_alerts``: spikes, level shifts, budgets forecast to be
exceeded) go to the ward's finance contact team (on-call teams of kind ``finance``): one
page per ward and round, naming every new alert, following the team's escalation policy
(by default: every member, then the manager) with e-mail, the team's webhook and an
acknowledgement link. A ward without such a team: its finance staff are e-mailed. An
alert is marked notified in the same transaction that queues its notifications, so it
is sent exactly when it is recorded as sent; with nobody to tell, it stays pending.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core.identity import User
from rengo.core.permissions import Role
from rengo.core.settings import Settings
from rengo.core.types import TenantCode
from rengo.core.wards import tenant_name
from rengo.finops import scan
from rengo.finops.models import Alert
from rengo.notify import oncall, outbox, paging
from rengo.notify.hooks import register_hook
from rengo.notify.settings import CsirtSettings

FINOPS_KINDS = {"spike": "急増", "level_shift": "水準変化", "budget": "予算超過見込み"}
LISTED = 20


def _line(alert: Alert) -> str:
    kind = FINOPS_KINDS.get(alert.kind, alert.kind)
    system = f" [{alert.business_system}]" if alert.business_system else ""
    return (
        f"- {alert.day:%Y-%m-%d} {kind}{system}: {alert.message} "
        f"(実績 ¥{alert.actual:,.0f} / 想定 ¥{alert.expected:,.0f})"
    )


def _message(ward: TenantCode, alerts: list[Alert], settings: Settings) -> tuple[str, str]:
    name = tenant_name(ward, "ja")
    if len(alerts) == 1:
        a = alerts[0]
        subject = (
            f"[FinOps] {name}: {FINOPS_KINDS.get(a.kind, a.kind)} {a.service or a.business_system}"
        )
    else:
        subject = f"[FinOps] {name}: コストのアラート {len(alerts)} 件"
    lines = [_line(a) for a in alerts[:LISTED]]
    if len(alerts) > LISTED:
        lines.append(f"… ほか {len(alerts) - LISTED} 件")
    link = (
        f"{settings.section(CsirtSettings).public_base_url.rstrip('/')}/finops/anomalies?ward"
        f"={ward}"
    )
    body = "クラウド・システムのコストにアラートがあります。\n\n" + "\n".join(lines) + f"\n\n{link}"
    return subject.strip(), body


def _finance_staff(session: Session, ward: TenantCode) -> list[str]:
    return list(
        session.scalars(
            select(User.email).where(
                User.tenant == ward,
                User.role == Role.WARD_FINANCE.value,
                User.active.is_(True),
                User.email != "",
            )
        )
    )


def notify_finops_alerts(session: Session, settings: Settings, now: datetime) -> int:
    """Page each ward's finance contact team about its new FinOps alerts; returns how many
    alerts were handed over (and marked notified)."""
    by_ward: dict[str, list[Alert]] = defaultdict(list)
    for alert in scan.pending_notifications(session):
        by_ward[alert.ward].append(alert)
    handed: list[int] = []
    for ward, alerts in sorted(by_ward.items()):
        subject, body = _message(ward, alerts, settings)
        teams = [t for t in oncall.teams_for(session, [ward], ("finance",)) if t.tenant == ward]
        for team in teams:
            paging.page_team(session, team, subject=subject, body=body, settings=settings, now=now)
        if not teams:
            staff = _finance_staff(session, ward)
            for email in staff:
                outbox.enqueue(
                    session,
                    channel="email",
                    recipient=email,
                    subject=subject,
                    body=body,
                    now=now,
                    topic="finops.alert",
                    tenant=ward,
                    reference=f"finops_alert:{alerts[0].id}",
                )
            if not staff:
                continue  # nobody to tell yet: stays pending until the ward has a contact
        handed += [a.id for a in alerts]
    if handed:
        scan.mark_notified(session, handed)
    return len(handed)


register_hook("finops_alerts", notify_finops_alerts)
