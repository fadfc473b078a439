"""Formula text to a tree of Nodes: a tokenizer, then a recursive-descent parser.

Nothing of a formula is handed to Python's ``eval`` or ``exec``, and no name is looked up in
Python: the only names a formula may use are the variables it is given and the engine's
functions (``FUNCTIONS``, the op table's unary ops). Every mistake is a ``FormulaError``
that says what is wrong and at which column.

The grammar, loosest binding first (the same precedence as Python)::

    formula := sum
    sum     := product (("+" | "-") product)*        left-associative
    product := unary (("*" | "/") unary)*             left-associative
    unary   := ("-" | "+") unary | power              -x ** 2 is -(x ** 2)
    power   := primary ("**" unary)?                  right-associative: 2 ** 3 ** 2 is 2 ** 9
    primary := NUMBER | VARIABLE | FUNCTION "(" sum ")" | "(" sum ")"

Numbers are decimal (``2``, ``0.5``, ``.5``, ``1e-3``). Input length and nesting depth
are bounded (``MAX_LENGTH``, ``MAX_DEPTH``), so no input can exhaust the stack.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from ..core import Value, ops

# function name -> the Value method that applies it: the op table's unary ops are the only
# functions a formula may call
FUNCTIONS = {name: getattr(Value, name) for name in ops.UNARY}

# The longest formula accepted, in characters.
MAX_LENGTH = 1000

# The deepest nesting accepted: each parenthesis, function call, unary sign and exponent
# opens one level.
MAX_DEPTH = 50

_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_OPERATORS = ("**", "+", "-", "*", "/", "(", ")", ",")
_SPACE = " \t\r\n"


class FormulaError(ValueError):
    """A formula that cannot be read, or a variable missing at evaluation.

    Attributes:
        column: the 1-based column of the problem in the formula, or None when the problem
            is the formula as a whole (empty, too long) or a missing value.
    """

    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class Token:
    """One piece of a formula: its kind ("number", "name", "operator" or "end"), text and column."""

    kind: str
    text: str
    column: int


@dataclass(frozen=True, eq=False)
class Node:
    """One node of a parsed formula.

    Attributes:
        kind: "number", "variable", "call" (a function applied to one argument),
            "unary" (a sign) or "binary" (+ - * / **).
        text: the number as written, the variable or function name, or the operator.
        children: the operands, in order (none for numbers and variables).
        start, end: the 1-based columns of the node's first and last character in the formula
            (a sub-formula in parentheses spans them).

    Nodes compare by identity; ``str(node)`` shows the grouping the parser chose.
    """

    kind: str
    text: str
    children: tuple[Node, ...]
    start: int
    end: int

    def __str__(self) -> str:
        """The node fully parenthesised: ``-x ** 2`` gives ``(-(x ** 2))``."""
        shown: dict[int, str] = {}
        for node in post_order(self):
            parts = [shown.pop(id(child)) for child in node.children]
            if node.kind in ("number", "variable"):
                shown[id(node)] = node.text
            elif node.kind == "call":
                shown[id(node)] = f"{node.text}({parts[0]})"
            elif node.kind == "unary":
                shown[id(node)] = f"({node.text}{parts[0]})"
            else:
                shown[id(node)] = f"({parts[0]} {node.text} {parts[1]})"
        return shown[id(self)]

    def __repr__(self) -> str:
        return f"Node({self.kind!r}, {self.text!r}, columns {self.start}-{self.end})"


def tokenize(text: str, names: Iterable[str]) -> list[Token]:
    """Split a formula into tokens, checking every character and every name.

    Args:
        text: the formula.
        names: the names it may use besides ``FUNCTIONS`` (its variables).

    Returns:
        The tokens, ending with a token of kind "end".

    Raises:
        FormulaError: the formula is too long, or holds a character or a name that is
            not allowed; the message gives the column.
    """
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is {len(text)} characters long; the limit is {MAX_LENGTH}")
    allowed = set(names) | set(FUNCTIONS)
    tokens = []
    i = 0
    while i < len(text):
        column = i + 1
        if text[i] in _SPACE:
            i += 1
            continue
        number = _NUMBER.match(text, i)
        name = _NAME.match(text, i)
        if number:
            tokens.append(Token("number", number.group(), column))
            i = number.end()
        elif name:
            if name.group() not in allowed:
                raise FormulaError(
                    f"unknown name {name.group()!r} at column {column} ({_known_names(names)})", column
                )
            tokens.append(Token("name", name.group(), column))
            i = name.end()
        elif text.startswith("**", i):
            tokens.append(Token("operator", "**", column))
            i += 2
        elif text[i] in _OPERATORS:
            tokens.append(Token("operator", text[i], column))
            i += 1
        else:
            raise FormulaError(_bad_character(text, i), column)
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _known_names(variables: Iterable[str]) -> str:
    """The names a formula may use, for error messages."""
    variables = sorted(set(variables))
    listed = f"variables: {', '.join(variables)}; " if variables else "no variables; "
    return listed + f"functions: {', '.join(sorted(FUNCTIONS))}"


def _bad_character(text: str, i: int) -> str:
    """Why the character at index i is refused, with its column."""
    character, column = text[i], i + 1
    if character == ".":
        return f"'.' at column {column}: attribute access is not allowed (numbers are written 0.5 or .5)"
    if character == "^":
        return f"'^' at column {column}: write powers with ** (x ** 2)"
    if character in "'\"":
        return f"quote at column {column}: a formula has no strings"
    return f"unexpected character {character!r} at column {column}"


class _Parser:
    """Recursive descent over the tokens, one method per rule of the grammar."""

    def __init__(self, tokens: list[Token], variables: frozenset[str]):
        self.tokens = tokens
        self.variables = variables
        self.position = 0
        self.depth = 0

    @property
    def token(self) -> Token:
        """The next token, not yet consumed."""
        return self.tokens[self.position]

    def advance(self) -> Token:
        """Consume the next token and return it."""
        token = self.token
        self.position += 1
        return token

    def at(self, *operators: str) -> bool:
        """True when the next token is one of the operators."""
        return self.token.kind == "operator" and self.token.text in operators

    @contextlib.contextmanager
    def nested(self, column: int) -> Iterator[None]:
        """One level of nesting, left again at the end of the block; FormulaError past MAX_DEPTH."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError(f"nesting deeper than {MAX_DEPTH} levels at column {column}", column)
        yield
        self.depth -= 1

    def formula(self) -> Node:
        """formula := sum, then the end of the tokens."""
        if self.token.kind == "end":
            raise FormulaError("the formula is empty")
        node = self.sum()
        if self.token.kind != "end":
            raise FormulaError(f"{_describe(self.token)}: expected an operator or the end", self.token.column)
        return node

    def sum(self) -> Node:
        """sum := product (("+" | "-") product)*"""
        node = self.product()
        while self.at("+", "-"):
            operator = self.advance().text
            node = _binary(operator, node, self.product())
        return node

    def product(self) -> Node:
        """product := unary (("*" | "/") unary)*"""
        node = self.unary()
        while self.at("*", "/"):
            operator = self.advance().text
            node = _binary(operator, node, self.unary())
        return node

    def unary(self) -> Node:
        """unary := ("-" | "+") unary | power"""
        if not self.at("-", "+"):
            return self.power()
        sign = self.advance()
        with self.nested(sign.column):
            operand = self.unary()
        return Node("unary", sign.text, (operand,), sign.column, operand.end)

    def power(self) -> Node:
        """power := primary ("**" unary)?  (the exponent may hold another power: right-associative)"""
        base = self.primary()
        if not self.at("**"):
            return base
        with self.nested(self.advance().column):
            exponent = self.unary()
        return _binary("**", base, exponent)

    def primary(self) -> Node:
        """primary := NUMBER | VARIABLE | FUNCTION "(" sum ")" | "(" sum ")" """
        token = self.advance()
        if token.kind == "number":
            return self.number(token)
        if token.kind == "name" and token.text in self.variables:
            if self.at("("):
                raise FormulaError(
                    f"{token.text!r} at column {token.column} is a variable, not a function", token.column
                )
            return Node("variable", token.text, (), token.column, token.column + len(token.text) - 1)
        if token.kind == "name":
            return self.call(token)
        if token.kind == "operator" and token.text == "(":
            with self.nested(token.column):
                inner = self.sum()
            end = self.close(token)
            # the group spans its parentheses, so that a label never shows only one of them
            return replace(inner, start=token.column, end=end)
        raise FormulaError(
            f"{_describe(token)}: expected a number, a variable, a function or '('", token.column
        )

    def number(self, token: Token) -> Node:
        """A number Node; FormulaError for one too large for a float."""
        value = float(token.text)
        if not math.isfinite(value):
            raise FormulaError(f"number {token.text!r} at column {token.column} is too large", token.column)
        return Node("number", token.text, (), token.column, token.column + len(token.text) - 1)

    def call(self, function: Token) -> Node:
        """FUNCTION "(" sum ")", the function name already read."""
        if not self.at("("):
            raise FormulaError(
                f"{function.text!r} at column {function.column} is a function: write {function.text}(...)",
                function.column,
            )
        opening = self.advance()
        with self.nested(opening.column):
            argument = self.sum()
        if self.at(","):
            raise FormulaError(
                f"',' at column {self.token.column}: {function.text} takes one argument", self.token.column
            )
        end = self.close(opening)
        return Node("call", function.text, (argument,), function.column, end)

    def close(self, opening: Token) -> int:
        """Consume the ')' matching the '(' at ``opening``; its column."""
        if not self.at(")"):
            raise FormulaError(
                f"{_describe(self.token)}: expected ')' to close the '(' at column {opening.column}",
                self.token.column,
            )
        return self.advance().column


def _binary(operator: str, left: Node, right: Node) -> Node:
    """A binary Node spanning both operands."""
    return Node("binary", operator, (left, right), left.start, right.end)


def _describe(token: Token) -> str:
    """A token as error messages name it."""
    if token.kind == "end":
        return f"end of the formula at column {token.column}"
    return f"{token.text!r} at column {token.column}"


def post_order(root: Node) -> list[Node]:
    """Every node below root, each after its children, without recursion."""
    order, stack = [], [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.children))
    return order


def read(text: str, variables: tuple[str, ...]) -> Node:
    """The parse tree of a formula in the given variables.

    Args:
        text: the formula.
        variables: the names it may use besides the functions.

    Returns:
        The root Node.

    Raises:
        TypeError: text is not a str.
        FormulaError: the formula cannot be read, or a variable is not a name or is a
            function's name.
    """
    if not isinstance(text, str):
        raise TypeError(f"a formula is a str, got {type(text).__name__}")
    for name in variables:
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise FormulaError(f"variable name {name!r} is not a name (letters, digits and _)")
        if name in FUNCTIONS:
            raise FormulaError(f"variable name {name!r} is the name of a function")
    return _Parser(tokenize(text, variables), frozenset(variables)).formula()
