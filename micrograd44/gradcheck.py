"""A gradient checker shaped like ``torch.autograd.gradcheck``: backward() against finite differences.

Its pieces serve every other comparison of the package: ``central_differences`` (also
``formula.central_difference``), ``allclose``, torch.allclose's rule for one pair of numbers
(also ``check_derivatives``, ``check_backward`` and the PyTorch assertions of
``micrograd44.testing``), and ``check_tolerance`` for their tolerances.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .autodiff import grad
from .core.value import Value


@dataclass(frozen=True)
class Mismatch:
    """One derivative d(output)/d(input) whose two estimates disagree.

    Attributes:
        output_index: position of the output among the function's outputs (0 for a single Value).
        input_index: position of the input in ``inputs``.
        label: the input's label ("" when it has none).
        numerical: the central-difference estimate.
        analytical: the derivative computed by backward().
    """

    output_index: int
    input_index: int
    label: str
    numerical: float
    analytical: float

    def describe(self) -> str:
        """One line naming the derivative and both of its values."""
        name = f"input {self.input_index}" + (f" ({self.label!r})" if self.label else "")
        return (
            f"d(output {self.output_index})/d({name}): numerical {self.numerical!r}, "
            f"analytical {self.analytical!r}, difference {abs(self.numerical - self.analytical):.3g}"
        )


class GradcheckError(RuntimeError):
    """backward() disagrees with the finite-difference estimate; raised by ``gradcheck``.

    Attributes:
        mismatches: every derivative that failed the check, as ``Mismatch`` records.
    """

    def __init__(self, message: str, mismatches: list[Mismatch]):
        super().__init__(message)
        self.mismatches = mismatches


def gradcheck(
    f: Callable[..., Value | Sequence[Value]],
    inputs: Value | Sequence[Value],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check the gradients backward() computes for ``f`` against central finite differences.

    ``f(*inputs)`` must return a Value or a sequence of Values. For every output y and
    every input x, the analytical derivative dy/dx (from ``y.backward()``) is compared
    with the numerical one, ``(y(x + eps) - y(x - eps)) / (2 eps)``, the other inputs
    held fixed. They match when ``|analytical - numerical| <= atol + rtol * |numerical|``,
    the rule of ``torch.allclose``; nan never matches.

    The defaults suit float64, which is what Value holds. The data and grad of the inputs
    and of every other Value in f's graph (parameters, say) are left as they were.
    f must compute its result from the inputs it is given: an input derived from another
    input outside f does not move when that other input is perturbed (as in PyTorch, pass
    independent Values, usually leaves).

    Args:
        f: the function to check; it is called with the inputs as positional arguments,
            1 + 2 * len(inputs) times.
        inputs: the Values to differentiate with respect to (one Value or a sequence).
        eps: the perturbation of each input for the finite differences (> 0).
        atol: absolute tolerance (>= 0).
        rtol: relative tolerance, relative to the numerical derivative (>= 0).
        raise_exception: on a mismatch, raise GradcheckError (True) or return False.

    Returns:
        True when every derivative matches; False on a mismatch when raise_exception is False.

    Raises:
        GradcheckError: some derivative does not match (and raise_exception is True); the
            message names the output and input index, the input's label, and the
            numerical and analytical values of each mismatch.
        TypeError: an input or an output of f is not a Value.
        ValueError: eps, atol or rtol is out of range, or f returns a different number
            of outputs for the perturbed inputs.

    Errors raised by f itself (a DomainError when x - eps leaves the domain of log, for
    instance) propagate unchanged, after the inputs are restored.

    Example:
        >>> from micrograd44 import Value, gradcheck
        >>> x = Value(0.5, label="x")
        >>> gradcheck(lambda x: (1 + x.sin()).log(), [x])
        True
        >>> w, b = Value(-1.5, label="w"), Value(0.25, label="b")
        >>> gradcheck(lambda w, b: (w * x + b).tanh(), [w, b], atol=1e-7)
        True
    """
    inputs = _input_values(inputs)
    check_tolerance("eps", eps, positive=True, where="gradcheck: ")
    check_tolerance("atol", atol, where="gradcheck: ")
    check_tolerance("rtol", rtol, where="gradcheck: ")

    outputs = _output_values(f, inputs)
    analytical = [list(grad(y, inputs)) for y in outputs]  # backward()'s walk, leaving every .grad as it was
    columns = [central_differences(f, inputs, i, eps, len(outputs)) for i in range(len(inputs))]
    numerical = [[column[j] for column in columns] for j in range(len(outputs))]

    mismatches = [
        Mismatch(j, i, x.label, numerical[j][i], analytical[j][i])
        for j in range(len(outputs))
        for i, x in enumerate(inputs)
        if not allclose(analytical[j][i], numerical[j][i], rtol, atol)
    ]
    if not mismatches:
        return True
    if raise_exception:
        lines = "\n".join("  " + m.describe() for m in mismatches)
        raise GradcheckError(
            f"gradcheck: backward() disagrees with finite differences for {len(mismatches)} "
            f"derivative(s) (eps={eps}, atol={atol}, rtol={rtol}):\n{lines}",
            mismatches,
        )
    return False


