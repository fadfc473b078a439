"""micrograd44.sweep.results in-process: the cells of a row, the files a ResultsFile writes, what it resumes.

Results are built by hand (no training), so each test checks one piece of the results
file on exact data: the columns, the cell of each kind of value, the bytes on disk after
``open``, ``add`` and ``rewrite``, which rows a resumed file holds, which lines a refusal
names, and that a refused or released file is not left locked.
"""

from __future__ import annotations

import csv
import json
import math
import re

import pytest

from micrograd44.sweep import Grid, ResultsFileError, RunResult
from micrograd44.sweep import results as results_module
from micrograd44.sweep.grid import field_names
from micrograd44.sweep.results import ResultsFile, columns, from_row, grid_path, to_row

GRID = Grid({"seed": "0:3", "epochs": 5})
OTHER = Grid({"seed": "0:4", "epochs": 5})
HEADER = ",".join(columns()) + "\n"


def result(recipe, **changes) -> RunResult:
    """A RunResult made by hand, with distinct values in every field."""
    fields = dict(
        recipe=recipe,
        solved=True,
        solved_epoch=3,
        final_loss=0.1,
        last_epoch_loss=0.30000000000000004,
        diverged=False,
        diverged_step=None,
        predictions=(0.25, 1.0, -0.5, 5e-324),
        seconds=1.5,
    )
    return RunResult(**{**fields, **changes})


def results_of(grid: Grid) -> list[RunResult]:
    """One hand-made result per recipe of the grid, each with its own losses."""
    return [
        result(recipe, final_loss=0.1 * k, seconds=float(k)) for k, recipe in enumerate(grid.recipes(), 1)
    ]


def lines_named(error: ResultsFileError) -> list[int]:
    """The line numbers a refusal names ("line 3", "lines 3, 4, 5 and 2 more"), then the count after "and"."""
    text = str(error)
    listed = re.search(r"lines? ([\d, ]+?)(?: and (\d+) more)?:", text)
    numbers = [int(n) for n in listed.group(1).split(", ")]
    return numbers + ([int(listed.group(2))] if listed.group(2) else [])


# ---- the columns and the cells of a row ----


def test_the_columns_are_the_recipe_fields_then_the_results_named_after_the_xor_inputs():
    assert columns() == [
        *field_names(),
        "solved",
        "solved_epoch",
        "final_loss",
        "last_epoch_loss",
        "diverged",
        "diverged_step",
        "output_00",
        "output_01",
        "output_10",
        "output_11",
        "seconds",
    ]


def test_the_grid_file_sits_beside_the_csv(tmp_path):
    assert grid_path(tmp_path / "runs" / "r.csv") == tmp_path / "runs" / "r.grid.json"


def test_each_kind_of_cell_and_its_way_back():
    [recipe, *_] = GRID.recipes()
    done = result(recipe)
    cells = dict(zip(columns(), to_row(done)))
    assert [cells[name] for name in columns()[len(field_names()) :]] == [
        "True",
        "3",
        "0.1",
        "0.30000000000000004",
        "False",
        "",
        "0.25",
        "1.0",
        "-0.5",
        "5e-324",
        "1.5",
    ]
    assert cells["seed"] == "0" and cells["epochs"] == "5"
    assert from_row(cells) == done


def test_a_diverged_row_keeps_its_step_nan_and_infinities():
    [_, recipe, _] = GRID.recipes()
    done = result(
        recipe,
        solved=False,
        solved_epoch=None,
        final_loss=math.inf,
        last_epoch_loss=None,
        diverged=True,
        diverged_step=0,
        predictions=(math.nan, -math.inf, -0.0, 0.0),
    )
    row = to_row(done)
    cells = dict(zip(columns(), row))
    assert (cells["solved"], cells["solved_epoch"], cells["diverged"], cells["diverged_step"]) == (
        "False",
        "",
        "True",
        "0",
    )
    assert (cells["final_loss"], cells["last_epoch_loss"]) == ("inf", "")
    back = from_row(cells)
    assert (back.solved, back.diverged, back.diverged_step, back.solved_epoch) == (False, True, 0, None)
    assert back.final_loss == math.inf and back.last_epoch_loss is None
    assert math.isnan(back.predictions[0]) and back.predictions[1] == -math.inf
    assert [math.copysign(1.0, p) for p in back.predictions[2:]] == [-1.0, 1.0]
    assert to_row(back) == row


