"""The scalar autograd engine: Value, the ops applied to it, and backward().

Every op makes a new Value that records the op's rule and its ordered children. The ops
themselves, each a forward computation beside its local derivatives, are defined once in
``micrograd44.ops``; this module applies them. The local derivative d(out)/d(child) of
each child is not stored: it is derived from the data the node already holds, when
backward() (or ``local_grads()``) asks for it. backward() walks the graph in reverse
topological order and applies the chain rule on every edge::

    child.grad += local * node.grad
"""

from __future__ import annotations

import contextvars
import functools
import math
import numbers
import sys
from collections.abc import Callable, Iterable
from types import SimpleNamespace

from ..expr import EXPRESSIONS, PYTHON, name
from ..statements import define
from . import ops
from .errors import OpError, OverflowValueError, describe
from .ops import FLOATS, MASKED, OpRule, Reciprocal, chain, local_floats

# The name scope of the modules now running (see set_scope); recorded on every new Value.
# A context variable: each thread (and each asyncio task) has its own.
_scope = contextvars.ContextVar("micrograd44_scope", default=None)
_current_scope = _scope.get


# Module calls enter a scope and leave it again: ``token = enter_scope(s)`` ...
# ``leave_scope(token)``; the context variable's own methods, so each is one C call.
enter_scope = _scope.set
leave_scope = _scope.reset


def set_scope(scope: tuple | None) -> tuple | None:
    """Record ``scope`` on every Value created from now on and return the scope it replaces.

    Scopes let pictures group the nodes a neuron or a layer made; the engine itself never
    reads them. Modules enter theirs around their forward pass (with ``enter_scope`` and
    ``leave_scope``). Restore the previous scope with a second call, as in
    ``previous = set_scope(s)`` ... ``set_scope(previous)``.
    The scope belongs to the current thread (a context variable): graphs built in other
    threads at the same time do not see it.
    """
    previous = _scope.get()
    _scope.set(scope)
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
            name = f" for {label!r}" if label else ""
            raise ValueError(
                f"Value needs a finite number{name}, got an integer too large for a float: {_short(data)}"
            ) from None
    if not -_LARGEST <= data <= _LARGEST:
        name = f" for {label!r}" if label else ""
        raise ValueError(f"Value needs a finite number{name}, got {data!r}")
    return data


def _short(number) -> str:
    """A number for a message, at most about 40 characters (a 400-digit int is cut in the middle)."""
    text = repr(number)
    return text if len(text) <= 40 else f"{text[:18]}...{text[-18:]} ({len(text)} digits)"


class Value:
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
    _micrograd_op = ""  # the op name of a node made micrograd-style with an op this engine lacks

    def __init__(self, data, _children: Iterable = (), _op: str = "", label: str = ""):
        if type(label) is not str:
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        self.data = _as_float(data, label)
        self.grad = 0.0
        self.label = label
        self.scope = _current_scope()
        self._rule = None
        self._children = ()
        if _children or _op:
            self._children, self._rule = _micrograd_node(_children, _op)
            if self._rule is None:
                self._micrograd_op = _op

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

    # ---- micrograd's names for the same things (code written for micrograd runs unchanged) ----

    @property
    def _prev(self) -> set[Value]:
        """micrograd's name: the set of this node's children (``children`` keeps their order)."""
        return set(self._children)

    @property
    def _op(self) -> str:
        """micrograd's name: the op as micrograd names it ("+", "*", "**2", "ReLU"), "" for a leaf."""
        return self._micrograd_op if self._rule is None else (self._rule.micrograd or self._rule.name)

    def _backward(self) -> None:
        """micrograd's one chain-rule step: add ``local * self.grad`` into each child's grad.

        Called on every node in reverse topological order, after ``root.grad = 1.0``, it
        gives exactly what ``root.backward()`` gives.
        """
        _chain_rule_step(self)

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
                f"**: the exponent must be a finite number, got {_short(exponent)}; base is {describe(self)}"
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

    # ---- pickling and copying, for graphs of any depth ----

    def __reduce_ex__(self, protocol):
        """Pickle (and copy.deepcopy) a graph without recursion, however deep it is."""
        return (_rebuild_graph, (_flatten_graph(self),))

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
        leaves, interior = _sorted_graph(self)
        if create_graph:
            _accumulate_grad_values(self, leaves, interior)
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
            rule = node._rule
            if rule is None:
                _chain_rule_step(node)
                continue
            upstream = node.grad
            children = node._children
            try:  # the rule's slopes on floats; unary and binary ops spelled out, for speed
                if len(children) == 1:
                    slopes = rule.local(FLOATS, node.data, children[0].data)
                elif len(children) == 2:
                    slopes = rule.local(FLOATS, node.data, children[0].data, children[1].data)
                else:
                    slopes = rule.local(FLOATS, node.data, *[c.data for c in children])
            except (ArithmeticError, ValueError):  # Python raised where IEEE 754 gives inf or nan
                slopes = local_floats(rule, node.data, [c.data for c in children])
            for child, local in zip(children, slopes):
                try:
                    child.grad += local * upstream
                except TypeError:  # no number: a masked edge, or a slope 1/d applied as a division
                    contribution = chain(local, upstream)
                    if contribution is not None:
                        child.grad += contribution
        for leaf, grad in zip(leaves, previous):
            leaf.grad = grad + leaf.grad


