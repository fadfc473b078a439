"""`micrograd44 sweep`'s processes: one sweep per results file at a time, and none left after `kill -9`."""

import csv
import os
import signal
import subprocess
import sys
import time

import pytest
from cli_runs import ROOT

psutil = pytest.importorskip("psutil")

# long enough that the sweep is still running when the test acts on it
# eager runs (about half a second each): a compiled sweep of these 400 runs ends in about a second,
# before a test is done with it
LONG = ["--seeds", "0:400", "--epochs", "2001", "--print-every", "50", "--engine", "eager", "--quiet"]
TIMEOUT = 120  # ceilings for waits, never assertions on speed


def environment() -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def start_sweep(out, *options) -> subprocess.Popen:
    """`micrograd44 sweep LONG OPTIONS --out OUT` started in a new process (SIGINT at its default)."""
    command = [sys.executable, "-m", "micrograd44", "sweep", *LONG, *options, "--out", str(out)]
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
        cwd=ROOT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for_rows(process: subprocess.Popen, out, rows: int) -> None:
    """Wait until the CSV has this many result rows (or fail if the sweep ends first, or after TIMEOUT)."""
    deadline = time.monotonic() + TIMEOUT
    while not (out.exists() and len(out.read_text().splitlines()) > rows):
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "the sweep wrote no rows"
        time.sleep(0.05)


def read_rows(path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_second_sweep_of_the_same_file_is_refused_naming_the_first(tmp_path):
    out = tmp_path / "s.csv"
    first = start_sweep(out, "--jobs", "1")
    try:
        wait_for_rows(first, out, 2)
        second = subprocess.run(
            [sys.executable, "-m", "micrograd44", "sweep", *LONG, "--jobs", "1", "--out", str(out)],
            capture_output=True,
            text=True,
            env=environment(),
            cwd=ROOT,
            timeout=TIMEOUT,
        )
        assert second.returncode == 2 and second.stdout == ""
        [line] = second.stderr.splitlines()
        assert line.startswith(
            f"micrograd44 sweep: error: {out} is being written by another sweep (process {first.pid}, "
        )
        assert first.poll() is None  # the first one goes on
    finally:
        first.send_signal(signal.SIGINT)
        _, err = first.communicate(timeout=TIMEOUT)
    assert first.returncode == 130, err
    kept = read_rows(out)
    assert len(kept) >= 2
    assert len({row["seed"] for row in kept}) == len(kept)  # no run twice


@pytest.mark.skipif(sys.platform == "win32", reason="kill -9 is POSIX")
def test_kill_9_of_the_sweep_leaves_no_worker_process(tmp_path):
    out = tmp_path / "s.csv"
    sweep = start_sweep(out, "--jobs", "2", "--batch", "1")
    descendants = []
    try:
        wait_for_rows(sweep, out, 3)  # the first run is here, the next ones in the workers
        descendants = psutil.Process(sweep.pid).children(recursive=True)
        assert descendants, "the sweep started no worker process"
        os.kill(sweep.pid, signal.SIGKILL)
        sweep.wait(timeout=TIMEOUT)
        _, alive = psutil.wait_procs(descendants, timeout=TIMEOUT)
        assert alive == [], f"left behind: {[(p.pid, p.name()) for p in alive]}"
    finally:
        for process in descendants:  # any the sweep left behind: this test started them
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        if sweep.poll() is None:
            sweep.kill()
        sweep.communicate(timeout=TIMEOUT)
    assert len(read_rows(out)) >= 3  # what was finished is kept