@pytest.mark.parametrize("column", ["solved", "diverged"])
@pytest.mark.parametrize("text", ["true", "1", "", "TRUE"])
def test_a_yes_or_no_cell_is_exactly_true_or_false(column, text):
    [recipe, *_] = GRID.recipes()
    cells = dict(zip(columns(), to_row(result(recipe))))
    cells[column] = text
    with pytest.raises(ValueError):
        from_row(cells)


# ---- a new file, added rows, the rewrite ----


def test_a_new_file_holds_the_header_and_the_grid_beside_it(tmp_path):
    path = tmp_path / "deep" / "er" / "r.csv"
    store = ResultsFile.open(path, GRID)
    try:
        assert store.finished == {} and store.path == path
        assert path.read_text() == HEADER
        assert json.loads(grid_path(path).read_text()) == GRID.to_json()
        assert grid_path(path).read_text().endswith("}\n")
    finally:
        store.release()


def test_added_rows_are_on_disk_before_the_file_is_closed_and_in_finished(tmp_path):
    path = tmp_path / "r.csv"
    first, second, third = results_of(GRID)
    store = ResultsFile.open(path, GRID)
    try:
        store.add([second])
        store.add([third, first])
        assert path.read_text() == HEADER + "".join(
            ",".join(to_row(r)) + "\n" for r in (second, third, first)
        )
        assert store.finished == {r.recipe: r for r in (first, second, third)}
    finally:
        store.release()


def test_a_rewrite_replaces_the_file_by_the_rows_in_the_order_given(tmp_path):
    path = tmp_path / "r.csv"
    ordered = results_of(GRID)
    store = ResultsFile.open(path, GRID)
    try:
        store.add(ordered[::-1])
        store.rewrite(ordered)
    finally:
        store.release()
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [columns(), *(to_row(r) for r in ordered)]
    assert "\r" not in path.read_text()


def test_a_reopened_file_resumes_every_row_it_holds(tmp_path):
    path = tmp_path / "r.csv"
    first, second, third = results_of(GRID)
    store = ResultsFile.open(path, GRID)
    store.add([third, first])
    store.release()
    again = ResultsFile.open(path, GRID)
    try:
        assert again.finished == {third.recipe: third, first.recipe: first}
        again.add([second])
    finally:
        again.release()
    assert len(path.read_text().splitlines()) == 4


# ---- one sweep at a time: the lock ----


def test_a_closed_file_stays_locked_until_released(tmp_path):
    path = tmp_path / "r.csv"
    store = ResultsFile.open(path, GRID)
    store.close()
    with pytest.raises(ResultsFileError):
        ResultsFile.open(path, GRID)
    store.release()
    ResultsFile.open(path, GRID).release()


@pytest.mark.parametrize("damage", ["another grid", "a bad header", "a bad row"])
def test_a_refused_file_is_not_left_locked(tmp_path, damage):
    path = tmp_path / "r.csv"
    store = ResultsFile.open(path, GRID)
    store.add(results_of(GRID)[:1])
    store.release()
    good_csv, good_grid = path.read_text(), grid_path(path).read_text()
    if damage == "another grid":
        grid_path(path).write_text(json.dumps(OTHER.to_json()))
    elif damage == "a bad header":
        path.write_text(good_csv.replace("seconds", "secs", 1))
    else:
        path.write_text(good_csv.replace(",True,", ",yes,", 1))
    with pytest.raises(ResultsFileError):
        ResultsFile.open(path, GRID)
    path.write_text(good_csv)
    grid_path(path).write_text(good_grid)
    store = ResultsFile.open(path, GRID)
    assert len(store.finished) == 1
    store.release()


def test_a_path_under_a_file_is_refused(tmp_path):
    (tmp_path / "plain").write_text("")
    with pytest.raises(ResultsFileError):
        ResultsFile.open(tmp_path / "plain" / "r.csv", GRID)


# ---- what a resumed file may hold ----


def saved_file(tmp_path, results=None):
    """A results file of GRID holding these results (all of them by default), released; its path."""
    path = tmp_path / "r.csv"
    store = ResultsFile.open(path, GRID)
    store.add(results_of(GRID) if results is None else results)
    store.release()
    return path


