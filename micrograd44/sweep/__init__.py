"""Sweeps: run a grid of recipes, here, on local processes or on a Dask cluster, and summarize it.

``run_grid(grid, out)`` runs every combination of the grid's Recipe field values and
returns one ``RunResult`` per run; ``summarize`` turns the results into per-cell success
rates (with Wilson 95% intervals) and median losses, ``table`` into Markdown, and
``plot_success`` into a picture. ``micrograd44 sweep`` is the same from the command line.

    >>> from micrograd44.sweep import run_grid, summarize
    >>> results = run_grid({"seed": "0:4", "epochs": 30, "loss": ["l1", "mse"]}, jobs=1)
    >>> [(cell.values, cell.runs) for cell in summarize(results)]
    [({'loss': 'l1'}, 4), ({'loss': 'mse'}, 4)]
"""

from .grid import Grid, GridError
from .record import RunResult, SweepError, run_batch, run_recipe
from .results import ResultsFileError
from .runner import SweepInterrupted, run_grid
from .summary import Cell, plot_success, summarize, table, wilson_interval

__all__ = [
    "Cell",
    "Grid",
    "GridError",
    "ResultsFileError",
    "RunResult",
    "SweepError",
    "SweepInterrupted",
    "plot_success",
    "run_batch",
    "run_grid",
    "run_recipe",
    "summarize",
    "table",
    "wilson_interval",
]
