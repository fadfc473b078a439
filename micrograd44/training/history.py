"""What a training run did, step by step: the History, its compact Columns and its Snapshots.

The loop (``micrograd44.training.loop``) fills a History as it takes its steps; the
pictures (``viz``) and the command line read it. Nothing here trains.
"""

from __future__ import annotations

import dataclasses
import html
import math
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy

from ..core.errors import OpError
from ..nn import Module

# the sample "index" of a full-batch step (stored for None in History.samples)
FULL_BATCH = -1


def rounded(predictions: Iterable[float]) -> list[int | None]:
    """Each prediction rounded at 0.5 to 0 or 1; None where it is nan or infinite."""
    return [None if not math.isfinite(p) else int(p >= 0.5) for p in predictions]


def predict(model: Module, x: list[float]) -> float:
    """The model's output for one input; nan when the forward pass overflows (a diverged model)."""
    try:
        return model(x).data
    except OpError:
        return math.nan


def predictions_at(model: Module, values: Sequence[float], inputs: Iterable[list[float]]) -> list[float]:
    """The model's predictions on the inputs with its parameters set to ``values`` (then set back).

    ``values`` are in ``model.parameters()`` order; each prediction is ``predict``'s.
    """
    parameters = model.parameters()
    kept = [p.data for p in parameters]
    try:
        for p, value in zip(parameters, values):
            p.data = value
        return [predict(model, x) for x in inputs]
    finally:
        for p, value in zip(parameters, kept):
            p.data = value


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


# below this many rows, row_fsums calls math.fsum on each (its numpy passes cost more, measured)
_FEWEST_ROWS_IN_BULK = 64


def _two_sum(a: numpy.ndarray, b: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray]:
    """a + b rounded, and its rounding error: the two add up to a + b exactly (Knuth's TwoSum)."""
    total = a + b
    b_part = total - a
    return total, (a - (total - b_part)) + (b - b_part)


def _sum_with_errors(arrays: list[numpy.ndarray]) -> tuple[numpy.ndarray, list[numpy.ndarray]]:
    """The arrays added left to right, and the rounding error of each addition: together, the exact sum."""
    total, errors = arrays[0].copy(), []
    for addend in arrays[1:]:
        total, error = _two_sum(total, addend)
        errors.append(error)
    return total, errors