def _chain_rule_step(node: Value) -> None:
    """One node's step of the chain rule: ``child.grad += local * node.grad`` for each child."""
    if node._rule is None:
        if not node._children:  # a leaf: nothing below it
            return
        step = node.__dict__.get("_backward")
        if step is None:
            raise OpError(
                f"backward: {describe(node)} was made as Value(data, children, {node._op!r}); "
                f"{node._op!r} is not an op of this engine (ops: {', '.join(sorted(ops.OPS))}, **n), "
                "so its local derivatives are unknown: set its _backward function, micrograd style",
                node._op,
                node._children,
            )
        step()
        return
    upstream = node.grad
    for child, local in zip(
        node._children, local_floats(node._rule, node.data, [c.data for c in node._children])
    ):
        contribution = chain(local, upstream)
        if contribution is not None:
            child.grad += contribution


def _micrograd_node(children: Iterable, op: str) -> tuple[tuple, OpRule | None]:
    """(children, rule) of a node made as ``Value(data, children, op)``, micrograd's signature."""
    if isinstance(children, str):
        raise TypeError(
            "Value's second argument is micrograd's _children (a tuple of Values), "
            f"got the str {children!r}: pass a name as label=..."
        )
    children = tuple(children)
    for i, child in enumerate(children):
        if not isinstance(child, Value):
            raise TypeError(f"Value: _children[{i}] is a {type(child).__name__}, not a Value")
    if type(op) is not str:
        raise TypeError(f"Value: _op must be a str, got {type(op).__name__}")
    rule = _RULES_BY_MICROGRAD_NAME.get(op)
    if rule is None and op.startswith("**"):
        try:
            rule = ops.rule_for(op)
        except KeyError:
            rule = None
    if rule is not None and rule.arity not in (None, len(children)):
        rule = None
    return children, rule


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

# name -> the Value method of every unary op (the formula tool's functions)
UNARY_OPS = {name: getattr(Value, name) for name in ops.UNARY}

# An op by the name micrograd gives it in _op, or by its own name.
_RULES_BY_MICROGRAD_NAME = {
    **ops.OPS,
    **{rule.micrograd: rule for rule in ops.OPS.values() if rule.micrograd},
}

_new_value = Value.__new__


def _result(data: float, rule: OpRule, children: tuple) -> Value:
    """A new interior node (bypasses the argument checks of Value()); its data must be finite."""
    if not -_LARGEST <= data <= _LARGEST:
        raise OverflowValueError(
            f"{rule.name}: the result is {data!r}, not a finite number (an overflow, or an operand that is "
            f"not finite); {_operands_text(children)}",
            rule.name,
            children,
        )
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.scope = _current_scope()
    out._rule = rule
    out._children = children
    return out


