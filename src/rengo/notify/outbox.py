"""Notifications for every domain: e-mail over SMTP and Teams/Slack-compatible webhooks,
with a delivery log, retries with back-off, and concurrent sending.

Until SMTP is configured (``csirt.email_transport``), e-mail goes to the **built-in
outbox**: the delivery is kept with status ``outbox`` in the notification log (the whole
message readable there) and written to the ``rengo.notify.outbox`` log, so that a fresh
install and the demo notify without failures and nothing is lost.

Callers ``enqueue_*`` in their own transaction (so that a notification exists exactly
when the change that caused it does); ``deliver_due`` sends what is due — the web
server's worker calls it every few seconds, ``rengo csirt worker`` does the same
outside the web server, and callers that want speed call it right after committing.
"""

from __future__ import annotations

import json
import logging
import smtplib
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Literal
from urllib.parse import urlsplit

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from rengo.core.clock import Clock
from rengo.core.db import Database
from rengo.core.identity import User
from rengo.core.settings import Settings
from rengo.core.types import TenantCode
from rengo.notify.models import Delivery
from rengo.notify.settings import CsirtSettings
from rengo.notify.signing import SIGNATURE_HEADER, sign

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
"""A delivery being sent is retried after this long if its sender died mid-way."""
MAX_WORKERS = 16


class DeliveryError(Exception):
    """Sending failed; the message says why (kept in the delivery log)."""


