"""Runs per second of a sweep of the course recipe: 1 and 2 local processes and a 2-worker Dask cluster.

Each contender runs the same grid (the course recipe on the compiled engine, the fastest,
over seeds 0..N-1) with ``micrograd44.sweep.run_grid`` and its default batching; they take
turns, repetition after repetition, and the median of each is reported. The Dask cluster
(a LocalCluster of 2 single-threaded worker processes on 127.0.0.1) is started once,
before the timing; the process pool is started by each sweep, as the command line does.

The overhead of the distributed path per run is the cost of one Dask task, measured by
sending empty batches through the same code (submit, gather as each finishes, release),
divided by the runs a task holds in the sweep (``run_grid``'s batch size), and given as
a share of one run's time in this process.

    python benchmarks/sweep.py [--runs 120] [--epochs 2001] [--repeats 3]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time

from course_step import take_turns

from micrograd44.sweep import executors, run_grid
from micrograd44.sweep.runner import batch_size

QUICK = ["--runs", "8", "--epochs", "200", "--repeats", "1", "--tasks", "20"]


def start_cluster():
    """A 2-worker LocalCluster and its Client, or (None, None) without dask.distributed."""
    try:
        import distributed
    except ImportError:
        return None, None
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    return cluster, distributed.Client(cluster)


def contenders(grid: dict, client, results: dict) -> dict:
    """name -> (make() -> the timed sweep); each sweep leaves its RunResults in results[name]."""
    where = {"1 local process": {"jobs": 1}, "2 local processes": {"jobs": 2}}
    if client is not None:
        where["Dask, 2 workers"] = {"scheduler": client}
    found = {}
    for name, options in where.items():

        def make(name=name, options=options):
            def sweep():
                results[name] = run_grid(grid, **options)

            return sweep

        found[name] = make
    return found


def task_seconds(client, tasks: int, repeats: int) -> float:
    """Median wall seconds per empty task of the Dask path of run_grid, ``tasks`` tasks at a time."""
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        executors.run_on_dask([[] for _ in range(tasks)], client, lambda results: None)
        timings.append((time.perf_counter() - start) / tasks)
    return statistics.median(timings)


def report(seconds: dict[str, float], results: dict, runs: int) -> str:
    """The table: runs per second of each contender and its speed-up over one process."""
    lines = [f"{'where':<20}{'runs/s':>9}{'x 1 process':>13}"]
    for name, wall in seconds.items():
        lines.append(f"{name:<20}{runs / wall:>9.2f}{seconds['1 local process'] / wall:>13.2f}")
    return "\n".join(lines)


def overhead(per_task: float, run_seconds: float, runs: int) -> str:
    """The Dask overhead per run: one task's cost over the runs in a task, against one run's time."""
    per_batch = batch_size(run_seconds, runs - 1, workers=2)
    per_run = per_task / per_batch
    return (
        f"one run in this process: {run_seconds * 1e3:.1f} ms; one Dask task: {per_task * 1e3:.2f} ms; "
        f"{per_batch} runs per task, so {per_run * 1e3:.2f} ms per run = {per_run / run_seconds:.1%} of a run"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=120, help="seeds of the course recipe (default: %(default)s)"
    )
    parser.add_argument("--epochs", type=int, default=2001, help="epochs of each run (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--tasks", type=int, default=200, help="empty Dask tasks timed (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    grid = {"seed": range(args.runs), "epochs": args.epochs, "engine": "compiled"}
    cluster, client = start_cluster()
    try:
        results: dict = {}
        seconds = take_turns(contenders(grid, client, results), args.repeats)
        per_task = task_seconds(client, args.tasks, args.repeats) if client is not None else None
    finally:
        if cluster is not None:
            client.close()
            cluster.close()
    if client is None:
        print("dask.distributed is not installed: pip install 'micrograd44[dask]' for the Dask row")
    what = f"{args.runs} runs of {args.epochs} epochs, median of {args.repeats}"
    print(f"Sweep of the course recipe, compiled engine: {what}")
    print(report(seconds, results, args.runs))
    if per_task is not None:
        run_seconds = statistics.fmean(r.seconds for r in results["1 local process"])
        print(overhead(per_task, run_seconds, args.runs))


if __name__ == "__main__":
    main()
