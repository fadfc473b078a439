"""The sign of a zero gradient, against PyTorch: a leaf's first gradient is taken as it is, -0.0 included.

Known bug (found by mutation testing, issue 27): the float chain rule starts every gradient
at 0.0 and adds the first contribution into it (core/value.py, ``chain_rule(..., start=0.0)``
from ``Value.backward`` and ``autodiff.grad``), and backward() adds a leaf's gradient into
its ``grad`` of 0.0. ``0.0 + -0.0`` is ``0.0``, so where PyTorch's gradient is -0.0 (its
first contribution is assigned, not added) this engine gives 0.0.
"""

import math

import pytest
import torch

from micrograd44 import Value, grad

CASES = {
    "cos at 0": (lambda x: x.cos(), torch.cos, 0.0),
    "x times -0.0": (lambda x: x * -0.0, lambda t: t * -0.0, 2.0),
    "x times x at -0.0": (lambda x: x * x, lambda t: t * t, -0.0),
}

BUG = (
    "core/value.py chain_rule(start=0.0) adds the first contribution to 0.0, and backward() adds "
    "into grad 0.0: -0.0 becomes 0.0 where PyTorch keeps -0.0"
)


def torch_gradient(function, point: float) -> float:
    x = torch.tensor(point, dtype=torch.float64, requires_grad=True)
    function(x).backward()
    return x.grad.item()


@pytest.mark.xfail(strict=True, reason=BUG)
@pytest.mark.parametrize("case", CASES)
def test_backward_gives_pytorchs_sign_of_a_zero_gradient(case):
    ours, theirs, point = CASES[case]
    x = Value(point)
    ours(x).backward()
    expected = torch_gradient(theirs, point)
    assert expected == 0.0 and math.copysign(1.0, expected) == -1.0
    assert math.copysign(1.0, x.grad) == math.copysign(1.0, expected)


@pytest.mark.xfail(strict=True, reason=BUG)
@pytest.mark.parametrize("case", CASES)
def test_grad_gives_pytorchs_sign_of_a_zero_gradient(case):
    ours, theirs, point = CASES[case]
    x = Value(point)
    (gradient,) = grad(ours(x), [x])
    assert math.copysign(1.0, gradient) == math.copysign(1.0, torch_gradient(theirs, point))
