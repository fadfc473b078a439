"""Lowering: a tape written out as straight-line Python, forward and backward.

Each node becomes one assignment; the engine refuses a node whose value is not finite, so
the forward lines end with a test that they all are. The backward lines visit the op nodes in the reverse of
the tape's order, which is the order eager's backward() visits them, and add every
contribution ``local * upstream`` into the child's gradient in the same order as the
engine, so the sums round the same way. Only the gradients on a path from the root to a
wanted leaf are computed. An interior gradient starts from its first contribution where
the engine starts from 0.0 and adds it: the same number, except that a zero may come out
with the other sign.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable

from .rules import ONE, NodeCode
from .tape import CONSTANT, INPUT, PARAMETER, Tape

Rule = Callable[[str, str, list[str]], NodeCode]

# A name or a number literal: usable as a term without parentheses.
_ATOM = re.compile(r"[\w.]+|\(-[\w.+]+\)")


def _literal(value: float) -> str:
    """A float as source text (negative numbers in parentheses, so ``x ** (-1.0)`` parses right)."""
    text = repr(value)
    return f"({text})" if text.startswith("-") else text


def _factor(expression: str) -> str:
    """The expression, in parentheses unless it is a single name or number."""
    return expression if _ATOM.fullmatch(expression) else f"({expression})"


def slot_names(tape: Tape, literal: Callable[[float], str] = _literal) -> list[str]:
    """The source name of every slot: x0.. inputs, p0.. parameters, literals for constants, v0.. ops."""
    counters = {INPUT: itertools.count(), PARAMETER: itertools.count()}
    names = []
    for kind, constant in zip(tape.kinds, tape.constants):
        if kind == CONSTANT:
            names.append(literal(constant))
        elif kind in counters:
            names.append(("x" if kind == INPUT else "p") + str(next(counters[kind])))
        else:
            names.append(f"v{len(names) - tape.first_op}")
    return names


def layers(tape: Tape) -> list[list[int]]:
    """The layers of the graph: groups of linear nodes that read the same input-dependent nodes.

    Only nodes whose weights and bias are leaves (parameters or constants) are grouped, and
    only groups of two or more, in tape order.
    """
    on_inputs = set(tape.inputs)
    for s in tape.ops:
        if any(c in on_inputs for c in tape.children[s]):
            on_inputs.add(s)
    groups: dict[tuple[int, ...], list[int]] = {}
    for s in tape.ops:
        children = tape.children[s]
        n = len(children) // 2
        if tape.kinds[s] != "linear" or not all(c in on_inputs for c in children[n:-1]):
            continue
        if all(tape.kinds[c] in (PARAMETER, CONSTANT) for c in (*children[:n], children[-1])):
            groups.setdefault(children[n:-1], []).append(s)
    return [group for group in groups.values() if len(group) > 1]


class Lowering:
    """The tape of one graph as lines of Python, with one rule set (floats or arrays).

    With ``fuse_layers`` (arrays only), each layer of neurons (see ``layers``) becomes one
    matrix product: faster on numpy arrays, but summed in another order than the engine.
    Another language (C) takes the assignments themselves (``forward_assignments``,
    ``backward_assignments``) with its own rule set and ``literal`` for the constants.
    """

    def __init__(
        self, tape: Tape, rule: Rule, fuse_layers: bool = False, literal: Callable[[float], str] = _literal
    ):
        self.tape = tape
        self.names = slot_names(tape, literal)
        self._rules = {
            s: rule(tape.kinds[s], self.names[s], [self.names[c] for c in tape.children[s]]) for s in tape.ops
        }
        self._layer_at = {group[0]: group for group in layers(tape)} if fuse_layers else {}
        self._in_earlier_layer = {s for group in self._layer_at.values() for s in group[1:]}

    def grad_name(self, slot: int) -> str:
        """The variable holding d(root)/d(node) for a slot."""
        return f"g_{self.names[slot]}"

    def forward_assignments(self) -> list[tuple[int, str]]:
        """(slot, expression) of every assignment of the forward pass, children before parents.

        A node deeper than the printer allows is assigned in several steps, each reading
        the node's variable.
        """
        return [(s, expression) for s in self.tape.ops for expression in self._rules[s].forward]

    def forward(self) -> list[str]:
        """One assignment per op node (more for a long sum, or a layer), children before parents."""
        lines = []
        for s in self.tape.ops:
            if s in self._layer_at:
                lines += self._layer(self._layer_at[s])
                continue
            if s in self._in_earlier_layer:
                continue
            note = f"  # {comment_text(self.tape.notes[s])}" if self.tape.notes[s] else ""
            for expression in self._rules[s].forward:
                lines.append(f"{self.names[s]} = {expression}{note}")
                note = ""
        return lines

    def _layer(self, group: list[int]) -> list[str]:
        """A layer's neurons as one product of its weight matrix with its stacked inputs, plus the biases."""
        tape, names = self.tape, self.names
        n = len(tape.children[group[0]]) // 2
        weights = tuple_source(tuple_source(names[c] for c in tape.children[s][:n]) for s in group)
        biases = tuple_source(f"({names[tape.children[s][-1]]},)" for s in group)
        inputs = tuple_source(names[c] for c in tape.children[group[0]][n:-1])
        block = f"layer_{names[group[0]]}"
        note = f"  # {len(group)} neurons of one layer"
        return [
            f"{block} = matmul(array({weights}), stack({inputs})) + array({biases}){note}",
            *(f"{names[s]} = {block}[{k}]" for k, s in enumerate(group)),
        ]

    def finite_check(self) -> list[str]:
        """Raise EagerWouldRaise unless every op node's value is finite, as the engine requires."""
        if not self.tape.ops:
            return []
        return [f"if not {all_finite(self.names[s] for s in self.tape.ops)}:", "    engine_would_raise()"]

    def outputs(self) -> list[str]:
        """The source names of the outputs."""
        return [self.names[s] for s in self.tape.outputs]

    def _needs_grad(self, wanted: set[int]) -> set[int]:
        """The slots on a path from the root down to a wanted leaf."""
        below_wanted = set(wanted)
        for s in self.tape.ops:
            if any(c in below_wanted for c in self.tape.children[s]):
                below_wanted.add(s)
        under_root, stack = set(), [self.tape.root]
        while stack:
            s = stack.pop()
            if s not in under_root:
                under_root.add(s)
                stack.extend(self.tape.children[s])
        return below_wanted & under_root

    def backward(
        self, seed: str, wanted: Iterable[int], accumulate: bool
    ) -> tuple[list[str], dict[int, str]]:
        """The chain rule as lines of Python: ``backward_assignments`` written out."""
        assignments, grads = self.backward_assignments(seed, wanted, accumulate)
        return [f"{target} = {expression}" for target, expression in assignments], grads

    def backward_assignments(
        self, seed: str, wanted: Iterable[int], accumulate: bool
    ) -> tuple[list[tuple[str, str]], dict[int, str]]:
        """The chain rule from the root down to the wanted leaves.

        Args:
            seed: d(loss)/d(root) as source text, "1.0" for ``root.backward()``.
            wanted: the leaf slots whose gradients are wanted.
            accumulate: add into the leaves' gradient variables (``g_p0`` ...), as the
                engine adds into ``.grad``; otherwise each leaf's gradient starts afresh.

        Returns:
            The (variable, expression) assignments, and for each wanted slot the expression
            of its gradient (a variable or a number).
        """
        wanted = set(wanted)
        needs = self._needs_grad(wanted)
        grads = {s: self.grad_name(s) for s in wanted} if accumulate else {}
        lines: list[tuple[str, str]] = []

        def add(child: int, contribution: str) -> None:
            if child in grads:
                lines.append((self.grad_name(child), f"{grads[child]} + {_factor(contribution)}"))
                grads[child] = self.grad_name(child)
            elif _ATOM.fullmatch(contribution):
                grads[child] = contribution
            else:
                lines.append((self.grad_name(child), contribution))
                grads[child] = self.grad_name(child)

        if self.tape.root in needs:
            add(self.tape.root, seed)
        for s in reversed(self.tape.ops):
            if s not in needs:
                continue
            upstream = grads.get(s, "0.0")  # every edge into it was masked: its gradient is 0
            code = self._rules[s]
            for child, slope in zip(self.tape.children[s], code.slopes):
                if child not in needs or slope.value is None:  # a masked edge passes nothing
                    continue
                if slope.divide:
                    contribution = code.printer.divide(upstream, _factor(slope.value))
                elif upstream == ONE:
                    contribution = slope.value
                else:
                    contribution = upstream if slope.value == ONE else f"{_factor(slope.value)} * {upstream}"
                if slope.when is not None:
                    contribution = code.printer.masked(slope.when, contribution)
                add(child, contribution)
        return lines, {s: grads.get(s, "0.0") for s in wanted}


def comment_text(text: str) -> str:
    """User text (a label, a module path) made safe for a comment: escaped, on one line, never code."""
    return ascii(text)[1:-1]


def tuple_source(names: Iterable[str]) -> str:
    """Source for a tuple of the names: "(a, b,)", "(a,)" or "()"."""
    names = list(names)
    return f"({', '.join(names)},)" if names else "()"


def all_finite(names: Iterable[str]) -> str:
    """Source testing that every variable is finite, cheaply.

    The sum of the values is finite only if each is; only when it is not (an overflow of
    the sum itself, or a non-finite value) are the values tested one by one.
    """
    values = tuple_source(names)
    if values == "()":
        return "True"
    return f"(isfinite(sum({values})) or all(map(isfinite, {values})))"


def indent(lines: Iterable[str], levels: int = 1) -> list[str]:
    """The lines, indented by four spaces per level."""
    return ["    " * levels + line for line in lines]
