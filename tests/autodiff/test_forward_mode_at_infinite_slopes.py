"""Forward mode (jvp, push_tangents) where a slope is infinite or huge.

Where the directional derivative is finite it equals PyTorch float64's (torch.func.jvp) bit
for bit. Where it is not, it follows IEEE 754 (t / 0 = inf with t's sign, inf - inf = nan,
0 * inf = nan), with two rules of this engine: a child whose tangent is 0 adds nothing,
even along an infinite slope (JAX's rule; PyTorch gives nan), and a masked slope (relu at
its kink, pow's exponent slope at base 0) passes nothing, as in backward().
"""

from __future__ import annotations

import math

import pytest
import torch

from micrograd44 import Value, jvp
from micrograd44.autodiff import push_tangents

INF, NAN = math.inf, math.nan

# (ours, PyTorch's; the same on tensors, the point, the tangent)
FINITE = {
    "log at a subnormal, tiny tangent": (lambda x: x.log(), torch.log, [1e-320], [1e-300]),
    "x / y at y = 1e-300, along x": (lambda x, y: x / y, torch.div, [1.0, 1e-300], [1.0, 0.0]),
    "atan at 1e200": (lambda x: x.atan(), torch.atan, [1e200], [1.0]),
    "exp at 700": (lambda x: x.exp(), torch.exp, [700.0], [1.0]),
    "log1p just above -1": (lambda x: x.log1p(), torch.log1p, [-1.0 + 2.0**-53], [1.0]),
    "tan at pi / 2": (lambda x: x.tan(), torch.tan, [math.pi / 2], [1.0]),
    "sqrt at the smallest subnormal": (lambda x: x.sqrt(), torch.sqrt, [5e-324], [1.0]),
    "relu of sqrt at 0": (lambda x: x.sqrt().relu(), lambda x: torch.relu(torch.sqrt(x)), [0.0], [1.0]),
    "sqrt(x) ** 0 at 0": (lambda x: x.sqrt() ** 0.0, lambda x: torch.sqrt(x) ** 0.0, [0.0], [1.0]),
}


def torch_jvp(f, point, tangent) -> tuple[float, float]:
    """PyTorch float64's value and directional derivative."""
    inputs = tuple(torch.tensor(x, dtype=torch.float64) for x in point)
    tangents = tuple(torch.tensor(t, dtype=torch.float64) for t in tangent)
    value, derivative = torch.func.jvp(f, inputs, tangents)
    return value.item(), derivative.item()


@pytest.mark.parametrize("name", FINITE)
def test_a_finite_derivative_at_a_huge_slope_equals_pytorch(name):
    ours, theirs, point, tangent = FINITE[name]
    value, derivative = jvp(ours, point, tangent)
    assert math.isfinite(derivative)
    assert (value, derivative) == torch_jvp(theirs, point, tangent)


# (the function, the point, the tangent, the derivative IEEE 754 gives, why)
NOT_FINITE = {
    "sqrt at 0, tangent 1": (lambda x: x.sqrt(), [0.0], [1.0], INF, "1 / (2 sqrt 0) = inf"),
    "sqrt at 0, tangent -1": (lambda x: x.sqrt(), [0.0], [-1.0], -INF, "-1 / 0 = -inf"),
    "log at a subnormal, tangent 1": (lambda x: x.log(), [1e-320], [1.0], INF, "1 / 1e-320 overflows"),
    "exp at 700, tangent 1e5": (lambda x: x.exp(), [700.0], [1e5], INF, "1e304 * 1e5 overflows"),
    "x / y at y = 1e-300, along y": (lambda x, y: x / y, [1.0, 1e-300], [0.0, 1.0], -INF, "-(x/y)/y"),
    "x ** y at 0 ** 0.5, along x": (lambda x, y: x**y, [0.0, 0.5], [1.0, 0.0], INF, "0.5 * 0 ** -0.5 = inf"),
    "x ** y at 0 ** 0.5, both": (lambda x, y: x**y, [0.0, 0.5], [1.0, 1.0], INF, "inf + (masked) 0 = inf"),
    "x ** 0.5 at 0": (lambda x: x**0.5, [0.0], [2.0], INF, "0.5 * 0 ** -0.5 * 2 = inf"),
    "sqrt(x) - sqrt(x) at 0": (lambda x: x.sqrt() - x.sqrt(), [0.0], [1.0], NAN, "inf - inf = nan"),
    "sqrt(x) * y at 0, 0": (lambda x, y: x.sqrt() * y, [0.0, 0.0], [1.0, 0.0], NAN, "slope y = 0 times inf"),
    "abs of sqrt at 0": (lambda x: x.sqrt().abs(), [0.0], [1.0], NAN, "sign(0) = 0 times inf"),
}


def same(a: float, b: float) -> bool:
    """Equal floats with the same sign, nan equal to nan."""
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1.0, a) == math.copysign(1.0, b))


@pytest.mark.parametrize("name", NOT_FINITE)
def test_a_derivative_that_is_not_finite_follows_ieee_754(name):
    f, point, tangent, expected, _ = NOT_FINITE[name]
    _, derivative = jvp(f, point, tangent)
    assert same(derivative, expected), derivative


@pytest.mark.parametrize("name", NOT_FINITE)
def test_pytorch_agrees_where_the_derivative_is_not_finite(name):
    f, point, tangent, expected, _ = NOT_FINITE[name]
    ours = jvp(f, point, tangent)[1]
    on_tensors = {1: lambda x: f(x), 2: lambda x, y: f(x, y)}[len(point)]
    assert same(ours, torch_jvp(on_tensors, point, tangent)[1])


# where this engine's rules give 0 and PyTorch's forward mode gives nan
ENGINE_RULES = {
    # the child does not move: it adds nothing, even along the infinite slope of sqrt at 0
    "sqrt at 0, tangent 0": (lambda x: x.sqrt(), torch.sqrt, [0.0], [0.0]),
    # pow's slope in y is masked where x = 0, as backward() masks it (PyTorch: ln 0 * 0 = nan)
    "x ** y at 0 ** 0.5, along y": (lambda x, y: x**y, lambda x, y: x**y, [0.0, 0.5], [0.0, 1.0]),
}


@pytest.mark.parametrize("name", ENGINE_RULES)
def test_a_still_child_and_a_masked_slope_pass_nothing(name):
    ours, theirs, point, tangent = ENGINE_RULES[name]
    value, derivative = jvp(ours, point, tangent)
    assert same(derivative, 0.0)
    assert math.isnan(torch_jvp(theirs, point, tangent)[1])


def test_push_tangents_gives_every_node_its_tangent_past_an_infinite_slope():
    x, y = Value(0.0), Value(3.0)
    root_x = x.sqrt()  # slope inf at 0
    scaled = root_x * y  # inf * 3
    total = scaled + y  # inf + 1
    pushed = push_tangents([total], {x: 1.0, y: 1.0})
    assert [pushed[node] for node in (x, y, root_x, scaled, total)] == [1.0, 1.0, INF, INF, INF]
    still = push_tangents([total], {y: 1.0})  # x still: the infinite slope is never multiplied
    assert [still[node] for node in (x, root_x, scaled, total)] == [0.0, 0.0, 0.0, 1.0]
