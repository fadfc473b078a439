"""The course recipe end to end: train an MLP on XOR and keep the whole history.

``Recipe()`` is the 44-parameter exercise of the course: an MLP 2 -> 5 -> 4 -> 1 with tanh
after the hidden layers and a linear output, weights drawn from N(0, 1), biases from
PyTorch's default U(+-1/sqrt(fan_in)), L1 loss, SGD with lr 0.02 and momentum 0.9, 2001
epochs of 4 single-sample steps, each sample drawn at random with replacement. ``run()``
trains it and returns a ``History``. Training fails loudly: a loss or gradient that turns
nan or infinite stops it with ``TrainingDiverged``; Ctrl-C stops it at the end of the
current step (of the current run of steps, compiled) with ``TrainingInterrupted``. Both
carry the history up to that point.
``run(recipe, snapshot_every=50)`` also keeps ``Snapshot``s of the model at the logged epochs.
``Recipe(engine="compiled")`` runs the same steps through a program compiled once from the
model's graph (``micrograd44.compiled``): the same History, bit for bit, as C built by the
system's C compiler (``engine="c"``), or as generated Python (``engine="python"``) where no C
compiler works.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import html
import math
import numbers
import random
import signal
import threading
from array import array
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from typing import NoReturn

import numpy

from . import data, init
from .compiled import StepFailed, TrainingLoop, trace
from .compiled.toolchain import CompilerUnavailable, announce_fallback
from .engine import Value
from .errors import OpError
from .losses import l1_loss, mse_loss
from .nn import ACTIVATIONS, MLP
from .optim import SGD, Adam, Optimizer

# The four XOR samples as plain floats: inputs [x1, x2] and targets 0, 1, 1, 0.
INPUTS, TARGETS = (array.tolist() for array in data.xor())

# loss name -> the loss function (mean over the samples given)
LOSSES = {"l1": l1_loss, "mse": mse_loss}

# how an epoch picks the samples of its steps (see Recipe.sampling)
SAMPLINGS = ("random", "cycle", "full-batch")

# what computes each step: the engine's graph, or a program compiled from it (see Recipe.engine)
ENGINES = ("eager", "compiled", "python", "c")


def _sgd(params: list[Value], recipe: Recipe) -> Optimizer:
    """SGD with the recipe's learning rate and momentum."""
    return SGD(params, lr=recipe.lr, momentum=recipe.momentum)


def _adam(params: list[Value], recipe: Recipe) -> Optimizer:
    """Adam with the recipe's learning rate and PyTorch's default betas and eps."""
    return Adam(params, lr=recipe.lr)


# optimizer name -> make(params, recipe)
OPTIMIZERS: dict[str, Callable[[list[Value], Recipe], Optimizer]] = {"sgd": _sgd, "adam": _adam}


class RecipeError(ValueError):
    """An invalid Recipe field.

    Attributes:
        field: the name of the field ("lr", "hidden", ...).
        value: the value it was given.
        rule: what the value must be, e.g. "must be > 0".
    """

    def __init__(self, field: str, value, rule: str):
        super().__init__(f"Recipe.{field} {rule}, got {value!r}")
        self.field = field
        self.value = value
        self.rule = rule


def _is_int(value) -> bool:
    """True for an integer that is not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_finite_number(value) -> bool:
    """True for a finite real number that is not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _require(ok: bool, field: str, value, rule: str) -> None:
    """Raise RecipeError for the field unless ok."""
    if not ok:
        raise RecipeError(field, value, rule)


def _require_choice(field: str, value, names) -> None:
    """Raise RecipeError, listing the accepted names, unless value is one of them."""
    known = (value is None or isinstance(value, str)) and value in names
    _require(known, field, value, "is unknown (choose one of " + ", ".join(repr(n) for n in names) + ")")


