"""Who am I, and my own API tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, ConfigDict, Field

from rengo.core import tokens, users
from rengo.core.identity import Passwords
from rengo.core.permissions import require
from rengo.core.types import TenantCode
from rengo.web.deps import IdPath, RuntimeDep, SessionDep, UserDep, client_address

router = APIRouter(prefix="/api/v1", tags=["account"])


class MeOut(BaseModel):
    username: str | None
    ward: TenantCode
    role: str
    token_id: IdPath | None


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    tenant: TenantCode
    role: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class NewTokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    expires_in_days: int | None = Field(90, ge=1, le=3650)


class NewTokenOut(TokenOut):
    token: str = Field(description="Shown once; store it now.")


class PasswordChangeIn(BaseModel):
    current: str = Field(min_length=1, max_length=1024, description="The current password.")
    new: str = Field(
        min_length=8, max_length=256, description="Checked against the password policy."
    )


@router.post(
    "/me/password",
    status_code=204,
    summary="Change my password (the policy applies; my web sessions end)",
)
def change_my_password(
    body: PasswordChangeIn,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> None:
    require(principal, "tokens.self")
    passwords = Passwords.from_settings(runtime.settings)
    users.change_own_password(
        session, principal, passwords, body.current, body.new, client_address(request)
    )


@router.get("/me", response_model=MeOut, summary="The caller's identity")
def me(principal: UserDep) -> MeOut:
    return MeOut(
        username=principal.username,
        ward=principal.tenant,
        role=principal.role.value,
        token_id=principal.token_id,
    )


@router.get("/tokens", response_model=list[TokenOut], summary="My API tokens")
def my_tokens(principal: UserDep, session: SessionDep) -> list[TokenOut]:
    require(principal, "tokens.self")
    return [TokenOut.model_validate(t) for t in tokens.own_tokens(session, principal)]


@router.post("/tokens", response_model=NewTokenOut, status_code=201, summary="Create my token")
def new_token(
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
    body: Annotated[NewTokenIn, Body()],
) -> NewTokenOut:
    require(principal, "tokens.self")
    expires = (
        runtime.clock.now() + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    )
    token, plaintext = tokens.create_own_token(
        session, principal, name=body.name, expires_at=expires, client=client_address(request)
    )
    return NewTokenOut(**TokenOut.model_validate(token).model_dump(), token=plaintext)


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke one of my tokens")
def delete_token(
    token_id: IdPath, request: Request, principal: UserDep, session: SessionDep
) -> None:
    require(principal, "tokens.self")
    tokens.revoke_own_token(session, principal, token_id, client=client_address(request))
