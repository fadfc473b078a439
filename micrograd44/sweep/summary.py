"""What a sweep found: per cell of the grid, the success rate with its 95% interval and the median losses."""

from __future__ import annotations

import dataclasses
import itertools
import math
import statistics
from collections.abc import Sequence
from pathlib import Path

from .grid import field_names, format_value
from .record import RunResult

# the most panels plot_success draws (one per combination of the fields not on its axes)
MAX_PANELS = 24


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a success rate: (low, high).

    Unlike the normal approximation p +- z sqrt(p (1 - p) / n), it stays inside [0, 1] and
    is not empty at 0 or n successes:
    center = (p + z^2 / 2n) / (1 + z^2 / n), half-width = z sqrt(p (1 - p) / n + z^2 / 4n^2) / (1 + z^2 / n).

    Args:
        successes: runs that succeeded (0 to trials).
        trials: runs in all; with 0 the interval is (0, 1).
        confidence: the interval's coverage, 0.95 for 95%.

    Example:
        >>> [round(x, 4) for x in wilson_interval(0, 10)]
        [0.0, 0.2775]
    """
    if trials == 0:
        return 0.0, 1.0
    z = statistics.NormalDist().inv_cdf((1 + confidence) / 2)
    p = successes / trials
    scale = 1 + z * z / trials
    center = (p + z * z / (2 * trials)) / scale
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / scale
    return max(0.0, center - half), min(1.0, center + half)


@dataclasses.dataclass(frozen=True)
class Cell:
    """The runs of one combination of the swept fields (every seed pooled).

    Attributes:
        values: {field: value} of the combination, e.g. {"loss": "mse", "lr": 0.02}.
        runs: how many runs.
        solved: how many ended with XOR solved.
        interval: the Wilson 95% interval of the success rate.
        median_final_loss: median over the runs of the last step's loss (None without any).
        median_last_epoch_loss: median of the last epoch's mean loss (None without any).
        median_solved_epoch: median of the first solved epoch over the runs ever solved
            (None if none was).
        diverged: how many runs diverged.
    """

    values: dict
    runs: int
    solved: int
    interval: tuple[float, float]
    median_final_loss: float | None
    median_last_epoch_loss: float | None
    median_solved_epoch: float | None
    diverged: int

    @property
    def rate(self) -> float:
        """The success rate, solved / runs."""
        return self.solved / self.runs


def cell_fields(results: Sequence[RunResult]) -> list[str]:
    """The fields that take more than one value among the results, except the seed, in Recipe's order."""
    return [n for n in field_names() if n != "seed" and len({getattr(r.recipe, n) for r in results}) > 1]


def _median(values) -> float | None:
    """The median of the values that are not None; None when there are none."""
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def summarize(results: Sequence[RunResult], by: Sequence[str] | None = None) -> list[Cell]:
    """One Cell per combination of the ``by`` fields, in the order the results first show it.

    Args:
        results: RunResults, e.g. from ``run_grid``.
        by: the fields that make a cell; None: every field that varies except the seed.

    Returns:
        The cells; with no field to split by, one cell of every run.
    """
    by = cell_fields(results) if by is None else list(by)
    groups: dict[tuple, list[RunResult]] = {}
    for result in results:
        groups.setdefault(tuple(getattr(result.recipe, name) for name in by), []).append(result)
    cells = []
    for key, runs in groups.items():
        solved = sum(run.solved for run in runs)
        cells.append(
            Cell(
                values=dict(zip(by, key)),
                runs=len(runs),
                solved=solved,
                interval=wilson_interval(solved, len(runs)),
                median_final_loss=_median(run.final_loss for run in runs),
                median_last_epoch_loss=_median(run.last_epoch_loss for run in runs),
                median_solved_epoch=_median(run.solved_epoch for run in runs),
                diverged=sum(run.diverged for run in runs),
            )
        )
    return cells


def _number(value: float | None) -> str:
    """A number for the table: 3 significant digits, '-' for none."""
    return "-" if value is None else f"{value:.3g}"


