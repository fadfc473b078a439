"""Python on floats: the printer, the statements' syntax, the functions' namespace, and ``define``.

The printed code calls the very functions the engine calls (the math module and the op
table's helpers, in the same order of operations), so it gives the engine's numbers.
Generated code sees the names bound in ``SCALAR_NAMESPACE``; ``define`` compiles it.
"""

from __future__ import annotations

import itertools
import linecache
import math
import weakref
from collections.abc import Callable, Iterable, Sequence

from ..core import ops
from ..core.ieee import ieee_divide, ieee_power
from ..core.slopes import IEEE_FUNCTIONS
from .expr import Printer
from .statements import Syntax, lines_of


def python_literal(value: float) -> str:
    """A float as Python source ("(-1.5)" in parentheses, "inf", "nan")."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "(-inf)"
    text = repr(value)
    return f"({text})" if text.startswith("-") else text


class PythonPrinter(Printer):
    """Python on floats: the math module's functions, conditionals that raise where the engine would.

    With ``ieee``, the operations that raise in Python where IEEE 754 gives inf or nan
    (``1.0 / 0.0``, ``0.0 ** -0.5``, ``log(0.0)``) call total versions instead, as the
    engine does for local derivatives; the results are the same wherever Python's do not raise.
    """

    def __init__(self, ieee: bool = False):
        self.ieee = ieee
        self.functions = {name: f"ieee_{name}" for name in IEEE_FUNCTIONS} if ieee else {}

    def constant(self, value: float) -> str:
        return python_literal(value)

    def fsum(self, terms: list[str]) -> str:
        return f"fsum(({', '.join(terms)},))"

    def where(self, condition: str, if_true: str, if_false: str) -> str:
        return f"({if_true} if {condition} else {if_false})"

    def negate(self, condition: str) -> str:
        return f"not ({condition})"

    def divide(self, numerator: str, denominator: str) -> str:
        value = _literal(denominator)
        if self.ieee and (value is None or value == 0.0):  # a division by a non-zero literal cannot raise
            return f"ieee_divide({numerator}, {denominator})"
        return f"{numerator} / {denominator}"

    def power(self, base: str, exponent: str) -> str:
        value = _literal(exponent)
        # x ** n for a literal n >= 0 cannot raise in a slope: it is at most x ** (n + 1),
        # which the forward pass computed
        if self.ieee and (value is None or value < 0.0):
            return f"ieee_power({base}, {exponent})"
        return f"{base} ** {exponent}"

    def guarded(self, forward: str, checks: list[str]) -> str:
        """forward where every check holds; EagerWouldRaise otherwise."""
        if not checks:
            return forward
        return f"({forward} if {' and '.join(f'({c})' for c in checks)} else engine_would_raise())"

    def masked(self, condition: str, contribution: str) -> str:
        """contribution where condition holds, else 0.0."""
        return f"({contribution} if {condition} else 0.0)"


PYTHON = PythonPrinter()
# the local derivatives, computed as the engine computes them: inf or nan where Python raises
PYTHON_SLOPES = PythonPrinter(ieee=True)


def _literal(source: str) -> float | None:
    """The number a literal's source stands for; None for anything else (a name, an expression)."""
    try:
        return float(source.strip("()"))
    except ValueError:
        return None


PYTHON_SYNTAX = Syntax("{target} = {source}", "if {condition}:", "else:", None)


def python_lines(statements: Sequence) -> list[str]:
    """The statements as lines of Python."""
    return lines_of(statements, PYTHON_SYNTAX)


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


class EagerWouldRaise(ArithmeticError):
    """Raised by generated code where the engine raises (the engine then replays the step to say why)."""


def _engine_would_raise() -> float:
    """Raise EagerWouldRaise; usable in expressions: ``log(x) if x > 0.0 else engine_would_raise()``."""
    raise EagerWouldRaise


SCALAR_NAMESPACE = {
    "inf": math.inf,
    "nan": math.nan,
    **{function: getattr(ops.FLOATS, function) for function in ops.VOCABULARY},
    **{f"ieee_{function}": total for function, total in IEEE_FUNCTIONS.items()},
    "ieee_divide": ieee_divide,
    "ieee_power": ieee_power,
    "isfinite": math.isfinite,
    "engine_would_raise": _engine_would_raise,
}


_serial = itertools.count()


def define(name: str, arguments: list[str], body: list[str], namespace: dict) -> tuple[Callable, str]:
    """Compile ``def name(arguments): body`` in a copy of the namespace; the function and its source.

    The source is registered with linecache while the function lives, so tracebacks
    through it show the generated lines; it is removed when the function is freed.
    """
    source = f"def {name}({', '.join(arguments)}):\n" + "".join(f"    {line}\n" for line in body)
    filename = f"<micrograd44 generated {name} #{next(_serial)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    scope = dict(namespace)
    exec(compile(source, filename, "exec"), scope)
    function = scope[name]
    weakref.finalize(function, linecache.cache.pop, filename, None)
    return function, source
