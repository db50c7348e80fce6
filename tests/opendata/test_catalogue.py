"""Publishing (all or nothing, classification gate, asset in the register, history) and the
Japanese search, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from rengo.assets.models import Asset
from rengo.core.audit import AuditEvent
from rengo.core.errors import InvalidInput, NotFound
from rengo.core.permissions import ANONYMOUS, Principal, Role
from rengo.core.runtime import Runtime
from rengo.opendata import records, search, service
from rengo.opendata.models import Dataset, DatasetChange, Resource
from tests.helpers import WARD_A, WARD_B
from tests.opendata.samples import csv_bytes, rows

OFFICER_A = Principal(tenant=WARD_A, role=Role.OPENDATA, username="chiyoda.od")
OFFICER_B = Principal(tenant=WARD_B, role=Role.OPENDATA, username="chuo.od")


def publish(
    env: Runtime,
    principal: Principal = OFFICER_A,
    data: bytes | None = None,
    ward: str | None = None,
    **fields: Any,
) -> Dataset:
    values = {"title": "AED設置箇所一覧", "standard_type": "aed", **fields}
    upload = service.Upload("aed.csv", data if data is not None else csv_bytes(rows()))
    with env.db.session() as session:
        return service.publish(
            session,
            principal,
            service.parse_fields(values),
            env.settings,
            env.data_dir,
            uploads=[upload],
            ward=ward,
        )


def test_publish_makes_a_public_asset_resource_records_and_audit(env: Runtime) -> None:
    dataset = publish(env, tags=["防災", "AED"])
    with env.db.session() as session:
        stored = session.scalar(select(Dataset).where(Dataset.id == dataset.id))
        assert stored is not None and stored.tenant == WARD_A and stored.category == "disaster"
        assert stored.license_id == "CC-BY-4.0"
        asset = session.get(Asset, stored.asset_id)
        assert asset is not None and asset.kind == "dataset" and asset.confidentiality == 1
        assert asset.tenant == WARD_A
        (resource,) = service.resources_of(session, stored)
        assert resource.row_count == 3 and resource.has_coordinates == 1
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == dataset.id)
        )
        assert list(actions) == ["opendata.dataset.create"]
    found = records.search(env.data_dir, resource.id, filters={"ID": "00002"})
    assert found.total == 1 and found.records[0]["名称"] == "区立施設2"
    assert found.records[0]["緯度"] == pytest.approx(35.691)


def test_an_upload_with_errors_publishes_nothing(env: Runtime) -> None:
    bad = rows()
    bad[1]["全国地方公共団体コード"] = "131017"
    with pytest.raises(InvalidInput) as caught:
        publish(env, data=csv_bytes(bad))
    assert "3行目" in caught.value.problems[0].location
    with env.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Dataset)) == 0
        assert session.scalar(select(func.count()).select_from(Resource)) == 0
        assert (
            session.scalar(
                select(func.count()).select_from(Asset).where(Asset.origin == "opendata")
            )
            == 0
        )
    assert not list(env.data_dir.lake("opendata").iterdir())


@pytest.mark.parametrize(("level", "personal"), [(2, False), (3, False), (None, False), (1, True)])
def test_assets_above_kimitsusei_1_are_refused_with_the_reason(
    env: Runtime, make_asset: Any, level: int | None, personal: bool
) -> None:
    fields: dict[str, Any] = {"kind": "dataset", "name": "住民データ", "confidentiality": level}
    if level is None:
        fields.update(integrity=None, availability=None)
    if personal:
        fields.update(personal_data=True, personal_data_count=10)
    asset_id = make_asset(**fields)
    with env.db.session() as session, pytest.raises(InvalidInput) as caught:
        service.publish(
            session,
            OFFICER_A,
            service.parse_fields({"title": "住民データ"}),
            env.settings,
            env.data_dir,
            asset_id=asset_id,
        )
    reason = caught.value.problems[0].message
    assert ("機密性" in reason) or ("personal" in reason)
    if level and level > 1:
        assert f"機密性{level}" in reason


def test_a_ward_publishes_only_its_own_and_updates_are_versioned(env: Runtime) -> None:
    from rengo.core.errors import Forbidden

    with pytest.raises(Forbidden):
        publish(env, principal=OFFICER_B, ward=WARD_A)
    dataset = publish(env)
    with env.db.session() as session, pytest.raises(NotFound):
        service.update(session, OFFICER_B, dataset.id, {"title": "x"})
    with env.db.session() as session:
        service.update(
            session, OFFICER_A, dataset.name, {"title": "AED一覧(改訂)", "frequency": "monthly"}
        )
    with env.db.session() as session:
        changes = service.history(session, ANONYMOUS, dataset.id)
        assert [c.version for c in changes] == [1, 2]
        assert changes[1].changes["title"] == ["AED設置箇所一覧", "AED一覧(改訂)"]
        service.set_state(session, OFFICER_A, dataset.id, "withdrawn")
    with env.db.session() as session, pytest.raises(NotFound):
        service.find(session, ANONYMOUS, dataset.id)
    with env.db.session() as session:
        assert session.scalar(select(func.count()).select_from(DatasetChange)) == 3


CORPUS = [
    ("保育所一覧", "ほいくしょいちらん", "childcare", "区立・私立の認可保育所"),
    ("人口統計", "じんこうとうけい", "population", "町丁別の人口と世帯"),
    ("防災マップ", "ぼうさいまっぷ", "disaster", "避難所と防災倉庫"),
    ("AED設置箇所一覧", "えーいーでぃー", "disaster", "ＡＥＤの設置場所"),
    ("観光スポット", "かんこうすぽっと", "tourism", "Tourist spots of the ward"),
]


def _corpus(env: Runtime) -> None:
    for n, (title, kana, category, notes) in enumerate(CORPUS):
        with env.db.session() as session:
            service.publish(
                session,
                OFFICER_A if n % 2 == 0 else OFFICER_B,
                service.parse_fields(
                    {"title": title, "title_kana": kana, "category": category, "notes": notes}
                ),
                env.settings,
                env.data_dir,
                links=[
                    service.Link(f"https://example.jp/{n}.csv", title, "CSV" if n != 4 else "XLSX")
                ],
            )


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("人口", {"人口統計"}),
        ("防災", {"防災マップ", "AED設置箇所一覧"}),  # the latter by its category 防災・安全
        ("保育", {"保育所一覧"}),
        ("ﾎｲｸ", {"保育所一覧"}),
        ("ホイク", {"保育所一覧"}),
        ("保育所", {"保育所一覧"}),
        ("aed", {"AED設置箇所一覧"}),
        ("ＡＥＤ", {"AED設置箇所一覧"}),
        ("避難所 防災", {"防災マップ"}),
        ("tourist", {"観光スポット"}),
        ("所", {"保育所一覧", "防災マップ", "AED設置箇所一覧"}),
        ("存在しない語", set()),
    ],
)
def test_japanese_search_finds_two_character_words_and_kana_width_variants(
    env: Runtime, q: str, expected: set[str]
) -> None:
    _corpus(env)
    with env.db.session() as session:
        found = search.search(session, search.Query(q=q, rows=100))
    assert {d.title for d in found.datasets} == expected
    assert found.count == len(expected)


def test_facets_filters_sort_and_paging(env: Runtime) -> None:
    _corpus(env)
    with env.db.session() as session:
        result = search.search(
            session,
            search.Query(
                rows=2, facet_fields=["organization", "groups", "res_format", "license_id"]
            ),
        )
        assert result.count == 5 and len(result.datasets) == 2
        assert dict(result.facets["organization"]) == {WARD_A: 3, WARD_B: 2}
        assert dict(result.facets["groups"])["disaster"] == 2
        assert dict(result.facets["res_format"]) == {"CSV": 4, "XLSX": 1}
        filtered = search.search(
            session, search.Query(filters={"groups": ["disaster"], "organization": [WARD_A]})
        )
        assert [d.title for d in filtered.datasets] == ["防災マップ"]
        by_title = search.search(session, search.Query(sort="title_string asc", rows=5))
        assert [d.title for d in by_title.datasets] == sorted(t for t, *_ in CORPUS)
        second = search.search(session, search.Query(sort="title_string asc", rows=2, start=2))
        assert [d.title for d in second.datasets] == sorted(t for t, *_ in CORPUS)[2:4]
        with pytest.raises(InvalidInput):
            search.search(session, search.Query(rows=1001))


def test_format_facet_follows_added_resources_without_joining_them(env: Runtime) -> None:
    _corpus(env)
    with env.db.session() as session:
        population = session.scalar(select(Dataset).where(Dataset.title == "人口統計"))
        assert population is not None and population.res_formats == '["CSV"]'
        for url, format_ in (
            ("https://example.jp/p.json", "JSON"),
            ("https://example.jp/q", "CSV"),
        ):
            service.add_resource(
                session,
                OFFICER_B,
                population.id,
                env.data_dir,
                env.settings,
                link=service.Link(url, "人口", format_),
            )
    with env.db.session() as session:
        result = search.search(session, search.Query(q="人口", facet_fields=["res_format"]))
        everything = search.search(session, search.Query(facet_fields=["res_format"]))
    assert result.count == 1 and dict(result.facets["res_format"]) == {"CSV": 1, "JSON": 1}
    assert dict(everything.facets["res_format"]) == {"CSV": 4, "XLSX": 1, "JSON": 1}


def test_sqlite_counts_facets_from_the_narrow_search_index(sqlite_url: str) -> None:
    # Each match is looked up in ix_opendata_datasets_search_cover (the columns a search
    # reads), not in the wide rows: what makes facets over 10,000s of matches fast.
    engine = create_engine(sqlite_url)
    with engine.connect() as connection:
        plan = connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT tenant, category, res_formats, count(*) "
            "FROM opendata_datasets WHERE state = 'active' AND pk IN "
            "(SELECT rowid FROM opendata_search_bi WHERE opendata_search_bi MATCH '\"人口\"') "
            "GROUP BY tenant, category, res_formats"
        ).all()
    engine.dispose()
    assert any("COVERING INDEX ix_opendata_datasets_search_cover" in row[-1] for row in plan)
