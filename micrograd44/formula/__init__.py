"""Formulas typed as text, such as ``log(1 + sin(x))``, turned into graphs of Values.

``parser`` reads the text into a tree of ``Node`` records: its tokenizer and recursive-descent
parser accept numbers, the given variables, + - * / **, signs, parentheses and the engine's
functions, and nothing else, and every mistake is a ``FormulaError`` that says what is wrong
and at which column. ``Formula.evaluate`` turns the tree into Values for the engine to
differentiate. Nothing is ever handed to Python's ``eval`` or ``exec``.

Example:
    >>> f = parse("log(1 + sin(x))", variables=["x"])
    >>> y = f.evaluate({"x": 0.5})
    >>> round(y.data, 6)
    0.391654
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..core import Value, apply_op, ops
from ..gradcheck import central_differences
from .parser import FUNCTIONS, MAX_DEPTH, MAX_LENGTH, FormulaError, Node, Token, post_order, read, tokenize

# Labels longer than this are shortened in Value labels (pictures and error messages).
_LONGEST_LABEL = 40


@dataclass(frozen=True)
class Formula:
    """A parsed formula, ready to evaluate at any values of its variables.

    Attributes:
        text: the formula as typed.
        tree: the root Node of its parse tree.
        variables: the variable names it may use (those given to ``parse``), sorted.
    """

    text: str
    tree: Node
    variables: tuple[str, ...]

    def evaluate(self, values: Mapping[str, Value | float]) -> Value:
        """Build the formula's graph of Values at the given values of its variables.

        Every Value made for a sub-formula is labelled with its text (shortened when long),
        so pictures and the engine's error messages say which part of the formula a node is.

        Args:
            values: a number or a Value for every variable the formula uses; numbers become
                leaf Values labelled with the variable's name. Pass Values to read their
                gradients after ``backward()``.

        Returns:
            The Value of the whole formula.

        Raises:
            FormulaError: a variable the formula uses has no value.
            OpError: the engine's error when an operation has no valid result (log of a
                negative, division by zero, overflow), naming the op and the sub-formula.

        Example:
            >>> x = Value(0.5, label="x")
            >>> y = parse("x ** 2 / 2", ["x"]).evaluate({"x": x})
            >>> y.backward()
            >>> x.grad
            0.5
        """
        leaves = {}
        for name in _variables_used(self.tree):
            if name not in values:
                raise FormulaError(f"no value for the variable {name!r}")
            value = values[name]
            leaves[name] = value if isinstance(value, Value) else Value(value, label=name)
        # Children before parents, without recursion, whatever the formula's shape.
        results: dict[int, Value] = {}
        for node in post_order(self.tree):
            operands = [results[id(child)] for child in node.children]
            if node.kind == "number":
                results[id(node)] = Value(float(node.text))
            elif node.kind == "variable":
                results[id(node)] = leaves[node.text]
            elif node.kind == "unary" and node.text == "+":
                results[id(node)] = operands[0]
            else:
                exponent_is_constant = node.text == "**" and not _variables_used(node.children[1])
                results[id(node)] = self._apply(node, operands, exponent_is_constant)
        return results[id(self.tree)]

    def _apply(self, node: Node, operands: list[Value], exponent_is_constant: bool) -> Value:
        """A new Value for a call, a minus sign or a binary operator, labelled with its text.

        A power whose exponent holds no variable raises to a plain number, so the exponent
        is no node of the graph (x ** 2 has the single child x, as in the engine).
        """
        if node.kind == "call":
            out = FUNCTIONS[node.text](operands[0])
        elif node.kind == "unary":
            out = -operands[0]
        elif exponent_is_constant:
            out = operands[0] ** operands[1].data
        else:  # + - * / and ** are the op table's ops of those names
            out = apply_op(ops.OPS[node.text], operands)
        out.label = self._label(node)
        return out

    def _label(self, node: Node) -> str:
        """The text of a node's sub-formula, shortened to _LONGEST_LABEL characters."""
        text = " ".join(self.text[node.start - 1 : node.end].split())
        return text if len(text) <= _LONGEST_LABEL else text[: _LONGEST_LABEL - 3] + "..."


def _variables_used(root: Node) -> list[str]:
    """The variable names a tree uses, in order of first appearance."""
    names = [node.text for node in post_order(root) if node.kind == "variable"]
    return list(dict.fromkeys(names))


def parse(text: str, variables: Iterable[str] = ()) -> Formula:
    """Parse a formula in the given variables.

    Args:
        text: the formula, e.g. ``"log(1 + sin(x))"``: numbers, the variables, + - * / **,
            unary - and +, parentheses and the functions in ``FUNCTIONS``.
        variables: the names the formula may use besides the functions; each must be a
            name (letters, digits, _) that is not a function's.

    Returns:
        The Formula.

    Raises:
        FormulaError: the formula cannot be read; the message says what is wrong and at
            which column (``unknown name 'os' at column 1 (...)``), or names the bad
            variable.

    Example:
        >>> str(parse("-x ** 2 ** 3", ["x"]).tree)
        '(-(x ** (2 ** 3)))'
    """
    names = tuple(variables)
    return Formula(text, read(text, names), tuple(sorted(set(names))))


def central_difference(formula: Formula, values: Mapping[str, float], name: str, eps: float = 1e-6) -> float:
    """d(formula)/d(name) estimated as (f(v + eps) - f(v - eps)) / (2 eps), the others held fixed.

    Args:
        formula: the parsed formula.
        values: a number for every variable the formula uses.
        name: the variable to move.
        eps: how far to move it either way (> 0).

    Returns:
        The estimate, a float.

    Raises:
        OpError: the engine's error when v + eps or v - eps leaves the formula's domain
            (sqrt(x) at x = 0, for instance).

    Example:
        >>> f = parse("x ** 3", ["x"])
        >>> round(central_difference(f, {"x": 2.0}, "x"), 6)
        12.0
    """
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps!r}")
    leaves = [Value(value, label=variable) for variable, value in values.items()]
    (estimate,) = central_differences(
        lambda *xs: formula.evaluate(dict(zip(values, xs))), leaves, list(values).index(name), eps
    )
    return estimate


__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "Formula",
    "FormulaError",
    "Node",
    "Token",
    "central_difference",
    "parse",
    "tokenize",
]
