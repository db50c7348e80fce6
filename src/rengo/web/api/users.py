"""User accounts for administrators (a ward's admin: that ward; the joint centre: all)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from rengo.core import users
from rengo.core.errors import refuse_null
from rengo.core.identity import Passwords
from rengo.core.types import TenantCode
from rengo.web.deps import IdPath, RuntimeDep, SessionDep, UserDep, client_address

router = APIRouter(prefix="/api/v1/users", tags=["users"])


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    email: str
    ward: TenantCode = Field(validation_alias="tenant")
    role: str
    active: bool
    created_at: datetime
    last_login_at: datetime | None


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    password: str = Field(
        min_length=8, max_length=256, description="Checked against the password policy."
    )
    ward: TenantCode = Field(description="Ward code or 'joint'")
    role: str
    display_name: str = Field("", max_length=128)
    email: str = Field("", max_length=256)


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(None, max_length=128)
    email: str | None = Field(None, max_length=256)
    role: str | None = None
    active: bool | None = None

    @field_validator("display_name", "email", "role", "active")
    @classmethod
    def _not_null(cls, value: object) -> object:
        return refuse_null(value)


class PasswordIn(BaseModel):
    password: str = Field(
        min_length=8, max_length=256, description="Checked against the password policy."
    )


@router.get("", response_model=list[UserOut], summary="Accounts I administer")
def list_users(request: Request, principal: UserDep, session: SessionDep) -> list[UserOut]:
    found = users.list_users(session, principal, client=client_address(request))
    return [UserOut.model_validate(u) for u in found]


@router.post("", response_model=UserOut, status_code=201, summary="Create an account")
def create(
    body: UserIn, request: Request, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> UserOut:
    user = users.add_user(
        session,
        principal,
        Passwords.from_settings(runtime.settings),
        username=body.username,
        password=body.password,
        tenant=body.ward,
        role=body.role,
        display_name=body.display_name,
        email=body.email,
        client=client_address(request),
    )
    return UserOut.model_validate(user)


@router.patch("/{user_id}", response_model=UserOut, summary="Change role, name, e-mail or disable")
def change(
    user_id: IdPath, body: UserPatch, request: Request, principal: UserDep, session: SessionDep
) -> UserOut:
    changes = body.model_dump(exclude_unset=True)
    return UserOut.model_validate(
        users.change_user(session, principal, user_id, changes, client_address(request))
    )


@router.post(
    "/{user_id}/password", status_code=204, summary="Set a new password (ends their sessions)"
)
def password(
    user_id: IdPath,
    body: PasswordIn,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> None:
    users.reset_password(
        session,
        principal,
        Passwords.from_settings(runtime.settings),
        user_id,
        body.password,
        client_address(request),
    )


@router.delete(
    "/{user_id}/mfa",
    status_code=204,
    summary="Remove a user's second factor (lost phone); they enrol again at next login",
)
def reset_mfa(
    user_id: IdPath, request: Request, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> None:
    users.reset_mfa(session, principal, user_id, runtime.clock.now(), client_address(request))
