"""Expressions: the op table's rules evaluated symbolically, and the printer every language shares.

``EXPRESSIONS`` is a vocabulary (see ``micrograd44.core.ops``) whose numbers are ``Expr``
trees: a rule evaluated with it records what it computes instead of computing it. A
``Printer`` then writes the tree in one language (``python``, ``arrays`` for numpy,
``c``), with the operations in exactly the order the rule performs them: the printer never
reassociates, folds or fuses anything, so the printed code rounds as the engine does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import SimpleNamespace

from ..core.ops import MASKED, VOCABULARY

# Operators by precedence, loosest first (Python's order; C's agrees for these).
_PRECEDENCE = {"or": 1, "and": 2, ">": 3, ">=": 3, "==": 3, "!=": 3, "+": 4, "-": 4, "*": 5, "/": 5, "neg": 6}
_POWER, _ATOM = 7, 8

# Expressions deeper than this are split into statements (CPython's compiler recurses per level).
MAX_DEPTH = 60


class Expr:
    """A node of an expression tree: an operator, a call of a vocabulary function, a name or a constant.

    Attributes:
        kind: "name", "const", "masked" (ops.MASKED), "call", "where", "neg" or a binary
            operator ("+", ">", "and", ...).
        args: the name (str) or constant (float) for leaves; the operands otherwise, and
            for "call" the function's name first.
        depth: 1 for a leaf, else one more than the deepest operand.
    """

    __slots__ = ("kind", "args", "depth")

    def __init__(self, kind: str, *args):
        self.kind = kind
        self.args = args
        operands = args[1:] if kind == "call" else args
        depths = [a.depth for a in operands if isinstance(a, Expr)]
        if kind == "call" and args[0] == "fsum":
            depths = [a.depth for a in args[1]]
        self.depth = 1 + max(depths, default=0)

    def __repr__(self) -> str:
        return f"Expr({self.kind!r}, {', '.join(map(repr, self.args))})"

    def __add__(self, other):
        return Expr("+", self, expr(other))

    def __radd__(self, other):
        return Expr("+", expr(other), self)

    def __sub__(self, other):
        return Expr("-", self, expr(other))

    def __rsub__(self, other):
        return Expr("-", expr(other), self)

    def __mul__(self, other):
        return Expr("*", self, expr(other))

    def __rmul__(self, other):
        return Expr("*", expr(other), self)

    def __truediv__(self, other):
        return Expr("/", self, expr(other))

    def __rtruediv__(self, other):
        return Expr("/", expr(other), self)

    def __pow__(self, other):
        return Expr("**", self, expr(other))

    def __rpow__(self, other):
        return Expr("**", expr(other), self)

    def __neg__(self):
        return Expr("neg", self)


def expr(x) -> Expr:
    """x as an expression: an Expr as it is, a number as a constant."""
    if isinstance(x, Expr):
        return x
    if x is MASKED:
        return Expr("masked")
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"an expression operand must be a number or an Expr, got {type(x).__name__}")
    return Expr("const", float(x))


def name(text: str) -> Expr:
    """A variable of the generated code."""
    return Expr("name", text)


def _call(function: str) -> Callable:
    """The vocabulary entry that records a call of ``function``."""
    return lambda *args: Expr("call", function, *map(expr, args))


def _operator(operator: str) -> Callable:
    """The vocabulary entry that records a comparison or a logical operator."""
    return lambda a, b: Expr(operator, expr(a), expr(b))


_OPERATORS = {"gt": ">", "ge": ">=", "eq": "==", "ne": "!=", "and_": "and", "or_": "or"}

EXPRESSIONS = SimpleNamespace(
    **{function: _call(function) for function in VOCABULARY if function not in _OPERATORS},
    **{function: _operator(operator) for function, operator in _OPERATORS.items()},
)
EXPRESSIONS.fsum = lambda terms: Expr("call", "fsum", tuple(map(expr, terms)))
EXPRESSIONS.where = lambda condition, a, b: Expr("where", expr(condition), expr(a), expr(b))


class Printer:
    """Writes expressions as source code of one language.

    Subclasses say how a constant, a call, a conditional and each operator are spelled;
    parentheses follow the operators' precedence, so the printed code evaluates every
    operation in the order of the tree (left to right within one precedence level).
    """

    # vocabulary function -> the name called in the generated code (default: the same name)
    functions: dict[str, str] = {}
    # operator -> its spelling, where it differs from Python's
    operators: dict[str, str] = {}
    # "and"/"or" -> a function called instead of the operator (numpy's & and | bind tighter than >)
    logical_functions: dict[str, str] = {}

    def constant(self, value: float) -> str:
        raise NotImplementedError

    def call(self, function: str, args: list[str]) -> str:
        return f"{self.functions.get(function, function)}({', '.join(args)})"

    def fsum(self, terms: list[str]) -> str:
        raise NotImplementedError

    def where(self, condition: str, if_true: str, if_false: str) -> str:
        raise NotImplementedError

    def power(self, base: str, exponent: str) -> str:
        return f"{base} ** {exponent}"

    def divide(self, numerator: str, denominator: str) -> str:
        return f"{numerator} / {denominator}"

    def negate(self, condition: str) -> str:
        """The condition's opposite."""
        raise NotImplementedError

    def print(self, tree: Expr) -> str:
        """The expression as source text (its depth must be at most MAX_DEPTH, see ``statements``)."""
        return self._print(tree)[0]

    def _print(self, tree: Expr) -> tuple[str, int]:
        """(source, precedence of its outermost operation)."""
        kind, args = tree.kind, tree.args
        if kind == "name":
            return args[0], _ATOM
        if kind == "const":
            return self.constant(args[0]), _ATOM
        if kind == "masked":
            raise ValueError("ops.MASKED can only be a whole local derivative or a branch of where()")
        if kind == "call":
            if args[0] == "fsum":
                return self.fsum([self.print(t) for t in args[1]]), _ATOM
            return self.call(args[0], [self.print(a) for a in args[1:]]), _ATOM
        if kind == "where":
            return self.where(*(self.print(a) for a in args)), _ATOM
        if kind == "neg":
            operand, precedence = self._print(args[0])
            return f"-{self._wrap(operand, precedence, _ATOM)}", _PRECEDENCE["neg"]
        if kind in self.logical_functions:
            return self.call(self.logical_functions[kind], [self.print(a) for a in args]), _ATOM
        left, left_precedence = self._print(args[0])
        right, right_precedence = self._print(args[1])
        if kind == "**":
            return self.power(
                self._wrap(left, left_precedence, _ATOM), self._wrap(right, right_precedence, _ATOM)
            ), _POWER
        precedence = _PRECEDENCE[kind]
        if kind == "/":
            left = self._wrap(left, left_precedence, precedence)
            return self.divide(left, self._wrap(right, right_precedence, precedence + 1)), precedence
        # comparisons do not chain: a > b > c would mean (a > b) and (b > c) in Python
        left = self._wrap(left, left_precedence, precedence + (precedence == _PRECEDENCE[">"]))
        right = self._wrap(right, right_precedence, precedence + 1)
        return f"{left} {self.operators.get(kind, kind)} {right}", precedence

    @staticmethod
    def _wrap(source: str, precedence: int, needed: int) -> str:
        """source in parentheses unless its precedence is at least ``needed``."""
        return source if precedence >= needed else f"({source})"

    def statements(self, tree: Expr, target: str) -> list[str]:
        """The expression as one or more source expressions, each assigned to ``target`` in turn.

        A tree deeper than MAX_DEPTH (the left-nested sum of a wide neuron) is cut along
        its left spine: the first statement computes the deepest part, and each next one
        continues from ``target``. The operations and their order stay the same.
        """
        parts = []
        while tree.depth > MAX_DEPTH:
            path = [tree]
            while path[-1].depth > MAX_DEPTH:
                left = path[-1].args[0]
                # cutting the left spine makes the tree shallower only where the left operand is deepest
                if not (isinstance(left, Expr) and left.depth + 1 == path[-1].depth):
                    raise ValueError("an expression too deep to print is nested on its right")
                path.append(left)
            parts.append(self.print(path[-1]))
            tree = _replace_left(path, name(target))
        parts.append(self.print(tree))
        return parts


def _replace_left(path: Sequence[Expr], replacement: Expr) -> Expr:
    """The tree path[0] with its descendant path[-1] (down the left operands) replaced."""
    node = replacement
    for parent in reversed(path[:-1]):
        node = Expr(parent.kind, node, *parent.args[1:])
    return node
