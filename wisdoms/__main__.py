"""``python -m wisdoms``: the same as the ``wisdoms`` command."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
