"""A general training loop: any model with one output, any samples, targets, loss and optimizer.

``fit(model, samples, targets, loss=..., optimizer=..., epochs=...)`` trains and returns a
``History`` of every step; ``Trainer`` does the same a few epochs at a time. An epoch is
one step per sample, drawn at random with replacement (``sampling="random"``) or taken in
order (``"cycle"``), or one step on the mean loss over all the samples (``"full-batch"``).
The engine computes each step: ``"eager"`` builds its graph and calls backward(); ``"python"``
and ``"c"`` trace the loss of one sample once and run the steps as generated Python or C
(``micrograd44.compiled``); ``"compiled"`` is C where a C compiler works, else Python. Every
engine gives the same History, bit for bit. Training fails loudly: a loss, gradient or
parameter that turns nan or infinite stops it with ``TrainingDiverged``; Ctrl-C (and
SIGTERM under ``stop_on_signal``) stops it at the end of the current step (of the current
run of steps, compiled) with ``TrainingInterrupted``. Both carry the history so far.

The course recipe (``micrograd44.train``) is a preset over this loop.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import math
import numbers
import random
import signal
import threading
from array import array
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from typing import NoReturn

import numpy

from .compiled import StepFailed, TrainingLoop, trace
from .compiled.toolchain import CompilerUnavailable, announce_fallback
from .core.errors import OpError
from .core.value import Value
from .draws import draw_indices
from .nn import Module
from .optim import Optimizer

# how an epoch picks the samples of its steps (see Trainer)
SAMPLINGS = ("random", "cycle", "full-batch")

# engine name -> the compiled backend that takes its steps (None: the engine's own graphs)
_ENGINES = {"eager": None, "compiled": "compiled", "python": "python", "c": "c"}

# what computes each step: the engine's graph, or a program compiled from it (see Trainer)
ENGINES = tuple(_ENGINES)

# the most epochs whose samples are drawn, and (compiled) taken in one call, at a time
CHUNK_EPOCHS = 1000

# the sample "index" of a full-batch step (stored for None in History.samples)
FULL_BATCH = -1

# called as on_log(epoch, loss of the epoch's last step, mean loss of the epoch)
LogFunction = Callable[[int, float, float], None]


def _rounded(predictions: Iterable[float]) -> list[int | None]:
    """Each prediction rounded at 0.5 to 0 or 1; None where it is nan or infinite."""
    return [None if not math.isfinite(p) else int(p >= 0.5) for p in predictions]


def _predict(model: Module, x: list[float]) -> float:
    """The model's output for one input; nan when the forward pass overflows (a diverged model)."""
    try:
        return model(x).data
    except OpError:
        return math.nan


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """One training step as it stood after its backward, before its update.

    Attributes:
        epoch: the step's epoch (0-based).
        step: the step's index in the whole run (0-based, as in ``History.step_losses``).
        sample: the sample index of the step, None for a full-batch step.
        loss: the step's loss, ``history.step_losses[step]``.
        values: {parameter name: value}, the weights this step's loss was computed with.
        grads: {parameter name: grad}, their gradients from this step's backward.
        predictions: the model's raw outputs on every sample with these weights.
    """

    epoch: int
    step: int
    sample: int | None
    loss: float
    values: dict[str, float]
    grads: dict[str, float]
    predictions: list[float]

    @property
    def rounded(self) -> list[int | None]:
        """Each prediction rounded at 0.5 to 0 or 1; None where it is nan or infinite."""
        return _rounded(self.predictions)


