"""Draw the README's three pictures of the 44-parameter model into docs/images/.

The pictures are those of ``micrograd44 graph``: the model of the course recipe at its
initial weights, with the gradients of the recipe's first training step. Run it from
anywhere (Graphviz's ``dot`` must be installed)::

    .venv/bin/python docs/make_pictures.py
"""

import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
# Draw with this checkout's micrograd44 and viz, whether or not they are installed.
sys.path.insert(0, str(REPOSITORY))

from micrograd44.cli import CommandError  # noqa: E402
from micrograd44.commands.graph import PICTURES, write_pictures  # noqa: E402

FOLDER = REPOSITORY / "docs" / "images"


def main() -> int:
    """Write the pictures and list them with their sizes; 2 with the reason when it cannot."""
    try:
        written = write_pictures(FOLDER, PICTURES["all"], "svg")
    except CommandError as error:
        print(f"make_pictures: error: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path.relative_to(REPOSITORY)} ({path.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
