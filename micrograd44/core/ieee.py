"""IEEE 754 results where Python raises: 1.0 / 0.0 is inf, math.log(0.0) is -inf, exp(1000.0) is inf.

Python raises on these; IEEE 754 (and PyTorch, numpy, C) gives inf or nan. The engine's
forward pass refuses such results with a clear error, but a local derivative may be
infinite or undefined where the value itself is fine (sqrt at 0 has slope +inf), and
backward() passes that on as PyTorch does. The helpers here compute those slopes.
"""

from __future__ import annotations

import math
from collections.abc import Callable


def ieee_divide(a: float, b: float) -> float:
    """a / b, with +-inf for a non-zero a over zero and nan for 0 / 0."""
    try:
        return float(a) / float(b)
    except ZeroDivisionError:
        a, b = float(a), float(b)
        if a == 0.0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def ieee_power(a: float, b: float) -> float:
    """a ** b, with C's pow results where Python raises: inf for 0 ** negative and on overflow."""
    a, b = float(a), float(b)
    odd = b.is_integer() and b % 2.0 == 1.0
    try:
        result = a**b
    except ZeroDivisionError:  # 0 ** negative: +inf, or -inf for -0.0 to an odd negative integer
        return math.copysign(math.inf, a) if odd else math.inf
    except OverflowError:
        return -math.inf if a < 0.0 and odd else math.inf
    return math.nan if isinstance(result, complex) else result


def total(function: Callable, pole: float | None = None) -> Callable:
    """function on floats made total: inf where it overflows, -inf at its pole, nan outside its domain."""

    def ieee(x):
        try:
            return function(x)
        except OverflowError:
            return math.inf
        except ValueError:
            return -math.inf if float(x) == pole else math.nan

    ieee.__name__ = f"ieee_{function.__name__}"
    return ieee


class IEEEFloat(float):
    """A float whose arithmetic gives IEEE 754's inf and nan where Python's raises."""

    __slots__ = ()

    def __add__(self, other):
        return IEEEFloat(float(self) + float(other))

    __radd__ = __add__

    def __sub__(self, other):
        return IEEEFloat(float(self) - float(other))

    def __rsub__(self, other):
        return IEEEFloat(float(other) - float(self))

    def __mul__(self, other):
        return IEEEFloat(float(self) * float(other))

    __rmul__ = __mul__

    def __truediv__(self, other):
        return IEEEFloat(ieee_divide(self, other))

    def __rtruediv__(self, other):
        return IEEEFloat(ieee_divide(other, self))

    def __pow__(self, other):
        return IEEEFloat(ieee_power(self, other))

    def __rpow__(self, other):
        return IEEEFloat(ieee_power(other, self))

    def __neg__(self):
        return IEEEFloat(-float(self))
