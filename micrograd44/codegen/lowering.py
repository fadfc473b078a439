"""Lowering: a tape written out as straight-line code, forward and backward, in one language.

Each op node becomes one assignment, printed from its rule in the op table: its forward
expression and its local derivatives (``printed_node``); the engine refuses a node whose
value is not finite, so the forward pass ends with a test that they all are. The backward
assignments (``chain_rule``) visit the op nodes in the reverse of the tape's order, which
is the order eager's backward() visits them, and add every contribution ``local *
upstream`` into the child's gradient in the same order as the engine, so the sums round
the same way. Only the gradients on a path from the root to a wanted leaf are computed.
An interior gradient starts from its first contribution where the engine starts from 0.0
and adds it: the same number, except that a zero may come out with the other sign.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
from collections.abc import Callable, Iterable, Sequence

from ..core import ops
from ..core.ops import OpRule
from .arrays import ARRAY_NAMESPACE, NUMPY
from .c import C
from .expr import EXPRESSIONS, Expr, Printer, expr, name
from .python import PYTHON, PYTHON_SLOPES, SCALAR_NAMESPACE, comment_text, tuple_source
from .tape import CONSTANT, INPUT, PARAMETER, Tape

# A local derivative of exactly 1: the upstream gradient passes through unchanged.
ONE = "1.0"

# A name, an array's element or a number literal: usable as a term without parentheses.
_ATOM = re.compile(r"[\w.]+|\w+\[\d+\]|\(-[\w.+]+\)")


@dataclasses.dataclass(frozen=True)
class Language:
    """What a lowering prints with.

    Attributes:
        printer: prints the forward expressions and the constants.
        slopes: prints the local derivatives and their contributions to the gradients.
        guarded: the forward expression of an op refuses (``printer.guarded``) where one
            of the op's checks fails.
        namespace: the names the generated Python code sees (None for C).
    """

    printer: Printer
    slopes: Printer
    guarded: bool
    namespace: dict | None


# Python on floats: the engine's numbers, raising where it raises (local derivatives in IEEE floats)
SCALARS = Language(PYTHON, PYTHON_SLOPES, guarded=True, namespace=SCALAR_NAMESPACE)
# Python on numpy arrays, one element per sample: no checks
ARRAYS = Language(NUMPY, NUMPY, guarded=False, namespace=ARRAY_NAMESPACE)
# C on doubles: nan where the engine would raise
C_DOUBLES = Language(C, C, guarded=True, namespace=None)


@dataclasses.dataclass(frozen=True)
class Slope:
    """A local derivative as source: the edge passes ``value * upstream`` where ``when`` holds.

    Attributes:
        value: the derivative's source, or None for an edge that passes nothing (ops.MASKED).
        when: None where it always passes; otherwise the condition outside of which the
            edge passes nothing, not even nan from an infinite upstream (see ops.MASKED).
        divide: the derivative is 1 / value, applied as ``upstream / value`` (ops.Reciprocal).
    """

    value: str | None
    when: str | None = None
    divide: bool = False


@dataclasses.dataclass(frozen=True)
class NodeCode:
    """A node's source: its forward expression(s), each assigned to the node in turn, and its slopes."""

    forward: list[str]
    slopes: list[Slope]


def slope_source(printer: Printer, local, out: str) -> Slope:
    """A rule's local derivative (an Expr or a number) as a Slope."""
    local = expr(local)
    if local.kind == "masked":
        return Slope(None)
    if local.kind == "call" and local.args[0] == "reciprocal":
        return Slope(_one_statement(printer, local.args[1], out), divide=True)
    if local.kind == "where":
        condition, if_true, if_false = local.args
        if if_false.kind == "masked":
            return Slope(_one_statement(printer, if_true, out), printer.print(condition))
        if if_true.kind == "masked":
            return Slope(_one_statement(printer, if_false, out), printer.negate(printer.print(condition)))
    return Slope(_one_statement(printer, local, out))


def _one_statement(printer: Printer, tree: Expr, out: str) -> str:
    """An expression that needs no splitting (a local derivative) as source."""
    (source,) = printer.statements(tree, out)
    return source


