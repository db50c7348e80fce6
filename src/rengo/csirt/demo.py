"""Demo step: on-call rotas, simulated ward endpoints, recorded security costs, and about
seventy realistic incidents over the last five months — open and closed, one shared by
several wards (a phishing campaign), one major (a leak of residents' data) — each with
its timeline, tasks and containment actions carried out through the simulated endpoints.

Everything goes through the same services as real work, at the historical times (a
fake clock per incident), so the timelines, MTTC and the targets come out as they would.
Alerts are not invented: the historical incidents are opened by hand or from the wards'
reports; a second step (after the SOC's demo detection) opens incidents from the SOC's
real demo alerts — the cross-ward campaigns first — and blocks their source addresses.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core.acting import Acting
from rengo.core.clock import FakeClock, to_jst
from rengo.core.demo import DemoContext, step
from rengo.core.identity import User
from rengo.core.permissions import SYSTEM, Principal
from rengo.core.wards import JOINT, Ward, wards
from rengo.csirt import (
    action_runner,
    actions,
    changes,
    endpoints,
    incidents,
    indicators,
    merge,
    tasks,
)
from rengo.csirt.models import Connector, Incident
from rengo.csirt.schemas import IncidentCreate, IncidentPatch
from rengo.csirt.soc_adapter import SocAlertSource
from rengo.notify import oncall, paging
from rengo.notify.models import OnCallPage, OnCallTeam
from rengo.soc import alerts as soc_alerts

# (category, title, cause, summary, action kind, target pattern)
SCENARIOS = (
    (
        "phishing",
        "職員宛て標的型メール(偽の請求書)",
        "添付ファイルのマクロを職員が実行",
        "送信元ドメインを遮断し、受信した全メールを隔離した。",
        "quarantine_mail",
        "msg-{n}@mail.{slug}.lg.jp",
    ),
    (
        "ransomware",
        "ファイルサーバーでの暗号化の兆候",
        "VPN装置の既知の脆弱性を突かれた侵入",
        "感染端末を隔離し、バックアップから復元した。",
        "isolate_host",
        "fs{n:02d}.{slug}.lg.jp",
    ),
    (
        "unauthorised_access",
        "電子申請サービスへの不正ログイン試行",
        "使い回されたパスワードへのリスト型攻撃",
        "攻撃元アドレスを遮断し、該当アカウントを無効化した。",
        "block_ip",
        "198.51.100.{n}",
    ),
    (
        "exploitation",
        "公式サイトCMSの脆弱性を狙った攻撃",
        "CMSプラグインの更新漏れ",
        "攻撃元を遮断し、プラグインを更新した。",
        "block_ip",
        "203.0.113.{n}",
    ),
    (
        "malware",
        "職員端末でのマルウェア検知",
        "不審なUSBメモリの接続",
        "端末を隔離・初期化した。",
        "isolate_host",
        "pc-{n:04d}.{slug}.lg.jp",
    ),
    (
        "dos",
        "公式サイトへの大量アクセス(DDoS)",
        "ボットネットからの大量リクエスト",
        "上流で攻撃元を遮断し、CDNの防御設定を強化した。",
        "block_ip",
        "192.0.2.{n}",
    ),
    (
        "lost_device",
        "業務用タブレットの紛失",
        "外出先での置き忘れ",
        "リモートワイプを実施し、アカウントを無効化した。",
        "disable_account",
        "staff{n:03d}@{slug}",
    ),
    (
        "misconfiguration",
        "クラウドストレージの公開設定ミス",
        "共有リンクの権限設定の誤り",
        "公開設定を解除し、アクセス記録を確認した。",
        "block_url",
        "https://share.example.com/{slug}/{n}",
    ),
)


def _principal(user: User) -> Principal:
    return user.principal()


def _by(clock: FakeClock, ctx: DemoContext, session: Session, principal: Principal) -> Acting:
    """``principal``'s change in ``session`` at the incident's clock."""
    return Acting(session, principal, clock.now(), ctx.settings)


def _users(ctx: DemoContext) -> dict[str, User]:
    with ctx.db.session() as session:
        users = {u.username: u for u in session.scalars(select(User))}
        for user in users.values():
            session.expunge(user)
    return users


def run_incident(
    ctx: DemoContext,
    rng: random.Random,
    ward: Ward,
    users: dict[str, User],
    detected: datetime,
    scenario: tuple[str, ...],
    n: int,
    *,
    extra_wards: list[str] | None = None,
    people: int | None = None,
    close: bool = True,
) -> None:
    category, title, cause, summary, kind, pattern = scenario
    category = "ransomware" if category == "malware" else category
    responder = _principal(users["joint.csirt"])
    ward_it = _principal(users[f"{ward.slug}.it"])
    clock = FakeClock(min(detected + timedelta(minutes=rng.randint(2, 12)), ctx.now))
    with ctx.db.session() as session:
        incident = incidents.create_incident(
            session,
            responder if extra_wards else ward_it,
            IncidentCreate(
                title=f"{ward.name_ja} {title}",
                category=category,
                wards=[ward.code, *(extra_wards or [])],
                source="ward_report" if rng.random() < 0.4 else "manual",
                detected_at=detected,
                occurred_at=detected - timedelta(minutes=rng.randint(5, 240)),
                people_affected=people,
                origin="demo",
            ),
            ctx.settings,
            alert_source=SocAlertSource(clock),
            now=clock.now(),
        )
        incident_id = incident.id
        clock.advance(minutes=rng.randint(3, 20))
        if clock.now() > ctx.now:
            return  # opened just now: not triaged yet
        changes.transition(
            _by(clock, ctx, session, responder), incident_id, "triage", "影響範囲を確認中"
        )
        for page in session.scalars(
            select(OnCallPage).where(
                OnCallPage.incident_id == incident_id, OnCallPage.status == "open"
            )
        ):
            paging.acknowledge(session, page, responder.label, clock.now(), responder)
        tasks.add_task(
            session,
            responder,
            incident_id,
            title="ログの保全",
            assignee=f"{ward.slug}.it",
            due_at=clock.now() + timedelta(hours=4),
            now=clock.now(),
        )
    clock.advance(minutes=rng.randint(5, 45 if rng.random() < 0.9 else 150))
    if clock.now() > ctx.now:
        return  # still being triaged at the demo's "now": nothing happens in the future
    target = pattern.format(n=n % 250 + 1, slug=ward.slug)
    with ctx.db.session() as session:
        action = actions.request_action(
            _by(clock, ctx, session, responder),
            incident_id,
            kind=kind,
            target=target,
            reason="被害拡大の防止",
            ward=ward.code,
            connector_id=None,
        )
        action_id = action.id
        if action.status == "pending_approval":
            clock.advance(minutes=rng.randint(2, 15))
            if clock.now() > ctx.now:
                return  # the ward has not decided yet
            actions.decide(
                _by(clock, ctx, session, ward_it),
                action_id,
                approve=True,
                note="業務影響を確認済み",
            )
    action_runner.run_action(ctx.db, ctx.settings, clock, action_id)
    if not close:
        return
    for step_hours, state, note in (
        (rng.randint(1, 6), "eradication", "原因を除去中"),
        (rng.randint(2, 30), "recovery", "復旧作業中"),
        (rng.randint(2, 48), "closed", "復旧を確認"),
    ):
        clock.advance(hours=step_hours)
        if clock.now() > ctx.now:
            return  # the incident is still at its previous stage now
        with ctx.db.session() as session:
            changes.transition(_by(clock, ctx, session, responder), incident_id, state, note)
            if state == "recovery":
                patch = IncidentPatch(cause=cause, report_summary=summary)
                changes.update_incident(_by(clock, ctx, session, responder), incident_id, patch)


def _teams(ctx: DemoContext, users: dict[str, User], start: datetime) -> None:
    with ctx.db.session() as session:
        if session.scalar(select(OnCallTeam.id).limit(1)) is not None:
            return
        joint = oncall.create_team(
            session,
            SYSTEM,
            tenant=JOINT,
            name="共同CSIRT",
            kind="csirt",
            manager="joint.admin",
            ack_minutes=15,
            settings=ctx.settings,
        )
        oncall.add_shifts(
            session,
            SYSTEM,
            joint.id,
            usernames=["joint.csirt", "joint.soc"],
            start=start,
            shift_hours=12,
            count=28,
        )
        execs = oncall.create_team(
            session,
            SYSTEM,
            tenant=JOINT,
            name="幹部連絡",
            kind="executives",
            manager="joint.admin",
            ack_minutes=30,
            settings=ctx.settings,
        )
        oncall.add_shifts(
            session,
            SYSTEM,
            execs.id,
            usernames=["joint.exec"],
            start=start,
            shift_hours=24 * 14,
            count=1,
        )
        for ward in wards():
            team = oncall.create_team(
                session,
                SYSTEM,
                tenant=ward.code,
                name=f"{ward.name_ja}連絡窓口",
                kind="ward_contact",
                manager=f"{ward.slug}.admin",
                settings=ctx.settings,
            )
            oncall.add_shifts(
                session,
                SYSTEM,
                team.id,
                usernames=[f"{ward.slug}.csirt", f"{ward.slug}.it"],
                start=start,
                shift_hours=24,
                count=14,
            )
            if session.scalar(select(Connector.id).where(Connector.tenant == ward.code)) is None:
                endpoints.create_connector(
                    session,
                    SYSTEM,
                    tenant=ward.code,
                    name=f"{ward.name_ja} FW/EDR(模擬)",
                    kind="simulated",
                )


def _finance_teams(ctx: DemoContext) -> None:
    """Each ward's finance contact: told of FinOps alerts (every member, then the manager)."""
    with ctx.db.session() as session:
        if session.scalar(select(OnCallTeam.id).where(OnCallTeam.kind == "finance").limit(1)):
            return
        for ward in wards():
            team = oncall.create_team(
                session,
                SYSTEM,
                tenant=ward.code,
                name=f"{ward.name_ja}財務連絡",
                kind="finance",
                manager=f"{ward.slug}.admin",
                ack_minutes=240,
                settings=ctx.settings,
            )
            oncall.set_members(session, SYSTEM, team.id, [f"{ward.slug}.finance"])


