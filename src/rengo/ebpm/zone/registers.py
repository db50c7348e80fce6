"""How departments write a resident of the synthetic population: a register copies a
share of the residents sometimes in 和暦, with old character forms, half-width kana, a typo,
an old address or no phone — each record keeping the resident's ``person_id`` as the truth
for evaluating the linkage.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from rengo.ebpm.zone.population import FAMILY_NAMES, Resident

HALF_WIDTH_KANA = str.maketrans(
    dict(
        zip(
            "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンャュョッー",
            "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝｬｭｮｯｰ",
            strict=True,
        )
    )
)
ERAS = (("令和", 2018), ("平成", 1988), ("昭和", 1925), ("大正", 1911))


def wareki(day: date) -> str:
    for era, offset in ERAS:
        if day.year > offset:
            year = day.year - offset
            return f"{era}{'元' if year == 1 else year}年{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


def _typo(rng: random.Random, text: str) -> str:
    """One slip of the keyboard: a character dropped, doubled or two swapped."""
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    slip = rng.randrange(3)
    if slip == 0:
        return text[:i] + text[i + 1 :]
    if slip == 1:
        return text[:i] + text[i] + text[i:]
    return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]


def _old_form(resident: Resident) -> str:
    variant = next((v for k, _, v in FAMILY_NAMES if k == resident.family_name and v), None)
    return variant or resident.family_name


Variation = Callable[[random.Random, dict[str, str], Resident], None]


def _vary_name(rng: random.Random, record: dict[str, str], person: Resident) -> None:
    record["氏名"] = f"{_old_form(person)}\u3000{person.given_name}"


def _vary_kana(rng: random.Random, record: dict[str, str], person: Resident) -> None:
    record["氏名カナ"] = record["氏名カナ"].translate(HALF_WIDTH_KANA)


def _vary_kana_typo(rng: random.Random, record: dict[str, str], person: Resident) -> None:
    record["氏名カナ"] = _typo(rng, record["氏名カナ"])


def _vary_name_typo(rng: random.Random, record: dict[str, str], person: Resident) -> None:
    family, _, given = record["氏名"].partition(" ")
    record["氏名"] = f"{family} {_typo(rng, given + '　')[:-1] or given}"


def _vary_sex(rng: random.Random, record: dict[str, str], person: Resident) -> None:
    record["性別"] = {"女": "男", "男": "女"}[record["性別"]]


def _vary_birth(rng: random.Random, record: dict[str, str], person: Resident) -> None:
    record["生年月日"] = wareki(person.birth_date)


def _vary_address(rng: random.Random, record: dict[str, str], person: Resident) -> None:
    # Only the block's 番 and 号 become hyphens: 鷹番 and 二番町 are town names.
    text = re.sub(r"(?<=\d)番(?=\d)", "-", record["住所"])
    record["住所"] = "東京都" + re.sub(r"(?<=\d)号$", "", text).translate(
        str.maketrans("0123456789-", "０１２３４５６７８９－")
    )


def _vary_phone(rng: random.Random, record: dict[str, str], person: Resident) -> None:
    record["電話番号"] = (
        "" if rng.random() < 0.5 else f"{person.phone[:2]}-{person.phone[2:6]}-{person.phone[6:]}"
    )


def _vary_birth_typo(rng: random.Random, record: dict[str, str], person: Resident) -> None:
    shifted = person.birth_date + timedelta(days=rng.choice((-1, 1, 30, -30)))
    record["生年月日"] = shifted.isoformat()


# (variation, share of records it touches): the mix a real pair of registers shows.
VARIATIONS: tuple[tuple[Variation, float], ...] = (
    (_vary_name, 0.15),
    (_vary_name_typo, 0.02),
    (_vary_sex, 0.005),
    (_vary_kana, 0.15),
    (_vary_kana_typo, 0.05),
    (_vary_birth, 0.35),
    (_vary_birth_typo, 0.02),
    (_vary_address, 0.30),
    (_vary_phone, 0.40),
)


def register_record(rng: random.Random, person: Resident, noisy: bool = True) -> dict[str, str]:
    """One resident as a department's extract writes them (column names in Japanese)."""
    record = {
        "氏名": f"{person.family_name} {person.given_name}",
        "氏名カナ": f"{person.family_kana} {person.given_kana}",
        "性別": {"F": "女", "M": "男"}[person.sex],
        "生年月日": person.birth_date.isoformat(),
        "住所": person.address,
        "電話番号": person.phone,
    }
    if noisy:
        for vary, share in VARIATIONS:
            if rng.random() < share:
                vary(rng, record, person)
    return record


def register(
    people: list[Resident],
    size: int,
    *,
    seed: int,
    noisy: bool = True,
    extra: Callable[[random.Random, Resident], dict[str, str]] | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """``size`` records of distinct residents as ``(person_id, record)``: the truth and
    what the department holds."""
    rng = random.Random(seed)
    for person in rng.sample(people, size):
        record = register_record(rng, person, noisy)
        if extra is not None:
            record.update(extra(rng, person))
        yield person.person_id, record
