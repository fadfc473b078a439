"""A results file: made in new folders, resumed at megabytes, rows outside the grid named by line."""

import json

import pytest

from micrograd44.sweep import Grid, ResultsFileError, run_grid
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


def one_row_file(tmp_path, grid_fields):
    """A results file of grid_fields holding its first run, run for real; the file and its row."""
    path = tmp_path / "r.csv"
    run_grid(grid_fields, path, jobs=1)
    header, row = path.read_text(encoding="utf-8").splitlines()[:2]
    return path, header, row


def test_a_results_file_of_megabytes_resumes(tmp_path):
    # 20,000 rows (a few MB): a sweep of grid.MAX_RUNS runs writes far more than one megabyte
    path, header, row = one_row_file(tmp_path, {**GRID, "seed": "0:1"})
    path.write_text("\n".join([header] + [row] * 20_000) + "\n", encoding="utf-8")
    assert path.stat().st_size > 2 * 1024 * 1024
    results = ResultsFile.open(path, Grid({**GRID, "seed": "0:1"}))
    try:
        assert len(results.finished) == 1
    finally:
        results.release()


def test_rows_outside_the_grid_are_refused_naming_five_lines_and_how_many_more(tmp_path):
    path, header, row = one_row_file(tmp_path, {**GRID, "seed": "0:1"})
    path.write_text("\n".join([header] + [row] * 7) + "\n", encoding="utf-8")
    grid_path(path).write_text(json.dumps(Grid({**GRID, "seed": "5:6"}).to_json()), encoding="utf-8")
    with pytest.raises(ResultsFileError) as raised:
        ResultsFile.open(path, Grid({**GRID, "seed": "5:6"}))
    assert "lines 2, 3, 4, 5, 6 and 2 more" in str(raised.value)
