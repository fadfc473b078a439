"""run_grid on a real Dask cluster: two worker processes on 127.0.0.1, started by the test."""

import os
import signal

import pytest

from micrograd44.sweep import SweepError, run_grid
from micrograd44.sweep.results import to_row

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")

GRID = {"seed": "0:4", "loss": ["l1", "mse"], "lr": [0.02, 0.1], "epochs": 40, "print_every": 10}


def outcome(result):
    """Everything a run's result says but its wall time, as text."""
    return to_row(result)[:-1]


@pytest.fixture(scope="module")
def client():
    """A Client of a LocalCluster of two single-threaded worker processes on the loopback interface."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def here():
    """The grid's results computed in this process."""
    return [outcome(result) for result in run_grid(GRID, jobs=1)]


def test_the_cluster_gives_the_rows_of_this_process(client, here, tmp_path):
    results = run_grid(GRID, tmp_path / "r.csv", scheduler=client, batch=3)
    assert [outcome(result) for result in results] == here
    assert len(client.nthreads()) == 2


def test_a_scheduler_address_works_like_a_client(client, here):
    results = run_grid(GRID, scheduler=client.scheduler.address)
    assert [outcome(result) for result in results] == here


def test_a_killed_worker_costs_no_row(client, here, tmp_path):
    pids = client.run(os.getpid)
    seen = []

    def kill_a_worker_once(result):
        seen.append(result)
        if len(seen) == 1:
            os.kill(next(iter(pids.values())), signal.SIGKILL)

    results = run_grid(GRID, tmp_path / "r.csv", scheduler=client, batch=1, on_result=kill_a_worker_once)
    assert [outcome(result) for result in results] == here
    assert len(seen) == len(here)  # each run delivered once
    assert set(client.run(os.getpid).values()).isdisjoint([next(iter(pids.values()))])  # it was replaced


def test_an_unreachable_scheduler_is_one_line_before_any_file(tmp_path):
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(SweepError, match=r"^cannot reach the Dask scheduler at tcp://127.0.0.1:9 \(.*\)$"),
    ):
        run_grid(GRID, tmp_path / "r.csv", scheduler="tcp://127.0.0.1:9")
    assert list(tmp_path.iterdir()) == []
