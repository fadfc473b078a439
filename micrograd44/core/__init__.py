"""The ground floor: the op table, Value and its chain rule, and the errors; standard library only.

- ``ops``: the op table, each op's forward computation beside its local derivatives;
- ``value``: Value, the ops applied to it, and ``chain_rule``, the one reverse walk;
- ``graph``: the topological order; ``slopes`` and ``ieee``: local derivatives on floats,
  inf and nan included; ``scope``: module scopes recorded on Values;
- ``micrograd_names`` and ``pickling``: micrograd's names for the graph, and pickling
  without recursion, both inherited by Value;
- ``errors``: the exceptions and their messages.
"""

from . import ops
from .errors import DivisionByZeroError, DomainError, OpError, OverflowValueError, StateDictError, describe
from .graph import topological_order
from .scope import enter_scope, leave_scope, set_scope
from .value import Value, apply_op, chain_rule, linear, sum_values

__all__ = [
    "ops",
    "Value",
    "apply_op",
    "chain_rule",
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
