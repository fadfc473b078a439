"""What the sweeping examples share: train many recipes, in one process or several, and summarize each run.

learning_rate.py, loss.py, success_rates.py and weight_init.py each train the course recipe
over many seeds and count how often it solves XOR. This is their common plumbing, so that
each example shows only what it measures (the function that summarizes one run, and the
table made from the summaries):

- ``parse_options``: the same command line for every sweep: --seeds, --jobs, --engine,
  --out (for the examples that draw a picture) and --fast.
- ``train``: one run, which also hands back the history of a run that diverged.
- ``train_all``: many runs, in N processes, reduced to one small summary each.

The sweeps train with the compiled engine unless told ``--engine eager``: both give the same
History bit for bit (``tests/test_train_compiled.py``), so every printed figure is the
same, and the compiled engine is about ten times faster.

A script run as ``python examples/NAME.py`` has examples/ on its import path, which is how
the examples find this module.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from micrograd44.train import ENGINES, History, Recipe, TrainingDiverged, run

Summary = TypeVar("Summary")


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
        ``engine``, ``fast`` and, with a picture, ``out``.

    A --seeds or --jobs below 1 exits with a one-line error and status 2.
    """
    fast_seeds, fast_epochs = fast
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=seeds, help=f"seeds 0..N-1 {per} (default: %(default)s)")
    parser.add_argument("--jobs", type=int, default=1, help="processes to train in (default: %(default)s)")
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="compiled",
        help="what computes each step; both print the same numbers (default: %(default)s, about 10x faster)",
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


def train(recipe: Recipe) -> tuple[History, TrainingDiverged | None]:
    """Run the recipe: its history and, if it diverged, the error that stopped it.

    The history of a run that diverged holds every step before the failing one.
    """
    try:
        return run(recipe), None
    except TrainingDiverged as error:
        return error.history, error


def train_all(
    recipes: Sequence[Recipe],
    summarize: Callable[[History], Summary],
    jobs: int = 1,
    *,
    keep_diverged: bool = False,
) -> list[Summary]:
    """Train every recipe and keep ``summarize(history)`` of each, in the order of the recipes.

    Args:
        recipes: the runs.
        summarize: what to keep of one run (``history.recipe`` says which run it was). With
            jobs > 1 the function and what it returns cross between processes, so it must
            be defined at the top level of a module and return something small and
            picklable: numbers, a tuple, a dataclass.
        jobs: processes to train in; 1 trains here, one run after the other.
        keep_diverged: also summarize a run that diverged (its history up to the failing
            step); by default such a run stops the sweep.

    Returns:
        One summary per recipe.

    Raises:
        RuntimeError: a run diverged and keep_diverged is False; the message names its
            recipe and gives the TrainingDiverged message.
    """
    one_run = functools.partial(_train_and_summarize, summarize, keep_diverged)
    if jobs == 1:
        return [one_run(recipe) for recipe in recipes]
    with ProcessPoolExecutor(jobs) as pool:
        return list(pool.map(one_run, recipes))


def _train_and_summarize(
    summarize: Callable[[History], Summary], keep_diverged: bool, recipe: Recipe
) -> Summary:
    """One run of train_all (a top-level function, so that processes can be handed it)."""
    history, error = train(recipe)
    if error is not None and not keep_diverged:
        # a TrainingDiverged carries the whole history and cannot cross between processes
        raise RuntimeError(f"{recipe} diverged: {error}")
    return summarize(history)
