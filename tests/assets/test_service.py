"""The register: validation, history, optimistic locking, tenancy, search."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import ValidationError

from rengo.assets import service
from rengo.assets.schemas import AssetCreate
from rengo.assets.settings import AssetSettings
from rengo.core import audit
from rengo.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from rengo.core.permissions import Principal, Role
from rengo.core.runtime import Runtime
from tests.helpers import ADMIN_JOINT, IT_A, IT_B, SOC_JOINT, WARD_A, WARD_B, asset_fields


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"kind": "spaceship"}, "unknown kind"),
        ({"location": "gov_cloud", "cloud_provider": None}, "names its cloud_provider"),
        ({"ip_ranges": ["10.0.0.300/24"]}, "not an IP address"),
        ({"hostnames": ["bad host!"]}, "not a valid host"),
        ({"personal_data": False, "personal_data_count": 5}, "personal_data is false"),
        ({"segment": "intranet"}, "unknown network segment"),
        ({"cost_tags": "novalue"}, "key=value"),
        ({"business_system": "payroll"}, "unknown business system"),
    ],
)
def test_invalid_fields_are_refused_naming_the_problem(overrides: dict, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        AssetCreate(**asset_fields(**overrides))


def test_text_lists_and_tags_are_parsed_and_normalised() -> None:
    data = AssetCreate(
        **asset_fields(
            ip_ranges="10.1.2.3/16; 192.0.2.1",
            hostnames="Host.Example.JP.",
            cost_tags="env=prod;owner=区民部",
        )
    )
    assert data.ip_ranges == ["10.1.0.0/16", "192.0.2.1/32"]
    assert data.hostnames == ["host.example.jp"]
    assert data.cost_tags == {"env": "prod", "owner": "区民部"}


def test_classification_levels_follow_the_settings(env: Runtime) -> None:
    with env.db.session() as session, pytest.raises(InvalidInput) as error:
        service.create_asset(session, IT_A, AssetCreate(**asset_fields(integrity=3)), env.settings)
    assert error.value.problems[0].location == "field integrity"
    env.settings.section(AssetSettings).integrity_levels = [1, 2, 3]
    with env.db.session() as session:
        service.create_asset(session, IT_A, AssetCreate(**asset_fields(integrity=3)), env.settings)


def test_every_change_is_kept_with_who_what_and_audited(
    env: Runtime, make_asset: Callable[..., int]
) -> None:
    asset_id = make_asset()
    with env.db.session() as session:
        service.update_asset(
            session, IT_A, asset_id, {"owner": "新しい課長", "availability": 1}, env.settings
        )
        unchanged = service.update_asset(
            session, IT_A, asset_id, {"owner": "新しい課長"}, env.settings
        )
        assert unchanged.version == 2
        changes = service.history(session, IT_A, asset_id)
        events = audit.query(session, tenants=None, object_type="asset")
    assert [(c.version, c.action) for c in changes] == [(2, "update"), (1, "create")]
    assert changes[0].changes == {"owner": ["戸籍住民課長", "新しい課長"], "availability": [2, 1]}
    assert changes[0].actor == IT_A.label
    assert [e.action for e in events] == ["asset.update", "asset.create"]


def test_lost_updates_are_prevented(env: Runtime, make_asset: Callable[..., int]) -> None:
    asset_id = make_asset()
    with env.db.session() as session:
        service.update_asset(
            session, IT_A, asset_id, {"owner": "A"}, env.settings, expected_version=1
        )
        with pytest.raises(Conflict, match="version 2, not 1"):
            service.update_asset(
                session, IT_A, asset_id, {"owner": "B"}, env.settings, expected_version=1
            )


def test_updates_are_validated_like_creates(env: Runtime, make_asset: Callable[..., int]) -> None:
    asset_id = make_asset()
    with env.db.session() as session:
        with pytest.raises(InvalidInput) as error:
            service.update_asset(session, IT_A, asset_id, {"cloud_provider": None}, env.settings)
        assert "cloud_provider" in str(error.value)
        with pytest.raises(InvalidInput, match="unknown fields"):
            service.update_asset(session, IT_A, asset_id, {"tenant": WARD_B}, env.settings)


def test_a_ward_never_reads_or_changes_another_wards_assets(
    env: Runtime, make_asset: Callable[..., int]
) -> None:
    asset_b = make_asset(IT_B)
    with env.db.session() as session:
        with pytest.raises(NotFound):
            service.get_asset(session, IT_A, asset_b)
        with pytest.raises(NotFound):
            service.update_asset(session, IT_A, asset_b, {"owner": "x"}, env.settings)
        with pytest.raises(NotFound):
            service.history(session, IT_A, asset_b)
        with pytest.raises(Forbidden):
            service.search_assets(session, IT_A, service.AssetFilter(ward=WARD_B))
        with pytest.raises(Forbidden):
            service.create_asset(
                session, IT_A, AssetCreate(**asset_fields(), ward=WARD_B), env.settings
            )
        assert service.search_assets(session, IT_A, service.AssetFilter()).total == 0
        assert service.get_asset(session, SOC_JOINT, asset_b).tenant == WARD_B


def test_roles_without_write_permission_cannot_change(
    env: Runtime, make_asset: Callable[..., int]
) -> None:
    asset_id = make_asset()
    finance = Principal(WARD_A, Role.WARD_FINANCE)
    with env.db.session() as session:
        assert service.get_asset(session, finance, asset_id).id == asset_id
        with pytest.raises(Forbidden):
            service.update_asset(session, finance, asset_id, {"owner": "x"}, env.settings)
        with pytest.raises(Forbidden):
            service.update_asset(session, SOC_JOINT, asset_id, {"owner": "x"}, env.settings)


def test_the_joint_centre_must_name_the_ward(env: Runtime) -> None:
    with env.db.session() as session:
        with pytest.raises(InvalidInput, match="which ward"):
            service.create_asset(session, ADMIN_JOINT, AssetCreate(**asset_fields()), env.settings)
        asset = service.create_asset(
            session, ADMIN_JOINT, AssetCreate(**asset_fields(), ward=WARD_B), env.settings
        )
        assert asset.tenant == WARD_B


def test_search_filters_text_paging_and_sorting(
    env: Runtime, make_asset: Callable[..., int]
) -> None:
    make_asset(name="100%_完了 台帳")
    make_asset(
        name="文書管理システム",
        kind="system",
        location="on_premises",
        cloud_provider=None,
        segment="lgwan",
        confidentiality=None,
        personal_data=False,
        personal_data_count=None,
        business_system=None,
    )
    for i in range(5):
        make_asset(
            name=f"職員用端末 {i}",
            kind="device",
            location="on_premises",
            cloud_provider=None,
            hostnames=[f"pc-{i}.chiyoda.lg.local"],
        )
    make_asset(IT_B, name="職員用端末 B")
    with env.db.session() as session:

        def find(**kw: object) -> list[str]:
            page = service.search_assets(session, IT_A, service.AssetFilter(**kw))
            return [a.name for a in page.items]

        assert find(q="%_") == ["100%_完了 台帳"]  # LIKE wildcards are literal
        assert find(q="PC-3") == ["職員用端末 3"]  # host names, case-insensitive
        assert find(kind="device", per_page=2, page=3) == ["職員用端末 4"]
        assert find(classified=False) == ["文書管理システム"]
        assert find(segment="lgwan", personal_data=False) == ["文書管理システム"]
        assert len(find(q="職員用端末")) == 5  # ward B's stays invisible
        joint = service.search_assets(
            session, SOC_JOINT, service.AssetFilter(q="職員用端末", sort="ward")
        )
        assert joint.total == 6 and joint.items[-1].tenant == WARD_B
        with pytest.raises(InvalidInput):
            service.search_assets(session, IT_A, service.AssetFilter(sort="bogus"))


def test_footprint_and_segments_feed_the_soc_and_the_anonymiser(
    env: Runtime, make_asset: Callable[..., int]
) -> None:
    make_asset(ip_ranges=["10.1.0.0/16"], hostnames=["jumin.chiyoda.lg.local"], segment="mynumber")
    make_asset(
        kind="cloud_service",
        location="saas",
        cloud_provider=None,
        segment="internet",
        mail_domains=["city.chiyoda.lg.jp"],
        ip_ranges=["172.16.1.0/24"],
        hostnames=[],
    )
    make_asset(IT_B, ip_ranges=["10.2.0.0/16"])
    with env.db.session() as session:
        footprint = service.ward_footprint(session, WARD_A)
        segments = service.segment_ranges(session, WARD_A)
    assert footprint.ip_ranges == {"10.1.0.0/16", "172.16.1.0/24"}
    assert footprint.mail_domains == {"city.chiyoda.lg.jp"}
    assert segments == {"mynumber": {"10.1.0.0/16"}, "internet": {"172.16.1.0/24"}}


def test_counts_stop_at_the_cap(
    env: Runtime, make_asset: Callable[..., int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "COUNT_CAP", 3)
    for i in range(5):
        make_asset(name=f"端末 {i}")
    with env.db.session() as session:
        page = service.search_assets(session, IT_A, service.AssetFilter(q="端末", per_page=2))
        few = service.search_assets(session, IT_A, service.AssetFilter(q="端末 1"))
    assert (page.total, page.total_is_lower_bound, len(page.items)) == (3, True, 2)
    assert (few.total, few.total_is_lower_bound) == (1, False)


def test_cross_ward_text_search_uses_exact_substrings(
    env: Runtime, make_asset: Callable[..., int]
) -> None:
    make_asset(name='ファイルサーバー "本庁"')
    make_asset(IT_B, name="ファイル共有", hostnames=["fs-01.chuo.lg.local"])
    make_asset(IT_B, name="ファイアウォール")
    with env.db.session() as session:

        def joint(q: str) -> list[str]:
            found = service.search_assets(session, SOC_JOINT, service.AssetFilter(q=q, sort="name"))
            assert found.total == len(found.items)  # counted from the index on SQLite
            return [a.name for a in found.items]

        assert joint("ファイル") == ['ファイルサーバー "本庁"', "ファイル共有"]
        assert joint('"本庁"') == ['ファイルサーバー "本庁"']
        assert joint("FS-01.CHUO") == ["ファイル共有"]
        assert joint("ファイ") == ["ファイアウォール", 'ファイルサーバー "本庁"', "ファイル共有"]


def test_nul_bytes_in_search_text_are_ignored(env: Runtime, make_asset: Callable[..., int]) -> None:
    make_asset(name="文書管理システム")
    with env.db.session() as session:
        found = service.search_assets(session, SOC_JOINT, service.AssetFilter(q="文書\x00管理"))
    assert [a.name for a in found.items] == ["文書管理システム"]
