"""Statements: expression trees assigned to variables, and written as lines of any language.

An update (``micrograd44.optim``) evaluated on expressions gives a tree per output; a node
it reuses (the decayed gradient, the new momentum buffer) is the same tree object in
several places. ``assignments`` assigns such a node once to a variable and reads it from
there, so every value is computed once, in the order the update computes it. A language
spells the statements with a ``Syntax`` (``python.PYTHON_SYNTAX``, ``c.C_SYNTAX``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from types import SimpleNamespace

from .expr import Expr, Printer, name


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


@dataclasses.dataclass(frozen=True)
class Syntax:
    """How a language spells the statements: an assignment, and the lines around a branch's two arms."""

    assign: str  # formatted with target and source
    branch: str  # formatted with condition
    otherwise: str  # as it is
    end: str | None  # as it is, after the second arm, where the language closes a block


def lines_of(statements: Sequence, syntax: Syntax) -> list[str]:
    """The statements as lines of a language, each arm of a branch indented by four spaces."""
    lines = []
    for statement in statements:
        if isinstance(statement, Assign):
            lines.append(syntax.assign.format(target=statement.target, source=statement.source))
            continue
        lines.append(syntax.branch.format(condition=statement.condition))
        lines += ["    " + line for line in lines_of(statement.then, syntax)]
        lines.append(syntax.otherwise)
        lines += ["    " + line for line in lines_of(statement.otherwise, syntax)]
        if syntax.end is not None:
            lines.append(syntax.end)
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


def variables(names: Iterable[str]) -> SimpleNamespace:
    """A namespace holding, under each name, the variable of that name (``h.lr`` is ``name("lr")``)."""
    return SimpleNamespace(**{key: name(key) for key in names})
