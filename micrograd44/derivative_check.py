"""Derivatives as formulas: print the one the engine builds, and check one worked out by hand.

- ``derivative_formula(output, leaf)``: d(output)/d(leaf) as formula text, read off the
  graph that ``grad(..., create_graph=True)`` builds. Only exact identities are applied
  (``1 * a`` is ``a``, ``0 + a`` is ``a``, ``a * (1 / b)`` is ``a / b``, ``a + -b`` is
  ``a - b``); nothing is rounded, expanded or cancelled.
- ``check_derivatives(formula, derivatives, values)``: compare hand-derived partial
  derivatives with backward()'s at the given point and a few more points in the domain.

Both read formulas with ``micrograd44.formula`` (never Python's eval).

Example:
    >>> report = check_derivatives("log(1 + sin(x))", {"x": "cos(x) / (2 + sin(x))"}, {"x": 0.5})
    >>> report.agree
    False
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import grad
from .core import OpError, Value, topological_order
from .formula import FormulaError, parse
from .gradcheck import allclose

# Points besides the given one: each variable moves by one of these, a different one per variable.
OFFSETS = (0.25, -0.5, 1.0, -1.5, 2.5, -3.0)

# Two derivatives agree when |theirs - ours| <= ABS_TOL + REL_TOL * |ours|.
REL_TOL = 1e-8
ABS_TOL = 1e-10


# ---- the derivative graph printed as a formula ----

# binding strength: sums, products, unary minus, powers, atoms (numbers, names, calls)
_SUM, _PRODUCT, _MINUS, _POWER, _ATOM = range(1, 6)


@dataclass(frozen=True)
class _Text:
    """A printed sub-formula: its text, how tightly it binds, its number when it is a constant,
    and what it negates when it is ``-a``."""

    text: str
    strength: int
    number: float | None = None
    negated: _Text | None = None


def _number(x: float) -> _Text:
    """A constant: 3.0 prints as 3, negatives bind as a unary minus."""
    text = str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)
    return _Text(text, _MINUS if text.startswith("-") else _ATOM, x)


def _wrap(part: _Text, strength: int) -> str:
    """part's text, in parentheses when it binds more loosely than ``strength``."""
    return part.text if part.strength >= strength else f"({part.text})"


def _negate(a: _Text) -> _Text:
    if a.number is not None:
        return _number(-a.number)
    if a.negated is not None:  # --a is a
        return a.negated
    return _Text(f"-{_wrap(a, _POWER)}", _MINUS, negated=a)


def _add(a: _Text, b: _Text) -> _Text:
    if a.number == 0.0:
        return b
    if b.number == 0.0:
        return a
    if b.negated is not None or (b.number is not None and b.number < 0):  # a + -b is a - b
        return _subtract(a, _negate(b))
    return _Text(f"{_wrap(a, _SUM)} + {_wrap(b, _SUM)}", _SUM)


def _subtract(a: _Text, b: _Text) -> _Text:
    if b.number == 0.0:
        return a
    if a.number == 0.0:
        return _negate(b)
    right = f"({b.text})" if b.text.startswith("-") else _wrap(b, _PRODUCT)  # a - (-1 / x), not a - -1 / x
    return _Text(f"{_wrap(a, _SUM)} - {right}", _SUM)


def _multiply(a: _Text, b: _Text) -> _Text:
    for one, other in ((a, b), (b, a)):
        if one.number == 1.0:
            return other
        if one.number == -1.0:
            return _negate(other)
    for reciprocal, other in ((b, a), (a, b)):  # a * (1 / c) is a / c
        if reciprocal.strength == _PRODUCT and reciprocal.text.startswith("1 / "):
            return _Text(f"{_wrap(other, _PRODUCT)} / {reciprocal.text[4:]}", _PRODUCT)
    return _Text(f"{_wrap(a, _PRODUCT)} * {_wrap(b, _PRODUCT)}", _PRODUCT)