@step("csirt", 40, "Joint CSIRT: on-call rotas, simulated ward endpoints, costs, incidents")
def demo_csirt(ctx: DemoContext) -> None:
    rng = ctx.rng("csirt")
    users = _users(ctx)
    today_9 = to_jst(ctx.now).replace(hour=9, minute=0, second=0, microsecond=0)
    _teams(ctx, users, today_9 - timedelta(days=1))
    _finance_teams(ctx)
    with ctx.db.session() as session:
        if (
            session.scalar(select(Incident.id).where(Incident.origin == "demo").limit(1))
            is not None
        ):
            ctx.report("csirt: demo incidents exist already")
            return
    ward_list = list(wards())
    count = 0
    for n in range(60):
        ward = ward_list[n % len(ward_list)]
        detected = ctx.now - timedelta(days=rng.uniform(3, 150), hours=rng.uniform(0, 24))
        run_incident(ctx, rng, ward, users, detected, rng.choice(SCENARIOS), n)
        count += 1
    campaign = [w.code for w in ward_list[1:4]]
    run_incident(
        ctx,
        rng,
        ward_list[0],
        users,
        ctx.now - timedelta(days=20),
        SCENARIOS[0],
        200,
        extra_wards=campaign,
    )
    leak = (
        "information_leak",
        "住民情報を含むファイルの誤送信・流出",
        "委託事業者の誤送信",
        "",
        "block_url",
        "https://leak.example.net/{slug}/{n}",
    )
    run_incident(
        ctx,
        rng,
        ward_list[7],
        users,
        ctx.now - timedelta(days=9),
        leak,
        201,
        people=12_480,
        close=False,
    )
    for n, ward in enumerate(ward_list[10:16]):
        run_incident(
            ctx,
            rng,
            ward,
            users,
            ctx.now - timedelta(hours=rng.uniform(2, 30)),
            rng.choice(SCENARIOS),
            300 + n,
            close=False,
        )
    ctx.report(
        f"csirt: {count + 8} incidents (1 cross-ward, 1 major, 7 open), 48 on-call teams, 23 "
        "simulated endpoints"
    )


