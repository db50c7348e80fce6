"""A dataset's metadata on the way in (CLI, API, CKAN ``package_create``)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rengo.core.errors import InvalidValue
from rengo.opendata.catalogue import CATEGORIES, FREQUENCIES, LICENSES
from rengo.opendata.standards import standard_types

NAME = re.compile(r"^[a-z0-9_-]{2,100}$")


def _one_of(value: str, terms: dict[str, Any], what: str) -> str:
    if value and value not in terms:
        raise InvalidValue(
            "unknown {what} {value!r}; one of {terms}",
            values={"what": what, "value": value, "terms": ", ".join(terms)},
        )
    return value


class DatasetFields(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    name: str = Field("", description="URL name: a-z, 0-9, - and _ (2-100); derived if empty.")
    title: str = Field(min_length=1, max_length=300)
    title_kana: str = Field("", max_length=300, description="Reading of the title in kana.")
    notes: str = Field("", max_length=20_000, description="Description.")
    license_id: str = Field("", description="CC-BY-4.0 | CC0-1.0 | PDL-1.0 (default: setting).")
    category: str = Field("", description="A category key (CKAN group).")
    tags: list[str] = Field(default_factory=list, max_length=50)
    frequency: str = Field("irregular", description="daily … annual | irregular.")
    spatial: str = Field("", max_length=200)
    temporal_start: str = Field("", pattern=r"^$|^\d{4}-\d{2}-\d{2}$")
    temporal_end: str = Field("", pattern=r"^$|^\d{4}-\d{2}-\d{2}$")
    contact: str = Field("", max_length=200)
    standard_type: str = Field("", description="Key of a standard dataset type, if any.")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if v and not NAME.match(v):
            raise InvalidValue(
                "{value!r}: a name is 2-100 of a-z, 0-9, - and _", values={"value": v}
            )
        return v

    @field_validator("license_id")
    @classmethod
    def _license(cls, v: str) -> str:
        return _one_of(v, LICENSES, "licence")

    @field_validator("category")
    @classmethod
    def _category(cls, v: str) -> str:
        return _one_of(v, CATEGORIES, "category")

    @field_validator("frequency")
    @classmethod
    def _frequency(cls, v: str) -> str:
        return _one_of(v, FREQUENCIES, "frequency")

    @field_validator("standard_type")
    @classmethod
    def _standard(cls, v: str) -> str:
        return _one_of(v, standard_types(), "standard type")

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, v: Any) -> Any:
        if isinstance(v, str):
            return [t.strip() for t in re.split(r"[,、;]", v) if t.strip()]
        if isinstance(v, list):  # CKAN sends [{"name": …}]
            return [t["name"] if isinstance(t, dict) else t for t in v]
        return v


EDITABLE = tuple(DatasetFields.model_fields)
