"""The ``rengo`` command line. Every command takes ``--data-dir`` (or ``RENGO_DATA_DIR``).

Domain commands (``rengo soc …``, ``rengo finops …``) are typer apps from each domain's
``commands`` module, mounted here lazily: a domain's module is imported when one of its
commands is named (or the help lists them), so ``rengo soc detect --evtx …`` starts
without importing every other domain. The domains' registering parts
(``load_domains``) are loaded before any command runs, except those a commands module
lists in ``STANDALONE`` (commands that need nothing but their own modules) — among them
each domain's ``notifications`` (its worker hooks, ``rengo.notify.hooks``).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import os
import sys
from collections.abc import Iterator, MutableMapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from rengo import __version__
from rengo.core.console import (
    DataDirOption,
    WardOption,
    console,
    err_console,
    make_schema_with,
    open_runtime,
    progress,
)
from rengo.core.errors import RengoError
from rengo.core.permissions import SYSTEM, Role
from rengo.core.settings import load_settings
from rengo.domains import DOMAINS, load_demo_steps, load_domains


@functools.cache
def _domains_with_commands() -> tuple[str, ...]:
    found = []
    for domain in DOMAINS:
        try:
            if importlib.util.find_spec(f"rengo.{domain}.commands") is not None:
                found.append(domain)
        except ModuleNotFoundError:
            continue
    return tuple(found)


def _load_platform() -> None:
    """Every domain's registering parts, its notifier hooks among them (the hooks
    ``rengo csirt worker`` runs: FinOps alerts → finance contacts)."""
    load_domains()


def _loading_domains_first(command: Any, standalone: frozenset[str]) -> None:
    """Wrap the callbacks of ``command`` (and its sub-commands) to load the platform first."""
    for name, sub in getattr(command, "commands", {}).items():
        if name not in standalone:
            _loading_domains_first(sub, frozenset())
    callback = getattr(command, "callback", None)
    if callback is None or getattr(command, "commands", None):
        return

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        _load_platform()
        return callback(*args, **kwargs)

    command.callback = run


class _DomainCommands(MutableMapping[str, Any]):
    """The top group's commands: rengo's own, plus each domain's sub-app on first use."""

    def __init__(self, own: MutableMapping[str, Any]) -> None:
        self.own = own

    def __getitem__(self, name: str) -> Any:
        if name not in self.own and name in _domains_with_commands():
            module = importlib.import_module(f"rengo.{name}.commands")
            command = typer.main.get_command(module.app)
            command.name = name
            _loading_domains_first(command, frozenset(getattr(module, "STANDALONE", ())))
            self.own[name] = command
        return self.own[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self.own[name] = command

    def __delitem__(self, name: str) -> None:
        del self.own[name]

    def __iter__(self) -> Iterator[str]:
        yield from self.own
        yield from (d for d in _domains_with_commands() if d not in self.own)

    def __len__(self) -> int:
        return len(set(self.own) | set(_domains_with_commands()))


class _LazyGroup(TyperGroup):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.commands = _DomainCommands(self.commands)


app = typer.Typer(
    help="rengo (連合): the shared platform of Tokyo's 23 special wards.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=_LazyGroup,
)


@app.callback()
def _load_for_own_commands(ctx: typer.Context) -> None:
    # Domain commands load the domains themselves (unless STANDALONE); rengo's own here.
    if ctx.invoked_subcommand not in _domains_with_commands():
        _load_platform()


db_app = typer.Typer(help="The state database.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")

ROLES = [r.value for r in Role if r is not Role.PUBLIC]


def _upgrade(data_dir: Path | None) -> None:
    from rengo.core.tenancy import sync_tenants
    from rengo.migrations import upgrade

    settings = load_settings(data_dir=data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url())
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        sync_tenants(session)


make_schema_with(_upgrade)  # commands that open_runtime(create=True) make the database


@app.command()
def version() -> None:
    """Print rengo's version."""
    console.print(__version__)


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDirOption = None) -> None:
    """Create or migrate the state database to the newest schema (SQLite or PostgreSQL)."""
    _upgrade(data_dir)
    console.print("database is up to date")


