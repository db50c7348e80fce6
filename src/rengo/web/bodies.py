"""Request bodies read with a running limit, and decompressed with a cap.

Every request passes ``BodyLimits``: Starlette's ``RequestBodyLimitResponder`` counts the
bytes as they arrive and stops at the limit (a declared ``Content-Length`` over it is
refused before anything is read); the refusal is an ``HTTPException(413)`` that the app's
error handlers answer in the usual JSON or page form. The limit is
``web.max_body_bytes`` unless a module declares its own for a path in ``BODY_LIMITS``
(``{"/api/v1/soc/ingest": lambda settings: settings.soc.http_max_body_bytes}``).

``read_decoded`` is for routes that accept ``Content-Encoding: gzip``/``deflate``: it
inflates chunk by chunk and never holds more than the limit, so a small gzip bomb answers
413 without the server's memory growing by what it would expand to.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping

from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import RequestBodyLimitResponder
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from rengo.core.errors import InvalidInput, Problem
from rengo.core.settings import Settings

BodyLimit = Callable[[Settings], int]
"""A path's body limit in bytes, from the settings."""

# zlib's window bits: gzip header, zlib header.
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def too_large(limit: int, what: str = "body") -> HTTPException:
    return HTTPException(413, f"{what} larger than {limit} bytes")


class BodyLimits:
    """ASGI middleware: the body of each request is cut off at its path's limit (413)."""

    def __init__(
        self, app: ASGIApp, settings: Settings, by_path: Mapping[str, BodyLimit] | None = None
    ) -> None:
        self.app = app
        self.default = settings.web.max_body_bytes
        self.by_path = {path: limit(settings) for path, limit in (by_path or {}).items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.by_path.get(scope["path"].rstrip("/") or "/", self.default)
        await RequestBodyLimitResponder(self.app, limit)(scope, receive, send)


async def read_decoded(request: Request, limit: int) -> bytes:
    """The request body, inflated per its ``Content-Encoding``, at most ``limit`` bytes
    either way (else 413); an unknown encoding or a broken stream is a 422."""
    encoding = request.headers.get("content-encoding", "").lower().strip()
    if encoding in ("", "identity"):
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise too_large(limit)
        return bytes(body)
    if encoding not in _WBITS:
        raise InvalidInput("unsupported Content-Encoding", [Problem(encoding, "Content-Encoding")])
    return await _inflate(request, _WBITS[encoding], limit)


async def _inflate(request: Request, wbits: int, limit: int) -> bytes:
    out = bytearray()
    inflater = zlib.decompressobj(wbits)
    try:
        async for chunk in request.stream():
            pending = chunk
            while pending:
                # Never more than one byte past the limit per step: the bomb stays small.
                out += inflater.decompress(pending, limit - len(out) + 1)
                if len(out) > limit:
                    raise too_large(limit, "body after decompression")
                if inflater.eof and inflater.unused_data.strip(b"\0"):
                    # a gzip body may hold several members: the next one starts here
                    pending = inflater.unused_data
                    inflater = zlib.decompressobj(wbits)
                else:
                    pending = inflater.unconsumed_tail
        out += inflater.flush()
    except zlib.error as exc:
        raise InvalidInput("body does not decompress", [Problem(str(exc), "body")]) from exc
    if not inflater.eof:
        raise InvalidInput("body does not decompress", [Problem("truncated stream", "body")])
    if len(out) > limit:
        raise too_large(limit, "body after decompression")
    return bytes(out)
