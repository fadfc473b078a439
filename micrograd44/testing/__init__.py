"""PyTorch as an oracle in your tests: replay a graph or a model in PyTorch float64 and compare.

- ``check_backward(op, formula)``: is a ``_backward`` written by hand, micrograd style,
  right? It names the wrong edge with both numbers. It works without PyTorch (the op table
  is its reference then); everything else here needs PyTorch.

- ``assert_matches_torch(root)``: every value and gradient of the graph below ``root``
  against its twin in PyTorch; a failure names the first node that differs.
- ``assert_module_matches_torch(module, inputs)``: a Neuron, Layer or MLP against the
  equivalent ``torch.nn`` model (``torch_module``); a failure names the parameter.
- ``torch_twin(root)``: the twin itself, a tensor for every Value, to compare anything else.

Both assertions raise ``TorchMismatch``, an AssertionError, so pytest and unittest report a
plain test failure. PyTorch is an optional dependency of micrograd44: install it with
``pip install 'micrograd44[torch]'`` (the CPU build, ``torch==2.13.0``); see docs/testing.md.
"""

from .backward_check import BackwardCheck, check_backward

_TORCH_MISSING = (
    "micrograd44.testing needs PyTorch: pip install torch==2.13.0 --index-url "
    "https://download.pytorch.org/whl/cpu (the CPU build), or pip install 'micrograd44[torch]'"
)

try:
    import torch  # noqa: F401  (checked here, so that a missing torch is one clear line)
except ImportError:

    def __getattr__(name: str):
        """Without PyTorch, every name but check_backward is one clear ImportError."""
        if name in __all__:
            raise ImportError(_TORCH_MISSING) from None
        raise AttributeError(f"module 'micrograd44.testing' has no attribute {name!r}")

else:
    from .common import TorchMismatch
    from .graphs import assert_matches_torch
    from .modules import assert_module_matches_torch, copy_weights, torch_module, torch_state_dict
    from .twin import TORCH, torch_twin

__all__ = [
    "BackwardCheck",
    "check_backward",
    "TORCH",
    "TorchMismatch",
    "assert_matches_torch",
    "assert_module_matches_torch",
    "copy_weights",
    "torch_module",
    "torch_state_dict",
    "torch_twin",
]