def enqueue(
    session: Session,
    *,
    channel: str,
    recipient: str,
    subject: str,
    body: str,
    now: datetime,
    topic: str,
    link: str = "",
    tenant: TenantCode | None = None,
    secret_name: str = "",
    reference: str = "",
    flush: bool = True,
) -> Delivery:
    """Queue one message. ``flush=False`` for a batch: the caller flushes once (the rows
    are then inserted together) before it reads ``Delivery.id``."""
    if channel not in ("email", "webhook"):
        raise ValueError(f"unknown channel {channel!r}")
    delivery = Delivery(
        topic=topic,
        tenant=tenant,
        channel=channel,
        recipient=recipient,
        subject=subject[:300],
        body=body,
        link=link,
        secret_name=secret_name,
        reference=reference,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    if flush:
        session.flush()
    return delivery


def staff_emails(
    session: Session, role: str, tenants: Iterable[TenantCode]
) -> list[tuple[str, TenantCode]]:
    """``(address, tenant)`` of the active users with ``role`` in ``tenants`` who have one."""
    rows = session.execute(
        select(User.email, User.tenant)
        .where(User.role == role, User.active.is_(True), User.email != "")
        .where(User.tenant.in_(list(tenants)))
    )
    return [(email, tenant) for email, tenant in rows]


def enqueue_emails(
    session: Session,
    recipients: Iterable[tuple[str, TenantCode | None]],
    *,
    subject: str,
    body: str,
    now: datetime,
    topic: str,
    link: str = "",
    reference: str = "",
) -> list[Delivery]:
    """The same message by email to each ``(address, tenant)``, one delivery each."""
    return [
        enqueue(
            session,
            channel="email",
            recipient=address,
            subject=subject,
            body=body,
            link=link,
            now=now,
            topic=topic,
            tenant=tenant,
            reference=reference,
        )
        for address, tenant in recipients
    ]


def webhook_payload(delivery: Delivery) -> dict[str, object]:
    """JSON that Teams (MessageCard) and Slack incoming webhooks both display."""
    text = delivery.body + (f"\n\n{delivery.link}" if delivery.link else "")
    return {
        "@type": "MessageCard",
        "@context": "http://schema.org/extensions",
        "summary": delivery.subject,
        "title": delivery.subject,
        "text": text,
        "rengo": {
            "topic": delivery.topic,
            "reference": delivery.reference,
            "link": delivery.link,
            "tenant": delivery.tenant,
            "delivery_id": delivery.id,
        },
    }


Outcome = Literal["sent", "outbox"]


@dataclass(frozen=True, slots=True)
class Outbox:
    """Sends one delivery; ``send`` raises ``DeliveryError`` on failure."""

    settings: CsirtSettings

    def send(self, delivery: Delivery) -> Outcome:
        """``sent``, or ``outbox`` for e-mail kept in the built-in outbox."""
        if delivery.channel == "email":
            if not self.settings.uses_smtp():
                log.info(
                    "built-in outbox (SMTP not configured): delivery %s to %s: %s",
                    delivery.id,
                    delivery.recipient,
                    delivery.subject,
                )
                return "outbox"
            self._email(delivery)
        else:
            self._webhook(delivery)
        return "sent"

    def _email(self, delivery: Delivery) -> None:
        s = self.settings
        message = EmailMessage()
        message["From"] = s.smtp_from
        message["To"] = delivery.recipient
        message["Subject"] = delivery.subject
        message["Date"] = format_datetime(delivery.created_at)
        message["Message-ID"] = make_msgid(domain="rengo")
        message["X-Rengo-Reference"] = delivery.reference or delivery.topic
        message.set_content(delivery.body + (f"\n\n{delivery.link}\n" if delivery.link else "\n"))
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds) as smtp:
                if s.smtp_starttls:
                    smtp.starttls()
                if s.smtp_username and s.smtp_password is not None:
                    smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP {s.smtp_host}:{s.smtp_port}: {exc}") from exc

    def _webhook(self, delivery: Delivery) -> None:
        body = json.dumps(webhook_payload(delivery), ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if delivery.secret_name:
            headers[SIGNATURE_HEADER] = sign(
                secret_value(self.settings, delivery.secret_name), body, int(time.time())
            )
        try:
            response = httpx.post(
                delivery.recipient,
                content=body,
                headers=headers,
                timeout=self.settings.webhook_timeout_seconds,
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 300:
            raise DeliveryError(f"webhook answered {response.status_code}: {response.text[:200]}")


def masked_url(url: str) -> str:
    """A chat webhook's URL is itself a credential (Slack, Teams): show only its host."""
    if not url:
        return ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}/…"


def secret_value(settings: CsirtSettings, name: str) -> str:
    secret = settings.webhook_secrets.get(name)
    if secret is None:
        raise DeliveryError(
            f"webhook secret {name!r} is not configured (RENGO_CSIRT__WEBHOOK_SECRETS__{name})"
        )
    return secret.get_secret_value()


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int
    retrying: int
    failed: int
    kept: int = 0
    """E-mail kept in the built-in outbox (SMTP not configured)."""


def _claim(db: Database, now: datetime, limit: int) -> list[Delivery]:
    """Mark due deliveries as being sent (one sender wins each) and return them: one
    conditional UPDATE … RETURNING for the batch (a round trip per delivery made a
    worker's batch of 500 take seconds on PostgreSQL)."""
    with db.session() as session:
        candidates = (
            select(Delivery.id)
            .where(or_(Delivery.status == "pending", Delivery.status == "sending"))
            .where(Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
        )
        ids = list(session.scalars(candidates))
        if not ids:
            return []
        # re-checked in the UPDATE: a concurrent sender that claimed one first wins it
        won = set(
            session.scalars(
                update(Delivery)
                .where(Delivery.id.in_(ids), Delivery.status.in_(("pending", "sending")))
                .where(Delivery.next_attempt_at <= now)
                .values(status="sending", next_attempt_at=now + LEASE)
                .returning(Delivery.id),
                execution_options={"synchronize_session": False},
            )
        )
        claimed = list(
            session.scalars(select(Delivery).where(Delivery.id.in_(won)).order_by(Delivery.id))
        )
        for d in claimed:
            session.expunge(d)
        return claimed


def deliver_due(
    db: Database,
    settings: Settings,
    clock: Clock,
    *,
    limit: int = 500,
    outbox: Outbox | None = None,
    on_sent: Callable[[Delivery], None] | None = None,
) -> DeliveryReport:
    """Send every due delivery, concurrently; record each outcome and schedule retries."""
    s = settings.section(CsirtSettings)
    outbox = outbox or Outbox(s)
    claimed = _claim(db, clock.now(), limit)
    if not claimed:
        return DeliveryReport(0, 0, 0)

    def attempt(delivery: Delivery) -> tuple[Delivery, Outcome | None, str | None]:
        try:
            return delivery, outbox.send(delivery), None
        except DeliveryError as exc:
            return delivery, None, str(exc)

    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(claimed))) as pool:
        outcomes = list(pool.map(attempt, claimed))
    sent = retrying = failed = kept = 0
    now = clock.now()
    with db.session() as session:
        rows = {
            row.id: row
            for row in session.scalars(
                select(Delivery).where(Delivery.id.in_([d.id for d, _o, _e in outcomes]))
            )
        }
        for delivery, outcome, error in outcomes:
            row = rows.get(delivery.id)
            if row is None:
                continue
            row.attempts += 1
            if outcome is not None:
                row.status, row.sent_at, row.last_error = outcome, now, ""
                if outcome == "outbox":
                    kept += 1
                else:
                    sent += 1
                if on_sent is not None:
                    on_sent(row)
                continue
            row.last_error = (error or "")[:2000]
            if row.attempts >= s.delivery_attempts:
                row.status = "failed"
                failed += 1
            else:
                backoff = s.delivery_backoff_seconds * (2 ** (row.attempts - 1))
                row.status, row.next_attempt_at = "pending", now + timedelta(seconds=backoff)
                retrying += 1
    return DeliveryReport(sent, retrying, failed, kept)
