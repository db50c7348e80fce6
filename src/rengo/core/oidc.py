"""OpenID Connect login (government SSO): authorization code flow with PKCE, state and nonce.

Authlib builds the authorization request (with an S256 code challenge) and exchanges the
code; joserfc checks the id token: signature against the provider's JWKS, ``iss`` equal to
the discovered issuer, ``aud`` our client id, ``exp``/``iat`` current, ``nonce`` the one
sent. The browser carries the request's state, nonce, code verifier and target between
the two legs in a short-lived encrypted cookie (``seal``/``unseal``), so the callback is
bound to the browser that started the login.

The account rule: the configured claim (``auth.oidc.claim``) must name an existing, active
rengo account (by user name or e-mail, ``auth.oidc.match``). SSO never creates an account
and never changes a role: a provider cannot make anyone an administrator.
"""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import requests
from authlib.integrations.requests_client import OAuth2Session
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rengo.core.errors import Unauthenticated
from rengo.core.identity import User
from rengo.core.settings import OidcSettings, Settings

PENDING_SECONDS = 600
"""How long a browser may take at the provider before the login must start again."""
ALGORITHMS = ("RS256", "PS256", "ES256")


class OidcError(Unauthenticated):
    """The SSO login failed; the reason is safe to show (no token or secret in it)."""

    code = "sso_failed"


REASONS = (
    "the login took too long or did not start here; start again",
    "the answer does not belong to this login; start again",
    "the identity provider did not log you in",
    "single sign-on is not configured",
    "the identity provider did not answer",
    "the identity provider's configuration is incomplete",
    "the identity provider refused the code",
    "the identity provider sent no id token",
    "the id token is not valid",
    "the id token has no usable claim for the account",
    "the provider has not verified the e-mail address",
)
"""Why an SSO login failed, in words safe to show (the web layer translates each)."""


def fail(reason: str) -> OidcError:
    assert reason in REASONS, reason
    return OidcError("single sign-on failed: {reason}", values={"reason": reason})


@dataclass(frozen=True, slots=True)
class Pending:
    """What the callback must find again: sent to the provider, kept by the browser."""

    state: str
    nonce: str
    verifier: str
    target: str


def _fernet(settings: Settings) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"rengo-oidc", info=b"pending").derive(
        settings.resolved_secret_key().encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(settings: Settings, pending: Pending) -> str:
    payload = {"s": pending.state, "n": pending.nonce, "v": pending.verifier, "t": pending.target}
    return _fernet(settings).encrypt(orjson.dumps(payload)).decode()


def unseal(settings: Settings, sealed: str, now: datetime) -> Pending:
    try:
        raw = _fernet(settings).decrypt_at_time(
            sealed.encode(), PENDING_SECONDS, int(now.timestamp())
        )
        data = orjson.loads(raw)
        return Pending(data["s"], data["n"], data["v"], data["t"])
    except (InvalidToken, ValueError, KeyError, TypeError) as exc:
        raise fail("the login took too long or did not start here; start again") from exc


class Provider:
    """One configured provider: its discovery document and keys, fetched when needed."""

    def __init__(self, config: OidcSettings) -> None:
        if not (config.enabled and config.discovery_url and config.client_id):
            raise fail("single sign-on is not configured")
        self.config = config
        self._metadata: dict[str, Any] | None = None

    def _get(self, url: str) -> dict[str, Any]:
        try:
            response = requests.get(url, timeout=self.config.timeout_seconds)
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise fail("the identity provider did not answer") from exc
        if not isinstance(data, dict):
            raise fail("the identity provider did not answer")
        return data

    def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            data = self._get(self.config.discovery_url)
            needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
            if not all(isinstance(data.get(k), str) for k in needed):
                raise fail("the identity provider's configuration is incomplete")
            self._metadata = data
        return self._metadata

    def _client(self, redirect_uri: str) -> OAuth2Session:
        secret = self.config.client_secret
        return OAuth2Session(
            self.config.client_id,
            secret.get_secret_value() if secret else None,
            scope=self.config.scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            default_timeout=self.config.timeout_seconds,
        )

    def start(self, redirect_uri: str, target: str) -> tuple[str, Pending]:
        """The provider's URL to send the browser to, and what the callback must check."""
        pending = Pending(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            verifier=secrets.token_urlsafe(48),
            target=target,
        )
        url, _state = self._client(redirect_uri).create_authorization_url(
            self.metadata()["authorization_endpoint"],
            state=pending.state,
            nonce=pending.nonce,
            code_verifier=pending.verifier,
        )
        return str(url), pending

    def finish(
        self, code: str, redirect_uri: str, pending: Pending, now: datetime
    ) -> dict[str, Any]:
        """The id token's checked claims for this authorization code."""
        metadata = self.metadata()
        try:
            token = self._client(redirect_uri).fetch_token(
                metadata["token_endpoint"],
                code=code,
                code_verifier=pending.verifier,
                grant_type="authorization_code",
            )
        except Exception as exc:  # authlib raises its own and requests' errors alike
            raise fail("the identity provider refused the code") from exc
        id_token = token.get("id_token") if isinstance(token, dict) else None
        if not isinstance(id_token, str):
            raise fail("the identity provider sent no id token")
        keys = KeySet.import_key_set(self._get(str(metadata["jwks_uri"])))  # type: ignore[arg-type]
        try:
            decoded = jwt.decode(id_token, keys, algorithms=list(ALGORITHMS))
            jwt.JWTClaimsRegistry(
                now=int(now.timestamp()),
                leeway=60,
                iss={"essential": True, "value": metadata["issuer"]},
                aud={"essential": True, "value": self.config.client_id},
                nonce={"essential": True, "value": pending.nonce},
                sub={"essential": True},
                exp={"essential": True},
            ).validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise fail("the id token is not valid") from exc
        return dict(decoded.claims)


_providers: dict[str, tuple[float, Provider]] = {}
METADATA_SECONDS = 3600


def provider(settings: Settings) -> Provider:
    """The configured provider (its discovery document is reused for an hour)."""
    config = settings.auth.oidc
    key = f"{config.discovery_url}|{config.client_id}"
    cached = _providers.get(key)
    if cached is not None and time.monotonic() - cached[0] < METADATA_SECONDS:
        cached[1].config = config
        return cached[1]
    made = Provider(config)
    _providers[key] = (time.monotonic(), made)
    return made


def account_for(session: Session, settings: Settings, claims: dict[str, Any]) -> User:
    """The existing, active account the claims name (never created here)."""
    config = settings.auth.oidc
    value = claims.get(config.claim)
    if not isinstance(value, str) or not value.strip():
        raise fail("the id token has no usable claim for the account")
    if config.match == "email" and claims.get("email_verified") is False:
        raise fail("the provider has not verified the e-mail address")
    column = User.username if config.match == "username" else func.lower(User.email)
    wanted = value.strip() if config.match == "username" else value.strip().lower()
    users = list(session.scalars(select(User).where(column == wanted).limit(2)))
    if len(users) != 1 or not users[0].active:
        raise OidcError("no account for this single sign-on login")
    return users[0]
