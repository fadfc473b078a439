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

The recipe is a preset over the general training loop of ``micrograd44.training.loop``:
it names the model, the loss, the optimizer and the engine, and hands them with the four
XOR samples of ``micrograd44.data`` to a ``Trainer``, which takes every step.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Sequence

from .. import data, init
from ..core.value import Value
from ..losses import l1_loss, mse_loss
from ..nn import ACTIVATIONS, MLP
from ..optim import SGD, Adam, Optimizer
from .history import History
from .loop import ENGINES, SAMPLINGS, LogFunction, Trainer, TrainingDiverged, is_integer

# The course's four samples: the XOR inputs [x1, x2] and targets 0, 1, 1, 0.
INPUTS, TARGETS = data.XOR_INPUTS, data.XOR_TARGETS

# loss name -> the loss function (mean over the samples given)
LOSSES = {"l1": l1_loss, "mse": mse_loss}


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
        micrograd44.training.course.RecipeError: Recipe.lr must be a finite number > 0, got -1
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
        _require(
            is_integer(self.epochs) and self.epochs >= 0, "epochs", self.epochs, "must be an integer >= 0"
        )
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
        _require(is_integer(self.seed), "seed", self.seed, "must be an integer")
        _require(
            is_integer(self.print_every) and self.print_every >= 1,
            "print_every",
            self.print_every,
            "must be an integer >= 1",
        )
        _require_choice("engine", self.engine, ENGINES)

    def _check_hidden(self) -> None:
        """Check the hidden sizes and store them as a tuple of ints."""
        sizes = self.hidden
        ok = isinstance(sizes, Sequence) and not isinstance(sizes, str)
        ok = ok and all(is_integer(size) and size > 0 for size in sizes)
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
    if not (is_integer(every) and every >= 1):
        raise ValueError(f"snapshot_every must be an integer >= 1, got {every!r}")
    per_epoch, epochs = recipe.steps_per_epoch, recipe.epochs
    if epochs == 0:
        return []
    epoch_ends = [(epoch + 1) * per_epoch - 1 for epoch in range(0, epochs, every)]
    return sorted({0, *epoch_ends, epochs * per_epoch - 1})


# what a TrainingDiverged message of run() advises after naming the learning rate
_ADVICE = "try a smaller one (stable_learning_rate() finds one that trains)"


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
    """One step's loss on the samples as a graph, with every parameter's grad filled in: for pictures.

    It computes what a step of ``run`` computes before its update (the Trainer takes the
    steps itself); parameter grads must be zero before the call.
    """
    loss = sample_loss(model, recipe, indices)
    loss.backward()
    return loss


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


def course_trainer(
    recipe: Recipe, *, on_log: LogFunction | None = None, snapshot_every: int | None = None
) -> Trainer:
    """The general Trainer set up as the recipe says: its model and optimizer on the four XOR samples.

    ``run`` trains it to the recipe's last epoch; ``Session`` a few epochs at a time.
    Arguments as for ``run``.
    """
    snapshot_at = frozenset() if snapshot_every is None else frozenset(snapshot_steps(recipe, snapshot_every))
    model = build_model(recipe)
    course = Trainer(
        model,
        INPUTS,
        TARGETS,
        loss=LOSSES[recipe.loss],
        optimizer=OPTIMIZERS[recipe.optimizer](model.parameters(), recipe),
        sampling=recipe.sampling,
        seed=recipe.seed,
        engine=recipe.engine,
        log_every=recipe.print_every,
        on_log=on_log,
        snapshot_at=snapshot_at,
        advice=_ADVICE,
    )
    course.history.recipe = recipe
    return course


def run(recipe: Recipe, *, on_log: LogFunction | None = None, snapshot_every: int | None = None) -> History:
    """Train the recipe's model on XOR and return the full history.

    The same recipe gives the same history, bit for bit: the weights and the sample draws
    come from random.Random streams seeded by ``recipe.seed``. The steps are taken by
    ``course_trainer(recipe)``, the general ``micrograd44.training.Trainer``. Both engines take the same
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
    course = course_trainer(recipe, on_log=on_log, snapshot_every=snapshot_every)
    course.train(recipe.epochs)
    return course.history


__all__ = [
    "INPUTS",
    "LOSSES",
    "OPTIMIZERS",
    "TARGETS",
    "Recipe",
    "RecipeError",
    "build_model",
    "course_trainer",
    "forward_backward",
    "run",
    "sample_loss",
    "snapshot_steps",
    "stable_learning_rate",
]
