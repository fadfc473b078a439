"""What the loss is: one number that says how wrong the predictions are, and whose gradient drives training.

Part 1 asks each loss for the gradient it sends back to one prediction, for the same
errors: L1, |p - t|, sends back only the sign of the error, the same push whether the
output is a little or very wrong; MSE, (p - t)^2, sends back 2 (p - t), a push that
grows with the error and fades near the target. Cross-entropy on a raw score s (target 1)
sends back sigmoid(s) - 1: the probability's error.

Part 2 trains the course recipe (seed 2) with L1, the course's loss, and with MSE, and
compares the final outputs on one yardstick, their mean distance from the targets.
Part 3 counts over many seeds how often each loss solves XOR. loss.png plots the
gradients against the error and the two training curves. The runs use the compiled engine:
the eager engine's results bit for bit, over a hundred times faster with a C compiler
(``--engine eager`` prints the same numbers the slow way).

    python examples/loss.py              # 2 runs shown + 2 x 50 seeds, about 5 s (eager: 2 to 3 min)
    python examples/loss.py --jobs 2     # the seeds in 2 processes
    python examples/loss.py --fast       # 3 seeds and 50 epochs, to check the script

The times are wall-clock on a quiet 2-core machine, measured with
`time python examples/loss.py`; on a busy machine they take several times longer.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from pathlib import Path

import numpy as np
from helpers import sweep  # examples/helpers/sweep.py: the command line every sweep shares
from matplotlib.figure import Figure

from micrograd44 import Value
from micrograd44.losses import bce_with_logits, l1_loss, mse_loss
from micrograd44.training import History
from micrograd44.training.course import TARGETS, Recipe, run

ERRORS = [-2.0, -1.0, -0.5, -0.1, 0.0, 0.1, 0.5, 1.0, 2.0]
SCORES = [-4.0, -2.0, 0.0, 2.0, 4.0]
TARGET = 1.0
LOSS_NAMES = {"l1": "L1 (the course)", "mse": "MSE"}
SHOWN_SEED = 2


def loss_and_gradient(loss_function, prediction: float, target: float) -> tuple[float, float]:
    """The loss of one prediction and d(loss)/d(prediction), by backward()."""
    p = Value(prediction)
    loss = loss_function(p, target)
    loss.backward()
    return loss.data, p.grad


def distance_from_targets(predictions: list[float]) -> float:
    """The mean |output - target| of the final outputs: one yardstick for both losses."""
    return statistics.fmean(abs(p - t) for p, t in zip(predictions, TARGETS))


def plot(trained: dict[str, History], path: Path) -> Path:
    """Left: each loss's gradient against the error; right: the loss while training."""
    figure = Figure(figsize=(10, 3.8), layout="constrained")
    gradients, curves = figure.subplots(1, 2)
    errors = np.linspace(-2, 2, 81)
    for name, loss_function in [("L1", l1_loss), ("MSE", mse_loss)]:
        slopes = [loss_and_gradient(loss_function, TARGET + e, TARGET)[1] for e in errors]
        gradients.plot(errors, slopes, label=f"{name}: d loss / d prediction")
    gradients.set(xlabel="error: prediction - target", ylabel="gradient sent back")
    gradients.set_title("The push each loss gives one prediction")
    gradients.axhline(0, color="grey", lw=0.5)
    gradients.legend(fontsize=8)
    for loss, history in trained.items():
        window = min(50, len(history.epoch_losses))
        curve = np.convolve(history.epoch_losses, np.ones(window) / window, mode="valid")
        curves.plot(np.arange(len(curve)) + window - 1, curve, label=f"{LOSS_NAMES[loss]}")
    curves.set(xlabel="epoch", ylabel="loss (mean of the last 50 epochs)", yscale="log")
    curves.set_title(f"Training the 44-parameter network, seed {SHOWN_SEED}")
    curves.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    return path


def main(argv: list[str] | None = None) -> int:
    args = sweep.parse_options(__doc__, argv, seeds=50, per="per loss", fast=(3, 50))
    seeds, base = args.seeds, Recipe(epochs=args.epochs, engine=args.engine)
    started = time.perf_counter()

    print(f"Part 1: the gradient each loss sends back to one prediction p, target t = {TARGET:g}")
    print("| error p - t | L1 loss | L1 gradient | MSE loss | MSE gradient |")
    print("| --- | --- | --- | --- | --- |")
    for error in ERRORS:
        l1, l1_slope = loss_and_gradient(l1_loss, TARGET + error, TARGET)
        mse, mse_slope = loss_and_gradient(mse_loss, TARGET + error, TARGET)
        print(f"| {error:g} | {l1:g} | {l1_slope:g} | {mse:g} | {mse_slope:g} |")
    print(f"\ncross-entropy on a raw score s, target {TARGET:g}: probability sigmoid(s)")
    print("| score s | probability | cross-entropy | gradient |")
    print("| --- | --- | --- | --- |")
    for score in SCORES:
        entropy, slope = loss_and_gradient(bce_with_logits, score, TARGET)
        print(f"| {score:g} | {Value(score).sigmoid().data:.4f} | {entropy:.4f} | {slope:.4f} |")

    trained = {loss: run(dataclasses.replace(base, loss=loss, seed=SHOWN_SEED)) for loss in LOSS_NAMES}
    print(f"\nPart 2: the course recipe, seed {SHOWN_SEED}, {base.epochs} epochs, with each loss")
    print("| loss | outputs for (0,0), (0,1), (1,0), (1,1) | solved | mean abs(output - target) |")
    print("| --- | --- | --- | --- |")
    for loss, history in trained.items():
        outputs = ", ".join(f"{p:.3g}" for p in history.predictions)
        solved = "yes" if history.solved else "no"
        distance = distance_from_targets(history.predictions)
        print(f"| {LOSS_NAMES[loss]} | {outputs} | {solved} | {distance:.3g} |")

    results = sweep.run_grid({"loss": list(LOSS_NAMES), "seed": range(seeds)}, args)
    print(f"\nPart 3: seeds 0-{seeds - 1}")
    print("| loss | XOR solved | median of mean abs(output - target) |")
    print("| --- | --- | --- |")
    for loss, name in LOSS_NAMES.items():
        runs = [result for result in results if result.recipe.loss == loss]
        distances = statistics.median(distance_from_targets(result.predictions) for result in runs)
        print(f"| {name} | {sum(result.solved for result in runs)}/{seeds} | {distances:.3g} |")

    print(f"\nwrote {plot(trained, Path(args.out) / 'loss.png')}")
    print(sweep.finished(time.perf_counter() - started, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
