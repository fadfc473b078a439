"""``python -m micrograd44``: the same as the ``micrograd44`` command."""

import sys

from .cli import main

sys.exit(main())