def _input_values(inputs) -> tuple[Value, ...]:
    """The inputs as a tuple of Values; TypeError naming the index of anything else."""
    values = (inputs,) if isinstance(inputs, Value) else tuple(inputs)
    for i, x in enumerate(values):
        if not isinstance(x, Value):
            raise TypeError(f"gradcheck: input {i} is a {type(x).__name__}, not a Value")
    return values


def _output_values(f, inputs: tuple[Value, ...]) -> tuple[Value, ...]:
    """f(*inputs) as a tuple of Values; TypeError naming the index of anything else."""
    result = f(*inputs)
    outputs = (result,) if isinstance(result, Value) else tuple(result)
    for j, y in enumerate(outputs):
        if not isinstance(y, Value):
            raise TypeError(f"gradcheck: output {j} of f is a {type(y).__name__}, not a Value")
    return outputs


def central_differences(f, inputs: Sequence[Value], i: int, eps: float, n_outputs: int = 1) -> list[float]:
    """(y(x + eps) - y(x - eps)) / (2 eps) for each output y of f, x = inputs[i], the other inputs held fixed.

    x's data is moved and put back (also when f raises); f is called with all the inputs.
    ValueError when f returns other than ``n_outputs`` outputs for a moved input.
    """
    x = inputs[i]
    original = x.data
    try:
        x.data = original + eps
        plus = [y.data for y in _output_values(f, inputs)]  # read now: an output may be x itself
        x.data = original - eps
        minus = [y.data for y in _output_values(f, inputs)]
    finally:
        x.data = original
    if len(plus) != n_outputs or len(minus) != n_outputs:
        raise ValueError(
            f"gradcheck: f returned {n_outputs} output(s), but {len(plus)} and {len(minus)} "
            f"when input {i} was moved by +-eps"
        )
    return [(p - m) / (2.0 * eps) for p, m in zip(plus, minus)]


def check_tolerance(name: str, value, *, positive: bool = False, where: str = "") -> None:
    """ValueError unless value is a finite real number (not a bool), > 0 (positive) or >= 0.

    The message names the keyword, after ``where`` (e.g. "gradcheck: ").
    """
    real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not (real and (0.0 < value < math.inf if positive else 0.0 <= value < math.inf)):
        rule = "> 0" if positive else ">= 0"
        raise ValueError(f"{where}{name} must be a finite number {rule}, got {value!r}")


def allclose(ours: float, theirs: float, rtol: float, atol: float, *, equal_nan: bool = False) -> bool:
    """torch.allclose's rule for one pair: |ours - theirs| <= atol + rtol * |theirs|.

    Infinities match only themselves; nan matches nothing, or nan with ``equal_nan``.
    """
    if math.isfinite(ours) and math.isfinite(theirs):
        return abs(ours - theirs) <= atol + rtol * abs(theirs)
    return ours == theirs or (equal_nan and math.isnan(ours) and math.isnan(theirs))
