"""The course exercise through the Python API: the 44-parameter network learns XOR.

The same run as ``micrograd44 train``, written out for readers who prefer code to a
command: ``Recipe()`` is the course's recipe (MLP 2 -> 5 -> 4 -> 1 with tanh between the
layers and none after the last, N(0, 1) weights, L1 loss, SGD lr 0.02 momentum 0.9,
2001 epochs of 4 single-sample steps), and ``run()`` trains it. The log prints the loss of
the last step of every 50th epoch, as the course's notebook did, so it jumps around even
late in training. Writes the three pictures of the course's submissions: the loss curve,
the network with its 44 parameters, and the table of the parameters.

    python examples/xor_44.py            # 2001 epochs, about 2 s
    python examples/xor_44.py --fast     # 101 epochs, to check the script

The times are wall-clock on a quiet 2-core machine, measured with
`time python examples/xor_44.py`; on a busy machine they take several times longer.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import viz
from micrograd44.training.course import INPUTS, TARGETS, Recipe, build_model, run


def print_log(epoch: int, loss: float, epoch_mean: float) -> None:
    """The course's log line: the loss of the epoch's last single-sample step."""
    print(f"Epoch: {epoch}, Loss: {loss:.4f}")


def plot_losses(step_losses: list[float], steps_per_epoch: int, path: Path) -> Path:
    """Every step's loss, and its running mean over 50 epochs, against the epoch."""
    window = min(50 * steps_per_epoch, len(step_losses))
    running_mean = np.convolve(step_losses, np.ones(window) / window, mode="valid")
    epochs = np.arange(len(step_losses)) / steps_per_epoch
    figure = Figure(figsize=(7, 3.5), layout="constrained")
    axes = figure.subplots()
    axes.plot(epochs, step_losses, lw=0.3, alpha=0.5, label="loss of each single-sample step")
    axes.plot(epochs[window - 1 :], running_mean, lw=2, label=f"mean of the last {window} steps")
    axes.set(xlabel="epoch", ylabel="L1 loss", yscale="log", title="The 44-parameter network learning XOR")
    axes.legend(loc="lower left")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", default="out/examples/", help="folder for the pictures (default: %(default)s)"
    )
    parser.add_argument("--fast", action="store_true", help="101 epochs instead of 2001, to check the script")
    args = parser.parse_args(argv)
    recipe = dataclasses.replace(Recipe(), epochs=101) if args.fast else Recipe()
    out = Path(args.out)

    print(build_model(recipe).summary(), end="\n\n")
    history = run(recipe, on_log=print_log)

    print("\ninput     target   output   rounded at 0.5")
    for x, target, output, rounded in zip(INPUTS, TARGETS, history.predictions, history.rounded):
        print(f"{x[0]:g}, {x[1]:g}      {target:g}   {output:>7.3f}   {rounded}")
    print(f"XOR solved: {history.solved}; mean loss of the last epoch: {history.epoch_losses[-1]:.4f}")

    print(f"wrote {plot_losses(history.step_losses, recipe.steps_per_epoch, out / 'xor_44_loss.png')}")
    print(f"wrote {viz.save(viz.draw_network(history.model), out / 'xor_44_network.svg')}")
    print(f"wrote {viz.save(viz.draw_parameters(history.model), out / 'xor_44_parameters.svg')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
