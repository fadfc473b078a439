"""Value: a number that remembers how it was computed, and backward(), the chain rule over it.

Every op (``+``, ``*``, ``tanh``, ...) makes a new Value that records the op and its
children, the Values it was computed from, in order. ``backward()`` visits the nodes from
the output back to the inputs and applies the chain rule on every edge::

    grad[child] += local * grad[node]

``local`` is d(node)/d(child), the op's local derivative. Each op's forward computation and
its local derivatives are written once, side by side, in the op table
(``micrograd44.core.ops``). The same walk, ``chain_rule``, runs on floats for backward()
and on Values for gradients that are graphs themselves (``backward(create_graph=True)``,
``micrograd44.grad``); the compilers write it out as code over numbered slots
(``micrograd44.codegen.lowering``).
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Callable, Iterable
from operator import attrgetter
from types import SimpleNamespace

from . import ops
from .errors import OpError, check_failed, describe, not_finite, overflow, short_number
from .graph import sorted_graph, topological_order
from .micrograd_names import MicrogradNames, micrograd_node, own_slopes
from .ops import FLOATS, MASKED, OpRule
from .pickling import PicklesFlat
from .scope import current_scope
from .slopes import local_floats


def chain_rule(order: list, seed, edges: Callable, start=MASKED) -> dict:
    """d(root)/d(node) for every node below the root: the engine's one reverse walk.

    Args:
        order: the nodes that ops made, each after its children, the root last.
        seed: d(root)/d(root): 1.0, or ``Value(1.0)`` for gradients that are graphs.
        edges: ``edges(node)`` gives the node's (child, local derivative) pairs, in the
            seed's kind of number.
        start: where each gradient starts before the first edge adds into it: 0.0 for
            floats (as PyTorch, a node reached only along masked edges then passes 0 * slope
            on); ``MASKED`` for nothing, so that the first contribution is taken as it is
            and a node nothing reached passes nothing on.

    Returns:
        node -> gradient, for every node an edge reached (even a masked one).
    """
    grad = {order[-1]: seed}
    for node in reversed(order):
        upstream = grad.get(node, start)
        if upstream is MASKED:  # nothing reached this node: every edge into it was masked
            continue
        for child, local in edges(node):
            grad[child] = grad.get(child, start) + local * upstream
    return grad


# Every Value holds a finite float: -_LARGEST <= data <= _LARGEST is False for inf and nan.
_LARGEST = sys.float_info.max

_data = attrgetter("data")  # a Value's number, as a C-level function for map()


class Value(MicrogradNames, PicklesFlat):
    """A scalar in a computation graph, with the gradient that backward() sends into it.

    Args:
        data: a finite real number (int, float, numpy scalar); stored as a Python float.
        _children: micrograd's signature: the Values this one was computed from, for code
            written for micrograd (``Value(a.data + b.data, (a, b), '+')``); see ``_op``.
        _op: micrograd's signature: the name of the op that made it from ``_children``
            (an op of this engine by its name or micrograd's, as "+", "*", "**2", "ReLU").
            A node made this way takes that op's local derivatives; an unknown name needs
            a ``_backward`` function set on the node, micrograd style.
        label: a name for pictures and error messages (parameters get their module path).

    Attributes:
        data: the value, a float.
        grad: d(root)/d(self) after ``root.backward()``; starts at 0.0.
        label: the name given at creation, or "".
        scope: the module scope that was active when the Value was made (see set_scope).

    Values hash and compare by identity, so they can be keys of dicts and sets. They take
    extra attributes (``p.m = 0.0``), as optimizers written for micrograd expect.

    Example:
        >>> x = Value(0.5, label="x")
        >>> y = (1 + x.sin()).log()
        >>> y.backward()
        >>> round(x.grad, 6)  # cos(x) / (1 + sin(x))
        0.593191
    """

    __slots__ = ("data", "grad", "label", "scope", "_rule", "_children", "__dict__")
    __array_ufunc__ = None  # numpy scalars defer to Value's reflected operators

    def __init__(self, data, _children: Iterable = (), _op: str = "", label: str = ""):
        if type(label) is not str:
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        self.data = _as_float(data, label)
        self.grad = 0.0
        self.label = label
        self.scope = current_scope()
        self._rule = None
        self._children = ()
        if _children or _op:
            self._children, self._rule = micrograd_node(Value, _children, _op)
            if self._rule is None:
                self._micrograd_op = _op

    # ---- the chain rule ----

    def backward(self, create_graph: bool = False) -> None:
        """Fill in d(self)/d(node) for every node of the graph below self.

        Seeds ``self.grad`` with 1.0 and visits the nodes in reverse topological order,
        adding ``local * node.grad`` into each child's grad (the chain rule). Slopes follow
        PyTorch float64 op by op: an infinite slope (sqrt at 0) passes inf on, 0 * inf is
        nan, except where PyTorch masks (relu for x <= 0, ``**`` with exponent 0): those
        edges pass nothing back (``ops.MASKED``).

        Gradients accumulate in leaves, as in PyTorch: calling backward() twice, or on
        two roots that share leaves, adds the gradients up, so zero the parameters'
        grads between training steps (``Module.zero_grad()`` or ``optimizer.zero_grad()``).
        Each leaf's gradient from this call is summed first and then added to its grad in
        one addition, so a second call gives leaf grads exactly twice those of one call.
        Interior nodes are recomputed by every call: after it, their grads belong to this
        root alone.

        Args:
            create_graph: also build the gradients as Values (graphs that can be
                differentiated again): after the call, every leaf's ``grad_value`` holds
                d(self)/d(leaf) as a Value, summed over calls like ``grad``. ``grad`` is
                filled in as without it. See ``micrograd44.grad`` for the functional form.

        Example:
            >>> a = Value(3.0, label="a")
            >>> b = a * a
            >>> b.backward()
            >>> a.grad
            6.0
        """
        leaves, interior = sorted_graph(self, with_leaves=create_graph)
        if not interior:  # a leaf: d(self)/d(self) = 1
            self.grad += 1.0
        else:
            for node, gradient in chain_rule(interior, 1.0, Value._edges, start=0.0).items():
                if node._children:  # an interior node: its gradient belongs to this root alone
                    node.grad = gradient
                else:  # a leaf: this call's gradient adds to what it holds
                    node.grad += gradient
        if create_graph:
            grads = gradient_graphs(interior) if interior else {self: Value(1.0)}
            for leaf in leaves:
                if grads.get(leaf, MASKED) is not MASKED:
                    previous = leaf.__dict__.get("grad_value")
                    leaf.grad_value = grads[leaf] if previous is None else previous + grads[leaf]

    def _edges(self) -> Iterable[tuple[Value, float]]:
        """(child, d(self)/d(child)) for each child, as floats (MASKED for a masked edge)."""
        rule, children = self._rule, self._children
        if rule is None:
            return own_slopes(self) if children else ()
        try:
            if len(children) == 1:  # measured: unary and binary ops spelled out save a list per node
                return zip(children, rule.local(FLOATS, self.data, children[0].data))
            if len(children) == 2:
                return zip(children, rule.local(FLOATS, self.data, children[0].data, children[1].data))
            return zip(children, rule.local(FLOATS, self.data, *[c.data for c in children]))
        except (ArithmeticError, ValueError):  # Python raised where IEEE 754 gives inf or nan
            return zip(children, local_floats(rule, self.data, [c.data for c in children]))

    # ---- the recorded graph, read-only ----

    @property
    def op(self) -> str:
        """The name of the op that made this Value ("+", "tanh", "**2", ...), "" for a leaf."""
        return self._micrograd_op if self._rule is None else self._rule.name

    @property
    def children(self) -> tuple[Value, ...]:
        """The op's inputs in order; a Value used twice (``a * a``) appears twice."""
        return self._children

    def local_grads(self) -> tuple[float, ...]:
        """d(self)/d(child) for each child, aligned with ``children``; () for a leaf.

        A slope that is infinite or undefined comes out as inf or nan (IEEE 754), as in
        PyTorch: sqrt at 0 has slope +inf. Nodes built micrograd-style with an op this
        engine does not know have no slopes: nan for each child.
        """
        if self._rule is None:
            return (math.nan,) * len(self._children)
        slopes = local_floats(self._rule, self.data, [c.data for c in self._children])
        return tuple(map(float, slopes))

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # ---- operators: + - * / ** are ops; negation and the reflected forms build on them ----

    def __add__(self, other) -> Value:
        """x + y; d/dx = 1, d/dy = 1."""
        other = _operand(other, "+", self)
        return NotImplemented if other is None else _apply2(ops.ADD, self, other)

    def __sub__(self, other) -> Value:
        """x - y; d/dx = 1, d/dy = -1."""
        other = _operand(other, "-", self)
        return NotImplemented if other is None else _apply2(ops.SUB, self, other)

    def __mul__(self, other) -> Value:
        """x * y; d/dx = y, d/dy = x."""
        other = _operand(other, "*", self)
        return NotImplemented if other is None else _apply2(ops.MUL, self, other)

    def __truediv__(self, other) -> Value:
        """x / y, the IEEE quotient; d/dx = 1/y, d/dy = -x/y^2."""
        other = _operand(other, "/", self)
        return NotImplemented if other is None else _apply2(ops.DIV, self, other)

    def __pow__(self, exponent) -> Value:
        """x ** n for a number n: d/dx = n x^(n-1); x ** y for a Value y: d/dy = x^y ln x."""
        if isinstance(exponent, Value):
            return _apply2(ops.POW, self, exponent)
        if not isinstance(exponent, numbers.Real):
            return NotImplemented
        try:
            n = float(exponent)
        except OverflowError:
            n = math.inf
        if not -_LARGEST <= n <= _LARGEST:
            raise ValueError(
                f"**: the exponent must be a finite number, got {short_number(exponent)}; "
                f"base is {describe(self)}"
            )
        return _apply1(ops.power(n), self)

    def __neg__(self) -> Value:
        """-x, as x * -1 (micrograd's way)."""
        return self * -1.0

    def __radd__(self, other) -> Value:
        """y + x for a number y."""
        other = _operand(other, "+", self)
        return NotImplemented if other is None else other + self

    def __rsub__(self, other) -> Value:
        """y - x for a number y."""
        other = _operand(other, "-", self)
        return NotImplemented if other is None else other - self

    def __rmul__(self, other) -> Value:
        """y * x for a number y."""
        other = _operand(other, "*", self)
        return NotImplemented if other is None else other * self

    def __rtruediv__(self, other) -> Value:
        """y / x for a number y."""
        other = _operand(other, "/", self)
        return NotImplemented if other is None else other / self

    def __rpow__(self, base) -> Value:
        """y ** x for a number y: d/dx = y^x ln y."""
        base = _operand(base, "**", self)
        return NotImplemented if base is None else base**self


def _unary_method(rule: OpRule):
    """The Value method that applies a unary op, documented with the op's line of math."""

    def method(self: Value) -> Value:
        return _apply1(rule, self)

    method.__name__ = rule.method
    method.__qualname__ = f"Value.{rule.method}"  # where pickle finds it
    method.__doc__ = f"{rule.doc}."
    return method


# Every unary op of the table is a Value method of its name: x.tanh(), x.log(), ...
for _rule in ops.UNARY.values():
    setattr(Value, _rule.method, _unary_method(_rule))


# ---- applying an op: its checks, its forward computation on floats, a new node ----


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
            name = f" for {label!r}" if label else ""
            raise ValueError(
                f"Value needs a finite number{name}, got an integer too large for a float: "
                f"{short_number(data)}"
            ) from None
    if not -_LARGEST <= data <= _LARGEST:
        name = f" for {label!r}" if label else ""
        raise ValueError(f"Value needs a finite number{name}, got {data!r}")
    return data


def _result(data: float, rule: OpRule, children: tuple) -> Value:
    """A new interior node (without the argument checks of Value()); its data must be finite."""
    if not -_LARGEST <= data <= _LARGEST:
        raise not_finite(rule, data, children)
    out = Value.__new__(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.scope = current_scope()
    out._rule = rule
    out._children = children
    return out


def _apply1(rule: OpRule, x: Value) -> Value:
    """The unary op ``rule`` applied to x: its checks, then its forward computation on floats."""
    data = x.data
    for check in rule.checks:
        if not check.ok(FLOATS, data):
            raise check.error(check_failed(rule, check.says, (x,)), rule.name, (x,))
    try:
        return _result(rule.forward(FLOATS, data), rule, (x,))
    except OverflowError as error:
        if isinstance(error, OpError):
            raise
        raise overflow(rule, (x,)) from None


def _apply2(rule: OpRule, x: Value, y: Value) -> Value:
    """The binary op ``rule`` applied to x and y: its checks, then its forward computation on floats."""
    a, b = x.data, y.data
    for check in rule.checks:
        if not check.ok(FLOATS, a, b):
            raise check.error(check_failed(rule, check.says, (x, y)), rule.name, (x, y))
    try:
        return _result(rule.forward(FLOATS, a, b), rule, (x, y))
    except OverflowError as error:
        if isinstance(error, OpError):
            raise
        raise overflow(rule, (x, y)) from None


def apply_op(rule: OpRule, children) -> Value:
    """Any op of the table applied to Values (used where ops are replayed by name)."""
    children = tuple(children)
    if rule.arity == 1:
        return _apply1(rule, *children)
    if rule.arity == 2:
        return _apply2(rule, *children)
    if rule is ops.LINEAR:
        n = len(children) // 2
        return linear(children[:n], children[n:-1], children[-1])
    return sum_values(children)


def _operand(x, op: str, partner: Value) -> Value | None:
    """x as a Value (numbers become constant leaves), or None when x is not a real number."""
    if isinstance(x, Value):
        return x
    # the type test first: the numbers.Real test is slower, and most operands are floats or ints
    if type(x) not in (float, int) and not isinstance(x, numbers.Real):
        return None
    try:
        return Value(x)
    except ValueError as error:
        raise ValueError(f"{op}: {error} (the other operand is {describe(partner)})") from None


# ---- n-ary ops: a neuron's weighted sum and the sum of many terms as single nodes ----


def linear(weights: Iterable, inputs: Iterable, bias: Value | float) -> Value:
    """w . x + b as one node; d/dw_i = x_i, d/dx_i = w_i, d/db = 1.

    The node's children are ``(*weights, *inputs, bias)``; numbers among them become
    constant leaves. This is how a Neuron computes its pre-activation: one node instead
    of a chain of 2n, so the graph stays small and backward stays fast.
    """
    weights, inputs = tuple(weights), tuple(inputs)
    children = _as_values((*weights, *inputs, bias), "linear")
    n = len(weights)
    if len(inputs) != n:
        raise ValueError(f"linear: {n} weights but {len(inputs)} inputs")
    data = ops.weighted_sum(map(_data, children[:n]), map(_data, children[n:-1]), children[-1].data)
    return _result(data, ops.LINEAR, children)


def sum_values(values: Iterable) -> Value:
    """x_1 + ... + x_n as one node, correctly rounded (math.fsum); d/dx_i = 1.

    Numbers among the values become constant leaves. Python's built-in ``sum`` works on
    Values too, but builds a chain of n - 1 additions.
    """
    terms = _as_values(tuple(values), "sum")
    if not terms:
        raise ValueError("sum: needs at least one value, got none")
    return _result(ops.SUM.forward(FLOATS, *map(_data, terms)), ops.SUM, terms)


def _as_values(items: tuple, op: str) -> tuple:
    """The inputs of an n-ary op, numbers among them made constant leaves; errors name the op."""
    for item in items:
        if type(item) is not Value:  # a number, or a subclass's Value: the general path
            try:
                return tuple(x if isinstance(x, Value) else Value(x) for x in items)
            except (TypeError, ValueError) as error:
                raise type(error)(f"{op}: {error}") from None
    return items


# ---- gradients as graphs: backward(create_graph=True), and micrograd44.grad's ----


def _number(x) -> float:
    """The number behind a Value or a float."""
    return x.data if isinstance(x, Value) else x


def _value_function(name: str) -> Callable:
    """The vocabulary entry that applies the Value method ``name``."""
    method = getattr(Value, name)
    return lambda x: method(x if isinstance(x, Value) else Value(x))


# The op table's vocabulary on Values: a rule evaluated with it builds a graph. Conditions
# (where, comparisons, sign, floor) read the data: their derivative is 0 almost everywhere.
VALUES = SimpleNamespace(
    **{name: _value_function(name) for name in ops.VOCABULARY if name in ops.UNARY},
    sign=lambda x: ops.sign(_number(x)),
    floor=lambda x: math.floor(_number(x)),
    fsum=sum_values,
    reciprocal=ops.Reciprocal,
    where=lambda condition, if_true, if_false: if_true if condition else if_false,
    gt=lambda a, b: _number(a) > _number(b),
    ge=lambda a, b: _number(a) >= _number(b),
    eq=lambda a, b: _number(a) == _number(b),
    ne=lambda a, b: _number(a) != _number(b),
    and_=lambda a, b: a and b,
    or_=lambda a, b: a or b,
)


class _One:
    """A local derivative of exactly 1 on Values: ``ONE * upstream`` is upstream, with no new node."""

    __slots__ = ()

    def __mul__(self, upstream):
        return upstream


_ONE = _One()


def _value_edges(node: Value) -> list[tuple[Value, object]]:
    """(child, d(node)/d(child)) for each child, as Values built from the op's rule."""
    if node._rule is None:
        raise ValueError(
            f"{node!r} was made with op {node.op!r}, which is not in the op table: its derivative "
            "cannot be built as a graph"
        )
    slopes = node._rule.local(VALUES, node, *node._children)
    return [
        (child, _ONE if type(local) is float and local == 1.0 else local)
        for child, local in zip(node._children, slopes)
    ]


def gradient_graphs(interior: list[Value]) -> dict[Value, Value]:
    """d(root)/d(node) as a Value for every node reached (root last in ``interior``), on Values."""
    return chain_rule(interior, Value(1.0), _value_edges)


__all__ = [
    "Value",
    "apply_op",
    "chain_rule",
    "gradient_graphs",
    "linear",
    "sum_values",
    "topological_order",
    "VALUES",
]