@dataclasses.dataclass(frozen=True, repr=False)
class Recipe:
    """How to train: the defaults are the course's 44-parameter XOR recipe.

    Args:
        epochs: passes over the data (>= 0); the course ran 2001 (epochs 0 to 2000).
        lr: learning rate (> 0).
        momentum: SGD momentum (>= 0); Adam uses PyTorch's default betas instead.
        loss: "l1" (mean absolute error, the course) or "mse" (mean squared error).
        hidden: sizes of the hidden layers; the output layer (1 neuron, no activation)
            is added after them.
        activation: activation after each hidden layer ("tanh", "relu", "sigmoid" or None).
        weight_init, bias_init: init schemes by name (see ``micrograd44.init.SCHEMES``).
        sampling: "random" (each epoch 4 steps on one sample drawn at random with
            replacement, the course), "cycle" (4 steps on samples 0, 1, 2, 3) or
            "full-batch" (one step per epoch on the mean loss over the 4 samples).
        optimizer: "sgd" or "adam".
        seed: seeds the initial weights and the sample draws (two separate streams).
        print_every: log every this many epochs (epoch 0, 50, 100, ...).
        engine: "eager" (every step builds its graph and calls backward(), the course),
            "python" (the step's graph is traced once and replayed as generated Python,
            see ``micrograd44.compiled``), "c" (the same program as C, built by the
            system's C compiler) or "compiled" (C where a C compiler works, else Python,
            saying so in one line on stderr). All give the same History, bit for bit; a
            step of the Python program is about fifteen times faster than eager's, one of
            the C program a few hundred times (``benchmarks/native.py``).

    Raises:
        RecipeError: a ValueError naming the invalid field and its value.

    Example:
        >>> Recipe().lr
        0.02
        >>> Recipe(loss="mse", hidden=[8]).hidden
        (8,)
        >>> Recipe(lr=-1)
        Traceback (most recent call last):
        ...
        micrograd44.train.RecipeError: Recipe.lr must be a finite number > 0, got -1
    """

    epochs: int = 2001
    lr: float = 0.02
    momentum: float = 0.9
    loss: str = "l1"
    hidden: tuple[int, ...] = (5, 4)
    activation: str | None = "tanh"
    weight_init: str = "normal"
    bias_init: str = "torch"
    sampling: str = "random"
    optimizer: str = "sgd"
    seed: int = 2
    print_every: int = 50
    engine: str = "eager"

    def __post_init__(self):
        _require(_is_int(self.epochs) and self.epochs >= 0, "epochs", self.epochs, "must be an integer >= 0")
        _require(_is_finite_number(self.lr) and self.lr > 0, "lr", self.lr, "must be a finite number > 0")
        _require(
            _is_finite_number(self.momentum) and self.momentum >= 0,
            "momentum",
            self.momentum,
            "must be a finite number >= 0",
        )
        _require_choice("loss", self.loss, LOSSES)
        self._check_hidden()
        _require_choice("activation", self.activation, ACTIVATIONS)
        _require_choice("weight_init", self.weight_init, init.SCHEMES)
        _require_choice("bias_init", self.bias_init, init.SCHEMES)
        _require_choice("sampling", self.sampling, SAMPLINGS)
        _require_choice("optimizer", self.optimizer, OPTIMIZERS)
        _require(_is_int(self.seed), "seed", self.seed, "must be an integer")
        _require(
            _is_int(self.print_every) and self.print_every >= 1,
            "print_every",
            self.print_every,
            "must be an integer >= 1",
        )
        _require_choice("engine", self.engine, ENGINES)

    def _check_hidden(self) -> None:
        """Check the hidden sizes and store them as a tuple of ints."""
        sizes = self.hidden
        ok = isinstance(sizes, Sequence) and not isinstance(sizes, str)
        ok = ok and all(_is_int(size) and size > 0 for size in sizes)
        _require(ok, "hidden", sizes, "must be a sequence of positive integers (the hidden layer sizes)")
        object.__setattr__(self, "hidden", tuple(int(size) for size in sizes))

    @property
    def steps_per_epoch(self) -> int:
        """1 for full-batch, else one step per sample (4)."""
        return 1 if self.sampling == "full-batch" else len(INPUTS)

    def __repr__(self) -> str:
        """Only the fields that differ from the course recipe: ``Recipe()`` is the course itself."""
        changed = [
            f"{field.name}={getattr(self, field.name)!r}"
            for field in dataclasses.fields(self)
            if getattr(self, field.name) != field.default
        ]
        return f"Recipe({', '.join(changed)})"


