"""A local stand-in for a ward's CKAN portal: serves recorded ``package_search`` pages over
real HTTP on 127.0.0.1, honouring ``sort=id asc``, ``rows``, ``start``, ``fl=id`` and
``fq=metadata_modified:[T TO *]`` as CKAN does. Used by the harvest test and benchmark."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


def package(n: int, modified: str = "2025-04-01T00:00:00.000000", **extra: Any) -> dict[str, Any]:
    """A recorded package as CKAN 2.10 serialises it."""
    out: dict[str, Any] = {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "name": f"dataset-{n:05d}",
        "title": f"区の統計データ {n}",
        "notes": "年齢別人口と世帯数の推移",
        "license_id": "cc-by",
        "metadata_modified": modified,
        "state": "active",
        "private": False,
        "tags": [{"name": "人口"}],
        "groups": [],
        "resources": [
            {"url": f"https://opendata.example.lg.jp/files/{n}.csv", "name": "CSV", "format": "CSV"}
        ],
    }
    out.update(extra)
    return out


class Stub:
    def __init__(self, packages: list[dict[str, Any]]) -> None:
        self.packages = packages
        self.requests: list[dict[str, list[str]]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = parse_qs(url.query)
                stub.requests.append(query)
                body = stub.answer(url.path, query)
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, path: str, query: dict[str, list[str]]) -> dict[str, Any]:
        if not path.endswith("/package_search"):
            return {"success": False, "error": {"__type": "Not Found Error"}}
        found = sorted(self.packages, key=lambda p: p["id"])
        fq = query.get("fq", [""])[0]
        match = re.search(r"metadata_modified:\[(\S+) TO \*\]", fq)
        if match:
            since = match[1].removesuffix("Z")
            found = [p for p in found if p["metadata_modified"] >= since]
        start, rows = int(query.get("start", ["0"])[0]), int(query.get("rows", ["10"])[0])
        page = found[start : start + rows]
        if query.get("fl") == ["id"]:
            page = [{"id": p["id"]} for p in page]
        return {"success": True, "result": {"count": len(found), "results": page}}

    def __enter__(self) -> Stub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
