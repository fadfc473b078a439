"""PyTorch's own function for each op of the table, found by its name: an oracle that does not read the table.

The op table's forward formulas also build the PyTorch twin (micrograd44.testing), so a
wrong formula would be wrong on both sides of a comparison with the twin. Here a unary op
is PyTorch's function of the same name (``torch.<name>``, else ``torch.nn.functional.<name>``
for softplus), a binary op is Python's operator of the same symbol on tensors, and x ** n
is ``torch.pow``.
"""

from __future__ import annotations

import operator

import torch

from micrograd44.core import ops

# the operators of Value, by the symbol the table names them with
OPERATORS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}


def torch_function(rule: ops.OpRule):
    """PyTorch's function of the op's name, or None for ops without one (linear, sum)."""
    if rule.exponent is not None:
        return lambda x: torch.pow(x, rule.exponent)
    if rule.method is not None:
        return getattr(torch, rule.method, None) or getattr(torch.nn.functional, rule.method)
    return OPERATORS.get(rule.name)


def torch_value(rule: ops.OpRule, point) -> float:
    """PyTorch float64's value of the op at the point, by its own function."""
    return torch_function(rule)(*(torch.tensor(x, dtype=torch.float64) for x in point)).item()
