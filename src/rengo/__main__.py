"""``python -m rengo`` is the ``rengo`` command."""

from rengo.cli import main

main()
