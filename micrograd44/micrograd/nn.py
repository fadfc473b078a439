"""micrograd's ``nn`` on this engine: Module, Neuron, Layer, MLP with micrograd's defaults and graphs.

A neuron computes ``b + w_0 * x_0 + w_1 * x_1 + ...`` as micrograd does, one ``*`` node per
input and one ``+`` node per term, starting from the bias, then relu unless ``nonlin=False``.
Weights are drawn from ``random.uniform(-1, 1)`` in micrograd's order and biases start at 0,
so ``random.seed(n)`` gives micrograd's model. For the one-node neuron, named parameters,
other activations and state dicts, use ``micrograd44.nn``.
"""

from __future__ import annotations

import random

from .engine import Value


class Module:
    """micrograd's base class: ``parameters()`` and ``zero_grad()``."""

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0."""
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        """The Values that training changes, in a fixed order."""
        return []


class Neuron(Module):
    """relu(b + sum of w_i * x_i), or the sum alone with ``nonlin=False``.

    Args:
        nin: how many inputs.
        nonlin: True for a relu neuron (micrograd's default), False for a linear one.
    """

    def __init__(self, nin: int, nonlin: bool = True):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.nonlin = nonlin

    def __call__(self, x) -> Value:
        act = self.b
        for wi, xi in zip(self.w, x):
            act = act + wi * xi
        return act.relu() if self.nonlin else act

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same inputs; keywords go to every Neuron."""

    def __init__(self, nin: int, nout: int, **kwargs):
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        """A list of the neurons' outputs, or the one output of a one-neuron layer."""
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of sizes ``nouts`` after ``nin`` inputs: relu hidden layers, a linear last layer."""

    def __init__(self, nin: int, nouts: list[int]):
        sizes = [nin] + list(nouts)
        last = len(nouts) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1], nonlin=i != last) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
