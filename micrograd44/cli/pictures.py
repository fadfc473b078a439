"""The pictures of a ``micrograd44 train`` run, drawn by viz: one step's diagrams and the replay page."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from ..training import History
from ..training.course import INPUTS, TARGETS, forward_backward
from .errors import Skipped, skip, viz_import_problem

# The sample drawn in graph.svg: input (1, 1), where both inputs are non-zero, so every
# weight of the first layer gets a gradient too.
PICTURE_SAMPLE = 3


def _picture_step(history: History) -> tuple[list[int], str]:
    """The samples of the step drawn in the pictures, and a title saying what it is."""
    recipe = history.recipe
    if recipe.sampling == "full-batch":
        return list(range(len(INPUTS))), f"one full-batch step of the trained model: mean {recipe.loss} loss"
    x, target = INPUTS[PICTURE_SAMPLE], TARGETS[PICTURE_SAMPLE]
    where = f"input ({x[0]:g}, {x[1]:g}), target {target:g}"
    return [PICTURE_SAMPLE], f"one step of the trained model on {where}: {recipe.loss} loss"


def _draw_step_graph(viz, root, title: str):
    """The step's computation graph; one node per neuron call when every node would be too many."""
    try:
        return viz.draw_graph(root, title=title)
    except viz.GraphTooLargeError:
        return viz.draw_graph(root, collapse="neuron", title=f"{title} (one node per neuron call)")


def step_picture_writers(history: History) -> dict[str, Callable[[Path], None]]:
    """name -> write(path) for network.svg, graph.svg and parameters.svg of one step of the trained model.

    Each raises Skipped when viz, graphviz or Graphviz's dot is missing, or the graph is too large.
    """
    names = ["network.svg", "graph.svg", "parameters.svg"]
    try:
        import viz
    except ImportError as error:
        reason = viz_import_problem(error)
        return {name: functools.partial(_skipped, reason) for name in names}
    model = history.model
    indices, step = _picture_step(history)
    model.zero_grad()
    root = forward_backward(model, history.recipe, indices)
    drawings = {
        "network.svg": lambda: viz.draw_network(model, title=f"{model!r}, grads of {step}"),
        "graph.svg": lambda: _draw_step_graph(viz, root, f"{step} = {root.data:.4f}"),
        "parameters.svg": lambda: viz.draw_parameters(model, title=f"{model!r}, grads of {step}"),
    }
    return {name: functools.partial(save_drawing, viz, draw) for name, draw in drawings.items()}


def save_drawing(viz, draw: Callable, path: Path) -> Path:
    """viz.save(draw(), path); Skipped, saying why, when Graphviz's dot is missing or the graph too large."""
    try:
        return viz.save(draw(), path)
    except (viz.DotNotFoundError, viz.GraphTooLargeError) as error:
        raise Skipped(str(error)) from None


def _skipped(reason: str, path: Path) -> NoReturn:
    """A writer that cannot write: raises Skipped with the reason."""
    raise Skipped(reason)


def write_report(history: History, path: Path | None, *, quiet: bool) -> bool:
    """The --report page (when asked for), with its size; one line saying why when it cannot be written.

    Returns True when the page was written.
    """
    if path is None:
        return False
    try:
        import viz
    except ImportError as error:
        skip(str(path), viz_import_problem(error))
        return False
    if not history.snapshots:
        skip(str(path), "no training step was completed, so there is nothing to replay")
        return False
    try:
        viz.training_report(history, path)
    except viz.DotNotFoundError as error:
        skip(str(path), str(error))
        return False
    except OSError as error:
        skip(str(path), f"cannot write it ({error.strerror or error})")
        return False
    if not quiet:
        size = path.stat().st_size / 1024
        print(f"Wrote {path} ({size:.0f} KB): the training replay, {len(history.snapshots)} snapshots")
    return True
