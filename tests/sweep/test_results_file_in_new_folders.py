"""A sweep's results file opened where its folders do not exist yet: they are made, and the file resumes."""

import json

from micrograd44.sweep import Grid
from micrograd44.sweep.results import ResultsFile, columns, grid_path

GRID = {"seed": "0:2", "loss": ["l1"], "lr": [0.1], "epochs": 5, "print_every": 5}


def test_a_results_file_in_folders_that_do_not_exist_makes_them(tmp_path):
    path = tmp_path / "sweeps" / "today" / "results.csv"
    grid = Grid(GRID)
    results = ResultsFile.open(path, grid)
    try:
        assert results.finished == {}
    finally:
        results.release()
    assert path.read_text(encoding="utf-8").splitlines() == [",".join(columns())]
    assert json.loads(grid_path(path).read_text(encoding="utf-8")) == grid.to_json()
    again = ResultsFile.open(path, grid)  # resumed: the same grid, no rows yet
    again.release()
