"""The tape: a graph as numbered slots, what the lowering writes out as code.

A tape numbers every node of a graph: the inputs first (in the order they were
declared), then the parameters, then the constant leaves, then the op nodes in the order
eager's backward() would visit them in reverse. Two graphs have the same structure when
their tapes are equal: same ops, same wiring, same constants. ``micrograd44.compiled``
captures a tape from Values.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib

INPUT, PARAMETER, CONSTANT = "input", "parameter", "constant"


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

    @functools.cached_property
    def digest(self) -> str:
        """A SHA-256 of the structure, which (unlike ``==``) tells a constant -0.0 from 0.0."""
        structure = (self.kinds, self.children, self.constants, self.inputs, self.parameters, self.outputs)
        return hashlib.sha256(f"{structure!r}\0{self.first_op}".encode()).hexdigest()

    @property
    def root(self) -> int:
        """The slot that backward differentiates."""
        return self.outputs[0]

    @property
    def ops(self) -> range:
        """The op slots, children before parents."""
        return range(self.first_op, len(self.kinds))

    def below_root(self) -> frozenset[int]:
        """The slots of the root's graph, the root included: what ``root.backward()`` reaches."""
        found, stack = set(), [self.root]
        while stack:
            s = stack.pop()
            if s not in found:
                found.add(s)
                stack.extend(self.children[s])
        return frozenset(found)

    def describe(self, slot: int) -> str:
        """A node for a message: "node 7 ('tanh' in layers.0.neurons.2)"."""
        kind = self.kinds[slot]
        what = f"{kind} {self.constants[slot]!r}" if kind == CONSTANT else repr(kind)
        where = f" {self.notes[slot]}" if self.notes[slot] else ""
        return f"node {slot} ({what}{where})"


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
