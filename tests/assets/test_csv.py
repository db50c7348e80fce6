"""CSV export opens in Excel; import is all-or-nothing with row-numbered errors."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest

from rengo.assets import csvio, service
from rengo.core.errors import InvalidInput
from rengo.core.runtime import Runtime
from tests.helpers import IT_A, SOC_JOINT, WARD_A, WARD_B

HEADER_JA = (
    "ID,区コード,種別,名称,所管部署,設置場所,クラウド事業者,ネットワーク区分,機密性,完全性,可用性,"
    "個人情報,個人情報の人数,IPアドレス範囲\n"
)


def _export(env: Runtime, language: str = "ja") -> str:
    with env.db.session() as session:
        rows = list(service.iter_assets(session, IT_A, service.AssetFilter()))
        return "".join(csvio.export_rows(rows, language))


def _import(env: Runtime, data: bytes, principal=IT_A) -> csvio.ImportResult:  # type: ignore[no-untyped-def]
    with env.db.session() as session:
        return csvio.import_csv(session, principal, data, env.settings, filename="台帳.csv")


def _count(env: Runtime) -> int:
    with env.db.session() as session:
        return service.search_assets(session, SOC_JOINT, service.AssetFilter()).total


def test_export_has_bom_japanese_headers_and_labels(
    env: Runtime, make_asset: Callable[..., int]
) -> None:
    make_asset()
    text = _export(env)
    assert text.startswith("\ufeffID,区コード,種別,名称")
    row = next(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert row["種別"] == "情報システム" and row["設置場所"] == "ガバメントクラウド"
    assert row["個人情報"] == "はい" and row["IPアドレス範囲"] == "10.1.0.0/16"
    english = _export(env, "en")
    assert "\ufeffid,ward,kind,name" in english and ",system," in english


def test_export_then_import_round_trips_without_changes(
    env: Runtime, make_asset: Callable[..., int]
) -> None:
    make_asset()
    make_asset(
        name="避難所一覧",
        kind="dataset",
        location="saas",
        cloud_provider=None,
        segment="internet",
        confidentiality=1,
        integrity=1,
        availability=1,
        personal_data=False,
        personal_data_count=None,
        business_system=None,
        ip_ranges=[],
        hostnames=[],
    )
    before = _export(env)
    result = _import(env, before.encode("utf-8"))
    assert (result.created, result.updated) == (0, 2)
    assert _export(env) == before
    with env.db.session() as session:
        assert all(
            len(service.history(session, IT_A, a.id)) == 1
            for a in service.iter_assets(session, IT_A, service.AssetFilter())
        )


def test_import_creates_from_cp932_as_excel_saves_it(env: Runtime) -> None:
    data = (
        HEADER_JA
        + (
            ",,情報システム,介護保険システム,福祉部,ガバメントクラウド,aws,マイナンバー利用事務系,"
            '3,2,2,はい,"12,000",10.9.0.0/16\n'
        )
    ).encode("cp932")
    assert _import(env, data).created == 1
    with env.db.session() as session:
        asset = service.search_assets(session, IT_A, service.AssetFilter(q="介護")).items[0]
    assert (asset.tenant, asset.segment, asset.personal_data_count) == (WARD_A, "mynumber", 12_000)
    assert asset.origin == "import"


def test_a_bad_row_names_line_and_field_and_nothing_is_imported(env: Runtime) -> None:
    rows = [
        ",,情報システム,正しい行,総務部,庁舎内(オンプレミス),,LGWAN接続系,2,1,1,いいえ,,",
        ",,宇宙船,種別が誤り,総務部,庁舎内(オンプレミス),,,2,1,1,いいえ,,",
        ",,情報システム,レベルが誤り,総務部,庁舎内(オンプレミス),,,9,1,1,いいえ,,",
        ",,情報システム,IPが誤り,総務部,庁舎内(オンプレミス),,,2,1,1,たぶん,,999.1.1.1",
        ",,情報システム,列が足りない",
    ]
    with pytest.raises(InvalidInput) as error:
        _import(env, ("\ufeff" + HEADER_JA + "\n".join(rows) + "\n").encode("utf-8"))
    where = {p.location for p in error.value.problems}
    assert "台帳.csv:3 field kind" in where
    assert "台帳.csv:4 field confidentiality" in where
    assert "台帳.csv:5 field personal_data" in where
    assert "台帳.csv:6" in where
    assert "nothing was imported" in error.value.message
    assert _count(env) == 0


def test_unknown_columns_and_foreign_wards_are_refused(
    env: Runtime, make_asset: Callable[..., int]
) -> None:
    with pytest.raises(InvalidInput) as error:
        _import(env, "名称,種別,色\nx,情報システム,赤\n".encode())
    assert error.value.problems[0].location == "台帳.csv:1 column 3"
    other = make_asset(IT_A)
    data = (
        f"ID,区コード,種別,名称,設置場所\n{other},{WARD_B},情報システム,乗っ取り,庁舎内(オンプレミ"
        "ス)\n"
    )
    with pytest.raises(InvalidInput) as error:
        _import(env, data.encode())
    messages = " ".join(str(p) for p in error.value.problems)
    assert f"may not import assets of {WARD_B}" in messages


def test_undecodable_files_are_reported(env: Runtime) -> None:
    with pytest.raises(InvalidInput, match="cannot read"):
        _import(env, b"\x81\x00\xff\xfe\xfd")


def test_bare_carriage_returns_and_broken_quotes_are_reported_not_crashed(env: Runtime) -> None:
    mac = "名称,種別,設置場所\r端末A,端末・機器,庁舎内(オンプレミス)\r".encode()
    assert _import(env, mac).created == 1
    with pytest.raises(InvalidInput) as error:
        _import(env, '名称,種別,設置場所\n"端末B,端末・機器,庁舎内\n'.encode())
    assert any("台帳.csv" in p.location for p in error.value.problems)
