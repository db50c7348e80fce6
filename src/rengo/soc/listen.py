"""Starting the syslog listener from settings (``rengo soc syslog`` and ``rengo serve``)."""

from __future__ import annotations

from dataclasses import dataclass

from rengo.core.errors import InvalidInput, Problem
from rengo.core.storage import DataDir
from rengo.soc.service import SocStore, store_for
from rengo.soc.settings import SocSettings
from rengo.soc.syslog_server import ExerciseCheck, ListenerThread, SyslogListener, tls_context
from rengo.soc.wardmap import WardMap


@dataclass
class RunningListener:
    listener: SyslogListener
    thread: ListenerThread
    store: SocStore

    def stop(self) -> None:
        self.thread.stop()


def open_listener(
    data_dir: DataDir, settings: SocSettings, exercise_check: ExerciseCheck | None = None
) -> RunningListener:
    """Start the listener (and the lake writer, if no other process runs it).
    ``exercise_check`` accepts the exercise tag of messages (``SyslogListener``)."""
    if settings.syslog_ward_map is None:
        raise InvalidInput(
            "the syslog listener needs a ward map",
            [Problem("set soc.syslog_ward_map or pass --ward-map", "syslog_ward_map")],
        )
    ward_map = WardMap.load(settings.syslog_ward_map)
    context = None
    if settings.syslog_tls_port is not None:
        if settings.syslog_tls_cert is None or settings.syslog_tls_key is None:
            raise InvalidInput(
                "TLS syslog needs a certificate and key",
                [Problem("set soc.syslog_tls_cert and soc.syslog_tls_key", "syslog_tls_port")],
            )
        context = tls_context(str(settings.syslog_tls_cert), str(settings.syslog_tls_key))
    store = store_for(data_dir, settings)
    listener = SyslogListener(
        store=store,
        ward_map=ward_map,
        host=settings.syslog_host,
        udp_port=settings.syslog_udp_port,
        tcp_port=settings.syslog_tcp_port,
        tls_port=settings.syslog_tls_port,
        tls_context=context,
        flush_ms=settings.syslog_flush_ms,
        exercise_check=exercise_check,
    )
    thread = ListenerThread(listener)
    thread.start()
    return RunningListener(listener, thread, store)


def start_with_serve(
    data_dir: DataDir, settings: SocSettings, exercise_check: ExerciseCheck | None = None
) -> RunningListener | None:
    """For ``rengo serve``: start the listener when ``soc.syslog_enabled`` says so."""
    if not settings.syslog_enabled:
        return None
    return open_listener(data_dir, settings, exercise_check)
