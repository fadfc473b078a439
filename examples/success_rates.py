"""How often does the course recipe solve XOR? Train it for seeds 0..99 with L1 and with MSE.

Prints the Markdown table of docs/exercise.md: for each loss, how many seeds end with all four
predictions rounding (at 0.5) to 0, 1, 1, 0, the median loss of the last epoch, and the
seeds that failed. Everything else is the course recipe (``micrograd44.train.Recipe()``).
The runs use the compiled engine: the eager engine's results bit for bit, about ten times
faster (``--engine eager`` prints the same table the slow way).

    python examples/success_rates.py            # the table in docs: 200 runs, about 22 s (eager: 4 min)
    python examples/success_rates.py --jobs 2   # in 2 processes, about 10 s
    python examples/success_rates.py --fast     # 3 seeds, 100 epochs: checks the script runs
"""

from __future__ import annotations

import dataclasses
import statistics
import time

import sweep  # examples/sweep.py: the plumbing every sweep shares

from micrograd44.train import History, Recipe

LOSS_NAMES = {"l1": "L1 (the course)", "mse": "MSE"}


@dataclasses.dataclass(frozen=True)
class Outcome:
    """One training run: which loss and seed, whether XOR was solved, the last epoch's mean loss."""

    loss: str
    seed: int
    solved: bool
    last_epoch_loss: float


def outcome(history: History) -> Outcome:
    """What the table needs of one run."""
    return Outcome(history.recipe.loss, history.recipe.seed, history.solved, history.epoch_losses[-1])


def table(outcomes: list[Outcome], seeds: int) -> str:
    """The Markdown table, one row per loss."""
    lines = [
        f"| loss | solved XOR (of {seeds} seeds) | median loss of the last epoch | seeds that failed |",
        "| --- | --- | --- | --- |",
    ]
    for loss, name in LOSS_NAMES.items():
        runs = [o for o in outcomes if o.loss == loss]
        failed = ", ".join(str(o.seed) for o in runs if not o.solved) or "none"
        median = statistics.median(o.last_epoch_loss for o in runs)
        lines.append(f"| {name} | {sum(o.solved for o in runs)} | {median:.3g} | {failed} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Train every (loss, seed) pair and print the table."""
    args = sweep.parse_options(__doc__, argv, seeds=100, per="per loss", fast=(3, 100), picture=False)
    base = Recipe(epochs=args.epochs, engine=args.engine)
    recipes = [
        dataclasses.replace(base, loss=loss, seed=seed) for loss in LOSS_NAMES for seed in range(args.seeds)
    ]
    started = time.perf_counter()
    outcomes = sweep.train_all(recipes, outcome, args.jobs)
    seconds = time.perf_counter() - started
    print(f"{len(recipes)} runs of {base.epochs} epochs ({base.epochs * base.steps_per_epoch} steps) each")
    print(table(outcomes, args.seeds))
    print(f"\n{seconds:.0f} s with {args.jobs} process(es), {args.engine} engine")


if __name__ == "__main__":
    main()
