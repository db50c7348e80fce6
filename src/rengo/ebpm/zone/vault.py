"""The zone's key, held outside the data directory: deposits and linkage results are
encrypted at rest with it (Fernet: AES-128-CBC with HMAC-SHA256), and pseudonymous person
keys are keyed hashes under a key derived from it — so a copy of the data directory, a
backup or the database alone reveals nobody.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from rengo.core.errors import Conflict, Problem
from rengo.core.storage import write_atomically


class KeyInsideDataDir(Conflict):
    """The key would sit beside what it protects."""


@dataclass(frozen=True, slots=True)
class Vault:
    fernet: Fernet
    person_key: bytes

    @classmethod
    def open(cls, key_file: Path, data_dir: Path) -> Vault:
        """The vault of ``key_file``, created (0600) when it does not exist yet."""
        path = key_file.expanduser().resolve()
        if path.is_relative_to(data_dir.resolve()):
            raise KeyInsideDataDir(
                "the zone key must lie outside the data directory",
                [Problem(str(path), "setting ebpm_zone.key_file")],
            )
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key())
        secret = path.read_bytes().strip()
        person_key = hmac.new(secret, b"rengo zone person key", hashlib.sha256).digest()
        return cls(Fernet(secret), person_key)

    def seal(self, path: Path, data: bytes) -> str:
        """Encrypt ``data`` into ``path``; return the SHA-256 of the plaintext."""
        write_atomically(path, self.fernet.encrypt(data))
        return hashlib.sha256(data).hexdigest()

    def open_sealed(self, path: Path) -> bytes:
        try:
            return self.fernet.decrypt(path.read_bytes())
        except InvalidToken:
            raise Conflict(
                "a sealed file does not open with the zone key",
                [Problem(path.name, "file")],
            ) from None

    def pseudonym(self, scope: str, value: str) -> str:
        """A stable keyed hash of ``value`` within ``scope`` (a linkage): analysts can join
        on it; without the key nobody can compute it from a name."""
        digest = hmac.new(self.person_key, f"{scope}\x1f{value}".encode(), hashlib.sha256)
        return digest.hexdigest()[:20]
