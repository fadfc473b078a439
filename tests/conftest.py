"""Suite-wide set-up: the helpers of tests/support importable by name, and repeatable property tests.

Hypothesis draws the same examples on every run (``derandomize``): a failure seen once is
seen again, by CI and by whoever looks into it, instead of coming and going with the seed.
"""

import sys
from pathlib import Path

from hypothesis import settings

sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))

settings.register_profile("repeatable", derandomize=True)
settings.load_profile("repeatable")
