"""``micrograd44 sweep``: flags and grid files, one-line errors, the files it writes, Ctrl-C and resuming."""

import csv
import os
import signal
import subprocess
import sys
import time

import pytest
from cli_runs import ROOT, run_command

from micrograd44.sweep import Grid

SMALL = ["--seeds", "0:3", "--loss", "l1,mse", "--lr", "0.02,0.1", "--epochs", "30", "--print-every", "10"]


def read_rows(path):
    """The CSV's rows as dicts."""
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def table_rows(out):
    """The cells of the Markdown table printed."""
    lines = [line for line in out.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def test_a_sweep_writes_rows_grid_and_picture_and_prints_a_cell_per_combination(tmp_path, capsys):
    out = tmp_path / "s.csv"
    status, printed, err = run_command(["sweep", *SMALL, "--jobs", "1", "--out", str(out)], capsys)
    assert status == 0, err
    rows = read_rows(out)
    assert [(r["lr"], r["loss"], r["seed"]) for r in rows] == [
        (lr, loss, seed) for lr in ("0.02", "0.1") for loss in ("l1", "mse") for seed in "012"
    ]
    assert Grid.load(tmp_path / "s.grid.json") == Grid(
        {"seed": "0:3", "loss": "l1,mse", "lr": "0.02,0.1", "epochs": 30, "print_every": 10}
    )
    cells = table_rows(printed)
    assert [(c[0], c[1], c[2]) for c in cells] == [
        ("0.02", "l1", "3"),
        ("0.02", "mse", "3"),
        ("0.1", "l1", "3"),
        ("0.1", "mse", "3"),
    ]
    for cell in cells:
        solved = sum(r["solved"] == "True" for r in rows if (r["lr"], r["loss"]) == (cell[0], cell[1]))
        assert cell[3] == str(solved)
    assert (tmp_path / "s.png").read_bytes().startswith(b"\x89PNG")


def test_the_same_command_again_runs_nothing_and_prints_the_same_table(tmp_path, capsys):
    argv = ["sweep", *SMALL, "--jobs", "2", "--out", str(tmp_path / "s.csv"), "--quiet"]
    first = run_command(argv, capsys)
    rows = read_rows(tmp_path / "s.csv")
    again = run_command(argv, capsys)
    assert first[0] == again[0] == 0 and first[1] == again[1]
    assert read_rows(tmp_path / "s.csv") == rows  # every wall time unchanged: nothing was run again


def test_a_grid_file_with_flags_over_it(tmp_path, capsys):
    (tmp_path / "g.toml").write_text('seed = "0:2"\nloss = ["l1", "mse"]\nepochs = 500\n')
    out = tmp_path / "s.csv"
    status, _, err = run_command(
        [
            "sweep",
            "--grid",
            str(tmp_path / "g.toml"),
            "--epochs",
            "20",
            "--jobs",
            "1",
            "--out",
            str(out),
            "--quiet",
        ],
        capsys,
    )
    assert status == 0, err
    assert {(r["epochs"], r["loss"], r["seed"]) for r in read_rows(out)} == {
        ("20", loss, seed) for loss in ("l1", "mse") for seed in "01"
    }


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--lr", "0.02,-1"], "--lr: must be a finite number > 0, got -1.0"),
        (["--seeds", "5:5"], "--seed: the range 5:5 is empty"),
        (["--loss", "l1,hinge"], "--loss: is unknown (choose one of 'l1', 'mse'), got hinge"),
        (["--hidden", "5-x"], "--hidden: '5-x' is not layer sizes such as 5-4"),
        (["--jobs", "0"], "--jobs must be at least 1, got 0"),
        (["--plot", "lr,speed"], "--plot lr,speed: 'speed' is not a Recipe field"),
    ],
)
def test_a_bad_grid_or_option_is_one_line_and_status_2_before_any_run(tmp_path, capsys, argv, message):
    status, printed, err = run_command(["sweep", *argv, "--out", str(tmp_path / "s.csv")], capsys)
    assert status == 2 and printed == ""
    assert err.splitlines() == [f"micrograd44 sweep: error: {err.splitlines()[0].split('error: ', 1)[1]}"]
    assert message in err
    assert list(tmp_path.iterdir()) == []


def test_a_bad_field_in_a_grid_file_names_the_file_and_the_field(tmp_path, capsys):
    (tmp_path / "g.json").write_text('{"seed": "0:2", "weight_int": ["he"]}')
    status, _, err = run_command(
        ["sweep", "--grid", str(tmp_path / "g.json"), "--out", str(tmp_path / "s.csv")], capsys
    )
    assert status == 2
    where = f"micrograd44 sweep: error: {tmp_path / 'g.json'}: weight_int: "
    assert err.startswith(where + "is not a Recipe field (did you mean 'weight_init'?")
    assert len(err.splitlines()) == 1


def test_another_grid_into_the_same_file_is_refused(tmp_path, capsys):
    out = str(tmp_path / "s.csv")
    assert (
        run_command(
            ["sweep", "--seeds", "0:2", "--epochs", "10", "--jobs", "1", "--out", out, "--quiet"], capsys
        )[0]
        == 0
    )
    status, _, err = run_command(["sweep", "--seeds", "0:3", "--epochs", "10", "--out", out], capsys)
    assert status == 2 and "holds the runs of another grid (seed: 0:2 there, 0:3 here)" in err


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_keeps_the_finished_runs_and_the_same_command_finishes_the_others(tmp_path, jobs):
    out = tmp_path / "s.csv"
    # eager runs of 500 epochs (about 0.1 s each): the sweep is still running when Ctrl-C comes
    # (compiled runs of a few milliseconds could all end first, and the signal then meet the exit)
    command = [sys.executable, "-m", "micrograd44", "sweep", "--seeds", "0:60", "--epochs", "500"]
    command += ["--engine", "eager", "--jobs", jobs, "--out", str(out), "--quiet"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    with subprocess.Popen(
        command, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    ) as process:
        while not (out.exists() and len(out.read_text().splitlines()) > 4):
            assert process.poll() is None, process.stderr.read()
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    kept = read_rows(out)
    assert f"Interrupted: {len(kept)} of 60 runs are in {out}" in err
    assert 3 < len(kept) < 60
    finished = subprocess.run(command, capture_output=True, text=True, env=env)
    assert finished.returncode == 0, finished.stderr
    rows = read_rows(out)
    assert [int(r["seed"]) for r in rows] == list(range(60))
    by_seed = {r["seed"]: r for r in rows}
    assert all(by_seed[r["seed"]] == r for r in kept)  # the same rows, wall times too: none ran twice
