"""micrograd44.sweep.runner: which runs a resumed sweep runs, the order of what it returns, how it batches.

The grids are tiny (a few epochs), and the local worker pool is replaced by a recorder
that runs each batch in this process, so the tests see the exact batches and the exact
order in which results arrive, without timing anything.
"""

from __future__ import annotations

import csv

import pytest

from micrograd44.sweep import Grid, ResultsFileError, SweepInterrupted, executors, run_grid, runner
from micrograd44.sweep.results import columns, to_row
from micrograd44.sweep.runner import batch_size

TINY = {"seed": "0:5", "epochs": 3, "print_every": 1}


def recipes_of(fields) -> list:
    return list(Grid(fields).recipes())


def outcome(result) -> list[str]:
    """A result's row without its wall time (nan equal to nan)."""
    return to_row(result)[:-1]


class Pool:
    """Stands in for executors.run_on_processes: runs each batch here, in order, recording it."""

    def __init__(self):
        self.batches: list[list] = []
        self.workers: list[int] = []

    def __call__(self, batches, jobs, deliver, task):
        self.workers.append(jobs)
        for batch in batches:
            self.batches.append(list(batch))
            deliver(task(list(batch)))


@pytest.fixture
def pool(monkeypatch) -> Pool:
    pool = Pool()
    monkeypatch.setattr(executors, "run_on_processes", pool)
    return pool


# ---- how many runs a task gets ----


@pytest.mark.parametrize(
    "seconds, runs, workers, expected",
    [
        (0.25, 10_000, 1, 4),  # TASK_SECONDS / 0.25
        (0.4, 10_000, 1, 2),  # 2.5 rounds to 2
        (0.3, 10_000, 1, 3),  # 3.33 rounds to 3
        (0.6, 10_000, 1, 2),  # 1.67 rounds to 2
        (3.0, 10_000, 1, 1),  # less than one run a second: still one
        (0.0, 100, 1, 25),  # no measurable time: the balance decides, 100 / (1 * 4)
        (0.0, 9, 2, 2),  # 9 / 8 rounded up
        (0.0, 8, 2, 1),
        (0.0, 0, 2, 1),
        (1e-12, 10**12, 1, 10**9),  # the time is taken as at least a nanosecond
    ],
)
def test_batch_size(seconds, runs, workers, expected):
    assert batch_size(seconds, runs=runs, workers=workers) == expected


# ---- the batches handed to the workers ----


def test_without_a_batch_the_first_run_is_timed_here_and_the_rest_split(pool, monkeypatch):
    monkeypatch.setattr(runner, "batch_size", lambda seconds, runs, workers: 2)
    arrived = []
    results = run_grid(TINY, jobs=3, on_result=arrived.append)
    recipes = recipes_of(TINY)
    assert pool.batches == [recipes[1:3], recipes[3:5]] and pool.workers == [3]
    assert [r.recipe for r in arrived] == recipes
    assert [r.recipe for r in results] == recipes


def test_the_batch_size_is_asked_for_the_runs_left_after_the_first(pool, monkeypatch):
    asked = []

    def sized(seconds, runs, workers):
        asked.append((runs, workers, seconds > 0))
        return 3

    monkeypatch.setattr(runner, "batch_size", sized)
    run_grid(TINY, jobs=2)
    assert asked == [(4, 2, True)]
    recipes = recipes_of(TINY)
    assert pool.batches == [recipes[1:4], recipes[4:5]]


@pytest.mark.parametrize("batch, sizes", [(1, [1] * 5), (2, [2, 2, 1]), (5, [5]), (7, [5])])
def test_a_given_batch_size_splits_every_run_in_order(pool, batch, sizes):
    run_grid(TINY, jobs=2, batch=batch)
    assert [len(b) for b in pool.batches] == sizes
    assert [r for b in pool.batches for r in b] == recipes_of(TINY)


def test_jobs_none_means_every_core(pool, monkeypatch):
    monkeypatch.setattr(executors, "all_cores", lambda: 6)
    run_grid(TINY, batch=2)
    assert pool.workers == [6]


