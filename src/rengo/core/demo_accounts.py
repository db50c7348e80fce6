"""Demo step: the tenants and one account per role in every ward and the joint centre."""

from __future__ import annotations

from sqlalchemy import select

from rengo.core import mfa
from rengo.core.demo import DemoContext, step
from rengo.core.identity import Passwords, User, create_user, needs_mfa
from rengo.core.permissions import ROLE_NAMES, Role
from rengo.core.tenancy import sync_tenants
from rengo.core.wards import JOINT, wards

DEMO_PASSWORD = "rengo-demo-2026"  # noqa: S105 - printed by `rengo demo`; demo data only
DEMO_TOTP_SECRET = "CDK2EY6LAYBH3FUQX4GLJAW3DVMMWKNZ"  # noqa: S105 - printed by `rengo demo`
"""The demo accounts that must use two-step login (admins, the joint centre) are enrolled
with this one authenticator key, printed by ``rengo demo``, so that MFA stays on as in
production and a demo user adds one entry to an authenticator app (or runs
``oathtool --totp -b <key>``)."""
ROLE_SHORT = {
    Role.ADMIN: "admin",
    Role.SOC_ANALYST: "soc",
    Role.CSIRT: "csirt",
    Role.WARD_IT: "it",
    Role.WARD_FINANCE: "finance",
    Role.POLICY: "policy",
    Role.EXECUTIVE: "exec",
    Role.PLANNER: "plan",
    Role.OPENDATA: "opendata",
    Role.JUDGE: "judge",
    Role.DEPT_HEAD: "head",
    Role.BUDGET: "budget",
    Role.HR: "hr",
    Role.DATA_OWNER: "owner",
    Role.PRIVACY_OFFICER: "privacy",
    Role.ZONE_ANALYST: "analyst",
    Role.AUDITOR: "auditor",
}


def demo_username(tenant_slug: str, role: Role) -> str:
    return f"{tenant_slug}.{ROLE_SHORT[role]}"


@step("accounts", 10, "Tenants and one account per role in every ward and the joint centre")
def demo_accounts(ctx: DemoContext) -> None:
    passwords = Passwords.from_settings(ctx.settings)
    # One hash reused for every demo account: they share the printed demo password.
    shared_hash = passwords.hash(DEMO_PASSWORD)
    created = 0
    with ctx.db.session() as session:
        sync_tenants(session)
        existing = set(session.scalars(select(User.username)))
        tenants = [(JOINT, "joint", "共同センター")] + [
            (w.code, w.slug, w.name_ja) for w in wards()
        ]
        for code, slug, name_ja in tenants:
            for role in ROLE_SHORT:
                username = demo_username(slug, role)
                if username in existing:
                    continue
                user = create_user(
                    session,
                    passwords,
                    username=username,
                    password=DEMO_PASSWORD,
                    tenant=code,
                    role=role.value,
                    display_name=f"{name_ja} {ROLE_NAMES[role].ja}",
                    email=f"{username}@demo.rengo.invalid",
                    password_hash=shared_hash,
                )
                if needs_mfa(user, ctx.settings):
                    mfa.enrol_with_secret(session, ctx.settings, user, DEMO_TOTP_SECRET, ctx.now)
                created += 1
    ctx.shared["demo_password"] = DEMO_PASSWORD
    ctx.shared["demo_totp_secret"] = DEMO_TOTP_SECRET
    ctx.report(f"accounts: {created} created (password for all demo accounts: {DEMO_PASSWORD})")
    ctx.report(
        "two-step login for admins and the joint centre: authenticator key "
        f"{DEMO_TOTP_SECRET} (oathtool --totp -b {DEMO_TOTP_SECRET})"
    )
