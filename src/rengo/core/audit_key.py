"""The audit chain's key: kept outside the database, so that whoever can rewrite the
database (a DBA, a restored backup) cannot re-hash a forged history.

The key is a file (default ``<data_dir>/audit.key``, mode 0600, setting
``audit_key_file``), made when a runtime first opens the migrated database (``ensure``),
which also gives the head its MAC: from then on a head without a valid MAC is a
rewritten one. Besides the secret it records
``legacy_until``: the newest entry hashed before the chain was keyed (0 on a new
installation). Entries up to it keep their plain SHA-256 hashes; the first keyed entry
covers the last legacy hash, so the old history is anchored too. The database cannot
move that boundary: it lives in the file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from rengo.core.db import Database
from rengo.core.errors import InvalidInput, Problem
from rengo.core.storage import create_exclusively

INFO_KEY = "rengo.audit_key"


@dataclass(frozen=True, slots=True)
class AuditKey:
    secret: bytes
    legacy_until: int
    """Entries with an id up to this one were hashed before the chain was keyed."""

    def mac(self, message: bytes) -> str:
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def head_mac(self, seq: int, last_hash: str) -> str:
        return self.mac(f"audit_head:{seq}:{last_hash}".encode())


class AuditKeyFile:
    """The key file of one installation; the key is read once per process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: AuditKey | None = None

    def load(self) -> AuditKey | None:
        """The key, or None before the first keyed entry (a chain not yet keyed)."""
        if self._key is None and self.path.is_file():
            self._key = self._parse(self.path.read_text("utf-8"))
        return self._key

    def _parse(self, text: str) -> AuditKey:
        try:
            data: dict[str, Any] = json.loads(text)
            return AuditKey(bytes.fromhex(data["key"]), int(data["legacy_until"]))
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidInput(
                "the audit key file is damaged",
                [
                    Problem(
                        "expected JSON with key and legacy_until ({error})",
                        str(self.path),
                        values={"error": str(error)},
                    )
                ],
            ) from None

    def load_or_create(self, connection: Session | Connection) -> AuditKey:
        """The key; made now if there is none (call with the audit head locked)."""
        key = self.load()
        if key is not None:
            return key
        newest = connection.execute(text("SELECT max(id) FROM audit_events")).scalar() or 0
        content = {"key": secrets.token_hex(32), "legacy_until": int(newest)}
        create_exclusively(self.path, json.dumps(content).encode(), 0o600)
        key = self.load()  # the file that won, if another process made one at the same time
        assert key is not None
        return key

    def ensure(self, engine: Engine) -> None:
        """Make the key and sign the current head, in a transaction of its own."""
        if self.load() is not None:
            return
        try:
            with engine.begin() as connection:
                # The head's row lock orders this with appenders, as in audit.record (and
                # fails, before any file is made, on a schema without the head's MAC).
                connection.execute(text("UPDATE audit_head SET mac = mac WHERE id = 1"))
                head = connection.execute(
                    text("SELECT seq, last_hash FROM audit_head WHERE id = 1")
                ).one_or_none()
                if head is None:
                    return
                key = self.load_or_create(connection)
                connection.execute(
                    text("UPDATE audit_head SET mac = :mac WHERE id = 1"),
                    {"mac": key.head_mac(int(head.seq), str(head.last_hash))},
                )
        except (OperationalError, ProgrammingError):
            # Not migrated yet (or not reachable): the first audited change makes the key.
            return


def attach(database: Database, path: Path) -> None:
    """Give every session of ``database`` the installation's audit key file (made if need be)."""
    key_file = AuditKeyFile(path)
    database.sessions.configure(info={INFO_KEY: key_file})
    key_file.ensure(database.engine)


def key_file_of(session: Session) -> AuditKeyFile:
    found = session.info.get(INFO_KEY)
    if not isinstance(found, AuditKeyFile):
        raise RuntimeError("no audit key file attached to this session (use Runtime's sessions)")
    return found
