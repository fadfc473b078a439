"""Python on numpy arrays: the printer, and the functions the generated code calls.

Each scalar node of a graph becomes a vector over the samples: the same operations as
the engine, elementwise, with ``where`` for its conditionals; the checks are not tested
(where the engine raises, an element is nan or infinite). numpy's exp, log, tanh, ... may
differ from the math module's in the last bit. Generated code sees ``ARRAY_NAMESPACE``.
"""

from __future__ import annotations

import math

import numpy as np

from ..core import ops
from .expr import Printer
from .python import python_literal


class NumpyPrinter(Printer):
    """Python on numpy arrays: elementwise functions, ``where`` for conditionals; checks are not tested."""

    functions = {"abs": "absolute"}
    logical_functions = {"and": "logical_and", "or": "logical_or"}

    def constant(self, value: float) -> str:
        return python_literal(value)

    def fsum(self, terms: list[str]) -> str:
        if len(terms) <= 2:  # one term as it is; two added, correctly rounded
            return " + ".join(terms)
        return f"compensated_sum(({', '.join(terms)},))"

    def where(self, condition: str, if_true: str, if_false: str) -> str:
        return f"where({condition}, {if_true}, {if_false})"

    def negate(self, condition: str) -> str:
        return f"logical_not({condition})"

    def masked(self, condition: str, contribution: str) -> str:
        """contribution where condition holds, else 0.0."""
        return f"where({condition}, {contribution}, 0.0)"


NUMPY = NumpyPrinter()


def _sign(x):
    """sign(x) with sign(0) = 0, as the engine's derivative of |x| (nan stays nan)."""
    return np.sign(x)


def _array_sigmoid(x):
    """1 / (1 + exp(-x)) elementwise, the engine's two branches, without overflow."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _array_softplus(x):
    """max(x, 0) + log1p(exp(-|x|)) elementwise, as the engine computes it."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _array_erf(x):
    """erf elementwise, through the math module (numpy has no erf)."""
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _compensated_sum(terms):
    """x_1 + ... + x_n elementwise with Neumaier's compensation (close to correctly rounded).

    Where a partial sum overflows although every term is finite, that element is summed
    exactly instead (``ops.exact_sum``), as the engine sums.
    """
    total, compensation = terms[0], 0.0
    for term in terms[1:]:
        s = total + term
        compensation = compensation + np.where(
            np.abs(total) >= np.abs(term), (total - s) + term, (term - s) + total
        )
        total = s
    result = np.asarray(total + compensation, dtype=np.float64)
    columns = np.broadcast_arrays(result, *terms)[1:]
    overflowed = ~np.isfinite(result) & np.all([np.isfinite(c) for c in columns], axis=0)
    if overflowed.any():
        result = result.copy()
        result[overflowed] = [ops.exact_sum(row) for row in zip(*(c[overflowed].tolist() for c in columns))]
    return result


ARRAY_NAMESPACE = {
    "inf": math.inf,
    "nan": math.nan,
    "exp": np.exp,
    "log": np.log,
    "log1p": np.log1p,
    "sqrt": np.sqrt,
    "tanh": np.tanh,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "atan": np.arctan,
    "erf": _array_erf,
    "sigmoid": _array_sigmoid,
    "softplus": _array_softplus,
    "absolute": np.abs,
    "sign": _sign,
    "floor": np.floor,
    "compensated_sum": _compensated_sum,
    "where": np.where,
    "logical_and": np.logical_and,
    "logical_or": np.logical_or,
    "logical_not": np.logical_not,
    "matmul": np.matmul,
    "array": np.array,
    "stack": np.stack,
}
