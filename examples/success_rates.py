"""How often does the course recipe solve XOR? Train it for seeds 0..99 with L1 and with MSE.

Prints the Markdown table of docs/exercise.md: for each loss, how many seeds end with all four
predictions rounding (at 0.5) to 0, 1, 1, 0, the median loss of the last epoch, and the
seeds that failed. Everything else is the course recipe (``micrograd44.training.course.Recipe()``).
The runs use the compiled engine: the eager engine's results bit for bit, over a hundred times
faster with a C compiler (``--engine eager`` prints the same table the slow way).

    python examples/success_rates.py            # the table in docs: 200 runs, about 2 s (eager: 4 min)
    python examples/success_rates.py --jobs 2   # the runs in 2 processes
    python examples/success_rates.py --fast     # 3 seeds, 100 epochs: checks the script runs

The times are wall-clock on a quiet 2-core machine, measured with
`time python examples/success_rates.py`; on a busy machine they take several times longer.
"""

from __future__ import annotations

import time

from helpers import sweep  # examples/helpers/sweep.py: the command line every sweep shares

from micrograd44.sweep import RunResult, summarize
from micrograd44.training.course import Recipe

LOSS_NAMES = {"l1": "L1 (the course)", "mse": "MSE"}


def table(results: list[RunResult], seeds: int) -> str:
    """The Markdown table, one row per loss."""
    lines = [
        f"| loss | solved XOR (of {seeds} seeds) | median loss of the last epoch | seeds that failed |",
        "| --- | --- | --- | --- |",
    ]
    for cell in summarize(results, by=["loss"]):
        loss = cell.values["loss"]
        failed = [r.recipe.seed for r in results if r.recipe.loss == loss and not r.solved]
        listed = ", ".join(map(str, failed)) or "none"
        lines.append(f"| {LOSS_NAMES[loss]} | {cell.solved} | {cell.median_last_epoch_loss:.3g} | {listed} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Train every (loss, seed) pair and print the table."""
    args = sweep.parse_options(__doc__, argv, seeds=100, per="per loss", fast=(3, 100), picture=False)
    started = time.perf_counter()
    results = sweep.run_grid({"loss": list(LOSS_NAMES), "seed": range(args.seeds)}, args)
    seconds = time.perf_counter() - started
    base = Recipe(epochs=args.epochs)
    print(f"{len(results)} runs of {base.epochs} epochs ({base.epochs * base.steps_per_epoch} steps) each")
    print(table(results, args.seeds))
    print(f"\n{sweep.finished(seconds, args)}")


if __name__ == "__main__":
    main()
