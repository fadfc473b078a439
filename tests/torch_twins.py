"""The names tests/test_nn.py imports, now served by micrograd44.testing (the one twin mechanism)."""

from micrograd44.testing import torch_module as torch_copy
from micrograd44.testing import torch_state_dict

__all__ = ["torch_copy", "torch_grads_by_name"]


def torch_grads_by_name(net, model) -> dict[str, float]:
    """The torch model's gradients under the engine's parameter names."""
    return torch_state_dict(model, net, grads=True)
