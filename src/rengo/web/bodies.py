"""Request bodies read with a running limit, and decompressed with a cap.

Every request passes ``BodyLimits``: Starlette's ``RequestBodyLimitResponder`` counts the
bytes as they arrive and stops at the limit (a declared ``Content-Length`` over it is
refused before anything is read); the refusal is an ``HTTPException(413)`` that the app's
error handlers answer in the usual JSON or page form. The limit is
``web.max_body_bytes`` unless a module declares its own in ``BODY_LIMITS`` for a path,
or for every path under a prefix ending in ``/`` (the longest match wins):
``{"/api/v1/soc/ingest": lambda settings: settings.section(SocSettings).http_max_body_bytes}``.

``spreadsheet_upload`` reads the table file a form uploads (CSV or Excel), or names the
field when none was chosen.

``read_decoded`` is for routes that accept ``Content-Encoding: gzip``/``deflate``: it
measures what the body inflates to a step at a time before inflating it, so a small gzip
bomb answers 413 without the server's memory growing by what it would expand to.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Mapping

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import RequestBodyLimitResponder
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from rengo.core.errors import InvalidInput, Problem
from rengo.core.settings import Settings
from rengo.web.i18n import N_, _

BodyLimit = Callable[[Settings], int]
"""A path's body limit in bytes, from the settings."""

# zlib's window bits: gzip header, zlib header.
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


TOO_LARGE = N_("Content Too Large")  # Starlette's own words for the limit it enforces
TOO_LARGE_INFLATED = N_("Content Too Large after decompression")


def too_large(inflated: bool = False) -> HTTPException:
    """413 with a fixed message (a msgid: pages show it translated); the limit is in the
    settings (``web.max_body_bytes``, ``soc.http_max_body_bytes``)."""
    return HTTPException(413, TOO_LARGE_INFLATED if inflated else TOO_LARGE)


class BodyLimits:
    """ASGI middleware: the body of each request is cut off at its path's limit (413)."""

    def __init__(
        self, app: ASGIApp, settings: Settings, by_path: Mapping[str, BodyLimit] | None = None
    ) -> None:
        self.app = app
        self.default = settings.web.max_body_bytes
        limits = {path: limit(settings) for path, limit in (by_path or {}).items()}
        self.exact = {p: n for p, n in limits.items() if not p.endswith("/")}
        self.prefixes = sorted(
            ((p, n) for p, n in limits.items() if p.endswith("/")), key=lambda i: -len(i[0])
        )

    def limit(self, path: str) -> int:
        if (exact := self.exact.get(path.rstrip("/") or "/")) is not None:
            return exact
        return next((n for p, n in self.prefixes if path.startswith(p)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await RequestBodyLimitResponder(self.app, self.limit(scope["path"]))(scope, receive, send)


async def read_decoded(request: Request, limit: int) -> bytes:
    """The request body, inflated per its ``Content-Encoding``, at most ``limit`` bytes
    either way (else 413); an unknown encoding or a broken stream is a 422."""
    encoding = request.headers.get("content-encoding", "").lower().strip()
    if encoding in ("", "identity"):
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise too_large()
        return bytes(body)
    if encoding not in _WBITS:
        raise InvalidInput("unsupported Content-Encoding", [Problem(encoding, "Content-Encoding")])
    return await _inflate(request, _WBITS[encoding], limit)


STEP = 1 << 20
"""Inflated bytes produced at a time while measuring a compressed body."""


async def _inflate(request: Request, wbits: int, limit: int) -> bytes:
    """Inflate in two passes: the first measures (keeping only the compressed bytes,
    themselves within ``limit``), the second inflates what is known to fit. A bomb is
    refused having cost one ``STEP`` of memory, not ``limit``."""
    compressed = bytearray()
    async for chunk in request.stream():
        compressed += chunk
        if len(compressed) > limit:
            raise too_large()
    try:
        size = _inflated_size(bytes(compressed), wbits, limit)
        if size > limit:
            raise too_large(inflated=True)
        return b"".join(_members(bytes(compressed), wbits))
    except zlib.error as exc:
        raise InvalidInput("body does not decompress", [Problem(str(exc), "body")]) from exc


def _members(data: bytes, wbits: int) -> Iterator[bytes]:
    """The inflated members of ``data`` (a gzip body may hold several), whole."""
    while data.strip(b"\0"):
        inflater = zlib.decompressobj(wbits)
        yield inflater.decompress(data)
        if not inflater.eof:
            raise zlib.error("truncated stream")
        data = inflater.unused_data


def _inflated_size(data: bytes, wbits: int, limit: int) -> int:
    """How many bytes ``data`` inflates to, counted up to just past ``limit``."""
    size = 0
    while data.strip(b"\0"):
        inflater = zlib.decompressobj(wbits)
        pending = data
        while not inflater.eof:
            produced = inflater.decompress(pending, STEP)
            size += len(produced)
            if size > limit:
                return size
            pending = inflater.unconsumed_tail
            if not produced and not pending:
                break
        if not inflater.eof:
            raise zlib.error("truncated stream")
        data = inflater.unused_data
    return size


async def spreadsheet_upload(form: FormData, field: str = "file") -> tuple[bytes, str]:
    """The content and name of the table file uploaded as ``field`` of ``form``; a problem
    on that field when no file was chosen."""
    upload = form.get(field)
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise InvalidInput("no file", [Problem(_("Choose a CSV or Excel file."), field)])
    return await upload.read(), upload.filename
