"""Japanese identity data made comparable before linkage: names, kana, dates, addresses,
phone numbers.

Registers of different departments write the same resident differently: 髙橋 / 高橋,
ｽｽﾞｷ / スズキ / すずき, 昭和45年3月2日 / S45.3.2 / 1970-03-02, 一丁目2番3号 / 1-2-3,
03(1234)5678 / 03-1234-5678. Each function maps every written form to one canonical form
and returns ``None`` for what cannot be read (a missing value, never a guess).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

# 旧字体・異体字 → 新字体 for characters common in family and given names. A partial
# table by design: it covers the variants registers actually disagree on (JIS X 0213
# forms of 高, 崎, 辺, 斎, 沢, 浜, 広, …); an unknown variant stays as written.
_VARIANTS = str.maketrans(
    {
        "髙": "高",
        "﨑": "崎",
        "嵜": "崎",
        "邊": "辺",
        "邉": "辺",
        "齋": "斎",
        "齊": "斉",
        "澤": "沢",
        "濱": "浜",
        "濵": "浜",
        "廣": "広",
        "國": "国",
        "櫻": "桜",
        "眞": "真",
        "德": "徳",
        "惠": "恵",
        "藏": "蔵",
        "榮": "栄",
        "實": "実",
        "壽": "寿",
        "曉": "暁",
        "瀨": "瀬",
        "嶋": "島",
        "嶌": "島",
        "冨": "富",
        "槇": "槙",
        "龍": "竜",
        "增": "増",
        "靜": "静",
        "淸": "清",
        "學": "学",
        "驒": "騨",
        "彌": "弥",
        "兒": "児",
        "萬": "万",
        "豐": "豊",
        "禮": "礼",
    }
)
_SPACES = re.compile(r"[\s\u3000・･]+")
_DIGITS_ONLY = re.compile(r"\D+")

# 元号 and the Gregorian year before their first year (元年 = offset + 1).
_ERAS = {
    "明治": 1867,
    "大正": 1911,
    "昭和": 1925,
    "平成": 1988,
    "令和": 2018,
    "M": 1867,
    "T": 1911,
    "S": 1925,
    "H": 1988,
    "R": 2018,
}
_WAREKI = re.compile(
    r"^(明治|大正|昭和|平成|令和|[MTSHR])\.?\s*(元|\d{1,2})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?$"
)
_SEIREKI = re.compile(r"^(\d{4})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")

_KANJI_DIGITS = {
    "〇": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
# Kanji numbers of the block (丁目, 番, 号) only: 上十条, 八丁堀, 三軒茶屋 and 二番町 are names.
_KANJI_NUMBER = re.compile(
    r"[〇一二三四五六七八九十百]+(?=丁目|番地|番(?!町)|号)|(?:(?<=番)|(?<=地)|(?<=-))[〇一二三四五六七八九十百]+$"
)
_HYPHENS = re.compile(r"[‐‑‒–—―−ーｰ－]")
CACHE_SIZE = 1 << 18
"""Distinct values remembered per function: names, readings, dates of birth and addresses
repeat across a register (a million records hold far fewer distinct values), so each is
read once — normalising is then a dictionary look-up for most records."""


def nfkc(value: str) -> str:
    """Full-width Latin and digits to half width, half-width kana to full width."""
    return unicodedata.normalize("NFKC", value)


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


@lru_cache(maxsize=CACHE_SIZE)
def name(value: str | None) -> str | None:
    """A name in kanji: width, spaces and character variants made one (髙橋 花子 → 高橋花子)."""
    if _blank(value):
        return None
    assert value is not None
    return _SPACES.sub("", nfkc(value)).translate(_VARIANTS) or None


@lru_cache(maxsize=CACHE_SIZE)
def kana(value: str | None) -> str | None:
    """A reading in katakana, whatever was written (すずき / ｽｽﾞｷ / スズキ → スズキ)."""
    if _blank(value):
        return None
    assert value is not None
    text = _SPACES.sub("", nfkc(value))
    # Hiragana U+3041–U+3096 sit 0x60 below their katakana.
    folded = "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)
    return folded or None


@lru_cache(maxsize=CACHE_SIZE)
def birth_date(value: str | date | None) -> date | None:
    """A date of birth in 和暦 (昭和45年3月2日, S45.3.2, 令和元年5月1日) or 西暦
    (1970/3/2, 1970-03-02, 19700302, 1970年3月2日); ``None`` if it is not a real date."""
    if value is None or isinstance(value, date):
        return value
    text = nfkc(value).strip().upper()
    if not text:
        return None
    parts: tuple[int, int, int] | None = None
    if match := _WAREKI.match(text):
        era, year, month, day = match.groups()
        parts = (_ERAS[era] + (1 if year == "元" else int(year)), int(month), int(day))
    elif match := (_SEIREKI.match(text) or _COMPACT.match(text)):
        parts = (int(match[1]), int(match[2]), int(match[3]))
    if parts is None:
        return None
    try:
        return date(*parts)
    except ValueError:
        return None


def _kanji_number(text: str) -> str:
    """一 → 1, 十二 → 12, 二十三 → 23, 百五 → 105 (the numbers of 丁目, 番, 号)."""
    total, current = 0, 0
    for char in text:
        if char == "百":
            total += (current or 1) * 100
            current = 0
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = current * 10 + _KANJI_DIGITS[char]
    return str(total + current)


@lru_cache(maxsize=CACHE_SIZE)
def _blocks(value: str | None) -> tuple[str, str | None, tuple[str, ...]] | None:
    """The town part, the 丁目 (when there is one) and the other block numbers."""
    if _blank(value):
        return None
    assert value is not None
    text = _SPACES.sub("", nfkc(value)).removeprefix("東京都")
    text = _KANJI_NUMBER.sub(lambda m: _kanji_number(m[0]), text)
    text = _HYPHENS.sub("-", text)
    first = re.search(r"\d", text)
    if first is None:
        return text, None, ()
    prefix, rest = text[: first.start()], text[first.start() :]
    numbers = re.findall(r"\d+", rest)
    # 1-2-3 is 丁目-番-号; 27-20 (no 丁目 written) is 番-号 in a town without 丁目.
    if "丁目" in rest or len(numbers) >= 3:
        return prefix, numbers[0], tuple(numbers[1:])
    return prefix, None, tuple(numbers)


def address(value: str | None) -> str | None:
    """An address in one form: no prefecture, arabic numbers, 丁目 kept, 番 and 号 joined by
    a hyphen (東京都世田谷区太子堂一丁目2番3号 / 世田谷区太子堂1-2-3 → 世田谷区太子堂1丁目2-3)."""
    parts = _blocks(value)
    if parts is None:
        return None
    prefix, chome, rest = parts
    return f"{prefix}{f'{chome}丁目' if chome else ''}{'-'.join(rest)}" or None


def town(value: str | None) -> str | None:
    """The address up to the 丁目 (``世田谷区太子堂1丁目``), or the town where it has none:
    the finest level an analyst inside the zone may see."""
    parts = _blocks(value)
    if parts is None:
        return None
    prefix, chome, _ = parts
    return f"{prefix}{f'{chome}丁目' if chome else ''}" or None


def phone(value: str | None) -> str | None:
    """Digits only, the national form (+81 3-1234-5678 / 03(1234)5678 → 0312345678)."""
    if _blank(value):
        return None
    assert value is not None
    digits = _DIGITS_ONLY.sub("", nfkc(value))
    if digits.startswith("81") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    return digits if 10 <= len(digits) <= 11 else None


def individual_number_is_valid(value: str) -> bool:
    """The check digit of a 12-digit 個人番号 (行政手続における特定の個人を識別するための
    番号の利用等に関する法律施行令 第8条)."""
    digits = nfkc(value).strip()
    if len(digits) != 12 or not digits.isdigit():
        return False
    body = [int(c) for c in digits[:11]][::-1]
    total = sum(d * (n + 1 if n <= 6 else n - 5) for n, d in enumerate(body, start=1))
    remainder = total % 11
    check = 0 if remainder <= 1 else 11 - remainder
    return check == int(digits[11])