def _divide(a: _Text, b: _Text) -> _Text:
    if b.number == 1.0:
        return a
    return _Text(f"{_wrap(a, _PRODUCT)} / {_wrap(b, _MINUS)}", _PRODUCT)


def _power(a: _Text, b: _Text) -> _Text:
    if b.number == 1.0:
        return a
    return _Text(f"{_wrap(a, _ATOM)} ** {_wrap(b, _MINUS)}", _POWER)


_BINARY = {"+": _add, "-": _subtract, "*": _multiply, "/": _divide, "**": _power}


def graph_formula(root: Value) -> str:
    """The formula a graph computes, as text: leaves by their label (variables) or their number.

    Ops print as formulas do (``+ - * / **``, ``sin(...)``); a node used twice prints twice.
    """
    texts: dict[Value, _Text] = {}
    for node in topological_order(root):
        parts = [texts[child] for child in node.children]
        op = node.op
        if not node.children:
            texts[node] = _Text(node.label, _ATOM) if node.label else _number(node.data)
        elif op in _BINARY and len(parts) == 2:
            texts[node] = _BINARY[op](*parts)
        elif op.startswith("**"):
            texts[node] = _power(parts[0], _number(float(op[2:])))
        elif op == "sum":
            total = parts[0]
            for part in parts[1:]:
                total = _add(total, part)
            texts[node] = total
        elif op == "linear":
            n = len(parts) // 2
            total = parts[-1]
            for w, x in zip(parts[:n], parts[n:-1]):
                total = _add(total, _multiply(w, x))
            texts[node] = total
        else:
            texts[node] = _Text(f"{op}({', '.join(part.text for part in parts)})", _ATOM)
    return texts[root].text


def derivative_formula(output: Value, leaf: Value) -> str:
    """d(output)/d(leaf) as formula text, read off the graph that ``grad(..., create_graph=True)`` builds.

    Where the derivative depends on a comparison (relu, abs), the graph holds the branch
    taken at the current data, so the formula is the derivative near this point.

    Example:
        >>> x = Value(0.5, label="x")
        >>> derivative_formula((1 + x.sin()).log(), x)
        'cos(x) / (1 + sin(x))'
    """
    (derivative,) = grad(output, [leaf], create_graph=True)
    return graph_formula(derivative)


# ---- checking a derivative worked out by hand ----


@dataclass(frozen=True)
class PointCheck:
    """One variable's derivative at one point: backward()'s, the hand formula's, and whether they agree.

    ``yours`` is None (and ``problem`` says why) where the hand formula has no value.
    """

    variable: str
    point: dict[str, float]
    engine: float
    yours: float | None
    agree: bool
    problem: str = ""


@dataclass
class DerivativeCheck:
    """The result of ``check_derivatives``: every comparison made, and whether all agree."""

    checks: list[PointCheck] = field(default_factory=list)
    skipped: int = 0

    @property
    def agree(self) -> bool:
        """True when every hand derivative agrees with backward() at every point checked."""
        return bool(self.checks) and all(check.agree for check in self.checks)

    def lines(self, derivatives: Mapping[str, str]) -> list[str]:
        """The report: one row per point and variable, then one verdict line per variable."""
        rows = [("", "at", "backward()", "yours", "")]
        for check in self.checks:
            yours = repr(check.yours) if check.yours is not None else check.problem
            rows.append(
                (f"df/d{check.variable}", _where(check.point), repr(check.engine), yours, _verdict(check))
            )
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
        for name, text in derivatives.items():
            mine = [check for check in self.checks if check.variable == name]
            wrong = [check for check in mine if not check.agree]
            if not wrong:
                lines.append(f"df/d{name} = {text}: agrees with backward() at all {len(mine)} points")
                continue
            first = wrong[0]
            yours = repr(first.yours) if first.yours is not None else first.problem
            lines.append(
                f"df/d{name} = {text}: differs from backward() at {len(wrong)} of {len(mine)} points; "
                f"at {_where(first.point)}: backward() gives {first.engine!r}, yours gives {yours}"
            )
        if self.skipped:
            skipped = self.skipped
            lines.append(f"({skipped} of the extra points lie outside the formula's domain: not checked)")
        return lines


