"""A user's own API tokens: list, create and revoke them (each change audited).

The JSON API (``/api/v1/tokens``) and the account page (``/account/tokens``) both call
these, so that the rules (only one's own tokens, the audit entry) live in one place.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.errors import NotFound
from rengo.core.identity import ApiToken, create_token, revoke_token
from rengo.core.permissions import Principal


def own_tokens(session: Session, principal: Principal) -> list[ApiToken]:
    """The caller's tokens, newest first (none for a caller that is not a user)."""
    if principal.user_id is None:
        return []
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == principal.user_id)
            .order_by(ApiToken.id.desc())
        )
    )


def create_own_token(
    session: Session,
    principal: Principal,
    *,
    name: str,
    expires_at: datetime | None,
    client: str = "",
) -> tuple[ApiToken, str]:
    """A new token with the caller's ward and role; the plaintext is returned once."""
    if principal.user_id is None:
        raise NotFound("tokens are created by logged-in users (or `rengo token create`)")
    token, plaintext = create_token(
        session,
        tenant=principal.tenant,
        role=principal.role.value,
        name=name,
        user_id=principal.user_id,
        created_by=principal.username or "",
        expires_at=expires_at,
    )
    audit.record(
        session,
        principal,
        "token.create",
        object_type="token",
        object_id=token.id,
        object_tenant=token.tenant,
        client=client,
    )
    return token, plaintext


def revoke_own_token(
    session: Session, principal: Principal, token_id: int, *, client: str = ""
) -> ApiToken:
    """Revoke one of the caller's tokens (another's is not found)."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id is None or token.user_id != principal.user_id:
        raise NotFound("token {token_id} not found", values={"token_id": token_id})
    revoke_token(session, token_id)
    audit.record(
        session,
        principal,
        "token.revoke",
        object_type="token",
        object_id=token_id,
        object_tenant=token.tenant,
        client=client,
    )
    return token
