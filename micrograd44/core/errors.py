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


def describe(node) -> str:
    """Name a node for an error message: its label if it has one, else the op that made it."""
    if node.label:
        return f"{node.label!r} (data {node.data!r})"
    if node.op:
        return f"an unlabelled {node.op!r} result (data {node.data!r})"
    return f"an unlabelled input (data {node.data!r})"


class StateDictError(ValueError):
    """A state dict or model file that does not fit the model; nothing was changed.

    Attributes:
        problems: one line per problem found (missing, unexpected, non-numeric entries...).
    """

    def __init__(self, message: str, problems: list[str]):
        super().__init__(message)
        self.problems = problems
