"""The 23 wards and the municipal-code validator."""

from __future__ import annotations

import pytest

from rengo.core.wards import (
    JOINT,
    MunicipalCodeError,
    check_digit,
    parse_tenant,
    tenant_codes,
    validate_municipal_code,
    ward_by_code,
    wards,
    with_check_digit,
)

REFERENCE_CODES = [
    "131016",
    "131024",
    "131032",
    "131041",
    "131059",
    "131067",
    "131075",
    "131083",
    "131091",
    "131105",
    "131113",
    "131121",
    "131130",
    "131148",
    "131156",
    "131164",
    "131172",
    "131181",
    "131199",
    "131202",
    "131211",
    "131229",
    "131237",
]


def test_the_23_wards_have_the_reference_codes_in_order() -> None:
    assert [w.code for w in wards()] == REFERENCE_CODES
    assert tenant_codes() == (JOINT, *REFERENCE_CODES)


@pytest.mark.parametrize("code", REFERENCE_CODES)
def test_each_ward_code_carries_its_check_digit(code: str) -> None:
    assert with_check_digit(code[:5]) == code
    assert validate_municipal_code(code) == code


@pytest.mark.parametrize(
    ("base", "expected"),
    [("01100", "011002"), ("14100", "141003"), ("27100", "271004"), ("13101", "131016")],
)
def test_check_digit_works_for_any_municipality(base: str, expected: str) -> None:
    # Sapporo, Yokohama, Osaka and Chiyoda, from the MIC code list.
    assert with_check_digit(base) == expected


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("13101", "six digits"),
        ("1310166", "six digits"),
        ("13101a", "six digits"),
        ("481016", "prefecture part 48"),
        ("001016", "prefecture part 00"),
        ("131017", "check digit is 7, expected 6"),
    ],
)
def test_invalid_codes_are_refused_with_the_reason(code: str, reason: str) -> None:
    with pytest.raises(MunicipalCodeError, match=reason):
        validate_municipal_code(code)


def test_check_digit_needs_five_digits() -> None:
    with pytest.raises(MunicipalCodeError):
        check_digit("1310")


def test_names_kana_romaji_and_population_with_source_and_date() -> None:
    chiyoda = ward_by_code("131016")
    assert (chiyoda.name_ja, chiyoda.name_kana, chiyoda.name_romaji) == (
        "千代田区",
        "ちよだく",
        "Chiyoda",
    )
    assert all(w.population > 50_000 and w.population_source for w in wards())
    assert all(w.name_kana.endswith("く") for w in wards())
    # 住民基本台帳 as of 2018-01-01: the 23 wards together.
    assert sum(w.population for w in wards()) == 9_396_595
    assert {w.population_date.isoformat() for w in wards()} == {"2018-01-01"}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("131016", "131016"),
        ("Chiyoda", "131016"),
        ("千代田区", "131016"),
        ("千代田", "131016"),
        ("joint", JOINT),
        ("共同センター", JOINT),
        ("setagaya", "131121"),
    ],
)
def test_parse_tenant_accepts_codes_and_names(text: str, code: str) -> None:
    assert parse_tenant(text) == code


def test_parse_tenant_refuses_other_municipalities() -> None:
    with pytest.raises(MunicipalCodeError, match="not one of the 23 wards"):
        parse_tenant("011002")
    with pytest.raises(MunicipalCodeError):
        parse_tenant("Yokohama")
