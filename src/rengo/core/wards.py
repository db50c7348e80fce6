"""The 23 special wards and the joint centre: the tenants of rengo.

Ward codes are 全国地方公共団体コード (six digits, the last a check digit). Reference
rows live in ``data/wards.csv`` with the source and date of each population figure.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

JOINT = "joint"
"""Tenant code of the joint centre (共同センター), which sees every ward."""

JOINT_NAME_JA = "共同センター"
JOINT_NAME_EN = "Joint Centre"

_WEIGHTS = (6, 5, 4, 3, 2)


class MunicipalCodeError(ValueError):
    """A string that is not a valid 全国地方公共団体コード."""


def check_digit(base: str) -> int:
    """Check digit of a five-digit municipal code base (総務省 method, modulus 11)."""
    if len(base) != 5 or not base.isdigit():
        raise MunicipalCodeError(f"{base!r}: the base of a municipal code is five digits")
    total = sum(int(d) * w for d, w in zip(base, _WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def with_check_digit(base: str) -> str:
    """The full six-digit code for a five-digit base (e.g. '13101' -> '131016')."""
    return f"{base}{check_digit(base)}"


def validate_municipal_code(code: str) -> str:
    """Return ``code`` if it is a valid six-digit municipal code, else raise with the reason."""
    if not isinstance(code, str) or len(code) != 6 or not code.isdigit():
        raise MunicipalCodeError(f"{code!r}: a municipal code is six digits")
    prefecture = int(code[:2])
    if not 1 <= prefecture <= 47:
        raise MunicipalCodeError(f"{code!r}: prefecture part {code[:2]} is not 01-47")
    expected = check_digit(code[:5])
    if int(code[5]) != expected:
        raise MunicipalCodeError(
            f"{code!r}: check digit is {code[5]}, expected {expected} for base {code[:5]}"
        )
    return code


@dataclass(frozen=True, slots=True)
class Ward:
    code: str
    name_ja: str
    name_kana: str
    name_romaji: str
    population: int
    population_date: date
    population_source: str

    @property
    def slug(self) -> str:
        """Lower-case romaji, used in demo user names and host names."""
        return self.name_romaji.lower()

    def name(self, language: str) -> str:
        return self.name_ja if language == "ja" else f"{self.name_romaji} City"


@cache
def wards() -> tuple[Ward, ...]:
    """The 23 wards in code order, read from the packaged reference CSV."""
    text = resources.files("rengo.core").joinpath("data/wards.csv").read_text("utf-8")
    rows = []
    for row in csv.DictReader(text.splitlines()):
        rows.append(
            Ward(
                code=validate_municipal_code(row["code"]),
                name_ja=row["name_ja"],
                name_kana=row["name_kana"],
                name_romaji=row["name_romaji"],
                population=int(row["population"]),
                population_date=date.fromisoformat(row["population_date"]),
                population_source=row["population_source"],
            )
        )
    return tuple(sorted(rows, key=lambda w: w.code))


@cache
def ward_codes() -> frozenset[str]:
    return frozenset(w.code for w in wards())


def ward_by_code(code: str) -> Ward:
    for ward in wards():
        if ward.code == code:
            return ward
    raise KeyError(code)


def tenant_codes() -> tuple[str, ...]:
    """Every tenant: the joint centre first, then the 23 wards."""
    return (JOINT, *(w.code for w in wards()))


def is_tenant(code: str) -> bool:
    return code == JOINT or code in ward_codes()


def parse_tenant(value: str) -> str:
    """Accept a ward code, a ward's romaji or kanji name, or 'joint'; return the tenant code."""
    text = value.strip()
    if text.lower() in (JOINT, "共同", JOINT_NAME_JA):
        return JOINT
    if text.isdigit():
        validate_municipal_code(text)
        if text not in ward_codes():
            raise MunicipalCodeError(f"{text!r} is a valid code but not one of the 23 wards")
        return text
    for ward in wards():
        if text.lower() in (ward.slug, ward.name_ja, ward.name_ja.removesuffix("区")):
            return ward.code
    raise MunicipalCodeError(f"{value!r} is neither a ward code, a ward name nor 'joint'")


def tenant_name(code: str, language: str = "ja") -> str:
    if code == JOINT:
        return JOINT_NAME_JA if language == "ja" else JOINT_NAME_EN
    return ward_by_code(code).name(language)
