"""How often does the course recipe solve XOR? Train it for seeds 0..99 with L1 and with MSE.

Prints a Markdown table for the README: for each loss, how many seeds end with all four
predictions rounding (at 0.5) to 0, 1, 1, 0, the median loss of the last epoch, and the
seeds that failed. Everything else is the course recipe (``micrograd44.train.Recipe()``).

    python examples/success_rates.py            # the README's table: 2 x 100 runs of 8004 steps
    python examples/success_rates.py --fast     # 3 seeds, 100 epochs: checks the script runs
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

from micrograd44.train import Recipe, run

LOSS_NAMES = {"l1": "L1 (the course)", "mse": "MSE"}


@dataclasses.dataclass(frozen=True)
class Outcome:
    """One training run: which loss and seed, whether XOR was solved, the last epoch's mean loss."""

    loss: str
    seed: int
    solved: bool
    last_epoch_loss: float


def train_one(recipe: Recipe) -> Outcome:
    """Run one recipe and keep what the table needs."""
    history = run(recipe)
    return Outcome(recipe.loss, recipe.seed, history.solved, history.epoch_losses[-1])


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


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The script's options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100, help="seeds 0..N-1 (default: %(default)s)")
    parser.add_argument("--fast", action="store_true", help="3 seeds and 100 epochs, to check the script")
    parser.add_argument("--jobs", type=int, default=1, help="processes to train in (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.jobs < 1:
        parser.error("--seeds and --jobs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    """Train every (loss, seed) pair and print the table."""
    args = parse_arguments(argv)
    seeds, base = (3, Recipe(epochs=100)) if args.fast else (args.seeds, Recipe())
    recipes = [
        dataclasses.replace(base, loss=loss, seed=seed) for loss in LOSS_NAMES for seed in range(seeds)
    ]
    started = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        outcomes = list(pool.map(train_one, recipes))
    seconds = time.perf_counter() - started
    print(f"{len(recipes)} runs of {base.epochs} epochs ({base.epochs * base.steps_per_epoch} steps) each")
    print(table(outcomes, seeds))
    print(f"\n{seconds:.0f} s with {args.jobs} process(es)")


if __name__ == "__main__":
    main()
