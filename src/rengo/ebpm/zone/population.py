"""A seeded synthetic population of the 23 wards — for tests, benchmarks and the demo of
the linkage zone. No real resident is in it; how departments write these residents (the
registers drawn from it, with the truth kept beside them) is ``registers``.

Residents get a common family name and given name with their reading (``names.csv``), a
sex, a date of birth, a household at a real town of the ward (``../shared/data/addresses/``,
or the ward itself when that file is absent), a phone number and a 12-digit 個人番号 with a
valid check digit.
"""

from __future__ import annotations

import csv
import itertools
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from rengo.core.types import TenantCode
from rengo.core.wards import wards

# The names with their readings, in ``names.csv`` beside this module: family names by
# frequency rank (the ones with a common old form beside it) and given names by sex; rarer
# names are composed from a head and a tail part, so that the population has the diversity
# of real registers (Japan has over 100,000 family names; most given names are shared by
# few people) rather than a few hundred names repeated.
NAMES_FILE = Path(__file__).with_name("names.csv")
Name = tuple[str, str]


def _load_names() -> dict[tuple[str, str], list[tuple[str, str, str]]]:
    """Rows of ``names.csv`` by (kind, sex), in the file's order (the frequency rank)."""
    names: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    with NAMES_FILE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["kind"], row["sex"])
            names.setdefault(key, []).append((row["name"], row["reading"], row["old_form"]))
    return names


_NAMES = _load_names()
FAMILY_NAMES: tuple[tuple[str, str, str | None], ...] = tuple(
    (name, reading, old or None) for name, reading, old in _NAMES["family", ""]
)


def _pairs(kind: str, sex: str = "") -> tuple[Name, ...]:
    return tuple((name, reading) for name, reading, _ in _NAMES[kind, sex])


GIVEN_NAMES = {sex: _pairs("given", sex) for sex in "FM"}
FAMILY_PARTS = _pairs("family_head")
FAMILY_ENDINGS = _pairs("family_tail")
GIVEN_PARTS = {sex: _pairs("given_head", sex) for sex in "FM"}
GIVEN_ENDINGS = {sex: _pairs("given_tail", sex) for sex in "FM"}
TOWNS_FILE = (
    Path(__file__).resolve().parents[5] / "shared" / "data" / "addresses" / "tokyo23-towns.csv"
)


@dataclass(frozen=True, slots=True)
class Town:
    ward_code: TenantCode
    ward: str
    name: str
    lat: float
    lng: float


@dataclass(frozen=True, slots=True)
class Resident:
    person_id: int
    family_name: str
    given_name: str
    family_kana: str
    given_kana: str
    sex: str
    birth_date: date
    ward_code: TenantCode
    address: str
    phone: str
    individual_number: str


def load_towns(path: Path | None = None) -> list[Town]:
    """Every town of the 23 wards with its point; one town per ward when the file is absent."""
    path = path or TOWNS_FILE
    if path.is_file():
        with path.open(encoding="utf-8") as handle:
            return [
                Town(row["lgcode"], row["ward"], row["town"], float(row["lat"]), float(row["lng"]))
                for row in csv.DictReader(handle)
                if not row.get("koaza") and row["lat"] and row["lng"]
            ]
    return [Town(w.code, w.name_ja, f"{w.name_ja}本町", 35.68, 139.76) for w in wards()]


def individual_number(rng: random.Random) -> str:
    """A random 12-digit 個人番号 with a valid check digit (施行令 第8条)."""
    body = [rng.randrange(10) for _ in range(11)]
    reversed_body = body[::-1]
    total = sum(d * (n + 1 if n <= 6 else n - 5) for n, d in enumerate(reversed_body, start=1))
    remainder = total % 11
    check = 0 if remainder <= 1 else 11 - remainder
    return "".join(map(str, body)) + str(check)


def _birth_date(rng: random.Random, today: date) -> date:
    # Ages 0–99, weighted towards the adult population as in the wards' age pyramid.
    age = min(99, int(rng.triangular(0, 100, 45)))
    return today - timedelta(days=age * 365 + rng.randrange(365))


def residents(
    count: int,
    *,
    seed: int = 23,
    today: date = date(2026, 4, 1),
    towns: list[Town] | None = None,
) -> list[Resident]:
    """``count`` residents of the 23 wards, the same for the same seed and towns."""
    rng = random.Random(seed)
    towns = towns if towns is not None else load_towns()
    # Zipf-like: the commonest family names are far commoner than the rest.
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(FAMILY_NAMES))))
    people: list[Resident] = []
    while len(people) < count:
        town = rng.choice(towns)
        if rng.random() < 0.5:
            family = rng.choices(FAMILY_NAMES, cum_weights=cumulative)[0]
        else:
            (head, head_kana), (tail, tail_kana) = (
                rng.choice(FAMILY_PARTS),
                rng.choice(FAMILY_ENDINGS),
            )
            family = (head + tail, head_kana + tail_kana, None)
        address = f"{town.ward}{town.name}{rng.randint(1, 30)}番{rng.randint(1, 25)}号"
        phone = f"03{rng.randint(1000, 9999)}{rng.randint(1000, 9999)}"
        for _ in range(min(count - len(people), rng.choice((1, 1, 2, 2, 3, 4)))):
            sex = rng.choice("FM")
            if rng.random() < 0.3:
                given, given_kana = rng.choice(GIVEN_NAMES[sex])
            else:
                (head, head_kana), (tail, tail_kana) = (
                    rng.choice(GIVEN_PARTS[sex]),
                    rng.choice(GIVEN_ENDINGS[sex]),
                )
                given, given_kana = head + tail, head_kana + tail_kana
            people.append(
                Resident(
                    person_id=len(people) + 1,
                    family_name=family[0],
                    given_name=given,
                    family_kana=family[1],
                    given_kana=given_kana,
                    sex=sex,
                    birth_date=_birth_date(rng, today),
                    ward_code=town.ward_code,
                    address=address,
                    phone=phone if rng.random() < 0.7 else f"090{rng.randint(10**7, 10**8 - 1)}",
                    individual_number=individual_number(rng),
                )
            )
    return people