def test_a_row_cut_off_mid_write_is_dropped_from_the_file_too(tmp_path):
    first, second, _ = results_of(GRID)
    path = saved_file(tmp_path, [first, second])
    whole = path.read_text()
    path.write_text(whole[:-7])
    store = ResultsFile.open(path, GRID)
    try:
        assert store.finished == {first.recipe: first}
        assert path.read_text() == HEADER + ",".join(to_row(first)) + "\n"
    finally:
        store.release()


def test_a_header_cut_off_is_not_a_results_file(tmp_path):
    path = saved_file(tmp_path, [])
    path.write_text(HEADER[:-10])
    with pytest.raises(ResultsFileError):
        ResultsFile.open(path, GRID)


def test_a_grid_beside_it_that_is_a_list_or_another_grid_is_refused(tmp_path):
    path = saved_file(tmp_path)
    grid_path(path).write_text("[1, 2]")
    with pytest.raises(ResultsFileError, match="not a sweep's grid"):
        ResultsFile.open(path, GRID)
    saved = {**GRID.to_json(), "seed": "0:4", "lr": [0.5]}
    grid_path(path).write_text(json.dumps(saved))
    with pytest.raises(ResultsFileError) as caught:
        ResultsFile.open(path, GRID)
    named = re.findall(r"(\w+): (\S+) there, (\S+) here", str(caught.value))
    assert named == [("seed", "0:4", "0:3"), ("lr", "[0.5]", "[0.02]")]  # in the grid's field order


def test_a_grid_beside_it_missing_a_field_names_that_field(tmp_path):
    path = saved_file(tmp_path)
    saved = GRID.to_json()
    del saved["engine"]
    grid_path(path).write_text(json.dumps(saved))
    with pytest.raises(ResultsFileError) as caught:
        ResultsFile.open(path, GRID)
    assert re.findall(r"(\w+): (\S+) there, (\S+) here", str(caught.value)) == [
        ("engine", "None", "['compiled']")
    ]


def test_an_unreadable_grid_beside_it_is_refused(tmp_path):
    path = saved_file(tmp_path)
    grid_path(path).unlink()
    with pytest.raises(ResultsFileError):
        ResultsFile.open(path, GRID)


@pytest.mark.parametrize("outside", [1, 2, 5, 6, 12])
def test_rows_outside_the_grid_are_refused_naming_the_first_five_lines_and_the_rest_counted(
    tmp_path, outside
):
    path = saved_file(tmp_path)
    inside = path.read_text()
    foreign = [to_row(r) for r in results_of(OTHER)][-1]  # seed 3, outside GRID
    path.write_text(inside + "".join(",".join(foreign) + "\n" for _ in range(outside)))
    with pytest.raises(ResultsFileError) as caught:
        ResultsFile.open(path, GRID)
    lines = [5 + k for k in range(outside)]
    expected = lines[:5] + ([outside - 5] if outside > 5 else [])
    assert lines_named(caught.value) == expected
    assert ("lines " in str(caught.value)) == (outside > 1)
    assert path.read_text() == inside + "".join(",".join(foreign) + "\n" for _ in range(outside))


@pytest.mark.parametrize("cells", [3, len(columns()) - 1, len(columns()) + 1, len(columns()) + 4])
def test_a_row_of_the_wrong_length_names_its_line_and_its_cell_count(tmp_path, cells):
    path = saved_file(tmp_path)
    lines = path.read_text().splitlines(keepends=True)
    row = to_row(results_of(GRID)[1])
    changed = (row + ["1"] * 4)[:cells]
    path.write_text("".join([*lines[:2], ",".join(changed) + "\n", *lines[3:]]))
    with pytest.raises(ResultsFileError) as caught:
        ResultsFile.open(path, GRID)
    found = re.search(r", line (\d+): (\d+) cells where a result row has (\d+)", str(caught.value))
    assert [int(n) for n in found.groups()] == [3, cells, len(columns())]


def test_a_cell_that_does_not_parse_names_its_line(tmp_path):
    path = saved_file(tmp_path)
    lines = path.read_text().splitlines(keepends=True)
    row = to_row(results_of(GRID)[2])
    row[columns().index("seconds")] = "soon"
    lines[3] = ",".join(row) + "\n"
    path.write_text("".join(lines))
    with pytest.raises(ResultsFileError) as caught:
        ResultsFile.open(path, GRID)
    assert re.search(r", line (\d+): not a result row", str(caught.value)).group(1) == "4"


