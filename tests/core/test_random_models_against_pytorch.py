"""Property tests: random MLPs against PyTorch float64, and out-of-domain inputs over wide ranges.

Random expression graphs over every op of the table are in tests/core/test_op_table_against_every_consumer.py.
``micrograd44.testing`` builds each MLP's ``torch.nn`` model, and every value and gradient
must agree.
"""

from __future__ import annotations

import math

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
)
from micrograd44.nn import ACTIVATIONS
from micrograd44.testing import assert_module_matches_torch
from micrograd44.weight_init import SCHEMES

RTOL = 1e-9  # an MLP against PyTorch (one op alone agrees to ~1e-15)
ATOL = 1e-9
LEAF_DATA = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False)

PROPERTY_SETTINGS = settings(
    max_examples=200,
    deadline=None,  # the machine is shared: timing says nothing about correctness
    suppress_health_check=[HealthCheck.too_slow],
)


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