def printed_node(language: Language, kind: str, out: str, children: list[str]) -> NodeCode:
    """The forward expression(s) and local derivatives of a node of op ``kind``, printed from its rule.

    In a guarded language the last forward statement runs only where the rule's checks
    hold (the printer says how it refuses elsewhere).
    """
    rule = ops.rule_for(kind)
    printer = language.printer
    xs = [name(c) for c in children]
    lines = printer.statements(expr(rule.forward(EXPRESSIONS, *xs)), out)
    if language.guarded:
        checks = [printer.print(expr(check.ok(EXPRESSIONS, *xs))) for check in rule.checks]
        lines[-1] = printer.guarded(lines[-1], checks)
    local = rule.local(EXPRESSIONS, name(out), *xs)
    return NodeCode(lines, [slope_source(language.slopes, derivative, out) for derivative in local])


@functools.lru_cache(maxsize=4096)
def check_printable(rule: OpRule, arity: int) -> str | None:
    """Why the compiled backends cannot print ``rule`` (a vocabulary function they lack), or None.

    Asked once per rule and number of inputs (a rule's text does not change), not at every capture.
    """
    children = [f"c{i}" for i in range(arity)]
    for language in (SCALARS, ARRAYS):
        namespace = language.namespace
        try:
            code = printed_node(language, rule.name, "out", children)
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            return f"{type(error).__name__}: {error}"
        sources = [*code.forward, *(s for slope in code.slopes for s in (slope.value, slope.when) if s)]
        for source in sources:
            names = compile(source, "<check>", "eval").co_names
            missing = [n for n in names if n not in namespace and n not in (*children, "out")]
            if missing:
                return f"the generated code calls {', '.join(missing)}, which the backend does not define"
    return None


def _factor(expression: str) -> str:
    """The expression, in parentheses unless it is a single name or number."""
    return expression if _ATOM.fullmatch(expression) else f"({expression})"


def slot_names(tape: Tape, literal: Callable[[float], str] = PYTHON.constant) -> list[str]:
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
    """The tape of one graph as assignments in one language: forward, then backward.

    Python takes the lines (``forward``, ``backward``), or the backward assignments
    themselves (``backward_assignments``). With ``fuse_layers`` (arrays only), each layer of
    neurons (see ``layers``) becomes one matrix product: faster on numpy arrays, but summed
    in another order than the engine. ``loops.LoopedLowering`` (C) and
    ``numpy_layers.NumpyLayersLowering`` (Python) print a network's layers as loops instead,
    in the engine's order.
    """

    def __init__(
        self,
        tape: Tape,
        language: Language,
        fuse_layers: bool = False,
        names: list[str] | None = None,
        unprinted: frozenset[int] = frozenset(),
    ):
        """``names``: the slots' names (default ``slot_names``); ``unprinted``: op slots a subclass prints."""
        self.tape = tape
        self.language = language
        self.names = slot_names(tape, language.printer.constant) if names is None else names
        self._nodes = {
            s: printed_node(language, tape.kinds[s], self.names[s], [self.names[c] for c in tape.children[s]])
            for s in tape.ops
            if s not in unprinted
        }
        self._layer_at = {group[0]: group for group in layers(tape)} if fuse_layers else {}
        self._in_earlier_layer = {s for group in self._layer_at.values() for s in group[1:]}

    def grad_name(self, slot: int) -> str:
        """The variable holding d(root)/d(node) for a slot."""
        return f"g_{self.names[slot]}"

    def values(self) -> list[str]:
        """The variables of the op nodes, in the order they are computed."""
        return [self.names[s] for s in self.tape.ops]

    def forward(self) -> list[str]:
        """One Python assignment per op node (more for a long sum, or a layer), children before parents."""
        lines = []
        for s in self.tape.ops:
            if s in self._layer_at:
                lines += self._layer(self._layer_at[s])
                continue
            if s in self._in_earlier_layer:
                continue
            note = f"  # {comment_text(self.tape.notes[s])}" if self.tape.notes[s] else ""
            for expression in self._nodes[s].forward:
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

    def outputs(self) -> list[str]:
        """The source names of the outputs."""
        return [self.names[s] for s in self.tape.outputs]

    def _needs_grad(self, wanted: set[int]) -> set[int]:
        """The slots on a path from the root down to a wanted leaf."""
        below_wanted = set(wanted)
        for s in self.tape.ops:
            if any(c in below_wanted for c in self.tape.children[s]):
                below_wanted.add(s)
        return below_wanted & self.tape.below_root()

    def backward(
        self, seed: str, wanted: Iterable[int], accumulate: bool
    ) -> tuple[list[str], dict[int, str]]:
        """The chain rule as lines of Python: ``backward_assignments`` written out."""
        assignments, grads = self.backward_assignments(seed, wanted, accumulate)
        return [f"{target} = {expression}" for target, expression in assignments], grads

    def backward_assignments(
        self, seed: str, wanted: Iterable[int], accumulate: bool
    ) -> tuple[list[tuple[str, str]], dict[int, str]]:
        """The chain rule from the root down to the wanted leaves (see ``chain_rule``).

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
        nodes = [(s, self.tape.children[s], self._nodes[s].slopes) for s in self.tape.ops if s in needs]
        start = {s: self.grad_name(s) for s in wanted} if accumulate else {}
        lines, grads = chain_rule(
            nodes, self.tape.root, seed, start, needs, self.grad_name, self.language.slopes
        )
        return lines, {s: grads.get(s, "0.0") for s in wanted}


def contribution(upstream: str, slope: Slope, printer: Printer) -> str:
    """An edge's contribution to its child's gradient: ``local * upstream`` (divided or masked: see Slope)."""
    if slope.divide:
        passed = printer.divide(upstream, _factor(slope.value))
    elif upstream == ONE:
        passed = slope.value
    else:
        passed = upstream if slope.value == ONE else f"{_factor(slope.value)} * {upstream}"
    return passed if slope.when is None else printer.masked(slope.when, passed)


class Gradients:
    """The gradients of a backward pass being written: each slot's expression, and the assignments so far.

    A slot's gradient starts from its first contribution (a name or number is used as it
    is, without an assignment) and every later contribution is added to it, in order.

    Attributes:
        grads: the expression of every gradient reached so far (a variable or a number).
        lines: the assignments so far, each made by ``assign(variable, expression)``.
    """

    def __init__(
        self, start: dict[int, str], grad_name: Callable[[int], str], assign: Callable[[str, str], object]
    ):
        self.grads = dict(start)
        self.lines: list = []
        self._grad_name = grad_name
        self._assign = assign

    def add(self, child: int, contribution: str) -> None:
        """Add a contribution to a slot's gradient."""
        target = self._grad_name(child)
        if child in self.grads:
            self.lines.append(self._assign(target, f"{self.grads[child]} + {_factor(contribution)}"))
            self.grads[child] = target
        elif _ATOM.fullmatch(contribution):
            self.grads[child] = contribution
        else:
            self.lines.append(self._assign(target, contribution))
            self.grads[child] = target


