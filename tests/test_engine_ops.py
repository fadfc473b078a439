"""Every op of the engine, crossed with many points, against PyTorch float64 and central differences."""

import math
import sys
from dataclasses import dataclass, field

import pytest
import torch

from micrograd44 import Value, linear, sum_values

VALUE_RTOL = 1e-12  # value and gradient against PyTorch float64
FD_RTOL = 1e-6  # gradient against central differences


@dataclass
class OpCase:
    """One entry of the op table: the same function for the engine and for PyTorch, and its points."""

    name: str
    engine: object
    torch: object
    points: list
    kinks: list = field(default_factory=list)  # points where central differences are meaningless


def _unary(name, engine, torch_fn, points, kinks=()):
    return OpCase(name, engine, torch_fn, [(p,) for p in points], [(k,) for k in kinks])


ANYWHERE = [-30.0, -3.7, -1.0, -0.25, 0.0, 1e-3, 0.5, 1.0, 2.3, 17.0]
POSITIVE = [1e-4, 0.01, 0.5, 1.0, 2.7, 30.0, 1e5]

OPS = [
    _unary("exp", Value.exp, torch.exp, [-700.0, -30.0, -1.0, 0.0, 0.5, 3.0, 700.0]),
    _unary("log", Value.log, torch.log, POSITIVE),
    _unary("sqrt", Value.sqrt, torch.sqrt, [0.0, *POSITIVE], kinks=[0.0]),
    _unary("tanh", Value.tanh, torch.tanh, [-400.0, *ANYWHERE, 400.0]),
    _unary("sigmoid", Value.sigmoid, torch.sigmoid, [-800.0, -40.0, *ANYWHERE, 40.0, 800.0]),
    _unary(
        "softplus",
        Value.softplus,
        lambda t: torch.nn.functional.softplus(t, threshold=1e9),  # no linear cut-off at 20
        [-50.0, *ANYWHERE, 50.0],
    ),
    _unary("relu", Value.relu, torch.relu, ANYWHERE, kinks=[0.0]),
    _unary("abs", Value.abs, torch.abs, ANYWHERE, kinks=[0.0]),
    _unary("sin", Value.sin, torch.sin, [*ANYWHERE, 1000.0]),
    _unary("cos", Value.cos, torch.cos, [*ANYWHERE, 1000.0]),
    _unary("neg", lambda a: -a, lambda a: -a, ANYWHERE),
    _unary("**2", lambda a: a**2, lambda a: a**2, ANYWHERE),
    _unary("**3", lambda a: a**3, lambda a: a**3, ANYWHERE),
    _unary("**0", lambda a: a**0, lambda a: a**0, ANYWHERE),
    _unary("**1", lambda a: a**1, lambda a: a**1, ANYWHERE),
    _unary("**-1", lambda a: a**-1, lambda a: a**-1, [-3.7, -0.25, 1e-3, 0.5, 2.3]),
    _unary("**-2", lambda a: a**-2, lambda a: a**-2, [-3.7, -0.25, 0.5, 2.3]),
    _unary("**0.5", lambda a: a**0.5, lambda a: a**0.5, [0.0, *POSITIVE], kinks=[0.0]),
    _unary("**-2.5", lambda a: a**-2.5, lambda a: a**-2.5, POSITIVE[1:]),
    _unary("**1.5", lambda a: a**1.5, lambda a: a**1.5, [0.0, 0.5, 4.0], kinks=[0.0]),
    _unary("2 + a", lambda a: 2 + a, lambda a: 2 + a, ANYWHERE),
    _unary("a - 2", lambda a: a - 2, lambda a: a - 2, ANYWHERE),
    _unary("1 - a", lambda a: 1 - a, lambda a: 1 - a, ANYWHERE),
    _unary("2 * a", lambda a: 2 * a, lambda a: 2 * a, ANYWHERE),
    _unary("a / 4", lambda a: a / 4, lambda a: a / 4, ANYWHERE),
    _unary("3 / a", lambda a: 3 / a, lambda a: 3 / a, [-3.7, -0.25, 1e-3, 0.5, 2.3]),
    _unary("2 ** a", lambda a: 2**a, lambda a: 2**a, ANYWHERE),
    _unary("0.5 ** a", lambda a: 0.5**a, lambda a: 0.5**a, ANYWHERE),
    OpCase(
        "a + b",
        lambda a, b: a + b,
        lambda a, b: a + b,
        [(1.5, -2.0), (0.0, 0.0), (-1e8, 3.0)],
    ),
    OpCase(
        "a - b",
        lambda a, b: a - b,
        lambda a, b: a - b,
        [(1.5, -2.0), (0.0, 0.0), (3.0, 3.0)],
    ),
    OpCase(
        "a * b",
        lambda a, b: a * b,
        lambda a, b: a * b,
        [(1.5, -2.0), (0.0, 4.0), (-1e5, 1e-5), (-3.0, -7.5)],
    ),
    OpCase(
        "a / b",
        lambda a, b: a / b,
        lambda a, b: a / b,
        [(1.5, -2.0), (0.0, 4.0), (-1e5, 1e-5), (3.0, 7.0)],
    ),
    OpCase(
        "a ** b",
        lambda a, b: a**b,
        lambda a, b: a**b,
        [(2.0, 3.0), (0.5, -1.5), (3.0, 0.0), (1.0, 2.5), (0.0, 2.0), (0.0, 0.5), (-2.0, 3.0), (-2.0, 2.0)],
        kinks=[(0.0, 2.0), (0.0, 0.5), (-2.0, 3.0), (-2.0, 2.0)],
    ),
    OpCase(
        "linear",
        lambda w0, w1, x0, x1, b: linear([w0, w1], [x0, x1], b),
        lambda w0, w1, x0, x1, b: w0 * x0 + w1 * x1 + b,
        [(0.3, -1.2, 1.0, 0.0, 0.1), (2.0, 0.5, -3.0, 4.0, -0.7), (0.0, 0.0, 0.0, 0.0, 0.0)],
    ),
    OpCase(
        "sum",
        lambda a, b, c: sum_values([a, b, c, a]),
        lambda a, b, c: a + b + c + a,
        [(0.3, -1.2, 1.0), (1e3, 2.0, -0.5)],
    ),
    OpCase(
        "tanh(a * b) + a",
        lambda a, b: (a * b).tanh() + a,
        lambda a, b: torch.tanh(a * b) + a,
        [(0.3, -1.2), (2.0, 0.5)],
    ),
]