def table(cells: Sequence[Cell]) -> str:
    """The cells as a Markdown table: the cell's fields, then its runs, rate, interval and losses."""
    fields = list(cells[0].values) if cells else []
    header = [*fields, "runs", "solved", "success rate (95% interval)", "median final loss"]
    header += ["median last-epoch loss", "median first solved epoch", "diverged"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for cell in cells:
        low, high = cell.interval
        row = [format_value(name, value) for name, value in cell.values.items()]
        row += [str(cell.runs), str(cell.solved), f"{cell.rate:.0%} ({low:.0%} to {high:.0%})"]
        row += [_number(cell.median_final_loss), _number(cell.median_last_epoch_loss)]
        row += [_number(cell.median_solved_epoch), str(cell.diverged)]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def _ordered_values(results: Sequence[RunResult], name: str) -> list:
    """The field's values in the order the results first show them."""
    return list(dict.fromkeys(getattr(result.recipe, name) for result in results))


def plot_success(results: Sequence[RunResult], path: str | Path, x: str, y: str | None = None) -> Path:
    """Draw the success rate over two fields as a heatmap (one field: a single row), saved to path.

    Each square is a cell's success rate, labelled with solved / runs. The results of every
    other field that varies (except the seed) are drawn apart, one panel per combination
    (small multiples), never pooled.

    Args:
        results: RunResults, e.g. from ``run_grid``.
        path: the picture (.png, .svg, .pdf: any format matplotlib writes).
        x, y: the fields across and down; y None for one row.

    Returns:
        The path written.

    Raises:
        ValueError: a field is not a Recipe field, or the other fields make more than
            MAX_PANELS panels.
    """
    from matplotlib.figure import Figure

    axes_fields = [x] if y is None else [x, y]
    names = field_names()
    for name in axes_fields:
        if name not in names:
            raise ValueError(f"cannot plot over {name!r}: not a Recipe field ({', '.join(names)})")
    others = [name for name in cell_fields(results) if name not in axes_fields]
    panels = list(itertools.product(*(_ordered_values(results, name) for name in others)))
    if len(panels) > MAX_PANELS:
        raise ValueError(
            f"plotting over {', '.join(axes_fields)} leaves {len(panels)} panels for {', '.join(others)} "
            f"(at most {MAX_PANELS}): put one of those on an axis"
        )
    columns_across = min(len(panels), 3)
    rows_down = math.ceil(len(panels) / columns_across)
    xs = _ordered_values(results, x)
    ys = _ordered_values(results, y) if y else [None]
    size = (max(4.0, 0.9 * len(xs) + 2.5) * columns_across, max(2.2, 0.6 * len(ys) + 1.8) * rows_down)
    figure = Figure(figsize=size, layout="constrained")
    grid = figure.subplots(rows_down, columns_across, squeeze=False)
    cells = {tuple(cell.values.values()): cell for cell in summarize(results, [*others, *axes_fields])}
    image = None
    for axes, panel in zip(grid.flat, panels):
        rates = [[math.nan] * len(xs) for _ in ys]
        for (i, y_value), (j, x_value) in itertools.product(enumerate(ys), enumerate(xs)):
            key = (*panel, x_value) if y is None else (*panel, x_value, y_value)
            cell = cells.get(key)
            if cell is None:
                continue
            rates[i][j] = cell.rate
            colour = "white" if cell.rate < 0.6 else "black"
            axes.text(
                j, i, f"{cell.rate:.0%}\n{cell.solved}/{cell.runs}", ha="center", va="center", color=colour
            )
        image = axes.imshow(rates, vmin=0, vmax=1, cmap="viridis", aspect="auto")
        axes.set_xticks(range(len(xs)), [format_value(x, value) for value in xs])
        axes.set_xlabel(x)
        if y is None:
            axes.set_yticks([])
        else:
            axes.set_yticks(range(len(ys)), [format_value(y, value) for value in ys])
            axes.set_ylabel(y)
        title = ", ".join(f"{name} {format_value(name, value)}" for name, value in zip(others, panel))
        axes.set_title(title or "XOR solved (share of runs)", fontsize=10)
    for axes in list(grid.flat)[len(panels) :]:
        axes.set_visible(False)
    figure.colorbar(image, ax=grid.ravel().tolist(), label="XOR solved (share of runs)", shrink=0.9)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path