def test_a_field_beyond_the_csv_limit_names_its_line(tmp_path):
    path = saved_file(tmp_path)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join([*lines[:2], "x" * 200_000 + "\n", *lines[2:]]))
    with pytest.raises(ResultsFileError) as caught:
        ResultsFile.open(path, GRID)
    assert re.search(r", line (\d+): not CSV", str(caught.value)).group(1) == "3"


def test_a_header_beyond_the_csv_limit_is_line_1(tmp_path):
    path = saved_file(tmp_path)
    path.write_text("x" * 200_000 + "\n")
    with pytest.raises(ResultsFileError) as caught:
        ResultsFile.open(path, GRID)
    assert re.search(r", line (\d+): not CSV", str(caught.value)).group(1) == "1"


@pytest.mark.parametrize("line", [2, 4])
def test_bytes_that_are_not_utf8_name_their_line(tmp_path, line):
    path = saved_file(tmp_path)
    lines = path.read_bytes().splitlines(keepends=True)
    lines[line - 1] = b"\xff" + lines[line - 1]
    path.write_bytes(b"".join(lines))
    with pytest.raises(ResultsFileError) as caught:
        ResultsFile.open(path, GRID)
    assert re.search(r", line (\d+): not UTF-8", str(caught.value)).group(1) == str(line)


def test_a_results_file_over_the_size_bound_is_refused_and_one_at_it_is_read(tmp_path, monkeypatch):
    path = saved_file(tmp_path)
    size = path.stat().st_size
    monkeypatch.setattr(results_module, "RESULTS_MAX_BYTES", size)
    store = ResultsFile.open(path, GRID)
    assert len(store.finished) == 3
    store.release()
    monkeypatch.setattr(results_module, "RESULTS_MAX_BYTES", size - 1)
    with pytest.raises(ResultsFileError, match=f"larger than {size - 1:,} bytes"):
        ResultsFile.open(path, GRID)


def test_a_grid_file_over_its_size_bound_is_refused(tmp_path, monkeypatch):
    path = saved_file(tmp_path)
    size = grid_path(path).stat().st_size
    monkeypatch.setattr(results_module, "GRID_JSON_MAX_BYTES", size)
    ResultsFile.open(path, GRID).release()
    monkeypatch.setattr(results_module, "GRID_JSON_MAX_BYTES", size - 1)
    with pytest.raises(ResultsFileError):
        ResultsFile.open(path, GRID)


def test_the_files_are_read_within_256_and_64_mib(tmp_path, monkeypatch):
    path = saved_file(tmp_path)
    bounds = []

    def recorder(real):
        def recorded(where, max_bytes):
            bounds.append((where, max_bytes))
            return real(where, max_bytes)

        return recorded

    monkeypatch.setattr(results_module, "read_bounded", recorder(results_module.read_bounded))
    monkeypatch.setattr(results_module, "read_json", recorder(results_module.read_json))
    ResultsFile.open(path, GRID).release()
    assert bounds == [(grid_path(path), 64 * 2**20), (path, 256 * 2**20)]


def test_a_results_file_that_cannot_be_read_is_refused(tmp_path, monkeypatch):
    path = saved_file(tmp_path)

    def unreadable(where, max_bytes):
        raise PermissionError(13, "Permission denied", str(where))

    monkeypatch.setattr(results_module, "read_bounded", unreadable)
    with pytest.raises(ResultsFileError, match="Permission denied"):
        ResultsFile.open(path, GRID)


def test_a_utf8_error_after_an_empty_first_line_is_on_line_2(tmp_path):
    path = saved_file(tmp_path)
    path.write_bytes(b"\n\xff" + path.read_bytes())
    with pytest.raises(ResultsFileError) as caught:
        ResultsFile.open(path, GRID)
    assert re.search(r", line (\d+): not UTF-8", str(caught.value)).group(1) == "2"


def test_a_file_that_cannot_be_started_is_refused_naming_why_and_left_unlocked(tmp_path, monkeypatch):
    path = tmp_path / "r.csv"

    def failing(where, text):
        raise OSError("the disk is on fire")

    with monkeypatch.context() as patch:
        patch.setattr(results_module, "write_text_atomic", failing)
        with pytest.raises(ResultsFileError, match="the disk is on fire"):
            ResultsFile.open(path, GRID)
    ResultsFile.open(path, GRID).release()
