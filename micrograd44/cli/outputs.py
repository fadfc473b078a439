"""The files of a ``micrograd44 train`` run: their table, and the writers of the history, model and recipe.

``write_files`` writes them all into the run's folder (the plot and the pictures only for
a run that finished) and says, in one line each, which could not be written and why.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from ..files import write_text_atomic
from ..training import History
from . import loss_plot, pictures
from .errors import Skipped, skip
from .run_folder import MANIFEST

# file name -> what it holds, in the order they are written and listed
FILES = {
    "history.csv": "the loss of every step (epoch, step, sample, loss)",
    "model.json": "the trained model; MLP.load() reads it",
    "recipe.json": "the recipe that was run",
    "training.png": "loss of every step, with epoch means and their running trend",
    "network.svg": "the network with its parameters",
    "graph.svg": "the computation graph of one step, with its gradients",
    "parameters.svg": "the table of parameters",
}

# rows of history.csv formatted at a time: the file is written in pieces, never held whole
_CSV_ROWS_PER_PIECE = 10_000


def write_files(history: History, out: Path, *, finished: bool) -> tuple[list[str], list[str]]:
    """Write the run's files (and, when ``finished``, its plot and diagrams) to ``out``.

    Returns the names written and the names that could not be written (each said in one line).
    """
    recipe = json.dumps(dataclasses.asdict(history.recipe), indent=2) + "\n"
    writers: dict[str, Callable[[Path], None]] = {
        "history.csv": lambda path: write_text_atomic(path, _history_csv_pieces(history)),
        "model.json": lambda path: save_model(history, path),
        "recipe.json": lambda path: write_text_atomic(path, recipe),
    }
    if finished:
        writers["training.png"] = lambda path: loss_plot.write_plot(history, path)
        writers.update(pictures.step_picture_writers(history))
    written, failed = [], []
    for name, write in writers.items():
        try:
            write(out / name)
            written.append(name)
        except Skipped as skipped:
            skip(name, str(skipped))
        except OSError as error:
            print(
                f"micrograd44 train: error: cannot write {out / name}: {error.strerror or error}",
                file=sys.stderr,
            )
            failed.append(name)
    if not finished:
        skip("training.png and the pictures", "training did not finish")
    return written, failed


def save_model(history: History, path: Path) -> None:
    """model.json; Skipped when a parameter is not finite (JSON cannot hold it)."""
    try:
        history.model.save(path)
    except ValueError as error:
        raise Skipped(str(error)) from None


def _history_csv_pieces(history: History) -> Iterator[str]:
    """The text of history.csv (one row per step; sample 'all' for a full-batch step), in pieces.

    A header, then _CSV_ROWS_PER_PIECE rows at a time.
    """
    per_epoch = history.steps_per_epoch
    steps = len(history.step_losses)
    yield "epoch,step,sample,loss\n"
    for start in range(0, steps, _CSV_ROWS_PER_PIECE):
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        stop = min(start + _CSV_ROWS_PER_PIECE, steps)
        samples, losses = history.samples[start:stop], history.step_losses[start:stop]
        for step, sample, loss in zip(range(start, stop), samples, losses):
            writer.writerow([step // per_epoch, step, "all" if sample is None else sample, repr(loss)])
        yield text.getvalue()


def list_files(written: list[str], out: Path) -> None:
    """Print the files written, with what each holds."""
    print(f"\nWrote to {out}/:")
    width = max(map(len, [*written, MANIFEST]))
    for name in written:
        print(f"  {name:<{width}}  {FILES[name]}")
    print(f"  {MANIFEST:<{width}}  the list of these files: the folder holds this run only")
