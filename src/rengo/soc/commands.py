"""``rengo soc …``: ingest files, run the syslog listener, counts, quarantine, upkeep."""

from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.table import Table

from rengo.core.console import DataDirOption, console, err_console, progress
from rengo.core.errors import RengoError
from rengo.core.settings import Settings, load_settings
from rengo.core.storage import DataDir
from rengo.core.wards import JOINT, MunicipalCodeError, parse_tenant, tenant_name
from rengo.soc.parsers import formats
from rengo.soc.schema import Origin
from rengo.soc.settings import SocSettings

if TYPE_CHECKING:  # the lake (DuckDB) is imported by the commands that use it
    from rich.progress import Progress

    from rengo.soc.service import SocStore

app = typer.Typer(
    help="Joint SOC: collect, keep and search every ward's security logs.", no_args_is_help=True
)


def _open(data_dir: Path | None) -> tuple[Settings, SocStore]:
    from rengo.soc.service import SocStore

    settings = load_settings(data_dir=data_dir)
    return settings, SocStore.open(
        DataDir(settings.data_dir).ensure(), settings.section(SocSettings)
    )


def _ward(text: str) -> str:
    try:
        code = parse_tenant(text)
    except MunicipalCodeError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if code == JOINT:
        raise typer.BadParameter("events belong to a ward, not to the joint centre")
    return code


def _fail(exc: RengoError) -> None:
    err_console.print(f"[red]error:[/red] {exc}")
    raise typer.Exit(2)


