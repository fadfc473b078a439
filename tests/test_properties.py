"""Property tests: random expression graphs over every op, and random MLPs, against PyTorch float64.

Hypothesis builds graphs from an op table in which every operand position has a domain; operands
are drawn from the nodes made so far, so nodes are reused (``a * a``) and sub-expressions are
shared. ``micrograd44.testing`` replays each graph in PyTorch float64 (its twin comes from the op
table) and each MLP as its ``torch.nn`` model, and every value and gradient must agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from micrograd44 import (
    MLP,
    DivisionByZeroError,
    DomainError,
    OpError,
    OverflowValueError,
    Value,
    sum_values,
    topological_order,
)
from micrograd44 import linear as engine_linear
from micrograd44.init import SCHEMES
from micrograd44.nn import ACTIVATIONS
from micrograd44.testing import assert_matches_torch, assert_module_matches_torch

RTOL = 1e-9  # engine against PyTorch after a chain of ops (one op alone agrees to ~1e-15)
ATOL = 1e-9
BOUND = 1e3  # a result larger than this is not reused, so chains of products cannot overflow

PROPERTY_SETTINGS = settings(
    max_examples=200,
    deadline=None,  # the machine is shared: timing says nothing about correctness
    suppress_health_check=[HealthCheck.too_slow],
)


def anywhere(x: float) -> bool:
    return True


def at_least(low: float) -> Callable[[float], bool]:
    return lambda x: x >= low


def at_most(high: float) -> Callable[[float], bool]:
    return lambda x: x <= high


def away_from_zero(margin: float) -> Callable[[float], bool]:
    return lambda x: abs(x) >= margin


def between(low: float, high: float) -> Callable[[float], bool]:
    return lambda x: low <= x <= high


@dataclass(frozen=True)
class Op:
    """One way to build a node: the engine's function and each operand's domain.

    A domain keeps operands away from singularities and kinks, where the two libraries may
    legitimately round to different sides, and from overflow. PyTorch's side is not written
    here: it is the twin that micrograd44.testing makes from the op table.
    """

    name: str
    engine: Callable
    domains: tuple[Callable[[float], bool], ...]


def unary(name, engine, domain=anywhere) -> Op:
    return Op(name, engine, (domain,))


def linear_op(n: int) -> Op:
    """linear(w, x, b) over n weights and n inputs: operands are w_1..w_n, x_1..x_n, b."""
    return Op(
        f"linear/{n}",
        lambda *v: engine_linear(list(v[:n]), list(v[n : 2 * n]), v[2 * n]),
        (anywhere,) * (2 * n + 1),
    )


def sum_op(n: int) -> Op:
    return Op(f"sum/{n}", lambda *v: sum_values(v), (anywhere,) * n)


OPS = [
    unary("neg", lambda a: -a),
    unary("exp", Value.exp, at_most(5.0)),
    unary("log", Value.log, at_least(0.05)),
    unary("sqrt", Value.sqrt, at_least(0.05)),
    unary("tanh", Value.tanh),
    unary("sigmoid", Value.sigmoid),
    unary("softplus", Value.softplus, at_most(700.0)),
    unary("relu", Value.relu, away_from_zero(1e-6)),
    unary("abs", Value.abs, away_from_zero(1e-6)),
    unary("sin", Value.sin),
    unary("cos", Value.cos),
    unary("**0", lambda a: a**0),
    unary("**1", lambda a: a**1),
    unary("**2", lambda a: a**2),
    unary("**3", lambda a: a**3),
    unary("**-1", lambda a: a**-1, away_from_zero(0.1)),
    unary("**-2", lambda a: a**-2, away_from_zero(0.1)),
    unary("**0.5", lambda a: a**0.5, at_least(0.05)),
    unary("**1.5", lambda a: a**1.5, at_least(0.05)),
    unary("**-1.5", lambda a: a**-1.5, at_least(0.1)),
    unary("2 + a", lambda a: 2 + a),
    unary("a - 2", lambda a: a - 2),
    unary("1 - a", lambda a: 1 - a),
    unary("3 * a", lambda a: 3 * a),
    unary("a / 4", lambda a: a / 4),
    unary("3 / a", lambda a: 3 / a, away_from_zero(0.1)),
    unary("2 ** a", lambda a: 2**a, at_most(8.0)),
    Op("a + b", lambda a, b: a + b, (anywhere, anywhere)),
    Op("a - b", lambda a, b: a - b, (anywhere, anywhere)),
    Op("a * b", lambda a, b: a * b, (anywhere, anywhere)),
    Op("a / b", lambda a, b: a / b, (anywhere, away_from_zero(0.1))),
    Op("a ** b", lambda a, b: a**b, (between(0.05, 50.0), between(-3.0, 3.0))),
    linear_op(1),
    linear_op(2),
    linear_op(3),
    sum_op(1),
    sum_op(2),
    sum_op(4),
]

OPS_BY_NAME = {op.name: op for op in OPS}

LEAF_DATA = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False)


@dataclass(frozen=True)
class Program:
    """A random graph as data: leaf values, then steps (op name, indices of earlier nodes)."""

    leaves: tuple[float, ...]
    steps: tuple[tuple[str, tuple[int, ...]], ...]

    def run(self, leaf, apply):
        """Every node of the graph, leaves first, built with ``leaf(x)`` and ``apply(op, operands)``."""
        nodes = [leaf(x) for x in self.leaves]
        for name, indices in self.steps:
            nodes.append(apply(OPS_BY_NAME[name], [nodes[i] for i in indices]))
        return nodes


@st.composite
def programs(draw, ops=OPS, max_steps=12) -> Program:
    """A program whose every operand lies in its op's domain, every node bounded by BOUND."""
    leaves = draw(st.lists(LEAF_DATA, min_size=1, max_size=4))
    data = list(leaves)
    steps = []
    for _ in range(draw(st.integers(1, max_steps))):
        op = draw(st.sampled_from(ops))
        indices = []
        for domain in op.domains:
            candidates = [i for i, x in enumerate(data) if domain(x)]
            if not candidates:
                break
            # recent nodes first, so deep chains are as likely as wide ones
            indices.append(draw(st.sampled_from(candidates[::-1])))
        else:
            result = op.engine(*[Value(data[i]) for i in indices]).data
            if abs(result) <= BOUND:
                data.append(result)
                steps.append((op.name, tuple(indices)))
    return Program(tuple(leaves), tuple(steps))


