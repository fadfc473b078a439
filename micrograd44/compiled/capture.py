"""Capture: a graph of Values as a tape of numbered slots (``codegen.tape``), and rebuilt from it."""

from __future__ import annotations

from collections.abc import Sequence

from ..codegen.lowering import check_printable
from ..codegen.tape import CONSTANT, INPUT, PARAMETER, Tape
from ..core import ops
from ..core.graph import sorted_graph
from ..core.value import Value, apply_op
from ..nn import Module


class CaptureError(ValueError):
    """A graph cannot be captured as given (an undeclared parameter, an input that is not a leaf, ...)."""


class GraphMismatchError(ValueError):
    """A graph differs in structure from the one a program was captured from."""


def parameter_list(parameters) -> list[Value]:
    """The parameters as a list of Values: a Module's, or the Values given."""
    if isinstance(parameters, Module):
        return parameters.parameters()
    if isinstance(parameters, Value):
        return [parameters]
    return list(parameters)


def _check_rules(nodes: Sequence[Value]) -> None:
    """CaptureError naming the first op that a compiled backend cannot print, before any code is made."""
    for node in nodes:
        rule = node._rule
        if rule is None:
            raise CaptureError(
                f"op {node.op!r} (a node made as Value(data, children, {node.op!r})) has no rule in the op "
                "table, so it cannot be compiled"
            )
        problem = check_printable(rule, len(node.children))
        if problem is not None:
            raise CaptureError(f"op {rule.name!r} cannot be compiled: {problem}")


def _module_path(node: Value) -> str:
    """The path of the innermost module that made the node ("layers.0.neurons.2"), or ""."""
    for _, path in reversed(node.scope or ()):
        if path:
            return f"in {path}"
    return ""


def check_leaves(values: Sequence[Value], what: str) -> None:
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
        if out in seen:  # an op node listed already: so is every op node below it
            continue
        for node in sorted_graph(out, with_leaves=False)[1]:
            if node not in seen:
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


def capture_tape(outputs, inputs: Sequence[Value], parameters: Sequence[Value]) -> Tape:
    """The tape of the graph below ``outputs``, with the given leaves marked as inputs and parameters.

    ``outputs`` is the output Value, or a sequence of them (the first is the root).

    Raises:
        TypeError: an output, input or parameter is not a Value.
        CaptureError: an input or parameter is not a leaf or is listed twice, a leaf is
            both, a labelled leaf is neither, or an op has no compiled rule.
    """
    outputs = [outputs] if isinstance(outputs, Value) else list(outputs)
    if not outputs:
        raise CaptureError("capture needs at least one output")
    for i, out in enumerate(outputs):
        if not isinstance(out, Value):
            raise TypeError(f"output {i} is a {type(out).__name__}, not a Value")
    check_leaves(inputs, "input")
    check_leaves(parameters, "parameter")
    both = set(inputs) & set(parameters)
    if both:
        raise CaptureError(f"{next(iter(both))!r} is both an input and a parameter")
    op_nodes = _op_order(outputs)
    _check_rules(op_nodes)
    constants = _constant_leaves([*op_nodes, *outputs], {*inputs, *parameters})

    nodes = [*inputs, *parameters, *constants, *op_nodes]
    slot = {node: i for i, node in enumerate(nodes)}
    n_inputs, n_leaves = len(inputs), len(nodes) - len(op_nodes)
    kinds = (INPUT,) * n_inputs + (PARAMETER,) * len(parameters) + (CONSTANT,) * len(constants)
    return Tape(
        kinds=kinds + tuple(node.op for node in op_nodes),
        children=tuple(tuple(slot[c] for c in node.children) for node in nodes),
        constants=tuple(node.data if kind == CONSTANT else None for node, kind in zip(nodes, kinds))
        + (None,) * len(op_nodes),
        inputs=tuple(range(n_inputs)),
        parameters=tuple(range(n_inputs, n_inputs + len(parameters))),
        outputs=tuple(slot[out] for out in outputs),
        first_op=n_leaves,
        notes=tuple(node.label for node in nodes[:n_leaves]) + tuple(_module_path(node) for node in op_nodes),
    )


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
            values.append(apply_op(ops.rule_for(kind), [values[c] for c in children]))  # through the engine
    return [values[s] for s in tape.outputs]
