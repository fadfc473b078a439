"""How each op replays: its forward expression beside d(out)/d(child) for each child, as source text.

A rule takes the names of the node and of its children and returns the forward
expression (or several, assigned to the node in turn) and one local-derivative expression
per child, aligned with the children as in the engine. The scalar rules compute on Python
floats with exactly the engine's arithmetic (same functions, same order of operations),
so a replay gives the engine's numbers. The array rules compute the same on numpy arrays,
one element per sample; numpy's exp, log, tanh, ... may differ from the math module's in
the last bit.

The generated code sees the names bound in SCALAR_NAMESPACE or ARRAY_NAMESPACE.
"""

from __future__ import annotations

import math

import numpy as np

from ..engine import _exponent_slope, _power_slope, _sigmoid
from .tape import constant_exponent, is_constant_power

# A local derivative of exactly 1: the upstream gradient passes through unchanged.
ONE = "1.0"

# Terms per statement of a long sum: CPython's compiler recurses once per "+" of a line.
TERMS_PER_LINE = 100


class EagerWouldRaise(ArithmeticError):
    """Raised by generated code where the engine raises (the engine then replays the step to say why)."""


def _checked_pow(x: float, n: float) -> float:
    """x ** n where the engine's ** succeeds; EagerWouldRaise where the engine raises."""
    if (x == 0.0 and n < 0.0) or (x < 0.0 and not n.is_integer()):
        raise EagerWouldRaise
    return x**n


def _engine_would_raise() -> float:
    """Raise EagerWouldRaise; usable in expressions: ``log(x) if x > 0.0 else engine_would_raise()``."""
    raise EagerWouldRaise


# ---- scalar rules: rule(out, *children) -> (forward, locals) ----

SCALAR_RULES = {
    # x + y; d/dx = d/dy = 1
    "+": lambda out, x, y: (f"{x} + {y}", [ONE, ONE]),
    # x * y; d/dx = y, d/dy = x
    "*": lambda out, x, y: (f"{x} * {y}", [y, x]),
    # x ** y for a Value y; d/dx = y x^(y-1), d/dy = x^y ln x
    "**": lambda out, x, y: (
        f"checked_pow({x}, {y})",
        [f"power_slope({x}, {y})", f"exponent_slope({x}, {out})"],
    ),
    # exp(x); d/dx = exp(x)
    "exp": lambda out, x: (f"exp({x})", [out]),
    # log(x) for x > 0; d/dx = 1/x
    "log": lambda out, x: (f"log({x}) if {x} > 0.0 else engine_would_raise()", [f"1.0 / {x}"]),
    # sqrt(x); d/dx = 1 / (2 sqrt(x)), +inf at 0
    "sqrt": lambda out, x: (f"sqrt({x})", [f"0.5 / {out} if {out} else inf"]),
    # tanh(x); d/dx = 1 - tanh(x)^2
    "tanh": lambda out, x: (f"tanh({x})", [f"1.0 - {out} * {out}"]),
    # sigmoid(x), without overflow; d/dx = s (1 - s)
    "sigmoid": lambda out, x: (f"sigmoid({x})", [f"{out} * (1.0 - {out})"]),
    # log(1 + exp(x)), without overflow; d/dx = sigmoid(x)
    "softplus": lambda out, x: (f"max({x}, 0.0) + log1p(exp(-abs({x})))", [f"sigmoid({x})"]),
    # max(0, x); d/dx = 1 for x > 0, else 0
    "relu": lambda out, x: (f"{x} if {x} > 0.0 else 0.0", [f"1.0 if {out} > 0.0 else 0.0"]),
    # |x|; d/dx = sign(x), 0 at 0
    "abs": lambda out, x: (f"abs({x})", [f"1.0 if {x} > 0.0 else -1.0 if {x} < 0.0 else 0.0"]),
    # sin(x); d/dx = cos(x)
    "sin": lambda out, x: (f"sin({x})", [f"cos({x})"]),
    # cos(x); d/dx = -sin(x)
    "cos": lambda out, x: (f"cos({x})", [f"-sin({x})"]),
    # x_1 + ... + x_n correctly rounded; d/dx_i = 1
    "sum": lambda out, *xs: (f"fsum(({', '.join(xs)},))" if len(xs) > 1 else xs[0], [ONE] * len(xs)),
    # w . x + b, summed left to right as the engine does; d/dw_i = x_i, d/dx_i = w_i, d/db = 1
    "linear": lambda out, *args: _linear(out, args),
}


