"""The scalar autograd engine: Value, its ops with their local derivatives, and backward().

Every op makes a new Value that records the op and its ordered children. The local
derivative d(out)/d(child) of each child is not stored: it is derived from the data the
node already holds, when backward() (or ``local_grads()``) asks for it. backward() walks
the graph in reverse topological order and applies the chain rule on every edge::

    child.grad += local * node.grad
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Iterable
from functools import lru_cache

from .errors import DivisionByZeroError, DomainError, OverflowValueError, describe


class Op:
    """An operation: its name and how to derive d(out)/d(child) for each child of a node."""

    __slots__ = ("name", "local_grads")

    def __init__(self, name: str, local_grads):
        self.name = name
        self.local_grads = local_grads

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


# The name scope of the modules now running (see set_scope); recorded on every new Value.
_active_scope: tuple | None = None


def set_scope(scope: tuple | None) -> tuple | None:
    """Record ``scope`` on every Value created from now on and return the scope it replaces.

    Modules call this around their forward pass so that pictures can group the nodes a
    neuron or a layer made; the engine itself never reads the scope. Restore the previous
    scope with a second call, as in ``previous = set_scope(s)`` ... ``set_scope(previous)``.
    The scope is process-wide: build graphs from one thread at a time.
    """
    global _active_scope
    previous = _active_scope
    _active_scope = scope
    return previous


# Every Value holds a finite float: -_LARGEST <= data <= _LARGEST is False for inf and nan.
_LARGEST = sys.float_info.max


def _as_float(data, label: str) -> float:
    """The finite float value of a real number; TypeError or ValueError saying what is wrong."""
    if type(data) is not float:
        if not isinstance(data, numbers.Real):
            raise TypeError(
                f"Value needs a real number (int, float or numpy scalar), got {type(data).__name__}: "
                f"{data!r:.60}"
            )
        try:
            data = float(data)
        except OverflowError:
            data = math.inf
    if not -_LARGEST <= data <= _LARGEST:
        name = f" for {label!r}" if label else ""
        raise ValueError(f"Value needs a finite number{name}, got {data!r}")
    return data


class Value:
    """A scalar in a computation graph, with the gradient that backward() sends into it.

    Args:
        data: a finite real number (int, float, numpy scalar); stored as a Python float.
        label: a name for pictures and error messages (parameters get their module path).

    Attributes:
        data: the value, a float.
        grad: d(root)/d(self) after ``root.backward()``; starts at 0.0.
        label: the name given at creation, or "".
        scope: the module scope that was active when the Value was made (see set_scope).

    Values hash and compare by identity, so they can be keys of dicts and sets.

    Example:
        >>> x = Value(0.5, label="x")
        >>> y = (1 + x.sin()).log()
        >>> y.backward()
        >>> round(x.grad, 6)  # cos(x) / (1 + sin(x))
        0.593191
    """

    __slots__ = ("data", "grad", "label", "scope", "_op", "_children")
    __array_ufunc__ = None  # numpy scalars defer to Value's reflected operators

    def __init__(self, data, label: str = ""):
        if type(label) is not str:
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        self.data = _as_float(data, label)
        self.grad = 0.0
        self.label = label
        self.scope = _active_scope
        self._op = None
        self._children = ()

    # ---- the recorded graph, read-only ----

    @property
    def op(self) -> str:
        """The name of the op that made this Value ("+", "tanh", "**2", ...), "" for a leaf."""
        return self._op.name if self._op is not None else ""

    @property
    def children(self) -> tuple[Value, ...]:
        """The op's inputs in order; a Value used twice (``a * a``) appears twice."""
        return self._children

    def local_grads(self) -> tuple[float, ...]:
        """d(self)/d(child) for each child, aligned with ``children``; () for a leaf."""
        return tuple(self._op.local_grads(self)) if self._op is not None else ()

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # ---- binary ops: + and * are primitives; -, /, negation and reflections build on them ----

    _ADD = Op("+", lambda out: (1.0, 1.0))

    def __add__(self, other) -> Value:
        """a + b; d/da = 1, d/db = 1."""
        other = _operand(other)
        if other is None:
            return NotImplemented
        return _result(self.data + other.data, Value._ADD, (self, other))

    _MUL = Op("*", lambda out: (out._children[1].data, out._children[0].data))

    def __mul__(self, other) -> Value:
        """a * b; d/da = b, d/db = a."""
        other = _operand(other)
        if other is None:
            return NotImplemented
        return _result(self.data * other.data, Value._MUL, (self, other))

    _POW = Op(
        "**",
        lambda out: (
            _power_slope(out._children[0].data, out._children[1].data),
            _exponent_slope(out._children[0].data, out.data),
        ),
    )

    def __pow__(self, exponent) -> Value:
        """a ** n for a number n: d/da = n a^(n-1); a ** b for a Value b: d/db = a^b ln a."""
        if isinstance(exponent, Value):
            data = _power(self, exponent.data, "**", (self, exponent))
            return _result(data, Value._POW, (self, exponent))
        if not isinstance(exponent, numbers.Real):
            return NotImplemented
        n = float(exponent)
        return _result(_power(self, n, "**", (self,)), _constant_power_op(n), (self,))

    def __neg__(self) -> Value:
        """-a, as a * -1."""
        return self * -1.0

    def __sub__(self, other) -> Value:
        """a - b, as a + (-b)."""
        other = _operand(other)
        return NotImplemented if other is None else self + (-other)

    def __truediv__(self, other) -> Value:
        """a / b, as a * b^-1; d/da = 1/b, d/db = -a/b^2."""
        other = _operand(other)
        if other is None:
            return NotImplemented
        if other.data == 0.0:
            raise DivisionByZeroError(
                f"/: division by zero: {describe(self)} divided by {describe(other)}",
                "/",
                (self, other),
            )
        return self * other**-1.0

    def __radd__(self, other) -> Value:
        """b + a for a number b."""
        other = _operand(other)
        return NotImplemented if other is None else other + self

    def __rmul__(self, other) -> Value:
        """b * a for a number b."""
        other = _operand(other)
        return NotImplemented if other is None else other * self

    def __rsub__(self, other) -> Value:
        """b - a for a number b."""
        other = _operand(other)
        return NotImplemented if other is None else other - self

    def __rtruediv__(self, other) -> Value:
        """b / a for a number b."""
        other = _operand(other)
        return NotImplemented if other is None else other / self

    def __rpow__(self, base) -> Value:
        """b ** a for a number b: d/da = b^a ln b."""
        base = _operand(base)
        return NotImplemented if base is None else base**self

    # ---- unary ops: the forward value, then d(out)/d(x) from the node's stored data ----

    _EXP = Op("exp", lambda out: (out.data,))

    def exp(self) -> Value:
        """exp(x); d/dx = exp(x)."""
        try:
            data = math.exp(self.data)
        except OverflowError:
            raise OverflowValueError(
                f"exp: exp({self.data!r}) overflows a float (exp overflows above 709.78); "
                f"input is {describe(self)}",
                "exp",
                (self,),
            ) from None
        return _result(data, Value._EXP, (self,))

    _LOG = Op("log", lambda out: (1.0 / out._children[0].data,))

    def log(self) -> Value:
        """Natural log; d/dx = 1/x, for x > 0."""
        if not self.data > 0.0:
            raise DomainError(
                f"log: needs an input > 0, got log({self.data!r}); input is {describe(self)}",
                "log",
                (self,),
            )
        return _result(math.log(self.data), Value._LOG, (self,))

    _SQRT = Op("sqrt", lambda out: (0.5 / out.data if out.data else math.inf,))

    def sqrt(self) -> Value:
        """Square root; d/dx = 1 / (2 sqrt(x)), +inf at 0 as in PyTorch."""
        if self.data < 0.0:
            raise DomainError(
                f"sqrt: needs an input >= 0, got sqrt({self.data!r}); input is {describe(self)}",
                "sqrt",
                (self,),
            )
        return _result(math.sqrt(self.data), Value._SQRT, (self,))

    _TANH = Op("tanh", lambda out: (1.0 - out.data * out.data,))

    def tanh(self) -> Value:
        """tanh(x); d/dx = 1 - tanh(x)^2."""
        return _result(math.tanh(self.data), Value._TANH, (self,))

    _SIGMOID = Op("sigmoid", lambda out: (out.data * (1.0 - out.data),))

    def sigmoid(self) -> Value:
        """1 / (1 + exp(-x)), without overflow for any finite x; d/dx = s (1 - s)."""
        x = self.data
        if x >= 0.0:
            data = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            data = e / (1.0 + e)
        return _result(data, Value._SIGMOID, (self,))

    _SOFTPLUS = Op("softplus", lambda out: (_sigmoid(out._children[0].data),))

    def softplus(self) -> Value:
        """log(1 + exp(x)), without overflow; d/dx = sigmoid(x)."""
        x = self.data
        data = max(x, 0.0) + math.log1p(math.exp(-abs(x)))
        return _result(data, Value._SOFTPLUS, (self,))

    _RELU = Op("relu", lambda out: (1.0 if out.data > 0.0 else 0.0,))

    def relu(self) -> Value:
        """max(0, x); d/dx = 1 for x > 0, else 0 (0 at the kink, as in PyTorch)."""
        return _result(self.data if self.data > 0.0 else 0.0, Value._RELU, (self,))

    _ABS = Op("abs", lambda out: (_sign(out._children[0].data),))

    def abs(self) -> Value:
        """|x|; d/dx = sign(x), 0 at the kink as in PyTorch."""
        return _result(abs(self.data), Value._ABS, (self,))

    _SIN = Op("sin", lambda out: (math.cos(out._children[0].data),))

    def sin(self) -> Value:
        """sin(x); d/dx = cos(x)."""
        return _result(math.sin(self.data), Value._SIN, (self,))

    _COS = Op("cos", lambda out: (-math.sin(out._children[0].data),))

    def cos(self) -> Value:
        """cos(x); d/dx = -sin(x)."""
        return _result(math.cos(self.data), Value._COS, (self,))

    # ---- the chain rule ----

    def backward(self) -> None:
        """Fill in d(self)/d(node) for every node of the graph below self.

        Seeds ``self.grad`` with 1.0 and visits the nodes in reverse topological order,
        adding ``local * node.grad`` into each child's grad (the chain rule).

        Gradients accumulate in leaves, as in PyTorch: calling backward() twice, or on
        two roots that share leaves, adds the gradients up, so zero the parameters'
        grads between training steps (``Module.zero_grad()`` or ``optimizer.zero_grad()``).
        Each leaf's gradient from this call is summed first and then added to its grad in
        one addition, so a second call gives leaf grads exactly twice those of one call.
        Interior nodes are recomputed by every call: after it, their grads belong to this
        root alone.

        Example:
            >>> a = Value(3.0, label="a")
            >>> b = a * a
            >>> b.backward()
            >>> a.grad
            6.0
        """
        leaves, interior = _sorted_graph(self)
        if not interior:
            self.grad += 1.0
            return
        previous = [leaf.grad for leaf in leaves]
        for node in leaves:
            node.grad = 0.0
        for node in interior:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(interior):
            upstream = node.grad
            for child, local in zip(node._children, node._op.local_grads(node)):
                child.grad += local * upstream
        for leaf, grad in zip(leaves, previous):
            leaf.grad = grad + leaf.grad


