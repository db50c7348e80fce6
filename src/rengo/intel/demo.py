"""Demo step: shared STIX examples, ward submissions at every stage, advisories, hits.

It builds on the SOC demo's attack stories (the VPN password spraying source, the
phishing wave, the malware host), so that the shared indicators hit real demo logs.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rengo.core.acting import Acting
from rengo.core.demo import DemoContext, step
from rengo.core.permissions import SYSTEM, Principal, Role
from rengo.core.wards import wards
from rengo.intel import advisories, feeds, formats, hunting, public_feeds, submissions
from rengo.intel.models import AdvisoryRecipient, Submission
from rengo.intel.schemas import AccessReport, IndicatorList, PhishingReport, VulnerabilityReport
from rengo.intel.tlp import TLP

SPRAY_IP = "185.220.101.47"  # the SOC demo's VPN spraying source
PHISH_SENDER = "noreply@tax-refund.example.com"
MALWARE_HOST = "cdn-update.example.net"
POLICE_LIST = b"""indicator,comment
185.220.101.47,Tor exit used for VPN password spraying
45.155.205.233,scanner of SSL-VPN appliances
hxxp://tax-refund[.]example[.]com/login,phishing landing page
cdn-update.example.net,malware distribution
"""


def shared_data_dir() -> Path | None:
    """../shared/data next to the checkout (or RENGO_SHARED_DATA), when present."""
    repo = Path(__file__).resolve().parents[3]
    for candidate in (
        os.environ.get("RENGO_SHARED_DATA"),
        repo.parent / "shared" / "data",
        "/work/shared/data",
    ):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


def _load_examples(ctx: DemoContext) -> None:
    shared = shared_data_dir()
    if shared is None:
        ctx.report("intel: ../shared/data is absent, the OASIS and ATT&CK examples are skipped")
        return
    paths = sorted((shared / "stix" / "examples").rglob("*.json"))
    for path in [*paths, shared / "stix" / "mitre-attack" / "ics-attack.json"]:
        level = "clear" if "mitre-attack" in str(path) else "green"
        parsed = formats.parse_stix(path.read_bytes(), path.name)
        private = [
            o
            for o in parsed.objects
            if isinstance(o, dict) and "5e57c739" in str(o.get("object_marking_refs"))
        ]
        parsed.objects = [
            o for o in parsed.objects if o not in private
        ]  # TLP:RED stays out of feeds
        feeds.import_parsed(
            ctx.db,
            ctx.settings,
            SYSTEM,
            parsed,
            source=f"demo:{path.name}",
            now=ctx.now,
            default_tlp=TLP(level),
        )
    ctx.report(
        f"intel: {len(paths)} OASIS STIX examples and MITRE ATT&CK for ICS in the feeds collection"
    )


def _ward(index: int) -> tuple[str, Principal]:
    ward = wards()[index]
    return ward.code, Principal(tenant=ward.code, role=Role.WARD_IT, username=f"{ward.slug}.it")


def _by(ctx: DemoContext, session: Session, principal: Principal, hours_ago: int) -> Acting:
    """``principal``'s change in ``session``, ``hours_ago`` before the demo's now."""
    return Acting(session, principal, ctx.now - timedelta(hours=hours_ago), ctx.settings)


def _submissions(ctx: DemoContext) -> None:
    with ctx.db.session() as session:
        # Published: Chiyoda saw the VPN spraying; Setagaya the phishing wave.
        _, chiyoda = _ward(0)
        spray = AccessReport(
            title="SSL-VPN へのパスワードスプレー攻撃",
            tlp="green",
            technique="password spraying",
            source_addresses=[SPRAY_IP],
            accounts=["admin0", "admin3"],
            user_agents=["python-requests/2.31"],
            target="vpn.city.chiyoda.lg.jp",
            description=(
                "千代田区 情報システム担当が 10.1.0.5 の VPN 装置で多数のログイン失敗を確認。"
            ),
        )
        created = submissions.create(_by(ctx, session, chiyoda, 30), spray, channel="form")
        submissions.approve(
            _by(ctx, session, chiyoda, 28),
            created.id,
            created.version,
            urgency="urgent",  # a spray on the VPN now: every ward must check its own
        )
        _, setagaya = _ward(11)
        phish = PhishingReport(
            title="住民税還付を装うフィッシングメール",
            tlp="green",
            sender=PHISH_SENDER,
            subject="【至急】住民税の還付手続きについて",
            recipients=["user001@setagaya.example.jp"],
            urls=["http://tax-refund.example.com/login"],
            attachment_hashes=["9f2b" * 16],
            attachment_names=["還付申請書.zip"],
            description="5名の職員が受信。1名が添付を開封。",
        )
        created = submissions.create(_by(ctx, session, setagaya, 26), phish, channel="form")
        submissions.approve(_by(ctx, session, setagaya, 25), created.id, created.version)
        # Awaiting approval: Chuo (vulnerability), Minato (incident indicators, redacted once).
        _, chuo = _ward(1)
        vuln = VulnerabilityReport(
            title="Ivanti Connect Secure の脆弱性",
            tlp="amber",
            cve="CVE-2025-0282",
            product="Ivanti Connect Secure",
            vendor="Ivanti",
            version="22.7R2.4",
            exploited=True,
            description="中央区の外部公開装置で悪用の痕跡。",
        )
        submissions.create(_by(ctx, session, chuo, 3), vuln, channel="form")
        _, minato = _ward(2)
        incident = IndicatorList(
            title="マルウェア感染端末の通信先",
            tlp="amber",
            incident_ref="CSIRT-2026-0042",
            values=[MALWARE_HOST, "203.0.113.77", "10.3.4.5"],
            description="港区 財務課の端末 pc-0042 から通信。",
        )
        created = submissions.create(_by(ctx, session, minato, 2), incident, channel="api")
        submissions.reanonymise(_by(ctx, session, minato, 1), created.id, ["財務課"])
        # Kept private (TLP:RED) and withdrawn.
        _, shinjuku = _ward(3)
        red = AccessReport(
            title="内部不正の疑い",
            tlp="red",
            source_addresses=["10.4.2.19"],
            accounts=["staff-0192"],
        )
        submissions.create(_by(ctx, session, shinjuku, 5), red, channel="form")
        _, bunkyo = _ward(4)
        mistaken = IndicatorList(title="誤報告", tlp="green", values=["198.51.100.23"])
        created = submissions.create(_by(ctx, session, bunkyo, 8), mistaken, channel="form")
        submissions.withdraw(_by(ctx, session, bunkyo, 7), created.id)
    ctx.report(
        "intel: 6 ward submissions (2 published, 2 awaiting approval, 1 private, 1 withdrawn)"
    )


def _advisories(ctx: DemoContext) -> None:
    rng = ctx.rng("intel")
    with ctx.db.session() as session:
        body = advisories.AdvisoryCreate(
            title="マルウェア配布サイト cdn-update.example.net への通信遮断",
            severity="critical",
            urgency="urgent",
            tlp="amber",
            summary="複数区で cdn-update.example.net からのダウンロードとビーコン通信を確認。",
            countermeasures=(
                "1. プロキシとDNSで cdn-update.example.net を遮断する。\n2. 通信した端末を隔離し "
                "EDR でフルスキャンする。\n3. 実施結果を本画面で報告する。"
            ),
            indicator_values=[MALWARE_HOST],
            due_at=ctx.now + timedelta(days=2),
        )
        advisory = advisories.publish(_by(ctx, session, SYSTEM, 12), body)
        session.flush()
        rows = list(
            session.scalars(
                select(AdvisoryRecipient).where(AdvisoryRecipient.advisory_id == advisory.id)
            )
        )
        for n, recipient in enumerate(rows):
            if n < 15:
                recipient.acknowledged_at = ctx.now - timedelta(hours=rng.randint(6, 11))
                recipient.applied_at = recipient.acknowledged_at + timedelta(
                    hours=rng.randint(1, 5)
                )
                recipient.acknowledged_by = recipient.applied_by = "demo"
            elif n < 19:
                recipient.acknowledged_at, recipient.acknowledged_by = (
                    ctx.now - timedelta(hours=4),
                    "demo",
                )
        chosen = [w.code for w in wards()[:6]]
        advisories.publish(
            _by(ctx, session, SYSTEM, 6),
            advisories.AdvisoryCreate(
                title="SSL-VPN へのパスワードスプレー攻撃への対策",
                severity="high",
                tlp="amber",
                wards=chosen,
                summary="Tor 出口ノードからの SSL-VPN への認証試行が継続。",
                countermeasures=(
                    "1. 多要素認証を必須にする。\n2. 185.220.101.47 を遮断する。\n3. "
                    "管理者アカウント名を推測されにくいものに変える。"
                ),
                indicator_values=[SPRAY_IP],
            ),
        )
    ctx.report("intel: 2 advisories (one to all wards: 15 applied, 4 acknowledged only, 4 silent)")


def _public_feeds(ctx: DemoContext) -> None:
    """The recorded copies of the public feeds (shipped disabled: nothing is fetched)."""
    loaded = [
        public_feeds.load_recorded(ctx.db, ctx.settings, SYSTEM, feed.key, now=ctx.now)
        for feed in public_feeds.catalogue()
    ]
    ctx.report(
        f"intel: recorded copies of {len(loaded)} public feeds (disabled): "
        f"{sum(r.added for r in loaded)} objects, {sum(r.rejected for r in loaded)} quarantined"
    )


@step(
    "intel",
    50,
    "Shared STIX examples, ward submissions at every stage, advisories and indicator hits",
)
def demo_intel(ctx: DemoContext) -> None:
    with ctx.db.session() as session:
        if session.scalar(select(func.count()).select_from(Submission)):
            ctx.report("intel: demo intelligence already present")
            return
    _load_examples(ctx)
    feeds.import_bytes(
        ctx.db,
        ctx.settings,
        SYSTEM,
        POLICE_LIST,
        "警察庁提供リスト(デモ).csv",
        tlp="amber",
        now=ctx.now,
    )
    _public_feeds(ctx)
    _submissions(ctx)
    _advisories(ctx)
    done = hunting.run_queued_hunts(ctx.db, ctx.settings, ctx.data_dir, ctx.now)
    hits = sum(h.hits for h in done)
    ctx.report(f"intel: retro-hunt over the demo logs: {hits} indicator hits in the wards' events")
