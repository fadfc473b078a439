"""PyTorch as an oracle in your tests: replay a graph or a model in PyTorch float64 and compare.

- ``assert_matches_torch(root)``: every value and gradient of the graph below ``root``
  against its twin in PyTorch; a failure names the first node that differs.
- ``assert_module_matches_torch(module, inputs)``: a Neuron, Layer or MLP against the
  equivalent ``torch.nn`` model (``torch_module``); a failure names the parameter.
- ``torch_twin(root)``: the twin itself, a tensor for every Value, to compare anything else.

Both assertions raise ``TorchMismatch``, an AssertionError, so pytest and unittest report a
plain test failure. PyTorch is an optional dependency of micrograd44: install it with
``pip install 'micrograd44[torch]'`` (the CPU build, ``torch==2.13.0``); see docs/testing.md.
"""

try:
    import torch  # noqa: F401  (checked here, so that a missing torch is one clear line)
except ImportError:
    raise ImportError(
        "micrograd44.testing needs PyTorch: pip install torch==2.13.0 --index-url "
        "https://download.pytorch.org/whl/cpu (the CPU build), or pip install 'micrograd44[torch]'"
    ) from None

from .common import TorchMismatch
from .graphs import assert_matches_torch
from .modules import assert_module_matches_torch, copy_weights, torch_module, torch_state_dict
from .twin import TORCH, torch_twin

__all__ = [
    "TORCH",
    "TorchMismatch",
    "assert_matches_torch",
    "assert_module_matches_torch",
    "copy_weights",
    "torch_module",
    "torch_state_dict",
    "torch_twin",
]