@db_app.command("revision")
def db_revision(
    domain: Annotated[str, typer.Option(help="The domain whose migrations folder gets it")],
    message: Annotated[str, typer.Option("-m", "--message", help="What the revision does")],
    data_dir: DataDirOption = None,
) -> None:
    """(Developers) autogenerate a migration for DOMAIN from the models."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from rengo.migrations import alembic_config

    settings = load_settings(data_dir=data_dir)
    config = alembic_config(settings.resolved_database_url())
    folder = (
        Path(__import__(f"rengo.{domain}", fromlist=["x"]).__file__ or "").parent / "migrations"
    )
    folder.mkdir(exist_ok=True)
    script = ScriptDirectory.from_config(config)
    has_branch = any(domain in (r.branch_labels or ()) for r in script.walk_revisions())
    if has_branch:
        command.revision(
            config, message, autogenerate=True, head=f"{domain}@head", version_path=str(folder)
        )
    else:
        command.revision(
            config,
            message,
            autogenerate=True,
            head="base",
            branch_label=domain,
            version_path=str(folder),
            depends_on="core_0001",
        )


@app.command()
def demo(
    data_dir: DataDirOption = None,
    seed: Annotated[int, typer.Option(help="Seed of the deterministic demo data")] = 2026,
    only: Annotated[
        str | None, typer.Option(help="Run only these steps (comma-separated names)")
    ] = None,
) -> None:
    """Fill the data directory with deterministic demo data for the 23 wards."""
    from rengo.core.demo import DemoContext, steps

    load_demo_steps()
    chosen = {name.strip() for name in only.split(",")} if only else None
    known = {s.name for s in steps()}
    if chosen is not None and not chosen <= known:
        raise typer.BadParameter(f"unknown steps {sorted(chosen - known)}; known: {sorted(known)}")
    _upgrade(data_dir)
    with open_runtime(data_dir) as runtime:
        ctx = DemoContext(
            db=runtime.db,
            settings=runtime.settings,
            data_dir=runtime.data_dir,
            now=runtime.clock.now(),
            seed=seed,
            report=lambda m: console.print(f"  {m}"),
        )
        todo = [s for s in steps() if chosen is None or s.name in chosen]
        with progress() as bar:  # on stderr: a bar over the steps, stdout keeps the log
            task = bar.add_task("demo", total=len(todo))
            for demo_step in todo:
                bar.update(task, description=demo_step.name)
                console.print(f"[bold]{demo_step.name}[/]: {demo_step.description}")
                demo_step.run(ctx)
                bar.advance(task)
    password = ctx.shared.get("demo_password", "")
    title = f"Demo accounts (password for all: {password}"
    if ctx.shared.get("demo_totp_secret"):
        title += f"; admins and joint centre: TOTP key {ctx.shared['demo_totp_secret']}"
    table = Table(title=title + ")")
    for column in ("user", "ward", "role"):
        table.add_column(column)
    for username, ward, role in (
        ("joint.admin", "共同センター", "admin"),
        ("joint.soc", "共同センター", "soc_analyst"),
        ("joint.csirt", "共同センター", "csirt"),
        ("joint.exec", "共同センター", "executive"),
        ("chiyoda.it", "千代田区", "ward_it"),
        ("chiyoda.finance", "千代田区", "ward_finance"),
        ("setagaya.policy", "世田谷区", "policy"),
        ("<ward>.<admin|soc|csirt|it|finance|policy|exec>", "…", "…"),
    ):
        table.add_row(username, ward, role)
    console.print(table)


@app.command()
def serve(
    data_dir: DataDirOption = None,
    host: Annotated[str | None, typer.Option(help="Listen address (default 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000)")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Run the web application (pages, JSON API, OpenAPI at /docs)."""
    import uvicorn

    from rengo.core.runtime import Runtime
    from rengo.web.app import create_app

    _upgrade(data_dir)
    settings = load_settings(data_dir=data_dir, host=host, port=port)
    runtime = Runtime.from_settings(settings)
    console.print(f"rengo {__version__} on http://{settings.host}:{settings.port}  (Ctrl-C stops)")
    uvicorn.run(
        create_app(runtime),
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level="info",
        proxy_headers=False,
    )