@app.command("ingest")
def ingest_command(
    paths: Annotated[
        list[Path], typer.Argument(help="Files or folders (recursive; .gz and .evtx read)")
    ],
    ward: Annotated[str, typer.Option(help="The ward the logs belong to (code or name)")],
    fmt: Annotated[str, typer.Option("--format", help=f"One of: {', '.join(formats())}")] = "auto",
    origin: Annotated[Origin, typer.Option(help="Real logs, or demo or exercise data")] = "real",
    force: Annotated[
        bool, typer.Option(help="Ingest files already ingested for the ward again")
    ] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Ingest log files and folders for a ward; wait until they are stored in the lake."""
    from rengo.soc.files import find_files, ingest_files
    from rengo.soc.spool import IngestBusy

    code = _ward(ward)
    if fmt not in formats():
        raise typer.BadParameter(f"unknown format {fmt!r}; one of {', '.join(formats())}")
    _settings, store = _open(data_dir)
    try:
        files = find_files(paths)
    except FileNotFoundError as exc:
        raise typer.BadParameter(str(exc)) from exc
    total = sum(f.stat().st_size for f in files)
    head_before = store.lake.head()
    # Store while reading (in this process, unless a running server is the writer; with
    # soc.nats_url the batches are published and `rengo soc writer` stores them).
    own_writer = store.start_writer()
    try:
        with progress() as bar:
            verb = "publishing to NATS" if store.publishes else "reading"
            task = bar.add_task(f"{verb} {len(files)} files", total=total)
            try:
                report = ingest_files(
                    store,
                    code,
                    paths,
                    fmt=fmt,
                    origin=origin,
                    force=force,
                    progress=lambda n: bar.advance(task, n),
                )
            except IngestBusy as exc:
                err_console.print(
                    f"[red]error:[/red] {exc}; run the command again (the files whose "
                    "batches were all accepted are skipped)"
                )
                raise typer.Exit(1) from exc
            if not store.publishes:
                _wait_stored(store, bar, head_before, report.end_position, own_writer)
    finally:
        if own_writer:
            store.stop_writer()
        if store.intake is not None:
            store.intake.close()
    if store.publishes:
        console.print(
            f"{report.files} files, {report.records} records published to NATS (stream "
            f"{store.settings.nats_stream}; rengo soc writer stores them); "
            f"{len(report.skipped)} files skipped (already ingested)"
        )
    else:
        stored = sum(c.events for c in store.lake.commits(after=head_before))
        rejected = sum(c.quarantined for c in store.lake.commits(after=head_before))
        console.print(
            f"{report.files} files, {report.records} records: {stored} events stored, "
            f"{rejected} quarantined; {len(report.skipped)} files skipped (already ingested)"
        )
    if report.damaged:
        lost = sum(len(problems) for problems in report.damaged.values())
        for path, problems in report.damaged.items():
            err_console.print(f"[red]damaged:[/red] {path}")
            for problem in problems[:10]:
                err_console.print(f"  {problem}")
            if len(problems) > 10:
                err_console.print(f"  … and {len(problems) - 10} more")
        err_console.print(
            f"[red]{lost} records lost[/red] from {len(report.damaged)} damaged files "
            "(quarantined with the reason; the files are not marked ingested)"
        )
        raise typer.Exit(1)


def _wait_stored(
    store: SocStore, bar: Progress, head_before: int, end_position: int, own_writer: bool
) -> None:
    goal = max(end_position - head_before, 1)
    store_task = bar.add_task("storing in the lake", total=goal)
    deadline = time.monotonic() + 3600
    while not store.wait_stored(end_position, timeout=0.2):
        bar.update(store_task, completed=store.lake.head() - head_before)
        if own_writer and store.writer.error is not None:
            err_console.print(f"[red]error:[/red] lake writer: {store.writer.error}")
            raise typer.Exit(1)
        if time.monotonic() > deadline:
            err_console.print("the lake writer did not store the batches within an hour")
            raise typer.Exit(1)
    bar.update(store_task, completed=goal)


@app.command("stats")
def stats_command(
    days: Annotated[int, typer.Option(help="Days back from now")] = 14,
    ward: Annotated[str | None, typer.Option(help="Only this ward")] = None,
    output: Annotated[Literal["table", "json"], typer.Option("--format")] = "table",
    data_dir: DataDirOption = None,
) -> None:
    """Events per ward, class and day; silent wards; quarantined records with reasons."""
    from rengo.soc.stats import collect_stats

    settings, store = _open(data_dir)
    wards = frozenset({_ward(ward)}) if ward else None
    stats = collect_stats(
        store.lake,
        wards=wards,
        now=datetime.now(UTC),
        days=days,
        silent_hours=settings.section(SocSettings).silent_ward_hours,
    )
    if output == "json":
        per_ward_class_day: dict[tuple[str, int, str], int] = {}
        for row in stats.counts:
            key = (row["ward"], row["class_uid"], row["day"].isoformat())
            per_ward_class_day[key] = per_ward_class_day.get(key, 0) + row["events"]
        document = {
            "since": stats.since.isoformat(),
            "until": stats.until.isoformat(),
            "total_events": stats.total_events,
            "total_quarantined": stats.total_quarantined,
            "events": [
                {"ward": w, "class_uid": c, "day": d, "events": n}
                for (w, c, d), n in sorted(per_ward_class_day.items())
            ],
            "last_seen": {w: (t.isoformat() if t else None) for w, t in stats.last_seen.items()},
            "silent_wards": stats.silent_wards,
            "quarantine": [
                {**q, "last_received": q["last_received"].isoformat()} for q in stats.quarantine
            ],
        }
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Events in the last {days} days")
    for column in ("ward", "events", "last event (UTC)", "status"):
        table.add_column(column)
    totals: dict[str, int] = {}
    for row in stats.counts:
        totals[row["ward"]] = totals.get(row["ward"], 0) + row["events"]
    for code, seen in stats.last_seen.items():
        status = "SILENT" if code in stats.silent_wards else "ok"
        table.add_row(
            f"{code} {tenant_name(code)}",
            str(totals.get(code, 0)),
            seen.strftime("%Y-%m-%d %H:%M") if seen else "-",
            status,
        )
    console.print(table)
    if stats.quarantine:
        quarantine = Table(title=f"Quarantined records: {stats.total_quarantined}")
        for column in ("ward", "source", "format", "records", "reason"):
            quarantine.add_column(column)
        for q in stats.quarantine[:50]:
            quarantine.add_row(q["ward"], q["source"], q["format"], str(q["records"]), q["reason"])
        console.print(quarantine)


@app.command("quarantine")
def quarantine_command(
    ward: Annotated[str | None, typer.Option(help="Only this ward")] = None,
    limit: Annotated[int, typer.Option(help="How many records to show")] = 20,
    do_replay: Annotated[
        bool, typer.Option("--replay", help="Parse them again and store those that now parse")
    ] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Show quarantined records (reason, place, raw bytes) or replay them after a fix."""
    from rengo.soc.quarantine import quarantined, replay

    _settings, store = _open(data_dir)
    wards = frozenset({_ward(ward)}) if ward else None
    if do_replay:
        report = replay(store.lake, store.spool, wards=wards)
        if store.writer.acquire(blocking=False):
            store.writer.drain()
            store.writer.release()
        console.print(
            f"{report.replayed} records replayed into the lake; {report.still_failing} still fail"
        )
        return
    for row in quarantined(store.lake, wards=wards, limit=limit):
        console.print(
            f"[bold]{row['location']}[/bold] ({row['format']}, ward {row['ward']}): {row['reason']}"
        )
        console.print(repr(bytes(row["raw"][:300])), markup=False)


@app.command("compact")
def compact_command(
    data_dir: DataDirOption = None,
    refile: Annotated[
        bool,
        typer.Option(
            "--refile",
            help="First move events filed under another class, ward or day (lakes written "
            "before 2026-11-27) to their own partitions; run again after a crash.",
        ),
    ] = False,
) -> None:
    """Merge small lake files and delete days past each ward's retention."""
    from rengo.soc.maintenance import apply_retention, compact
    from rengo.soc.refile import refile as refile_lake

    settings, store = _open(data_dir)
    if not store.writer.acquire(blocking=False):
        err_console.print("another process is the lake writer; it compacts on its own schedule")
        raise typer.Exit(1)
    try:
        if refile:
            repaired = refile_lake(store.lake)
            console.print(
                f"{repaired.files_checked} files checked; {repaired.events_moved} events moved "
                f"out of {repaired.files_repaired} files to their own partitions"
            )
        now = datetime.now(UTC)
        report = compact(
            store.lake,
            min_files=2,
            today=now.date() + timedelta(days=1),
            memory_mb=settings.section(SocSettings).compact_memory_mb,
            eager=True,
        )
        removed = apply_retention(
            store.lake,
            now,
            settings.section(SocSettings).retention_days,
            dict(settings.section(SocSettings).retention_days_by_ward),
        )
    finally:
        store.writer.release()
    console.print(
        f"{report.partitions} partitions compacted ({report.files_before} files into "
        f"{report.files_after}); {removed} day partitions past retention deleted"
    )


@app.command("syslog")
def syslog_command(
    ward_map: Annotated[
        Path | None, typer.Option("--ward-map", help="Networks/hosts → ward file")
    ] = None,
    port: Annotated[int | None, typer.Option(help="UDP and TCP port (overrides settings)")] = None,
    host: Annotated[str | None, typer.Option(help="Address to bind")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Run the syslog listener (UDP, TCP, optional TLS) until interrupted."""
    from rengo.soc.listen import open_listener

    settings = load_settings(data_dir=data_dir)
    soc = settings.section(SocSettings).model_copy(
        update={
            k: v
            for k, v in {
                "syslog_ward_map": ward_map,
                "syslog_udp_port": port,
                "syslog_tcp_port": port,
                "syslog_host": host,
            }.items()
            if v is not None
        }
    )
    try:
        running = open_listener(DataDir(settings.data_dir).ensure(), soc)
    except RengoError as exc:
        _fail(exc)
        return
    bound = ", ".join(f"{kind} {p}" for kind, p in running.listener.bound.items())
    console.print(f"syslog listening on {soc.syslog_host}: {bound} (Ctrl-C stops)")
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with contextlib.suppress(KeyboardInterrupt):
        stopped.wait()
    running.stop()
    counters = running.listener.counters
    console.print(
        f"received {counters.received}, spooled {counters.spooled}, UDP "
        f"dropped {counters.dropped_udp}"
    )


@app.command("writer")
def writer_command(
    fetch: Annotated[
        int, typer.Option(min=1, max=10_000, help="Batches fetched and committed together")
    ] = 64,
    data_dir: DataDirOption = None,
) -> None:
    """Store the batches NATS holds in the lake until interrupted (needs soc.nats_url).

    Run one per core or host; they share the work through one durable consumer."""
    import asyncio

    import nats.errors

    from rengo.soc.lake import Lake
    from rengo.soc.lake_shared import LakeBusy
    from rengo.soc.nats_writer import NatsWriter
    from rengo.soc.service import DOMAIN, limits_of

    settings = load_settings(data_dir=data_dir)
    soc = settings.section(SocSettings)
    if not soc.nats_url:
        err_console.print("[red]error:[/red] set soc.nats_url (RENGO_NATS_URL) first")
        raise typer.Exit(2)
    lake = Lake(DataDir(settings.data_dir).ensure().lake(DOMAIN))
    writer = NatsWriter(soc, lake, limits_of(soc), fetch=fetch)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        console.print(f"storing stream {soc.nats_stream} from {soc.nats_url} (Ctrl-C stops)")
        await writer.run(stop)

    try:
        asyncio.run(run())
    except LakeBusy as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    except (OSError, nats.errors.Error) as exc:  # NATS unreachable at start
        err_console.print(f"[red]error:[/red] cannot reach NATS at {soc.nats_url}: {exc!r}")
        raise typer.Exit(2) from exc
    counts = writer.counts
    console.print(
        f"stored {counts.batches} batches: {counts.events} events, {counts.quarantined} "
        f"quarantined; {counts.duplicates} delivered again and skipped"
    )
    if counts.unreadable:
        err_console.print(f"[red]{counts.unreadable} messages held no batch[/red] (see the log)")


# Detection (soc/detect): ``rengo soc detect`` and ``rengo soc rules …``.
from rengo.soc.detect.commands import STANDALONE, detect_command, rules_app  # noqa: E402

app.command("detect")(detect_command)
app.add_typer(rules_app, name="rules")
__all__ = ["STANDALONE", "app"]
