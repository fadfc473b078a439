"""The numpy printer and the functions its code calls give the engine's numbers (codegen/arrays.py).

Each array function of ``ARRAY_NAMESPACE`` is compared with the engine's function on floats
(``ops.FLOATS``) over points that reach every branch: to the last bit where numpy computes
the same operations, within a few units in the last place where numpy's exp or log may round
differently. The compensated sum is compared with the correctly rounded sum, including where
a partial sum overflows and where a term is infinite or nan.
"""

from __future__ import annotations

import math
import random
import struct

import numpy as np
import pytest

from micrograd44.codegen.arrays import ARRAY_NAMESPACE, NUMPY
from micrograd44.codegen.expr import EXPRESSIONS, name
from micrograd44.core import ops

POINTS = np.array(
    [-800.0, -40.0, -3.7, -1.0, -0.25, -0.0, 0.0, 1e-300, 1e-3, 0.5, 1.0, 2.3, 17.0, 40.0, 710.0, 800.0]
)


def bits(x) -> list:
    """The bit patterns of an array's elements (every nan as one)."""
    return ["nan" if math.isnan(v) else struct.pack("<d", v) for v in np.asarray(x, dtype=np.float64).ravel()]


def ulps_apart(a: float, b: float) -> int:
    """How many floats lie between a and b (0 if equal; both nan counts as equal)."""
    if math.isnan(a) or math.isnan(b):
        return 0 if math.isnan(a) and math.isnan(b) else 1 << 62
    if a == b:
        return 0

    def ordered(x: float) -> int:
        n = struct.unpack("<q", struct.pack("<d", x))[0]
        return n if n >= 0 else -(n & 0x7FFFFFFFFFFFFFFF)

    return abs(ordered(a) - ordered(b))


def run(source: str, **arrays):
    """The value of numpy source in the generated code's namespace."""
    with np.errstate(all="ignore"):
        return eval(source, {**ARRAY_NAMESPACE, **arrays})


@pytest.mark.parametrize(
    "function", ["sigmoid", "softplus", "erf", "abs", "sign", "floor", "exp", "tanh", "atan"]
)
def test_array_functions_equal_the_engine_elementwise(function):
    engine = getattr(ops.FLOATS, function)
    got = run(NUMPY.print(getattr(EXPRESSIONS, function)(name("x"))), x=POINTS)
    assert got.shape == POINTS.shape
    for x, value in zip(POINTS, got):
        try:
            expected = float(engine(float(x)))
        except OverflowError:
            expected = math.inf
        tolerance = 0 if function in ("erf", "abs", "sign", "floor") else 4
        assert ulps_apart(float(value), expected) <= tolerance, (function, x, value, expected)


def test_sigmoid_and_softplus_neither_overflow_nor_lose_their_tails():
    x = np.array([-1000.0, -745.0, -40.0, 0.0, 40.0, 1000.0])
    sigmoid = ARRAY_NAMESPACE["sigmoid"](x)
    assert sigmoid[0] == 0.0 and sigmoid[-1] == 1.0 and sigmoid[3] == 0.5
    assert 0.0 < sigmoid[1] < 1e-300 and sigmoid[2] == pytest.approx(math.exp(-40.0), rel=1e-14)
    softplus = ARRAY_NAMESPACE["softplus"](x)
    assert softplus[0] == 0.0 and softplus[-1] == 1000.0 and softplus[3] == math.log(2.0)
    assert softplus[2] == pytest.approx(math.exp(-40.0), rel=1e-14)


def test_sign_is_zero_at_zero_and_keeps_nan():
    got = ARRAY_NAMESPACE["sign"](np.array([-3.0, -0.0, 0.0, 2.0, math.nan, -math.inf]))
    assert got[:4].tolist() == [-1.0, 0.0, 0.0, 1.0] and math.isnan(got[4]) and got[5] == -1.0


def test_the_namespace_maps_each_function_to_its_numpy_twin():
    x = np.array([0.25, 0.5, 2.0])
    for function in ("exp", "log", "log1p", "sqrt", "tanh", "sin", "cos", "tan", "atan"):
        engine = getattr(ops.FLOATS, function)
        got = run(NUMPY.print(getattr(EXPRESSIONS, function)(name("x"))), x=x)
        for a, b in zip(got, x):
            assert ulps_apart(float(a), engine(float(b))) <= 4, function
    assert run(NUMPY.print(EXPRESSIONS.abs(name("x"))), x=np.array([-2.0])).tolist() == [2.0]
    assert ARRAY_NAMESPACE["inf"] == math.inf and math.isnan(ARRAY_NAMESPACE["nan"])


