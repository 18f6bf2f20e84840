"""``python -m graphgrad``: the same as the ``graphgrad`` command."""

from graphgrad.cli import main

raise SystemExit(main())