def row_fsums(rows: numpy.ndarray) -> numpy.ndarray:
    """``math.fsum`` of each row of a 2-d float array, the same numbers, in a few numpy passes.

    Each row is summed left to right keeping the rounding error of every addition
    (TwoSum), so that the sum and the errors add up to the row's exact sum, and rounded
    once more with the errors' sum. The residual (exact sum minus that result) is summed
    from its exact parts the same way: where that sum is exact, the result plus the
    residual, rounded once, is the exact sum correctly rounded (ties to even, as fsum);
    where it is not, a bound on its error shows the result is already correctly rounded.
    The rows neither shows (and zeros, whose sign fsum decides, and non-finite sums) are
    summed by ``math.fsum`` itself. Over the 2,001 epochs of the course this takes about
    85 us where a ``math.fsum`` per row takes about 300 us.

    Example:
        >>> row_fsums(numpy.array([[0.1, 0.2, 0.3], [1e100, 1.0, -1e100]])).tolist()
        [0.6, 1.0]
    """
    rows = numpy.asarray(rows, dtype=numpy.float64)
    if len(rows) < _FEWEST_ROWS_IN_BULK or rows.shape[1] == 0:
        return numpy.array([math.fsum(row) for row in rows.tolist()], dtype=numpy.float64).reshape(len(rows))
    with numpy.errstate(all="ignore"):  # rows that overflow are left to math.fsum, which raises
        total, errors = _sum_with_errors(list(numpy.ascontiguousarray(rows.T)))
        rounded = total + _sum_with_errors(errors)[0] if errors else total
        above, below = _two_sum(total, -rounded)  # total - rounded, exactly
        terms = [above, below, *errors]  # they add up to the exact residual
        residual, residual_errors = _sum_with_errors(terms)
        exact = numpy.logical_and.reduce([e == 0.0 for e in residual_errors])
        bound = len(terms) * 2.0**-52 * _sum_with_errors([numpy.abs(t) for t in terms])[0]
        gap = numpy.spacing(
            numpy.abs(rounded)
        )  # to the next float away from zero; toward zero half of it at 2**k
        half_gap = numpy.where(numpy.abs(numpy.frexp(rounded)[0]) == 0.5, gap / 2, gap) / 2
        result = numpy.where(exact, rounded + residual, rounded)
        sure = (exact | (numpy.abs(residual) + bound < half_gap)) & numpy.isfinite(result) & (result != 0.0)
    for row in numpy.flatnonzero(~sure).tolist():
        result[row] = math.fsum(rows[row].tolist())
    return result


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
        return rounded(self.predictions)


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

    @classmethod
    def of_indices(cls, n: int) -> Column:
        """An empty column for the sample indices 0..n-1 and None, in the fewest bytes per entry."""
        typecode = next(t for t in "bhl" if n - 1 <= 2 ** (8 * array(t).itemsize - 1) - 1)
        return cls(typecode, none=FULL_BATCH)

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
        steps_per_epoch: the number of steps in an epoch (1 for full-batch sampling);
            by default the recipe's.
        recipe: what was run when a preset ran it (the course's ``Recipe``), else None.
            Its repr heads the History's, and its ``epochs`` give the steps planned.
        targets: the target of every sample (what ``solved`` compares with).
        step_losses: the loss of every completed step, in order (a list-like ``Column``
            of floats, 8 bytes per step).
        samples: the sample index of every step, None for a full-batch step (a
            ``Column``, 1 byte per step for up to 128 samples).
        epoch_losses: the mean step loss of every completed epoch (a ``Column`` of floats).
        final_state: the state dict when training stopped.
        predictions: the model's raw outputs on the samples when training stopped (a
            property: a trainer may leave them to be computed when first read).
        snapshots: the Snapshots recorded (see ``Trainer``'s ``snapshot_at``), in step
            order; [] when none were asked for.
    """

    model: Module
    initial_state: dict[str, float]
    steps_per_epoch: int | None = dataclasses.field(default=None, kw_only=True)
    recipe: object = dataclasses.field(default=None, kw_only=True)
    targets: list[float] = dataclasses.field(default_factory=list, kw_only=True)
    step_losses: Column = dataclasses.field(default_factory=lambda: Column("d"))
    samples: Column = dataclasses.field(default_factory=lambda: Column("b", none=FULL_BATCH))
    epoch_losses: Column = dataclasses.field(default_factory=lambda: Column("d"))
    final_state: dict[str, float] = dataclasses.field(default_factory=dict)
    snapshots: list[Snapshot] = dataclasses.field(default_factory=list)
    # the predictions, or what computes them when first read (an init field, so that replace() keeps it);
    # left out of ==, as they follow from final_state (a pending function equals no list)
    _predictions: list[float] | Callable[[], list[float]] = dataclasses.field(
        default_factory=list, kw_only=True, compare=False
    )

    def __post_init__(self):
        if self.steps_per_epoch is None:
            if self.recipe is None:
                raise TypeError("History needs steps_per_epoch (or a recipe that gives it)")
            self.steps_per_epoch = self.recipe.steps_per_epoch

    @property
    def predictions(self) -> list[float]:
        """The model's raw outputs on the samples when training stopped."""
        if callable(self._predictions):
            self._predictions = self._predictions()
        return self._predictions

    @property
    def rounded(self) -> list[int | None]:
        """Each prediction rounded at 0.5 to 0 or 1; None where it is nan or infinite."""
        return rounded(self.predictions)

    @property
    def solved(self) -> bool:
        """True when every prediction, rounded at 0.5, equals its target (targets 0 and 1)."""
        return bool(self.targets) and self.rounded == list(self.targets)

    def __repr__(self) -> str:
        return f"<History of {self._subject()}: {', '.join(self._summary())}>"

    def _subject(self) -> str:
        """What was trained: the recipe, else the model."""
        return repr(self.model if self.recipe is None else self.recipe)

    def _summary(self) -> list[str]:
        """Steps taken (of those planned), the last epoch's mean loss and whether the targets are met."""
        steps = len(self.step_losses)
        planned = None if self.recipe is None else self.recipe.epochs * self.steps_per_epoch
        loss = f"last epoch loss {self.epoch_losses[-1]:.6g}" if self.epoch_losses else "no complete epoch"
        return [
            f"{steps} steps" if planned in (None, steps) else f"{steps} of {planned} steps",
            loss,
            "solved" if self.solved else "not solved",
        ]

    def _repr_html_(self) -> str:
        """Jupyter's view: what was trained, steps, last epoch's loss, solved, and a small loss curve."""
        summary = html.escape(", ".join(self._summary()))
        return (
            '<div style="font-family: monospace">'
            f"<div>History of {html.escape(self._subject())}</div><div>{summary}</div>"
            f"{_loss_sparkline(self.epoch_losses)}</div>"
        )

    def _record_steps(self, samples: Sequence[int] | numpy.ndarray, losses: Sequence[float]) -> None:
        """Append completed steps (the sample index and loss of each) and the mean of each epoch completed.

        A full-batch step's sample is ``FULL_BATCH``. An epoch's mean is an fsum of
        loss / steps, so it never overflows.
        """
        if len(samples) != len(losses):
            raise ValueError(f"{len(samples)} steps but {len(losses)} losses")
        self.step_losses._extend_stored(losses)
        self.samples._extend_stored(samples)
        per_epoch = self.steps_per_epoch
        first, last = len(self.epoch_losses), len(self.step_losses) // per_epoch
        if last > first:
            steps = numpy.frombuffer(self.step_losses._values, count=last * per_epoch)[first * per_epoch :]
            self.epoch_losses._extend_stored(row_fsums((steps / per_epoch).reshape(-1, per_epoch)))

    def _finish(self, state: dict[str, float], predictions: list[float] | Callable[[], list[float]]) -> None:
        """Record the final state and the predictions (or a function giving them, called when first read)."""
        self.final_state = state
        self._predictions = predictions


# size of the loss curve in History._repr_html_, in pixels, and the most points it draws
_SPARKLINE_WIDTH, _SPARKLINE_HEIGHT, _SPARKLINE_POINTS = 240, 60, 120


def _loss_sparkline(epoch_losses: Sequence[float]) -> str:
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
    title = f"loss per epoch, log scale: from {10 ** logs[0]:.3g} to {10 ** logs[-1]:.3g}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_SPARKLINE_WIDTH}" height="{_SPARKLINE_HEIGHT}" '
        f'role="img"><title>{html.escape(title)}</title>'
        f'<polyline points="{points}" fill="none" stroke="steelblue" stroke-width="1.5"/></svg>'
    )
