"""Evidence files: stored once under ``files/csirt/evidence/<sha256>``, hashed with
SHA-256 while they stream in, and followed by a chain of custody (who collected,
downloaded or re-verified each file, and the hash they saw). Every download is audited.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.errors import InvalidInput, NotFound, Problem
from rengo.core.permissions import Principal
from rengo.core.storage import DataDir, move_into_place, temporary_in
from rengo.csirt import timeline
from rengo.csirt.incidents import get_incident
from rengo.csirt.models import CustodyEntry, Evidence

CHUNK = 1 << 20


def _folder(data_dir: DataDir) -> Path:
    folder = data_dir.files("csirt") / "evidence"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store(
    session: Session,
    principal: Principal,
    incident_id: int,
    stream: BinaryIO,
    *,
    filename: str,
    content_type: str,
    description: str,
    data_dir: DataDir,
    max_bytes: int,
    now: datetime,
    client: str = "",
) -> Evidence:
    """Hash and keep the file durably before it is recorded (content-addressed)."""
    incident = get_incident(session, principal, incident_id, "csirt.incidents.write")
    safe_name = Path(filename or "evidence.bin").name[:255] or "evidence.bin"
    folder = _folder(data_dir)
    digest, size = hashlib.sha256(), 0
    with temporary_in(folder, "upload") as tmp:
        with open(tmp, "wb") as handle:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise InvalidInput(
                        "file too large",
                        [
                            Problem(
                                "at most {max_bytes:,} bytes",
                                "file",
                                values={"max_bytes": max_bytes},
                            )
                        ],
                    )
                digest.update(chunk)
                handle.write(chunk)
        if size == 0:
            raise InvalidInput("empty file", [Problem("the file has no content", "file")])
        sha256 = digest.hexdigest()
        move_into_place(tmp, folder / sha256)
    item = Evidence(
        incident_id=incident.id,
        filename=safe_name,
        content_type=content_type[:128] or "application/octet-stream",
        size=size,
        sha256=sha256,
        description=description,
        collected_by=principal.label,
        collected_at=now,
    )
    session.add(item)
    session.flush()
    session.add(
        CustodyEntry(
            evidence_id=item.id,
            at=now,
            actor=principal.label,
            action="collected",
            note=description,
            sha256_seen=sha256,
        )
    )
    timeline.add_audited(
        session,
        principal,
        incident.id,
        "evidence",
        f"Evidence {safe_name} ({size:,} bytes, SHA-256 {sha256[:16]}…)",
        at=now,
        detail={"evidence": item.id, "sha256": sha256},
        audit_action="csirt.evidence.collect",
        audited=("evidence", item.id, incident.lead_ward),
        client=client,
        audit_detail={"sha256": sha256, "size": size},
    )
    return item


def get_evidence(
    session: Session, principal: Principal, evidence_id: int, action: str = "csirt.incidents.read"
) -> Evidence:
    item = session.get(Evidence, evidence_id)
    if item is None:
        raise NotFound("evidence {evidence_id} not found", values={"evidence_id": evidence_id})
    get_incident(session, principal, item.incident_id, action)
    return item


def open_for_download(
    session: Session,
    principal: Principal,
    evidence_id: int,
    *,
    data_dir: DataDir,
    now: datetime,
    client: str = "",
) -> tuple[Evidence, Path]:
    item = get_evidence(session, principal, evidence_id, "csirt.evidence.read")
    path = _folder(data_dir) / item.sha256
    if not path.is_file():
        raise NotFound(
            "the file of evidence {evidence_id} is missing from the store",
            values={"evidence_id": evidence_id},
        )
    session.add(
        CustodyEntry(
            evidence_id=item.id,
            at=now,
            actor=principal.label,
            action="downloaded",
            note=client,
            sha256_seen=item.sha256,
        )
    )
    audit.record(
        session,
        principal,
        "csirt.evidence.download",
        object_type="evidence",
        object_id=item.id,
        client=client,
        detail={"sha256": item.sha256},
    )
    return item, path


def verify(
    session: Session, principal: Principal, evidence_id: int, *, data_dir: DataDir, now: datetime
) -> bool:
    """Re-hash the stored file; the result (and the hash seen) joins the chain of custody."""
    item = get_evidence(session, principal, evidence_id, "csirt.evidence.read")
    path = _folder(data_dir) / item.sha256
    digest = hashlib.sha256()
    if path.is_file():
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
    seen = digest.hexdigest() if path.is_file() else None
    ok = seen == item.sha256
    session.add(
        CustodyEntry(
            evidence_id=item.id,
            at=now,
            actor=principal.label,
            action="verified",
            note="intact" if ok else "MISMATCH",
            sha256_seen=seen,
        )
    )
    return ok


def chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def evidence_of(session: Session, incident_id: int) -> list[Evidence]:
    return list(
        session.scalars(
            select(Evidence).where(Evidence.incident_id == incident_id).order_by(Evidence.id)
        )
    )


def custody_of(session: Session, evidence_id: int) -> list[CustodyEntry]:
    return list(
        session.scalars(
            select(CustodyEntry)
            .where(CustodyEntry.evidence_id == evidence_id)
            .order_by(CustodyEntry.id)
        )
    )
