"""Formulas typed as text, such as ``log(1 + sin(x))``, turned into graphs of Values.

Python's own parser (``ast.parse``) reads the formula; nothing else of Python is used. Its
tree is walked against an allow-list of node types (numbers, the formula's variables, the
signs, + - * / ** and calls of the engine's functions by plain name) and turned into ``Node``
records, which ``Formula.evaluate`` turns into Values for the engine to differentiate.
Nothing is handed to ``eval`` or ``exec``, and no name is looked up in Python: the only names
a formula may use are the variables it is given and the engine's functions (``FUNCTIONS``).

Before Python's parser sees the text, two cheap passes give every mistake a one-line
``FormulaError`` that says what is wrong and at which column: ``tokenize`` refuses any
character or name a formula cannot hold, and ``_check_order`` refuses tokens out of place,
unbalanced parentheses and nesting past ``MAX_DEPTH``. So the parser only ever reads a formula
of the grammar below, never nested deeper than MAX_DEPTH levels, and the allow-list is a
second wall that refuses anything else the parser might return.

The grammar, loosest binding first (Python's own precedence)::

    formula := sum
    sum     := product (("+" | "-") product)*        left-associative
    product := unary (("*" | "/") unary)*             left-associative
    unary   := ("-" | "+") unary | power              -x ** 2 is -(x ** 2)
    power   := primary ("**" unary)?                  right-associative: 2 ** 3 ** 2 is 2 ** 9
    primary := NUMBER | VARIABLE | FUNCTION "(" sum ")" | "(" sum ")"

Numbers are decimal (``2``, ``0.5``, ``.5``, ``1e-3``). Input length and nesting depth
are bounded (``MAX_LENGTH``, ``MAX_DEPTH``), so no input can exhaust the stack.

Example:
    >>> f = parse("log(1 + sin(x))", variables=["x"])
    >>> y = f.evaluate({"x": 0.5})
    >>> round(y.data, 6)
    0.391654
"""

from __future__ import annotations

import ast
import keyword
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .core import Value, ops

# function name -> the Value method that applies it: the op table's unary ops are the only
# functions a formula may call
FUNCTIONS = {name: getattr(Value, name) for name in ops.UNARY}

# The longest formula accepted, in characters.
MAX_LENGTH = 1000

# The deepest nesting accepted: each parenthesis, function call, unary sign and exponent
# opens one level.
MAX_DEPTH = 50

# Labels longer than this are shortened in Value labels (pictures and error messages).
_LONGEST_LABEL = 40

_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_OPERATORS = ("**", "+", "-", "*", "/", "(", ")", ",")
_SPACE = " \t\r\n"
_TO_SPACE = str.maketrans("\t\r\n", "   ")

# The node types of Python's tree that a formula may hold, with the symbol each is written with.
_SIGNS = {ast.UAdd: "+", ast.USub: "-"}
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


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
        start, end: the 1-based columns of the node's first and last character in the formula.

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
        for node in _post_order(self):
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


def _describe(token: Token) -> str:
    """A token as error messages name it."""
    if token.kind == "end":
        return f"end of the formula at column {token.column}"
    return f"{token.text!r} at column {token.column}"


