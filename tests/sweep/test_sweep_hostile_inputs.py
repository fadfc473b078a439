"""`micrograd44 sweep` given hostile grids, ranges and results files: one line, status 2, nothing run.

Every case runs the command in a subprocess with a bounded timeout (a FIFO once blocked
forever, /dev/zero and `--seeds 0:1000000000` ate all memory) and checks that the error
is one line naming the file (and line) or flag, and that no run started.
"""

import csv
import os
import subprocess
import sys

import pytest
from cli_runs import ROOT

from micrograd44.sweep import Grid, GridError
from micrograd44.sweep.grid import MAX_RUNS

TINY = ["--seeds", "0:3", "--epochs", "5", "--print-every", "5", "--jobs", "1", "--quiet"]
TIMEOUT = 120  # a ceiling for a command that should answer at once, not a measure of speed


def sweep(*argv, cwd=None) -> subprocess.CompletedProcess:
    """`micrograd44 sweep ARGV` in a new Python process."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "micrograd44", "sweep", *map(str, argv)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or ROOT,
        timeout=TIMEOUT,
    )


def refused(finished: subprocess.CompletedProcess) -> str:
    """The one line of a refusal with status 2 (asserted), without the command's prefix."""
    assert finished.returncode == 2, finished.stderr
    assert finished.stdout == ""
    [line] = finished.stderr.splitlines()
    assert line.startswith("micrograd44 sweep: error: ")
    return line.removeprefix("micrograd44 sweep: error: ")


# ---- grid files ----


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("g.json", b'{"seed": "0:2", "loss": "\xff"}', "is not UTF-8 text (byte 25)"),
        ("g.json", b"[" * 100_000 + b"]" * 100_000, "is not readable as JSON (nested too deeply)"),
        (
            "g.toml",
            b"seed = " + b"[" * 100_000 + b"]" * 100_000,
            "is not readable as TOML (nested too deeply)",
        ),
        ("g.json", b'{"lr": {"a": 1}}', "lr: {'a': 1} is not a number"),
        ("g.json", b'{"loss": [["l1"], ["mse"]]}', "loss: ['l1'] is not a name"),
        ("g.json", b'{"hidden": [[[5]]]}', "hidden: layer sizes must be integers, e.g. [5, 4], got [[5]]"),
        ("g.json", b"[]", "must hold a table of {field: values}"),
        ("g.json", b'{"seed": "' + b"1" * 5000 + b'"}', "seed: '1111111111"),
    ],
)
def test_a_damaged_grid_file_is_one_line_naming_it(tmp_path, name, content, words):
    (tmp_path / name).write_bytes(content)
    line = refused(sweep("--grid", tmp_path / name, "--out", tmp_path / "s.csv"))
    assert line.startswith(f"{tmp_path / name}: ") and words in line
    assert len(line) < 300
    assert not (tmp_path / "s.csv").exists()


def test_a_grid_file_that_is_a_device_is_refused_without_reading_it(tmp_path):
    line = refused(sweep("--grid", "/dev/zero", "--out", tmp_path / "s.csv"))
    assert line == "/dev/zero: it is a character device, not a regular file"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_grid_file_that_is_a_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "g.json")
    line = refused(sweep("--grid", tmp_path / "g.json", "--out", tmp_path / "s.csv"))
    assert line == f"{tmp_path / 'g.json'}: it is a FIFO (named pipe), not a regular file"


def test_a_grid_file_over_the_size_bound_is_refused(tmp_path):
    (tmp_path / "g.json").write_text('{"seed": [' + ", ".join(["1"] * 600_000) + "]}")
    line = refused(sweep("--grid", tmp_path / "g.json", "--out", tmp_path / "s.csv"))
    assert "too large for a grid file" in line


# ---- huge ranges ----


def test_a_billion_seeds_are_one_line_at_once_not_a_list():
    line = refused(sweep("--seeds", "0:1000000000", "--out", "unused.csv"))
    assert line == f"--seed: has 1,000,000,000 values, more than the {MAX_RUNS:,} runs a sweep may have"
    assert not (ROOT / "unused.csv").exists()


