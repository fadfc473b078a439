"""A general training loop: any model with one output, any samples, targets, loss and optimizer.

``fit(model, samples, targets, loss=..., optimizer=..., epochs=...)`` trains and returns a
``History`` of every step; ``Trainer`` does the same a few epochs at a time, with the
sampling and the engine it is given (its docstring says what each does). Every engine
gives the same History, bit for bit. Training fails loudly: a loss, gradient or parameter
that turns nan or infinite stops it with ``TrainingDiverged``; Ctrl-C (and SIGTERM under
``stop_on_signal``) stops it at the end of the current step (of the current run of steps,
compiled) with ``TrainingInterrupted``. Both carry the history so far.

The course recipe (``micrograd44.training.course``) is a preset over this loop.
"""

from __future__ import annotations

import contextlib
import functools
import math
import numbers
from collections.abc import Callable, Container, Iterable, Sequence
from typing import NoReturn

import numpy

from ..compiled import CompilerUnavailable, Program, StepFailed, TrainingLoop, announce_fallback
from ..compiled.loop import Steps
from ..core.errors import OpError
from ..core.value import Value
from ..nn import Module
from ..optim import Optimizer
from .draws import SampleDraws, draw_steps, sampler
from .history import FULL_BATCH, Column, History, Snapshot, predict, predictions_at
from .signals import TrainingInterrupted, signal_of, stops_deferred_to_step_end
from .step_program import step_program

# how an epoch picks the samples of its steps (see Trainer)
SAMPLINGS = ("random", "cycle", "full-batch")

# what computes each step: the engine's own graph ("eager"), or a program compiled from it
# by the micrograd44.compiled backend of that name (see Trainer)
ENGINES = ("eager", "compiled", "python", "c")

# the most epochs whose samples are drawn, and (compiled) taken in one call, at a time: 2,500
# epochs of the course model are 1.7 ms of C and 0.1 s of eager; a run's fixed cost per call
# (drawing, recording the History) then stays near 5% of the C loop's own time
CHUNK_EPOCHS = 2500

# called as on_log(epoch, loss of the epoch's last step, mean loss of the epoch)
LogFunction = Callable[[int, float, float], None]


class TrainingDiverged(FloatingPointError):
    """A loss, gradient or parameter became nan or infinite; training stopped at that step.

    Attributes:
        history: the History of every completed step; its model is as training left it
            (still finite, unless the failing update itself made a parameter non-finite).
        epoch, step: where it happened (0-based, as in the log and history.csv).
    """

    def __init__(self, message: str, history: History, epoch: int, step: int):
        super().__init__(message)
        self.history = history
        self.epoch = epoch
        self.step = step


