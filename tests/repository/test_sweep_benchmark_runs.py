"""benchmarks/sweep.py prints every contender and the Dask overhead (a smoke run: no timing is asserted)."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_the_quick_sweep_benchmark_prints_every_contender_and_the_overhead():
    pytest.importorskip("distributed")
    result = subprocess.run(
        [sys.executable, "-c", "import sweep; sweep.main(sweep.QUICK)"],
        capture_output=True,
        text=True,
        cwd=BENCHMARKS,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    rows = {line[:20].strip(): line[20:].split() for line in result.stdout.splitlines()[2:5]}
    assert list(rows) == ["1 local process", "2 local processes", "Dask, 2 workers"]
    assert all(float(runs_per_second) > 0 for runs_per_second, _ in rows.values())
    assert "one Dask task:" in result.stdout and "of a run" in result.stdout
