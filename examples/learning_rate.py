"""What the learning rate does: it scales every update, so too small crawls and too large overshoots.

The course recipe (seed 2, L1 loss, SGD with momentum 0.9, 2001 epochs) is trained at
learning rates from 0.00001 to 2. For each one the table gives the mean loss of the first
and of the last 50 epochs, how far the parameters moved in all, the four outputs, whether
XOR was solved, and how many of several seeds solve it at that rate. The L1 gradient
has the same size however wrong the output is, so a too-large rate makes the updates
overshoot and the loss stay high, without overflowing. MSE's gradient grows with the
error, so a large rate can make it grow without bound: then micrograd44 stops the
training with TrainingDiverged, and the example prints that error and keeps the history
up to that step. learning_rate.png plots the loss of every run. The runs use the compiled
engine: the eager engine's results bit for bit, over a hundred times faster with a C
compiler (``--engine eager`` prints the same numbers the slow way).

    python examples/learning_rate.py              # 8 runs shown + 8 x 10 seeds, about 4 s (eager: 2 min)
    python examples/learning_rate.py --jobs 2     # the seeds in 2 processes
    python examples/learning_rate.py --fast       # 100 epochs and 2 seeds, to check the script

The times are wall-clock on a quiet 2-core machine, measured with
`time python examples/learning_rate.py`; on a busy machine they take several times longer.
"""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

import numpy as np
from helpers import sweep  # examples/helpers/sweep.py: the command line every sweep shares
from matplotlib.figure import Figure

from micrograd44.sweep import summarize
from micrograd44.training import History, TrainingDiverged
from micrograd44.training.course import Recipe, run

# loss -> learning rates: the course's L1 from far too small to far too large, then MSE
RATES = {"l1": [0.00001, 0.001, 0.02, 0.1, 0.5, 2.0], "mse": [0.02, 0.5]}
CASES = [(loss, lr) for loss, rates in RATES.items() for lr in rates]
SHOWN_SEED = 2  # the course's seed: the runs in the table's first columns and the plot
PLOT_CEILING = 1e100  # a diverging loss nears the largest float, more than a log axis can label


def train(recipe: Recipe) -> tuple[History, TrainingDiverged | None]:
    """Run the recipe: its history and, if it diverged, the error that stopped it.

    The history of a run that diverged holds every step before the failing one.
    """
    try:
        return run(recipe), None
    except TrainingDiverged as error:
        return error.history, error


def running_mean(values: list[float], window: int) -> np.ndarray:
    """The mean of each ``window`` consecutive values (fewer values: their overall mean)."""
    window = max(1, min(window, len(values)))
    return np.convolve(values, np.ones(window) / window, mode="valid")


def row(recipe: Recipe, history: History, error: TrainingDiverged | None, solved: int, seeds: int) -> str:
    """One Markdown table row for a run."""
    steps = 50 * recipe.steps_per_epoch
    first, last = history.step_losses[:steps], history.step_losses[-steps:]
    moved = max(abs(history.final_state[name] - start) for name, start in history.initial_state.items())
    trained = f"diverged at epoch {error.epoch}" if error else f"{len(history.epoch_losses)} epochs"
    outputs = ", ".join(f"{p:.3g}" for p in history.predictions)
    cells = [
        recipe.loss.upper(),
        f"{recipe.lr:g}",
        trained,
        f"{math.fsum(first) / len(first):.3g}",
        f"{math.fsum(last) / len(last):.3g}",
        f"{moved:.3g}",
        outputs,
        "yes" if history.solved else "no",
        f"{solved}/{seeds}",
    ]
    return "| " + " | ".join(cells) + " |"


def plot(runs: list[tuple[Recipe, History, TrainingDiverged | None]], path: Path) -> Path:
    """L1 runs on the left (running mean over 50 epochs), MSE runs on the right (every epoch's mean)."""
    figure = Figure(figsize=(11, 4), layout="constrained")
    panels = dict(zip(["l1", "mse"], figure.subplots(1, 2)))
    window = {"l1": 50, "mse": 1}  # in epochs
    for recipe, history, error in runs:
        axes = panels[recipe.loss]
        curve = np.minimum(running_mean(history.epoch_losses, window[recipe.loss]), PLOT_CEILING)
        epochs = np.arange(len(curve)) + len(history.epoch_losses) - len(curve)
        label = f"lr {recipe.lr:g}"
        if error:
            label += f": diverged at epoch {error.epoch} (drawn up to {PLOT_CEILING:g})"
        (line,) = axes.plot(epochs, curve, label=label)
        if error:
            axes.plot(epochs[-1], curve[-1], "X", color=line.get_color(), markersize=10)
    for loss, axes in panels.items():
        what = "mean of the last 50 epochs" if window[loss] > 1 else "mean of each epoch"
        axes.set(xlabel="epoch", ylabel=f"{loss.upper()} loss ({what})", yscale="log")
        axes.set_title(f"{loss.upper()} loss, seed {SHOWN_SEED}")
        axes.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    return path


def main(argv: list[str] | None = None) -> int:
    args = sweep.parse_options(__doc__, argv, seeds=10, per="per rate", fast=(2, 100))
    seeds, base = args.seeds, Recipe(epochs=args.epochs, engine=args.engine)
    started = time.perf_counter()

    recipes = [dataclasses.replace(base, loss=loss, lr=lr, seed=SHOWN_SEED) for loss, lr in CASES]
    runs = [(recipe, *train(recipe)) for recipe in recipes]
    solved = {}  # (loss, lr) -> seeds that solve XOR; a run that diverged does not
    for loss, rates in RATES.items():
        results = sweep.run_grid({"loss": loss, "lr": rates, "seed": range(seeds)}, args)
        solved |= {(loss, cell.values["lr"]): cell.solved for cell in summarize(results, by=["lr"])}

    print(f"The course recipe at each learning rate, {base.epochs} epochs of 4 single-sample steps.")
    print(f"Columns 3-8: seed {SHOWN_SEED}; loss = mean loss of the single-sample steps of those epochs;")
    print("moved = the largest change of any parameter from its initial value.\n")
    print(
        "| loss | lr | trained | loss, first 50 epochs | loss, last 50 epochs | moved "
        f"| outputs for (0,0), (0,1), (1,0), (1,1) | solved | solved, seeds 0-{seeds - 1} |"
    )
    print("| --- " * 9 + "|")
    for recipe, history, error in runs:
        print(row(recipe, history, error, solved[recipe.loss, recipe.lr], seeds))
    for recipe, _, error in runs:
        if error:
            print(f"\n{recipe.loss.upper()} at lr {recipe.lr:g}: TrainingDiverged: {error}")

    print(f"\nwrote {plot(runs, Path(args.out) / 'learning_rate.png')}")
    print(sweep.finished(time.perf_counter() - started, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
