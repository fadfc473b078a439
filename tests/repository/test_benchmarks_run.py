"""The benchmark scripts run and print every engine (a smoke run: no timing is asserted)."""

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def run(script, *args):
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args], capture_output=True, text=True, cwd=BENCHMARKS
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_course_step_prints_every_engine():
    out = run("course_step.py", "--steps", "8", "--repeats", "1")
    for name in ("micrograd44 eager", "pytorch eager float64", "pytorch eager float32", "micrograd (+ tanh)"):
        assert name in out


def test_memory_prints_both_engines():
    out = run("memory.py", "--nodes", "2000")
    assert "micrograd44" in out and "micrograd (+ tanh)" in out


def test_compiled_prints_every_figure():
    out = run("compiled.py", "--quick", "--steps", "8", "--epochs", "2", "--points", "1000")
    for words in ("compiled", "pytorch eager float64", "epochs", "samples", "compile"):
        assert words in out