CASES = [pytest.param(case, point, id=f"{case.name}@{point}") for case in OPS for point in case.points]


def close(actual: float, expected: float, rtol: float, atol: float = 1e-15) -> bool:
    """Equal within tolerances; nan equals nan and infinities must match exactly."""
    if math.isnan(expected) or math.isinf(expected):
        return (math.isnan(actual) and math.isnan(expected)) or actual == expected
    return math.isclose(actual, expected, rel_tol=rtol, abs_tol=atol)


def engine_result(fn, point):
    """(value, grads) of fn at point by the engine."""
    inputs = [Value(x, label=f"x{i}") for i, x in enumerate(point)]
    out = fn(*inputs)
    out.backward()
    return out.data, [x.grad for x in inputs]


def torch_result(fn, point):
    """(value, grads) of fn at point by PyTorch in float64."""
    inputs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]
    out = fn(*inputs)
    out.backward()
    return out.item(), [0.0 if x.grad is None else x.grad.item() for x in inputs]


def central_difference(fn, point, i):
    """(d fn / d input i by central differences, the size of its rounding error)."""
    h = 1e-6 * abs(point[i]) or 1e-7
    up = [Value(x) for x in point]
    down = [Value(x) for x in point]
    up[i] = Value(point[i] + h)
    down[i] = Value(point[i] - h)
    f_up, f_down = fn(*up).data, fn(*down).data
    rounding = 10 * sys.float_info.epsilon * max(abs(f_up), abs(f_down)) / (2 * h)
    return (f_up - f_down) / (2 * h), rounding


@pytest.mark.parametrize(("case", "point"), CASES)
def test_value_and_grads_equal_pytorch_float64(case, point):
    value, grads = engine_result(case.engine, point)
    expected_value, expected_grads = torch_result(case.torch, point)
    assert close(value, expected_value, VALUE_RTOL), (value, expected_value)
    for i, (grad, expected) in enumerate(zip(grads, expected_grads)):
        assert close(grad, expected, VALUE_RTOL), f"input {i}: {grad} != {expected}"


@pytest.mark.parametrize(("case", "point"), [c for c in CASES if c.values[1] not in c.values[0].kinks])
def test_grads_equal_central_differences(case, point):
    _, grads = engine_result(case.engine, point)
    for i, grad in enumerate(grads):
        numeric, rounding = central_difference(case.engine, point, i)
        assert math.isclose(grad, numeric, rel_tol=FD_RTOL, abs_tol=1e-7 + rounding), (i, grad, numeric)


def test_kinks_follow_pytorch():
    for fn in (Value.relu, Value.abs):
        x = Value(0.0)
        fn(x).backward()
        assert x.grad == 0.0


@pytest.mark.parametrize("x", [-1e308, -745.0, -40.0, 40.0, 745.0, 1e308])
def test_sigmoid_and_softplus_never_overflow(x):
    s = Value(x).sigmoid()
    assert 0.0 <= s.data <= 1.0
    assert math.isfinite(Value(x).softplus().data)


def test_every_op_is_in_the_table():
    ops_made = set()
    for case in OPS:
        inputs = [Value(x) for x in case.points[0]]
        out = case.engine(*inputs)
        stack = [out]
        while stack:
            node = stack.pop()
            ops_made.add("**" if node.op.startswith("**") else node.op)
            stack.extend(node.children)
    unary = {"exp", "log", "sqrt", "tanh", "sigmoid", "softplus", "relu", "abs", "sin", "cos"}
    assert unary | {"+", "*", "**", "linear", "sum", ""} <= ops_made