class Column(Sequence):
    """A list-like column of per-step numbers, stored compactly in an ``array.array``.

    It reads like a list: indexing, slicing (to a list), ``len``, iteration, ``==`` with
    any sequence, and numpy converts it without copying item by item. A float column
    (typecode ``"d"``) takes 8 bytes per entry where a list of floats takes 32 (a pointer
    and a float object); a column of sample indices takes 1 byte per entry (``"b"``, up to
    128 samples; ``"h"`` and ``"l"`` beyond), None being stored as ``none``.

    Example:
        >>> losses = Column("d", [0.5, 0.25])
        >>> losses.append(0.125)
        >>> losses == [0.5, 0.25, 0.125], losses[-1], losses[:2]
        (True, 0.125, [0.5, 0.25])
    """

    __slots__ = ("_values", "_none")

    def __init__(self, typecode: str, values: Iterable = (), *, none: int | None = None):
        self._values = array(typecode)
        self._none = none
        self.extend(values)

    def append(self, value) -> None:
        """Add one entry at the end (None only in a column made with ``none``)."""
        self.extend((value,))

    def extend(self, values: Iterable) -> None:
        """Add the entries at the end, in order (None only in a column made with ``none``)."""
        if self._none is None:
            self._values.extend(values)
        else:
            none = self._none
            self._values.extend(none if value is None else value for value in values)

    def _extend_stored(self, values: Sequence[int] | numpy.ndarray) -> None:
        """Add entries given in their stored form (``none`` for None), e.g. an int array."""
        self._values.frombytes(numpy.asarray(values, dtype=self._values.typecode).tobytes())

    def _read(self, stored):
        """The entry as given: None where ``none`` is stored."""
        return None if self._none is not None and stored == self._none else stored

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return (
                list(self._values[index])
                if self._none is None
                else list(map(self._read, self._values[index]))
            )
        return self._read(self._values[index])

    def __iter__(self) -> Iterator:
        return iter(self._values) if self._none is None else map(self._read, self._values)

    def __eq__(self, other) -> bool:
        if isinstance(other, Column):
            return self._none == other._none and self._values == other._values
        if isinstance(other, Sequence) and not isinstance(other, (str, bytes)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # mutable, as a list

    def __array__(self, dtype=None, copy=None):
        values = self._values if self._none is None else [math.nan if v is None else v for v in self]
        return numpy.array(values, dtype=dtype)

    def __repr__(self) -> str:
        if len(self) <= 6:
            return repr(self[:])
        head, tail = ", ".join(map(repr, self[:3])), ", ".join(map(repr, self[-2:]))
        return f"[{head}, ..., {tail}] ({len(self)} entries)"


@dataclasses.dataclass(repr=False)
class History:
    """Everything a training run did, step by step.

    Attributes:
        model: the trained model (as it was when training stopped).
        initial_state: the state dict before the first step.
        steps_per_epoch: the number of steps in an epoch (1 for full-batch sampling).
        step_losses: the loss of every completed step, in order (a list-like ``Column``
            of floats, 8 bytes per step).
        samples: the sample index of every step, None for a full-batch step (a
            ``Column``, 1 byte per step for up to 128 samples).
        epoch_losses: the mean step loss of every completed epoch (a ``Column`` of floats).
        final_state: the state dict when training stopped.
        predictions: the model's raw outputs on the samples when training stopped.
        snapshots: the Snapshots recorded (see ``Trainer``'s ``snapshot_at``), in step
            order; [] when none were asked for.
    """

    model: Module
    initial_state: dict[str, float]
    steps_per_epoch: int = dataclasses.field(kw_only=True)
    step_losses: Column = dataclasses.field(default_factory=lambda: Column("d"))
    samples: Column = dataclasses.field(default_factory=lambda: Column("b", none=-1))
    epoch_losses: Column = dataclasses.field(default_factory=lambda: Column("d"))
    final_state: dict[str, float] = dataclasses.field(default_factory=dict)
    predictions: list[float] = dataclasses.field(default_factory=list)
    snapshots: list[Snapshot] = dataclasses.field(default_factory=list)

    @property
    def rounded(self) -> list[int | None]:
        """Each prediction rounded at 0.5 to 0 or 1; None where it is nan or infinite."""
        return _rounded(self.predictions)

    def __repr__(self) -> str:
        return f"<History of {len(self.step_losses)} steps, {len(self.epoch_losses)} epochs>"

    def _record_steps(self, samples: Sequence[int] | numpy.ndarray, losses: Sequence[float]) -> None:
        """Append completed steps (the sample index and loss of each) and the mean of each epoch completed.

        A full-batch step's sample is ``FULL_BATCH``. An epoch's mean is an fsum of
        loss / steps, so it never overflows.
        """
        if len(samples) != len(losses):
            raise ValueError(f"{len(samples)} steps but {len(losses)} losses")
        self.step_losses.extend(losses)
        self.samples._extend_stored(samples)
        per_epoch = self.steps_per_epoch
        first, last = len(self.epoch_losses), len(self.step_losses) // per_epoch
        if last > first:
            steps = numpy.frombuffer(self.step_losses._values[first * per_epoch : last * per_epoch])
            self.epoch_losses.extend(map(math.fsum, (steps / per_epoch).reshape(-1, per_epoch).tolist()))

    def _finish(self, inputs: Sequence[list[float]]) -> None:
        """Record the model's final state and its predictions on the inputs."""
        self.final_state = self.model.state_dict()
        self.predictions = [_predict(self.model, x) for x in inputs]


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


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C (or another stop signal) stopped the training.

    Attributes:
        history: every step completed before it.
        signum: the signal that stopped it: ``signal.SIGINT`` for Ctrl-C or any other
            KeyboardInterrupt, ``signal.SIGTERM`` when a ``stop_on_signal`` handler took it.
    """

    def __init__(self, history: History, signum: int = signal.SIGINT):
        super().__init__("training interrupted")
        self.history = history
        self.signum = signum


class StopRequested(KeyboardInterrupt):
    """A KeyboardInterrupt raised by ``stop_on_signal``; ``signum`` is the signal received."""

    def __init__(self, signum: int):
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


def stop_on_signal(signum: int, frame) -> NoReturn:
    """A signal handler that stops the program as Ctrl-C does, remembering which signal it was.

    Install it for SIGTERM (``signal.signal(signal.SIGTERM, stop_on_signal)``) to have a
    termination request handled like Ctrl-C: outside training it raises ``StopRequested``
    at once; during training the stop waits for the end of the current step, and
    ``TrainingInterrupted.signum`` says which signal it was.
    """
    raise StopRequested(signum)


# the signals training defers to the end of a step, when their handler stops the program
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def _ctrl_c_between_steps() -> Iterator[Callable[[], None]]:
    """Defer Ctrl-C (and SIGTERM under ``stop_on_signal``) to the end of the current step.

    No update is then left half done. Yields a function to call between steps: it raises
    StopRequested once a stop signal arrived. A second one stops at once. Outside the main
    thread, or for a signal with a handler of its own (or ignored), nothing changes.
    """
    received = []

    def on_stop(signum, frame):
        if received:
            raise StopRequested(signum)
        received.append(signum)

    def stop_if_pressed() -> None:
        if received:
            raise StopRequested(received[0])

    in_main_thread = threading.current_thread() is threading.main_thread()
    stoppers = (signal.default_int_handler, stop_on_signal)
    taken = [s for s in _STOP_SIGNALS if in_main_thread and signal.getsignal(s) in stoppers]
    previous = {s: signal.signal(s, on_stop) for s in taken}
    try:
        yield stop_if_pressed
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _sampler(seed: int) -> random.Random:
    """The random stream of the sample draws of ``seed``, separate from any weights' stream."""
    return random.Random(f"micrograd44 samples {seed}")


def _draw_steps(sampling: str, n: int, epochs: int, rng: random.Random) -> numpy.ndarray:
    """The sample index of every step of some epochs over n samples (random ones drawn from rng).

    A full-batch step's index is ``FULL_BATCH``.
    """
    if sampling == "full-batch":
        return numpy.full(epochs, FULL_BATCH)
    if sampling == "cycle":
        return numpy.tile(numpy.arange(n), epochs)
    return draw_indices(rng, n, epochs * n)


def _index_column(n: int) -> Column:
    """An empty column for the sample indices 0..n-1 and None, in the fewest bytes per entry."""
    typecode = next(t for t in "bhl" if n - 1 <= 2 ** (8 * array(t).itemsize - 1) - 1)
    return Column(typecode, none=FULL_BATCH)


def _is_int(value) -> bool:
    """True for an integer that is not a bool (numpy's included)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


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


def _traced_inputs(n: int) -> list[inspect.Parameter]:
    """The positional parameters x1, ..., xn, target: the names of the compiled step's inputs."""
    names = [f"x{i}" for i in range(1, n + 1)] + ["target"]
    return [inspect.Parameter(name, inspect.Parameter.POSITIONAL_ONLY) for name in names]


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
        history: the (empty) History to fill; by default a new one.
        forward_backward: None, or ``forward_backward(indices)``: computes the loss of the
            samples at those indices as a graph and calls its backward() (the eager
            engine's step; by default the loss over the samples' predictions).
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
        history: History | None = None,
        forward_backward: Callable[[Sequence[int]], Value] | None = None,
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
        if not (_is_int(log_every) and log_every >= 1 and _is_int(chunk_epochs) and chunk_epochs >= 1):
            raise ValueError(
                "Trainer: log_every and chunk_epochs must be integers >= 1, "
                f"got {log_every!r} and {chunk_epochs!r}"
            )
        self.loss, self.optimizer, self.sampling, self.engine = loss, optimizer, sampling, engine
        self.lr_schedule, self.log_every, self.on_log = lr_schedule, log_every, on_log
        self.snapshot_at, self.advice, self.chunk_epochs = snapshot_at, advice, chunk_epochs
        self._forward_backward = forward_backward or self._mean_loss_backward
        per_epoch = 1 if sampling == "full-batch" else len(self.samples)
        if history is None:
            history = History(model=model, initial_state=model.state_dict(), steps_per_epoch=per_epoch)
        if history.model is not model or history.steps_per_epoch != per_epoch or history.step_losses:
            raise ValueError("Trainer: history must be a new History of this model with its steps per epoch")
        history.samples = _index_column(len(self.samples))
        self.history = history
        self.history._finish(self.samples)
        self.epoch = 0
        self._rng = _sampler(seed)
        self._loop: TrainingLoop | None = None  # compiled at the first train() call
        self._stop_if_pressed: Callable[[], None] = lambda: None

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
        if not (_is_int(epochs) and epochs >= 0):
            raise ValueError(f"Trainer.train: epochs must be an integer >= 0, got {epochs!r}")
        try:
            with _ctrl_c_between_steps() as stop_if_pressed:
                self._stop_if_pressed = stop_if_pressed
                if _ENGINES[self.engine] is not None and self._loop is None:
                    self._loop = self._compiled_loop(_ENGINES[self.engine])
                self._train_epochs(self.epoch, self.epoch + epochs)
        except TrainingDiverged:
            self.history._finish(self.samples)
            raise
        except KeyboardInterrupt as stop:
            self.history._finish(self.samples)
            raise TrainingInterrupted(self.history, getattr(stop, "signum", signal.SIGINT)) from None
        finally:
            self._stop_if_pressed = lambda: None
        self.history._finish(self.samples)

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
            steps = _draw_steps(self.sampling, len(self.samples), end - start, self._rng)
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

    def _mean_loss_backward(self, indices: Sequence[int]) -> Value:
        """The loss over the samples at the indices, with every parameter's grad filled in."""
        model = self.history.model
        loss = self.loss([model(self.samples[i]) for i in indices], [self.targets[i] for i in indices])
        loss.backward()
        return loss

    def _take_eagerly(self, steps: numpy.ndarray) -> None:
        """Take the steps (the sample index of each) one by one, Ctrl-C between any two."""
        for sample in steps.tolist():
            self._step(sample, self.snapshot_at)
            self._stop_if_pressed()

    def _step(self, sample: int, snapshot_at: Container[int]) -> None:
        """Zero grads, forward, backward, check all is finite, snapshot if due, update; record the step.

        ``sample`` is the index of the step's sample, or FULL_BATCH for all of them.
        """
        params = self.optimizer.params
        indices = list(range(len(self.samples))) if sample == FULL_BATCH else [sample]
        self.optimizer.zero_grad()
        try:
            loss = self._forward_backward(indices).data
        except OpError as error:
            raise self._diverged(f"the forward pass failed ({error})") from None
        if not math.isfinite(loss):
            raise self._diverged(f"the loss is {loss!r}")
        if not _all_finite(p.grad for p in params):
            raise self._diverged("a gradient is not finite")
        step = len(self.history.step_losses)
        if step in snapshot_at:
            self.history.snapshots.append(self._snapshot(step, sample, loss))
        self.optimizer.step()
        if not _all_finite(p.data for p in params):
            raise self._diverged(_NONFINITE_UPDATE)
        self.history._record_steps([sample], [loss])

    def _snapshot(self, step: int, sample: int, loss: float) -> Snapshot:
        """The model's parameters, grads and predictions now, after the step's backward on ``sample``."""
        model = self.history.model
        parameters = list(model.named_parameters())
        return Snapshot(
            epoch=step // self.history.steps_per_epoch,
            step=step,
            sample=None if sample == FULL_BATCH else sample,
            loss=loss,
            values={name: p.data for name, p in parameters},
            grads={name: p.grad for name, p in parameters},
            predictions=[_predict(model, x) for x in self.samples],
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

    def _compiled_loop(self, backend: str) -> TrainingLoop:
        """The loss of one sample traced once from the model and compiled into a training loop.

        For the backend "compiled": C where a C compiler works, else Python (announced once
        on stderr).
        """
        model, loss = self.history.model, self.loss

        def sample_loss(*inputs: Value) -> Value:
            return loss(model(list(inputs[:-1])), inputs[-1])

        sample_loss.__signature__ = inspect.Signature(_traced_inputs(len(self.samples[0])))
        program = trace(sample_loss, example=self._rows[0], parameters=model)
        mode = "full_batch" if self.sampling == "full-batch" else "single_sample"
        if backend == "compiled":
            try:
                loop = program.training_loop(self.optimizer, "c")
                loop.compile(mode)
                return loop
            except CompilerUnavailable as error:
                announce_fallback(str(error))
                backend = "python"
        loop = program.training_loop(self.optimizer, backend)
        loop.compile(mode)
        return loop

    def _take_compiled(self, steps: numpy.ndarray) -> None:
        """Take the steps (the sample index of each) in calls of the compiled loop, Ctrl-C after them.

        A step due for a Snapshot ends the run before it and is taken eagerly, which
        records the snapshot; the next run continues from its update.
        """
        first = len(self.history.step_losses)
        done = 0
        for step in sorted(s for s in self.snapshot_at if first <= s < first + len(steps)):
            self._run_compiled(steps[done : step - first])
            self._step(int(steps[step - first]), self.snapshot_at)
            done = step - first + 1
        self._run_compiled(steps[done:])
        self._stop_if_pressed()

    def _run_compiled(self, steps: numpy.ndarray) -> None:
        """Take the steps in one call of the compiled loop and record them; TrainingDiverged as eager's."""
        failed = None
        rows = self._rows
        try:
            if self.sampling == "full-batch":
                losses = self._loop.full_batch(rows, len(steps), check_finite=True)
            else:
                losses = self._loop.single_sample(rows, steps, check_finite=True)
        except StepFailed as stop:
            losses, failed = stop.losses, stop.stage
        self.history._record_steps(steps[: len(losses)], losses)
        if failed is not None:
            self._fail_as_eager(failed, int(steps[len(losses)]))

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
    "Column",
    "History",
    "Snapshot",
    "StopRequested",
    "Trainer",
    "TrainingDiverged",
    "TrainingInterrupted",
    "fit",
    "stop_on_signal",
]
