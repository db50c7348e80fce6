"""The syslog listener over real sockets: UDP, TCP with both RFC 6587 framings, TLS."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from rengo.soc.quarantine import quarantined
from rengo.soc.service import SocStore
from rengo.soc.settings import SocSettings
from rengo.soc.syslog_server import ListenerThread, SyslogListener, tls_context
from rengo.soc.wardmap import WardMap
from tests.soc import samples

WARD_MAP = "127.0.0.0/8 千代田区\n# comment\n10.32.0.0/16 131032\n"


def wait_for(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def start(store: SocStore, **kwargs: object) -> ListenerThread:
    listener = SyslogListener(store=store, ward_map=WardMap.parse(WARD_MAP), flush_ms=50, **kwargs)  # type: ignore[arg-type]
    thread = ListenerThread(listener)
    thread.start()
    return thread


def stored_messages(store: SocStore) -> list[str]:
    store.writer.drain()
    source = store.lake.events_source()
    if source is None:
        return []
    connection = store.lake.connect()
    return sorted(
        r[0] for r in connection.sql(f"SELECT raw FROM {source} WHERE ward = '131016'").fetchall()
    )


def test_udp_and_tcp_framings(soc_store: SocStore) -> None:
    thread = start(soc_store, udp_port=0, tcp_port=0)
    bound = thread.listener.bound
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(samples.SYSLOG_3164, ("127.0.0.1", bound["udp"]))
        with socket.create_connection(("127.0.0.1", bound["tcp"])) as tcp:
            framed = samples.CEF
            tcp.sendall(b"%d %s" % (len(framed), framed))  # octet counting
            tcp.sendall(samples.SYSLOG_5424 + b"\n")  # newline framing
            multi = b"<13>1 2026-05-01T00:00:00Z h app - - - line one\nline two"
            tcp.sendall(b"%d %s" % (len(multi), multi))  # a message with a newline inside
        wait_for(lambda: thread.listener.counters.spooled == 4)
    finally:
        thread.stop()
    messages = stored_messages(soc_store)
    assert len(messages) == 4
    assert samples.CEF.decode() in messages and samples.SYSLOG_3164.decode() in messages
    assert any("line one\nline two" in m for m in messages)


def test_sender_outside_the_ward_map_is_quarantined(soc_store: SocStore) -> None:
    listener = SyslogListener(
        store=soc_store, ward_map=WardMap.parse("10.0.0.0/8 131016"), tcp_port=0, flush_ms=50
    )
    thread = ListenerThread(listener)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", listener.bound["tcp"])) as tcp:
            tcp.sendall(samples.SYSLOG_5424 + b"\n")
        wait_for(lambda: listener.counters.spooled == 1)
    finally:
        thread.stop()
    soc_store.writer.drain()
    [row] = quarantined(soc_store.lake, wards=None)
    assert row["source"] == "syslog:127.0.0.1" and "no ward" in row["reason"]


def test_ward_map_errors_name_the_line() -> None:
    with pytest.raises(Exception) as info:
        WardMap.parse("10.0.0.0/8 131016\n10.1.0.0/16 999999\n", "wards.txt")
    assert "wards.txt:2" in str(info.value)


@pytest.mark.skipif(
    shutil.which("openssl") is None, reason="openssl is needed to make a test certificate"
)
def test_tls(soc_store: SocStore, tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ],
        check=True,
        capture_output=True,
    )
    thread = start(soc_store, tls_port=0, tls_context=tls_context(str(cert), str(key)))
    try:
        client_context = ssl.create_default_context(cafile=str(cert))
        client_context.check_hostname = False
        with (
            socket.create_connection(("127.0.0.1", thread.listener.bound["tls"])) as raw,
            client_context.wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            tls.sendall(b"%d %s" % (len(samples.SYSLOG_5424), samples.SYSLOG_5424))
        wait_for(lambda: thread.listener.counters.spooled == 1)
    finally:
        thread.stop()
    assert stored_messages(soc_store) == [samples.SYSLOG_5424.decode()]


def test_settings_default_ports_are_loopback() -> None:
    assert SocSettings().syslog_host == "127.0.0.1"


def test_messages_split_across_reads_and_one_ended_by_close(soc_store: SocStore) -> None:
    thread = start(soc_store, tcp_port=0)
    listener = thread.listener
    try:
        with socket.create_connection(("127.0.0.1", listener.bound["tcp"])) as tcp:
            framed = b"%d %s" % (len(samples.CEF), samples.CEF)
            tcp.sendall(framed[:7])  # the count and part of the message …
            wait_for(lambda: listener.counters.received == 0)
            time.sleep(0.1)
            tcp.sendall(framed[7:] + samples.SYSLOG_5424[:20])  # … its rest, half a line …
            time.sleep(0.1)
            tcp.sendall(samples.SYSLOG_5424[20:])  # … the line ended by closing the socket
        wait_for(lambda: listener.counters.spooled == 2)
    finally:
        thread.stop()
    assert listener.counters.framing_errors == 0
    assert stored_messages(soc_store) == sorted(
        [samples.CEF.decode(), samples.SYSLOG_5424.decode()]
    )


def test_rengo_serve_runs_the_listener_and_maps_wards_by_address_and_hostname(
    db_url: str, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from rengo.core.identity import create_token
    from rengo.core.runtime import Runtime
    from rengo.web.app import create_app
    from tests.conftest import make_settings

    ward_map = tmp_path / "wards.txt"
    ward_map.write_text("127.0.0.0/8 131016\nfw01.minato.local 港区\nweb01.minato.local 131032\n")
    settings = make_settings(
        tmp_path / "data",
        db_url,
        soc={
            "syslog_enabled": True,
            "syslog_udp_port": None,
            "syslog_tcp_port": 0,
            "syslog_ward_map": ward_map,
            "syslog_flush_ms": 50,
        },
    )
    runtime = Runtime.from_settings(settings)
    relayed_5424 = b"<134>1 2026-05-01T10:00:00Z FW01.minato.local app - - - relayed"
    relayed_3164 = (
        b"<38>Nov 26 19:00:01 web01.minato.local sshd[9]: Accepted publickey for bob from "
        b"10.1.2.3 port 22 ssh2"
    )
    try:
        with runtime.db.session() as session:
            _token, joint = create_token(session, tenant="joint", role="soc_analyst", name="t")
        app = create_app(runtime)
        with TestClient(app, base_url="http://127.0.0.1") as client:
            running = app.state.soc_syslog
            with socket.create_connection(("127.0.0.1", running.listener.bound["tcp"])) as tcp:
                tcp.sendall(b"\n".join([samples.SYSLOG_5424, relayed_5424, relayed_3164]) + b"\n")
            wait_for(lambda: running.listener.counters.spooled == 3)
            assert running.store.wait_stored(running.store.spool.end(), timeout=30)
            events = client.get(
                "/api/v1/soc/events",
                params={"since": "2025-01-01T00:00:00Z", "until": "2027-01-01T00:00:00Z"},
                headers={"Authorization": f"Bearer {joint}"},
            ).json()["events"]
        assert sorted((e["ward"], e["raw"]) for e in events) == sorted(
            [
                ("131016", samples.SYSLOG_5424.decode()),  # by the sender's address
                ("131032", relayed_5424.decode()),  # by HOSTNAME (any case), RFC 5424
                ("131032", relayed_3164.decode()),  # by HOSTNAME, RFC 3164
            ]
        )
        assert not running.thread.thread.is_alive()  # stopped with the server
    finally:
        runtime.close()


def test_serve_without_syslog_enabled_listens_on_nothing(client: object) -> None:
    assert client.app.state.soc_syslog is None  # type: ignore[attr-defined]


def test_back_pressure_pauses_readers_loses_nothing_and_warns_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from rengo.core.storage import DataDir

    store = SocStore.open(
        DataDir(tmp_path / "data").ensure(),
        SocSettings(spool_max_bytes=32 << 10, spool_segment_bytes=1 << 20),
    )
    lines = [b"<134>1 2026-05-01T10:00:00Z fw01 app - - - event %d" % n for n in range(3000)]
    thread = start(store, tcp_port=0)
    listener = thread.listener
    try:
        with socket.create_connection(("127.0.0.1", listener.bound["tcp"])) as tcp:
            for start_at in range(0, len(lines), 150):  # far more than the spool takes
                tcp.sendall(b"\n".join(lines[start_at : start_at + 150]) + b"\n")
                time.sleep(0.1)
            wait_for(lambda: listener.counters.pauses >= 3, timeout=30)
        assert store.writer.acquire()
        deadline = time.monotonic() + 60
        while listener.counters.spooled < len(lines):  # the writer catches up
            assert time.monotonic() < deadline, "timed out"
            store.writer.drain()
            time.sleep(0.05)
    finally:
        thread.stop()
    warnings = [r for r in caplog.records if "spool full" in r.getMessage()]
    assert len(warnings) == 1  # once a minute, however often the readers paused
    assert len(stored_messages(store)) == len(lines)
    store.writer.release()
