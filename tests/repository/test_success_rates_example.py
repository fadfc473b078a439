"""examples/success_rates.py, behind the success table of docs/exercise.md, runs and prints the table."""

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "success_rates.py"


def test_fast_run_prints_a_row_per_loss():
    result = subprocess.run([sys.executable, str(SCRIPT), "--fast"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "6 runs of 100 epochs (400 steps) each"
    assert lines[1].startswith("| loss | solved XOR (of 3 seeds) |")
    assert lines[3].startswith("| L1 (the course) | ") and lines[4].startswith("| MSE | ")


def test_the_eager_engine_in_2_processes_prints_the_same_table():
    runs = [
        subprocess.run([sys.executable, str(SCRIPT), "--fast", *options], capture_output=True, text=True)
        for options in [(), ("--engine", "eager", "--jobs", "2")]
    ]
    assert [run.returncode for run in runs] == [0, 0], [run.stderr for run in runs]
    compiled, eager = (run.stdout.splitlines() for run in runs)
    assert re.fullmatch(r"\d+ s with 1 process\(es\), compiled engine", compiled[-1])
    assert re.fullmatch(r"\d+ s with 2 process\(es\), eager engine", eager[-1])
    assert eager[:-1] == compiled[:-1] and len(compiled) == 7


def test_bad_option_is_one_line_and_status_2():
    result = subprocess.run([sys.executable, str(SCRIPT), "--seeds", "0"], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith("--seeds and --jobs must be at least 1")