def test_a_grid_over_the_bound_is_refused_naming_its_size(tmp_path):
    line = refused(sweep("--seeds", f"0:{MAX_RUNS}", "--lr", "0.1,0.2", "--out", tmp_path / "s.csv"))
    assert f"makes the grid {2 * MAX_RUNS:,} runs, more than the {MAX_RUNS:,}" in line


def test_ranges_are_counted_and_checked_without_listing_them():
    with pytest.raises(GridError, match="has 10,000,000,000,000,000,000,000,000,000,000 values"):
        Grid({"seed": "0:10000000000000000000000000000000"})
    with pytest.raises(GridError, match="epochs: must be an integer >= 0, got -1"):
        Grid({"epochs": range(-1, MAX_RUNS - 1)})
    with pytest.raises(GridError, match="seed: 5 is given twice"):
        Grid({"seed": "0:10,5:8"})
    grid = Grid({"seed": f"0:{MAX_RUNS}"})
    assert len(grid) == MAX_RUNS and grid.to_json()["seed"] == f"0:{MAX_RUNS}"


# ---- resuming from a damaged results file ----


def finished_sweep(out) -> list[str]:
    """Run the TINY sweep into out; the CSV's lines."""
    finished = sweep(*TINY, "--out", out)
    assert finished.returncode == 0, finished.stderr
    return out.read_text().splitlines(keepends=True)


def test_a_short_row_is_one_line_naming_its_line(tmp_path):
    out = tmp_path / "s.csv"
    lines = finished_sweep(out)
    out.write_text("".join([*lines[:2], "0,1,2\n", *lines[3:]]))
    line = refused(sweep(*TINY, "--out", out))
    assert line.startswith(f"{out}, line 3: 3 cells where a result row has ")


def test_a_long_row_is_one_line_naming_its_line(tmp_path):
    out = tmp_path / "s.csv"
    lines = finished_sweep(out)
    out.write_text("".join([*lines[:3], lines[3].rstrip("\n") + ",extra\n"]))
    line = refused(sweep(*TINY, "--out", out))
    assert line.startswith(f"{out}, line 4: ") and "cells where a result row has" in line


def test_a_results_file_with_bytes_that_are_not_utf8_is_one_line(tmp_path):
    out = tmp_path / "s.csv"
    lines = finished_sweep(out)
    out.write_bytes("".join(lines[:2]).encode() + b"\xff\xfe,1\n")
    line = refused(sweep(*TINY, "--out", out))
    assert line.startswith(f"{out}, line 3: not UTF-8 text (byte ")


@pytest.mark.parametrize(
    "content, words", [("[]", "not a sweep's grid"), ("[" * 100_000 + "]" * 100_000, "nested too deeply")]
)
def test_a_damaged_grid_json_beside_the_results_is_one_line(tmp_path, content, words):
    out = tmp_path / "s.csv"
    finished_sweep(out)
    (tmp_path / "s.grid.json").write_text(content)
    line = refused(sweep(*TINY, "--out", out))
    assert str(tmp_path / "s.grid.json") in line and words in line


def test_a_results_path_that_is_a_folder_is_one_line(tmp_path):
    (tmp_path / "s.csv").mkdir()
    line = refused(sweep(*TINY, "--out", tmp_path / "s.csv"))
    assert line.startswith(f"{tmp_path / 's.csv'}: ") and "folder" in line
    assert list((tmp_path / "s.csv").iterdir()) == []


def test_rows_outside_the_grid_are_refused_naming_them_and_kept(tmp_path):
    out = tmp_path / "s.csv"
    lines = finished_sweep(out)
    foreign = lines[1].replace("5,", "7,", 1)  # the same run with another epochs value
    assert foreign != lines[1]
    out.write_text("".join([*lines, foreign]))
    before = out.read_text()
    line = refused(sweep(*TINY, "--out", out))
    assert line.startswith(f"{out}, line 5: runs outside this grid")
    assert out.read_text() == before
    with open(out, newline="") as handle:
        assert [row["epochs"] for row in csv.DictReader(handle)] == ["5", "5", "5", "7"]
