"""A gradient checker shaped like ``torch.autograd.gradcheck``: backward() against finite differences."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .core.value import Value, topological_order


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
    _check_tolerance("eps", eps, positive=True)
    _check_tolerance("atol", atol, positive=False)
    _check_tolerance("rtol", rtol, positive=False)

    outputs = _output_values(f, inputs)
    analytical = _analytical_jacobian(outputs, inputs)
    numerical = _numerical_jacobian(f, inputs, eps, len(outputs))

    mismatches = [
        Mismatch(j, i, x.label, numerical[j][i], analytical[j][i])
        for j in range(len(outputs))
        for i, x in enumerate(inputs)
        if not _close(analytical[j][i], numerical[j][i], atol, rtol)
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


def _check_tolerance(name: str, value: float, *, positive: bool) -> None:
    """ValueError unless value is a finite number > 0 (positive) or >= 0."""
    if not (math.isfinite(value) and (value > 0.0 if positive else value >= 0.0)):
        rule = "> 0" if positive else ">= 0"
        raise ValueError(f"gradcheck: {name} must be a finite number {rule}, got {value!r}")


def _output_values(f, inputs: tuple[Value, ...]) -> tuple[Value, ...]:
    """f(*inputs) as a tuple of Values; TypeError naming the index of anything else."""
    result = f(*inputs)
    outputs = (result,) if isinstance(result, Value) else tuple(result)
    for j, y in enumerate(outputs):
        if not isinstance(y, Value):
            raise TypeError(f"gradcheck: output {j} of f is a {type(y).__name__}, not a Value")
    return outputs


def _analytical_jacobian(outputs: tuple[Value, ...], inputs: tuple[Value, ...]) -> list[list[float]]:
    """dy/dx from backward() for each output y (rows) and input x (columns).

    Every grad that backward() touches is restored afterwards.
    """
    saved = {node: node.grad for y in outputs for node in topological_order(y)}
    saved.update((x, x.grad) for x in inputs)
    try:
        jacobian = []
        for y in outputs:
            for x in inputs:
                x.grad = 0.0
            y.backward()
            jacobian.append([x.grad for x in inputs])
        return jacobian
    finally:
        for node, grad in saved.items():
            node.grad = grad


def _numerical_jacobian(f, inputs: tuple[Value, ...], eps: float, n_outputs: int) -> list[list[float]]:
    """(y(x + eps) - y(x - eps)) / (2 eps) for each output y (rows) and input x (columns)."""
    columns = []
    for i, x in enumerate(inputs):
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
        columns.append([(p - m) / (2.0 * eps) for p, m in zip(plus, minus)])
    return [[column[j] for column in columns] for j in range(n_outputs)]


def _close(analytical: float, numerical: float, atol: float, rtol: float) -> bool:
    """torch.allclose's rule for one pair; infinities match only themselves, nan nothing."""
    if math.isfinite(analytical) and math.isfinite(numerical):
        return abs(analytical - numerical) <= atol + rtol * abs(numerical)
    return analytical == numerical
