"""``rengo intel …``: import feeds and files, pull feeds, hunt, run the hub's background work."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from rengo.core.console import DataDirOption, console, open_runtime, progress
from rengo.core.permissions import SYSTEM
from rengo.intel import feeds, hunting, indicators, scheduler
from rengo.intel.feeds import FeedKind, ImportFormat
from rengo.intel.models import Feed
from rengo.intel.settings import IntelSettings

app = typer.Typer(help="Threat-intelligence hub: feeds, imports, hunts.", no_args_is_help=True)


@app.command("import")
def import_(
    location: Annotated[str, typer.Argument(help="File, MISP feed folder, or http(s) URL")],
    format: Annotated[
        ImportFormat, typer.Option(help="auto: recognised from the content")
    ] = "auto",
    tlp: Annotated[str | None, typer.Option(help="TLP for objects without a marking")] = None,
    hunt: Annotated[bool, typer.Option(help="Retro-hunt the new indicators right away")] = True,
    data_dir: DataDirOption = None,
) -> None:
    """Import a STIX 2.1 bundle, a MISP feed or event, or a CSV list of indicators (into
    the feeds collection)."""
    with open_runtime(data_dir) as runtime, progress(transient=True) as bar:
        task = bar.add_task(f"importing {location}", total=None)
        report = feeds.import_location(
            runtime.db,
            runtime.settings,
            SYSTEM,
            location,
            fmt=format,
            tlp=tlp,
            now=runtime.clock.now(),
        )
        bar.update(task, total=1, completed=1)
        if hunt:
            bar.add_task("retro-hunting new indicators", total=None)
            hunting.run_queued_hunts(
                runtime.db, runtime.settings, runtime.data_dir, runtime.clock.now()
            )
    console.print(
        f"{report.received} records: {report.added} added, {report.duplicates} duplicates, "
        f"{report.rejected} rejected (kept in the quarantine)"
    )
    for problem in report.problems[:20]:
        console.print(f"  - {problem}")


@app.command("hunt")
def hunt(
    days: Annotated[
        int | None, typer.Option(help="How many past days (default intel.retro_hunt_days)")
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Retro-hunt every live indicator over the past days of every ward's events."""
    with open_runtime(data_dir) as runtime:
        now = runtime.clock.now()
        with runtime.db.session() as session:
            queued = indicators.queue_hunt(
                session,
                since=None,
                days=days or runtime.settings.section(IntelSettings).retro_hunt_days,
                reason="rengo intel hunt",
                now=now,
            )
            queued.indicators_since = None
        done = hunting.run_queued_hunts(runtime.db, runtime.settings, runtime.data_dir, now)
    for h in done:
        console.print(
            f"hunt #{h.id}: {h.state}, {h.indicators} indicator values, {h.events} "
            f"events, {h.hits} new sightings {h.error}"
        )


@app.command("run")
def run(data_dir: DataDirOption = None) -> None:
    """One round of background work (for cron): match new events, run queued hunts, pull
    due feeds."""
    with open_runtime(data_dir) as runtime:
        done = scheduler.run_once(runtime.db, runtime.settings, runtime.data_dir, runtime.clock)
    console.print(
        f"{done['sightings']} new sightings, {done['hunts']} hunts run, {done['feeds']} feeds "
        "pulled"
    )


@app.command("feed-add")
def feed_add(
    name: Annotated[str, typer.Option(help="Name shown in the hub")],
    kind: Annotated[FeedKind, typer.Option(help="How the feed is read")],
    url: Annotated[str, typer.Option(help="TAXII API root URL, or the file / MISP feed URL")],
    collection: Annotated[str, typer.Option(help="TAXII: the remote collection id")] = "",
    username: Annotated[str, typer.Option(help="User name for Basic authentication")] = "",
    secret_env: Annotated[
        str, typer.Option(help="Environment variable holding the password/token")
    ] = "",
    tlp: Annotated[str, typer.Option(help="TLP for objects without a marking")] = "green",
    every: Annotated[int, typer.Option(help="Pull every N minutes")] = 60,
    data_dir: DataDirOption = None,
) -> None:
    """Register a feed that the hub pulls on a schedule."""
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        feed = feeds.add_feed(
            session,
            SYSTEM,
            {
                "name": name,
                "kind": kind,
                "url": url,
                "collection": collection,
                "username": username,
                "secret_env": secret_env,
                "default_tlp": tlp,
                "interval_minutes": every,
            },
        )
        console.print(f"feed #{feed.id} {name} added")


@app.command("feeds")
def feed_list(
    pull: Annotated[bool, typer.Option(help="Pull every enabled feed now")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """List the feeds (and pull them now with --pull)."""
    with open_runtime(data_dir) as runtime:
        if pull:
            with runtime.db.session() as session:
                ids = list(session.scalars(select(Feed.id).where(Feed.enabled.is_(True))))
            for feed_id in ids:
                feeds.run_feed(runtime.db, runtime.settings, feed_id, runtime.clock.now())
        table = Table(title="Intelligence feeds")
        for column in ("id", "name", "kind", "every", "last run", "status", "objects"):
            table.add_column(column)
        with runtime.db.session() as session:
            for f in session.scalars(select(Feed).order_by(Feed.id)):
                table.add_row(
                    str(f.id),
                    f.name,
                    f.kind,
                    f"{f.interval_minutes} min",
                    str(f.last_run_at or "")[:19],
                    f"{f.last_status} {f.last_message}"[:60],
                    str(f.objects_total),
                )
    console.print(table)