def assert_program_equals_torch(program: Program) -> None:
    """The program built by the engine: every gradient of the sum of its nodes is finite and PyTorch's."""
    nodes = program.run(Value, lambda op, operands: op.engine(*operands))
    for i, leaf in enumerate(nodes[: len(program.leaves)]):
        leaf.label = f"x{i}"
    root = sum_values(nodes)
    root.backward()
    for node in topological_order(root):
        assert math.isfinite(node.grad), f"grad of {node!r} ({node.op or 'leaf'}) is not finite"
    assert_matches_torch(root, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
@settings(PROPERTY_SETTINGS, max_examples=25)
@given(data=st.data())
def test_each_op_in_its_domain_equals_torch(op, data):
    program = data.draw(programs(ops=[op], max_steps=3))
    assert_program_equals_torch(program)


@PROPERTY_SETTINGS
@given(program=programs())
def test_random_graphs_with_shared_nodes_equal_torch(program):
    assert_program_equals_torch(program)


def test_the_table_covers_every_op_of_the_engine():
    made = set()
    for op in OPS:
        out = op.engine(*[Value(0.5) for _ in op.domains])
        made |= {node.op for node in [out, *out.children]}
    unary_methods = {"exp", "log", "sqrt", "tanh", "sigmoid", "softplus", "relu", "abs", "sin", "cos"}
    assert unary_methods | {"+", "*", "**", "**-1", "linear", "sum"} <= made


MLP_SHAPES = st.tuples(
    st.integers(1, 4),  # nin
    st.lists(st.integers(1, 5), min_size=1, max_size=3),  # nouts
    st.sampled_from(sorted(ACTIVATIONS, key=str)),  # hidden activation
    st.sampled_from(sorted(ACTIVATIONS, key=str)),  # final activation
    st.sampled_from(sorted(SCHEMES)),  # weight init
    st.sampled_from(sorted(SCHEMES)),  # bias init
    st.integers(0, 2**32 - 1),  # seed
)


@PROPERTY_SETTINGS
@given(shape=MLP_SHAPES, data=st.data())
def test_random_mlps_equal_torch_sequential(shape, data):
    nin, nouts, activation, final, weight_init, bias_init, seed = shape
    model = MLP(
        nin,
        nouts,
        activation=activation,
        final_activation=final,
        weight_init=weight_init,
        bias_init=bias_init,
        seed=seed,
    )
    x = data.draw(st.lists(LEAF_DATA, min_size=nin, max_size=nin), label="x")
    loss_weights = data.draw(
        st.lists(LEAF_DATA, min_size=nouts[-1], max_size=nouts[-1]), label="loss weights"
    )

    assert_module_matches_torch(model, x, output_grads=loss_weights, rtol=RTOL, atol=ATOL)


# Outside its domain every op raises an OpError naming the op: never a nan or an inf.
OUT_OF_DOMAIN = [
    ("log", lambda x: x.log(), st.floats(max_value=0.0, allow_nan=False, allow_infinity=False), DomainError),
    (
        "sqrt",
        lambda x: x.sqrt(),
        st.floats(max_value=-1e-300, allow_nan=False, allow_infinity=False),
        DomainError,
    ),
    (
        "**0.5",
        lambda x: x**0.5,
        st.floats(max_value=-1e-300, allow_nan=False, allow_infinity=False),
        DomainError,
    ),
    (
        "**",
        lambda x: x ** Value(-1.5),
        st.floats(max_value=-1e-300, allow_nan=False, allow_infinity=False),
        DomainError,
    ),
    ("/", lambda x: x / 0.0, st.floats(allow_nan=False, allow_infinity=False), DivisionByZeroError),
    (
        "**",
        lambda x: Value(0.0) ** x,
        st.floats(max_value=-1e-300, allow_nan=False, allow_infinity=False),
        DivisionByZeroError,
    ),
    (
        "exp",
        lambda x: x.exp(),
        st.floats(min_value=709.8, allow_nan=False, allow_infinity=False),
        OverflowValueError,
    ),
    (
        "**3",
        lambda x: x**3,
        st.floats(min_value=1e103, allow_nan=False, allow_infinity=False),
        OverflowValueError,
    ),
]


@pytest.mark.parametrize(
    ("op", "make", "points", "error"), OUT_OF_DOMAIN, ids=[f"{i}:{c[0]}" for i, c in enumerate(OUT_OF_DOMAIN)]
)
@settings(PROPERTY_SETTINGS, max_examples=25)
@given(data=st.data())
def test_out_of_domain_raises_an_op_error_naming_the_op(op, make, points, error, data):
    x = data.draw(points, label="x")
    with pytest.raises(error) as caught:
        make(Value(x, label="x"))
    assert isinstance(caught.value, OpError) and caught.value.op == op
    assert str(caught.value).startswith(f"{op}:")


@pytest.mark.parametrize(
    "make", [lambda x: x * x, lambda x: x + x, lambda x: x - (-x)], ids=["a*a", "a+a", "a-(-a)"]
)
def test_sums_and_products_that_overflow_raise(make):
    with pytest.raises(OverflowValueError):
        make(Value(1e308, label="big"))


def test_a_negative_base_with_a_value_exponent_has_a_nan_exponent_grad_as_in_pytorch():
    # (-2) ** b is real only at integer b, so d/db = (-2) ** b ln(-2) has no real value:
    # the one documented nan of the engine, the same as PyTorch's.
    base, exponent = Value(-2.0, label="base"), Value(2.0, label="exponent")
    (base**exponent).backward()
    assert base.grad == -4.0 and math.isnan(exponent.grad)


@pytest.mark.parametrize("data", [math.nan, math.inf, -math.inf])
def test_value_refuses_nan_and_infinity(data):
    with pytest.raises(ValueError):
        Value(data)
