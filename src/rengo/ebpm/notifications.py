"""EBPM's scheduled work, registered explicitly as worker hooks (``rengo.notify.hooks``);
``load_domains`` imports this module, so the web server's worker and ``rengo csirt worker``
run the same hooks:

- ``ebpm_training_reminders``: staff who have not completed the required course are
  reminded by e-mail (``rengo.ebpm.reminders``);
- ``ebpm_snapshots``: live-metric indicators store their actual of the current period
  (``rengo.ebpm.snapshots``).
"""

from __future__ import annotations

from rengo.ebpm.reminders import scheduled_reminders
from rengo.ebpm.snapshots import scheduled_snapshots
from rengo.notify.hooks import register_hook

register_hook("ebpm_training_reminders", scheduled_reminders)
register_hook("ebpm_snapshots", scheduled_snapshots)
