"""Capture: a graph of Values flattened into a tape of numbered slots, and rebuilt from it.

A tape numbers every node of the graph: the inputs first (in the order they were
declared), then the parameters, then the constant leaves, then the op nodes in the order
eager's backward() would visit them in reverse. Two graphs have the same structure when
their tapes are equal: same ops, same wiring, same constants.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from ..engine import UNARY_OPS, Value, linear, sum_values, topological_order

INPUT, PARAMETER, CONSTANT = "input", "parameter", "constant"


class CaptureError(ValueError):
    """A graph cannot be captured as given (an undeclared parameter, an input that is not a leaf, ...)."""


class GraphMismatchError(ValueError):
    """A graph differs in structure from the one a program was captured from."""


# op name -> how to apply it to Values again (rebuild); "**n" ops are handled by name
_APPLY = {
    **UNARY_OPS,
    "+": lambda x, y: x + y,
    "*": lambda x, y: x * y,
    "**": lambda x, y: x**y,
    "sum": lambda *terms: sum_values(terms),
    "linear": lambda *args: linear(args[: len(args) // 2], args[len(args) // 2 : -1], args[-1]),
}


def is_constant_power(kind: str) -> bool:
    """True for the name of an op x ** n with a fixed number n ("**2", "**-1", "**0.5")."""
    return kind.startswith("**") and kind != "**"


def constant_exponent(kind: str) -> float:
    """The n of a "**n" op name."""
    return float(kind[2:])


def _apply(kind: str, children: list[Value]) -> Value:
    """The op named ``kind`` applied to Values, through the engine itself."""
    if is_constant_power(kind):
        return children[0] ** constant_exponent(kind)
    return _APPLY[kind](*children)


@dataclasses.dataclass(frozen=True)
class Tape:
    """A captured graph: every node as a numbered slot.

    Attributes:
        kinds: per slot, "input", "parameter", "constant" or the op name ("+", "tanh", "**2", ...).
        children: per slot, the slots of the op's children in order (() for a leaf).
        constants: per slot, the value of a constant leaf (None elsewhere).
        inputs: the input slots, in the order the inputs were declared.
        parameters: the parameter slots, in the order the parameters were declared.
        outputs: the output slots; outputs[0] is the root that backward differentiates.
        first_op: the first op slot; op slots run from it to the end, in eager's order.
        notes: per slot, where the node came from (a module path, a parameter's label), or "".
    """

    kinds: tuple[str, ...]
    children: tuple[tuple[int, ...], ...]
    constants: tuple[float | None, ...]
    inputs: tuple[int, ...]
    parameters: tuple[int, ...]
    outputs: tuple[int, ...]
    first_op: int
    notes: tuple[str, ...] = dataclasses.field(compare=False)

    @property
    def root(self) -> int:
        """The slot that backward differentiates."""
        return self.outputs[0]

    @property
    def ops(self) -> range:
        """The op slots, children before parents."""
        return range(self.first_op, len(self.kinds))

    def describe(self, slot: int) -> str:
        """A node for a message: "node 7 ('tanh' in layers.0.neurons.2)"."""
        kind = self.kinds[slot]
        what = f"{kind} {self.constants[slot]!r}" if kind == CONSTANT else repr(kind)
        where = f" {self.notes[slot]}" if self.notes[slot] else ""
        return f"node {slot} ({what}{where})"


def _module_path(node: Value) -> str:
    """The path of the innermost module that made the node ("layers.0.neurons.2"), or ""."""
    for _, path in reversed(node.scope or ()):
        if path:
            return f"in {path}"
    return ""


def _check_leaves(values: Sequence[Value], what: str) -> None:
    """TypeError or CaptureError unless every value is a distinct leaf Value."""
    seen = set()
    for i, v in enumerate(values):
        if not isinstance(v, Value):
            raise TypeError(f"{what} {i} is a {type(v).__name__}, not a Value")
        if v.children:
            raise CaptureError(f"{what} {i} is the result of a {v.op!r} op; {what}s must be leaf Values")
        if v in seen:
            raise CaptureError(f"{what} {i} ({v!r}) is listed twice")
        seen.add(v)


def _op_order(outputs: Sequence[Value]) -> list[Value]:
    """The op nodes below the outputs: the root's in eager backward's order, then the others'."""
    order, seen = [], set()
    for out in outputs:
        for node in topological_order(out, leaves=False):
            if node.children and node not in seen:
                seen.add(node)
                order.append(node)
    return order


def _check_constant(leaf: Value) -> None:
    """CaptureError for a labelled leaf that is neither an input nor a parameter."""
    if leaf.label:
        raise CaptureError(
            f"leaf {leaf.label!r} (data {leaf.data!r}) is neither an input nor a parameter: pass it in "
            "parameters= to have it read and trained at every call, or leave it unlabelled to freeze it "
            "as a constant"
        )


def _constant_leaves(nodes: Sequence[Value], declared: set) -> list[Value]:
    """The leaves below or among the nodes that were not declared, in order of first use."""
    constants, seen = [], set(declared)
    for node in nodes:
        for leaf in node.children or (node,):
            if not leaf.children and leaf not in seen:
                _check_constant(leaf)
                seen.add(leaf)
                constants.append(leaf)
    return constants


def capture_tape(outputs: Sequence[Value], inputs: Sequence[Value], parameters: Sequence[Value]) -> Tape:
    """The tape of the graph below ``outputs``, with the given leaves marked as inputs and parameters.

    Raises:
        TypeError: an output, input or parameter is not a Value.
        CaptureError: an input or parameter is not a leaf or is listed twice, a leaf is
            both, a labelled leaf is neither, or an op has no compiled rule.
    """
    if not outputs:
        raise CaptureError("capture needs at least one output")
    for i, out in enumerate(outputs):
        if not isinstance(out, Value):
            raise TypeError(f"output {i} is a {type(out).__name__}, not a Value")
    _check_leaves(inputs, "input")
    _check_leaves(parameters, "parameter")
    both = set(inputs) & set(parameters)
    if both:
        raise CaptureError(f"{next(iter(both))!r} is both an input and a parameter")
    ops = _op_order(outputs)
    for node in ops:
        if node.op not in _APPLY and not is_constant_power(node.op):
            raise CaptureError(f"op {node.op!r} has no compiled rule")
    constants = _constant_leaves([*ops, *outputs], {*inputs, *parameters})

    nodes = [*inputs, *parameters, *constants, *ops]
    slot = {node: i for i, node in enumerate(nodes)}
    n_inputs, n_leaves = len(inputs), len(nodes) - len(ops)
    kinds = (INPUT,) * n_inputs + (PARAMETER,) * len(parameters) + (CONSTANT,) * len(constants)
    return Tape(
        kinds=kinds + tuple(node.op for node in ops),
        children=tuple(tuple(slot[c] for c in node.children) for node in nodes),
        constants=tuple(node.data if kind == CONSTANT else None for node, kind in zip(nodes, kinds))
        + (None,) * len(ops),
        inputs=tuple(range(n_inputs)),
        parameters=tuple(range(n_inputs, n_inputs + len(parameters))),
        outputs=tuple(slot[out] for out in outputs),
        first_op=n_leaves,
        notes=tuple(node.label for node in nodes[:n_leaves]) + tuple(_module_path(node) for node in ops),
    )


def first_difference(expected: Tape, got: Tape) -> str | None:
    """How ``got`` differs in structure from ``expected``, in one sentence; None when it does not."""
    if expected == got:
        return None
    for what in ("inputs", "parameters", "outputs"):
        if len(getattr(expected, what)) != len(getattr(got, what)):
            return (
                f"it has {len(getattr(got, what))} {what}, the captured graph {len(getattr(expected, what))}"
            )
    if len(expected.kinds) != len(got.kinds) or expected.first_op != got.first_op:
        return (
            f"it has {len(got.ops)} op nodes and {got.first_op} leaves, "
            f"the captured graph {len(expected.ops)} op nodes and {expected.first_op} leaves"
        )
    for s in range(len(expected.kinds)):
        same_node = (expected.kinds[s], expected.constants[s]) == (got.kinds[s], got.constants[s])
        if not same_node or expected.children[s] != got.children[s]:
            return (
                f"{got.describe(s)} of {list(got.children[s])} is "
                f"{expected.describe(s)} of {list(expected.children[s])} in the captured graph"
            )
    return f"its outputs are nodes {list(got.outputs)}, the captured graph's {list(expected.outputs)}"


def rebuild(tape: Tape, inputs: Sequence[float], input_names: Sequence[str], parameters: Sequence[Value]):
    """The tape's graph built again by the engine: its output Values, on the given parameter Values.

    The engine raises its own errors (DomainError, ...) exactly where eager evaluation would.
    """
    values: list[Value] = []
    named_inputs = iter(zip(inputs, input_names))
    parameter_values = iter(parameters)
    for kind, children, constant in zip(tape.kinds, tape.children, tape.constants):
        if kind == INPUT:
            x, name = next(named_inputs)
            values.append(Value(x, label=name))
        elif kind == PARAMETER:
            values.append(next(parameter_values))
        elif kind == CONSTANT:
            values.append(Value(constant))
        else:
            values.append(_apply(kind, [values[c] for c in children]))
    return [values[s] for s in tape.outputs]
