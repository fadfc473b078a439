"""Step through training from Python: train a recipe a few epochs at a time and look in between.

``Session(recipe)`` holds what ``course.run(recipe)`` holds while it trains: the recipe's
``course.course_trainer`` (a ``micrograd44.training.Trainer``) with the model, its optimizer,
the random stream of the sample draws and the History. ``session.train(k)``
takes the next k epochs; between two calls the model can be drawn, printed or evaluated.
A session trained to the recipe's last epoch, in any number of calls, ends with the same
History as an uninterrupted ``run(recipe)``, bit for bit (the same losses, samples and
final weights), for both engines.
"""

from __future__ import annotations

from ..nn import MLP
from .course import Recipe, course_trainer
from .history import History
from .loop import LogFunction, TrainingDiverged, is_integer
from .signals import TrainingInterrupted


class Session:
    """A training run of a recipe that advances only when asked, k epochs at a time.

    Args:
        recipe: what to train and how (``Recipe()`` is the course's 44-parameter exercise);
            ``recipe.epochs`` is the length of the whole run.
        on_log: called as ``on_log(epoch, loss, epoch_mean)`` at every logged epoch
            (0, ``recipe.print_every``, ...), as ``course.run`` calls it.
        snapshot_every: None, or N >= 1 to record the Snapshots ``run(recipe,
            snapshot_every=N)`` records (so ``viz.training_report(session.history, ...)``
            works at any point).

    Attributes:
        recipe: the Recipe.
        model: the MLP being trained (the same object at every step).
        history: the History so far; its ``final_state`` and ``predictions`` are those of
            the model after the last ``train`` call.
        epoch: how many epochs have been trained (0 at the start, ``recipe.epochs`` at the end).

    Example:
        >>> session = Session(Recipe(epochs=300))
        >>> session.train(100)
        >>> session.epoch, len(session.history.step_losses)
        (100, 400)
        >>> session.train()  # the remaining 200 epochs
        >>> session.done
        True
    """

    def __init__(
        self,
        recipe: Recipe | None = None,
        *,
        on_log: LogFunction | None = None,
        snapshot_every: int | None = None,
    ):
        self.recipe = Recipe() if recipe is None else recipe
        if not isinstance(self.recipe, Recipe):
            raise TypeError(
                f"Session needs a micrograd44.training.course.Recipe, got {type(self.recipe).__name__}"
            )
        self._trainer = course_trainer(self.recipe, on_log=on_log, snapshot_every=snapshot_every)
        self.history: History = self._trainer.history
        self.model: MLP = self.history.model
        self._stopped: str | None = None

    @property
    def epoch(self) -> int:
        """How many epochs have been trained."""
        return self._trainer.epoch

    @property
    def done(self) -> bool:
        """True once every epoch of the recipe has been trained."""
        return self.epoch == self.recipe.epochs

    def train(self, epochs: int | None = None) -> None:
        """Train the next ``epochs`` epochs (all the remaining ones when None).

        An epoch is what the recipe calls one: 4 single-sample steps, or one full-batch
        step. Ctrl-C and divergence behave as in ``course.run``.

        Args:
            epochs: how many epochs to train, 0 to ``recipe.epochs - session.epoch``.

        Raises:
            ValueError: epochs is not an integer in that range, or the session was stopped
                by an earlier divergence or Ctrl-C (its steps no longer follow the recipe's).
            TrainingDiverged, TrainingInterrupted: as ``course.run``; ``history`` holds
                every completed step, and the session takes no more steps.
        """
        remaining = self.recipe.epochs - self.epoch
        epochs = remaining if epochs is None else epochs
        if self._stopped:
            raise ValueError(f"this session was stopped by {self._stopped}; start a new Session")
        if not (is_integer(epochs) and 0 <= epochs <= remaining):
            raise ValueError(
                f"Session.train: epochs must be an integer from 0 to {remaining} "
                f"({self.epoch} of the recipe's {self.recipe.epochs} epochs are trained), got {epochs!r}"
            )
        try:
            self._trainer.train(epochs)
        except TrainingDiverged:
            self._stopped = "a divergence"
            raise
        except TrainingInterrupted:
            self._stopped = "Ctrl-C"
            raise

    def __repr__(self) -> str:
        return f"Session(epoch {self.epoch} of {self.recipe.epochs}, {self.model!r})"
