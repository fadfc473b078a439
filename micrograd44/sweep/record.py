"""One run of a sweep: train a recipe and keep what the summary needs of it, small enough to send anywhere."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

from ..training import History, TrainingDiverged
from ..training.course import Recipe, run


class SweepError(RuntimeError):
    """A sweep could not finish: a run failed for another reason than diverging, or workers kept dying."""


@dataclasses.dataclass(frozen=True)
class RunResult:
    """What one run of a sweep did.

    Attributes:
        recipe: the Recipe that was run.
        solved: True when the run ended with all four predictions rounding (at 0.5) to
            0, 1, 1, 0; a run that diverged is not solved.
        solved_epoch: the first epoch the run was solved at, looked at every
            ``recipe.print_every`` epochs (the logged epochs 0, 50, 100, ... and the last):
            the model as it stood at that epoch's last step. None if never.
        final_loss: the loss of the last step taken (what the course printed); None
            without any step.
        last_epoch_loss: the mean step loss of the last complete epoch; None without one.
        diverged: True when training stopped with TrainingDiverged.
        diverged_step: the step it stopped at (0-based), None when it did not diverge.
        predictions: the model's outputs on the 4 XOR inputs at the end (nan or infinite
            after some divergences).
        seconds: wall time of the run where it ran (the only field that differs between
            two executions of the same recipe).
    """

    recipe: Recipe
    solved: bool
    solved_epoch: int | None
    final_loss: float | None
    last_epoch_loss: float | None
    diverged: bool
    diverged_step: int | None
    predictions: tuple[float, ...]
    seconds: float


def run_recipe(recipe: Recipe, *, solved_epoch: bool = True) -> RunResult:
    """Train the recipe and keep its RunResult.

    With ``solved_epoch`` the run takes a snapshot at each logged epoch to find the first
    solved one (on a compiled engine that is most of the run's time); without it the
    result's ``solved_epoch`` is None. A run that diverges is a result like any other;
    any other error propagates.
    """
    started = time.perf_counter()
    snapshot_every = recipe.print_every if solved_epoch else None
    try:
        history, diverged_step = run(recipe, snapshot_every=snapshot_every), None
    except TrainingDiverged as error:
        history, diverged_step = error.history, error.step
    seconds = time.perf_counter() - started
    return RunResult(
        recipe=recipe,
        solved=diverged_step is None and history.solved,
        solved_epoch=_first_solved_epoch(history) if solved_epoch else None,
        final_loss=history.step_losses[-1] if history.step_losses else None,
        last_epoch_loss=history.epoch_losses[-1] if history.epoch_losses else None,
        diverged=diverged_step is not None,
        diverged_step=diverged_step,
        predictions=tuple(history.predictions),
        seconds=seconds,
    )


def _first_solved_epoch(history: History) -> int | None:
    """The epoch of the first snapshot that solves XOR; the last epoch when only the final model does."""
    for snapshot in history.snapshots:
        if snapshot.rounded == list(history.targets):  # as History.solved compares
            return snapshot.epoch
    if history.solved and history.epoch_losses:
        return len(history.epoch_losses) - 1
    return None


def run_batch(recipes: Sequence[Recipe], *, solved_epoch: bool = True) -> list[RunResult]:
    """Run the recipes one after the other: the task a worker process or a Dask worker is given.

    ``solved_epoch`` as for ``run_recipe``.

    Raises:
        SweepError: a run failed with anything but TrainingDiverged; it names the recipe.
    """
    results = []
    for recipe in recipes:
        try:
            results.append(run_recipe(recipe, solved_epoch=solved_epoch))
        except Exception as error:
            raise SweepError(f"the run of {recipe} failed: {type(error).__name__}: {error}") from error
    return results
