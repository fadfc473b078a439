"""run_grid: run every recipe of a grid that is not already in its results file, wherever asked."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from pathlib import Path

from ..training.course import Recipe
from . import executors
from .grid import Grid
from .record import RunResult, run_batch
from .results import ResultsFile

# Seconds of work each task (a batch of runs) aims at: long enough that scheduling costs
# well under 1% of it (a Dask task costs a few milliseconds, see benchmarks/sweep.py), short
# enough that a worker that dies loses little, and that Ctrl-C is answered quickly.
TASK_SECONDS = 1.0

# Each worker gets at least this many tasks, so that they all finish at about the same time.
TASKS_PER_WORKER = 4


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped the sweep; every run finished before it is kept.

    Attributes:
        results: the RunResults finished (including those read from the file), in the grid's order.
        total: the number of runs in the grid.
    """

    def __init__(self, results: list[RunResult], total: int):
        super().__init__(f"sweep interrupted after {len(results)} of {total} runs")
        self.results = results
        self.total = total


def batch_size(run_seconds: float, runs: int, workers: int) -> int:
    """Runs per task: about TASK_SECONDS of work each, and at least TASKS_PER_WORKER tasks per worker."""
    by_time = max(1, round(TASK_SECONDS / max(run_seconds, 1e-9)))
    by_balance = max(1, math.ceil(runs / (workers * TASKS_PER_WORKER)))
    return min(by_time, by_balance)


def run_grid(
    grid: Grid | Mapping,
    out: str | Path | None = None,
    *,
    jobs: int | None = None,
    scheduler=None,
    batch: int | None = None,
    progress: bool = False,
    on_result: Callable[[RunResult], None] | None = None,
    solved_epoch: bool = True,
) -> list[RunResult]:
    """Run every recipe of the grid and return their results, in the grid's order.

    Each run depends only on its recipe, so its result is the same wherever it runs
    (only ``seconds`` differs). With ``out``, the results go to that CSV as they finish
    (the grid to ``NAME.grid.json`` beside it) and the runs already in it are not run
    again: rerun the same call after an interruption to finish the sweep. The sweep
    holds a lock on ``NAME.csv.lock`` meanwhile, so one sweep writes a file at a time.

    Args:
        grid: a Grid, or its fields as a mapping (see ``Grid``).
        out: the results CSV, or None to keep the results in memory only.
        jobs: local processes to run in; None: all cores. 1 runs in this process.
        scheduler: a Dask scheduler address (``"tcp://host:8786"``) or a
            ``distributed.Client``: run on that cluster instead of local processes.
            Needs ``pip install 'micrograd44[dask]'``, and micrograd44 on every worker.
        batch: runs per task; None sizes tasks to about TASK_SECONDS of work from the
            time of the first run, which is run here.
        progress: show a progress bar (tqdm) on stderr: runs done, runs per second, time left.
        on_result: called in this process with each new RunResult once it is saved.
        solved_epoch: find each run's first solved epoch (``RunResult.solved_epoch``)
            from snapshots at its logged epochs, which take most of a compiled run's time;
            False leaves it None and runs about three times faster.

    Returns:
        One RunResult per recipe of the grid, in ``grid.recipes()`` order.

    Raises:
        GridError: the grid is invalid or has more than ``grid.MAX_RUNS`` runs (before any run starts).
        ValueError: jobs or batch below 1, both jobs and scheduler given, or a scheduler
            address that is not one (``tcp://host:port``).
        ResultsFileError: ``out`` holds another grid's results, is damaged (naming the
            line), holds runs outside the grid, is not a regular file, or another sweep
            is writing it (naming its process); all before any run starts.
        SweepError: a run failed (other than by diverging), workers kept dying, or the
            Dask scheduler cannot be reached. Finished runs stay in ``out``.
        SweepInterrupted: Ctrl-C; it carries the finished results, which stay in ``out``.

    Example:
        >>> results = run_grid({"seed": "0:2", "epochs": 20, "loss": ["l1", "mse"]}, jobs=1)
        >>> [(r.recipe.seed, r.recipe.loss, len(r.predictions)) for r in results]
        [(0, 'l1', 4), (0, 'mse', 4), (1, 'l1', 4), (1, 'mse', 4)]
    """
    for name, count in (("jobs", jobs), ("batch", batch)):
        if count is not None and count < 1:
            raise ValueError(f"{name} must be at least 1, got {count}")
    if jobs is not None and scheduler is not None:
        raise ValueError("give jobs (local processes) or scheduler (a Dask cluster), not both")
    grid = grid if isinstance(grid, Grid) else Grid(grid)
    recipes = list(grid.recipes())
    client, opened = executors.connect(scheduler) if scheduler is not None else (None, False)
    try:
        task = run_batch if solved_epoch else functools.partial(run_batch, solved_epoch=False)
        return _run(recipes, grid, out, jobs, client, batch, progress, on_result, task)
    finally:
        if opened:
            client.close()


def _run(recipes, grid, out, jobs, client, batch, progress, on_result, task) -> list[RunResult]:
    """run_grid once the grid is checked and the cluster (if any) reached, holding the results file's lock."""
    store = ResultsFile.open(out, grid) if out is not None else None
    try:
        return _run_into(store, recipes, jobs, client, batch, progress, on_result, task)
    finally:
        if store:
            store.release()


def _run_into(store, recipes, jobs, client, batch, progress, on_result, task) -> list[RunResult]:
    """Run the recipes not yet in the store (a ResultsFile, or None), adding each result as it comes."""
    finished: dict[Recipe, RunResult] = dict(store.finished) if store else {}
    bar = _progress_bar(len(recipes), len(finished), progress)

    def deliver(results: list[RunResult]) -> None:
        if store:
            store.add(results)
        for result in results:
            finished[result.recipe] = result
        bar.update(len(results))
        if on_result:
            for result in results:
                on_result(result)

    try:
        pending = [recipe for recipe in recipes if recipe not in finished]
        _execute(pending, jobs, client, batch, deliver, task)
    except KeyboardInterrupt:
        raise SweepInterrupted([finished[r] for r in recipes if r in finished], len(recipes)) from None
    finally:
        bar.close()
        if store:
            store.close()
    ordered = [finished[recipe] for recipe in recipes]
    if store:
        store.rewrite(ordered)
    return ordered


def _execute(pending: list[Recipe], jobs: int | None, client, batch: int | None, deliver, task) -> None:
    """Run the pending recipes with ``task``: here, on local processes or (with a client) on Dask."""
    if not pending:
        return
    workers = executors.dask_threads(client) if client else (jobs or executors.all_cores())
    if client is None and workers == 1:
        executors.run_here(pending, deliver, task)
        return
    if batch is None:
        [first] = task([pending[0]])  # here, to time one run
        deliver([first])
        pending = pending[1:]
        batch = batch_size(first.seconds, len(pending), workers)
    batches = [pending[start : start + batch] for start in range(0, len(pending), batch)]
    if client:
        executors.run_on_dask(batches, client, deliver, task)
    else:
        executors.run_on_processes(batches, workers, deliver, task)


def _progress_bar(total: int, done: int, shown: bool):
    """A tqdm bar of runs (disabled unless shown)."""
    from tqdm import tqdm

    return tqdm(total=total, initial=done, unit="run", desc="sweep", disable=not shown, dynamic_ncols=True)
