"""training.png: the loss of every step of a run, its epoch means and their trend, drawn with matplotlib."""

from __future__ import annotations

from pathlib import Path

import numpy

from ..training import History, block_means
from .errors import matplotlib_missing

# the most points training.png draws as a line; a longer series is drawn as a band
MOST_POINTS_DRAWN = 20_000


def draw_losses(axes, x, losses, label: str, linewidth: float, alpha: float) -> None:
    """A line through (x, loss); past MOST_POINTS_DRAWN points, the band from each bucket's min to max.

    A band of 10,000 buckets looks the same at the picture's 960 pixels and keeps the
    memory of a million-step plot to a few megabytes.
    """
    if len(losses) <= MOST_POINTS_DRAWN:
        axes.plot(x, losses, linewidth=linewidth, alpha=alpha, label=label)
        return
    buckets = MOST_POINTS_DRAWN // 2
    starts = [bucket[0] for bucket in numpy.array_split(x, buckets)]
    parts = numpy.array_split(losses, buckets)
    lows, highs = [part.min() for part in parts], [part.max() for part in parts]
    axes.fill_between(starts, lows, highs, linewidth=0, alpha=alpha, label=f"{label} (range)")


def write_plot(history: History, path: Path) -> None:
    """training.png with matplotlib's Agg canvas; Skipped when matplotlib is missing."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise matplotlib_missing(error) from None
    figure = Figure(figsize=(8, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    per_epoch = history.steps_per_epoch
    steps = numpy.arange(len(history.step_losses))
    draw_losses(axes, steps, numpy.asarray(history.step_losses), "loss of each step", 0.5, 0.5)
    epoch_ends = steps[per_epoch - 1 :: per_epoch]
    draw_losses(axes, epoch_ends, numpy.asarray(history.epoch_losses), "epoch mean", 0.8, 0.8)
    block = history.recipe.print_every
    block_ends = epoch_ends[block - 1 :: block]  # the last step of each complete block of epochs
    axes.plot(
        block_ends,
        block_means(history.epoch_losses, block),
        color="black",
        linewidth=1.5,
        label=f"mean over {block} epochs",
    )
    axes.set_yscale("log")
    axes.set_xlabel("step")
    axes.set_ylabel(f"{history.recipe.loss} loss")
    axes.set_title(f"Training on XOR: {history.model!r}")
    axes.legend()
    figure.savefig(path, dpi=120)
