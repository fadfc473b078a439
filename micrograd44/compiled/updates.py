"""Optimizer updates as code: ``optim.sgd_update`` and ``optim.adam_update`` printed for a training loop.

The updates are defined once, in ``micrograd44.optim``, over a vocabulary of primitives.
Evaluated on expressions (``expr.EXPRESSIONS``) with the names of the generated code as
their numbers, they give each parameter's new value and optimizer state as trees, which a
``Printer`` writes as Python or C statements. A sub-expression the update reuses (the
decayed gradient, the new momentum buffer) is the same tree object in several places: it
is assigned once to a variable and read from it, so every value is computed once, in the
order ``optim`` computes it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from types import SimpleNamespace

from ..optim import SGD, Adam, Optimizer, adam_shared, adam_update, sgd_update
from .expr import EXPRESSIONS, Expr, Printer, expr, name


@dataclasses.dataclass(frozen=True)
class Assign:
    """``target = source``."""

    target: str
    source: str


@dataclasses.dataclass(frozen=True)
class Branch:
    """``if condition: then else: otherwise`` (the condition is a variable holding a number)."""

    condition: str
    then: list
    otherwise: list


def python_lines(statements: Sequence) -> list[str]:
    """The statements as lines of Python."""
    lines = []
    for statement in statements:
        if isinstance(statement, Assign):
            lines.append(f"{statement.target} = {statement.source}")
        else:
            lines.append(f"if {statement.condition}:")
            lines += ["    " + line for line in python_lines(statement.then)]
            lines.append("else:")
            lines += ["    " + line for line in python_lines(statement.otherwise)]
    return lines


def c_lines(statements: Sequence) -> list[str]:
    """The statements as lines of C (every variable a double declared by the caller)."""
    lines = []
    for statement in statements:
        if isinstance(statement, Assign):
            lines.append(f"{statement.target} = {statement.source};")
        else:
            lines.append(f"if ({statement.condition} != 0.0) {{")
            lines += ["    " + line for line in c_lines(statement.then)]
            lines.append("} else {")
            lines += ["    " + line for line in c_lines(statement.otherwise)]
            lines.append("}")
    return lines


def _substitute(tree: Expr, names: dict[int, str]) -> Expr:
    """The tree with every node already assigned to a variable (by identity) replaced by that variable."""
    if id(tree) in names:
        return name(names[id(tree)])

    def operand(a):
        if isinstance(a, Expr):
            return _substitute(a, names)
        if isinstance(a, tuple):
            return tuple(_substitute(t, names) for t in a)
        return a

    if tree.kind in ("name", "const", "masked"):
        return tree
    return Expr(tree.kind, *map(operand, tree.args))


def _operands(tree: Expr) -> list[Expr]:
    """The tree's operand trees."""
    found = []
    for a in tree.args:
        if isinstance(a, Expr):
            found.append(a)
        elif isinstance(a, tuple):
            found.extend(a)
    return found


def _reads(tree: Expr, variable: str, assigned: dict[int, str]) -> bool:
    """True if the tree reads ``variable``, outside the nodes already assigned."""
    if id(tree) in assigned:
        return False
    if tree.kind == "name":
        return tree.args[0] == variable
    return any(_reads(a, variable, assigned) for a in _operands(tree))


def assignments(outputs: list[tuple[str, Expr]], printer: Printer, temporary: str) -> list[Assign]:
    """Assignments of the output trees to their targets, in order, each shared node computed once.

    Args:
        outputs: (target variable, tree) pairs; a later tree may contain an earlier one,
            which it then reads from its variable.
        printer: the language.
        temporary: the prefix of the variables made for other shared nodes.

    Raises:
        ValueError: a target is overwritten while a later tree still reads its old value.
    """
    uses: dict[int, int] = {}
    seen = set()

    def count(tree: Expr) -> None:
        uses[id(tree)] = uses.get(id(tree), 0) + 1
        if id(tree) in seen:
            return
        seen.add(id(tree))
        for a in _operands(tree):
            if a.kind not in ("name", "const"):
                count(a)

    for _, tree in outputs:
        count(tree)
    assigned: dict[int, str] = {}
    statements: list[Assign] = []

    def hoist(tree: Expr) -> None:
        for a in _operands(tree):
            if id(a) in assigned or a.kind in ("name", "const"):
                continue
            hoist(a)
            if uses[id(a)] > 1:
                variable = f"{temporary}{len(assigned)}"
                statements.append(Assign(variable, printer.print(_substitute(a, assigned))))
                assigned[id(a)] = variable

    for k, (target, tree) in enumerate(outputs):
        if id(tree) in assigned:
            statements.append(Assign(target, assigned[id(tree)]))
            continue
        hoist(tree)
        statements.append(Assign(target, printer.print(_substitute(tree, assigned))))
        assigned[id(tree)] = target
        if any(_reads(later, target, assigned) for _, later in outputs[k + 1 :]):
            raise ValueError(f"the update overwrites {target} before its old value is read")
    return statements