def _category(title: str) -> str:
    lowered = title.lower()
    for words, category in (
        (("spray", "brute", "password", "logon", "login", "vpn"), "unauthorised_access"),
        (("phish", "mail", "メール"), "phishing"),
        (("powershell", "malware", "beacon", "ransom", "download"), "ransomware"),
    ):
        if any(w in lowered for w in words):
            return category
    return "other"


@step(
    "csirt-alerts", 46, "Joint CSIRT: incidents opened from the SOC's demo alerts (campaigns first)"
)
def demo_incidents_from_alerts(ctx: DemoContext) -> None:
    """Campaign alerts become cross-ward incidents; a ward alert of a campaign, opened on its
    own by the ward, is merged into the campaign's incident; attack sources are blocked."""
    with ctx.db.session() as session:
        done = select(Incident.id).where(Incident.source == "alert", Incident.origin == "demo")
        if session.scalar(done.limit(1)):
            ctx.report("csirt-alerts: incidents from alerts exist already")
            return
        queue = soc_alerts.search_alerts(
            session, SYSTEM, soc_alerts.AlertFilter(status="new", per_page=500)
        ).items
        campaigns = [a for a in queue if a.kind == "campaign"][:3]
        # One ward's alert of each campaign, opened by the ward before the centre saw the campaign.
        members = [
            next(m for m in queue if m.campaign_id == c.id)
            for c in campaigns
            if any(m.campaign_id == c.id for m in queue)
        ]
        others = [
            a
            for a in queue
            if a.kind != "campaign" and a.campaign_id is None and a.level in ("high", "critical")
        ]
        picked = [
            (a.id, a.public_id, a.rule_title, a.created_at, a.campaign_id)
            for a in [*campaigns, *members, *others[:2]]
        ]
    users = _users(ctx)
    responder = _principal(users["joint.csirt"])
    opened: dict[int, int] = {}
    merged = 0
    clock = FakeClock(ctx.now)
    for alert_pk, public_id, title, raised, campaign in picked:
        clock = FakeClock(min(max(raised, clock.now()) + timedelta(minutes=3), ctx.now))
        with ctx.db.session() as session:
            incident = incidents.create_incident(
                session,
                responder,
                IncidentCreate(
                    category=_category(title),
                    alert_ids=[public_id],
                    origin="demo",
                ),
                ctx.settings,
                alert_source=SocAlertSource(clock),
                now=clock.now(),
            )
            if campaign in opened:
                merge.merge(
                    _by(clock, ctx, session, responder),
                    opened[campaign],
                    [incident.id],
                    reason="同一キャンペーンのアラート",
                )
                merged += 1
            else:
                opened[alert_pk] = incident.id
    for incident_id in opened.values():
        clock.advance(minutes=4)
        if clock.now() > ctx.now:
            break  # the later incidents are still new at the demo's "now"
        action_id = None
        with ctx.db.session() as session:
            by = _by(clock, ctx, session, responder)
            changes.transition(by, incident_id, "triage", "SOCアラートを確認中")
            source = next(
                (
                    i.value
                    for i in indicators.listed(session, incident_id)
                    if i.kind == "ipv4" and not i.internal
                ),
                None,
            )
            ward = incidents.get_incident(session, responder, incident_id).lead_ward
            if source is not None:
                action_id = actions.request_action(
                    by,
                    incident_id,
                    kind="block_ip",
                    target=source,
                    reason="攻撃元アドレスの遮断",
                    ward=ward,
                    connector_id=None,
                ).id
        if action_id is not None and clock.now() + timedelta(minutes=3) <= ctx.now:
            clock.advance(minutes=3)
            action_runner.run_action(ctx.db, ctx.settings, clock, action_id)
    ctx.report(
        f"csirt-alerts: {len(opened)} incidents opened from SOC alerts, {merged} merged into "
        "campaigns"
    )
