"""An uploaded file handed to a domain's all-or-nothing import: read, then imported in a
transaction of its own on a worker thread (parsing a large file must not stall the event
loop), committed before the endpoint answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import UploadFile
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from rengo.core.runtime import Runtime

T = TypeVar("T")


async def import_upload(
    runtime: Runtime,
    file: UploadFile,
    default_name: str,
    importer: Callable[[Session, bytes, str], T],
) -> T:
    """``importer(session, data, filename)`` on the uploaded file (``default_name`` when the
    client sent none); what it answers is the endpoint's to report."""
    data = await file.read()
    filename = file.filename or default_name

    def run() -> T:
        with runtime.db.session() as session:
            return importer(session, data, filename)

    return await run_in_threadpool(run)
