"""Local derivatives on floats: the op's rule on plain floats, or on IEEE floats where Python raises.

backward() evaluates each op's rule with the float vocabulary (``ops.FLOATS``). Where
Python raises for a slope that IEEE 754 defines (1 / 0 for log's slope at a tiny x that
underflowed, sqrt's slope at 0), the rule is evaluated once more on IEEE floats, so that
the slope comes out as inf or nan, as in PyTorch.
"""

from __future__ import annotations

import math
import operator
from types import SimpleNamespace

from .ieee import IEEEFloat, total
from .ops import FLOATS, MASKED, UNARY, VOCABULARY, Reciprocal, exact_sum, sign

# The functions of the vocabulary that raise for some float, as total functions on floats
# (the log of 0 is -inf: each pole is named).
IEEE_FUNCTIONS = {
    "exp": total(math.exp),
    "log": total(math.log, pole=0.0),
    "log1p": total(math.log1p, pole=-1.0),
    "sqrt": total(math.sqrt),
    "tan": total(math.tan),
}


def _on_ieee_floats(function):
    """function with its result as an IEEEFloat, so that arithmetic on it stays IEEE."""
    return lambda *args: IEEEFloat(function(*args))


IEEE_FLOATS = SimpleNamespace(
    # the functions of one number (exp, log, ..., abs): total, and returning IEEE floats
    **{
        name: _on_ieee_floats(IEEE_FUNCTIONS.get(name, getattr(FLOATS, name)))
        for name in VOCABULARY
        if name in UNARY
    },
    sign=_on_ieee_floats(sign),
    floor=math.floor,
    fsum=_on_ieee_floats(exact_sum),
    reciprocal=lambda d: Reciprocal(float(d)),
    where=FLOATS.where,
    gt=operator.gt,
    ge=operator.ge,
    eq=operator.eq,
    ne=operator.ne,
    and_=FLOATS.and_,
    or_=FLOATS.or_,
)


def local_floats(rule, out: float, xs) -> tuple:
    """rule's local derivatives on floats; inf or nan where one is infinite or undefined."""
    try:
        return rule.local(FLOATS, out, *xs)
    except (ArithmeticError, ValueError):
        slopes = rule.local(IEEE_FLOATS, IEEEFloat(out), *map(IEEEFloat, xs))
        return tuple(
            slope if slope is MASKED or type(slope) is Reciprocal else float(slope) for slope in slopes
        )
