"""JSON API under /api/v1: every module here with a ``router`` is mounted automatically."""
