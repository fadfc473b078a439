"""The ground floor: the op table, Value and its chain rule, and the errors; standard library only."""

from . import ops
from .errors import DivisionByZeroError, DomainError, OpError, OverflowValueError, StateDictError, describe
from .value import Value, enter_scope, leave_scope, linear, set_scope, sum_values, topological_order

__all__ = [
    "ops",
    "Value",
    "linear",
    "sum_values",
    "topological_order",
    "set_scope",
    "enter_scope",
    "leave_scope",
    "OpError",
    "DomainError",
    "DivisionByZeroError",
    "OverflowValueError",
    "StateDictError",
    "describe",
]
