"""`micrograd44 sweep --scheduler` from the command line, on `dask scheduler` and `dask worker` processes.

The test starts the cluster with Dask's own command line, runs the sweep in a fresh
Python process (so no Client of the test can stand in for the one the command opens),
compares its rows with a local sweep's and stops every process it started.
"""

import csv
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runs import ROOT

distributed = pytest.importorskip("distributed")

GRID = ["--seeds", "0:4", "--loss", "l1,mse", "--lr", "0.02,0.1", "--epochs", "40", "--print-every", "10"]

# every wait of this file is bounded; these are ceilings, never assertions on speed
START_TIMEOUT = 120
SWEEP_TIMEOUT = 300
STOP_TIMEOUT = 30


def dask_command() -> str:
    """The `dask` command beside this Python, else on PATH."""
    beside = Path(sys.executable).parent / "dask"
    found = str(beside) if beside.exists() else shutil.which("dask")
    if found is None:
        pytest.skip("the dask command line is not installed")
    return found


def environment() -> dict:
    """This process's environment with this tree first on PYTHONPATH (the workers import micrograd44)."""
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "PYTHONUNBUFFERED": "1"}


def stop(process: subprocess.Popen) -> None:
    """SIGTERM the process's group (it leads one), then SIGKILL it if it has not exited in time."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # any child of the group still there
    except ProcessLookupError:
        pass
    process.wait(timeout=STOP_TIMEOUT)


@pytest.fixture(scope="module")
def scheduler_address(tmp_path_factory):
    """The address of a `dask scheduler` with two single-threaded `dask worker`s, all on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("cluster")
    scheduler_file = folder / "scheduler.json"
    dask = dask_command()
    started = []
    common = {"env": environment(), "cwd": folder, "start_new_session": True}
    logs = []
    try:
        log = open(folder / "scheduler.log", "w")  # noqa: SIM115 (closed below)
        logs.append(log)
        started.append(
            subprocess.Popen(
                [dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"]
                + ["--scheduler-file", str(scheduler_file)],
                stdout=log,
                stderr=subprocess.STDOUT,
                **common,
            )
        )
        for number in range(2):
            log = open(folder / f"worker{number}.log", "w")  # noqa: SIM115 (closed below)
            logs.append(log)
            started.append(
                subprocess.Popen(
                    [dask, "worker", "--scheduler-file", str(scheduler_file), "--host", "127.0.0.1"]
                    + ["--nthreads", "1", "--no-dashboard", "--death-timeout", "60"],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    **common,
                )
            )
        with distributed.Client(
            scheduler_file=str(scheduler_file), set_as_default=False, timeout=START_TIMEOUT
        ) as client:
            client.wait_for_workers(2, timeout=START_TIMEOUT)
            address = client.scheduler.address
        yield address
    finally:
        for process in reversed(started):
            stop(process)
        for log in logs:
            log.close()


def sweep(out: Path, *options: str) -> subprocess.CompletedProcess:
    """`micrograd44 sweep GRID OPTIONS --out OUT --quiet` in a new Python process."""
    command = [sys.executable, "-m", "micrograd44", "sweep", *GRID, *options, "--out", str(out), "--quiet"]
    return subprocess.run(
        command, capture_output=True, text=True, env=environment(), cwd=ROOT, timeout=SWEEP_TIMEOUT
    )


def outcomes(path: Path) -> list[dict]:
    """The CSV's rows without their wall times."""
    with open(path, newline="") as handle:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(handle)]


def test_a_sweep_on_a_dask_cli_cluster_gives_the_rows_of_a_local_sweep(scheduler_address, tmp_path):
    local = sweep(tmp_path / "local.csv", "--jobs", "1")
    assert local.returncode == 0, local.stderr
    remote = sweep(tmp_path / "dask.csv", "--scheduler", scheduler_address, "--batch", "3")
    assert remote.returncode == 0, remote.stderr
    rows = outcomes(tmp_path / "dask.csv")
    assert len(rows) == 16
    assert rows == outcomes(tmp_path / "local.csv")


@pytest.mark.parametrize(
    "address, words",
    [("notaurl", "'notaurl' is not an address such as tcp://"), ("", "the scheduler address is empty")],
)
def test_a_bad_scheduler_address_is_one_line_and_status_2_at_once(tmp_path, address, words):
    out = tmp_path / "s.csv"
    finished = sweep(out, "--scheduler", address)  # bounded: it once hung 60 s in Client.__del__
    assert finished.returncode == 2
    [line] = finished.stderr.splitlines()
    assert line.startswith("micrograd44 sweep: error: --scheduler: ") and words in line
    assert not out.exists() and str(out) not in finished.stderr


def test_an_unreachable_scheduler_names_no_results_file_when_none_was_written(tmp_path):
    out = tmp_path / "s.csv"
    env = {**environment(), "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"}
    command = [sys.executable, "-m", "micrograd44", "sweep", *GRID, "--scheduler", "tcp://127.0.0.1:1"]
    finished = subprocess.run(
        [*command, "--out", str(out), "--quiet"], capture_output=True, text=True, env=env, timeout=60
    )
    assert finished.returncode == 1
    assert len(finished.stderr.splitlines()) == 1 and "cannot reach the Dask scheduler" in finished.stderr
    assert not out.exists() and str(out) not in finished.stderr
