"""How each op replays: the op table's rules printed as Python on floats and on numpy arrays.

Nothing here knows an op's math: each node's forward expression and local derivatives
come from evaluating its rule (``micrograd44.ops``) on expressions and printing them. The
scalar code calls the very functions the engine calls (the math module and the engine's
helpers, in the same order of operations), so a replay gives the engine's numbers. The
array code computes the same on numpy arrays, one element per sample; numpy's exp, log,
tanh, ... may differ from the math module's in the last bit.

The generated code sees the names bound in SCALAR_NAMESPACE or ARRAY_NAMESPACE.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from ..core import ops
from ..core.ieee import ieee_divide, ieee_power
from ..core.ops import OpRule
from ..core.slopes import IEEE_FUNCTIONS
from ..expr import EXPRESSIONS, PYTHON, Expr, Printer, PythonPrinter, expr, name, python_literal

# A local derivative of exactly 1: the upstream gradient passes through unchanged.
ONE = "1.0"


class EagerWouldRaise(ArithmeticError):
    """Raised by generated code where the engine raises (the engine then replays the step to say why)."""


def _engine_would_raise() -> float:
    """Raise EagerWouldRaise; usable in expressions: ``log(x) if x > 0.0 else engine_would_raise()``."""
    raise EagerWouldRaise


class NumpyPrinter(Printer):
    """Python on numpy arrays: elementwise functions, ``where`` for conditionals; checks are not tested."""

    functions = {"abs": "absolute"}
    logical_functions = {"and": "logical_and", "or": "logical_or"}

    def constant(self, value: float) -> str:
        return python_literal(value)

    def fsum(self, terms: list[str]) -> str:
        if len(terms) <= 2:  # one term as it is; two added, correctly rounded
            return " + ".join(terms)
        return f"compensated_sum(({', '.join(terms)},))"

    def where(self, condition: str, if_true: str, if_false: str) -> str:
        return f"where({condition}, {if_true}, {if_false})"

    def negate(self, condition: str) -> str:
        return f"logical_not({condition})"

    def masked(self, condition: str, contribution: str) -> str:
        """contribution where condition holds, else 0.0."""
        return f"where({condition}, {contribution}, 0.0)"


PYTHON_SLOPES = PythonPrinter(ieee=True)
NUMPY = NumpyPrinter()


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
    printer: Printer  # prints the contributions of the slopes in the backward pass


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


def printed_rule(
    printer: Printer, slope_printer: Printer, kind: str, out: str, children: list[str], *, guarded: bool
) -> NodeCode:
    """The forward expression(s) and local derivatives of a node of op ``kind``, printed.

    With ``guarded`` the last forward statement runs only where the rule's checks hold
    (the printer says how it refuses elsewhere).
    """
    rule = ops.rule_for(kind)
    xs = [name(c) for c in children]
    lines = printer.statements(expr(rule.forward(EXPRESSIONS, *xs)), out)
    if guarded:
        checks = [printer.print(expr(check.ok(EXPRESSIONS, *xs))) for check in rule.checks]
        lines[-1] = printer.guarded(lines[-1], checks)
    slopes = [slope_source(slope_printer, local, out) for local in rule.local(EXPRESSIONS, name(out), *xs)]
    return NodeCode(lines, slopes, slope_printer)


def scalar_rule(kind: str, out: str, children: list[str]) -> NodeCode:
    """The forward expression(s) and local derivatives of a node, on Python floats."""
    return printed_rule(PYTHON, PYTHON_SLOPES, kind, out, children, guarded=True)


def array_rule(kind: str, out: str, children: list[str]) -> NodeCode:
    """The forward expression(s) and local derivatives of a node, on numpy arrays (no checks)."""
    return printed_rule(NUMPY, NUMPY, kind, out, children, guarded=False)


@functools.lru_cache(maxsize=4096)
def check_printable(rule: OpRule, arity: int) -> str | None:
    """Why the compiled backends cannot print ``rule`` (a vocabulary function they lack), or None.

    Asked once per rule and number of inputs (a rule's text does not change), not at every capture.
    """
    children = [f"c{i}" for i in range(arity)]
    for printed_by, namespace in ((scalar_rule, SCALAR_NAMESPACE), (array_rule, ARRAY_NAMESPACE)):
        try:
            code = printed_by(rule.name, "out", children)
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            return f"{type(error).__name__}: {error}"
        sources = [*code.forward, *(s for slope in code.slopes for s in (slope.value, slope.when) if s)]
        for source in sources:
            names = compile(source, "<check>", "eval").co_names
            missing = [n for n in names if n not in namespace and n not in (*children, "out")]
            if missing:
                return f"the generated code calls {', '.join(missing)}, which the backend does not define"
    return None


# ---- what the generated code sees ----


def _sign(x):
    """sign(x) with sign(0) = 0, as the engine's derivative of |x| (nan stays nan)."""
    return np.sign(x)


def _array_sigmoid(x):
    """1 / (1 + exp(-x)) elementwise, the engine's two branches, without overflow."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _array_softplus(x):
    """max(x, 0) + log1p(exp(-|x|)) elementwise, as the engine computes it."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _array_erf(x):
    """erf elementwise, through the math module (numpy has no erf)."""
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _compensated_sum(terms):
    """x_1 + ... + x_n elementwise with Neumaier's compensation (close to correctly rounded).

    Where a partial sum overflows although every term is finite, that element is summed
    exactly instead (``ops.exact_sum``), as the engine sums.
    """
    total, compensation = terms[0], 0.0
    for term in terms[1:]:
        s = total + term
        compensation = compensation + np.where(
            np.abs(total) >= np.abs(term), (total - s) + term, (term - s) + total
        )
        total = s
    result = np.asarray(total + compensation, dtype=np.float64)
    columns = np.broadcast_arrays(result, *terms)[1:]
    overflowed = ~np.isfinite(result) & np.all([np.isfinite(c) for c in columns], axis=0)
    if overflowed.any():
        result = result.copy()
        result[overflowed] = [ops.exact_sum(row) for row in zip(*(c[overflowed].tolist() for c in columns))]
    return result


_COMMON = {"inf": math.inf, "nan": math.nan}

SCALAR_NAMESPACE = {
    **_COMMON,
    **{function: getattr(ops.FLOATS, function) for function in ops.VOCABULARY},
    **{f"ieee_{function}": total for function, total in IEEE_FUNCTIONS.items()},
    "ieee_divide": ieee_divide,
    "ieee_power": ieee_power,
    "isfinite": math.isfinite,
    "engine_would_raise": _engine_would_raise,
}

ARRAY_NAMESPACE = {
    **_COMMON,
    "exp": np.exp,
    "log": np.log,
    "log1p": np.log1p,
    "sqrt": np.sqrt,
    "tanh": np.tanh,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "atan": np.arctan,
    "erf": _array_erf,
    "sigmoid": _array_sigmoid,
    "softplus": _array_softplus,
    "absolute": np.abs,
    "sign": _sign,
    "floor": np.floor,
    "compensated_sum": _compensated_sum,
    "where": np.where,
    "logical_and": np.logical_and,
    "logical_or": np.logical_or,
    "logical_not": np.logical_not,
    "matmul": np.matmul,
    "array": np.array,
    "stack": np.stack,
}
