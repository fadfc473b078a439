"""The reference engine's classic demo: an MLP separates two interleaving moons.

100 two-moons points (noise 0.1) with labels -1 and +1; an MLP 2 -> 16 -> 16 -> 1 with
ReLU (micrograd's defaults: U(-1, 1) weights, zero biases); the hinge loss
mean relu(1 - y score) plus an L2 penalty 1e-4 * sum(w^2); 100 full-batch SGD steps with
the learning rate falling linearly from 1.0 to 0.1. A point counts as classified right
when its score has the sign of its label. The script fails (exit status 1) if the
training accuracy does not reach 100%.

The steps are taken by the general trainer (``micrograd44.training.fit``), by default with
the compiled engine (``--engine``: every engine gives the same numbers). The trainer
minimizes the hinge loss; the L2 penalty enters as SGD's weight decay 2e-4, its gradient
(the same update up to rounding). The logged lines are read from the Snapshots the trainer
records at those steps: the loss (hinge plus penalty) and the accuracy of the weights the
step started from.

moons.png shows the decision surface: the trained network's score over a grid around the
data, evaluated in one batched call with micrograd44.compiled (the graph of one forward
pass, captured once and replayed on numpy arrays). The example checks that batched scores
equal the eager engine's on the training points and prints the largest difference.

    python examples/moons.py            # 100 points, 100 steps, a few seconds
    python examples/moons.py --fast     # 40 points, 15 steps and a coarse grid, to check the script
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from micrograd44 import MLP, Value, sum_values
from micrograd44.compiled import trace
from micrograd44.data import moons
from micrograd44.losses import hinge
from micrograd44.optim import SGD
from micrograd44.training import ENGINES, Snapshot, fit

L2 = 1e-4
FIRST_LR, LAST_LR = 1.0, 0.1


def loss_and_accuracy(model: MLP, points: list[list[float]], labels: list[float]) -> tuple[Value, float]:
    """The hinge loss plus the L2 penalty over all points, and the fraction classified right."""
    scores = [model(point) for point in points]
    penalty = L2 * sum_values(p * p for p in model.parameters())
    right = sum((score.data > 0) == (label > 0) for score, label in zip(scores, labels))
    return hinge(scores, labels) + penalty, right / len(labels)


def learning_rate(step: int, steps: int) -> float:
    """The learning rate of a step: falling linearly from FIRST_LR at the first to LAST_LR at the last."""
    return FIRST_LR - (FIRST_LR - LAST_LR) * step / max(1, steps - 1)


def snapshot_loss_and_accuracy(snapshot: Snapshot, labels: list[float]) -> tuple[float, float]:
    """The hinge loss plus the L2 penalty, and the accuracy, of the weights a step started from."""
    penalty = L2 * math.fsum(w * w for w in snapshot.values.values())
    right = sum((score > 0) == (label > 0) for score, label in zip(snapshot.predictions, labels))
    return snapshot.loss + penalty, right / len(labels)


def plot(
    model: MLP, points: np.ndarray, labels: np.ndarray, grid_size: int, path: Path
) -> tuple[Path, float]:
    """Draw the decision surface; also return the largest |batched - eager| score on the points."""
    network = trace(lambda x, y: model([x, y]), example=(0.0, 0.0), parameters=model)
    xs = np.linspace(points[:, 0].min() - 0.5, points[:, 0].max() + 0.5, grid_size)
    ys = np.linspace(points[:, 1].min() - 0.5, points[:, 1].max() + 0.5, grid_size)
    grid_x, grid_y = np.meshgrid(xs, ys)
    scores = network.evaluate(grid_x, grid_y)
    batched = network.evaluate(points[:, 0], points[:, 1])
    eager = np.array([model(point).data for point in points.tolist()])

    figure = Figure(figsize=(6, 4.5), layout="constrained")
    axes = figure.subplots()
    axes.contourf(grid_x, grid_y, scores > 0, levels=1, colors=["#F4C7A8", "#A9CCE3"], alpha=0.8)
    axes.contour(grid_x, grid_y, scores, levels=[0], colors="black", linewidths=1)
    for label, colour in [(-1, "#D55E00"), (1, "#0072B2")]:
        mine = labels == label
        axes.scatter(
            points[mine, 0], points[mine, 1], c=colour, s=20, edgecolors="white", label=f"label {label:+d}"
        )
    axes.set(title="Decision surface: score > 0 (blue) and < 0 (orange)", xlabel="x1", ylabel="x2")
    axes.legend(loc="upper right", fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    return path, float(np.abs(batched - eager).max())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seed", type=int, default=1, help="seeds the data and the weights (default: %(default)s)"
    )
    parser.add_argument(
        "--out", default="out/examples/", help="folder for the picture (default: %(default)s)"
    )
    parser.add_argument(
        "--engine", choices=ENGINES, default="compiled", help="what takes the steps (default: %(default)s)"
    )
    parser.add_argument(
        "--fast", action="store_true", help="40 points, 15 steps, coarse grid: checks the script"
    )
    args = parser.parse_args(argv)
    n_points, steps, grid_size = (40, 15, 30) if args.fast else (100, 100, 150)
    started = time.perf_counter()

    points, labels01 = moons(n_points, noise=0.1, seed=args.seed)
    labels = 2 * labels01 - 1
    model = MLP(2, [16, 16, 1], activation="relu", seed=args.seed)
    schedule = f"lr {FIRST_LR:g} -> {LAST_LR:g}"
    print(f"{n_points} points, {model!r}, {steps} SGD steps, {schedule}, {args.engine} engine")
    history = fit(
        model,
        points,
        labels,
        epochs=steps,
        loss=hinge,
        optimizer=SGD(model.parameters(), lr=FIRST_LR, weight_decay=2 * L2),
        sampling="full-batch",
        engine=args.engine,
        lr_schedule=lambda step: learning_rate(step, steps),
        snapshot_at={*range(0, steps, 10), steps - 1},
    )
    for snapshot in history.snapshots:
        loss, accuracy = snapshot_loss_and_accuracy(snapshot, labels.tolist())
        lr = learning_rate(snapshot.step, steps)
        print(f"step {snapshot.step:3d}  lr {lr:.3f}  loss {loss:.4f}  accuracy {accuracy:.0%}")
    loss, accuracy = loss_and_accuracy(model, points.tolist(), labels.tolist())
    print(f"after training: loss {loss.data:.4f}, training accuracy {accuracy:.0%}")

    path, difference = plot(model, points, labels, grid_size, Path(args.out) / "moons.png")
    print(f"decision surface: {grid_size} x {grid_size} grid in one batched call (micrograd44.compiled)")
    print(f"largest |batched - eager| score on the {n_points} training points: {difference:.3g}")
    print(f"wrote {path}")
    print(f"{time.perf_counter() - started:.0f} s")
    return 0 if args.fast or accuracy == 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
