"""Where a ward's containment actions go: its connectors (a signed webhook to its firewall,
EDR or mail gateway, or the simulated ward endpoint), configured per ward.

A webhook names its HMAC key (``secret_name``, a key of ``csirt.webhook_secrets``); the
key itself never enters the database, a page or an answer — only whether it is
configured. URLs with credentials in them are refused for the same reason.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.errors import InvalidInput, NotFound, Problem
from rengo.core.permissions import Principal, require, visible_tenants
from rengo.core.types import TenantCode
from rengo.core.wards import ward_codes
from rengo.csirt.connectors import CONNECTOR_KINDS
from rengo.csirt.models import Connector
from rengo.csirt.settings import CsirtSettings
from rengo.csirt.vocabulary import ACTION_KINDS

EDITABLE = ("name", "url", "secret_name", "capabilities", "enabled")


def _problems(
    kind: str, name: str, url: str, secret_name: str, capabilities: list[str]
) -> list[Problem]:
    problems = []
    if not name.strip():
        problems.append(Problem("a name, e.g. the device it reaches", "field name"))
    if kind not in CONNECTOR_KINDS:
        problems.append(
            Problem(
                "one of {connector_kinds}",
                "field kind",
                values={"connector_kinds": ", ".join(CONNECTOR_KINDS)},
            )
        )
    if kind == "webhook":
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(Problem("a webhook needs an http(s) URL", "field url"))
        elif parts.username or parts.password:
            problems.append(
                Problem("no credentials in the URL: name a signing key instead", "field url")
            )
        if not secret_name:
            problems.append(
                Problem("a webhook needs the name of its signing key", "field secret_name")
            )
    if secret_name and not secret_name.replace("_", "").isalnum():
        problems.append(Problem("letters, digits and _ only", "field secret_name"))
    problems += [
        Problem("unknown action kind {kind!r}", "field capabilities", values={"kind": c})
        for c in capabilities
        if c not in ACTION_KINDS
    ]
    if not capabilities:
        problems.append(Problem("at least one action kind", "field capabilities"))
    return problems


def create_connector(
    session: Session,
    principal: Principal,
    *,
    tenant: TenantCode,
    name: str,
    kind: str,
    url: str = "",
    secret_name: str = "",
    capabilities: list[str] | None = None,
) -> Connector:
    caps = capabilities if capabilities is not None else list(ACTION_KINDS)
    problems = _problems(kind, name, url, secret_name, caps)
    if tenant not in ward_codes():
        problems.insert(
            0, Problem("{tenant!r} is not a ward", "field tenant", values={"tenant": tenant})
        )
    if problems:
        raise InvalidInput("invalid connector", problems)
    require(principal, "csirt.connectors.manage", tenant)
    connector = Connector(
        tenant=tenant,
        name=name.strip(),
        kind=kind,
        url=url if kind == "webhook" else "",
        secret_name=secret_name,
        capabilities=caps,
        enabled=True,
    )
    session.add(connector)
    session.flush()
    audit.record(
        session,
        principal,
        "csirt.connector.create",
        object_type="connector",
        object_id=connector.id,
        object_tenant=tenant,
        detail={
            "kind": kind,
            "url": connector.url,
            "secret_name": secret_name,
            "capabilities": caps,
        },
    )
    return connector


def get_connector(session: Session, principal: Principal, connector_id: int) -> Connector:
    connector = session.get(Connector, connector_id)
    if connector is None:
        raise NotFound("connector {connector_id} not found", values={"connector_id": connector_id})
    require(principal, "csirt.incidents.read", connector.tenant, hide=True)
    return connector


def update_connector(
    session: Session, principal: Principal, connector_id: int, changes: dict[str, Any]
) -> Connector:
    connector = get_connector(session, principal, connector_id)
    require(principal, "csirt.connectors.manage", connector.tenant)
    values = {n: getattr(connector, n) if changes.get(n) is None else changes[n] for n in EDITABLE}
    problems = _problems(
        connector.kind, values["name"], values["url"], values["secret_name"], values["capabilities"]
    )
    if problems:
        raise InvalidInput("invalid connector", problems)
    diff = {n: [getattr(connector, n), v] for n, v in values.items() if getattr(connector, n) != v}
    for name, (_, value) in diff.items():
        setattr(connector, name, value)
    if diff:
        audit.record(
            session,
            principal,
            "csirt.connector.update",
            object_type="connector",
            object_id=connector.id,
            object_tenant=connector.tenant,
            detail=diff,
        )
    return connector


def connectors(
    session: Session, principal: Principal, ward: TenantCode | None = None
) -> list[Connector]:
    visible = visible_tenants(principal, "csirt.incidents.read")
    stmt = select(Connector).order_by(Connector.tenant, Connector.id)
    if visible is not None:
        stmt = stmt.where(Connector.tenant.in_(sorted(visible)))
    if ward is not None:
        stmt = stmt.where(Connector.tenant == ward)
    return list(session.scalars(stmt))


def secret_configured(settings: CsirtSettings, connector: Connector) -> bool | None:
    """Whether the named key exists in settings (``None`` for a connector that needs none)."""
    if not connector.secret_name:
        return None
    return connector.secret_name in settings.webhook_secrets
