"""``micrograd44 sweep``: train a grid of recipes, locally or on a Dask cluster, and summarize it.

    micrograd44 sweep --seeds 0:100 --lr 0.002,0.02,0.2 --loss l1,mse --out out/sweep.csv

Every Recipe field has a flag taking one value or several, comma-separated; a grid file
(``--grid grid.toml`` or ``.json``, {field: values}) gives the same, and flags override it.
The results go to the CSV as runs finish, the grid beside it (``NAME.grid.json``); the
same command run again skips the runs already there. At the end it prints the success
rate of each cell with its 95% interval and draws the success rates (``NAME.png``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..sweep import (
    Grid,
    GridError,
    ResultsFileError,
    SweepError,
    SweepInterrupted,
    plot_success,
    run_grid,
    summarize,
    table,
)
from ..sweep.executors import all_cores, check_address
from ..sweep.grid import SWEEP_DEFAULTS, field_names, format_value, read_fields
from ..sweep.results import grid_path
from ..training.course import Recipe
from .errors import EXIT_INTERRUPTED, CommandError, flag, matplotlib_missing, skip

# what a field means for a sweep, where its name does not say it
FIELD_NOTES = {
    "seed": "seeds the weights and the sample draws; ranges such as 0:1000",
    "print_every": "epochs between the looks for the first solved epoch",
}


def register(subparsers) -> None:
    """Add the ``sweep`` sub-command."""
    parser = subparsers.add_parser(
        "sweep",
        help="train a grid of recipes (seeds x learning rates x ...), locally or on a Dask cluster",
        description=__doc__.split("\n\n")[2].replace("\n", " "),
    )
    fields = parser.add_argument_group(
        "grid",
        "Values of a Recipe field, comma-separated: integers also as START:STOP ranges (0:1000 is "
        "0 to 999), hidden layer sizes as 5-4, 'none' for no activation or no hidden layer. "
        "A field not given keeps the course recipe's value (the engine: compiled, the same numbers faster).",
    )
    default = Recipe(**SWEEP_DEFAULTS)
    for name in field_names():
        flags = [flag(name), "--seeds"] if name == "seed" else [flag(name)]
        note = f"(default: {format_value(name, getattr(default, name))})"
        if name in FIELD_NOTES:
            note = f"{FIELD_NOTES[name]} {note}"
        fields.add_argument(*flags, dest=name, metavar="V[,V...]", help=note)
    parser.add_argument(
        "--grid", metavar="FILE", help="a TOML or JSON file of {field: values}; flags override it"
    )
    parser.add_argument(
        "--out",
        default="out/sweep.csv",
        metavar="FILE",
        help="the results CSV; FILE.grid.json and FILE.png go beside it (default: %(default)s)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=int, help=f"local processes (default: all cores, {all_cores()} here)")
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on the Dask cluster of this scheduler, e.g. tcp://10.0.0.5:8786 "
        "(pip install 'micrograd44[dask]')",
    )
    parser.add_argument(
        "--batch", type=int, help="runs per task (default: about 1 s of work each, timed on the first run)"
    )
    parser.add_argument(
        "--plot",
        metavar="X[,Y]",
        help="the fields across and down the picture (default: the first two swept fields but the seed)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar: print the table only")
    parser.set_defaults(run=run_command)


def _grid(args: argparse.Namespace) -> Grid:
    """The grid of the file and the flags; CommandError naming the flag or the file's field."""
    fields = {}
    if args.grid is not None:
        try:
            fields = read_fields(args.grid)
            Grid(fields, source=args.grid)
        except GridError as error:
            raise CommandError(str(error)) from None
    flags = {name: getattr(args, name) for name in field_names() if getattr(args, name) is not None}
    try:
        return Grid({**fields, **flags})
    except GridError as error:
        where = flag(error.field) if error.field in flags else f"{args.grid}: {error.field}"
        raise CommandError(f"{where}: {error.problem}") from None


def _plot_fields(args: argparse.Namespace, grid: Grid) -> list[str]:
    """The fields of the picture: --plot, else the first two swept fields but the seed ([] for none)."""
    if args.plot is None:
        return [name for name in grid.swept if name != "seed"][:2]
    names = [name.strip().replace("-", "_") for name in args.plot.split(",")]
    if not 1 <= len(names) <= 2:
        raise CommandError(f"--plot {args.plot}: give one or two fields, e.g. --plot lr,loss")
    for name in names:
        if name not in grid.values:
            raise CommandError(
                f"--plot {args.plot}: {name!r} is not a Recipe field ({', '.join(field_names())})"
            )
    return names


def _check_counts(args: argparse.Namespace) -> None:
    """--jobs and --batch are at least 1."""
    for name, value in (("--jobs", args.jobs), ("--batch", args.batch)):
        if value is not None and value < 1:
            raise CommandError(f"{name} must be at least 1, got {value}")


def _check_scheduler(args: argparse.Namespace) -> None:
    """--scheduler has the form of an address (checked before any connection is tried)."""
    if args.scheduler is not None:
        try:
            check_address(args.scheduler)
        except (ValueError, SweepError) as error:
            raise CommandError(f"--scheduler: {error}") from None


def _where(args: argparse.Namespace) -> str:
    """Where the runs execute, in words."""
    if args.scheduler:
        return f"on the Dask cluster at {args.scheduler}"
    jobs = args.jobs or all_cores()
    return "in this process" if jobs == 1 else f"on {jobs} local processes"


def run_command(args: argparse.Namespace) -> int:
    """Run the grid, print the table, draw the picture; the exit status."""
    _check_counts(args)
    _check_scheduler(args)
    grid = _grid(args)
    plot_fields = _plot_fields(args, grid)
    out = Path(args.out)
    if not args.quiet:
        swept = ", ".join(f"{name} x {len(grid.values[name])}" for name in grid.swept) or "one recipe"
        print(f"{len(grid)} runs ({swept}) {_where(args)}, results in {out}", flush=True)
    try:
        results = run_grid(
            grid, out, jobs=args.jobs, scheduler=args.scheduler, batch=args.batch, progress=not args.quiet
        )
    except ResultsFileError as error:
        raise CommandError(str(error)) from None
    except SweepInterrupted as stop:
        print(
            f"\nInterrupted: {len(stop.results)} of {stop.total} runs are in {out}; "
            "run the same command again to finish the others.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except SweepError as error:
        print(f"micrograd44 sweep: error: {error}", file=sys.stderr)
        if out.is_file():  # else nothing was written: no file to point to
            print(
                f"The runs finished before it are in {out}; the same command goes on from there.",
                file=sys.stderr,
            )
        return 1
    print(table(summarize(results)))
    if not args.quiet:
        print(f"\nWrote {out} (one row per run) and {grid_path(out)} (the grid).")
    if plot_fields:
        _draw(results, out.with_suffix(".png"), plot_fields, quiet=args.quiet)
    return 0


def _draw(results, path: Path, fields: list[str], *, quiet: bool) -> None:
    """The success-rate picture; one line saying why when it cannot be drawn."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:
        skip(str(path), str(matplotlib_missing(error)))
        return
    try:
        plot_success(results, path, *fields)
    except ValueError as error:
        skip(str(path), str(error))
        return
    if not quiet:
        print(f"Wrote {path}: the success rate over {' and '.join(fields)}.")