def _check_order(tokens: list[Token], variables: frozenset[str]) -> None:
    """Refuse, at its column, the first token that is out of place in the grammar.

    Operands (a number, a variable, a call or a formula in parentheses) and the binary
    operators alternate, with any number of signs before an operand; a function's name is
    followed by "(", a variable's is not; parentheses balance; and nesting stays within
    MAX_DEPTH levels, where each "(", unary sign and ** opens one. A formula that passes is
    one of the grammar, which Python's parser reads as the module docstring says.
    """
    if tokens[0].kind == "end":
        raise FormulaError("the formula is empty")
    opened: list[tuple[Token, str]] = []  # each "(" not yet closed, with the function it calls ("" if none)
    signs = [0]  # per open "(": its unary signs and ** whose operand has not ended yet
    depth = 0
    previous = None  # the token before the current one
    operand_next = True  # an operand, or a sign before one, must come next
    function = None  # the function's name token when the previous token is one
    for token in tokens:
        symbol = token.text if token.kind == "operator" else token.kind
        if function is not None and symbol != "(":
            raise FormulaError(
                f"{function.text!r} at column {function.column} is a function: write {function.text}(...)",
                function.column,
            )
        if operand_next and symbol not in ("number", "name", "(", "+", "-"):
            raise FormulaError(
                f"{_describe(token)}: expected a number, a variable, a function or '('", token.column
            )
        if not operand_next and function is None:
            if symbol == "(" and previous.kind == "name":
                raise FormulaError(
                    f"{previous.text!r} at column {previous.column} is a variable, not a function",
                    previous.column,
                )
            closes = symbol == ")" and opened
            ends = symbol == "end" and not opened
            if not (symbol in ("+", "-", "*", "/", "**") or closes or ends):
                raise FormulaError(_misplaced(token, opened), token.column)
        if symbol == "number":
            _check_number(token)
        if symbol in ("(", "**") or (operand_next and symbol in ("+", "-")):
            depth += 1
            if depth > MAX_DEPTH:
                raise FormulaError(
                    f"nesting deeper than {MAX_DEPTH} levels at column {token.column}", token.column
                )
            if symbol == "(":
                opened.append((token, function.text if function else ""))
                signs.append(0)
            else:
                signs[-1] += 1
        elif symbol in ("+", "-", "*", "/"):  # a binary operator ends the signs and ** before it
            depth -= signs[-1]
            signs[-1] = 0
        elif symbol == ")":
            depth -= signs.pop() + 1
            opened.pop()
        function = token if symbol == "name" and token.text not in variables else None
        operand_next = symbol not in ("number", "name", ")")
        previous = token


def _misplaced(token: Token, opened: list[tuple[Token, str]]) -> str:
    """Why a token that follows a whole operand is out of place."""
    if not opened:
        return f"{_describe(token)}: expected an operator or the end"
    parenthesis, function = opened[-1]
    if token.text == "," and function:
        return f"',' at column {token.column}: {function} takes one argument"
    return f"{_describe(token)}: expected ')' to close the '(' at column {parenthesis.column}"


def _check_number(token: Token) -> None:
    """FormulaError for a number too large for a float, or one Python reads as an error (01)."""
    if not math.isfinite(float(token.text)):
        raise FormulaError(f"number {token.text!r} at column {token.column} is too large", token.column)
    if re.fullmatch(r"0+[1-9][0-9]*", token.text):
        raise FormulaError(
            f"number {token.text!r} at column {token.column}: a whole number cannot start with 0",
            token.column,
        )


def _read(text: str, variables: frozenset[str]) -> Node:
    """The Node tree of a formula that passed _check_order, read by Python's parser.

    Every node of Python's tree must be of a type on the allow-list (``_allowed``); any other
    is refused before a single Value is made. The walk keeps its own stack: it never recurses.
    """
    # Tabs and line breaks become spaces and the formula goes in parentheses, so that Python
    # reads one line with no indent; a node's col_offset is then its 1-based column in text.
    source = "(" + text.translate(_TO_SPACE) + ")"
    try:
        body = ast.parse(source, mode="eval").body
    except (SyntaxError, RecursionError, MemoryError, ValueError) as error:
        reason = getattr(error, "msg", None) or str(error) or type(error).__name__
        raise FormulaError(f"Python's parser cannot read the formula: {reason}") from None
    built: dict[int, Node] = {}
    stack: list[tuple[ast.expr, tuple[str, str, list[ast.expr]] | None]] = [(body, None)]
    while stack:
        node, parts = stack.pop()
        if parts is None:  # first visit: check the node, then build its operands before it
            parts = _allowed(node, source, variables)
            stack.append((node, parts))
            stack.extend((operand, None) for operand in parts[2])
            continue
        kind, symbol, operands = parts
        children = tuple(built.pop(id(operand)) for operand in operands)
        built[id(node)] = Node(kind, symbol, children, node.col_offset, node.end_col_offset - 1)
    return built[id(body)]


