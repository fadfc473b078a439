"""The twin of a graph in PyTorch float64, made from the op table.

Each node's forward rule (``micrograd44.ops``) is evaluated on float64 tensors, so every op
has its PyTorch counterpart without a second copy of the math; PyTorch's own autograd then
gives the gradients to compare with.
"""

from __future__ import annotations

from types import SimpleNamespace

import torch

from ..core.ops import VOCABULARY
from ..core.value import Value, topological_order


def _fsum(terms):
    """x_1 + ... + x_n of tensors (PyTorch's sum, not correctly rounded: equal to ~1e-16 relative)."""
    return torch.stack(list(terms)).sum()


# The op table's vocabulary on float64 tensors: each function is torch's of the same name,
# except these.
_NOT_TORCH_NAMES = {
    # threshold 700: log1p(exp(x)) for every x where the engine's formula differs from x
    "softplus": lambda x: torch.nn.functional.softplus(x, beta=1.0, threshold=700.0),
    "fsum": _fsum,
    "and_": torch.logical_and,
    "or_": torch.logical_or,
}
TORCH = SimpleNamespace(**{name: _NOT_TORCH_NAMES.get(name) or getattr(torch, name) for name in VOCABULARY})


def torch_twin(root: Value, leaves: dict[Value, torch.Tensor] | None = None) -> dict[Value, torch.Tensor]:
    """The graph below ``root`` rebuilt in PyTorch float64, op by op.

    Leaves become tensors with ``requires_grad=True``; every other node is its op's
    forward rule applied to its children's tensors, and keeps its gradient after
    ``backward()`` (``retain_grad``), so every node's ``.grad`` can be compared.

    Args:
        root: the output Value of a graph built by the engine.
        leaves: tensors to use for some leaves instead of new ones, e.g. the inputs
            ``torch.autograd.functional.hessian`` passes to a function that replays a graph.

    Returns:
        A dict from each Value of the graph to its tensor (0-dimensional, float64).

    Raises:
        ValueError: a node was made micrograd-style with an op this engine does not know.

    Example:
        >>> from micrograd44 import Value
        >>> x = Value(0.5, label="x")
        >>> y = (1 + x.sin()).log()
        >>> twin = torch_twin(y)
        >>> twin[y].backward()
        >>> round(twin[x].grad.item(), 6)
        0.593191
    """
    tensors: dict[Value, torch.Tensor] = dict(leaves or {})
    for node in topological_order(root):
        if node in tensors:
            continue
        if not node.children:
            tensors[node] = torch.tensor(node.data, dtype=torch.float64, requires_grad=True)
            continue
        if node._rule is None:
            raise ValueError(f"node {node!r} was made with op {node.op!r}, which is not in the op table")
        tensor = node._rule.forward(TORCH, *(tensors[c] for c in node.children))
        if tensor.requires_grad:
            tensor.retain_grad()  # interior gradients too, to compare with each node's .grad
        tensors[node] = tensor
    return tensors