def _apply1(rule: OpRule, x: Value) -> Value:
    """The unary op ``rule`` applied to x: its checks, then its forward computation on floats."""
    data = x.data
    for check in rule.checks:
        if not check.ok(FLOATS, data):
            raise check.error(_failure(rule, check.says, (x,)), rule.name, (x,))
    try:
        return _result(rule.forward(FLOATS, data), rule, (x,))
    except OverflowError as error:
        if isinstance(error, OpError):
            raise
        raise _overflow(rule, (x,)) from None


def _apply2(rule: OpRule, x: Value, y: Value) -> Value:
    """The binary op ``rule`` applied to x and y: its checks, then its forward computation on floats."""
    a, b = x.data, y.data
    for check in rule.checks:
        if not check.ok(FLOATS, a, b):
            raise check.error(_failure(rule, check.says, (x, y)), rule.name, (x, y))
    try:
        return _result(rule.forward(FLOATS, a, b), rule, (x, y))
    except OverflowError as error:
        if isinstance(error, OpError):
            raise
        raise _overflow(rule, (x, y)) from None


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


def _call_text(rule: OpRule, xs: tuple[float, ...]) -> str:
    """How the failed call reads: "log(-1.0)", "1.0 / 0.0", "-8.0 ** 0.5"."""
    if rule.exponent is not None:
        return f"{xs[0]!r} ** {rule.exponent!r}"
    if rule.arity == 2:
        return f"{xs[0]!r} {rule.name} {xs[1]!r}"
    return f"{rule.name}({', '.join(map(repr, xs))})"


def _operands_text(children: tuple) -> str:
    """The operands for a message: "input is 'x' (data 2.0)", "inputs are ... and ...", at most four."""
    if len(children) == 1:
        return f"input is {describe(children[0])}"
    shown = ", ".join(describe(c) for c in children[:4])
    more = f" and {len(children) - 4} more" if len(children) > 4 else ""
    return f"operands: {shown}{more}"


def _failure(rule: OpRule, says: str, children: tuple) -> str:
    """The message of a failed check: the op, what it needs, the call and the operands."""
    call = _call_text(rule, tuple(c.data for c in children))
    return f"{rule.name}: {says}, got {call}; {_operands_text(children)}"


def _overflow(rule: OpRule, children: tuple) -> OverflowValueError:
    """The error of a forward computation whose result is too large for a float."""
    call = _call_text(rule, tuple(c.data for c in children))
    return OverflowValueError(
        f"{rule.name}: {call} overflows a float; {_operands_text(children)}", rule.name, children
    )


def _operand(x, op: str, partner: Value) -> Value | None:
    """x as a Value (numbers become constant leaves), or None when x is not a real number."""
    if isinstance(x, Value):
        return x
    if not isinstance(x, numbers.Real):
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
    weights = [w if isinstance(w, Value) else _constant(w, "linear") for w in weights]
    inputs = [x if isinstance(x, Value) else _constant(x, "linear") for x in inputs]
    bias = bias if isinstance(bias, Value) else _constant(bias, "linear")
    if len(inputs) != len(weights):
        raise ValueError(f"linear: {len(weights)} weights but {len(inputs)} inputs")
    children = (*weights, *inputs, bias)
    if len(weights) > _PRINTED_LINEAR_INPUTS:
        return _result(ops.LINEAR.forward(FLOATS, *[c.data for c in children]), ops.LINEAR, children)
    return _result(_printed_linear(len(weights))(children), ops.LINEAR, children)


# the most inputs of a neuron whose w . x + b is printed as one expression (deeper ones
# strain Python's compiler); wider neurons run the rule's loop
_PRINTED_LINEAR_INPUTS = 64


@functools.cache
def _printed_linear(inputs: int):
    """ops.LINEAR's forward for ``inputs`` inputs as one Python expression over a node's children.

    Printed once per width from the op table (the compiled backends print it the same
    way), it adds up in the rule's order without a loop or an argument list to build.
    """
    children = [name(f"children[{k}].data") for k in range(2 * inputs + 1)]
    total = PYTHON.print(ops.LINEAR.forward(EXPRESSIONS, *children))
    return define(f"linear_of_{inputs}", ["children"], [f"return {total}"], {})[0]


