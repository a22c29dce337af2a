"""``python -m siperb`` runs the ``siperb`` command."""

from siperb.cli import main

raise SystemExit(main())
