"""What an asset looks like on the way in and out (API, forms and CSV share these)."""

from __future__ import annotations

import ipaddress
import re
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from rengo.assets.reference import (
    BUSINESS_SYSTEMS,
    CLOUD_PROVIDERS,
    KINDS,
    LOCATIONS,
    SEGMENTS,
)
from rengo.core.errors import InvalidValue
from rengo.core.types import TenantCode

_HOSTNAME = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$")


def _one_of(value: str | None, terms: dict[str, Any], what: str) -> str | None:
    if value in (None, ""):
        return None
    if value not in terms:
        raise InvalidValue(
            "unknown {what} {value!r}; one of {terms}",
            values={"what": what, "value": value, "terms": ", ".join(terms)},
        )
    return value


class AssetFields(BaseModel):
    """Fields a user sets. Lists and tags may come as lists/dicts or ';'-separated text."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    kind: str = Field(description="system | dataset | device | network | cloud_service")
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    department: str = Field("", max_length=128)
    owner: str = Field("", max_length=128, description="管理責任者")
    custodian: str = Field("", max_length=128, description="管理担当者")
    location: str = Field(description="on_premises | gov_cloud | saas | data_centre")
    cloud_provider: str | None = Field(None, description="aws | azure | gcp | oci | sakura")
    segment: str | None = Field(None, description="mynumber | lgwan | internet")
    confidentiality: int | None = Field(None, ge=1, le=9, description="機密性 (1–3 by default)")
    integrity: int | None = Field(None, ge=1, le=9, description="完全性 (1–2 by default)")
    availability: int | None = Field(None, ge=1, le=9, description="可用性 (1–2 by default)")
    personal_data: bool = False
    personal_data_count: int | None = Field(None, ge=0, le=1_000_000_000)
    business_system: str | None = Field(None, description="one of the 20 standard systems")
    ip_ranges: list[str] = Field(default_factory=list, description="CIDR ranges")
    hostnames: list[str] = Field(default_factory=list)
    mail_domains: list[str] = Field(default_factory=list)
    cost_tags: dict[str, str] = Field(default_factory=dict)
    introduced_on: date | None = None
    renewal_due_on: date | None = None
    retired_on: date | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        return _one_of(v, KINDS, "kind") or ""

    @field_validator("location")
    @classmethod
    def _location(cls, v: str) -> str:
        return _one_of(v, LOCATIONS, "location") or ""

    @field_validator("cloud_provider")
    @classmethod
    def _provider(cls, v: str | None) -> str | None:
        return _one_of(v, CLOUD_PROVIDERS, "cloud provider")

    @field_validator("segment")
    @classmethod
    def _segment(cls, v: str | None) -> str | None:
        return _one_of(v, SEGMENTS, "network segment")

    @field_validator("business_system")
    @classmethod
    def _business_system(cls, v: str | None) -> str | None:
        return _one_of(v, BUSINESS_SYSTEMS, "business system")

    @field_validator("ip_ranges", "hostnames", "mail_domains", mode="before")
    @classmethod
    def _split_list(cls, v: Any) -> Any:
        if isinstance(v, str):
            return [p.strip() for p in re.split(r"[;\n]", v) if p.strip()]
        return v

    @field_validator("ip_ranges")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        out = []
        for item in v:
            try:
                out.append(str(ipaddress.ip_network(item, strict=False)))
            except ValueError:
                raise InvalidValue(
                    "{item!r} is not an IP address or CIDR range", values={"item": item}
                ) from None
        return out

    @field_validator("hostnames", "mail_domains")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        out = []
        for item in v:
            name = item.lower().rstrip(".")
            if not _HOSTNAME.match(name):
                raise InvalidValue(
                    "{item!r} is not a valid host or domain name", values={"item": item}
                )
            out.append(name)
        return out

    @field_validator("cost_tags", mode="before")
    @classmethod
    def _split_tags(cls, v: Any) -> Any:
        if isinstance(v, str):
            tags = {}
            for part in re.split(r"[;\n]", v):
                if not part.strip():
                    continue
                key, sep, value = part.partition("=")
                if not sep or not key.strip():
                    raise InvalidValue(
                        "{part!r}: a cost tag is written key=value", values={"part": part.strip()}
                    )
                tags[key.strip()] = value.strip()
            return tags
        return v

    @model_validator(mode="after")
    def _consistent(self) -> AssetFields:
        if self.location == "gov_cloud" and not self.cloud_provider:
            raise ValueError("an asset on the Government Cloud names its cloud_provider")
        if self.personal_data_count and not self.personal_data:
            raise ValueError("personal_data_count given but personal_data is false")
        if self.retired_on and self.introduced_on and self.retired_on < self.introduced_on:
            raise ValueError("retired_on is before introduced_on")
        return self


class AssetCreate(AssetFields):
    ward: TenantCode | None = Field(
        None, description="Ward code; defaults to the caller's ward (the joint centre must say)."
    )


class AssetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ward: TenantCode = Field(validation_alias="tenant")
    kind: str
    name: str
    description: str
    department: str
    owner: str
    custodian: str
    location: str
    cloud_provider: str | None
    segment: str | None
    confidentiality: int | None
    integrity: int | None
    availability: int | None
    personal_data: bool
    personal_data_count: int | None
    business_system: str | None
    ip_ranges: list[str]
    hostnames: list[str]
    mail_domains: list[str]
    cost_tags: dict[str, str]
    introduced_on: date | None
    renewal_due_on: date | None
    retired_on: date | None
    origin: str
    version: int
    created_at: datetime
    updated_at: datetime


class AssetChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    at: datetime
    actor: str
    action: str
    changes: dict[str, Any]


EDITABLE_FIELDS = tuple(AssetFields.model_fields)


def _optional(annotation: Any) -> Any:
    return annotation | None


_patch_fields: dict[str, Any] = {
    name: (_optional(info.annotation), Field(None, description=info.description))
    for name, info in AssetFields.model_fields.items()
}
AssetPatch: type[BaseModel] = create_model(
    "AssetPatch", __config__=ConfigDict(extra="forbid"), **_patch_fields
)
"""A partial update (JSON merge patch): only the fields sent change."""