def _rounded(predictions: Iterable[float]) -> list[int | None]:
    """Each prediction rounded at 0.5 to 0 or 1; None where it is nan or infinite."""
    return [None if not math.isfinite(p) else int(p >= 0.5) for p in predictions]


# ---- Snapshots: the model as it stood at chosen steps, recorded only when asked for ----


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """One training step as it stood after its backward, before its update.

    Attributes:
        epoch: the step's epoch (0-based).
        step: the step's index in the whole run (0-based, as in ``History.step_losses``).
        sample: the XOR sample index of the step (0 to 3), None for a full-batch step.
        loss: the step's loss, ``history.step_losses[step]``.
        values: {parameter name: value}, the weights this step's loss was computed with.
        grads: {parameter name: grad}, their gradients from this step's backward.
        predictions: the model's raw outputs on the 4 XOR inputs with these weights.
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


def snapshot_steps(recipe: Recipe, every: int) -> list[int]:
    """The steps at which ``run(recipe, snapshot_every=every)`` records a Snapshot.

    They are the first step, the last step of epochs 0, every, 2*every, ... (with
    ``every == recipe.print_every``, the epochs the log prints, with the loss it prints)
    and the last step of the run.

    Args:
        recipe: the Recipe to be run.
        every: the interval in epochs (>= 1).

    Returns:
        The step indices in increasing order, without repeats; [] for 0 epochs.

    Raises:
        ValueError: every is not an integer >= 1.

    Example:
        >>> snapshot_steps(Recipe(epochs=120), 50)
        [0, 3, 203, 403, 479]
    """
    if not (_is_int(every) and every >= 1):
        raise ValueError(f"snapshot_every must be an integer >= 1, got {every!r}")
    per_epoch, epochs = recipe.steps_per_epoch, recipe.epochs
    if epochs == 0:
        return []
    epoch_ends = [(epoch + 1) * per_epoch - 1 for epoch in range(0, epochs, every)]
    return sorted({0, *epoch_ends, epochs * per_epoch - 1})


def _take_snapshot(model: MLP, epoch: int, step: int, indices: Sequence[int], loss: float) -> Snapshot:
    """The model's parameters, grads and predictions now, after the step's backward."""
    parameters = list(model.named_parameters())
    return Snapshot(
        epoch=epoch,
        step=step,
        sample=indices[0] if len(indices) == 1 else None,
        loss=loss,
        values={name: p.data for name, p in parameters},
        grads={name: p.grad for name, p in parameters},
        predictions=[_predict(model, x) for x in INPUTS],
    )


class Column(Sequence):
    """A list-like column of per-step numbers, stored compactly in an ``array.array``.

    It reads like a list: indexing, slicing (to a list), ``len``, iteration, ``==`` with
    any sequence, and numpy converts it without copying item by item. A float column
    (typecode ``"d"``) takes 8 bytes per entry where a list of floats takes 32 (a pointer
    and a float object); a column of sample indices (``"b"``) takes 1 byte, None being
    stored as ``none``.

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
        recipe: the Recipe that was run.
        model: the trained MLP (as it was when training stopped).
        initial_state: the state dict before the first step.
        step_losses: the loss of every completed step, in order (a list-like ``Column``
            of floats, 8 bytes per step).
        samples: the XOR sample index of every step (0 to 3), None for a full-batch step
            (a ``Column``, 1 byte per step).
        epoch_losses: the mean step loss of every completed epoch (a ``Column`` of floats).
        final_state: the state dict when training stopped.
        predictions: the model's raw outputs on the 4 XOR inputs when training stopped.
        snapshots: the Snapshots ``run(..., snapshot_every=N)`` recorded, in step order;
            [] when none were asked for.
    """

    recipe: Recipe
    model: MLP
    initial_state: dict[str, float]
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

    @property
    def solved(self) -> bool:
        """True when every rounded prediction equals its XOR target."""
        return self.rounded == [int(t) for t in TARGETS]

    def __repr__(self) -> str:
        return f"<History of {self.recipe!r}: {', '.join(self._summary())}>"

    def _summary(self) -> list[str]:
        """Steps taken (of those planned), the last epoch's mean loss and whether XOR was solved."""
        planned = self.recipe.epochs * self.recipe.steps_per_epoch
        steps = len(self.step_losses)
        loss = f"last epoch loss {self.epoch_losses[-1]:.6g}" if self.epoch_losses else "no complete epoch"
        return [
            f"{steps} steps" if steps == planned else f"{steps} of {planned} steps",
            loss,
            "XOR solved" if self.solved else "XOR not solved",
        ]

    def _repr_html_(self) -> str:
        """Jupyter's view: the recipe, the steps, the last epoch's loss, solved, and a small loss curve."""
        summary = html.escape(", ".join(self._summary()))
        return (
            '<div style="font-family: monospace">'
            f"<div>History of {html.escape(repr(self.recipe))}</div><div>{summary}</div>"
            f"{_loss_sparkline(self.epoch_losses, self.recipe.loss)}</div>"
        )

    def _record_steps(self, batches: Sequence[Sequence[int]], losses: Sequence[float]) -> None:
        """Append completed steps (the samples and loss of each) and the mean of every epoch they complete.

        An epoch's mean is an fsum of loss / steps, so it never overflows.
        """
        if len(batches) != len(losses):
            raise ValueError(f"{len(batches)} steps but {len(losses)} losses")
        self.step_losses.extend(losses)
        self.samples.extend(indices[0] if len(indices) == 1 else None for indices in batches)
        per_epoch = self.recipe.steps_per_epoch
        for epoch in range(len(self.epoch_losses), len(self.step_losses) // per_epoch):
            epoch_steps = self.step_losses[epoch * per_epoch : (epoch + 1) * per_epoch]
            self.epoch_losses.append(math.fsum(loss / per_epoch for loss in epoch_steps))

    def _finish(self) -> None:
        """Record the model's final state and predictions."""
        self.final_state = self.model.state_dict()
        self.predictions = [_predict(self.model, x) for x in INPUTS]


# size of the loss curve in History._repr_html_, in pixels, and the most points it draws
_SPARKLINE_WIDTH, _SPARKLINE_HEIGHT, _SPARKLINE_POINTS = 240, 60, 120


def _loss_sparkline(epoch_losses: Sequence[float], loss_name: str) -> str:
    """A small inline SVG of the epoch losses, log scale, at most _SPARKLINE_POINTS block means, or ''."""
    means = block_means(epoch_losses, max(1, -(-len(epoch_losses) // _SPARKLINE_POINTS)))
    logs = [math.log10(loss) for loss in means if loss > 0]
    if len(logs) < 2:
        return ""
    low, high = min(logs), max(logs)
    spread = (high - low) or 1.0
    step = _SPARKLINE_WIDTH / (len(logs) - 1)
    points = " ".join(
        f"{i * step:.1f},{(high - y) / spread * (_SPARKLINE_HEIGHT - 4) + 2:.1f}" for i, y in enumerate(logs)
    )
    title = f"{loss_name} loss per epoch, log scale: from {10 ** logs[0]:.3g} to {10 ** logs[-1]:.3g}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_SPARKLINE_WIDTH}" height="{_SPARKLINE_HEIGHT}" '
        f'role="img"><title>{html.escape(title)}</title>'
        f'<polyline points="{points}" fill="none" stroke="steelblue" stroke-width="1.5"/></svg>'
    )


def block_means(losses: Sequence[float], size: int) -> list[float]:
    """The mean of each run of ``size`` consecutive losses: losses[0:size], losses[size:2*size], ...

    A last, incomplete run is left out. Over ``print_every`` epoch losses, this is the
    trend line of training.png and of the replay page's loss curve.

    Example:
        >>> block_means([1.0, 3.0, 2.0, 4.0, 9.0], 2)
        [2.0, 3.0]
    """
    starts = range(0, len(losses) - size + 1, size)
    return [math.fsum(losses[start : start + size]) / size for start in starts]


def _predict(model: MLP, x: list[float]) -> float:
    """The model's output for one input; nan when the forward pass overflows (a diverged model)."""
    try:
        return model(x).data
    except OpError:
        return math.nan


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
    termination request handled like Ctrl-C: outside ``run()`` it raises ``StopRequested``
    at once; during ``run()`` the stop waits for the end of the current step, and
    ``TrainingInterrupted.signum`` says which signal it was.
    """
    raise StopRequested(signum)


def build_model(recipe: Recipe) -> MLP:
    """The recipe's model with its initial weights: MLP 2 -> *hidden -> 1, linear output.

    Args:
        recipe: the Recipe; its seed, hidden, activation, weight_init and bias_init are used.

    Returns:
        A new MLP; the same recipe always gives the same weights (those ``run()`` starts from).

    Example:
        >>> build_model(Recipe())
        MLP(2 -> 5 -> 4 -> 1, act=tanh, 44 parameters)
    """
    return MLP(
        len(INPUTS[0]),
        [*recipe.hidden, 1],
        activation=recipe.activation,
        final_activation=None,
        weight_init=recipe.weight_init,
        bias_init=recipe.bias_init,
        seed=recipe.seed,
    )


def sample_loss(model: MLP, recipe: Recipe, indices: Sequence[int]) -> Value:
    """The recipe's loss on the given XOR samples, the mean over them, as a graph to backward().

    Args:
        model: the MLP being trained.
        recipe: its Recipe (for the loss function).
        indices: XOR sample indices (0 to 3): one for a single-sample step, all four for
            a full-batch step.

    Returns:
        The loss Value.

    Example:
        >>> model = build_model(Recipe())
        >>> loss = sample_loss(model, Recipe(), [0, 1, 2, 3])
        >>> loss.backward()
    """
    predictions = [model(INPUTS[i]) for i in indices]
    return LOSSES[recipe.loss](predictions, [TARGETS[i] for i in indices])


def forward_backward(model: MLP, recipe: Recipe, indices: Sequence[int]) -> Value:
    """One step's computation: the loss on the samples, with every parameter's grad filled in.

    This is the part of a step an engine does (the optimizer then updates the weights);
    parameter grads must be zero before the call.
    """
    loss = sample_loss(model, recipe, indices)
    loss.backward()
    return loss


def _sampler(seed: int) -> random.Random:
    """The random stream of the sample draws, separate from the weights' stream."""
    return random.Random(f"micrograd44 samples {seed}")


def _epoch_batches(recipe: Recipe, rng: random.Random) -> list[list[int]]:
    """The sample indices of each step of one epoch."""
    n = len(INPUTS)
    if recipe.sampling == "full-batch":
        return [list(range(n))]
    if recipe.sampling == "cycle":
        return [[i] for i in range(n)]
    return [[rng.randrange(n)] for _ in range(n)]


def _largest_parameter(model: MLP) -> str:
    """'name = value' for the parameter of largest magnitude."""
    name, p = max(model.named_parameters(), key=lambda item: abs(item[1].data))
    return f"{name} = {p.data:.6g}"


def _first_nonfinite(model: MLP) -> str:
    """Describe the first parameter whose value or grad is nan or infinite, or say there is none."""
    for name, p in model.named_parameters():
        if not (math.isfinite(p.data) and math.isfinite(p.grad)):
            return f"first parameter with a non-finite value or grad: {name} = {p.data!r}, grad {p.grad!r}"
    return f"no parameter or gradient is non-finite yet, the largest parameter is {_largest_parameter(model)}"


def _diverged(cause: str, history: History) -> TrainingDiverged:
    """The error for the step after the last recorded one, which produced nan or infinity."""
    step = len(history.step_losses)
    epoch = step // history.recipe.steps_per_epoch
    lr = history.recipe.lr
    message = (
        f"training diverged at epoch {epoch}, step {step}: {cause}; {_first_nonfinite(history.model)}. "
        f"The learning rate {lr:g} is too large for this recipe: try a smaller one "
        "(stable_learning_rate() finds one that trains)."
    )
    return TrainingDiverged(message, history, epoch, step)


def stable_learning_rate(recipe: Recipe, epochs: int, *, tries: int = 6) -> float | None:
    """The largest of lr/10, lr/100, ... (``tries`` of them) that trains the first ``epochs`` epochs.

    Each candidate is checked by training the recipe for ``epochs`` epochs (with the
    compiled engine: the same numbers, faster) and kept if it does not diverge.

    Args:
        recipe: a recipe whose learning rate diverged.
        epochs: how many of its first epochs a candidate must train (at most recipe.epochs).
        tries: how many candidates to check, each ten times smaller than the last.

    Returns:
        The learning rate, or None when none of the candidates trains that long.

    Example:
        >>> stable_learning_rate(Recipe(loss="mse", lr=100), epochs=50)
        0.1
    """
    for power in range(1, tries + 1):
        lr = recipe.lr / 10**power
        if lr <= 0:
            return None
        try:
            run(dataclasses.replace(recipe, lr=lr, epochs=min(epochs, recipe.epochs), engine="compiled"))
        except TrainingDiverged:
            continue
        return lr
    return None


# the cause given by _diverged for an update that made a parameter nan or infinite
_NONFINITE_UPDATE = "the update made a parameter non-finite"


def _all_finite(values: Iterable[float]) -> bool:
    """True when none of the values is nan or infinite."""
    return all(map(math.isfinite, values))


def _train_step(
    optimizer: Optimizer, history: History, indices: list[int], snapshot_at: Container[int]
) -> None:
    """Zero grads, forward, backward, check everything is finite, snapshot if due, update; record the step."""
    params = optimizer.params
    optimizer.zero_grad()
    try:
        loss = forward_backward(history.model, history.recipe, indices).data
    except OpError as error:
        raise _diverged(f"the forward pass failed ({error})", history) from None
    if not math.isfinite(loss):
        raise _diverged(f"the loss is {loss!r}", history)
    if not _all_finite(p.grad for p in params):
        raise _diverged("a gradient is not finite", history)
    step = len(history.step_losses)
    if step in snapshot_at:
        epoch = step // history.recipe.steps_per_epoch
        history.snapshots.append(_take_snapshot(history.model, epoch, step, indices, loss))
    optimizer.step()
    if not _all_finite(p.data for p in params):
        raise _diverged(_NONFINITE_UPDATE, history)
    history._record_steps([indices], [loss])


# the signals run() defers to the end of a step, when their handler stops the program
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


# ---- the engines: each takes a run of steps, given as the samples of each step ----

# takes the steps whose samples it is given, records them in the History
StepsFunction = Callable[[list[list[int]]], None]


def _eager_engine(
    optimizer: Optimizer, history: History, snapshot_at: Container[int], stop_if_pressed: Callable[[], None]
) -> StepsFunction:
    """Steps taken one by one: each builds its graph, calls backward() and updates; Ctrl-C between any two."""

    def take_steps(batches: list[list[int]]) -> None:
        for indices in batches:
            _train_step(optimizer, history, indices, snapshot_at)
            stop_if_pressed()

    return take_steps


# The XOR samples as the inputs of the compiled step: x1, x2, target.
_COMPILED_SAMPLES = [[*x, t] for x, t in zip(INPUTS, TARGETS)]


def _compiled_loop(optimizer: Optimizer, history: History, backend: str) -> TrainingLoop:
    """The loss of one sample traced once from the model and compiled into a training loop.

    The loop is compiled here, before the first step: for the backend "compiled", C where
    a C compiler works, else Python (announced once on stderr).
    """
    loss = LOSSES[history.recipe.loss]
    program = trace(
        lambda x1, x2, target: loss(history.model([x1, x2]), target),
        example=_COMPILED_SAMPLES[0],
        parameters=history.model,
    )
    if backend != "compiled":
        return _compiled_now(program.training_loop(optimizer, backend), history.recipe)
    try:
        return _compiled_now(program.training_loop(optimizer, "c"), history.recipe)
    except CompilerUnavailable as error:
        announce_fallback(str(error))
        return _compiled_now(program.training_loop(optimizer, "python"), history.recipe)


def _compiled_now(loop: TrainingLoop, recipe: Recipe) -> TrainingLoop:
    """The loop, with the mode the recipe uses compiled."""
    loop.compile("full_batch" if recipe.sampling == "full-batch" else "single_sample")
    return loop


def _compiled_engine(
    optimizer: Optimizer,
    history: History,
    snapshot_at: Container[int],
    stop_if_pressed: Callable[[], None],
    backend: str = "compiled",
) -> StepsFunction:
    """Runs of steps in one call of a compiled loop each, Ctrl-C between runs.

    The backend is "python", "c" or "compiled" (the fastest that works, see _compiled_loop).

    A step due for a Snapshot ends the run before it and is taken by the eager engine,
    which records the snapshot; the next run continues from its update.
    """
    loop = _compiled_loop(optimizer, history, backend)

    def take_steps(batches: list[list[int]]) -> None:
        first = len(history.step_losses)
        done = 0
        for step in sorted(s for s in snapshot_at if first <= s < first + len(batches)):
            _compiled_steps(loop, history, batches[done : step - first])
            _train_step(optimizer, history, batches[step - first], snapshot_at)
            done = step - first + 1
        _compiled_steps(loop, history, batches[done:])
        stop_if_pressed()

    return take_steps


def _compiled_steps(loop: TrainingLoop, history: History, batches: list[list[int]]) -> None:
    """Take the steps in one call of the compiled loop and record them; TrainingDiverged as eager's."""
    failed = None
    try:
        if history.recipe.sampling == "full-batch":
            losses = loop.full_batch(_COMPILED_SAMPLES, len(batches), check_finite=True)
        else:
            losses = loop.single_sample(_COMPILED_SAMPLES, [i for [i] in batches], check_finite=True)
    except StepFailed as stop:
        losses, failed = stop.losses, stop.stage
    history._record_steps(batches[: len(losses)], losses)
    if failed is not None:
        _fail_as_eager(loop.optimizer, history, failed, batches[len(losses)])


def _fail_as_eager(optimizer: Optimizer, history: History, stage: str, indices: list[int]) -> NoReturn:
    """Raise the TrainingDiverged of the eager engine for the step a compiled loop stopped at.

    A failed update was applied, as eager applies it. Any other failure left the step
    untaken, so the eager engine takes it again and raises its own error, word for word
    (the compiled loop's engine error would name the traced inputs, 'x1', where the
    eager graph has an unlabelled input).
    """
    if stage == "update":
        raise _diverged(_NONFINITE_UPDATE, history)
    _train_step(optimizer, history, indices, snapshot_at=())
    raise RuntimeError(
        f"the compiled engine stopped at step {len(history.step_losses) - 1} ({stage}), "
        "which the eager engine completed"
    )


# Recipe.engine -> make(optimizer, history, snapshot_at, stop_if_pressed) -> the function that takes steps
_ENGINES = {
    "eager": _eager_engine,
    "compiled": _compiled_engine,
    "python": functools.partial(_compiled_engine, backend="python"),
    "c": functools.partial(_compiled_engine, backend="c"),
}

LogFunction = Callable[[int, float, float], None]

# the most epochs whose samples are drawn, and (compiled) taken in one call, at a time
_CHUNK_EPOCHS = 1000


def _chunks(recipe: Recipe) -> Iterator[range]:
    """The epochs in runs, each ending at a logged epoch (0, print_every, ...) or after _CHUNK_EPOCHS."""
    start = 0
    while start < recipe.epochs:
        next_log = -(-start // recipe.print_every) * recipe.print_every  # the first logged epoch >= start
        stop = min(next_log + 1, start + _CHUNK_EPOCHS, recipe.epochs)
        yield range(start, stop)
        start = stop


def _train(take_steps: StepsFunction, history: History, on_log: LogFunction | None) -> None:
    """Run every epoch of the recipe with the engine's take_steps, logging every print_every epochs."""
    recipe = history.recipe
    rng = _sampler(recipe.seed)
    for epochs in _chunks(recipe):
        take_steps([indices for _ in epochs for indices in _epoch_batches(recipe, rng)])
        epoch = epochs[-1]
        if on_log is not None and epoch % recipe.print_every == 0:
            on_log(epoch, history.step_losses[-1], history.epoch_losses[-1])


def run(recipe: Recipe, *, on_log: LogFunction | None = None, snapshot_every: int | None = None) -> History:
    """Train the recipe's model on XOR and return the full history.

    The same recipe gives the same history, bit for bit: the weights and the sample draws
    come from random.Random streams seeded by ``recipe.seed``. Both engines take the same
    steps with the same numbers: ``recipe.engine`` changes only the speed. The compiled
    engine traces the step's graph once (a few milliseconds), then takes runs of steps in
    generated code; it stops at the steps due for a snapshot and takes those eagerly.

    Args:
        recipe: what to train and how.
        on_log: called as ``on_log(epoch, loss, epoch_mean)`` every ``recipe.print_every``
            epochs, from epoch 0; ``loss`` is the loss of the epoch's last step (what the
            course printed), ``epoch_mean`` the mean over the epoch's steps.
        snapshot_every: None (the default: no snapshots, nothing to pay) or N >= 1: record
            a Snapshot in ``history.snapshots`` at the steps ``snapshot_steps(recipe, N)``
            (the first step, the last step of every N-th epoch and the last step).

    Returns:
        The History of the run; ``history.model`` is the trained model.

    Raises:
        ValueError: snapshot_every is neither None nor an integer >= 1.
        TrainingDiverged: a loss, gradient or parameter became nan or infinite (or the
            forward pass overflowed); the error names the epoch, the step and the first
            non-finite parameter, and its ``history`` holds every completed step.
        TrainingInterrupted: Ctrl-C (or a KeyboardInterrupt from on_log, or SIGTERM under
            ``stop_on_signal``); its ``history`` holds every completed step. The eager
            engine stops at the end of the current step, the compiled one at the end of
            its current run (at most 1000 epochs, and never past a logged epoch).

    Example:
        >>> history = run(Recipe(epochs=10))
        >>> len(history.step_losses), len(history.epoch_losses)
        (40, 10)
        >>> [s.step for s in run(Recipe(epochs=10), snapshot_every=5).snapshots]
        [0, 3, 23, 39]
    """
    snapshot_at = frozenset() if snapshot_every is None else frozenset(snapshot_steps(recipe, snapshot_every))
    model = build_model(recipe)
    optimizer = OPTIMIZERS[recipe.optimizer](model.parameters(), recipe)
    history = History(recipe=recipe, model=model, initial_state=model.state_dict())
    try:
        with _ctrl_c_between_steps() as stop_if_pressed:
            take_steps = _ENGINES[recipe.engine](optimizer, history, snapshot_at, stop_if_pressed)
            _train(take_steps, history, on_log)
    except TrainingDiverged:
        history._finish()
        raise
    except KeyboardInterrupt as stop:
        history._finish()
        raise TrainingInterrupted(history, getattr(stop, "signum", signal.SIGINT)) from None
    history._finish()
    return history


__all__ = [
    "INPUTS",
    "LOSSES",
    "OPTIMIZERS",
    "ENGINES",
    "SAMPLINGS",
    "Column",
    "TARGETS",
    "History",
    "Recipe",
    "RecipeError",
    "Snapshot",
    "StopRequested",
    "TrainingDiverged",
    "TrainingInterrupted",
    "block_means",
    "build_model",
    "forward_backward",
    "run",
    "sample_loss",
    "snapshot_steps",
    "stable_learning_rate",
    "stop_on_signal",
]