def sum_values(values: Iterable) -> Value:
    """x_1 + ... + x_n as one node, correctly rounded (math.fsum); d/dx_i = 1.

    Numbers among the values become constant leaves. Python's built-in ``sum`` works on
    Values too, but builds a chain of n - 1 additions.
    """
    terms = tuple(v if isinstance(v, Value) else _constant(v, "sum") for v in values)
    if not terms:
        raise ValueError("sum: needs at least one value, got none")
    return _result(ops.SUM.forward(FLOATS, *[t.data for t in terms]), ops.SUM, terms)


def _constant(x, op: str) -> Value:
    """A constant leaf for a number passed to an n-ary op; TypeError naming the op otherwise."""
    try:
        return Value(x)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{op}: {error}") from None


# ---- pickling without recursion ----


def _flatten_graph(root: Value) -> tuple:
    """The graph below root as flat data: one row per node, children as row numbers, root last."""
    leaves, interior = _sorted_graph(root)
    nodes = leaves + interior
    row = {node: i for i, node in enumerate(nodes)}
    return tuple(
        (
            node.data,
            node.grad,
            node.label,
            node.scope,
            None if node._rule is None else node._rule.name,
            tuple(row[c] for c in node._children),
            dict(node.__dict__) if node.__dict__ else None,
        )
        for node in nodes
    )


def _rebuild_graph(rows: tuple) -> Value:
    """The graph that _flatten_graph flattened; returns its root."""
    nodes: list[Value] = []
    for data, grad, label, scope, op, children, extra in rows:
        node = _new_value(Value)
        node.data, node.grad, node.label, node.scope = data, grad, label, scope
        node._rule = None if op is None else ops.rule_for(op)
        node._children = tuple(nodes[c] for c in children)
        if extra:
            node.__dict__.update(extra)
        nodes.append(node)
    return nodes[-1]


# ---- order ----


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
    fsum=lambda xs: sum_values(xs),
    reciprocal=Reciprocal,
    where=lambda condition, if_true, if_false: if_true if condition else if_false,
    gt=lambda a, b: _number(a) > _number(b),
    ge=lambda a, b: _number(a) >= _number(b),
    eq=lambda a, b: _number(a) == _number(b),
    ne=lambda a, b: _number(a) != _number(b),
    and_=lambda a, b: a and b,
    or_=lambda a, b: a or b,
)


def _contribution_value(local, upstream: Value) -> Value | None:
    """local * upstream as a graph (upstream / d for a Reciprocal); None for a masked edge."""
    if local is MASKED:
        return None
    if isinstance(local, Reciprocal):
        return upstream / local.denominator
    if not isinstance(local, Value) and local == 1.0:
        return upstream  # a slope of exactly 1 adds no node
    return local * upstream


def gradient_graphs(root: Value, interior: list[Value]) -> dict[Value, Value]:
    """d(root)/d(node) as a Value for every node reached, by the chain rule on Values."""
    grads: dict[Value, Value] = {root: Value(1.0)}
    for node in reversed(interior):
        upstream = grads.get(node)
        if upstream is None:  # every edge into it was masked
            continue
        if node._rule is None:
            raise ValueError(
                f"{node!r} was made with op {node.op!r}, which is not in the op table: its derivative "
                "cannot be built as a graph"
            )
        for child, local in zip(node.children, node._rule.local(VALUES, node, *node.children)):
            contribution = _contribution_value(local, upstream)
            if contribution is not None:
                grads[child] = contribution if child not in grads else grads[child] + contribution
    return grads


def _accumulate_grad_values(root: Value, leaves: list[Value], interior: list[Value]) -> None:
    """For ``backward(create_graph=True)``: add d(root)/d(leaf), a Value, into each leaf's ``grad_value``."""
    grads = gradient_graphs(root, interior) if interior else {root: Value(1.0)}
    for leaf in leaves:
        if leaf in grads:
            previous = leaf.__dict__.get("grad_value")
            leaf.grad_value = grads[leaf] if previous is None else previous + grads[leaf]
