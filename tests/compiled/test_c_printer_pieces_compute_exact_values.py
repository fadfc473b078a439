"""The pieces codegen/c.py prints, compiled into one small C library, compute exact values.

One library (one compiler run) holds every piece: each literal ``c_literal`` prints, the
sums ``C.fsum`` prints for one to seven terms, the finiteness test ``c_all_finite`` prints
for up to nine variables, ``C.guarded`` and ``C.masked`` with none, one and two checks, and
variables declared by ``declare`` (duplicates, and more than a line's eight). Each is then
run on inputs and compared with Python's numbers, bit for bit, zeros' signs included.
"""

from __future__ import annotations

import ctypes
import math
import struct
from fractions import Fraction

import pytest
from compilers import needs_compiler

from micrograd44.codegen.c import PRELUDE, C, c_all_finite, c_literal, declare
from micrograd44.compiled.toolchain import build

pytestmark = needs_compiler

LITERALS = [
    math.nan,
    math.inf,
    -math.inf,
    0.0,
    -0.0,
    0.5,
    -0.5,
    3.0,
    -3.0,
    0.1,
    -(1 / 3),
    2.0**53,
    2.0**53 + 2.0,
    -(2.0**60) - 512.0,
    1e300,
    -1e-310,
    5e-324,
]
SUM_SIZES = [1, 2, 3, 4, 7]
FINITE_SIZES = [0, 1, 2, 3, 4, 5, 8, 9]
DECLARED_SIZES = [1, 8, 9, 17]
DOUBLES = ctypes.POINTER(ctypes.c_double)


def terms(n: int) -> list[str]:
    return [f"x[{k}]" for k in range(n)]


def declared_function(n: int) -> str:
    """A function that declares n distinct names (listed twice, out of order) and sums x through them."""
    names = [f"v{k}" for k in range(n)]
    listed = [*names, *reversed(names)]
    lines = [f"double declared_{n}(const double *x)", "{", *declare(listed)]
    lines += [f"    {v} += x[{k}];" for k, v in enumerate(names)]
    lines += [f"    return {' + '.join(names)};", "}"]
    return "\n".join(lines)


def source() -> str:
    parts = [PRELUDE, "void literals(double *out)", "{"]
    parts += [f"    out[{k}] = {c_literal(v)};" for k, v in enumerate(LITERALS)]
    parts.append("}")
    parts += [f"double sum_{n}(const double *x) {{ return {C.fsum(terms(n))}; }}" for n in SUM_SIZES]
    parts += [f"int finite_{n}(const double *x) {{ return {c_all_finite(terms(n))}; }}" for n in FINITE_SIZES]
    for n in range(3):
        checks = [f"x[{k + 1}] > 0.0" for k in range(n)]
        parts.append(f"double guarded_{n}(const double *x) {{ return {C.guarded('x[0] * 2.0', checks)}; }}")
    parts.append(f"double masked(const double *x) {{ return {C.masked('x[1] > 0.0', 'x[0] * 2.0')}; }}")
    parts += [declared_function(n) for n in DECLARED_SIZES]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def library():
    return build(source())


def function(library, name: str, restype=ctypes.c_double):
    loaded = getattr(library, name)
    loaded.argtypes = [DOUBLES]
    loaded.restype = restype
    return lambda values: loaded((ctypes.c_double * max(len(values), 1))(*values))


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def test_every_literal_is_the_double_it_prints(library):
    out = (ctypes.c_double * len(LITERALS))()
    library.literals.argtypes = [DOUBLES]
    library.literals(out)
    assert math.isnan(out[0])
    assert [bits(v) for v in out[1:]] == [bits(v) for v in LITERALS[1:]]


# terms where a left-to-right double sum is wrong: the correctly rounded sum needs every one
SUMS = [
    [1e16, 1.0, -1e16, 3.0, 0.25, -7.5, 2.0],
    [-0.0, -0.0, -0.0, -0.0, -0.0, -0.0, -0.0],
    [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
    [1e308, -1e308, 1e308, 5e-324, 1.0, 2.0, 3.0],
    [3.5, -1e100, 1e100, 1.5, -2.0, 8.0, -9.0],
]


@pytest.mark.parametrize("n", SUM_SIZES)
def test_a_printed_sum_is_the_correctly_rounded_sum_with_a_positive_zero(library, n):
    sum_n = function(library, f"sum_{n}")
    for values in SUMS:
        for start in range(len(values) - n + 1):
            taken = values[start : start + n]
            # exact, rounded once (a Fraction's float is correctly rounded; its zero is +0.0)
            expected = float(sum(map(Fraction, taken)))
            assert bits(sum_n(taken)) == bits(expected), taken


@pytest.mark.parametrize("n", FINITE_SIZES)
def test_the_finiteness_test_sees_every_variable(library, n):
    finite = function(library, f"finite_{n}", ctypes.c_int)
    values = [float(k) - 2.5 for k in range(n)]
    assert finite(values) == 1
    for k in range(n):
        for bad in (math.inf, -math.inf, math.nan):
            assert finite([*values[:k], bad, *values[k + 1 :]]) == 0, (k, bad)


def test_guarded_gives_nan_unless_every_check_holds(library):
    assert function(library, "guarded_0")([1.5]) == 3.0
    assert function(library, "guarded_1")([1.5, 1.0]) == 3.0
    assert math.isnan(function(library, "guarded_1")([1.5, -1.0]))
    guarded_2 = function(library, "guarded_2")
    assert guarded_2([1.5, 1.0, 1.0]) == 3.0
    for checks in ([-1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]):
        assert math.isnan(guarded_2([1.5, *checks])), checks


def test_masked_gives_the_contribution_or_zero(library):
    masked = function(library, "masked")
    assert masked([1.5, 1.0]) == 3.0
    assert bits(masked([1.5, -1.0])) == bits(0.0)
    assert bits(masked([-0.0, 1.0])) == bits(-0.0)


@pytest.mark.parametrize("n", DECLARED_SIZES)
def test_declared_variables_start_at_zero_and_each_is_declared_once(library, n):
    values = [2.0**k for k in range(n)]
    assert function(library, f"declared_{n}")(values) == sum(values)
