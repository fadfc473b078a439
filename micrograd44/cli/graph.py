"""``micrograd44 graph``: the pictures of the 44-parameter model after the first step of the course recipe."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from ..core.value import Value
from ..nn import MLP
from ..training.course import INPUTS, TARGETS, Recipe, build_model, forward_backward, run
from . import run_folder
from .errors import CommandError, Skipped, viz_import_problem
from .pictures import save_drawing

# --what -> the file names it writes (without the format suffix)
PICTURES = {
    "graph": ["graph"],
    "network": ["network"],
    "parameters": ["parameters"],
    "all": ["graph", "network", "parameters"],
}
FORMATS = ("svg", "png", "pdf")
GROUPS = ("neuron", "layer")


def register(subparsers) -> None:
    """Add the ``graph`` sub-command."""
    parser = subparsers.add_parser(
        "graph",
        help="draw the 44-parameter model after one training step: graph, network, parameters",
        description=(
            "Draw the course's 44-parameter model at its initial weights with the gradients of "
            "the recipe's first training step (one XOR sample, L1 loss): the computation graph "
            "with the gradient on every edge, the network diagram and the parameter table. "
            "Needs Graphviz's dot program."
        ),
    )
    parser.add_argument("--what", choices=list(PICTURES), default="all", help="(default: %(default)s)")
    parser.add_argument("--format", choices=FORMATS, default="svg", help="(default: %(default)s)")
    parser.add_argument(
        "--group",
        choices=GROUPS,
        default=None,
        help="cluster the computation graph per neuron or per layer (default: no clusters)",
    )
    parser.add_argument(
        "--out",
        default="out/first-step/",
        metavar="DIR",
        help="folder for the pictures; it holds one run of this command at a time, never the files of "
        "`micrograd44 train` (default: %(default)s)",
    )
    parser.set_defaults(run=run_command)


def run_command(args: argparse.Namespace) -> int:
    """Draw the pictures asked for and list the files written.

    The --out folder follows run_folder's rule: the pictures of an earlier run of this
    command there are replaced as a whole; a folder of `micrograd44 train` is refused.
    """
    names = [f"{name}.{args.format}" for name in PICTURES[args.what]]
    folder = run_folder.claim(args.out, "graph", names)
    folder.begin(names)
    written = write_pictures(folder.path, PICTURES[args.what], args.format, args.group)
    folder.finish([path.name for path in written])
    for path in [*written, folder.path / run_folder.MANIFEST]:
        print(f"wrote {path}")
    return 0


def first_step(recipe: Recipe) -> tuple[MLP, Value, int]:
    """The recipe's model at its initial weights, after the backward of its first training step.

    Returns the model, the step's loss (its grads filled in) and the XOR sample it drew.
    """
    sample = run(dataclasses.replace(recipe, epochs=1)).samples[0]
    model = build_model(recipe)
    loss = forward_backward(model, recipe, [sample])
    return model, loss, sample


def write_pictures(out: Path, names: list[str], fmt: str, group: str | None = None) -> list[Path]:
    """Write the named pictures of the course recipe's first step to ``out``; the paths written.

    Raises:
        CommandError: the viz package or Graphviz is missing, or a file cannot be written.
    """
    try:
        import viz
    except ImportError as error:
        raise CommandError(f"the pictures: {viz_import_problem(error)}") from None
    recipe = Recipe()
    model, loss, sample = first_step(recipe)
    loss.label = f"{recipe.loss} loss"
    x = ", ".join(f"{v:g}" for v in INPUTS[sample])
    title = (
        f"First training step of the course recipe: sample {sample}, input ({x}), "
        f"target {TARGETS[sample]:g}; {recipe.loss.upper()} loss = {loss.data:.4f}"
    )
    drawings = {
        "graph": lambda: viz.draw_graph(loss, group=group, title=title),
        "network": lambda: viz.draw_network(model),
        "parameters": lambda: viz.draw_parameters(model),
    }
    written = []
    for name in names:
        try:
            written.append(save_drawing(viz, drawings[name], out / f"{name}.{fmt}"))
        except Skipped as error:  # Graphviz's dot is missing
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"cannot write {out / name}.{fmt}: {error.strerror or error}") from None
    return written
