"""Core objects (API tokens, user accounts) for the tenancy walk."""

from __future__ import annotations

from rengo.core.identity import Passwords, create_token, create_user
from rengo.core.runtime import Runtime
from tests.tenancy import BODIES, LISTS_WITHOUT_WARD_DATA, factory


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

# List routes whose answer has no ward field even for the ward itself (tenancy walk).
LISTS_WITHOUT_WARD_DATA.update(
    {
        "GET /api/v1/tokens": "the caller's own personal tokens; the walk's service tokens own none",
        "GET /api/v1/audit/verify": "a report on the whole chain (counts), no rows",
        "GET /api/v1/wards": "the public reference list of the 23 wards (codes, no ward field)",
    }
)
