"""The syslog listener: UDP, TCP (RFC 6587 octet counting or newline framing) and TLS.

Messages are grouped per (ward, sender) and spooled with one fsync every
``flush_ms`` or every ``batch_records`` messages. TCP is read in chunks of up to
``READ_BYTES`` and split into messages in one pass, rather than awaited message by
message. The ward of a message is the one its syslog HOSTNAME maps to, else the one
of the sender's address (see ``wardmap``). When the spool pushes back
(the lake writer is behind), TCP connections stop being read — their senders slow
down by TCP's own flow control — and UDP datagrams beyond the buffer are counted as
dropped (UDP has no way to push back). Syslog has no acknowledgement: a message is safe
once spooled, so a crash can lose at most the last ``flush_ms`` of messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rengo.soc.service import SocStore
from rengo.soc.spool import Batch, IngestBusy
from rengo.soc.wardmap import WardMap

log = logging.getLogger(__name__)
PAUSE_REPORT_SECONDS = 60.0
UNMAPPED_WARD = "unmapped"
MAX_FRAME = 1 << 20
READ_BYTES = 256 << 10
DRAIN_QUIET_SECONDS = 0.2
DRAIN_MAX_SECONDS = 3.0
"""On stop, open connections are read until they stay quiet this long (at most the
maximum): what a sender has already written is kept, not dropped with the socket."""
COUNT_DIGITS = 8  # an octet count longer than this is not a frame length of MAX_FRAME


EXERCISE_SD = b"[rengo@32473 "
"""The RFC 5424 structured-data element an exercise tags its messages with:
``[rengo@32473 exercise="EX-…" ward="131016"]`` (32473: the private enterprise number
RFC 5612 sets aside for documentation)."""
EXERCISE_PARAM = re.compile(rb'(exercise|ward)="([A-Za-z0-9-]{1,32})"')
ExerciseCheck = Callable[[str, str], bool]
"""``(exercise id, ward)`` -> whether that exercise is running with that ward."""


class FramingError(ValueError):
    pass


def exercise_tag(message: bytes) -> tuple[str, str] | None:
    """The (exercise id, ward) of an RFC 5424 message's ``rengo@32473`` element."""
    start = message.find(EXERCISE_SD, 0, 400)
    if start == -1:
        return None
    end = message.find(b"]", start)
    found = dict(EXERCISE_PARAM.findall(message[start:end]))
    exercise, ward = found.get(b"exercise"), found.get(b"ward")
    if exercise is None or ward is None:
        return None
    return exercise.decode(), ward.decode()


def split_frames(data: bytes) -> tuple[list[bytes], bytes]:
    """The whole messages at the start of ``data`` and the incomplete rest.

    Each message is framed by RFC 6587 octet counting (``LEN SP MSG``) when it starts
    with a digit, else by a newline; senders may mix both on one connection.
    """
    messages: list[bytes] = []
    position, size = 0, len(data)
    while position < size:
        if 48 <= data[position] <= 57:  # an ASCII digit: octet counting
            space = data.find(b" ", position, position + COUNT_DIGITS + 1)
            if space == -1:
                if size - position > COUNT_DIGITS:
                    raise FramingError("octet count without a space after it")
                break
            length = int(data[position:space])  # ValueError: not a count
            if length > MAX_FRAME:
                raise FramingError(f"frame of {length} bytes")
            end = space + 1 + length
            if end > size:
                break
            messages.append(data[space + 1 : end])
            position = end
        else:
            newline = data.find(b"\n", position)
            if newline == -1:
                if size - position > MAX_FRAME:
                    raise FramingError("line longer than the largest frame")
                break
            message = data[position:newline].rstrip(b"\r")
            if message.strip():
                messages.append(message)
            position = newline + 1
    return messages, data[position:]


def syslog_hostname(message: bytes) -> str | None:
    """The HOSTNAME field of an RFC 5424 or RFC 3164 header, lower case (cheaply)."""
    close = message.find(b">", 1, 5) if message[:1] == b"<" else -1
    if close == -1:
        return None
    head = message[close + 1 : close + 320]
    if head[:2] == b"1 ":  # RFC 5424: VERSION TIMESTAMP HOSTNAME …
        parts = head.split(b" ", 3)
        host = parts[2] if len(parts) > 3 else b"-"
    else:  # RFC 3164: Mmm dd hh:mm:ss HOSTNAME …
        parts = head.split(None, 4)
        host = parts[3] if len(parts) > 4 and parts[2].count(b":") == 2 else b"-"
    return None if host == b"-" else host.decode("utf-8", "replace").lower()