def _allowed(node: ast.expr, source: str, variables: frozenset[str]) -> tuple[str, str, list[ast.expr]]:
    """(kind, text, operands) for the Node of a node of Python's tree, if its type is allowed.

    The allow-list: a number (an int or float constant), a variable of the formula, a sign
    (+x, -x), one of + - * / ** between two operands, and a function of FUNCTIONS called by
    its plain name on one positional argument. Any other node (attribute access, subscripts,
    strings, lambdas, comprehensions, comparisons, keyword or starred arguments, unknown
    names, ...) is a FormulaError naming it and its column.
    """
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return "number", source[node.col_offset : node.end_col_offset], []
    if isinstance(node, ast.Name) and node.id in variables:
        return "variable", node.id, []
    if isinstance(node, ast.UnaryOp) and type(node.op) in _SIGNS:
        return "unary", _SIGNS[type(node.op)], [node.operand]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return "binary", _BINARY[type(node.op)], [node.left, node.right]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in FUNCTIONS
        and len(node.args) == 1
        and not isinstance(node.args[0], ast.Starred)
        and not node.keywords
    ):
        return "call", node.func.id, node.args
    shown = ast.get_source_segment(source, node)
    raise FormulaError(
        f"{shown!r} at column {node.col_offset}: a formula cannot hold a {type(node).__name__} node",
        node.col_offset,
    )


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
        constant: dict[int, bool] = {}
        for node in _post_order(self.tree):
            operands = [results[id(child)] for child in node.children]
            constant[id(node)] = node.kind != "variable" and all(constant[id(c)] for c in node.children)
            if node.kind == "number":
                results[id(node)] = Value(float(node.text))
            elif node.kind == "variable":
                results[id(node)] = leaves[node.text]
            elif node.kind == "unary" and node.text == "+":
                results[id(node)] = operands[0]
            else:
                exponent_is_constant = node.text == "**" and constant[id(node.children[1])]
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
        else:
            left, right = operands
            if node.text == "+":
                out = left + right
            elif node.text == "-":
                out = left - right
            elif node.text == "*":
                out = left * right
            elif node.text == "/":
                out = left / right
            else:
                out = left ** (right.data if exponent_is_constant else right)
        out.label = self._label(node)
        return out

    def _label(self, node: Node) -> str:
        """The text of a node's sub-formula, shortened to _LONGEST_LABEL characters."""
        text = " ".join(self.text[node.start - 1 : node.end].split())
        return text if len(text) <= _LONGEST_LABEL else text[: _LONGEST_LABEL - 3] + "..."


def _post_order(root: Node) -> list[Node]:
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


def _variables_used(root: Node) -> list[str]:
    """The variable names a tree uses, in order of first appearance."""
    names = [node.text for node in _post_order(root) if node.kind == "variable"]
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
    if not isinstance(text, str):
        raise TypeError(f"a formula is a str, got {type(text).__name__}")
    names = tuple(variables)
    for name in names:
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise FormulaError(f"variable name {name!r} is not a name (letters, digits and _)")
        if name in FUNCTIONS:
            raise FormulaError(f"variable name {name!r} is the name of a function")
        if keyword.iskeyword(name):
            raise FormulaError(f"variable name {name!r} is a Python keyword")
    _check_order(tokenize(text, names), frozenset(names))
    return Formula(text, _read(text, frozenset(names)), tuple(sorted(set(names))))


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
    moved = dict(values)
    moved[name] = values[name] + eps
    above = formula.evaluate(moved).data
    moved[name] = values[name] - eps
    below = formula.evaluate(moved).data
    return (above - below) / (2.0 * eps)


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
