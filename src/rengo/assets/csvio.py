"""CSV import and export of the register that opens correctly in Excel.

Export is UTF-8 with a BOM (Excel then shows Japanese correctly), headers and values in
the user's language. Import accepts UTF-8 (with or without BOM) and cp932 (Shift_JIS as
Excel saves it), Japanese or English headers, keys or Japanese labels as values. An
import is all or nothing: any bad row yields a report naming each line and field, and
nothing of that file is stored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from rengo.assets import service
from rengo.assets.models import Asset
from rengo.assets.reference import (
    BUSINESS_SYSTEMS,
    CLOUD_PROVIDERS,
    KINDS,
    LOCATIONS,
    SEGMENTS,
)
from rengo.assets.schemas import AssetCreate
from rengo.core import audit, csv_safe
from rengo.core.errors import InvalidInput, Problem, problems_from_validation
from rengo.core.permissions import Principal, require
from rengo.core.settings import Settings
from rengo.core.tables import decode
from rengo.core.vocabulary import Term
from rengo.core.wards import parse_tenant

MAX_IMPORT_BYTES = 20 * 1024 * 1024

# (key, Japanese header, English header)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("id", "ID", "id"),
    ("ward", "区コード", "ward"),
    ("kind", "種別", "kind"),
    ("name", "名称", "name"),
    ("description", "説明", "description"),
    ("department", "所管部署", "department"),
    ("owner", "管理責任者", "owner"),
    ("custodian", "管理担当者", "custodian"),
    ("location", "設置場所", "location"),
    ("cloud_provider", "クラウド事業者", "cloud_provider"),
    ("segment", "ネットワーク区分", "segment"),
    ("confidentiality", "機密性", "confidentiality"),
    ("integrity", "完全性", "integrity"),
    ("availability", "可用性", "availability"),
    ("personal_data", "個人情報", "personal_data"),
    ("personal_data_count", "個人情報の人数", "personal_data_count"),
    ("business_system", "標準化対象業務", "business_system"),
    ("ip_ranges", "IPアドレス範囲", "ip_ranges"),
    ("hostnames", "ホスト名", "hostnames"),
    ("mail_domains", "メールドメイン", "mail_domains"),
    ("cost_tags", "コスト配分タグ", "cost_tags"),
    ("introduced_on", "導入日", "introduced_on"),
    ("renewal_due_on", "更新予定日", "renewal_due_on"),
    ("retired_on", "廃止日", "retired_on"),
)
VOCABULARIES: dict[str, dict[str, Term]] = {
    "kind": KINDS,
    "location": LOCATIONS,
    "cloud_provider": CLOUD_PROVIDERS,
    "segment": SEGMENTS,
    "business_system": BUSINESS_SYSTEMS,
}
_HEADER_TO_KEY = {h: key for key, ja, en in COLUMNS for h in (ja, en, key)}
_TRUE = {"true", "1", "yes", "y", "はい", "有", "あり", "○"}
_FALSE = {"false", "0", "no", "n", "いいえ", "無", "なし", "×", ""}


# -- export ------------------------------------------------------------------------


def _cell(key: str, value: Any, language: str) -> str:
    if value is None:
        return ""
    if key in VOCABULARIES:
        term = VOCABULARIES[key].get(value)
        return term.label(language) if term and language == "ja" else str(value)
    if key == "personal_data":
        return ("はい" if value else "いいえ") if language == "ja" else str(bool(value)).lower()
    if key in ("ip_ranges", "hostnames", "mail_domains"):
        return ";".join(value)
    if key == "cost_tags":
        return ";".join(f"{k}={v}" for k, v in value.items())
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def export_rows(assets: Iterable[Asset], language: str = "ja") -> Iterator[str]:
    """CSV text in chunks: a BOM, a header row, then one row per asset."""
    buffer = io.StringIO()
    writer = csv_safe.writer(buffer, lineterminator="\r\n")
    yield "\ufeff"
    writer.writerow([ja if language == "ja" else en for _key, ja, en in COLUMNS])
    for asset in assets:
        row = []
        for key, _ja, _en in COLUMNS:
            value = asset.tenant if key == "ward" else getattr(asset, key)
            row.append(_cell(key, value, language))
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


# -- import ------------------------------------------------------------------------


def _value(key: str, raw: str) -> Any:
    text = raw.strip()
    if key in VOCABULARIES:
        if text == "":
            return None
        for term in VOCABULARIES[key].values():
            if text in (term.key, term.ja, term.en):
                return term.key
        return text  # left for validation to reject with the list of allowed values
    if key == "personal_data":
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"{text!r} is not yes/no (true/false, はい/いいえ)")
    if key in ("confidentiality", "integrity", "availability", "personal_data_count"):
        return int(text.replace(",", "")) if text else None
    if key in ("introduced_on", "renewal_due_on", "retired_on"):
        return text.replace("/", "-") or None
    return text


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int
    updated: int


def parse_rows(text: str, filename: str) -> tuple[list[tuple[int, dict[str, Any]]], list[Problem]]:
    """Rows as (line number, values by key); problems with the header or cells."""
    # newline="" lets the csv module see bare CRs (old Mac files, stray Excel cells) itself.
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[Problem] = []
    try:
        header = next(reader)
    except StopIteration:
        return [], [Problem("the file is empty", filename)]
    except csv.Error as error:
        return [], [
            Problem("not readable as CSV: {error}", f"{filename}:1", values={"error": error})
        ]
    keys: list[str | None] = []
    for position, name in enumerate(header, start=1):
        key = _HEADER_TO_KEY.get(name.strip())
        if key is None:
            problems.append(
                Problem(
                    "unknown column {name!r}",
                    f"{filename}:1 column {position}",
                    values={"name": name},
                )
            )
        elif key in keys:
            # Two columns for one field: which one wins would be an accident of order.
            problems.append(
                Problem(
                    "column {name!r} repeats column {first} (the same field)",
                    f"{filename}:1 column {position}",
                    values={"name": name, "first": keys.index(key) + 1},
                )
            )
        keys.append(key)
    if "name" not in keys or "kind" not in keys:
        problems.append(
            Problem("the columns name/名称 and kind/種別 are required", f"{filename}:1")
        )
    if problems:
        return [], problems
    rows: list[tuple[int, dict[str, Any]]] = []
    line = reader.line_num
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(keys):
                where = f"{filename}:{start}"
                problems.append(
                    Problem(
                        "{cells} cells, the header has {keys}",
                        where,
                        values={"cells": len(cells), "keys": len(keys)},
                    )
                )
                continue
            values: dict[str, Any] = {}
            for key, cell in zip(keys, cells, strict=True):
                assert key is not None
                try:
                    values[key] = _value(key, csv_safe.restore(cell))
                except ValueError as error:
                    problems.append(Problem(str(error), f"{filename}:{start} field {key}"))
            rows.append((start, values))
    except csv.Error as error:
        problems.append(
            Problem(
                "not readable as CSV: {error}",
                f"{filename}:{reader.line_num}",
                values={"error": error},
            )
        )
    return rows, problems


def import_csv(
    session: Session,
    principal: Principal,
    data: bytes,
    settings: Settings,
    *,
    filename: str = "upload.csv",
    client: str = "",
) -> ImportResult:
    """Validate every row first; store all of them or none (raises with every problem)."""
    require(principal, "assets.write")
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput(
            "file too large",
            [
                Problem(
                    "over {limit} bytes",
                    filename,
                    values={"limit": MAX_IMPORT_BYTES},
                )
            ],
        )
    rows, problems = parse_rows(decode(data, filename), filename)
    planned: list[tuple[int, int | None, AssetCreate]] = []
    for line, values in rows:
        where = f"{filename}:{line} "
        asset_id_text = str(values.pop("id", "") or "").strip()
        ward_text = str(values.pop("ward", "") or "").strip()
        try:
            ward = parse_tenant(ward_text) if ward_text else None
        except ValueError as error:
            problems.append(Problem(str(error), where + "field ward"))
            continue
        try:
            data_row = AssetCreate.model_validate({**values, "ward": ward})
        except ValidationError as error:
            problems.extend(problems_from_validation(error, where))
            continue
        problems.extend(
            Problem(p.message, where + p.location)
            for p in service.check_levels(data_row.model_dump(), settings)
        )
        tenant = ward or principal.tenant
        if not principal.is_joint and tenant != principal.tenant:
            problems.append(
                Problem(
                    "you may not import assets of {tenant}",
                    where + "field ward",
                    values={"tenant": tenant},
                )
            )
        asset_id = None
        if asset_id_text:
            if not asset_id_text.isdigit():
                problems.append(Problem("id must be a number or empty", where + "field id"))
                continue
            asset_id = int(asset_id_text)
            existing = session.get(Asset, asset_id)
            if existing is None or existing.tenant != tenant:
                problems.append(
                    Problem(
                        "no asset {asset_id} in {tenant}",
                        where + "field id",
                        values={"asset_id": asset_id, "tenant": tenant},
                    )
                )
        planned.append((line, asset_id, data_row))
    if problems:
        raise InvalidInput(
            "{filename}: nothing was imported", problems, values={"filename": filename}
        )
    created = updated = 0
    for _line, asset_id, data_row in planned:
        if asset_id is None:
            service.create_asset(
                session, principal, data_row, settings, origin="import", client=client
            )
            created += 1
        else:
            changes = data_row.model_dump(exclude={"ward"})
            service.update_asset(
                session, principal, asset_id, changes, settings, client=client, action="import"
            )
            updated += 1
    audit.record(
        session,
        principal,
        "asset.import_file",
        object_type="file",
        object_id=filename,
        object_tenant=None if principal.is_joint else principal.tenant,
        detail={"created": created, "updated": updated},
        client=client,
    )
    return ImportResult(created, updated)
