"""The sign of a zero that comes out of a sum, on every engine: eager, compiled Python, C.

What each engine promises:
- values: every engine gives the same float, sign of zero included. ``+`` and ``-`` follow
  IEEE 754 (-0.0 + -0.0 = -0.0, any other sum of zeros is +0.0 under round-to-nearest);
  a ``sum`` node is the correctly rounded exact sum, whose zero is +0.0; a ``linear``
  node adds the products to 0.0 first, so its zero is +0.0 too.
- leaf gradients: ``.grad`` starts at 0.0 and contributions add into it, so a parameter
  whose every contribution is -0.0 ends with +0.0 on every engine.
- an interior gradient: eager starts it at 0.0 and adds the first contribution; the
  compiled code starts it from its first contribution (codegen/lowering.py). They differ
  only where that contribution is -0.0: eager's gradient is +0.0, compiled code's -0.0.
  ``Program.backward`` adds 0.0 + the call's gradient to ``.grad``, as eager adds its sum
  from 0.0, so a ``.grad`` that was -0.0 before backward ends as eager's; the difference
  shows only in the input gradients of ``Program.gradients``.
"""

from __future__ import annotations

import math

import pytest
from compilers import needs_compiler

from micrograd44 import Value, linear, sum_values
from micrograd44.compiled import capture, trace

ENGINES = ["eager", "python", pytest.param("c", marks=needs_compiler)]


def sign(x: float) -> float:
    """+1.0 or -1.0: the sign bit of x, zeros included."""
    return math.copysign(1.0, x)


def run(engine: str, make, values, preset_grads=None) -> tuple[float, list[float]]:
    """The root's value and the leaves' gradients after one backward pass on the engine.

    ``preset_grads`` are the leaves' ``.grad`` before the pass (0.0 each by default).
    """
    leaves = [Value(v) for v in values]
    for leaf, grad in zip(leaves, preset_grads or [0.0] * len(leaves)):
        leaf.grad = grad
    root = make(*leaves)
    if engine == "eager":
        root.backward()
        return root.data, [leaf.grad for leaf in leaves]
    program = capture(root, inputs=[], parameters=leaves)
    if engine == "c":
        program = program.c_program()
    return program.backward(), [leaf.grad for leaf in leaves]


# (the graph, the leaves' values, the sign of the root's value)
ZERO_SUMS = {
    "-0 + -0": (lambda a, b: a + b, (-0.0, -0.0), -1.0),
    "-0 + 0": (lambda a, b: a + b, (-0.0, 0.0), 1.0),
    "0 + -0": (lambda a, b: a + b, (0.0, -0.0), 1.0),
    "-0 - 0": (lambda a, b: a - b, (-0.0, 0.0), -1.0),
    "-0 - -0": (lambda a, b: a - b, (-0.0, -0.0), 1.0),
    "1 - 1": (lambda a, b: a - b, (1.0, 1.0), 1.0),
    "(-0 + -0) + -0": (lambda a, b: (a + b) + a, (-0.0, -0.0), -1.0),
    "-0 * 1 + -0": (lambda a, b: a * 1.0 + b, (-0.0, -0.0), -1.0),
    "sum(-0, -0, -0)": (lambda a, b: sum_values([a, b, a]), (-0.0, -0.0), 1.0),
    "sum(1, -1)": (lambda a, b: sum_values([a, b]), (1.0, -1.0), 1.0),
    "linear([-0], [1], -0)": (lambda a, b: linear([a], [Value(1.0)], b), (-0.0, -0.0), 1.0),
    "linear([1], [-0], -0)": (lambda a, b: linear([Value(1.0)], [a], b), (-0.0, -0.0), 1.0),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", ZERO_SUMS)
def test_a_zero_value_has_the_same_sign_on_every_engine(name, engine):
    make, values, expected = ZERO_SUMS[name]
    value, _ = run(engine, make, values)
    assert (value, sign(value)) == (0.0, expected)


# (the graph, the leaves' values, their gradients): every contribution to a zero gradient is -0.0 or +0.0
NEGATIVE_ZERO_CONTRIBUTIONS = {
    "a * b, b = -0": (lambda a, b: a * b, (1.0, -0.0), (0.0, 1.0)),
    "(a * b) * b": (lambda a, b: (a * b) * b, (2.0, -0.0), (0.0, 0.0)),
    "relu(a) * b": (lambda a, b: a.relu() * b, (3.0, -0.0), (0.0, 3.0)),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", NEGATIVE_ZERO_CONTRIBUTIONS)
def test_a_leaf_gradient_of_negative_zeros_is_positive_zero_on_every_engine(name, engine):
    make, values, expected = NEGATIVE_ZERO_CONTRIBUTIONS[name]
    _, grads = run(engine, make, values)
    assert [(g, sign(g)) for g in grads] == [(g, sign(g)) for g in expected]


def interior_first_negative_zero(a: Value, c: Value) -> Value:
    """(a * 1) * c with c = -0.0: the interior node a * 1 gets -0.0 first, a then gets 1 times it."""
    return (a * 1.0) * c


@pytest.mark.parametrize("engine", ENGINES)
def test_an_interior_negative_zero_reaches_a_negative_zero_grad_as_eagers_zero(engine):
    # a's .grad at -0.0 before the pass: -0.0 + (0.0 + the call's gradient) is +0.0 on every engine
    _, (a_grad, c_grad) = run(engine, interior_first_negative_zero, (2.0, -0.0), preset_grads=[-0.0, 0.0])
    assert (a_grad, sign(a_grad)) == (0.0, 1.0)
    assert c_grad == 2.0
    # from a .grad of 0.0 every engine ends at +0.0: 0.0 + -0.0 is +0.0
    _, (a_grad, _) = run(engine, interior_first_negative_zero, (2.0, -0.0))
    assert (a_grad, sign(a_grad)) == (0.0, 1.0)


def test_input_gradients_of_compiled_programs_start_from_the_first_contribution():
    w = Value(-0.0)
    program = trace(lambda x: x * w, example=(1.0,), parameters=[w])
    batch = program.gradients(1.0)
    x = Value(1.0)
    (x * Value(-0.0)).backward()
    # eager: 0.0 + -0.0; compiled: the contribution itself
    assert (sign(x.grad), sign(float(batch.inputs[0]))) == (1.0, -1.0)
    assert float(batch.parameters[0]) == 1.0
