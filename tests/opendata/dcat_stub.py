"""A local stand-in for a ward portal that publishes DCAT: serves recorded catalogue pages
(Turtle, JSON-LD or RDF/XML, linked by ``hydra:nextPage``) over real HTTP on 127.0.0.1.
``pages`` maps a path with its query (``/catalog.ttl?page=2``) to (media type, body)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class DcatStub:
    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, bytes]] = {}
        self.requests: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub.requests.append(self.path)
                found = stub.pages.get(self.path)
                media, body = found or ("text/plain", b"not found")
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", media)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def record(self, path: str, media: str, body: str, *, base: str = "") -> None:
        """Serve ``body`` at ``path``; URLs under ``base`` (the recorded site) now point here."""
        text = body.replace(base, self.url) if base else body
        self.pages[path] = (media, text.encode())

    def __enter__(self) -> DcatStub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