def _where(point: Mapping[str, float]) -> str:
    return ", ".join(f"{name} = {value:g}" for name, value in point.items())


def _verdict(check: PointCheck) -> str:
    return "agree" if check.agree else "DIFFER"


def derivatives_to_check(specs: list[str], names: list[str]) -> dict[str, str]:
    """The ``--check`` texts by variable: ``"x=cos(x)"``, or ``"cos(x)"`` when there is one variable.

    Raises:
        FormulaError: no variables, a bare derivative with several variables, an unknown
            variable, or a variable given twice.
    """
    if not names:
        raise FormulaError("checking a derivative needs a point: give the variables' values with --at")
    derivatives: dict[str, str] = {}
    for spec in specs:
        name, equals, text = spec.partition("=")
        if equals and name.strip().isidentifier():
            name = name.strip()
            if name not in names:
                known = ", ".join(names)
                raise FormulaError(f"{spec!r} names {name!r}, which is not a variable (variables: {known})")
        elif len(names) == 1:
            name, text = names[0], spec
        else:
            raise FormulaError(
                f"{spec!r}: with several variables, say which derivative it is: "
                + " ".join(f"--check '{name}=...'" for name in names)
            )
        if name in derivatives:
            raise FormulaError(f"the derivative for {name!r} is given twice")
        derivatives[name] = text.strip()
    return derivatives


def check_derivatives(
    formula: str, derivatives: Mapping[str, str], values: Mapping[str, float]
) -> DerivativeCheck:
    """Compare hand-derived partial derivatives of a formula with backward()'s.

    Each derivative is checked at ``values`` and at up to len(OFFSETS) more points, each
    variable moved by a different offset; points outside the formula's domain (an
    OpError while evaluating it) are skipped. Two numbers agree when
    ``|yours - backward| <= ABS_TOL + REL_TOL * |backward|``.

    Args:
        formula: the formula, e.g. ``"log(1 + sin(x))"``.
        derivatives: variable name -> the hand derivative with respect to it, a formula
            in the same variables.
        values: the point: a number for every variable.

    Returns:
        A DerivativeCheck; ``.agree`` is the verdict, ``.lines(derivatives)`` the report.

    Raises:
        FormulaError: a formula cannot be read, or a derivative names a variable that
            has no value.
        OpError: the formula itself has no value at the given point.
    """
    names = list(values)
    for name in derivatives:
        if name not in values:
            raise FormulaError(f"a derivative is given for {name!r}, which has no value (variables: {names})")
    function = parse(formula, names)
    hand = {name: parse(text, names) for name, text in derivatives.items()}
    report = DerivativeCheck()
    points = [dict(values)] + [
        {name: value + OFFSETS[(k + j) % len(OFFSETS)] for j, (name, value) in enumerate(values.items())}
        for k in range(len(OFFSETS))
    ]
    for k, point in enumerate(points):
        leaves = {name: Value(value, label=name) for name, value in point.items()}
        try:
            root = function.evaluate(leaves)
            root.backward()
        except OpError:
            if k == 0:
                raise
            report.skipped += 1
            continue
        for name, derivative in hand.items():
            engine = leaves[name].grad
            if not math.isfinite(engine):
                continue
            try:
                yours = derivative.evaluate(point).data
            except OpError as error:
                report.checks.append(PointCheck(name, point, engine, None, False, f"no value ({error.op})"))
                continue
            agree = allclose(yours, engine, REL_TOL, ABS_TOL)
            report.checks.append(PointCheck(name, point, engine, yours, agree))
    return report


__all__ = [
    "OFFSETS",
    "DerivativeCheck",
    "PointCheck",
    "check_derivatives",
    "derivative_formula",
    "derivatives_to_check",
    "graph_formula",
]
