"""What the sweeping examples share: their command line, and running a grid of recipes with it.

learning_rate.py, loss.py, success_rates.py and weight_init.py each train the course recipe
over many seeds and count how often it solves XOR. They run their grids with
``micrograd44.sweep.run_grid`` (in this process, in N local processes, or on a Dask
cluster) and keep only what they measure; this module gives them one command line:

- ``parse_options``: --seeds, --jobs or --scheduler, --engine, --out (for the examples
  that draw a picture) and --fast.
- ``run_grid``: the grid's fields on the course recipe, with the options' epochs and
  engine, run where the options say.
- ``finished``: the last line every sweep prints, its time and where it ran.

The sweeps train with the compiled engine unless told ``--engine eager``: both give the same
History bit for bit
(``tests/training/test_course_recipe_compiled_equals_eager.py``), so every printed figure is the
same, and the compiled engine is over a hundred times faster with a C compiler.

A script run as ``python examples/NAME.py`` has examples/ on its import path, which is how
the examples find this module (``from helpers import sweep``).
"""

from __future__ import annotations

import argparse

import micrograd44.sweep
from micrograd44.sweep import RunResult
from micrograd44.training import ENGINES
from micrograd44.training.course import Recipe


def parse_options(
    doc: str, argv: list[str] | None, *, seeds: int, per: str, fast: tuple[int, int], picture: bool = True
) -> argparse.Namespace:
    """The command line of a sweep.

    Args:
        doc: the example's docstring; its first line describes the script in --help.
        argv: the arguments (None: sys.argv[1:]).
        seeds: the default of --seeds, the number of seeds 0..N-1 to train each case with.
        per: what each case is, for --help ("per loss", "per scheme", ...).
        fast: (seeds, epochs) of --fast, a quick run that checks the script.
        picture: the example draws a picture, so it takes --out FOLDER.

    Returns:
        The options: ``seeds``, ``epochs`` (the course's 2001, or the fast ones), ``jobs``,
        ``scheduler``, ``engine``, ``fast`` and, with a picture, ``out``.

    A --seeds or --jobs below 1 exits with a one-line error and status 2.
    """
    fast_seeds, fast_epochs = fast
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=seeds, help=f"seeds 0..N-1 {per} (default: %(default)s)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=int, default=1, help="processes to train in (default: %(default)s)")
    where.add_argument("--scheduler", metavar="ADDRESS", help="train on the Dask cluster of this scheduler")
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="compiled",
        help="what computes each step; both print the same numbers (default: %(default)s, over 100x faster "
        "with a C compiler)",
    )
    if picture:
        parser.add_argument(
            "--out", default="out/examples/", help="folder for the picture (default: %(default)s)"
        )
    fast_help = f"{fast_seeds} seeds and {fast_epochs} epochs, to check the script"
    parser.add_argument("--fast", action="store_true", help=fast_help)
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.jobs < 1:
        parser.error("--seeds and --jobs must be at least 1")
    args.epochs = Recipe().epochs
    if args.fast:
        args.seeds, args.epochs = fast_seeds, fast_epochs
    return args


def run_grid(fields: dict, args: argparse.Namespace) -> list[RunResult]:
    """Every combination of the fields on the course recipe, with the options' epochs and engine.

    The runs go where the options say (--jobs or --scheduler); the results come back in
    the grid's order, the first field varying slowest (see ``micrograd44.sweep.Grid``).
    """
    grid = {"epochs": args.epochs, "engine": args.engine, **fields}
    where = {"scheduler": args.scheduler} if args.scheduler else {"jobs": args.jobs}
    return micrograd44.sweep.run_grid(grid, **where, solved_epoch=False)  # no example shows it


def finished(seconds: float, args: argparse.Namespace) -> str:
    """The last line of a sweep: how long it took, where and with which engine."""
    where = f"on the Dask cluster at {args.scheduler}" if args.scheduler else f"with {args.jobs} process(es)"
    return f"{seconds:.0f} s {where}, {args.engine} engine"