@app.command("settings")
def show_settings(data_dir: DataDirOption = None) -> None:
    """Print the effective settings as JSON (secrets masked)."""
    console.print_json(json.dumps(load_settings(data_dir=data_dir).public_dict(), default=str))


@app.command("wards")
def list_wards() -> None:
    """List the 23 wards with their codes, names and populations."""
    from rengo.core.wards import wards

    table = Table(title="23 special wards")
    for column in ("code", "name", "kana", "romaji", "population", "as of"):
        table.add_column(column)
    for w in wards():
        table.add_row(
            w.code,
            w.name_ja,
            w.name_kana,
            w.name_romaji,
            f"{w.population:,}",
            w.population_date.isoformat(),
        )
    console.print(table)


@token_app.command("create")
def token_create(
    ward: WardOption,
    role: Annotated[str, typer.Option(help=f"One of {', '.join(ROLES)}")],
    name: Annotated[str, typer.Option(help="What the token is for")] = "",
    expires_days: Annotated[int | None, typer.Option(help="Expire after N days")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Create an API token; the token is printed as the last line (and never shown again)."""
    from rengo.core import audit
    from rengo.core.identity import create_token

    tenant = ward
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        expires = runtime.clock.now() + timedelta(days=expires_days) if expires_days else None
        token, plaintext = create_token(
            session, tenant=tenant, role=role, name=name, created_by="cli", expires_at=expires
        )
        audit.record(
            session,
            SYSTEM,
            "token.create",
            object_type="token",
            object_id=token.id,
            object_tenant=tenant,
            detail={"role": role, "via": "cli"},
        )
        err_console.print(f"token #{token.id} for {role} at {tenant}")
    print(plaintext)


@token_app.command("revoke")
def token_revoke(token_id: int, data_dir: DataDirOption = None) -> None:
    """Revoke the API token with this id."""
    from rengo.core import audit
    from rengo.core.identity import revoke_token

    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        token = revoke_token(session, token_id)
        audit.record(
            session,
            SYSTEM,
            "token.revoke",
            object_type="token",
            object_id=token_id,
            object_tenant=token.tenant,
        )
    console.print(f"token #{token_id} revoked")


@token_app.command("list")
def token_list(
    data_dir: DataDirOption = None,
    output: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """List API tokens (never their secrets)."""
    from sqlalchemy import select

    from rengo.core.identity import ApiToken

    columns = ("id", "name", "ward", "role", "created", "expires", "revoked", "last_used")
    rows = []
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        for t in session.scalars(select(ApiToken).order_by(ApiToken.id)):
            stamps = (t.created_at, t.expires_at, t.revoked_at, t.last_used_at)
            rows.append(
                [str(t.id), t.name, t.tenant, t.role, *(s.isoformat() if s else "" for s in stamps)]
            )
    if output == "json":
        print(json.dumps([dict(zip(columns, r, strict=True)) for r in rows], ensure_ascii=False))
        return
    table = Table()
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(cell[:19] for cell in row))
    console.print(table)


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Option(help="Login name")],
    ward: WardOption,
    role: Annotated[str, typer.Option(help=f"One of {', '.join(ROLES)}")],
    display_name: Annotated[str, typer.Option(help="Name shown in the UI")] = "",
    email: Annotated[str, typer.Option(help="E-mail address")] = "",
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, envvar="RENGO_NEW_PASSWORD"
        ),
    ] = "",
    data_dir: DataDirOption = None,
) -> None:
    """Create a user account (the password is asked for, never taken from history)."""
    from rengo.core import audit
    from rengo.core.identity import Passwords, create_user

    tenant = ward
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        user = create_user(
            session,
            Passwords.from_settings(runtime.settings),
            username=username,
            password=password,
            tenant=tenant,
            role=role,
            display_name=display_name,
            email=email,
        )
        audit.record(
            session,
            SYSTEM,
            "user.create",
            object_type="user",
            object_id=user.id,
            object_tenant=tenant,
            detail={"username": username, "role": role},
        )
    console.print(f"user {username} created ({role} at {tenant})")


@user_app.command("password")
def user_password(
    username: Annotated[str, typer.Argument(help="Login name")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, envvar="RENGO_NEW_PASSWORD"
        ),
    ] = "",
    data_dir: DataDirOption = None,
) -> None:
    """Set a new password (the password policy applies; the user's sessions end)."""
    from rengo.core import users
    from rengo.core.identity import Passwords

    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        user = users.by_username(session, username)
        passwords = Passwords.from_settings(runtime.settings)
        users.reset_password(session, SYSTEM, passwords, user.id, password)
    console.print(f"password of {username} changed")


@user_app.command("mfa-reset")
def user_mfa_reset(
    username: Annotated[str, typer.Argument(help="Login name")], data_dir: DataDirOption = None
) -> None:
    """Remove a user's second factor (lost phone); they enrol again at their next login."""
    from rengo.core import users

    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        user = users.by_username(session, username)
        users.reset_mfa(session, SYSTEM, user.id, runtime.clock.now())
    console.print(f"second factor of {username} removed")


@audit_app.command("verify")
def audit_verify(data_dir: DataDirOption = None) -> None:
    """Recompute the audit log's hash chain; exit 1 if any entry was altered or removed."""
    from rengo.core import audit

    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        report = audit.verify_chain(session)
    if report.intact:
        console.print(f"audit log intact: {report.checked} entries")
        return
    where = f" at entry {report.first_bad_id}" if report.first_bad_id is not None else ""
    err_console.print(
        f"audit log broken{where}: {report.reason} ({report.checked} entries intact before)"
    )
    raise typer.Exit(1)


@audit_app.command("export")
def audit_export(
    out: Annotated[Path, typer.Argument(help="CSV file to write")], data_dir: DataDirOption = None
) -> None:
    """Export the whole audit log as CSV (UTF-8 with BOM)."""
    from rengo.core import audit

    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        events = audit.query(session, tenants=None, limit=10_000_000)
        with out.open("w", encoding="utf-8", newline="") as handle:
            for chunk in audit.export_csv(reversed(events)):
                handle.write(chunk)
        audit.record(
            session,
            SYSTEM,
            "audit.export",
            object_type="audit_log",
            detail={"rows": len(events), "file": str(out)},
        )
    console.print(f"{len(events)} entries written to {out}")


def _database_error(error: Exception) -> bool:
    # A command that never opened the database has not imported SQLAlchemy.
    exc = sys.modules.get("sqlalchemy.exc")
    return exc is not None and isinstance(error, (exc.OperationalError, exc.ProgrammingError))


def main() -> None:
    try:
        app()
    except RengoError as error:
        err_console.print(f"[red]error:[/] {error.message}")
        for problem in error.problems:
            err_console.print(f"  - {problem}")
        sys.exit(2)
    except Exception as error:
        if not _database_error(error):
            _unexpected(error)
        if "no such table" in str(error) or "does not exist" in str(error):
            err_console.print(
                "[red]error:[/] the database is not initialised: run `rengo db upgrade`"
            )
        else:
            err_console.print(f"[red]database error:[/] {getattr(error, 'orig', error)}")
        sys.exit(2)


def _unexpected(error: Exception) -> None:
    """Never a traceback for users; RENGO_DEBUG=1 shows it."""
    if os.environ.get("RENGO_DEBUG"):
        raise error
    err_console.print(f"[red]unexpected error:[/] {type(error).__name__}: {error}")
    err_console.print("run again with RENGO_DEBUG=1 to see where it happened")
    sys.exit(1)