def chain_rule(
    nodes: Sequence[tuple[int, Sequence[int], Sequence[Slope]]],
    root: int,
    seed: str,
    start: dict[int, str],
    needs: set[int],
    grad_name: Callable[[int], str],
    printer: Printer,
) -> tuple[list[tuple[str, str]], dict[int, str]]:
    """The chain rule as assignments: each node's upstream gradient times its local derivatives, in reverse.

    Args:
        nodes: (slot, its children's slots, its printed local derivatives) of every op node
            on a path from the root to a wanted leaf, children before parents.
        root: the slot of the root, whose gradient is ``seed``.
        seed: d(loss)/d(root) as source text.
        start: the gradients that start from a variable (accumulated into) instead of 0.
        needs: the slots whose gradients are computed.
        grad_name: the variable of a slot's gradient.
        printer: prints a contribution's division or mask.

    Returns:
        The (variable, expression) assignments, and the expression of every computed
        gradient (a variable or a number; missing where nothing reached the slot).
    """
    gradients = Gradients(start, grad_name, lambda target, source: (target, source))
    if root in needs:
        gradients.add(root, seed)
    for s, children, slopes in reversed(nodes):
        add_contributions(gradients, s, children, slopes, needs, printer)
    return gradients.lines, gradients.grads


def add_contributions(
    gradients: Gradients,
    s: int,
    children: Sequence[int],
    slopes: Sequence[Slope],
    needs: set[int],
    printer: Printer,
) -> None:
    """A node's contributions to its children's gradients, in the order of its children."""
    upstream = gradients.grads.get(s, "0.0")  # every edge into it was masked: its gradient is 0
    for child, slope in zip(children, slopes):
        if child in needs and slope.value is not None:  # a masked edge passes nothing
            gradients.add(child, contribution(upstream, slope, printer))
