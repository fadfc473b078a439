"""micrograd's ``engine.Value`` on this engine: the same graph, node for node, as micrograd builds.

micrograd has two primitive binary ops, ``+`` and ``*``, plus ``**`` with a number and
``relu``; everything else is made of them:

========  ==========================  ========================
written   micrograd's graph           nodes added
========  ==========================  ========================
``-a``    ``a * -1``                  one ``*`` (and the -1)
``a - b``  ``a + (b * -1)``           a ``*`` and a ``+``
``a / b``  ``a * b**-1``              a ``**-1`` and a ``*``
``2 + a``  ``a + 2``                  micrograd puts ``self`` first
========  ==========================  ========================

Every result is a Value of this module, so a whole expression keeps the lecture's shape.
"""

from __future__ import annotations

from micrograd44.core import Value as EngineValue
from micrograd44.core import ops


class Value(EngineValue):
    """A scalar of this engine whose operators build micrograd's graphs.

    Args:
        data: a finite real number; stored as a Python float (micrograd keeps an int as an int).
        _children, _op: micrograd's signature for nodes built by hand, as ``micrograd44.Value``.
        label: a name for pictures, as in the lecture.

    Example:
        >>> a, b = Value(3.0), Value(2.0)
        >>> c = a - b
        >>> c._op, sorted(child._op for child in c._prev)  # a + (b * -1)
        ('+', ['', '*'])
    """

    __slots__ = ()

    # micrograd's primitives (+, * and **) and its unary ops are the engine's, set below

    def __neg__(self) -> Value:
        """-a, built as a * -1."""
        return self * -1

    def __radd__(self, other) -> Value:
        """n + a, built as a + n."""
        return self + other

    def __sub__(self, other) -> Value:
        """a - b, built as a + (-b)."""
        return self + (-other)

    def __rsub__(self, other) -> Value:
        """n - a, built as n + (-a)."""
        return other + (-self)

    def __rmul__(self, other) -> Value:
        """n * a, built as a * n."""
        return self * other

    def __truediv__(self, other) -> Value:
        """a / b, built as a * b**-1."""
        return self * other**-1

    def __rtruediv__(self, other) -> Value:
        """n / a, built as n * a**-1."""
        return other * self**-1

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"


def _lecture(result):
    """A result of the engine's operators as a Value of this module (NotImplemented passes through)."""
    if isinstance(result, EngineValue):
        result.__class__ = Value
    return result


def _primitive(name: str):
    """The engine's method ``name`` (an op), its result kept a Value of this module."""
    engine_method = getattr(EngineValue, name)

    def method(self: Value, *operands) -> Value:
        return _lecture(engine_method(self, *operands))

    method.__name__ = name
    method.__qualname__ = f"Value.{name}"
    method.__doc__ = engine_method.__doc__
    return method


# micrograd's primitive binary ops + and *, its ** with a number, relu (its one activation),
# the lecture's tanh and exp, and every other unary op of the table
for _name in ("__add__", "__mul__", "__pow__", *ops.UNARY):
    setattr(Value, _name, _primitive(_name))