def _names(values: SimpleNamespace) -> SimpleNamespace:
    """The namespace with each value replaced by a variable of its name."""
    return SimpleNamespace(**{key: name(key) for key in vars(values)})


class UpdateCode:
    """An optimizer's update of every parameter as statements, and its state moved in and out of a loop.

    Attributes:
        key: what the generated code depends on (the optimizer and its structure).
        hyper_names, hyper: the hyper-parameters' variables and their current values.
        state: the variables of the optimizer state, the counter or flag first.
    """

    def __init__(self, optimizer: Optimizer, parameters: list[str]):
        if type(optimizer) not in (SGD, Adam):  # a subclass may update otherwise
            raise TypeError(
                f"a compiled training loop needs micrograd44.optim.SGD or Adam, got {optimizer!r}"
            )
        self.parameters = parameters
        self.adam = isinstance(optimizer, Adam)
        self.structure = optimizer.structure()
        hyper = optimizer.hyper()
        self.key = (type(optimizer).__name__, self.structure)
        self.hyper_names = tuple(vars(hyper))
        self.hyper = tuple(vars(hyper).values())
        self._hyper = _names(hyper)
        if self.adam:
            self.state = ["t", *(f"m_{p}" for p in parameters), *(f"v_{p}" for p in parameters)]
        else:
            self.state = ["first", *(f"b_{p}" for p in parameters)] if self.structure.momentum else []

    def read_state(self, optimizer: Optimizer, positions: list[int]) -> list:
        """The loop's state from the optimizer, for the program's parameters at these optimizer positions."""
        if self.adam:
            return [optimizer.t, *(optimizer.m[k] for k in positions), *(optimizer.v[k] for k in positions)]
        if not self.structure.momentum:
            return []
        if optimizer.buffers is None:
            return [True, *([0.0] * len(positions))]
        return [False, *(optimizer.buffers[k] for k in positions)]

    def write_state(self, optimizer: Optimizer, state: Sequence, positions: list[int]) -> None:
        """Store the loop's final state into the optimizer."""
        if self.adam:
            n = len(positions)
            optimizer.t = int(state[0])
            for m, v, k in zip(state[1 : 1 + n], state[1 + n :], positions):
                optimizer.m[k], optimizer.v[k] = m, v
        elif self.structure.momentum and not state[0]:
            buffers = [0.0] * len(positions)
            for b, k in zip(state[1:], positions):
                buffers[k] = b
            optimizer.buffers = buffers

    def step(self, grads: list[str], printer: Printer) -> list:
        """The statements of one update of every parameter from its gradient's variable or literal."""
        if self.adam:
            return self._adam(grads, printer)
        if not self.structure.momentum:
            return self._sgd(grads, printer, first=False)
        return [
            Branch(
                "first",
                [Assign("first", printer.constant(0.0)), *self._sgd(grads, printer, first=True)],
                self._sgd(grads, printer, first=False),
            )
        ]

    def _sgd(self, grads: list[str], printer: Printer, first: bool) -> list[Assign]:
        """sgd_update of every parameter."""
        statements = []
        for p, g in zip(self.parameters, grads):
            value, buffer = sgd_update(
                EXPRESSIONS, self._hyper, self.structure, name(p), name(g), name(f"b_{p}"), first
            )
            outputs = (
                [(f"b_{p}", expr(buffer)), (p, expr(value))] if self.structure.momentum else [(p, value)]
            )
            statements += assignments(outputs, printer, f"d_{p}_")
        return statements

    def _adam(self, grads: list[str], printer: Printer) -> list[Assign]:
        """The step count, adam_shared, then adam_update of every parameter."""
        neg_step_size, correction2_sqrt = adam_shared(EXPRESSIONS, self._hyper, name("t"))
        statements = [
            Assign("t", printer.print(name("t") + 1.0)),
            Assign("neg_step_size", printer.print(neg_step_size)),
            Assign("correction2_sqrt", printer.print(correction2_sqrt)),
        ]
        shared = (name("neg_step_size"), name("correction2_sqrt"))
        for p, g in zip(self.parameters, grads):
            m, v = f"m_{p}", f"v_{p}"
            value, mean, variance = adam_update(
                EXPRESSIONS, self._hyper, self.structure, shared, name(p), name(g), name(m), name(v)
            )
            statements += assignments([(m, mean), (v, variance), (p, value)], printer, f"d_{p}_")
        return statements
