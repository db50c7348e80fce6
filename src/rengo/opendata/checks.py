"""Vectorised checks of one column's values (pyarrow compute, no per-row Python loop).

A check takes the column (text) and returns a boolean mask of the values it refuses and the
Japanese message for them; empty cells are never refused here (``required`` is separate).
Dates are checked per distinct value: a column has few distinct dates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from rengo.core.types import TenantCode
from rengo.opendata.settings import OpendataSettings


@dataclass(frozen=True, slots=True)
class Context:
    settings: OpendataSettings
    ward_code: TenantCode | None
    """The publishing ward: 全国地方公共団体コード must name it (``None``: any valid code)."""


Check = Callable[[pa.ChunkedArray, Context], list[tuple[pa.ChunkedArray, str]]]
"""(column, context) -> [(mask of refused values, message with {value})]."""

CHECKS: dict[str, Check] = {}


def check(name: str) -> Callable[[Check], Check]:
    def register(function: Check) -> Check:
        CHECKS[name] = function
        return function

    return register


def _filled(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.not_equal(column, "")


def _not_matching(column: pa.ChunkedArray, pattern: str) -> pa.ChunkedArray:
    return pc.and_(_filled(column), pc.invert(pc.match_substring_regex(column, pattern)))


def _pattern(pattern: str, message: str) -> Check:
    def run(column: pa.ChunkedArray, _context: Context) -> list[tuple[pa.ChunkedArray, str]]:
        return [(_not_matching(column, pattern), message)]

    return run


NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"
CHECKS["number"] = _pattern(NUMBER, "数値ではありません(値: {value})")
CHECKS["integer"] = _pattern(r"^-?[0-9]+$", "整数ではありません(値: {value})")
CHECKS["time"] = _pattern(
    r"^([01]?[0-9]|2[0-4]):[0-5][0-9](:[0-5][0-9])?$", "時刻(例 9:00)ではありません(値: {value})"
)
CHECKS["url"] = _pattern(
    r"^https?://[^\s]+$", "URL(http:// か https://)ではありません(値: {value})"
)
CHECKS["phone"] = _pattern(
    r"^0[0-9]{1,4}-[0-9]{1,4}-[0-9]{3,4}$|^0[0-9]{9,10}$",
    "電話番号(例 03-1234-5678)ではありません(値: {value})",
)
CHECKS["email"] = _pattern(
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "メールアドレスではありません(値: {value})"
)
CHECKS["postal_code"] = _pattern(
    r"^[0-9]{3}-?[0-9]{4}$", "郵便番号(例 100-0001)ではありません(値: {value})"
)
FLAGS = ["1", "0", "○", "◯", "×", "有", "無", "あり", "なし", "true", "false"]


@check("flag")
def _flag(column: pa.ChunkedArray, _context: Context) -> list[tuple[pa.ChunkedArray, str]]:
    refused = pc.and_(_filled(column), pc.invert(pc.is_in(column, pa.array(FLAGS))))
    return [(refused, "有無を表す値(1 または空欄)ではありません(値: {value})")]


WEIGHTS = (6, 5, 4, 3, 2)


def municipal_check_digits(codes: pa.ChunkedArray) -> pa.ChunkedArray:
    """The check digit each six-digit code should end with (総務省: modulus 11)."""
    # cd = (11 − (6·d1 + 5·d2 + 4·d3 + 3·d4 + 2·d5) mod 11) mod 10 (../shared/reference)
    total: pa.ChunkedArray | int = 0
    for position, weight in enumerate(WEIGHTS):
        digit = pc.cast(pc.utf8_slice_codeunits(codes, position, position + 1), pa.int32())
        total = pc.add(total, pc.multiply(digit, weight))
    return pc.cast(pc.remainder(pc.subtract(11, pc.remainder(total, 11)), 10), pa.string())


@check("municipal_code")
def _municipal_code(column: pa.ChunkedArray, context: Context) -> list[tuple[pa.ChunkedArray, str]]:
    shape = pc.match_substring_regex(column, r"^[0-9]{6}$")
    malformed = pc.and_(_filled(column), pc.invert(shape))
    safe = pc.if_else(shape, column, "000000")
    digit_wrong = pc.and_(
        shape, pc.not_equal(pc.utf8_slice_codeunits(safe, 5, 6), municipal_check_digits(safe))
    )
    found = [
        (malformed, "全国地方公共団体コードは6桁の数字です(値: {value})"),
        (digit_wrong, "全国地方公共団体コードの検査数字が誤っています(値: {value})"),
    ]
    if context.ward_code:
        other = pc.and_(
            pc.and_(shape, pc.invert(digit_wrong)), pc.not_equal(column, context.ward_code)
        )
        found.append((other, f"公開する区のコード {context.ward_code} と異なります(値: {{value}})"))
    return found


ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925, "大正": 1911, "明治": 1867}
ERAS.update({"R": 2018, "H": 1988, "S": 1925, "T": 1911, "M": 1867})
_DATE = re.compile(
    r"^(?:(?P<era>令和|平成|昭和|大正|明治|[RHSTM])\s*(?P<ey>元|[0-9]{1,2})|(?P<y>[0-9]{4}))"
    r"\s*[年./-]\s*(?P<m>[0-9]{1,2})\s*[月./-]\s*(?P<d>[0-9]{1,2})\s*日?$"
)


def parse_date(text: str) -> date | None:
    """A date written as 2024-04-01, 2024/4/1, 2024年4月1日, 令和6年4月1日 or R6.4.1."""
    match = _DATE.match(text.strip())
    if match is None:
        return None
    if match["era"]:
        year = ERAS[match["era"]] + (1 if match["ey"] == "元" else int(match["ey"]))
    else:
        year = int(match["y"])
    try:
        return date(year, int(match["m"]), int(match["d"]))
    except ValueError:
        return None


def iso_dates(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Each value as an ISO date ('' when empty or not a date), computed per distinct value."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    values = encoded.dictionary.to_pylist()
    parsed = [(d.isoformat() if (d := parse_date(v)) else "") for v in values]
    return pa.chunked_array([pc.take(pa.array(parsed, pa.string()), encoded.indices)])


@check("date")
def _date(column: pa.ChunkedArray, _context: Context) -> list[tuple[pa.ChunkedArray, str]]:
    refused = pc.and_(_filled(column), pc.equal(iso_dates(column), ""))
    return [(refused, "日付(例 2024-04-01、令和6年4月1日)ではありません(値: {value})")]


def as_numbers(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Decimal numbers as float64; empty or non-numeric cells become null."""
    ok = pc.match_substring_regex(column, NUMBER)
    return pc.cast(pc.if_else(ok, column, pa.scalar(None, pa.string())), pa.float64())


