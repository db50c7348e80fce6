"""The runtime: settings, the state database, the data directory and the clock, together.

The CLI and the web app each build one ``Runtime`` and hand it (or its parts) to domain
services; tests build one per test with a fresh database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rengo.core import audit_key
from rengo.core.clock import Clock, SystemClock
from rengo.core.db import Database
from rengo.core.settings import Settings
from rengo.core.storage import DataDir


@dataclass
class Runtime:
    settings: Settings
    db: Database
    data_dir: DataDir
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        data_dir = DataDir(settings.data_dir).ensure()
        db = Database(settings.resolved_database_url())
        audit_key.attach(db, settings.resolved_audit_key_file().resolve())
        return cls(settings=settings, db=db, data_dir=data_dir, clock=clock or SystemClock())

    def close(self) -> None:
        self.db.dispose()
