"""Every written form of a resident's identity maps to one canonical form."""

from __future__ import annotations

from datetime import date

import pytest

from rengo.ebpm.zone import normalise


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("髙橋 花子", "高橋花子"),
        ("高橋\u3000花子", "高橋花子"),
        ("渡邊 一郎", "渡辺一郎"),
        ("山﨑　太郎", "山崎太郎"),
        ("  ", None),
        (None, None),
    ],
)
def test_names_lose_width_spaces_and_variants(written: str | None, canonical: str | None) -> None:
    assert normalise.name(written) == canonical


@pytest.mark.parametrize("written", ["すずき はなこ", "ｽｽﾞｷ ﾊﾅｺ", "スズキ・ハナコ", "スズキハナコ"])
def test_readings_become_katakana(written: str) -> None:
    assert normalise.kana(written) == "スズキハナコ"


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("昭和45年3月2日", date(1970, 3, 2)),
        ("S45.3.2", date(1970, 3, 2)),
        ("Ｓ４５．３．２", date(1970, 3, 2)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("R2/12/31", date(2020, 12, 31)),
        ("1970/3/2", date(1970, 3, 2)),
        ("1970-03-02", date(1970, 3, 2)),
        ("19700302", date(1970, 3, 2)),
        ("1970年3月2日", date(1970, 3, 2)),
        ("昭和45年2月30日", None),
        ("不明", None),
        ("", None),
    ],
)
def test_birth_dates_in_wareki_and_seireki(written: str, day: date | None) -> None:
    assert normalise.birth_date(written) == day


@pytest.mark.parametrize(
    "written",
    [
        "東京都世田谷区太子堂一丁目2番3号",
        "世田谷区太子堂1丁目2番3号",
        "世田谷区太子堂１－２－３",
        "世田谷区太子堂1-2-3",
        "世田谷区 太子堂 一丁目二番地三",
        "世田谷区太子堂1丁目2-3",
    ],
)
def test_addresses_take_one_form(written: str) -> None:
    assert normalise.address(written) == "世田谷区太子堂1丁目2-3"
    assert normalise.town(written) == "世田谷区太子堂1丁目"


def test_larger_block_numbers_in_kanji() -> None:
    assert normalise.address("足立区千住二十三丁目十二番百五号") == "足立区千住23丁目12-105"


def test_towns_without_chome() -> None:
    assert normalise.address("新宿区喜久井町27番20号") == "新宿区喜久井町27-20"
    assert normalise.address("新宿区喜久井町２７－２０") == "新宿区喜久井町27-20"
    assert normalise.town("新宿区喜久井町27番20号") == "新宿区喜久井町"


@pytest.mark.parametrize(
    ("written", "digits"),
    [
        ("03-1234-5678", "0312345678"),
        ("03(1234)5678", "0312345678"),
        ("＋８１ ３－１２３４－５６７８", "0312345678"),
        ("090-1234-5678", "09012345678"),
        ("1234", None),
    ],
)
def test_phone_numbers_are_digits(written: str, digits: str | None) -> None:
    assert normalise.phone(written) == digits


def test_individual_number_check_digit() -> None:
    # 12345678901 → check digit 8 (the worked example of the 施行令 第8条 formula).
    assert normalise.individual_number_is_valid("123456789018")
    assert not normalise.individual_number_is_valid("123456789010")
    assert not normalise.individual_number_is_valid("12345678901")


def test_numbers_inside_town_names_stay_as_written() -> None:
    assert normalise.address("北区上十条二丁目13番16号") == "北区上十条2丁目13-16"
    assert normalise.town("北区上十条二丁目13番16号") == "北区上十条2丁目"
    assert normalise.address("中央区八丁堀三丁目5番2号") == "中央区八丁堀3丁目5-2"
    assert normalise.address("千代田区二番町5番18号") == "千代田区二番町5-18"
    assert normalise.town("千代田区二番町5-18") == "千代田区二番町"
    assert normalise.address("世田谷区三軒茶屋一丁目二番地三") == "世田谷区三軒茶屋1丁目2-3"
