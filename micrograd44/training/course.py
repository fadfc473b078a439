"""The course recipe end to end: train an MLP on XOR and keep the whole history.

``Recipe()`` is the 44-parameter exercise of the course (its fields and their defaults
say what it is); ``run(recipe)`` trains it and returns the ``History``, with Snapshots of
the model at the logged epochs when asked (``snapshot_every=50``). The recipe is a preset
over the general loop of ``micrograd44.training.loop``: it names the model, the loss, the
optimizer and the engine, and hands them with the four XOR samples of ``micrograd44.data``
to a ``Trainer``, which takes every step and fails as loudly as it does.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Sequence

from .. import data
from ..core.value import Value
from ..losses import l1_loss, mse_loss
from ..nn import ACTIVATIONS, MLP
from ..optim import SGD, Adam, Optimizer
from ..weight_init import SCHEMES as INIT_SCHEMES
from .history import History
from .loop import ENGINES, SAMPLINGS, LogFunction, Trainer, TrainingDiverged, is_integer, step_loss

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


def _field(default, meaning: str, names=None):
    """A Recipe field: its default, what it means and, for a name, the names it may take.

    The meaning is also the help of the field's ``micrograd44 train`` flag.
    """
    return dataclasses.field(default=default, metadata={"meaning": meaning, "names": names})


# a number field -> (whether a value is valid, what it must be)
_NUMBER_RULES = {
    "epochs": (lambda v: is_integer(v) and v >= 0, "must be an integer >= 0"),
    "lr": (lambda v: _is_finite_number(v) and v > 0, "must be a finite number > 0"),
    "momentum": (lambda v: _is_finite_number(v) and v >= 0, "must be a finite number >= 0"),
    "hidden": (
        lambda v: (
            isinstance(v, Sequence) and not isinstance(v, str) and all(is_integer(n) and n > 0 for n in v)
        ),
        "must be a sequence of positive integers (the hidden layer sizes)",
    ),
    "seed": (is_integer, "must be an integer"),
    "print_every": (lambda v: is_integer(v) and v >= 1, "must be an integer >= 1"),
}


@dataclasses.dataclass(frozen=True, repr=False)
class Recipe:
    """How to train: the defaults are the course's 44-parameter XOR recipe.

    Each field says beside it what it means and, for a name, which names it takes. The
    engine changes only the speed: every engine gives the same History, bit for bit; a
    step of the Python program is about fifteen times faster than eager's, one of the C
    program a few hundred times (``benchmarks/native.py``).

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

    epochs: int = _field(2001, "passes over the data (>= 0); the course ran 2001 (epochs 0 to 2000)")
    lr: float = _field(0.02, "learning rate (> 0)")
    momentum: float = _field(0.9, "SGD momentum (>= 0); Adam uses PyTorch's default betas instead")
    loss: str = _field("l1", "l1: mean absolute error (the course); mse: mean squared error", LOSSES)
    hidden: tuple[int, ...] = _field(
        (5, 4), "sizes of the hidden layers; the output layer (1 neuron, no activation) is added after them"
    )
    activation: str | None = _field("tanh", "activation after each hidden layer, or None", ACTIVATIONS)
    weight_init: str = _field(
        "normal", "init scheme of the weights (micrograd44.weight_init.SCHEMES)", INIT_SCHEMES
    )
    bias_init: str = _field(
        "torch", "init scheme of the biases (micrograd44.weight_init.SCHEMES)", INIT_SCHEMES
    )
    sampling: str = _field(
        "random",
        "random: each epoch 4 steps on samples drawn at random with replacement (the course); cycle: "
        "4 steps on samples 0, 1, 2, 3; full-batch: one step per epoch on the mean loss over the 4 samples",
        SAMPLINGS,
    )
    optimizer: str = _field("sgd", "sgd or adam", OPTIMIZERS)
    seed: int = _field(2, "seeds the initial weights and the sample draws (two separate streams)")
    print_every: int = _field(50, "log every this many epochs (epoch 0, 50, 100, ...)")
    engine: str = _field(
        "eager",
        "eager: every step builds its graph and calls backward() (the course); python: the step's graph is "
        "traced once and replayed as generated Python (micrograd44.compiled), the same numbers bit for "
        "bit, faster; c: the same program as C, built by the system's C compiler, faster still; "
        "compiled: c where a C compiler works, else python, saying so in one line on stderr",
        ENGINES,
    )

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value, names = getattr(self, field.name), field.metadata["names"]
            if names is not None and not ((value is None or isinstance(value, str)) and value in names):
                rule = "is unknown (choose one of " + ", ".join(repr(n) for n in names) + ")"
                raise RecipeError(field.name, value, rule)
            if field.name in _NUMBER_RULES and not _NUMBER_RULES[field.name][0](value):
                raise RecipeError(field.name, value, _NUMBER_RULES[field.name][1])
        object.__setattr__(self, "hidden", tuple(int(size) for size in self.hidden))

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

    It is the loss a step of ``run`` computes (``loop.step_loss`` with the recipe's loss).

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
    return step_loss(model, LOSSES[recipe.loss], INPUTS, TARGETS, indices)


def forward_backward(model: MLP, recipe: Recipe, indices: Sequence[int]) -> Value:
    """One step's loss on the samples as a graph, with every parameter's grad filled in: for pictures.

    It computes what a step of ``run`` computes before its update (the Trainer takes the
    steps itself); parameter grads must be zero before the call.
    """
    loss = sample_loss(model, recipe, indices)
    loss.backward()
    return loss


# How many learning rates stable_learning_rate tries, each ten times smaller than the last.
LEARNING_RATE_TRIES = 6


def stable_learning_rate(recipe: Recipe, epochs: int, *, tries: int = LEARNING_RATE_TRIES) -> float | None:
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
    ``course_trainer(recipe)``, the general ``micrograd44.training.Trainer``; every engine
    takes the same steps with the same numbers.

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
        TrainingDiverged, TrainingInterrupted: as ``Trainer.train`` raises them; their
            ``history`` holds every completed step.

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
    "LEARNING_RATE_TRIES",
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
