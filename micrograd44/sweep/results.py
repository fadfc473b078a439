"""The results file of a sweep: one CSV row per finished run, and the grid as JSON beside it.

Rows are appended (and flushed) as runs finish, in the order they finish, so a sweep that
stops for any reason keeps every run it finished; a row cut off half-written is dropped
when the file is opened again. A complete sweep rewrites the file in the grid's order.
A file is resumed only when every row is a run of the grid (nothing is dropped when it
is rewritten), and by one sweep at a time (see ``lock``).
Every cell uses the grid's text form of its field (``micrograd44.sweep.grid``), and floats
their shortest exact form, so a row read back equals the row written.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path

from ..files import read_bounded, read_json, writable_destination, write_text_atomic
from ..training.course import INPUTS, Recipe
from .grid import Grid, GridError, field_names, format_value, parse_value
from .lock import ResultsLock, ResultsLocked
from .record import RunResult

# A results file holds at most grid.MAX_RUNS rows of well under 1 kB; the bounds refuse
# anything far larger (a device, a wrong file) before reading it.
RESULTS_MAX_BYTES = 256 * 1024 * 1024
GRID_JSON_MAX_BYTES = 64 * 1024 * 1024

# how many line numbers a refusal lists before "and N more"
_LISTED = 5

# one column per model output, named after its input: output_00, output_01, output_10, output_11
OUTPUT_COLUMNS = ["output_" + "".join(f"{x:g}" for x in inputs) for inputs in INPUTS]
RESULT_COLUMNS = [
    "solved",
    "solved_epoch",
    "final_loss",
    "last_epoch_loss",
    "diverged",
    "diverged_step",
    *OUTPUT_COLUMNS,
    "seconds",
]


class ResultsFileError(ValueError):
    """A results file that cannot be resumed or written: another grid's, not a sweep's CSV,
    rows outside the grid, not a regular file, or one another sweep is writing."""


def columns() -> list[str]:
    """The CSV header: every Recipe field, then the results."""
    return [*field_names(), *RESULT_COLUMNS]


def grid_path(path: Path) -> Path:
    """The grid's JSON beside the CSV: results.csv -> results.grid.json."""
    return path.with_name(f"{path.stem}.grid.json")


def _cell(value) -> str:
    """A result cell: '' for None, True/False, exact floats."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def to_row(result: RunResult) -> list[str]:
    """The CSV cells of one result, in ``columns()`` order."""
    recipe = [format_value(name, getattr(result.recipe, name)) for name in field_names()]
    outcome = [
        result.solved,
        result.solved_epoch,
        result.final_loss,
        result.last_epoch_loss,
        result.diverged,
        result.diverged_step,
        *result.predictions,
        result.seconds,
    ]
    return recipe + [_cell(value) for value in outcome]


def _optional(kind: type, text: str):
    """None for an empty cell, else the text read as kind."""
    return None if text == "" else kind(text)


def _bool(text: str) -> bool:
    """'True' or 'False' back to a bool."""
    if text not in ("True", "False"):
        raise ValueError(f"expected True or False, got {text!r}")
    return text == "True"


def from_row(cells: dict[str, str]) -> RunResult:
    """A result from its CSV row (a dict by column name)."""
    recipe = Recipe(**{name: parse_value(name, cells[name]) for name in field_names()})
    return RunResult(
        recipe=recipe,
        solved=_bool(cells["solved"]),
        solved_epoch=_optional(int, cells["solved_epoch"]),
        final_loss=_optional(float, cells["final_loss"]),
        last_epoch_loss=_optional(float, cells["last_epoch_loss"]),
        diverged=_bool(cells["diverged"]),
        diverged_step=_optional(int, cells["diverged_step"]),
        predictions=tuple(float(cells[name]) for name in OUTPUT_COLUMNS),
        seconds=float(cells["seconds"]),
    )


def _csv_text(rows: Iterable[list[str]]) -> str:
    """Rows as CSV text, one line each."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    return text.getvalue()