@dataclass
class ListenerCounters:
    received: int = 0
    spooled: int = 0
    dropped_udp: int = 0
    framing_errors: int = 0
    pauses: int = 0
    """Times the readers stopped reading because the spool was full (back-pressure)."""


@dataclass
class SyslogListener:
    store: SocStore
    ward_map: WardMap
    host: str = "127.0.0.1"
    udp_port: int | None = None
    tcp_port: int | None = None
    tls_port: int | None = None
    tls_context: ssl.SSLContext | None = None
    flush_ms: int = 200
    batch_records: int = 20_000
    max_buffer_records: int = 200_000
    origin: str = "real"
    exercise_check: ExerciseCheck | None = None
    """Accepts the exercise tag of messages (``exercise_tag``) when it names a running
    exercise and one of its wards; without it (or when it says no) a tagged message is
    real data of the ward its address maps to, the tag left in the raw text."""
    counters: ListenerCounters = field(default_factory=ListenerCounters)
    bound: dict[str, int] = field(default_factory=dict)
    _buffer: dict[tuple[str, str, str], list[bytes]] = field(
        default_factory=lambda: defaultdict(list)
    )
    _buffered: int = 0
    _address_wards: dict[str, str | None] = field(default_factory=dict)
    _room: asyncio.Event | None = None
    _wake: asyncio.Event | None = None
    _servers: list[asyncio.AbstractServer] = field(default_factory=list)
    _transports: list[asyncio.BaseTransport] = field(default_factory=list)
    _flusher: asyncio.Task[None] | None = None
    _streams: set[asyncio.Task[None]] = field(default_factory=set)
    _last_read: float = 0.0
    _closing: bool = False
    _pauses: int = 0
    _pauses_reported_at: float = float("-inf")

    # -- receiving ----------------------------------------------------------------

    def _ward_of_address(self, peer: str) -> str | None:
        if peer not in self._address_wards:
            if len(self._address_wards) > 65_536:
                self._address_wards.clear()
            self._address_wards[peer] = self.ward_map.ward_for(peer)
        return self._address_wards[peer]

    def _add(self, peer: str, messages: list[bytes]) -> None:
        source = f"syslog:{peer}"
        by_address = self._ward_of_address(peer) or UNMAPPED_WARD
        if self.exercise_check is not None and any(EXERCISE_SD in m[:400] for m in messages):
            messages = self._exercise_messages(messages)
        if not messages:
            pass
        elif not self.ward_map.hosts:
            self._buffer[(by_address, source, self.origin)].extend(messages)
        else:
            hosts = self.ward_map.hosts
            for message in messages:
                host = syslog_hostname(message)
                ward = hosts.get(host, by_address) if host else by_address
                self._buffer[(ward, source, self.origin)].append(message)
        self._buffered += len(messages)
        self.counters.received += len(messages)
        self._wake_up()

    def _exercise_messages(self, messages: list[bytes]) -> list[bytes]:
        """Buffer the messages an exercise tagged (as its ward's, ``origin=exercise``,
        ``source=exercise:<id>``); return the rest."""
        assert self.exercise_check is not None
        rest = []
        for message in messages:
            tag = exercise_tag(message)
            if tag is not None and self.exercise_check(*tag):
                self._buffer[(tag[1], f"exercise:{tag[0]}", "exercise")].append(message)
                self._buffered += 1
                self.counters.received += 1
            else:
                rest.append(message)
        return rest

    def _wake_up(self) -> None:
        if self._buffered >= self.batch_records and self._wake is not None:
            self._wake.set()
        if self._buffered >= self.max_buffer_records and self._room is not None:
            self._room.clear()

    async def _handle_stream(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peer = writer.get_extra_info("peername")[0]
        rest = b""
        task = asyncio.current_task()
        if task is not None:
            self._streams.add(task)
        try:
            while True:
                assert self._room is not None
                await self._room.wait()  # back-pressure: stop reading while full
                data = await reader.read(READ_BYTES)
                self._last_read = time.monotonic()
                if not data:
                    if rest.strip():  # the last message may end with the connection
                        if rest[:1].isdigit():
                            self.counters.framing_errors += 1
                        else:
                            self._add(peer, [rest.rstrip(b"\r\n")])
                    return
                messages, rest = split_frames(rest + data if rest else data)
                if messages:
                    self._add(peer, messages)
        except (FramingError, ValueError):
            self.counters.framing_errors += 1
        except ConnectionError:
            pass
        finally:
            if task is not None:
                self._streams.discard(task)
            writer.close()

    class _Udp(asyncio.DatagramProtocol):
        def __init__(self, listener: SyslogListener) -> None:
            self.listener = listener

        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            listener = self.listener
            if listener._buffered >= listener.max_buffer_records:
                listener.counters.dropped_udp += 1
                return
            message = data.rstrip(b"\r\n\x00")
            if message:
                listener._add(addr[0], [message])

    # -- spooling -----------------------------------------------------------------

    async def _flush(self) -> None:
        if not self._buffered:
            return
        buffer, count = self._buffer, self._buffered
        self._buffer, self._buffered = defaultdict(list), 0
        now = datetime.now(UTC)
        batches = [
            Batch(
                ward=ward,
                source=source,
                format="syslog",
                records=records,
                origin=origin,
                received=now,
            )
            for (ward, source, origin), records in buffer.items()
            if records
        ]
        loop = asyncio.get_running_loop()
        while True:
            try:
                await loop.run_in_executor(None, lambda: self.store.accept(batches, 1.0))
                break
            except IngestBusy:
                self._report_pause()
                assert self._room is not None
                self._room.clear()
                if self._closing:
                    await asyncio.sleep(0.2)
        self.counters.spooled += count
        if self._room is not None and self._buffered < self.max_buffer_records:
            self._room.set()

    def _report_pause(self) -> None:
        """Warn of back-pressure once a minute (under a sustained flood the readers pause
        and resume many times a second; a line each would bury every other message)."""
        self._pauses += 1
        self.counters.pauses += 1
        now = time.monotonic()
        if now - self._pauses_reported_at >= PAUSE_REPORT_SECONDS:
            log.warning(
                "ingest busy (spool full or NATS unavailable): syslog readers paused %d "
                "times since the last report",
                self._pauses,
            )
            self._pauses, self._pauses_reported_at = 0, now

    async def _flush_loop(self) -> None:
        assert self._wake is not None
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.flush_ms / 1000)
            self._wake.clear()
            await self._flush()

    # -- life cycle -------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._room, self._wake = asyncio.Event(), asyncio.Event()
        self._room.set()
        if self.udp_port is not None:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: self._Udp(self), local_addr=(self.host, self.udp_port)
            )
            sock = transport.get_extra_info("socket")
            with contextlib.suppress(OSError):
                sock.setsockopt(
                    __import__("socket").SOL_SOCKET, __import__("socket").SO_RCVBUF, 8 << 20
                )
            self.bound["udp"] = sock.getsockname()[1]
            self._transports.append(transport)
        if self.tcp_port is not None:
            server = await asyncio.start_server(
                self._handle_stream, self.host, self.tcp_port, limit=MAX_FRAME
            )
            self.bound["tcp"] = server.sockets[0].getsockname()[1]
            self._servers.append(server)
        if self.tls_port is not None and self.tls_context is not None:
            server = await asyncio.start_server(
                self._handle_stream, self.host, self.tls_port, ssl=self.tls_context, limit=MAX_FRAME
            )
            self.bound["tls"] = server.sockets[0].getsockname()[1]
            self._servers.append(server)
        self._flusher = asyncio.create_task(self._flush_loop())

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        for transport in self._transports:
            transport.close()
        await self._drain_streams()
        self._closing = True
        if self._wake is not None:
            self._wake.set()
        if self._flusher is not None:
            await self._flusher
        await self._flush()

    async def _drain_streams(self) -> None:
        """Read open connections until they are quiet, then close them: senders keep a
        connection open between batches, and its unread bytes would otherwise be lost."""
        deadline = time.monotonic() + DRAIN_MAX_SECONDS
        while self._streams and time.monotonic() < deadline:
            await asyncio.sleep(DRAIN_QUIET_SECONDS / 4)
            if time.monotonic() - self._last_read >= DRAIN_QUIET_SECONDS:
                break
        streams = list(self._streams)
        for task in streams:
            task.cancel()
        await asyncio.gather(*streams, return_exceptions=True)


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


class ListenerThread:
    """A listener on its own event loop in a daemon thread (for ``rengo serve``)."""

    def __init__(self, listener: SyslogListener) -> None:
        self.listener = listener
        self.loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="soc-syslog", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.listener.start())
        except BaseException as exc:
            self._error = exc
            self._started.set()
            return
        self._started.set()
        self.loop.run_forever()

    def start(self) -> None:
        self.thread.start()
        self._started.wait(10)
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        future = asyncio.run_coroutine_threadsafe(self.listener.stop(), self.loop)
        future.result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
