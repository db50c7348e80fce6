"""SSO login through real HTTP redirects: rengo (uvicorn) ⇄ a stub OpenID provider (uvicorn).

The provider checks PKCE, the client secret and the redirect URI the way a real one does;
rengo must check state, nonce, issuer and signature, and log in only existing accounts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from rengo.core import audit
from rengo.core.identity import User
from rengo.core.runtime import Runtime
from rengo.core.settings import OidcSettings
from tests.conftest import LiveServer
from tests.helpers import JOINT, WARD_A
from tests.web.oidc_provider import CLIENT_ID, CLIENT_SECRET, StubProvider

pytestmark = pytest.mark.slow


@pytest.fixture
def provider(env: Runtime) -> Iterator[StubProvider]:
    stub = StubProvider()
    with LiveServer(stub.app()) as server:
        stub.base_url = server.url
        env.settings.auth.oidc = OidcSettings(
            enabled=True,
            discovery_url=f"{server.url}/.well-known/openid-configuration",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
        )
        yield stub


@pytest.fixture
def browser(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, follow_redirects=False, timeout=20) as client:
        yield client


def _to_provider(browser: httpx.Client, next_page: str = "/assets") -> httpx.Response:
    start = browser.get("/login/oidc", params={"next": next_page})
    assert start.status_code == 303, start.text
    return browser.get(start.headers["location"])  # the provider answers with our callback


def test_sso_logs_an_existing_account_in_with_pkce_state_and_nonce(
    provider: StubProvider,
    browser: httpx.Client,
    make_user: Callable[..., str],
    env: Runtime,
) -> None:
    make_user(WARD_A, "ward_it", username="sato.it")
    provider.login_as = {"sub": "gov-0001", "preferred_username": "sato.it"}
    assert 'href="/login/oidc?next=' in browser.get("/login").text
    at_provider = _to_provider(browser)
    sent = provider.seen_authorize[-1]
    assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) == 43
    assert sent["state"] and sent["nonce"] and sent["redirect_uri"].endswith("/login/oidc/callback")
    assert "code_verifier" not in sent  # the verifier never leaves rengo but to the token call
    back = browser.get(at_provider.headers["location"])
    assert back.status_code == 303 and back.headers["location"] == "/assets"
    assert browser.get("/assets").status_code == 200
    me = browser.get("/api/v1/me", headers={"Accept": "application/json"})
    assert me.json()["username"] == "sato.it"
    with env.db.session() as session:
        logins = [e for e in audit.query(session, tenants=None) if e.action == "login"]
        assert logins[-1].detail == {"method": "oidc", "subject": "gov-0001"}


def test_a_forged_state_or_a_replayed_callback_is_refused(
    provider: StubProvider, browser: httpx.Client, make_user: Callable[..., str]
) -> None:
    make_user(WARD_A, "ward_it", username="sato.it")
    provider.login_as = {"sub": "gov-0001", "preferred_username": "sato.it"}
    callback = urlsplit(_to_provider(browser).headers["location"])
    params = parse_qs(callback.query)
    forged = {"code": params["code"][0], "state": "attacker-state"}
    refused = browser.get(f"{callback.path}?{urlencode(forged)}")
    assert refused.status_code == 401 and "このログインのもの" in refused.text
    assert browser.get("/assets").status_code == 303  # not logged in

    again = _to_provider(browser).headers["location"]
    assert browser.get(again).status_code == 303
    browser.cookies.clear()
    replay = browser.get(again)  # the same code again, from a browser without the cookie
    assert replay.status_code == 401
    assert browser.get("/assets").status_code == 303


def test_a_wrong_nonce_or_issuer_is_refused(
    provider: StubProvider, browser: httpx.Client, make_user: Callable[..., str]
) -> None:
    make_user(WARD_A, "ward_it", username="sato.it")
    provider.login_as = {"sub": "gov-0001", "preferred_username": "sato.it"}
    provider.wrong_nonce = True
    answer = browser.get(_to_provider(browser).headers["location"])
    assert answer.status_code == 401 and "IDトークンが正しくありません" in answer.text
    provider.wrong_nonce = False
    provider.issuer_override = "https://evil.example"
    answer = browser.get(_to_provider(browser).headers["location"])
    assert answer.status_code == 401
    assert browser.get("/assets").status_code == 303


def test_sso_never_creates_accounts_and_still_asks_for_mfa_where_required(
    provider: StubProvider,
    browser: httpx.Client,
    make_user: Callable[..., str],
    env: Runtime,
) -> None:
    with env.db.session() as session:
        before = session.scalar(select(func.count()).select_from(User))
    provider.login_as = {"sub": "gov-9", "preferred_username": "joint.admin", "role": "admin"}
    answer = browser.get(_to_provider(browser).headers["location"])
    assert answer.status_code == 401 and "アカウントがありません" in answer.text
    with env.db.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == before
        failed = [e for e in audit.query(session, tenants=None) if e.action == "login.failed"]
        assert failed and failed[-1].detail["username"] == "joint.admin"

    make_user(JOINT, "admin", username="joint.admin")
    env.settings.auth.mfa_required = True
    answer = browser.get(_to_provider(browser).headers["location"])
    assert answer.status_code == 303 and answer.headers["location"] == "/account/mfa"
    assert browser.get("/assets").headers["location"] == "/account/mfa"


def test_matching_by_email_needs_a_verified_address(
    provider: StubProvider,
    browser: httpx.Client,
    make_user: Callable[..., str],
    env: Runtime,
) -> None:
    from rengo.core.identity import Passwords, create_user

    with env.db.session() as session:
        create_user(
            session,
            Passwords.from_settings(env.settings),
            username="suzuki",
            password="correct horse battery",
            tenant=WARD_A,
            role="policy",
            email="suzuki.hana@city.chiyoda.lg.jp",
        )
    env.settings.auth.oidc.match = "email"
    env.settings.auth.oidc.claim = "email"
    claims = {"sub": "gov-7", "email": "Suzuki.Hana@city.chiyoda.lg.jp"}
    provider.login_as = claims | {"email_verified": False}
    refused = browser.get(_to_provider(browser).headers["location"])
    assert refused.status_code == 401 and "メールアドレスを確認していません" in refused.text
    provider.login_as = claims | {"email_verified": True}
    back = browser.get(_to_provider(browser).headers["location"])
    assert back.status_code == 303
    assert browser.get("/api/v1/me").json()["username"] == "suzuki"
