"""Demo step: the linkage zone of 世田谷区 with a care-certification and a medical register
of a synthetic population, approved, linked, and a release awaiting the privacy officer."""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlalchemy import select

from rengo.core.demo import DemoContext, step
from rengo.core.demo_accounts import demo_username
from rengo.core.permissions import Principal, Role
from rengo.ebpm.zone import analysis, deposits, population, registers
from rengo.ebpm.zone.deposits import Zone
from rengo.ebpm.zone.models import ZoneDeposit

WARD, SLUG = "131121", "setagaya"
COLUMNS = {
    "記録番号": {"kind": "link"},
    "氏名": {"kind": "direct"},
    "氏名カナ": {"kind": "direct"},
    "電話番号": {"kind": "direct"},
    "住所": {"kind": "quasi", "hierarchy": "address"},
    "生年月日": {"kind": "quasi", "hierarchy": "date"},
    "性別": {"kind": "quasi"},
}
REGISTERS = (
    (
        "介護認定台帳",
        "要介護度",
        ("要支援1", "要支援2", "要介護1", "要介護2", "要介護3", "要介護4"),
    ),
    ("医療受診記録", "主病名", ("高血圧", "糖尿病", "骨折", "認知症", "心不全", "肺炎")),
)


def _as(role: Role) -> Principal:
    return Principal(WARD, role, username=demo_username(SLUG, role))


@step("ebpm_zone", 60, "Data-linkage zone: two registers linked, a release awaiting approval")
def demo_zone(ctx: DemoContext) -> None:
    zone = Zone.open(ctx.settings, ctx.data_dir)
    with ctx.db.session() as session:
        if session.scalar(select(ZoneDeposit.id).limit(1)) is not None:
            ctx.report("ebpm_zone: already present")
            return
        rng = ctx.rng("ebpm_zone")
        towns = [t for t in population.load_towns() if t.ward_code == WARD] or None
        people = population.residents(6_000, seed=ctx.seed, towns=towns)
        elderly = [p for p in people if p.birth_date.year < 1961]
        ids = []
        for n, (title, extra, values) in enumerate(REGISTERS):
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow([*COLUMNS, extra])
            for i, (_, record) in enumerate(
                registers.register(elderly, min(900, len(elderly)), seed=ctx.seed + n)
            ):
                writer.writerow(
                    [f"{n}-{i:05d}", *(record[c] for c in list(COLUMNS)[1:]), rng.choice(values)]
                )
            row = deposits.deposit(
                session,
                zone,
                _as(Role.DATA_OWNER),
                out.getvalue().encode("cp932"),
                source=f"{title}.csv",
                ward=WARD,
                department="高齢福祉部",
                domain="welfare",
                title=title,
                legal_basis="個人情報保護法 第69条第2項第2号(所掌事務の遂行に必要な内部利用)",
                purpose="介護度と受診状況の関係を分析し、介護予防事業のロジックモデルを評価する",
                retention_until=date(ctx.now.year + 1, 3, 31),
                columns={**COLUMNS, extra: {"kind": "sensitive"}},
                key_column="記録番号",
                today=ctx.now.date(),
            )
            deposits.decide_deposit(
                session, _as(Role.PRIVACY_OFFICER), row.id, approve=True, note="", now=ctx.now
            )
            ids.append(row.id)
        purpose = deposits.request_purpose(
            session,
            _as(Role.ZONE_ANALYST),
            ward=WARD,
            title="介護度と受診状況の関係",
            description="介護予防事業の評価のため、介護認定と医療受診を連結して集計する",
            legal_basis="個人情報保護法 第69条第2項第2号",
            columns={ids[0]: ["生年月日", "性別", "住所", "要介護度"], ids[1]: ["主病名"]},
        )
        deposits.decide_purpose(
            session, _as(Role.PRIVACY_OFFICER), purpose.id, approve=True, now=ctx.now
        )
        linkage = analysis.run(
            session,
            zone,
            _as(Role.ZONE_ANALYST),
            purpose_id=purpose.id,
            left_id=ids[0],
            right_id=ids[1],
        )
        release = analysis.request_release(
            session, zone, _as(Role.ZONE_ANALYST), linkage.id, title="介護度×主病名(匿名加工済み)"
        )
    ctx.report(
        f"ebpm_zone: 2 deposits, {linkage.links} links, release {release.id} awaiting "
        f"{demo_username(SLUG, Role.PRIVACY_OFFICER)}"
    )