_new_value = Value.__new__

# name -> the Value method of every unary op (the formula tool's functions, the ops a
# compiled program can rebuild by name)
UNARY_OPS = {
    name: getattr(Value, name)
    for name in ("exp", "log", "sqrt", "tanh", "sigmoid", "softplus", "relu", "abs", "sin", "cos")
}


def _result(data: float, op: Op, children: tuple) -> Value:
    """A new interior node (bypasses the argument checks of Value()); its data must be finite."""
    if not -_LARGEST <= data <= _LARGEST:
        raise OverflowValueError(
            f"{op.name}: the result is {data!r}, not a finite number (an overflow, or an operand that is "
            f"not finite); operands: {', '.join(describe(c) for c in children[:4])}"
            + (f" and {len(children) - 4} more" if len(children) > 4 else ""),
            op.name,
            children,
        )
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.scope = _active_scope
    out._op = op
    out._children = children
    return out


def _operand(x) -> Value | None:
    """x as a Value (numbers become constant leaves), or None when x is not a real number."""
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real):
        return Value(x)
    return None


# ---- n-ary ops: a neuron's weighted sum and the sum of many terms as single nodes ----

_LINEAR = Op(
    "linear",
    lambda out: (
        *[c.data for c in out._children[len(out._children) // 2 : -1]],
        *[c.data for c in out._children[: len(out._children) // 2]],
        1.0,
    ),
)


def linear(weights: Iterable, inputs: Iterable, bias: Value | float) -> Value:
    """w . x + b as one node; d/dw_i = x_i, d/dx_i = w_i, d/db = 1.

    The node's children are ``(*weights, *inputs, bias)``; numbers among them become
    constant leaves. This is how a Neuron computes its pre-activation: one node instead
    of a chain of 2n, so the graph stays small and backward stays fast.
    """
    weights = [w if isinstance(w, Value) else _constant(w, "linear") for w in weights]
    inputs = [x if isinstance(x, Value) else _constant(x, "linear") for x in inputs]
    bias = bias if isinstance(bias, Value) else _constant(bias, "linear")
    if len(inputs) != len(weights):
        raise ValueError(f"linear: {len(weights)} weights but {len(inputs)} inputs")
    total = 0.0
    for w, x in zip(weights, inputs):
        total += w.data * x.data
    return _result(total + bias.data, _LINEAR, (*weights, *inputs, bias))


_SUM = Op("sum", lambda out: (1.0,) * len(out._children))


def sum_values(values: Iterable) -> Value:
    """x_1 + ... + x_n as one node, correctly rounded (math.fsum); d/dx_i = 1.

    Numbers among the values become constant leaves. Python's built-in ``sum`` works on
    Values too, but builds a chain of n - 1 additions.
    """
    terms = tuple(v if isinstance(v, Value) else _constant(v, "sum") for v in values)
    if not terms:
        raise ValueError("sum: needs at least one value, got none")
    try:
        total = math.fsum(v.data for v in terms)
    except OverflowError:
        total = math.inf
    return _result(total, _SUM, terms)


def _constant(x, op: str) -> Value:
    """A constant leaf for a number passed to an n-ary op; TypeError naming the op otherwise."""
    try:
        return Value(x)
    except TypeError as error:
        raise TypeError(f"{op}: {error}") from None


# ---- helpers for the derivatives above ----


def _sign(x: float) -> float:
    """sign(x) with sign(0) = 0, PyTorch's derivative of |x|."""
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


def _sigmoid(x: float) -> float:
    """The logistic function without overflow."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _power(base: Value, n: float, op: str, operands: tuple) -> float:
    """base.data ** n, with a clear error where the result is not a finite real number."""
    x = base.data
    if x == 0.0 and n < 0.0:
        raise DivisionByZeroError(
            f"{op}: 0 raised to the negative power {n!r} divides by zero; base is {describe(base)}",
            op,
            operands,
        )
    if x < 0.0 and not n.is_integer():
        raise DomainError(
            f"{op}: a negative base needs an integer exponent, got {x!r} ** {n!r}; base is {describe(base)}",
            op,
            operands,
        )
    try:
        return x**n
    except OverflowError:
        raise OverflowValueError(
            f"{op}: {x!r} ** {n!r} overflows a float; base is {describe(base)}", op, operands
        ) from None


def _power_slope(x: float, n: float) -> float:
    """d/dx x^n = n x^(n-1); 0 for n = 0 and +-inf where x^(n-1) is infinite, as in PyTorch."""
    if n == 0.0:
        return 0.0
    try:
        return n * x ** (n - 1.0)
    except (ZeroDivisionError, OverflowError):
        odd = x < 0.0 and (n - 1.0) % 2.0 == 1.0
        return math.copysign(math.inf, -n if odd else n)


def _exponent_slope(base: float, out: float) -> float:
    """d/db a^b = a^b ln a; 0 where a = 0 and nan where a < 0, as in PyTorch."""
    if base > 0.0:
        return out * math.log(base)
    return 0.0 if base == 0.0 else math.nan


@lru_cache(maxsize=1024)
def _constant_power_op(n: float) -> Op:
    """The op x ** n for a fixed number n, named like ``**2`` or ``**0.5``."""
    shown = int(n) if n.is_integer() else n
    return Op(f"**{shown}", lambda out: (_power_slope(out._children[0].data, n),))


def topological_order(root: Value, *, leaves: bool = True) -> list[Value]:
    """The nodes of root's graph, every node after all of its children, root last.

    Leaves (Values no op made) come first, then the nodes made by ops. Iterative (no
    recursion limit) and linear in the size of the graph; a node reached along several
    paths is listed once. With ``leaves=False`` only the nodes made by ops are listed
    (and root, even when it is a leaf).
    """
    leaf_nodes, interior = _sorted_graph(root)
    if not leaves:
        return interior or [root]
    return leaf_nodes + interior


def _sorted_graph(root: Value) -> tuple[list[Value], list[Value]]:
    """(the leaves below root, the other nodes with every node after its children)."""
    if not root._children:
        return [root], []
    leaves, interior = [], []
    visited = set()
    stack = [root]
    push, pop, mark, emit, add_leaf = stack.append, stack.pop, visited.add, interior.append, leaves.append
    while stack:
        node = pop()
        if node is _EMIT_NEXT:
            emit(pop())
            continue
        if node in visited:  # pushed again by a later parent and already listed through it
            continue
        mark(node)
        push(node)
        push(_EMIT_NEXT)
        for child in node._children:
            if child not in visited:
                if child._children:
                    push(child)
                else:
                    mark(child)
                    add_leaf(child)
    return leaves, interior


# On _sorted_graph's stack: the node below this marker has all its children listed.
_EMIT_NEXT = object()
