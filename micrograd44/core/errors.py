"""Exceptions raised by the engine: each one names the op, the offending values and their nodes."""

from __future__ import annotations


class OpError(ArithmeticError):
    """An operation on Values had no valid result.

    Attributes:
        op: the operation's name, as in ``Value.op`` (``"log"``, ``"/"``, ...).
        operands: the input Values of the failed operation.
    """

    def __init__(self, message: str, op: str, operands: tuple = ()):
        super().__init__(message)
        self.op = op
        self.operands = operands


class DomainError(OpError, ValueError):
    """An input lies outside the op's domain (log or sqrt of a negative, ...)."""


class DivisionByZeroError(OpError, ZeroDivisionError):
    """A division by zero, or zero raised to a negative power."""


class OverflowValueError(OpError, OverflowError):
    """The result is too large for a float (exp or ** overflow)."""


def short_number(number) -> str:
    """A number for a message, at most about 40 characters (a 400-digit int is cut in the middle)."""
    text = repr(number)
    return text if len(text) <= 40 else f"{text[:18]}...{text[-18:]} ({len(text)} digits)"


def describe(node) -> str:
    """Name a node for an error message: its label if it has one, else the op that made it."""
    if node.label:
        return f"{node.label!r} (data {node.data!r})"
    if node.op:
        return f"an unlabelled {node.op!r} result (data {node.data!r})"
    return f"an unlabelled input (data {node.data!r})"


def operands_text(children: tuple) -> str:
    """The operands for a message: "input is 'x' (data 2.0)", "operands: ... and ...", at most four."""
    if len(children) == 1:
        return f"input is {describe(children[0])}"
    shown = ", ".join(describe(c) for c in children[:4])
    more = f" and {len(children) - 4} more" if len(children) > 4 else ""
    return f"operands: {shown}{more}"


def call_text(rule, xs: tuple[float, ...]) -> str:
    """How a failed call of an op reads: "log(-1.0)", "1.0 / 0.0", "-8.0 ** 0.5"."""
    if rule.exponent is not None:
        return f"{xs[0]!r} ** {short_number(rule.exponent)}"
    if rule.arity == 2:
        return f"{xs[0]!r} {rule.name} {xs[1]!r}"
    return f"{rule.name}({', '.join(map(repr, xs))})"


def check_failed(rule, says: str, children: tuple) -> str:
    """The message of a failed check: the op, what it needs, the call and the operands."""
    call = call_text(rule, tuple(c.data for c in children))
    return f"{rule.name}: {says}, got {call}; {operands_text(children)}"


def overflow(rule, children: tuple) -> OverflowValueError:
    """The error of a forward computation whose result is too large for a float."""
    call = call_text(rule, tuple(c.data for c in children))
    return OverflowValueError(
        f"{rule.name}: {call} overflows a float; {operands_text(children)}", rule.name, children
    )


def not_finite(rule, data: float, children: tuple) -> OverflowValueError:
    """The error of a forward computation whose result is inf or nan."""
    return OverflowValueError(
        f"{rule.name}: the result is {data!r}, not a finite number (an overflow, or an operand that is "
        f"not finite); {operands_text(children)}",
        rule.name,
        children,
    )


class StateDictError(ValueError):
    """A state dict or model file that does not fit the model; nothing was changed.

    Attributes:
        problems: one line per problem found (missing, unexpected, non-numeric entries...).
    """

    def __init__(self, message: str, problems: list[str]):
        super().__init__(message)
        self.problems = problems