def test_one_job_runs_here_without_the_pool(pool, monkeypatch):
    monkeypatch.setattr(executors, "all_cores", lambda: 1)
    assert [r.recipe for r in run_grid(TINY, batch=2)] == recipes_of(TINY)
    assert [r.recipe for r in run_grid(TINY, jobs=1)] == recipes_of(TINY)
    assert pool.batches == []


@pytest.mark.parametrize("jobs, batch", [(1, 1), (None, 1), (2, 1)])
def test_counts_of_one_are_allowed(pool, jobs, batch):
    assert len(run_grid({"epochs": 1}, jobs=jobs, batch=batch)) == 1


@pytest.mark.parametrize("options", [{"jobs": 0}, {"batch": 0}, {"jobs": -1}, {"jobs": 1, "scheduler": "x"}])
def test_bad_counts_and_both_places_are_refused_before_anything_runs(pool, options):
    arrived = []
    with pytest.raises(ValueError):
        run_grid(TINY, on_result=arrived.append, **options)
    assert arrived == [] and pool.batches == []


# ---- resuming ----


def test_a_resumed_sweep_runs_only_the_missing_recipes_and_returns_the_grids_order(tmp_path, pool):
    path = tmp_path / "r.csv"
    recipes = recipes_of(TINY)
    with pytest.raises(SweepInterrupted):
        run_grid(TINY, path, jobs=1, on_result=stop_after(2))
    arrived = []
    results = run_grid(TINY, path, jobs=2, batch=2, on_result=arrived.append)
    assert [r.recipe for r in arrived] == recipes[2:]
    assert pool.batches == [recipes[2:4], recipes[4:5]]
    assert [r.recipe for r in results] == recipes
    assert [outcome(r) for r in results] == [outcome(r) for r in run_grid(TINY, jobs=1)]
    # a finished file: nothing is run, the rows come back as they were written
    again = []
    assert run_grid(TINY, path, jobs=2, on_result=again.append) == results
    assert again == [] and len(pool.batches) == 2


def stop_after(count: int):
    """An on_result that presses Ctrl-C at its count-th result."""
    seen = []

    def on_result(result):
        seen.append(result)
        if len(seen) == count:
            raise KeyboardInterrupt

    return on_result


def test_the_file_ends_in_the_grids_order_whatever_order_the_runs_finished_in(tmp_path, monkeypatch):
    def backwards(batches, jobs, deliver, task):
        for batch in reversed(batches):
            deliver(task(list(batch)))

    monkeypatch.setattr(executors, "run_on_processes", backwards)
    path = tmp_path / "r.csv"
    arrived = []
    results = run_grid(TINY, path, jobs=2, batch=1, on_result=arrived.append)
    recipes = recipes_of(TINY)
    assert [r.recipe for r in arrived] == recipes[::-1]
    assert [r.recipe for r in results] == recipes
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [columns(), *(to_row(r) for r in results)]


def test_each_result_is_in_the_file_before_on_result_sees_it(tmp_path):
    path = tmp_path / "r.csv"
    rows_seen = []
    run_grid(TINY, path, jobs=1, on_result=lambda r: rows_seen.append(len(path.read_text().splitlines())))
    assert rows_seen == [2, 3, 4, 5, 6]


