"""Demo step: a realistic register of a few hundred assets for each of the 23 wards.

Each ward gets its 20 standardised core systems on the Government Cloud, internal
systems on LGWAN, internet-facing services, data sets (open data among them), device
groups, the three network segments with address plans, and SaaS. About one asset in
ten is left unclassified, as in real registers, so that the KPI has work to show.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from rengo.assets.models import Asset, AssetChange
from rengo.assets.reference import BUSINESS_SYSTEMS, SEGMENTS
from rengo.assets.service import search_text_for
from rengo.core.demo import DemoContext, step
from rengo.core.wards import Ward, wards

DEPARTMENTS = (
    "総務部",
    "区民部",
    "福祉部",
    "子ども家庭部",
    "健康部",
    "環境清掃部",
    "都市整備部",
    "教育委員会事務局",
    "危機管理室",
    "政策経営部",
    "会計管理室",
    "選挙管理委員会事務局",
)
PROVIDERS = ("aws", "aws", "aws", "azure", "gcp", "oci", "sakura")
INTERNAL_SYSTEMS = (
    ("文書管理システム", "総務部"),
    ("財務会計システム", "会計管理室"),
    ("人事給与システム", "総務部"),
    ("グループウェア", "政策経営部"),
    ("庁内ポータル", "政策経営部"),
    ("統合宛名システム", "区民部"),
    ("中間サーバー連携", "区民部"),
    ("庶務事務システム", "総務部"),
    ("施設予約システム", "区民部"),
    ("図書館システム", "教育委員会事務局"),
    ("防災情報システム", "危機管理室"),
    ("GISシステム", "都市整備部"),
    ("ファイルサーバー", "政策経営部"),
    ("Active Directory", "政策経営部"),
)
INTERNET_SYSTEMS = (
    ("区公式ウェブサイト(CMS)", "政策経営部"),
    ("インターネットメール", "政策経営部"),
    ("電子申請サービス", "区民部"),
    ("オープンデータカタログ", "政策経営部"),
    ("SSL-VPN装置", "政策経営部"),
    ("Web閲覧分離(画面転送)", "政策経営部"),
)
SAAS = (
    ("Microsoft 365", "政策経営部"),
    ("Box", "政策経営部"),
    ("LINE WORKS", "区民部"),
    ("kintone", "子ども家庭部"),
    ("LoGoフォーム", "区民部"),
    ("Zoom", "総務部"),
)
DATASETS = (
    ("住民基本台帳データ", "区民部", 3, True),
    ("避難行動要支援者名簿", "福祉部", 3, True),
    ("介護認定データ", "福祉部", 3, True),
    ("母子健康手帳交付記録", "健康部", 3, True),
    ("児童生徒の学籍データ", "教育委員会事務局", 3, True),
    ("職員名簿", "総務部", 2, True),
    ("避難所一覧", "危機管理室", 1, False),
    ("AED設置場所一覧", "健康部", 1, False),
    ("公衆トイレ一覧", "環境清掃部", 1, False),
    ("保育園一覧", "子ども家庭部", 1, False),
    ("文化財一覧", "教育委員会事務局", 1, False),
    ("人口統計(町丁別)", "政策経営部", 1, False),
    ("ごみ収集日", "環境清掃部", 1, False),
    ("公共施設一覧", "総務部", 1, False),
)
DEVICE_GROUPS = ("職員用端末", "窓口端末", "複合機", "タブレット", "モバイルルーター")


def _segment_plan(index: int) -> dict[str, str]:
    """Address plan of one ward: each layer of the three-layer model has its own range."""
    return {
        "mynumber": f"10.{index}.0.0/16",
        "lgwan": f"10.{100 + index}.0.0/16",
        "internet": f"172.16.{index}.0/24",
    }


def _maybe_unclassified(rng: random.Random, c: int, i: int, a: int) -> dict[str, int | None]:
    if rng.random() < 0.1:
        return {"confidentiality": None, "integrity": None, "availability": None}
    return {"confidentiality": c, "integrity": i, "availability": a}


def _ward_assets(
    ward: Ward, index: int, rng: random.Random, now: datetime
) -> list[dict[str, object]]:
    slug, plan = ward.slug, _segment_plan(index)
    mail_domain = f"city.{slug}.lg.jp"
    out: list[dict[str, object]] = []

    def add(**fields: object) -> None:
        fields.setdefault("created_at", now - timedelta(days=rng.randint(1, 720)))
        out.append(fields)

    for n, (key, term) in enumerate(BUSINESS_SYSTEMS.items()):
        provider = PROVIDERS[(index + n) % len(PROVIDERS)]
        add(
            kind="system",
            name=f"{term.ja}システム",
            department=rng.choice(DEPARTMENTS[:6]),
            location="gov_cloud",
            cloud_provider=provider,
            segment="mynumber",
            **_maybe_unclassified(rng, 3, 2, 2),
            personal_data=True,
            personal_data_count=int(ward.population * rng.uniform(0.05, 1.0)),
            business_system=key,
            hostnames=[f"{key.replace('_', '-')}.{slug}.lg.local"],
            cost_tags={"ward": ward.code, "system": key, "env": "prod"},
            introduced_on=date(2025, rng.randint(4, 12), 1),
            renewal_due_on=date(2030, 3, 31),
        )
    for name, dept in INTERNAL_SYSTEMS:
        add(
            kind="system",
            name=name,
            department=dept,
            location="on_premises",
            segment="lgwan",
            **_maybe_unclassified(rng, 2, 2, rng.choice((1, 2))),
            personal_data=name in ("統合宛名システム", "人事給与システム"),
            hostnames=[f"sv{n:02d}.{slug}.lg.local" for n in [len(out)]],
            introduced_on=date(rng.randint(2015, 2023), 4, 1),
        )
    for name, dept in INTERNET_SYSTEMS:
        add(
            kind="system",
            name=name,
            department=dept,
            location="data_centre",
            segment="internet",
            **_maybe_unclassified(rng, 2, 2, 2),
            personal_data=name == "電子申請サービス",
            hostnames=[f"www.city.{slug}.lg.jp"] if "ウェブ" in name else [],
            mail_domains=[mail_domain] if "メール" in name else [],
            ip_ranges=[plan["internet"]] if "VPN" in name else [],
        )
    for name, dept in SAAS:
        add(
            kind="cloud_service",
            name=name,
            department=dept,
            location="saas",
            segment="internet",
            **_maybe_unclassified(rng, 2, 1, 1),
            mail_domains=[mail_domain] if name == "Microsoft 365" else [],
        )
    for name, dept, conf, personal in DATASETS:
        add(
            kind="dataset",
            name=name,
            department=dept,
            location="on_premises" if personal else "saas",
            segment="mynumber" if conf == 3 else ("lgwan" if conf == 2 else "internet"),
            **_maybe_unclassified(rng, conf, 2 if personal else 1, 1),
            personal_data=personal,
            personal_data_count=int(ward.population * rng.uniform(0.01, 1.0)) if personal else None,
        )
    for key, cidr in plan.items():
        add(
            kind="network",
            name=f"{SEGMENTS[key].ja}ネットワーク",
            department="政策経営部",
            location="on_premises",
            segment=key,
            **_maybe_unclassified(rng, 3 if key == "mynumber" else 2, 2, 2),
            ip_ranges=[cidr],
        )
    # Device groups fill the rest: a few hundred entries per ward, as real registers have.
    target = rng.randint(240, 320)
    n = 0
    while len(out) < target:
        n += 1
        dept = DEPARTMENTS[n % len(DEPARTMENTS)]
        group = DEVICE_GROUPS[n % len(DEVICE_GROUPS)]
        segment = ("lgwan", "mynumber", "lgwan", "internet")[n % 4]
        third = (n * 7) % 250
        second = {"mynumber": index, "lgwan": 100 + index}.get(segment)
        add(
            kind="device",
            name=f"{group}({dept})第{n}群",
            department=dept,
            location="on_premises",
            segment=segment,
            **_maybe_unclassified(rng, 2, 1, 1),
            ip_ranges=[f"10.{second}.{third}.0/24"] if second is not None else [],
            hostnames=[f"pc-{n:04d}.{slug}.lg.local"],
            introduced_on=date(rng.randint(2019, 2025), 4, 1),
        )
    return out


@step("assets", 20, "A few hundred assets per ward in the information asset register")
def demo_assets(ctx: DemoContext) -> None:
    with ctx.db.session() as session:
        if session.scalar(select(func.count()).select_from(Asset).where(Asset.origin == "demo")):
            ctx.report("assets: demo register already present")
            return
        total = 0
        for index, ward in enumerate(wards(), start=1):
            rng = ctx.rng(f"assets:{ward.code}")
            rows = _ward_assets(ward, index, rng, ctx.now)
            for fields in rows:
                created_at = fields.pop("created_at")
                asset = Asset(
                    tenant=ward.code,
                    origin="demo",
                    created_at=created_at,
                    updated_at=created_at,
                    **fields,
                )
                asset.search_text = search_text_for(asset)
                session.add(asset)
            session.flush()
            session.add_all(
                AssetChange(
                    asset_id=a.id,
                    tenant=a.tenant,
                    version=1,
                    at=a.created_at,
                    actor="demo",
                    action="create",
                    changes={"name": a.name},
                )
                for a in session.scalars(select(Asset).where(Asset.tenant == ward.code))
            )
            total += len(rows)
    ctx.report(f"assets: {total} demo assets in 23 wards")