# Whether they lie inside the 23 wards is a check of the pair (``coordinate_problems``).
CHECKS["latitude"] = _pattern(NUMBER, "緯度が数値ではありません(値: {value})")
CHECKS["longitude"] = _pattern(NUMBER, "経度が数値ではありません(値: {value})")


def coordinate_problems(
    lat: pa.ChunkedArray, lng: pa.ChunkedArray, settings: OpendataSettings
) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """(swapped, outside): rows whose 緯度/経度 are exchanged, rows outside the 23 wards."""
    la, ln = as_numbers(lat), as_numbers(lng)

    def inside(values: pa.ChunkedArray, low: float, high: float) -> pa.ChunkedArray:
        return pc.and_(pc.greater_equal(values, low), pc.less_equal(values, high))

    lat_ok = inside(la, settings.lat_min, settings.lat_max)
    lng_ok = inside(ln, settings.lng_min, settings.lng_max)
    swapped = pc.and_(
        inside(la, settings.lng_min, settings.lng_max),
        inside(ln, settings.lat_min, settings.lat_max),
    )
    both = pc.and_(pc.is_valid(la), pc.is_valid(ln))
    outside = pc.and_(both, pc.and_(pc.invert(swapped), pc.invert(pc.and_(lat_ok, lng_ok))))
    return pc.fill_null(swapped, False), pc.fill_null(outside, False)