def test_an_interrupt_carries_the_finished_results_in_the_grids_order(tmp_path, monkeypatch):
    def backwards(batches, jobs, deliver, task):
        for batch in reversed(batches):
            deliver(task(list(batch)))

    monkeypatch.setattr(executors, "run_on_processes", backwards)
    path = tmp_path / "r.csv"
    with pytest.raises(SweepInterrupted) as caught:
        run_grid(TINY, path, jobs=2, batch=1, on_result=stop_after(3))
    recipes = recipes_of(TINY)
    assert [r.recipe for r in caught.value.results] == recipes[2:]
    assert caught.value.total == 5
    # the file keeps the three rows and is not locked
    with open(path, newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 3
    assert len(run_grid(TINY, path, jobs=1)) == 5


def test_an_interrupt_after_a_resume_carries_the_earlier_results_too(tmp_path):
    path = tmp_path / "r.csv"
    with pytest.raises(SweepInterrupted):
        run_grid(TINY, path, jobs=1, on_result=stop_after(2))
    with pytest.raises(SweepInterrupted) as caught:
        run_grid(TINY, path, jobs=1, on_result=stop_after(1))
    assert [r.recipe for r in caught.value.results] == recipes_of(TINY)[:3]


def test_without_a_file_nothing_is_written_and_nothing_is_resumed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    arrived = []
    run_grid(TINY, jobs=1)
    run_grid(TINY, jobs=1, on_result=arrived.append)
    assert len(arrived) == 5 and list(tmp_path.iterdir()) == []


# ---- the progress bar ----


class Bar:
    """Stands in for tqdm: records how it was made and what it was told."""

    made: list[Bar] = []

    def __init__(self, **options):
        self.options, self.updates, self.closed = options, [], False
        Bar.made.append(self)

    def update(self, count):
        self.updates.append(count)

    def close(self):
        self.closed = True


@pytest.mark.parametrize("shown", [True, False])
def test_the_progress_bar_counts_runs_from_those_already_done(tmp_path, monkeypatch, shown):
    import tqdm

    monkeypatch.setattr(tqdm, "tqdm", Bar)
    Bar.made = []
    path = tmp_path / "r.csv"
    with pytest.raises(SweepInterrupted):
        run_grid(TINY, path, jobs=1, on_result=stop_after(2))
    run_grid(TINY, path, jobs=1, progress=shown)
    first, second = Bar.made
    assert (first.options["total"], first.options["initial"], first.options["disable"]) == (5, 0, True)
    assert (second.options["total"], second.options["initial"], second.options["disable"]) == (
        5,
        2,
        not shown,
    )
    assert first.updates == [1, 1] and second.updates == [1, 1, 1]
    assert first.closed and second.closed


# ---- on a Dask cluster (its client and executor replaced by recorders) ----


class Client:
    """Stands in for a distributed.Client: counts its closes."""

    def __init__(self):
        self.closed = 0

    def close(self):
        self.closed += 1


@pytest.fixture
def cluster(monkeypatch):
    """A fake cluster of 3 threads: connect returns its client, run_on_dask runs the batches here."""
    client, seen = Client(), {"batches": [], "opened": True, "asked": []}

    def connect(scheduler):
        seen["asked"].append(scheduler)
        return client, seen["opened"]

    def run_on_dask(batches, on, deliver, task):
        assert on is client
        for batch in batches:
            seen["batches"].append(list(batch))
            deliver(task(list(batch)))

    monkeypatch.setattr(executors, "connect", connect)
    monkeypatch.setattr(executors, "dask_threads", lambda on: 3)
    monkeypatch.setattr(executors, "run_on_dask", run_on_dask)
    monkeypatch.setattr(runner, "batch_size", lambda seconds, runs, workers: workers - 1)
    return client, seen


@pytest.mark.parametrize("opened", [True, False])
def test_a_cluster_gets_batches_sized_for_its_threads_and_a_client_we_opened_is_closed(cluster, pool, opened):
    client, seen = cluster
    seen["opened"] = opened
    results = run_grid(TINY, scheduler="tcp://10.0.0.5:8786")
    recipes = recipes_of(TINY)
    assert seen["asked"] == ["tcp://10.0.0.5:8786"]
    assert seen["batches"] == [recipes[1:3], recipes[3:5]] and pool.batches == []
    assert [r.recipe for r in results] == recipes
    assert client.closed == (1 if opened else 0)


def test_a_client_we_opened_is_closed_when_the_sweep_fails(cluster, tmp_path):
    client, _ = cluster
    (tmp_path / "r.csv").mkdir()
    with pytest.raises(ResultsFileError):
        run_grid(TINY, tmp_path / "r.csv", scheduler="tcp://10.0.0.5:8786")
    assert client.closed == 1


def test_the_grid_and_file_may_be_named_and_the_options_must_be(tmp_path):
    path = tmp_path / "r.csv"
    results = run_grid(grid=TINY, out=path, jobs=1)
    assert [r.recipe for r in results] == recipes_of(TINY) and path.exists()
    with pytest.raises(TypeError):
        run_grid(TINY, None, 1)
