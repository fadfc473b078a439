"""Property tests: random expression graphs over every op, and random MLPs, against PyTorch float64.

Hypothesis builds graphs from an op table in which every operand position has a domain; operands
are drawn from the nodes made so far, so nodes are reused (``a * a``) and sub-expressions are
shared. The same program is replayed in PyTorch float64, and the value and gradient of every
node must agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch_twins import torch_copy, torch_grads_by_name

from micrograd44 import MLP, DivisionByZeroError, DomainError, OpError, OverflowValueError, Value, sum_values
from micrograd44 import linear as engine_linear
from micrograd44.init import SCHEMES
from micrograd44.nn import ACTIVATIONS

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
    """One entry of the op table: the engine's function, PyTorch's, and each operand's domain.

    A domain keeps operands away from singularities and kinks, where the two libraries may
    legitimately round to different sides, and from overflow.
    """

    name: str
    engine: Callable
    torch: Callable
    domains: tuple[Callable[[float], bool], ...]


def unary(name, engine, torch_fn, domain=anywhere) -> Op:
    return Op(name, engine, torch_fn, (domain,))


def linear_op(n: int) -> Op:
    """linear(w, x, b) over n weights and n inputs: operands are w_1..w_n, x_1..x_n, b."""
    return Op(
        f"linear/{n}",
        lambda *v: engine_linear(list(v[:n]), list(v[n : 2 * n]), v[2 * n]),
        lambda *v: sum(w * x for w, x in zip(v[:n], v[n : 2 * n])) + v[2 * n],
        (anywhere,) * (2 * n + 1),
    )


def sum_op(n: int) -> Op:
    return Op(f"sum/{n}", lambda *v: sum_values(v), lambda *v: torch.stack(v).sum(), (anywhere,) * n)


OPS = [
    unary("neg", lambda a: -a, lambda a: -a),
    unary("exp", Value.exp, torch.exp, at_most(5.0)),
    unary("log", Value.log, torch.log, at_least(0.05)),
    unary("sqrt", Value.sqrt, torch.sqrt, at_least(0.05)),
    unary("tanh", Value.tanh, torch.tanh),
    unary("sigmoid", Value.sigmoid, torch.sigmoid),
    # PyTorch returns x itself above `threshold`; with 1e9 it computes log1p(exp(x)) like the
    # engine, which overflows in PyTorch past 709
    unary(
        "softplus", Value.softplus, lambda t: torch.nn.functional.softplus(t, threshold=1e9), at_most(700.0)
    ),
    unary("relu", Value.relu, torch.relu, away_from_zero(1e-6)),
    unary("abs", Value.abs, torch.abs, away_from_zero(1e-6)),
    unary("sin", Value.sin, torch.sin),
    unary("cos", Value.cos, torch.cos),
    unary("**0", lambda a: a**0, lambda a: a**0),
    unary("**1", lambda a: a**1, lambda a: a**1),
    unary("**2", lambda a: a**2, lambda a: a**2),
    unary("**3", lambda a: a**3, lambda a: a**3),
    unary("**-1", lambda a: a**-1, lambda a: a**-1, away_from_zero(0.1)),
    unary("**-2", lambda a: a**-2, lambda a: a**-2, away_from_zero(0.1)),
    unary("**0.5", lambda a: a**0.5, lambda a: a**0.5, at_least(0.05)),
    unary("**1.5", lambda a: a**1.5, lambda a: a**1.5, at_least(0.05)),
    unary("**-1.5", lambda a: a**-1.5, lambda a: a**-1.5, at_least(0.1)),
    unary("2 + a", lambda a: 2 + a, lambda a: 2 + a),
    unary("a - 2", lambda a: a - 2, lambda a: a - 2),
    unary("1 - a", lambda a: 1 - a, lambda a: 1 - a),
    unary("3 * a", lambda a: 3 * a, lambda a: 3 * a),
    unary("a / 4", lambda a: a / 4, lambda a: a / 4),
    unary("3 / a", lambda a: 3 / a, lambda a: 3 / a, away_from_zero(0.1)),
    unary("2 ** a", lambda a: 2**a, lambda a: 2**a, at_most(8.0)),
    Op("a + b", lambda a, b: a + b, lambda a, b: a + b, (anywhere, anywhere)),
    Op("a - b", lambda a, b: a - b, lambda a, b: a - b, (anywhere, anywhere)),
    Op("a * b", lambda a, b: a * b, lambda a, b: a * b, (anywhere, anywhere)),
    Op("a / b", lambda a, b: a / b, lambda a, b: a / b, (anywhere, away_from_zero(0.1))),
    Op("a ** b", lambda a, b: a**b, lambda a, b: a**b, (between(0.05, 50.0), between(-3.0, 3.0))),
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


def engine_nodes(program: Program) -> list[Value]:
    """Build the program with the engine, run backward from the sum of all its nodes."""
    nodes = program.run(lambda x: Value(x), lambda op, operands: op.engine(*operands))
    sum_values(nodes).backward()
    return nodes


def torch_nodes(program: Program) -> list[torch.Tensor]:
    """The same in PyTorch float64, every node keeping its grad."""

    def apply(op, operands):
        out = op.torch(*operands)
        out.retain_grad()
        return out

    nodes = program.run(lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True), apply)
    torch.stack(nodes).sum().backward()
    return nodes


def assert_close(actual: float, expected: float, what: str) -> None:
    assert math.isfinite(actual), f"{what}: {actual!r} is not finite"
    assert math.isclose(actual, expected, rel_tol=RTOL, abs_tol=ATOL), f"{what}: {actual!r} != {expected!r}"


def assert_program_equals_torch(program: Program) -> None:
    names = [f"leaf {i}" for i in range(len(program.leaves))] + [
        f"step {i} ({name})" for i, (name, _) in enumerate(program.steps)
    ]
    for name, ours, theirs in zip(names, engine_nodes(program), torch_nodes(program)):
        assert_close(ours.data, theirs.item(), f"value of {name}")
        assert_close(ours.grad, theirs.grad.item(), f"grad of {name}")


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

    inputs = [Value(v) for v in x]
    out = model(inputs)
    outs = out if isinstance(out, list) else [out]
    engine_linear(outs, loss_weights, Value(0.0)).backward()

    net = torch_copy(model)
    x_torch = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    expected = net(x_torch)
    (expected * torch.tensor(loss_weights, dtype=torch.float64)).sum().backward()

    for i, (ours, theirs) in enumerate(zip(outs, expected.tolist())):
        assert_close(ours.data, theirs, f"output {i}")
    reference = torch_grads_by_name(net, model)
    for name, p in model.named_parameters():
        assert_close(p.grad, reference[name], f"grad of {name}")
    for i, (v, g) in enumerate(zip(inputs, x_torch.grad.tolist())):
        assert_close(v.grad, g, f"grad of input {i}")


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
