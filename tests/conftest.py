"""Fixtures every test may use.

- ``db_url``: a fresh, migrated database per test, on SQLite and on PostgreSQL (the
  PostgreSQL variant skips with a reason when no server answers). Fresh databases are
  copied from a template migrated once per session, so they cost milliseconds.
- ``env``: a ``Runtime`` (settings, database, data directory, clock) on that database.
- ``app`` / ``client``: the web app and an HTTP client for it (ASGI, no socket).
- ``live_server``: the app served by uvicorn on 127.0.0.1 (real HTTP).
- ``tokens``: ``tokens(ward, role)`` makes an API token; ``login(client, ward, role)``
  logs a client in through the login form and returns its CSRF token.
- ``shared_data``: ``../shared/data`` (skips when absent).
- ``browser_page``: Playwright driving Debian's chromium, headless.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from rengo.core.identity import Passwords, create_token, create_user
from rengo.core.runtime import Runtime
from rengo.core.settings import Settings
from rengo.core.tenancy import sync_tenants
from rengo.migrations import upgrade
from tests.helpers import (
    IT_A,
    PG_ADMIN_URL,
    TEST_PASSWORD,
    WARD_A,
    asset_fields,
    csrf_of,
    free_port,
    shared_data_dir,
)

# Properties are checked for what they assert, not for how fast a shared 2-core machine
# runs them: a time limit per example failed them at random under load.
hypothesis.settings.register_profile(
    "rengo",
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow],
)
hypothesis.settings.load_profile("rengo")

# Messaging's API helpers, SMTP server and webhook receiver serve every domain's tests.
pytest_plugins = ["tests.notify.fixtures"]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if path is None:
        pytest.skip("../shared/data is absent (public test data sets are not in a fresh clone)")
    return path


# -- databases ---------------------------------------------------------------------


def _postgres_available() -> str | None:
    """None if PostgreSQL answers, else the reason it does not."""
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 2})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"no PostgreSQL at {PG_ADMIN_URL}: {type(exc).__name__}"


class _Templates:
    """Migrated template databases, built once per test session and backend."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.sqlite_template: Path | None = None
        self.pg_template: str | None = None
        self.pg_reason: str | bool | None = False
        self.pg_created: list[str] = []
        self.counter = itertools.count()
        self.tag = uuid.uuid4().hex[:8]

    def sqlite(self) -> str:
        if self.sqlite_template is None:
            path = self.tmp / "template.db"
            upgrade(f"sqlite:///{path}")
            self._seed(f"sqlite:///{path}")
            connection = sqlite3.connect(path)
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.execute("PRAGMA journal_mode=DELETE")
            connection.close()
            self.sqlite_template = path
        target = self.tmp / f"db{next(self.counter)}.db"
        shutil.copyfile(self.sqlite_template, target)
        return f"sqlite:///{target}"

    def postgres(self) -> str:
        if self.pg_reason is False:
            self.pg_reason = _postgres_available()
        if self.pg_reason:
            pytest.skip(str(self.pg_reason))
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        try:
            with admin.connect() as connection:
                if self.pg_template is None:
                    name = f"rengo_tpl_{self.tag}"
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
                    self.pg_created.append(name)
                    upgrade(f"{base}/{name}")
                    self._seed(f"{base}/{name}")
                    self.pg_template = name
                db_name = f"rengo_t_{self.tag}_{next(self.counter)}"
                connection.execute(
                    text(f'CREATE DATABASE "{db_name}" TEMPLATE "{self.pg_template}"')
                )
                self.pg_created.append(db_name)
        finally:
            admin.dispose()
        return f"{base}/{db_name}"

    @staticmethod
    def _seed(url: str) -> None:
        engine = create_engine(url)
        with engine.begin() as connection:
            from sqlalchemy.orm import Session

            with Session(bind=connection) as session:
                sync_tenants(session)
                session.flush()
        engine.dispose()

    def drop(self, url: str) -> None:
        if not url.startswith("postgresql"):
            return
        name = url.rsplit("/", 1)[1]
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    def cleanup(self) -> None:
        for name in reversed(self.pg_created):
            with contextlib.suppress(Exception):  # best effort at the end of the session
                self.drop(f"postgresql+psycopg:///{name}")


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Templates]:
    templates = _Templates(tmp_path_factory.mktemp("databases"))
    yield templates
    templates.cleanup()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, _templates: _Templates) -> Iterator[str]:
    """A fresh, migrated database with the 24 tenants, on each backend."""
    url = _templates.sqlite() if request.param == "sqlite" else _templates.postgres()
    yield url
    _templates.drop(url)


