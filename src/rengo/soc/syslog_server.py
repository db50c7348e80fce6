"""The syslog listener: UDP, TCP (RFC 6587 octet counting or newline framing) and TLS.

Messages are grouped per (ward, sender) and spooled with one fsync every
``flush_ms`` or every ``batch_records`` messages. When the spool pushes back
(the lake writer is behind), TCP connections stop being read — their senders slow
down by TCP's own flow control — and UDP datagrams beyond the buffer are counted as
dropped (UDP has no way to push back). Syslog has no acknowledgement: a message is safe
once spooled, so a crash can lose at most the last ``flush_ms`` of messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rengo.soc.service import SocStore
from rengo.soc.spool import Batch, SpoolFull
from rengo.soc.wardmap import WardMap

log = logging.getLogger(__name__)
UNMAPPED_WARD = "unmapped"
MAX_FRAME = 1 << 20


@dataclass
class ListenerCounters:
    received: int = 0
    spooled: int = 0
    dropped_udp: int = 0
    framing_errors: int = 0


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
    counters: ListenerCounters = field(default_factory=ListenerCounters)
    bound: dict[str, int] = field(default_factory=dict)
    _buffer: dict[tuple[str, str], list[bytes]] = field(default_factory=lambda: defaultdict(list))
    _buffered: int = 0
    _room: asyncio.Event | None = None
    _wake: asyncio.Event | None = None
    _servers: list[asyncio.AbstractServer] = field(default_factory=list)
    _transports: list[asyncio.BaseTransport] = field(default_factory=list)
    _flusher: asyncio.Task[None] | None = None
    _closing: bool = False

    # -- receiving ----------------------------------------------------------------

    def _add(self, peer: str, message: bytes, transport: str) -> None:
        ward = self.ward_map.ward_for(peer) or UNMAPPED_WARD
        self._buffer[(ward, f"syslog:{peer}")].append(message)
        self._buffered += 1
        self.counters.received += 1
        if self._buffered >= self.batch_records and self._wake is not None:
            self._wake.set()
        if self._buffered >= self.max_buffer_records and self._room is not None:
            self._room.clear()

    async def _handle_stream(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peer = writer.get_extra_info("peername")[0]
        transport = "tls" if writer.get_extra_info("ssl_object") else "tcp"
        try:
            while True:
                assert self._room is not None
                await self._room.wait()  # back-pressure: stop reading while full
                first = await reader.read(1)
                if not first:
                    return
                if first.isdigit():
                    length_text = first + await reader.readuntil(b" ")
                    length = int(length_text[:-1])
                    if length > MAX_FRAME:
                        self.counters.framing_errors += 1
                        return
                    message = await reader.readexactly(length)
                else:
                    message = first + await reader.readuntil(b"\n")
                    message = message.rstrip(b"\r\n")
                if message.strip():
                    self._add(peer, message, transport)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            self.counters.framing_errors += 1
        except ConnectionError:
            pass
        finally:
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
                listener._add(addr[0], message, "udp")

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
                origin=self.origin,
                received=now,
            )
            for (ward, source), records in buffer.items()
        ]
        loop = asyncio.get_running_loop()
        while True:
            try:
                await loop.run_in_executor(
                    None, lambda: self.store.spool.append(batches, wait_seconds=1.0)
                )
                break
            except SpoolFull:
                log.warning("spool full: syslog readers paused")
                assert self._room is not None
                self._room.clear()
                if self._closing:
                    await asyncio.sleep(0.2)
        self.counters.spooled += count
        if self._room is not None and self._buffered < self.max_buffer_records:
            self._room.set()

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
        self._closing = True
        if self._wake is not None:
            self._wake.set()
        if self._flusher is not None:
            await self._flusher
        await self._flush()


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
