"""The engines we compare against, when installed: PyTorch, and micrograd with a tanh in its own style."""

from __future__ import annotations

import math


def load_torch():
    """The torch module, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def load_micrograd():
    """micrograd's Value and MLP classes with a tanh op written in micrograd's closure style, or None."""
    try:
        from micrograd.engine import Value
        from micrograd.nn import MLP, Layer, Neuron
    except ImportError:
        return None
    if not hasattr(Value, "tanh"):

        def tanh(self):
            t = math.tanh(self.data)
            out = Value(t, (self,), "tanh")

            def _backward():
                self.grad += (1 - t**2) * out.grad

            out._backward = _backward
            return out

        Value.tanh = tanh
    return Value, MLP, Layer, Neuron
