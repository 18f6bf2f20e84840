"""``python -m graphgrad``: the same as the ``graphgrad`` command."""

from graphgrad.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
