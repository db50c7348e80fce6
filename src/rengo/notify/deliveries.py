"""The notification delivery log: what was sent to whom, over which channel, how many
attempts it took, what went wrong, and when the next retry is due.

A ward's CSIRT and admins read their ward's entries, the joint centre all. A delivery
that failed for good can be sent again by hand: a new entry that points at the failed one
(``retry_of``), so the log keeps every attempt as it happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.errors import Conflict, NotFound
from rengo.core.permissions import Principal, require
from rengo.core.types import TenantCode
from rengo.core.wards import JOINT
from rengo.notify import outbox
from rengo.notify.models import Delivery
from rengo.notify.vocabulary import ON_CALL_VALUES

STATUSES = ("pending", "sending", "sent", "outbox", "failed")
"""``outbox``: e-mail kept in the built-in outbox, SMTP not being configured."""
CHANNELS = ("email", "webhook")


@dataclass(frozen=True, slots=True)
class ChannelProblem:
    """A real channel whose latest delivery failed: what, where, why, since when."""

    channel: str
    target: str
    """``smtp`` (the error names the server), or a webhook's host (its URL is a credential)."""
    error: str
    at: datetime
    delivery_id: int


def channel_problems(
    session: Session, *, tenants: frozenset[str] | None, recent: int = 500
) -> list[ChannelProblem]:
    """Channels (SMTP, each webhook) whose most recent attempted delivery failed.

    Judged on the ``recent`` latest deliveries that were tried: a channel that delivered
    since it last failed is healthy again; the built-in outbox never fails.
    """
    stmt = (
        select(Delivery)
        .where(Delivery.attempts > 0, Delivery.status != "outbox")
        .order_by(Delivery.id.desc())
        .limit(recent)
    )
    if tenants is not None:
        stmt = stmt.where(Delivery.tenant.in_(sorted(tenants)))
    latest: dict[tuple[str, str], Delivery] = {}
    for delivery in session.scalars(stmt):
        key = (
            delivery.channel,
            "smtp" if delivery.channel == "email" else outbox.masked_url(delivery.recipient),
        )
        latest.setdefault(key, delivery)
    return [
        ChannelProblem(channel, target, delivery.last_error, delivery.created_at, delivery.id)
        for (channel, target), delivery in sorted(latest.items())
        if delivery.status != "sent" and delivery.last_error
    ]


def log(
    session: Session,
    *,
    tenants: frozenset[TenantCode] | None,
    reference: str | None = None,
    status: str | None = None,
    channel: str | None = None,
    limit: int = 100,
) -> list[Delivery]:
    """Newest first; ``tenants`` as ``visible_tenants`` gives them (``None``: all)."""
    stmt = select(Delivery).order_by(Delivery.id.desc())
    if tenants is not None:
        stmt = stmt.where(Delivery.tenant.in_(sorted(tenants)))
    if reference:
        stmt = stmt.where(Delivery.reference == reference)
    if status:
        stmt = stmt.where(Delivery.status == status)
    if channel:
        stmt = stmt.where(Delivery.channel == channel)
    return list(session.scalars(stmt.limit(limit)))


def get_delivery(session: Session, principal: Principal, delivery_id: int) -> Delivery:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound("delivery {delivery_id} not found", values={"delivery_id": delivery_id})
    require(principal, "csirt.deliveries.read", delivery.tenant or JOINT, hide=True)
    return delivery


def retry(session: Session, principal: Principal, delivery_id: int, *, now: datetime) -> Delivery:
    failed = get_delivery(session, principal, delivery_id)
    require(principal, "csirt.deliveries.retry", failed.tenant or JOINT)
    if failed.status != "failed":
        raise Conflict(
            "delivery {id} is {status}: only a failed one is sent again",
            values={"id": failed.id, "status": ON_CALL_VALUES.get(failed.status, failed.status)},
        )
    again = outbox.enqueue(
        session,
        channel=failed.channel,
        recipient=failed.recipient,
        subject=failed.subject,
        body=failed.body,
        link=failed.link,
        now=now,
        topic=failed.topic,
        tenant=failed.tenant,
        secret_name=failed.secret_name,
        reference=failed.reference,
    )
    again.retry_of = failed.id
    audit.record(
        session,
        principal,
        "csirt.delivery.retry",
        object_type="delivery",
        object_id=again.id,
        object_tenant=failed.tenant,
        detail={"retry_of": failed.id},
    )
    return again
