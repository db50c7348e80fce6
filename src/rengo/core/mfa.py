"""A second factor for logins: TOTP (RFC 6238) and single-use recovery codes.

The TOTP secret is stored encrypted (Fernet, with a key derived from the server's
``secret_key``, which lives outside the database): a copy of the database alone gives no
codes. It is shown only while enrolment is unconfirmed. Each code is accepted once: the
factor keeps the last time step used, and a code of that step or an earlier one is refused
(a code seen over a shoulder or replayed from a log is useless). Recovery codes are kept
as keyed digests (HMAC-SHA-256 with the same outside key) and work once each.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from rengo.core import audit
from rengo.core.db import Base, UTCDateTime, utcnow
from rengo.core.errors import Conflict, InvalidInput, Problem
from rengo.core.identity import User
from rengo.core.permissions import Principal
from rengo.core.settings import Settings

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1  # a code of the previous or next 30 s is accepted (clock drift, typing time)
RECOVERY_CODES = 10
FIELD = "field code"


class MfaFactor(Base):
    __tablename__ = "mfa_factors"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)


class RecoveryCode(Base):
    __tablename__ = "mfa_recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


def _key(settings: Settings, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"rengo-mfa", info=purpose).derive(
        settings.resolved_secret_key().encode()
    )


def _fernet(settings: Settings) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_key(settings, b"totp-secret")))


def _code_digest(settings: Settings, code: str) -> str:
    return hmac.new(_key(settings, b"recovery-code"), code.encode(), hashlib.sha256).hexdigest()


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _secret(settings: Settings, factor: MfaFactor) -> str:
    try:
        return _fernet(settings).decrypt(factor.secret_encrypted.encode()).decode()
    except InvalidToken as exc:  # the secret_key changed since enrolment
        raise Conflict(
            "the second factor cannot be read with this server's secret key; "
            "an administrator must reset it"
        ) from exc


def factor(session: Session, user_id: int) -> MfaFactor | None:
    return session.get(MfaFactor, user_id)


def is_enrolled(session: Session, user_id: int) -> bool:
    found = session.get(MfaFactor, user_id)
    return found is not None and found.confirmed_at is not None


def enrolled_user_ids(session: Session) -> set[int]:
    found = session.scalars(select(MfaFactor.user_id).where(MfaFactor.confirmed_at.is_not(None)))
    return set(found)


def provisioning_uri(settings: Settings, user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.username, issuer_name=settings.auth.mfa_issuer
    )


def pending_secret(session: Session, settings: Settings, user: User, now: datetime) -> str:
    """The secret of an unconfirmed enrolment (made now if there is none)."""
    found = session.get(MfaFactor, user.id)
    if found is not None and found.confirmed_at is not None:
        raise Conflict("a second factor is already set up; remove it first to replace it")
    if found is None:
        secret = pyotp.random_base32()
        encrypted = _fernet(settings).encrypt(secret.encode()).decode()
        session.add(MfaFactor(user_id=user.id, secret_encrypted=encrypted, created_at=now))
        session.flush()
        return secret
    return _secret(settings, found)


def enrol_with_secret(
    session: Session, settings: Settings, user: User, secret: str, now: datetime
) -> None:
    """A confirmed factor with a known secret, without recovery codes (demo accounts only)."""
    encrypted = _fernet(settings).encrypt(secret.encode()).decode()
    session.merge(
        MfaFactor(
            user_id=user.id,
            secret_encrypted=encrypted,
            created_at=now,
            confirmed_at=now,
            last_step=0,
        )
    )
    session.flush()


def _step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def _matching_step(secret: str, code: str, now: datetime, after: int) -> int | None:
    """The time step (later than ``after``) whose TOTP code is ``code``."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = _step(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step > after and hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def confirm(
    session: Session,
    settings: Settings,
    principal: Principal,
    user: User,
    code: str,
    now: datetime,
    client: str = "",
) -> list[str]:
    """Finish enrolment with a code from the app; the new recovery codes (shown once)."""
    found = session.get(MfaFactor, user.id)
    if found is None or found.confirmed_at is not None:
        raise Conflict("no enrolment is waiting for confirmation")
    step = _matching_step(_secret(settings, found), _normalise(code), now, found.last_step)
    if step is None:
        raise InvalidInput("wrong code", [Problem("not the code the app shows now", FIELD)])
    found.confirmed_at = now
    found.last_step = step
    codes = _new_recovery_codes(session, settings, user)
    audit.record(
        session,
        principal,
        "mfa.enrol",
        object_type="user",
        object_id=user.id,
        object_tenant=user.tenant,
        client=client,
        at=now,
    )
    return codes


def _new_recovery_codes(session: Session, settings: Settings, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()[:10]
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user.id, code_hash=_code_digest(settings, raw)))
    session.flush()
    return codes


def verify(session: Session, settings: Settings, user: User, code: str, now: datetime) -> str:
    """``"totp"`` or ``"recovery"`` if ``code`` is good now (and never again), else ''."""
    found = session.get(MfaFactor, user.id)
    if found is None or found.confirmed_at is None:
        return ""
    normal = _normalise(code)
    if normal.isdigit() and len(normal) == DIGITS:
        step = _matching_step(_secret(settings, found), normal, now, found.last_step)
        if step is None:
            return ""
        found.last_step = step
        session.flush()
        return "totp"
    digest = _code_digest(settings, normal)
    for recovery in session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ):
        if hmac.compare_digest(recovery.code_hash, digest):
            recovery.used_at = now
            session.flush()
            return "recovery"
    return ""


def remaining_recovery_codes(session: Session, user_id: int) -> int:
    return len(
        list(
            session.scalars(
                select(RecoveryCode.id).where(
                    RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
                )
            )
        )
    )


def remove(
    session: Session,
    principal: Principal,
    user: User,
    now: datetime,
    client: str = "",
) -> None:
    """Remove the user's second factor and recovery codes (lost phone; audited)."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.execute(delete(MfaFactor).where(MfaFactor.user_id == user.id))
    audit.record(
        session,
        principal,
        "mfa.remove",
        object_type="user",
        object_id=user.id,
        object_tenant=user.tenant,
        client=client,
        at=now,
    )
    session.flush()
