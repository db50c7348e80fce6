"""Core objects (API tokens, user accounts) for the tenancy walk."""

from __future__ import annotations

from rengo.core.identity import Passwords, create_token, create_user
from rengo.core.runtime import Runtime
from tests.tenancy import BODIES, factory


@factory("token_id")
def token(runtime: Runtime, ward: str) -> str:
    with runtime.db.session() as session:
        user = create_user(
            session,
            Passwords.from_settings(runtime.settings),
            username=f"owner-{ward}",
            password="long enough password",
            tenant=ward,
            role="ward_it",
        )
        created, _secret = create_token(session, tenant=ward, role="ward_it", user_id=user.id)
        return str(created.id)


@factory("user_id")
def user(runtime: Runtime, ward: str) -> str:
    with runtime.db.session() as session:
        created = create_user(
            session,
            Passwords.from_settings(runtime.settings),
            username=f"walk-user-{ward}",
            password="long enough password",
            tenant=ward,
            role="policy",
        )
        return str(created.id)


BODIES["POST /api/v1/users/{user_id}/password"] = {"password": "another long password"}