def test_where_masked_and_logic_work_elementwise():
    x, y = name("x"), name("y")
    xs, ys = np.array([-1.0, 0.0, 2.0, 3.0]), np.array([1.0, 1.0, 5.0, -1.0])
    chosen = NUMPY.print(
        EXPRESSIONS.where(EXPRESSIONS.and_(EXPRESSIONS.gt(x, 0.0), EXPRESSIONS.gt(y, 0.0)), x, -y)
    )
    assert run(chosen, x=xs, y=ys).tolist() == [-1.0, -1.0, 2.0, 1.0]
    either = NUMPY.print(EXPRESSIONS.or_(EXPRESSIONS.gt(x, 2.0), EXPRESSIONS.eq(y, 1.0)))
    assert run(either, x=xs, y=ys).tolist() == [True, True, False, True]
    assert run(NUMPY.negate("x > 0.0"), x=xs).tolist() == [True, True, False, False]
    masked = run(NUMPY.masked("x > 0.0", "y * x"), x=xs, y=np.array([math.inf, math.inf, 5.0, -1.0]))
    assert bits(masked) == bits([0.0, 0.0, 10.0, -3.0])


def neumaier_cases():
    rng = random.Random(7)
    rows = [
        [1e16, 1.0, 1.0],
        [1.0, 1e100, 1.0, -1e100],
        [3.0, -3.0, 1e-20],
        [-0.0, -0.0, -0.0],
        [0.1, 0.2, 0.3, -0.6],
        [2.0**53, 1.0, -(2.0**53), 0.5],
    ]
    for _ in range(30):
        rows.append(
            [rng.choice([1.0, -1.0]) * 10.0 ** rng.uniform(-20, 20) for _ in range(rng.randint(3, 7))]
        )
    return rows


@pytest.mark.parametrize("row", neumaier_cases())
def test_the_compensated_sum_is_the_correctly_rounded_sum(row):
    terms = [np.array([t, -t, t * 0.5]) for t in row]
    got = ARRAY_NAMESPACE["compensated_sum"](terms)
    expected = [math.fsum(t[k] for t in terms) for k in range(3)]
    assert [ulps_apart(float(a), b) for a, b in zip(got, expected)] == [0, 0, 0], (row, got, expected)


def test_the_compensated_sum_sums_exactly_where_a_partial_sum_overflows():
    big = np.array([1e308, 1e308, 1.0, -1e308])
    terms = [big, np.array([1e308, 1.0, 2.0, -1e308]), np.array([-1e308, -1e308, 3.0, 1e308]), 1.0]
    with np.errstate(all="ignore"):
        got = ARRAY_NAMESPACE["compensated_sum"](terms)
    assert bits(got) == bits(
        [
            1e308 + 1.0,
            ops.exact_sum([1e308, 1.0, -1e308, 1.0]),
            7.0,
            ops.exact_sum([-1e308, -1e308, 1e308, 1.0]),
        ]
    )
    with np.errstate(all="ignore"):
        beyond = ARRAY_NAMESPACE["compensated_sum"](
            [np.array([1e308, -1e308]), np.array([1e308, -1e308]), 0.0]
        )
    assert beyond.tolist() == [math.inf, -math.inf]


def test_the_compensated_sum_keeps_infinite_and_nan_terms():
    with np.errstate(all="ignore"):
        got = ARRAY_NAMESPACE["compensated_sum"](
            [
                np.array([math.inf, math.inf, math.nan, 1.0]),
                np.array([-math.inf, 1.0, 1.0, 2.0]),
                np.array([1.0, 1.0, 1.0, 3.0]),
            ]
        )
    # where a term is not finite the engine would refuse the node: the element is not finite
    assert math.isnan(got[0]) and not math.isfinite(got[1]) and math.isnan(got[2]) and got[3] == 6.0


@pytest.mark.parametrize("count", [1, 2, 3, 4, 6])
def test_printed_sums_of_any_length_equal_the_engines_sum(count):
    rng = random.Random(count)
    names = [f"x{k}" for k in range(count)]
    columns = {
        n: np.array([rng.choice([1e16, -1e16, 1.0, 3.0, -0.0, 0.5]) for _ in range(40)]) for n in names
    }
    columns["x0"][:2] = [-0.0, 1e16]
    if count > 1:
        columns["x1"][:2] = [-0.0, 1.0]
    if count > 2:
        columns["x2"][:2] = [-0.0, 1.0]
    source = NUMPY.print(EXPRESSIONS.fsum([name(n) for n in names]))
    got = run(source, **columns)
    expected = [ops.exact_sum([float(columns[n][k]) for n in names]) for k in range(40)]
    if count <= 2:  # one term is itself, two are added as IEEE adds them (correctly rounded),
        # so a sum of zeros may be -0.0 where the engine's is +0.0
        expected = [
            sum((float(columns[n][k]) for n in names[1:]), float(columns["x0"][k])) for k in range(40)
        ]
    assert bits(got) == bits(expected)


def test_a_sum_with_a_constant_term_broadcasts():
    source = NUMPY.print(EXPRESSIONS.fsum([name("x"), 1.0, name("y")]))
    got = run(source, x=np.array([1e16, 2.0]), y=np.array([1.0, -2.0]))
    assert got.tolist() == [1e16 + 2.0, 1.0]
