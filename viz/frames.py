"""What the training replay shows at each snapshot: texts, colours and widths, as viz draws them."""

from __future__ import annotations

import html
import re

from micrograd44 import MLP
from micrograd44.data import XOR_INPUTS, XOR_TARGETS
from micrograd44.training.history import History, Snapshot

from . import legend, style
from .network import WIDTH_BY

# what the caption of draw_network(width_by="grad") calls the quantity of an edge
EDGE_QUANTITY = WIDTH_BY["grad"]


def weight_names(model: MLP) -> list[str]:
    """The names of the model's weights (one edge each in draw_network), layer by layer, neuron by neuron."""
    names = {p: name for name, p in model.named_parameters()}
    return [names[w] for layer in model.layers for neuron in layer.neurons for w in neuron.w]


def widths_legend(weight_grads: list[float]) -> str:
    """The network caption's line on edge widths, for these weight grads."""
    row = legend.sign_rows(EDGE_QUANTITY, style.largest_magnitude(weight_grads), weight_grads)[1]
    return html.unescape(re.sub(r"<[^>]*>", "", row))


def snapshot_model(history: History, snapshot: Snapshot) -> MLP:
    """A copy of the history's model holding the snapshot's values and grads, ready for any viz.draw_*.

    Args:
        history: the History the snapshot belongs to (for the architecture).
        snapshot: one of ``history.snapshots``.

    Returns:
        A new MLP; ``viz.draw_network(snapshot_model(history, s))`` draws the network at that step.
    """
    model = MLP(**history.model.config(), seed=0)
    model.load_state_dict(snapshot.values)
    for name, p in model.named_parameters():
        p.grad = snapshot.grads[name]
    return model


def _edge_look(grad: float, largest: float) -> list:
    """[colour, pen width, dashed] of a weight's edge, from style.signed_edge."""
    attributes = style.signed_edge(grad, largest)
    return [attributes["color"], float(attributes["penwidth"]), attributes.get("style") == "dashed"]


def _step_label(snapshot: Snapshot, last_epoch: int) -> str:
    """The line above the pictures: epoch, step, sample and loss.

    Epochs are counted from 0, as the training log counts them, so a run of 2001 epochs ends
    at epoch 2000: the label says "epoch 450 of 2001 (counted from 0)", never "of 2000".
    """
    if snapshot.sample is None:
        sample = "all 4 samples"
    else:
        x, target = XOR_INPUTS[snapshot.sample], XOR_TARGETS[snapshot.sample]
        sample = f"sample {snapshot.sample}: input ({x[0]:g}, {x[1]:g}), target {target:g}"
    return (
        f"epoch {snapshot.epoch} of {last_epoch + 1} (counted from 0), step {snapshot.step}, {sample}, "
        f"loss {style.format_number(snapshot.loss)}"
    )


def frame(snapshot: Snapshot, names: list[str], weights: list[str], last_epoch: int) -> dict:
    """The page's data for one snapshot (JSON-ready).

    Args:
        snapshot: the Snapshot.
        names: every parameter's name, in the order of the lists returned.
        weights: the weights' names, in the order of the edges returned.
        last_epoch: the run's last epoch, for the label.

    Returns:
        A dict: epoch, step, sample, label; values and grads (numbers) and their texts
        valueText, gradText and gradColour, aligned with names; edges ([colour, width,
        dashed], aligned with weights); widths (the caption line); prediction texts,
        rounded and correct, one per XOR input.
    """
    weight_grads = [snapshot.grads[name] for name in weights]
    largest = style.largest_magnitude(weight_grads)
    values = [snapshot.values[name] for name in names]
    grads = [snapshot.grads[name] for name in names]
    return {
        "epoch": snapshot.epoch,
        "step": snapshot.step,
        "sample": snapshot.sample,
        "label": _step_label(snapshot, last_epoch),
        "values": values,
        "grads": grads,
        "valueText": [style.format_number(v) for v in values],
        "gradText": [style.format_number(g) for g in grads],
        "gradColour": [style.sign_colour(g) for g in grads],
        "edges": [_edge_look(g, largest) for g in weight_grads],
        "widths": widths_legend(weight_grads),
        "predictions": [style.format_number(p) for p in snapshot.predictions],
        "rounded": snapshot.rounded,
        "correct": [r == t for r, t in zip(snapshot.rounded, XOR_TARGETS)],
    }
