"""The results file of a sweep: one CSV row per finished run, and the grid as JSON beside it.

Rows are appended (and flushed) as runs finish, in the order they finish, so a sweep that
stops for any reason keeps every run it finished; a row cut off half-written is dropped
when the file is opened again. A complete sweep rewrites the file in the grid's order.
Every cell uses the grid's text form of its field (``micrograd44.sweep.grid``), and floats
their shortest exact form, so a row read back equals the row written.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path

from ..files import write_text_atomic
from ..training.course import INPUTS, Recipe
from .grid import Grid, GridError, field_names, format_value, parse_value
from .record import RunResult

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
    """A results file that cannot be resumed: another grid's, or not a sweep's CSV."""


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

    def __init__(self, path: Path, handle, finished: dict[Recipe, RunResult]):
        self.path = path
        self._handle = handle
        self.finished = finished

    @classmethod
    def open(cls, path: str | Path, grid: Grid) -> ResultsFile:
        """Open (or start) the results of the grid at path; ``finished`` holds the runs already in it.

        Raises:
            ResultsFileError: the file holds another grid's runs, or is not a sweep's CSV.
        """
        path = Path(path)
        beside = grid_path(path)
        if path.exists():
            finished = _read(path, beside, grid)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(beside, json.dumps(grid.to_json(), indent=2) + "\n")
            write_text_atomic(path, _csv_text([columns()]))
            finished = {}
        return cls(path, path.open("a", encoding="utf-8", newline=""), finished)

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
        """Close the file."""
        self._handle.close()


def _read(path: Path, beside: Path, grid: Grid) -> dict[Recipe, RunResult]:
    """The finished runs of an existing results file, after checking it holds this grid's runs."""
    try:
        saved = json.loads(beside.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ResultsFileError(f"{path} exists but its grid {beside} cannot be read ({error})") from None
    if saved != grid.to_json():
        changed = [name for name in grid.to_json() if saved.get(name) != grid.to_json()[name]]
        differences = "; ".join(
            f"{name}: {saved.get(name)} there, {grid.to_json()[name]} here" for name in changed
        )
        raise ResultsFileError(f"{path} holds the runs of another grid ({differences}): choose another file")
    text = path.read_text(encoding="utf-8")
    if text and not text.endswith("\n"):  # the last row was cut off mid-write: drop it
        text = text[: text.rfind("\n") + 1]
        write_text_atomic(path, text)
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames != columns():
        raise ResultsFileError(f"{path} does not have the columns of a sweep's results: choose another file")
    finished = {}
    for line, cells in enumerate(reader, start=2):
        try:
            result = from_row(cells)
        except (ValueError, TypeError, GridError) as error:
            raise ResultsFileError(f"{path}, line {line}: not a result row ({error})") from None
        finished[result.recipe] = result
    return finished