def _linear(out: str, args: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The linear rule for children (*weights, *inputs, bias); a long sum continues on more lines."""
    n = len(args) // 2
    weights, inputs, bias = args[:n], args[n:-1], args[-1]
    terms = [*(f"{w} * {x}" for w, x in zip(weights, inputs)), bias]
    lines = [" + ".join(terms[:TERMS_PER_LINE])]
    lines += [
        " + ".join([out, *terms[i : i + TERMS_PER_LINE]])
        for i in range(TERMS_PER_LINE, len(terms), TERMS_PER_LINE)
    ]
    return lines, [*inputs, *weights, ONE]


def _scalar_power(n: float, x: str) -> tuple[str, list[str]]:
    """x ** n for a fixed n; d/dx = n x^(n-1), with the engine's edge cases."""
    forward = f"{x} ** {n!r}" if n.is_integer() else f"checked_pow({x}, {n!r})"
    if n == 0.0:
        return forward, ["0.0"]
    if n >= 1.0:  # x^(n-1) cannot fail once x^n succeeded
        return forward, [f"{n!r} * {x} ** {n - 1.0!r}"]
    return forward, [f"power_slope({x}, {n!r})"]


# ---- array rules: where numpy arrays need other text than Python floats ----


def _sign(x):
    """sign(x) with sign(0) = 0, as the engine's derivative of |x| (nan counts as 0)."""
    return np.where(x > 0.0, 1.0, np.where(x < 0.0, -1.0, 0.0))


def _array_power_slope(x, n):
    """d/dx x^n = n x^(n-1) elementwise; 0 where n = 0."""
    return np.where(n == 0.0, 0.0, n * np.power(x, n - 1.0))


def _array_exponent_slope(x, out):
    """d/dn x^n = x^n ln x elementwise; 0 where x = 0, nan where x < 0."""
    return np.where(x > 0.0, out * np.log(np.where(x > 0.0, x, 1.0)), np.where(x == 0.0, 0.0, np.nan))


def _array_sigmoid(x):
    """1 / (1 + exp(-x)) elementwise, the engine's two branches, without overflow."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _compensated_sum(terms):
    """x_1 + ... + x_n elementwise with Neumaier's compensation (close to correctly rounded)."""
    total, compensation = terms[0], 0.0
    for term in terms[1:]:
        s = total + term
        compensation = compensation + np.where(
            np.abs(total) >= np.abs(term), (total - s) + term, (term - s) + total
        )
        total = s
    return total + compensation


ARRAY_RULES = {
    **SCALAR_RULES,
    "**": lambda out, x, y: (
        f"power({x}, {y})",
        [f"power_slope({x}, {y})", f"exponent_slope({x}, {out})"],
    ),
    "log": lambda out, x: (f"log({x})", [f"1.0 / {x}"]),
    "sqrt": lambda out, x: (f"sqrt({x})", [f"0.5 / {out}"]),
    "softplus": lambda out, x: (f"maximum({x}, 0.0) + log1p(exp(-abs({x})))", [f"sigmoid({x})"]),
    "relu": lambda out, x: (f"where({x} > 0.0, {x}, 0.0)", [f"{out} > 0.0"]),
    "abs": lambda out, x: (f"abs({x})", [f"sign({x})"]),
    "sum": lambda out, *xs: (_array_sum_expression(xs), [ONE] * len(xs)),
}


def _array_sum_expression(terms: tuple[str, ...]) -> str:
    """One term as is, two added (correctly rounded), more through the compensated sum."""
    if len(terms) <= 2:
        return " + ".join(terms)
    return f"compensated_sum(({', '.join(terms)},))"


def _array_constant_power(n: float, x: str) -> tuple[str, list[str]]:
    """x ** n for a fixed n, elementwise; d/dx = n x^(n-1)."""
    forward = f"power({x}, {n!r})"
    if n == 0.0:
        return forward, ["0.0"]
    return forward, [f"{n!r} * power({x}, {n - 1.0!r})"]


def scalar_rule(kind: str, out: str, children: list[str]) -> tuple[str, list[str]]:
    """The forward expression and local derivatives of a node, on Python floats."""
    if is_constant_power(kind):
        return _scalar_power(constant_exponent(kind), *children)
    return SCALAR_RULES[kind](out, *children)


def array_rule(kind: str, out: str, children: list[str]) -> tuple[str, list[str]]:
    """The forward expression and local derivatives of a node, on numpy arrays."""
    if is_constant_power(kind):
        return _array_constant_power(constant_exponent(kind), *children)
    return ARRAY_RULES[kind](out, *children)


_COMMON = {"inf": math.inf, "nan": math.nan}

SCALAR_NAMESPACE = {
    **_COMMON,
    "exp": math.exp,
    "log": math.log,
    "log1p": math.log1p,
    "sqrt": math.sqrt,
    "tanh": math.tanh,
    "sin": math.sin,
    "cos": math.cos,
    "fsum": math.fsum,
    "isfinite": math.isfinite,
    "sigmoid": _sigmoid,
    "power_slope": _power_slope,
    "exponent_slope": _exponent_slope,
    "checked_pow": _checked_pow,
    "engine_would_raise": _engine_would_raise,
}

ARRAY_NAMESPACE = {
    **_COMMON,
    "exp": np.exp,
    "log": np.log,
    "log1p": np.log1p,
    "sqrt": np.sqrt,
    "tanh": np.tanh,
    "sin": np.sin,
    "cos": np.cos,
    "abs": np.abs,
    "maximum": np.maximum,
    "where": np.where,
    "sign": _sign,
    "compensated_sum": _compensated_sum,
    "sigmoid": _array_sigmoid,
    "power": np.power,
    "matmul": np.matmul,
    "array": np.array,
    "stack": np.stack,
    "power_slope": _array_power_slope,
    "exponent_slope": _array_exponent_slope,
}
