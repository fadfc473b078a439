"""The order in which one node's contributions reach an operand it uses twice, on every engine.

The shape: a node uses an operand x twice with different slopes (x ** x, a neuron whose
weight, input and bias are all x), after another contribution has already reached x (the
root is that node times x). Float addition is not associative, so the gradient of x depends
on the order of its three or four terms. The engine adds them in the reverse of the
topological order, each node's edges in input order; eager, the compiled Python program and
its C twin must give that gradient bit for bit. The random graphs of the suite never build
this shape.
"""

from __future__ import annotations

import math

import pytest
from compilers import needs_compiler

from micrograd44 import Value, linear
from micrograd44.compiled import capture


def power_twice(x: Value) -> Value:
    """(x ** x) * x: the root reaches x first, then x ** x adds its two slopes."""
    return (x**x) * x


def neuron_of_one(x: Value) -> Value:
    """linear([x], [x], x) * x: the root reaches x first, then the neuron adds x, x and 1."""
    return linear([x], [x], x) * x


def power_twice_by_hand(x: float) -> tuple[float, float]:
    """d/dx of (x ** x) * x in the engine's order, and with the two slopes of x ** x swapped."""
    n = x**x
    first = 0.0 + n * 1.0  # from the root: d(n * x)/dx = n, upstream 1
    upstream = 0.0 + x * 1.0  # d(root)/dn = x
    by_base = x * x ** (x - 1.0) * upstream  # d(x ** y)/dx = y x^(y-1)
    by_exponent = n * math.log(x) * upstream  # d(x ** y)/dy = x^y ln x
    return (first + by_base) + by_exponent, (first + by_exponent) + by_base


def neuron_of_one_by_hand(x: float) -> tuple[float, float]:
    """d/dx of linear([x], [x], x) * x in the engine's order, and with the neuron's edges reversed."""
    n = 0.0 + x * x + x
    first = 0.0 + n * 1.0
    upstream = 0.0 + x * 1.0
    as_weight, as_input, as_bias = x * upstream, x * upstream, 1.0 * upstream
    return ((first + as_weight) + as_input) + as_bias, ((first + as_bias) + as_input) + as_weight


# (the shape, its gradient by hand, points a where the two orders round differently,
# both at x = a and at x = sin(a))
SHAPES = {
    "x ** x": (power_twice, power_twice_by_hand, (0.38, 0.41, 0.58, 0.76, 0.91)),
    "linear([x], [x], x)": (neuron_of_one, neuron_of_one_by_hand, (0.08, 0.15, 0.29, 0.57, 0.7)),
}


def eager_gradient(shape, at: float, interior: bool) -> float:
    """d(root)/da by the engine, x = sin(a) (an interior node) or x = a (a leaf)."""
    a = Value(at)
    shape(a.sin() if interior else a).backward()
    return a.grad


def compiled_gradient(shape, at: float, interior: bool, backend: str) -> float:
    """d(root)/da by the compiled Python program or its C twin, from a zero gradient."""
    a = Value(at)
    program = capture(shape(a.sin() if interior else a), inputs=[], parameters=[a])
    if backend == "c":
        program = program.c_program()
    program.backward()
    return a.grad


@pytest.mark.parametrize("name", SHAPES)
def test_the_points_tell_the_two_orders_apart(name):
    _, by_hand, points = SHAPES[name]
    for at in points:
        for x in (at, math.sin(at)):
            in_order, swapped = by_hand(x)
            assert in_order != swapped, x


@pytest.mark.parametrize("name", SHAPES)
def test_eager_adds_the_contributions_in_the_documented_order(name):
    shape, by_hand, points = SHAPES[name]
    for at in points:
        assert eager_gradient(shape, at, interior=False) == by_hand(at)[0], at
        # through x = sin(a): a's gradient is the chain rule's one product, cos(a) times x's
        assert eager_gradient(shape, at, interior=True) == 0.0 + math.cos(at) * by_hand(math.sin(at))[0], at


@pytest.mark.parametrize("backend", ["python", pytest.param("c", marks=needs_compiler)])
@pytest.mark.parametrize("interior", [False, True], ids=["x a leaf", "x interior"])
@pytest.mark.parametrize("name", SHAPES)
def test_compiled_engines_give_eager_gradient_bit_for_bit(name, interior, backend):
    shape, _, points = SHAPES[name]
    for at in points:
        expected = eager_gradient(shape, at, interior)
        actual = compiled_gradient(shape, at, interior, backend)
        assert (actual, math.copysign(1.0, actual)) == (expected, math.copysign(1.0, expected)), at
