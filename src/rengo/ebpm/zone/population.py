"""A seeded synthetic population of the 23 wards and the department registers drawn from
it, with the truth kept beside them — for tests, benchmarks and the demo of the linkage
zone. No real resident is in it.

Residents get a common family name and given name with their reading, a sex, a date of
birth, a household at a real town of the ward (``../shared/data/addresses/``, or the ward
itself when that file is absent), a phone number and a 12-digit 個人番号 with a valid check
digit. A register copies a share of the residents the way a department writes them:
sometimes in 和暦, with old character forms, half-width kana, a typo, an old address or no
phone — each record keeping the resident's ``person_id`` as the truth for evaluation.
"""

from __future__ import annotations

import csv
import itertools
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from rengo.core.types import TenantCode
from rengo.core.wards import wards

# Family names by frequency rank with reading, the ones with a common old form beside it.
FAMILY_NAMES: tuple[tuple[str, str, str | None], ...] = tuple(
    (kanji, reading, variant or None)
    for kanji, reading, variant in (
        line.split(",")
        for line in """佐藤,サトウ,
鈴木,スズキ,
高橋,タカハシ,髙橋
田中,タナカ,
伊藤,イトウ,
渡辺,ワタナベ,渡邊
山本,ヤマモト,
中村,ナカムラ,
小林,コバヤシ,
加藤,カトウ,
吉田,ヨシダ,
山田,ヤマダ,
佐々木,ササキ,
山口,ヤマグチ,
松本,マツモト,
井上,イノウエ,
木村,キムラ,
林,ハヤシ,
斎藤,サイトウ,齋藤
清水,シミズ,
山崎,ヤマザキ,山﨑
森,モリ,
池田,イケダ,
橋本,ハシモト,
阿部,アベ,
石川,イシカワ,
山下,ヤマシタ,
中島,ナカジマ,中嶋
石井,イシイ,
小川,オガワ,
前田,マエダ,
岡田,オカダ,
長谷川,ハセガワ,
藤田,フジタ,
後藤,ゴトウ,
近藤,コンドウ,
村上,ムラカミ,
遠藤,エンドウ,
青木,アオキ,
坂本,サカモト,
福田,フクダ,
太田,オオタ,
西村,ニシムラ,
藤井,フジイ,
金子,カネコ,
岡本,オカモト,
藤原,フジワラ,
中野,ナカノ,
三浦,ミウラ,
原田,ハラダ,
松田,マツダ,
竹内,タケウチ,
小野,オノ,
田村,タムラ,
中川,ナカガワ,
和田,ワダ,
石田,イシダ,
森田,モリタ,
上田,ウエダ,
原,ハラ,
内田,ウチダ,
柴田,シバタ,
酒井,サカイ,
宮崎,ミヤザキ,宮﨑
横山,ヨコヤマ,
高木,タカギ,髙木
安藤,アンドウ,
宮本,ミヤモト,
大野,オオノ,
小島,コジマ,小嶋
工藤,クドウ,
谷口,タニグチ,
今井,イマイ,
高田,タカダ,髙田
増田,マスダ,
丸山,マルヤマ,
杉山,スギヤマ,
村田,ムラタ,
大塚,オオツカ,
新井,アライ,
小山,コヤマ,
平野,ヒラノ,
藤本,フジモト,
河野,コウノ,
上野,ウエノ,
野口,ノグチ,
武田,タケダ,
松井,マツイ,
千葉,チバ,
岩崎,イワサキ,
菅原,スガワラ,
木下,キノシタ,
久保,クボ,
佐野,サノ,
野村,ノムラ,
松尾,マツオ,
市川,イチカワ,
菊地,キクチ,
杉本,スギモト,
古川,フルカワ,
大西,オオニシ,
島田,シマダ,嶋田
水野,ミズノ,
桜井,サクライ,櫻井
高野,タカノ,
渡部,ワタナベ,
吉川,ヨシカワ,
山内,ヤマウチ,
西田,ニシダ,
飯田,イイダ,
菊池,キクチ,
西川,ニシカワ,
小松,コマツ,
北村,キタムラ,
安田,ヤスダ,
五十嵐,イガラシ,
川口,カワグチ,
平田,ヒラタ,
関,セキ,
中田,ナカタ,
久保田,クボタ,
服部,ハットリ,
東,アズマ,
岩田,イワタ,
土屋,ツチヤ,
川崎,カワサキ,
福島,フクシマ,
本田,ホンダ,
辻,ツジ,
樋口,ヒグチ,
秋山,アキヤマ,
田口,タグチ,
永井,ナガイ,
山中,ヤマナカ,
中西,ナカニシ,
吉村,ヨシムラ,
川上,カワカミ,
石原,イシハラ,
大橋,オオハシ,
松岡,マツオカ,
馬場,ババ,
浜田,ハマダ,濱田
森本,モリモト,
星野,ホシノ,
矢野,ヤノ,
浅野,アサノ,
大久保,オオクボ,
松下,マツシタ,
吉岡,ヨシオカ,
小池,コイケ,
野田,ノダ,
荒木,アラキ,
大谷,オオタニ,
内藤,ナイトウ,
松浦,マツウラ,
熊谷,クマガイ,
黒田,クロダ,
尾崎,オザキ,
永田,ナガタ,
川村,カワムラ,
望月,モチヅキ,
田辺,タナベ,田邊
松村,マツムラ,
荒井,アライ,
堀,ホリ,
大島,オオシマ,大嶋
平井,ヒライ,
早川,ハヤカワ,
菅野,カンノ,
栗原,クリハラ,
西山,ニシヤマ,
広瀬,ヒロセ,廣瀬
横田,ヨコタ,
石橋,イシバシ,
萩原,ハギワラ,
岩本,イワモト,
片山,カタヤマ,
関口,セキグチ,
宮田,ミヤタ,
大石,オオイシ,
本間,ホンマ,
須藤,ストウ,
高山,タカヤマ,髙山
岡崎,オカザキ,
小田,オダ,
吉野,ヨシノ,
伊東,イトウ,
鎌田,カマタ,
上原,ウエハラ,
篠原,シノハラ,
小西,コニシ,
松原,マツバラ,
福井,フクイ,
古田,フルタ,
大和田,オオワダ,""".splitlines()
    )
)
GIVEN_NAMES: dict[str, tuple[tuple[str, str], ...]] = {
    "F": tuple(
        tuple(pair.split(":"))  # type: ignore[misc]
        for pair in [
            "花子:ハナコ",
            "洋子:ヨウコ",
            "幸子:サチコ",
            "恵子:ケイコ",
            "京子:キョウコ",
            "和子:カズコ",
            "久美子:クミコ",
            "由美子:ユミコ",
            "陽子:ヨウコ",
            "真由美:マユミ",
            "美穂:ミホ",
            "直美:ナオミ",
            "裕子:ユウコ",
            "智子:トモコ",
            "明美:アケミ",
            "恵美:エミ",
            "愛:アイ",
            "彩:アヤ",
            "舞:マイ",
            "美咲:ミサキ",
            "陽菜:ヒナ",
            "結衣:ユイ",
            "葵:アオイ",
            "さくら:サクラ",
            "凛:リン",
            "結菜:ユイナ",
            "芽依:メイ",
            "美桜:ミオ",
            "紬:ツムギ",
            "陽葵:ヒマリ",
            "杏:アン",
            "千尋:チヒロ",
            "麻衣:マイ",
            "沙織:サオリ",
            "香織:カオリ",
            "恵:メグミ",
            "典子:ノリコ",
            "節子:セツコ",
            "文子:フミコ",
            "静香:シズカ",
            "奈々:ナナ",
            "美和:ミワ",
            "優子:ユウコ",
            "由紀:ユキ",
            "亜希子:アキコ",
            "理恵:リエ",
            "彩花:アヤカ",
        ]
    ),
    "M": tuple(
        tuple(pair.split(":"))  # type: ignore[misc]
        for pair in [
            "太郎:タロウ",
            "一郎:イチロウ",
            "健一:ケンイチ",
            "誠:マコト",
            "浩:ヒロシ",
            "隆:タカシ",
            "茂:シゲル",
            "博:ヒロシ",
            "清:キヨシ",
            "豊:ユタカ",
            "修:オサム",
            "勝:マサル",
            "正:タダシ",
            "明:アキラ",
            "進:ススム",
            "学:マナブ",
            "大輔:ダイスケ",
            "翔太:ショウタ",
            "拓也:タクヤ",
            "健太:ケンタ",
            "直樹:ナオキ",
            "和也:カズヤ",
            "達也:タツヤ",
            "哲也:テツヤ",
            "翔:ショウ",
            "蓮:レン",
            "陽翔:ハルト",
            "悠真:ユウマ",
            "湊:ミナト",
            "大翔:ヒロト",
            "蒼:アオイ",
            "樹:イツキ",
            "悠人:ユウト",
            "陽太:ヨウタ",
            "颯太:ソウタ",
            "大和:ヤマト",
            "健二:ケンジ",
            "秀樹:ヒデキ",
            "康弘:ヤスヒロ",
            "俊介:シュンスケ",
            "亮:リョウ",
            "隼人:ハヤト",
            "龍之介:リュウノスケ",
            "誠一:セイイチ",
            "雄一:ユウイチ",
            "義男:ヨシオ",
        ]
    ),
}
# Rarer names are composed from parts with their readings, so that the population has the
# diversity of real registers (Japan has over 100,000 family names; most given names are
# shared by few people) rather than a few hundred names repeated.
FAMILY_PARTS = (
    ("山", "ヤマ"),
    ("川", "カワ"),
    ("田", "タ"),
    ("中", "ナカ"),
    ("小", "コ"),
    ("大", "オオ"),
    ("高", "タカ"),
    ("石", "イシ"),
    ("松", "マツ"),
    ("井", "イ"),
    ("木", "キ"),
    ("村", "ムラ"),
    ("藤", "フジ"),
    ("野", "ノ"),
    ("岡", "オカ"),
    ("島", "シマ"),
    ("森", "モリ"),
    ("池", "イケ"),
    ("西", "ニシ"),
    ("北", "キタ"),
    ("東", "ヒガシ"),
    ("南", "ミナミ"),
    ("上", "カミ"),
    ("下", "シモ"),
    ("前", "マエ"),
    ("長", "ナガ"),
    ("古", "フル"),
    ("新", "ニイ"),
    ("平", "ヒラ"),
    ("金", "カネ"),
    ("青", "アオ"),
    ("黒", "クロ"),
    ("白", "シラ"),
    ("福", "フク"),
    ("吉", "ヨシ"),
    ("宮", "ミヤ"),
    ("竹", "タケ"),
    ("杉", "スギ"),
    ("桜", "サクラ"),
    ("浅", "アサ"),
    ("深", "フカ"),
    ("熊", "クマ"),
)
FAMILY_ENDINGS = (
    ("田", "ダ"),
    ("川", "カワ"),
    ("山", "ヤマ"),
    ("本", "モト"),
    ("村", "ムラ"),
    ("野", "ノ"),
    ("井", "イ"),
    ("原", "ハラ"),
    ("島", "シマ"),
    ("木", "キ"),
    ("口", "グチ"),
    ("崎", "サキ"),
    ("沢", "サワ"),
    ("谷", "タニ"),
    ("内", "ウチ"),
    ("部", "ベ"),
    ("尾", "オ"),
    ("橋", "ハシ"),
    ("瀬", "セ"),
    ("坂", "サカ"),
    ("森", "モリ"),
    ("浦", "ウラ"),
    ("池", "イケ"),
    ("江", "エ"),
)
GIVEN_PARTS = {
    "F": (
        ("美", "ミ"),
        ("愛", "アイ"),
        ("真", "マ"),
        ("優", "ユウ"),
        ("恵", "メグ"),
        ("裕", "ユ"),
        ("由", "ユ"),
        ("千", "チ"),
        ("明", "アケ"),
        ("直", "ナオ"),
        ("智", "トモ"),
        ("洋", "ヨウ"),
        ("京", "キョウ"),
        ("幸", "サチ"),
        ("和", "カズ"),
        ("久", "ク"),
        ("典", "ノリ"),
        ("陽", "ハル"),
        ("結", "ユイ"),
        ("彩", "アヤ"),
        ("花", "ハナ"),
        ("奈", "ナ"),
        ("沙", "サ"),
        ("香", "カ"),
        ("里", "リ"),
        ("菜", "ナ"),
        ("理", "リ"),
        ("紀", "キ"),
        ("佳", "カ"),
        ("友", "ユ"),
    ),
    "M": (
        ("健", "ケン"),
        ("浩", "ヒロ"),
        ("隆", "タカ"),
        ("正", "マサ"),
        ("和", "カズ"),
        ("秀", "ヒデ"),
        ("康", "ヤス"),
        ("俊", "トシ"),
        ("雄", "ユウ"),
        ("義", "ヨシ"),
        ("英", "ヒデ"),
        ("達", "タツ"),
        ("大", "ダイ"),
        ("翔", "ショウ"),
        ("拓", "タク"),
        ("直", "ナオ"),
        ("誠", "セイ"),
        ("哲", "テツ"),
        ("光", "コウ"),
        ("信", "ノブ"),
        ("勇", "イサ"),
        ("悠", "ユウ"),
        ("陽", "ハル"),
        ("蒼", "ソウ"),
    ),
}
GIVEN_ENDINGS = {
    "F": (
        ("子", "コ"),
        ("美", "ミ"),
        ("香", "カ"),
        ("恵", "エ"),
        ("江", "エ"),
        ("代", "ヨ"),
        ("奈", "ナ"),
        ("菜", "ナ"),
        ("穂", "ホ"),
        ("乃", "ノ"),
        ("希", "キ"),
        ("里", "リ"),
        ("佳", "カ"),
        ("絵", "エ"),
        ("実", "ミ"),
        ("音", "ネ"),
    ),
    "M": (
        ("一", "イチ"),
        ("二", "ジ"),
        ("太", "タ"),
        ("介", "スケ"),
        ("也", "ヤ"),
        ("樹", "キ"),
        ("人", "ト"),
        ("夫", "オ"),
        ("男", "オ"),
        ("彦", "ヒコ"),
        ("輔", "スケ"),
        ("平", "ヘイ"),
        ("斗", "ト"),
        ("郎", "ロウ"),
        ("志", "シ"),
        ("明", "アキ"),
    ),
}
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


# -- how departments write a resident --------------------------------------------------


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