def is_integer(value) -> bool:
    """True for an integer that is not a bool (numpy's included)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def step_loss(model: Module, loss: Callable, samples, targets, indices: Sequence[int]) -> Value:
    """The loss of one step as a graph: of the model's predictions on the samples at ``indices``.

    One index for a single-sample step, every index for a full-batch one; ``loss`` is
    called as ``loss(predictions, targets)`` with lists.
    """
    return loss([model(samples[i]) for i in indices], [targets[i] for i in indices])


def _all_finite(values: Iterable[float]) -> bool:
    """True when none of the values is nan or infinite."""
    return all(map(math.isfinite, values))


def _largest_parameter(model: Module) -> str:
    """'name = value' for the parameter of largest magnitude."""
    name, p = max(model.named_parameters(), key=lambda item: abs(item[1].data))
    return f"{name} = {p.data:.6g}"


def _first_nonfinite(model: Module) -> str:
    """Describe the first parameter whose value or grad is nan or infinite, or say there is none."""
    for name, p in model.named_parameters():
        if not (math.isfinite(p.data) and math.isfinite(p.grad)):
            return f"first parameter with a non-finite value or grad: {name} = {p.data!r}, grad {p.grad!r}"
    return f"no parameter or gradient is non-finite yet, the largest parameter is {_largest_parameter(model)}"


# the cause given for an update that made a parameter nan or infinite
_NONFINITE_UPDATE = "the update made a parameter non-finite"


class Trainer:
    """Trains a model on samples and targets a few epochs at a time, keeping the History.

    Args:
        model: a Module with one output, called as ``model(x)`` on a list of floats.
        samples: the inputs, one sequence of floats per sample (nested lists or an array).
        targets: the target of each sample.
        loss: the mean loss of predictions against targets, called as
            ``loss(predictions, targets)`` with lists (e.g. ``losses.l1_loss``, ``losses.hinge``).
        optimizer: an Optimizer holding the model's parameters (SGD or Adam for the
            compiled engines).
        sampling: "random" (one step per sample, each drawn at random with replacement),
            "cycle" (one step per sample, in order) or "full-batch" (one step on the mean
            loss over all the samples).
        seed: seeds the random draws of the samples.
        engine: "eager", "python", "c" or "compiled" (C where a C compiler works, else
            Python, saying so in one line on stderr); all give the same History.
        lr_schedule: None, or ``lr_schedule(epoch)``: the learning rate set on the
            optimizer before each epoch (the compiled engines then take one epoch per call).
        log_every: ``on_log`` is called at epochs 0, log_every, 2 * log_every, ...
        on_log: None, or called as ``on_log(epoch, loss, epoch_mean)`` at the logged
            epochs: the loss of the epoch's last step and the mean over the epoch's steps.
        snapshot_at: the steps (0-based) at which to record a Snapshot in ``history.snapshots``.
        advice: what the TrainingDiverged message advises after naming the learning rate.
        chunk_epochs: the most epochs drawn and (compiled) taken at a time: a Ctrl-C under a
            compiled engine waits at most this long.

    Attributes:
        history: the History so far; ``history.model`` is the model.
        epoch: how many epochs were trained.

    Example:
        >>> from micrograd44 import MLP
        >>> from micrograd44.losses import mse_loss
        >>> from micrograd44.optim import SGD
        >>> model = MLP(1, [4, 1], activation="tanh", seed=0)
        >>> trainer = Trainer(model, [[0.0], [0.5], [1.0]], [0.0, 0.25, 1.0],
        ...                   loss=mse_loss, optimizer=SGD(model.parameters(), lr=0.1))
        >>> trainer.train(5)
        >>> trainer.epoch, len(trainer.history.step_losses)
        (5, 15)
    """

    def __init__(
        self,
        model: Module,
        samples,
        targets,
        *,
        loss: Callable,
        optimizer: Optimizer,
        sampling: str = "random",
        seed: int = 0,
        engine: str = "eager",
        lr_schedule: Callable[[int], float] | None = None,
        log_every: int = 1,
        on_log: LogFunction | None = None,
        snapshot_at: Container[int] = (),
        advice: str = "try a smaller one",
        chunk_epochs: int = CHUNK_EPOCHS,
    ):
        self.samples = [[float(v) for v in x] for x in samples]
        self.targets = [float(t) for t in targets]
        self._rows = [[*x, t] for x, t in zip(self.samples, self.targets)]  # the compiled step's inputs
        if not self.samples or len(self.samples) != len(self.targets):
            raise ValueError(
                f"Trainer needs samples and as many targets, got {len(self.samples)} and {len(self.targets)}"
            )
        for name, value, names in (("sampling", sampling, SAMPLINGS), ("engine", engine, ENGINES)):
            if value not in names:
                raise ValueError(
                    f"Trainer: {name} {value!r} is unknown (choose one of {', '.join(map(repr, names))})"
                )
        if not (is_integer(log_every) and log_every >= 1 and is_integer(chunk_epochs) and chunk_epochs >= 1):
            raise ValueError(
                "Trainer: log_every and chunk_epochs must be integers >= 1, "
                f"got {log_every!r} and {chunk_epochs!r}"
            )
        self.loss, self.optimizer, self.sampling, self.engine = loss, optimizer, sampling, engine
        self.lr_schedule, self.log_every, self.on_log = lr_schedule, log_every, on_log
        self.snapshot_at, self.advice, self.chunk_epochs = snapshot_at, advice, chunk_epochs
        # (name, Value) of every parameter: the initial state, the Snapshots and the trace read it
        self._parameters = list(model.named_parameters())
        self.history = History(
            model=model,
            initial_state={name: p.data for name, p in self._parameters},  # model.state_dict()
            steps_per_epoch=1 if sampling == "full-batch" else len(self.samples),
            targets=self.targets,
            samples=Column.of_indices(len(self.samples)),
        )
        self.epoch = 0
        self._draws = SampleDraws(sampler(seed), len(self.samples))
        self._loop: TrainingLoop | None = None  # compiled at the first train() call
        self._predictor: Program | None = None  # the loop's program, run as C beside a C loop
        self._stop_if_pressed: Callable[[], None] = lambda: None
        self._finish()

    def train(self, epochs: int) -> None:
        """Train the next ``epochs`` epochs, logging at the logged ones.

        Raises:
            TrainingDiverged: a loss, gradient or parameter became nan or infinite (or the
                forward pass overflowed); the error names the epoch, the step and the first
                non-finite parameter, and its ``history`` holds every completed step.
            TrainingInterrupted: Ctrl-C (or a KeyboardInterrupt from on_log, or SIGTERM
                under ``stop_on_signal``); its ``history`` holds every completed step. The
                eager engine stops at the end of the current step, a compiled one at the
                end of its current run (at most ``chunk_epochs``, never past an epoch logged
                to ``on_log``).
            ValueError: epochs is not an integer >= 0.
        """
        if not (is_integer(epochs) and epochs >= 0):
            raise ValueError(f"Trainer.train: epochs must be an integer >= 0, got {epochs!r}")
        try:
            with stops_deferred_to_step_end() as stop_if_pressed:
                self._stop_if_pressed = stop_if_pressed
                if self.engine != "eager" and self._loop is None:
                    self._loop = self._compiled_loop(self.engine)
                self._train_epochs(self.epoch, self.epoch + epochs)
        except TrainingDiverged:
            self._finish()
            raise
        except KeyboardInterrupt as stop:
            self._finish()
            raise TrainingInterrupted(self.history, signal_of(stop)) from None
        finally:
            self._stop_if_pressed = lambda: None
        self._finish()

    def _finish(self) -> None:
        """Record the model's state in the History, and its predictions: when first read, or now by a compiled
        program already made for the Snapshots."""
        names = [name for name, _ in self._parameters]
        values = [p.data for _, p in self._parameters]
        if self._predictor is None:
            predictions = functools.partial(predictions_at, self.history.model, values, self.samples)
        else:
            predictions = self._predictions(numpy.array([values]))[0]
        self.history._finish(dict(zip(names, values)), predictions)

    def _train_epochs(self, start: int, stop: int) -> None:
        """Take epochs start..stop-1 in runs of at most chunk_epochs, ending at the epochs logged to on_log.

        Under lr_schedule a run is one epoch.
        """
        every = self.log_every
        while start < stop:
            end = min(start + self.chunk_epochs, stop)
            if self.lr_schedule:
                end = start + 1
                self.optimizer.lr = self.lr_schedule(start)
            elif self.on_log is not None:
                end = min(end, -(-start // every) * every + 1)  # just after the first logged epoch >= start
            steps = draw_steps(self.sampling, len(self.samples), end - start, self._draws)
            if self._loop is None:
                self._take_eagerly(steps)
            else:
                self._take_compiled(steps)
            self.epoch = end
            last = end - 1
            if self.on_log is not None and last % every == 0:
                self.on_log(last, self.history.step_losses[-1], self.history.epoch_losses[-1])
            start = end

    # ---- the eager engine: every step builds its graph and calls backward() ----

    def _forward_backward(self, indices: Sequence[int]) -> float:
        """The loss over the samples at the indices; every parameter's grad is filled in."""
        loss = step_loss(self.history.model, self.loss, self.samples, self.targets, indices)
        loss.backward()
        return loss.data

    def _take_eagerly(self, steps: numpy.ndarray) -> None:
        """Take the steps (the sample index of each) one by one, Ctrl-C between any two."""
        for sample in steps.tolist():
            self._step(sample, self.snapshot_at)
            self._stop_if_pressed()

    def _step(self, sample: int, snapshot_at: Container[int]) -> None:
        """Zero grads, forward, backward, check all is finite, snapshot if due, update; record the step.

        ``sample`` is the index of the step's sample, or FULL_BATCH for all of them.
        """
        loss = self._checked_backward(sample)
        step = len(self.history.step_losses)
        if step in snapshot_at:
            parameters = [p for _, p in self._parameters]
            snapshot = self._snapshot(
                step,
                sample,
                loss,
                [p.data for p in parameters],
                [p.grad for p in parameters],
                [predict(self.history.model, x) for x in self.samples],
            )
            self.history.snapshots.append(snapshot)
        self.optimizer.step()
        if not _all_finite(p.data for p in self.optimizer.params):
            raise self._diverged(_NONFINITE_UPDATE)
        self.history._record_steps([sample], [loss])

    def _checked_backward(self, sample: int) -> float:
        """Zero grads, forward, backward: the step's loss; TrainingDiverged unless all is finite."""
        indices = list(range(len(self.samples))) if sample == FULL_BATCH else [sample]
        self.optimizer.zero_grad()
        try:
            loss = self._forward_backward(indices)
        except OpError as error:
            raise self._diverged(f"the forward pass failed ({error})") from None
        if not math.isfinite(loss):
            raise self._diverged(f"the loss is {loss!r}")
        if not _all_finite(p.grad for p in self.optimizer.params):
            raise self._diverged("a gradient is not finite")
        return loss

    def _snapshot(
        self,
        step: int,
        sample: int,
        loss: float,
        values: list[float],
        grads: list[float],
        predictions: list[float],
    ) -> Snapshot:
        """The Snapshot of a step: the parameters' values and grads (in named order) after its backward."""
        names = [name for name, _ in self._parameters]
        return Snapshot(
            epoch=step // self.history.steps_per_epoch,
            step=step,
            sample=None if sample == FULL_BATCH else sample,
            loss=loss,
            values=dict(zip(names, values)),
            grads=dict(zip(names, grads)),
            predictions=predictions,
        )

    def _diverged(self, cause: str) -> TrainingDiverged:
        """The error for the step after the last recorded one, which produced nan or infinity."""
        history = self.history
        step = len(history.step_losses)
        epoch = step // history.steps_per_epoch
        message = (
            f"training diverged at epoch {epoch}, step {step}: {cause}; {_first_nonfinite(history.model)}. "
            f"The learning rate {self.optimizer.lr:g} is too large: {self.advice}."
        )
        return TrainingDiverged(message, history, epoch, step)

    # ---- the compiled engines: runs of steps in one call of a loop compiled once ----

    def _compiled_loop(self, backend: str) -> TrainingLoop | None:
        """The loss of one sample and the prediction (``step_program``), compiled into a training loop.

        For the backend "compiled": C where a C compiler works, else Python (announced once
        on stderr). None when the forward pass fails on every sample: the steps are then
        taken eagerly, which stop with eager's TrainingDiverged at eager's step.
        """
        try:
            program = step_program(
                self.history.model, self.loss, self._rows, [p for _, p in self._parameters]
            )
        except OpError:
            return None
        if backend == "compiled":
            try:
                loop = program.training_loop(self.optimizer, "c")
                loop.compile(self._mode)
                return loop
            except CompilerUnavailable as error:
                announce_fallback(str(error))
                backend = "python"
        loop = program.training_loop(self.optimizer, backend)
        loop.compile(self._mode)
        return loop

    @property
    def _mode(self) -> str:
        """The compiled loop's mode for the sampling: "full_batch" or "single_sample"."""
        return "full_batch" if self.sampling == "full-batch" else "single_sample"

    def _take_compiled(self, steps: numpy.ndarray) -> None:
        """Take the steps (the sample index of each) in one call of the compiled loop, Ctrl-C after it.

        The steps due for a Snapshot are recorded by the loop itself (``record_at``): see
        ``_record_snapshots``.
        """
        first = len(self.history.step_losses)
        marks = [s - first for s in self.snapshot_at if first <= s < first + len(steps)]
        self._run_compiled(steps, marks)
        self._stop_if_pressed()

    def _run_compiled(self, steps: numpy.ndarray, marks: list[int]) -> None:
        """Take the steps in one call of the compiled loop and record them; TrainingDiverged as eager's."""
        if len(steps) == 0:
            return
        failed = None
        first = len(self.history.step_losses)
        schedule = len(steps) if self._mode == "full_batch" else steps  # full batch: how many epochs
        try:
            taken = self._loop.run(self._mode, self._rows, schedule, check_finite=True, record_at=marks)
        except StepFailed as stop:
            taken, failed = stop.steps, stop.stage
        self.history._record_steps(steps[: len(taken.losses)], taken.losses)
        if len(taken.recorded):
            self._record_snapshots(first, steps, taken)
        if failed is not None:
            self._fail_as_eager(failed, int(steps[len(taken.losses)]))

    def _record_snapshots(self, first: int, steps: numpy.ndarray, taken: Steps) -> None:
        """The Snapshots of the steps the loop recorded (``first`` is the step of steps[0]).

        The loop copied the parameters, grads and loss where the eager step takes its
        Snapshot; the predictions are the loop's program run with those parameters
        (``_predictions``): eager's numbers, bit for bit.
        """
        predictions = self._predictions(taken.values)
        rows = zip(taken.recorded.tolist(), taken.values.tolist(), taken.grads.tolist(), predictions)
        for (local, values, grads, predicted), loss in zip(rows, taken.recorded_losses.tolist()):
            snapshot = self._snapshot(first + local, int(steps[local]), loss, values, grads, predicted)
            self.history.snapshots.append(snapshot)

    def _predictions(self, values: numpy.ndarray) -> list[list[float]]:
        """The model's predictions on every sample under each row of parameter values (in named order).

        The loop's program gives them (its second output); where it fails (the engine
        would raise for the loss or the prediction), ``predict`` gives that row's.
        """
        if self._predictor is None:
            self._predictor = self._loop.program
            if self._loop.backend == "c":
                with contextlib.suppress(CompilerUnavailable):  # e.g. a compile timeout: Python then
                    self._predictor = self._predictor.c_program()
        outputs, failed = self._predictor.outputs_at(values, self._rows)
        predictions = outputs[:, :, 1].tolist()
        for row in numpy.flatnonzero(failed.any(axis=1)).tolist():
            predictions[row] = predictions_at(self.history.model, values[row].tolist(), self.samples)
        return predictions

    def _fail_as_eager(self, stage: str, sample: int) -> NoReturn:
        """Raise the TrainingDiverged of the eager engine for the step a compiled loop stopped at.

        A failed update was applied, as eager applies it. Any other failure left the step
        untaken, so the eager engine takes it again and raises its own error, word for word
        (the compiled loop's engine error would name the traced inputs, 'x1', where the
        eager graph has an unlabelled input).
        """
        if stage == "update":
            raise self._diverged(_NONFINITE_UPDATE)
        self._step(sample, snapshot_at=())
        raise RuntimeError(
            f"the compiled engine stopped at step {len(self.history.step_losses) - 1} ({stage}), "
            "which the eager engine completed"
        )


def fit(model: Module, samples, targets, *, epochs: int, **options) -> History:
    """Train the model for ``epochs`` epochs and return the History (``Trainer`` takes the options).

    Example:
        >>> from micrograd44 import MLP
        >>> from micrograd44.data import moons
        >>> from micrograd44.losses import hinge
        >>> from micrograd44.optim import SGD
        >>> points, labels = moons(20, seed=0)
        >>> model = MLP(2, [8, 1], activation="relu", seed=0)
        >>> history = fit(model, points, 2 * labels - 1, epochs=3, loss=hinge,
        ...               optimizer=SGD(model.parameters(), lr=0.1), sampling="full-batch", engine="python")
        >>> len(history.step_losses)
        3
    """
    trainer = Trainer(model, samples, targets, **options)
    trainer.train(epochs)
    return trainer.history


__all__ = [
    "CHUNK_EPOCHS",
    "ENGINES",
    "SAMPLINGS",
    "LogFunction",
    "Trainer",
    "TrainingDiverged",
    "fit",
    "is_integer",
    "step_loss",
]