class ResultsFile:
    """A sweep's CSV, opened to add the runs still missing (see ``open``)."""

    def __init__(self, path: Path, handle, finished: dict[Recipe, RunResult], lock: ResultsLock):
        self.path = path
        self._handle = handle
        self.finished = finished
        self._lock = lock

    @classmethod
    def open(cls, path: str | Path, grid: Grid) -> ResultsFile:
        """Lock and open (or start) the grid's results at path; ``finished`` holds the runs already in it.

        The lock is held until ``release()``: a second sweep of the same file is refused.

        Raises:
            ResultsFileError: one line naming the file (and line): another grid's runs, not
                a sweep's CSV, rows outside the grid, not a regular file, cannot be
                written, or locked by another sweep (naming its process).
        """
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            writable_destination(path)  # a folder, a FIFO or a device is refused
            lock = ResultsLock(path)
        except ResultsLocked as error:
            raise ResultsFileError(f"{error}; wait for it to finish, or choose another file") from None
        except OSError as error:
            raise ResultsFileError(f"{path}: {error.strerror or error}") from None
        try:
            if path.exists():
                finished = _read(path, grid_path(path), grid)
            else:
                write_text_atomic(grid_path(path), json.dumps(grid.to_json(), indent=2) + "\n")
                write_text_atomic(path, _csv_text([columns()]))
                finished = {}
            handle = path.open("a", encoding="utf-8", newline="")
        except OSError as error:
            lock.release()
            raise ResultsFileError(f"{path}: {error.strerror or error}") from None
        except BaseException:
            lock.release()
            raise
        return cls(path, handle, finished, lock)

    def add(self, results: list[RunResult]) -> None:
        """Append the results' rows and flush them, so they outlive this process."""
        self._handle.write(_csv_text(to_row(result) for result in results))
        self._handle.flush()
        for result in results:
            self.finished[result.recipe] = result

    def rewrite(self, ordered: list[RunResult]) -> None:
        """Close the file and replace it, atomically, by these results in this order (the grid's)."""
        self._handle.close()
        write_text_atomic(self.path, _csv_text([columns(), *(to_row(result) for result in ordered)]))

    def close(self) -> None:
        """Close the file (the lock is kept until ``release``)."""
        self._handle.close()

    def release(self) -> None:
        """Close the file and let another sweep have it."""
        self._handle.close()
        self._lock.release()


def _read(path: Path, beside: Path, grid: Grid) -> dict[Recipe, RunResult]:
    """The finished runs of an existing results file, after checking it holds this grid's runs."""
    try:
        saved = read_json(beside, GRID_JSON_MAX_BYTES)
    except (OSError, ValueError) as error:
        raise ResultsFileError(f"{path} exists but its grid {beside} cannot be read ({error})") from None
    if not isinstance(saved, dict):
        raise ResultsFileError(
            f"{beside}: not a sweep's grid (a table of {{field: values}}); choose another file"
        )
    if saved != grid.to_json():
        changed = [name for name in grid.to_json() if saved.get(name) != grid.to_json()[name]]
        differences = "; ".join(
            f"{name}: {saved.get(name)} there, {grid.to_json()[name]} here" for name in changed
        )
        raise ResultsFileError(f"{path} holds the runs of another grid ({differences}): choose another file")
    text = _read_text(path)
    if text and not text.endswith("\n"):  # the last row was cut off mid-write: drop it
        text = text[: text.rfind("\n") + 1]
        write_text_atomic(path, text)
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = reader.fieldnames
    except csv.Error as error:
        raise ResultsFileError(f"{path}, line 1: not CSV ({error})") from None
    if header != columns():
        raise ResultsFileError(f"{path} does not have the columns of a sweep's results: choose another file")
    finished, outside = {}, []
    try:
        for cells in reader:
            result = _result(path, reader.line_num, cells)
            if result.recipe not in grid:
                outside.append(reader.line_num)
            finished[result.recipe] = result
    except csv.Error as error:
        raise ResultsFileError(f"{path}, line {reader.reader.line_num}: not CSV ({error})") from None
    if outside:
        raise ResultsFileError(
            f"{path}, {_lines(outside)}: runs outside this grid, which rewriting the file would drop; "
            "move them to another file, or choose another file"
        )
    return finished


def _read_text(path: Path) -> str:
    """The text of a results CSV, bounded in size; ResultsFileError when it is not readable UTF-8."""
    try:
        data = read_bounded(path, RESULTS_MAX_BYTES)
    except (OSError, ValueError) as error:
        raise ResultsFileError(
            f"{path}: cannot be read ({getattr(error, 'strerror', None) or error})"
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ResultsFileError(f"{path}, line {line}: not UTF-8 text (byte {error.start})") from None


def _result(path: Path, line: int, cells: dict) -> RunResult:
    """The RunResult of one row; ResultsFileError naming the line when the row is not one."""
    if None in cells or None in cells.values():  # DictReader's marks of a row too long or too short
        count = len(columns()) - list(cells.values()).count(None) + len(cells.get(None, []))
        raise ResultsFileError(f"{path}, line {line}: {count} cells where a result row has {len(columns())}")
    try:
        return from_row(cells)
    except (ValueError, TypeError, GridError) as error:
        raise ResultsFileError(f"{path}, line {line}: not a result row ({error})") from None


def _lines(numbers: list[int]) -> str:
    """'line 5', or 'lines 5, 7, 9' with up to _LISTED numbers, then 'and N more'."""
    shown = ", ".join(str(number) for number in numbers[:_LISTED])
    more = f" and {len(numbers) - _LISTED} more" if len(numbers) > _LISTED else ""
    return f"line {shown}" if len(numbers) == 1 else f"lines {shown}{more}"
