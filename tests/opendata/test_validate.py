"""The validator: encodings, containers and every check, each problem by row and column."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from rengo.core.errors import InvalidInput
from rengo.opendata.checks import parse_date
from rengo.opendata.reading import read_upload
from rengo.opendata.settings import OpendataSettings
from rengo.opendata.standards import standard_type, standard_types
from rengo.opendata.validate import normalise, validate_loaded
from tests.opendata.samples import CHIYODA, csv_bytes, rows

SETTINGS = OpendataSettings()


def _report(name: str, data: bytes, kind: str = "aed", ward: str | None = CHIYODA):  # type: ignore[no-untyped-def]
    loaded = read_upload(Path(name), data)
    return loaded, validate_loaded(loaded, standard_type(kind), SETTINGS, ward)


def test_the_six_standard_types_are_table_schemas_with_the_common_columns() -> None:
    types = standard_types()
    assert {
        "aed",
        "shelter",
        "public_facility",
        "childcare",
        "cultural_property",
        "tourist_facility",
    } <= set(types)
    for stype in types.values():
        names = [f["name"] for f in stype.schema["fields"]]
        assert names[:4] == ["全国地方公共団体コード", "ID", "地方公共団体名", "名称"]
        assert "緯度" in names and "経度" in names
        assert stype.schema["primaryKey"] == ["ID"]
    assert standard_type("AED設置箇所一覧").key == "aed"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932", "utf-16"])
def test_every_encoding_wards_use_reads_the_same(encoding: str) -> None:
    loaded, report = _report("aed.csv", csv_bytes(rows(), encoding))
    assert report.ok, report.problems
    assert loaded.table.column("名称").to_pylist() == ["区立施設1", "区立施設2", "区立施設3"]
    assert (
        report.encoding
        == {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)", "cp932": "Shift_JIS", "utf-16": "UTF-16"}[
            encoding
        ]
    )


def test_xlsx_and_zip_uploads() -> None:
    table = rows(n=2)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(table[0]))
    for row in table:
        sheet.append(list(row.values()))
    buffer = io.BytesIO()
    book.save(buffer)
    loaded, report = _report("aed.xlsx", buffer.getvalue())
    assert report.ok and report.format == "XLSX" and report.rows == 2
    assert loaded.table.column("全国地方公共団体コード").to_pylist() == [CHIYODA, CHIYODA]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("data/aed.csv", csv_bytes(table, "cp932"))
        z.writestr("README.txt".replace(".txt", ".md"), "readme")
    _loaded, report = _report("aed.zip", archive.getvalue())
    assert report.ok and report.rows == 2 and report.encoding == "Shift_JIS"


def test_each_problem_names_row_column_and_value_in_japanese() -> None:
    table = rows(n=6)
    table[0]["全国地方公共団体コード"] = "131017"  # wrong check digit
    table[1]["緯度"], table[1]["経度"] = "139.751", "35.691"  # swapped
    table[2]["緯度"] = "34.9"  # outside the wards
    table[3]["電話番号"] = "3264-2111"
    table[4]["URL"] = "www.city.chiyoda.lg.jp"
    table[5]["名称"] = ""
    table[5]["開始時間"] = "25:00"
    _loaded, report = _report("aed.csv", csv_bytes(table))
    found = {(p.location, p.message) for p in report.problems}
    assert (
        "aed.csv:2行目 列「全国地方公共団体コード」",
        "全国地方公共団体コードの検査数字が誤っています(値: 131017)",
    ) in found
    assert (
        "aed.csv:3行目 列「緯度」",
        "緯度と経度が入れ替わっています(緯度, 経度: 139.751, 35.691)",
    ) in found
    assert (
        "aed.csv:4行目 列「緯度」",
        "座標が23区の範囲外です(緯度, 経度: 34.9, 139.752)",
    ) in found
    assert any(loc == "aed.csv:5行目 列「電話番号」" and "3264-2111" in msg for loc, msg in found)
    assert any(loc == "aed.csv:6行目 列「URL」" for loc, _ in found)
    assert any(loc == "aed.csv:7行目 列「名称」" and "必須" in msg for loc, msg in found)
    assert any(loc == "aed.csv:7行目 列「開始時間」" and "25:00" in msg for loc, msg in found)
    assert report.error_count == 7
    assert [p.location for p in report.problems] == sorted(
        (p.location for p in report.problems), key=lambda s: int(s.split(":")[1].split("行")[0])
    )


def test_a_code_of_another_ward_and_a_missing_column_are_refused() -> None:
    table = rows(n=1, ward="131024")
    _loaded, report = _report("aed.csv", csv_bytes(table))
    assert any("131016" in p.message for p in report.problems)
    del table[0]["緯度"]
    _loaded, report = _report("aed.csv", csv_bytes(table))
    assert any(p.message == "必須の列「緯度」がありません" for p in report.problems)


def test_undecodable_bytes_and_ragged_rows_are_reported_not_raised_as_tracebacks() -> None:
    with pytest.raises(InvalidInput) as caught:
        read_upload(Path("x.csv"), b"\x81\x00\xff\xfe\xfa,a\n")
    assert "文字コード" in str(caught.value)
    data = csv_bytes(rows(n=2)) + b"1,2,3\r\n"
    _loaded, report = _report("aed.csv", data)
    assert not report.ok and "列の数" in report.problems[0].message


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("令和6年4月1日", "2024-04-01"),
        ("令和元年5月1日", "2019-05-01"),
        ("R6.4.1", "2024-04-01"),
        ("平成31年4月30日", "2019-04-30"),
        ("昭和64年1月7日", "1989-01-07"),
        ("2024/4/1", "2024-04-01"),
        ("２０２４－０４－０１".replace("－", "-"), None),
        ("2024-02-30", None),
    ],
)
def test_wareki_dates(text: str, iso: str | None) -> None:
    parsed = parse_date(text)
    assert (parsed.isoformat() if parsed else None) == iso


def test_normalised_table_has_numbers_and_iso_dates() -> None:
    table = rows("cultural_property", n=2)
    table[0]["文化財指定日"] = "平成3年11月1日"
    loaded, report = _report("bunka.csv", csv_bytes(table), "cultural_property")
    assert report.ok, report.problems
    out = normalise(loaded, standard_type("cultural_property"))
    assert out.column("緯度").to_pylist() == [35.690, 35.691]
    assert out.column("文化財指定日").to_pylist() == ["1991-11-01", ""]


def test_shift_jis_after_a_long_ascii_start_and_utf8_cut_at_the_sniffed_length() -> None:
    # The encoding is guessed from the first 64 KiB; a file that is ASCII there and Shift_JIS
    # further on is read again as Shift_JIS, and a UTF-8 character cut at 64 KiB is UTF-8.
    data = b"id,name\r\n" + b"".join(b"%d,Facility\r\n" % i for i in range(7000))
    data += "7000,区立施設\r\n".encode("cp932")
    assert data[:65536].isascii() and len(data) > 65536
    loaded = read_upload(Path("x.csv"), data)
    assert loaded.encoding == "Shift_JIS" and loaded.table.num_rows == 7001
    assert loaded.table.column("name").to_pylist()[-1] == "区立施設"
    head = "id,名前\r\n".encode()
    cut = head + b"1," + b"x" * (65536 - len(head) - 4) + "設\r\n".encode()
    assert cut[65534:65537] == "設".encode()  # its 3 bytes straddle the 64 KiB mark
    loaded = read_upload(Path("x.csv"), cut)
    assert loaded.encoding == "UTF-8" and loaded.table.column("名前").to_pylist()[0].endswith("設")
