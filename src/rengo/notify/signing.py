"""Signed webhooks: HMAC-SHA256 over the timestamp and the exact body bytes.

The header ``X-Rengo-Signature: t=<unix seconds>,v1=<hex digest>`` lets a receiver check
that the call came from rengo and was not replayed (the timestamp must be recent). The
digest covers ``"<t>." + body``, as Stripe and GitHub-style receivers expect.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Rengo-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


class InvalidSignature(ValueError):
    """The signature is missing, malformed, wrong or too old."""


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header value for ``body`` sent at ``timestamp`` (unix seconds)."""
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def verify(
    secret: str,
    header: str | None,
    body: bytes,
    now: int,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    """Raise ``InvalidSignature`` unless ``header`` signs ``body`` recently with ``secret``."""
    if not header:
        raise InvalidSignature("no signature header")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        raise InvalidSignature("malformed signature header") from None
    if abs(now - timestamp) > tolerance:
        raise InvalidSignature(f"signature timestamp is {now - timestamp} s away from now")
    if not hmac.compare_digest(given, _digest(secret, timestamp, body)):
        raise InvalidSignature("signature does not match the body")
