"""training_report: one self-contained HTML page that replays a training run snapshot by snapshot."""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

from micrograd44.data import XOR_INPUTS, XOR_TARGETS
from micrograd44.files import write_text_atomic
from micrograd44.training.history import History

from . import report_page
from .frames import frame, weight_names
from .live_svg import live_pictures
from .loss_curve import loss_curve

# milliseconds between snapshots when playing
PLAY_INTERVAL = 400


def training_report(history: History, path: str | os.PathLike) -> Path:
    """Write one HTML page that replays the training: a slider and play/pause over the snapshots.

    For the snapshot shown, the page has the network diagram of ``draw_network`` (each
    edge coloured and widened by its weight's gradient at that step, every value and grad
    in the neurons), the parameter table of ``draw_parameters``, the loss curve with a
    marker at that epoch, and the truth table of the model's predictions at that step.
    Graphviz lays the two pictures out once; the page's script then only swaps in each
    snapshot's numbers, colours and widths, precomputed here. The file is self-contained:
    no network access, no external scripts, styles or fonts (its Content-Security-Policy
    forbids them). About 0.3 MB for the course recipe with a snapshot every 50 epochs.

    Args:
        history: a History with snapshots: ``run(recipe, snapshot_every=50)``; a history
            stopped by TrainingDiverged or TrainingInterrupted works too.
        path: the .html file to write (its folder is created if needed).

    Returns:
        pathlib.Path: the path written.

    Raises:
        ValueError: the history has no snapshots.
        DotNotFoundError: Graphviz's ``dot`` is missing; nothing was written.

    Example:
        >>> from micrograd44.training.course import Recipe, run
        >>> history = run(Recipe(), snapshot_every=50)
        >>> training_report(history, "out/report.html")  # doctest: +SKIP
        PosixPath('out/report.html')
    """
    if not history.snapshots:
        raise ValueError(
            "the history has no snapshots to replay: train with run(recipe, snapshot_every=50) "
            "(micrograd44 train --report FILE does)"
        )
    path = Path(path)
    model, recipe = history.model, history.recipe
    names = [name for name, _ in model.named_parameters()]
    weights = weight_names(model)
    last_epoch = max(recipe.epochs - 1, history.snapshots[-1].epoch)
    curve = loss_curve(history.epoch_losses, history.snapshots, recipe.loss, recipe.print_every)
    pictures = live_pictures(model)
    data = {
        "names": names,
        "weights": [names.index(name) for name in weights],
        "interval": PLAY_INTERVAL,
        "markers": curve.markers,
        "snapshots": [frame(s, names, weights, last_epoch) for s in history.snapshots],
    }
    title = f"Training replay: {model!r}"
    page = report_page.PAGE.substitute(
        title=html.escape(title),
        recipe=html.escape(_describe(history)),
        style=report_page.STYLE,
        last=len(history.snapshots) - 1,
        network=pictures["network"],
        loss=curve.svg,
        truth=_truth_table(),
        table=pictures["table"],
        data=json.dumps(data, allow_nan=False, separators=(",", ":")).replace("</", "<\\/"),
        script=report_page.SCRIPT,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, page)
    return path


def _describe(history: History) -> str:
    """One line on the recipe and the snapshots."""
    recipe = history.recipe
    momentum = f", momentum {recipe.momentum:g}" if recipe.optimizer == "sgd" else ""
    steps = len(history.step_losses)
    return (
        f"{recipe.loss} loss, {recipe.optimizer} lr {recipe.lr:g}{momentum}, {recipe.sampling} sampling, "
        f"seed {recipe.seed}; {steps} steps trained. {len(history.snapshots)} snapshots, each taken "
        "after a step's backward, before its update."
    )


def _truth_table() -> str:
    """The truth table's HTML: inputs and targets, with cells the script fills per snapshot."""
    rows = [
        f'<tr id="row-{i}"><td>({x[0]:g}, {x[1]:g})</td><td>{target:g}</td><td id="prediction-{i}"></td>'
        f'<td id="rounded-{i}"></td><td id="correct-{i}"></td></tr>'
        for i, (x, target) in enumerate(zip(XOR_INPUTS, XOR_TARGETS))
    ]
    header = "<tr><th>input</th><th>target</th><th>prediction</th><th>rounded</th><th>correct</th></tr>"
    return f'<table class="truth">{header}{"".join(rows)}</table>'