@pytest.fixture
def sqlite_url(_templates: _Templates) -> str:
    """A fresh SQLite database only (for tests that need no second backend)."""
    return _templates.sqlite()


def make_settings(data_dir: Path, db_url: str, **overrides: Any) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=db_url,
        secret_key="test-secret-key-not-for-production",
        password_time_cost=1,
        password_memory_kib=1024,
        web={"warm_targets": False},
        # Logging in through the form stays one step for the many tests that are not about
        # MFA; tests/web/test_mfa.py turns the requirement on.
        auth=overrides.pop("auth", {"mfa_required": False}),
        **overrides,
    )


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[Runtime]:
    runtime = Runtime.from_settings(make_settings(tmp_path / "data", db_url))
    yield runtime
    runtime.close()


# -- web ---------------------------------------------------------------------------


@pytest.fixture
def app(env: Runtime) -> Any:
    from rengo.web.app import create_app

    return create_app(env)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def new_client(app: Any) -> Iterator[Callable[[], TestClient]]:
    """More clients for the same app (e.g. two users at once)."""
    clients: list[TestClient] = []

    def make() -> TestClient:
        c = TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)
        c.__enter__()
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def tokens(env: Runtime) -> Callable[..., str]:
    """``tokens(ward, role)`` -> a bearer token (cached per ward and role)."""
    cache: dict[tuple[str, str], str] = {}

    def make(ward: str = WARD_A, role: str = "ward_it") -> str:
        if (ward, role) not in cache:
            with env.db.session() as session:
                _token, plaintext = create_token(
                    session, tenant=ward, role=role, name=f"{role}@{ward}"
                )
            cache[(ward, role)] = plaintext
        return cache[(ward, role)]

    return make


@pytest.fixture
def make_user(env: Runtime) -> Callable[..., str]:
    """``make_user(ward, role)`` -> the username of a new account (password TEST_PASSWORD)."""
    passwords = Passwords.from_settings(env.settings)
    counter = itertools.count()

    def make(ward: str = WARD_A, role: str = "ward_it", username: str | None = None) -> str:
        name = username or f"{role}-{ward}-{next(counter)}"
        with env.db.session() as session:
            create_user(
                session, passwords, username=name, password=TEST_PASSWORD, tenant=ward, role=role
            )
        return name

    return make


@pytest.fixture
def login(make_user: Callable[..., str]) -> Callable[..., str]:
    """``login(client, ward, role)`` logs the client in through the form; returns the CSRF token."""

    def do(test_client: TestClient, ward: str = WARD_A, role: str = "ward_it") -> str:
        username = make_user(ward, role)
        response = test_client.post(
            "/login", data={"username": username, "password": TEST_PASSWORD, "next": "/"}
        )
        assert response.status_code == 303, response.text
        return csrf_of(test_client)

    return do


# -- a real server -------------------------------------------------------------------


class LiveServer:
    def __init__(self, app: Any, port: int | None = None) -> None:
        import uvicorn

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("live server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def live_server(app: Any) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


# -- browser -----------------------------------------------------------------------

CHROMIUM = os.environ.get("RENGO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page(live_server: LiveServer, tmp_path: Path) -> Iterator[Any]:
    """A Playwright page in headless chromium; its ``base_url`` is the live server."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM} (make install puts it there when run as root)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_server.url, locale="ja-JP")
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


@pytest.fixture
def make_asset(env: Runtime) -> Callable[..., int]:
    """``make_asset(principal=IT_A, **fields)`` registers an asset; returns its id."""
    from rengo.assets import service
    from rengo.assets.schemas import AssetCreate

    def make(principal: Any = IT_A, **overrides: Any) -> int:
        with env.db.session() as session:
            asset = service.create_asset(
                session, principal, AssetCreate(**asset_fields(**overrides)), env.settings
            )
            asset_id: int = asset.id
            return asset_id

    return make
