"""Layers in generated Python: a network's neurons as numpy operations that keep the engine's order of sums.

Python pays per operation, so a wide neuron unrolled into statements is slow; a loop over
its weights in Python is slower still. numpy does a whole layer per call instead, and keeps
the engine's numbers where each element is one IEEE operation: the products ``w_ji x_i``
elementwise, and each neuron's sum as ``np.add.accumulate`` along its inputs, which adds
left to right, one term after the other (``np.sum`` would add pairwise: another rounding).
Backward, each input's gradient accumulates the neurons' contributions in the reverse of
the tape's order, as the engine's walk does, and every weight's and bias's gradient is one
product (or, accumulated over samples, one more addition).

This applies to a tape whose parameters all belong to layers (``loops.find_layers``) laid
out as a network's are: each neuron's weights then its bias, neuron after neuron
(``fits``). Every other node stays a statement of its own. The activations (tanh, ...) stay
the math module's, which numpy's do not always equal in the last bit.
"""

from __future__ import annotations

import numpy as np

from .loops import Layer, find_layers
from .lowering import SCALARS, Gradients, Lowering, add_contributions, slot_names
from .python import SCALAR_NAMESPACE, PythonPrinter, tuple_source


def _stride(layer: Layer, inputs: int) -> int | None:
    """The distance between neurons' first weights when each neuron's bias follows its weights; else None."""
    if any(b != w + inputs for w, b in zip(layer.weights, layer.biases)):
        return None
    if len(layer.nodes) == 1:
        return inputs + 1
    step = layer.weights[1] - layer.weights[0]
    if abs(step) < inputs + 1 or any(w != layer.weights[0] + step * j for j, w in enumerate(layer.weights)):
        return None
    return step


def fits(tape) -> bool:
    """True when every parameter is a weight or bias of a layer laid out as a network's (see the module)."""
    layers = find_layers(tape)
    covered = sum(len(layer.nodes) * (len(layer.inputs) + 1) for layer in layers)
    return covered == len(tape.parameters) and all(_stride(layer, len(layer.inputs)) for layer in layers)


def _view(array: np.ndarray, first: int, stride: int, count: int, width: int) -> np.ndarray:
    """Rows of ``width`` consecutive elements, row j from first + stride * j (stride may be negative)."""
    item = array.itemsize
    return np.lib.stride_tricks.as_strided(array[first:], shape=(count, width), strides=(stride * item, item))


def layer_forward(weights: np.ndarray, inputs: np.ndarray, biases: np.ndarray) -> list[float]:
    """Each neuron's 0.0 + w_0 x_0 + ... + w_(n-1) x_(n-1), added left to right, plus its bias."""
    products = weights * inputs
    products[:, 0] += 0.0  # the engine's sum starts from 0.0: a first product of -0.0 becomes 0.0
    return (np.add.accumulate(products, axis=1)[:, -1] + biases).tolist()


def input_gradients(weights: np.ndarray, upstream: np.ndarray) -> list[float]:
    """Each input's gradient: w_ji u_j summed over the neurons j from the last to the first."""
    return np.add.accumulate((weights * upstream[:, None])[::-1], axis=0)[-1].tolist()


def all_finite_array(array: np.ndarray) -> bool:
    """True when every element is finite."""
    return bool(np.isfinite(array).all())


# what the generated code with layers sees, besides SCALAR_NAMESPACE
LAYER_NAMESPACE = {
    **SCALAR_NAMESPACE,
    "array": np.array,
    "zeros": np.zeros,
    "rows": _view,
    "outer": np.multiply.outer,
    "layer_forward": layer_forward,
    "input_gradients": input_gradients,
    "all_finite_array": all_finite_array,
    "array_sqrt": np.sqrt,
}

# Python on whole arrays (the optimizers' updates of every parameter at once): numpy's sqrt,
# correctly rounded as the math module's is
ARRAY_UPDATES = PythonPrinter()
ARRAY_UPDATES.functions = {"sqrt": "array_sqrt"}


class NumpyLayersLowering(Lowering):
    """The tape in Python with its layers as numpy operations (``fits`` must hold); other nodes one line each.

    The parameters are an array ``P`` and their gradients an array ``G``; ``views`` makes
    each layer's weights and biases views of them (``W0``, ``B0``, ``GW0``, ``GB0``).
    """

    def __init__(self, tape):
        self.layers = find_layers(tape)
        self._member = {s: (k, j) for k, layer in enumerate(self.layers) for j, s in enumerate(layer.nodes)}
        names = slot_names(tape)
        for k, s in enumerate(tape.parameters):
            names[s] = f"P[{k}]"
        for s, (k, j) in self._member.items():
            names[s] = f"L{k}[{j}]"
        super().__init__(tape, SCALARS, names=names, unprinted=frozenset(self._member))
        self._first = {layer.nodes[0]: k for k, layer in enumerate(self.layers)}

    def grad_name(self, slot: int) -> str:
        if slot in self._member:
            return "g_L{}_{}".format(*self._member[slot])
        return f"g_{self.names[slot]}"

    def views(self) -> list[str]:
        """Lines making each layer's weights and biases, and their gradients', views of P and G."""
        lines = []
        for k, layer in enumerate(self.layers):
            n, m = len(layer.inputs), len(layer.nodes)
            stride = _stride(layer, n)
            for array, prefix in (("P", ""), ("G", "G")):
                lines.append(f"{prefix}W{k} = rows({array}, {layer.weights[0]}, {stride}, {m}, {n})")
                lines.append(f"{prefix}B{k} = rows({array}, {layer.biases[0]}, {stride}, {m}, 1)[:, 0]")
        return lines

    def forward(self) -> list[str]:
        """The forward pass as lines of Python, each layer one call where its first neuron is."""
        lines = []
        for s in self.tape.ops:
            if s in self._first:
                k = self._first[s]
                inputs = tuple_source(self.names[x] for x in self.layers[k].inputs)
                lines += [f"X{k} = array({inputs})", f"L{k} = layer_forward(W{k}, X{k}, B{k})"]
            elif s not in self._member:
                lines += [f"{self.names[s]} = {e}" for e in self._nodes[s].forward]
        return lines

    def backward_lines(self, seed: str, accumulate: bool) -> tuple[list[str], list[str]]:
        """The chain rule into G (assigned, or added with ``accumulate``); and the scalars it assigns."""
        needs = self._needs_grad(set(self.tape.parameters))
        gradients = Gradients({}, self.grad_name, lambda target, source: f"{target} = {source}")
        if self.tape.root in needs:
            gradients.add(self.tape.root, seed)
        for s in reversed(self.tape.ops):
            if s in self._first and s in needs:
                self._layer_backward(self._first[s], gradients, needs, accumulate)
            elif s in needs and s not in self._member:
                slopes = self._nodes[s].slopes
                add_contributions(gradients, s, self.tape.children[s], slopes, needs, self.language.slopes)
        assigned = [line.split(" = ")[0] for line in gradients.lines if line.startswith("g_")]
        return gradients.lines, list(dict.fromkeys(assigned))

    def _layer_backward(self, k: int, gradients: Gradients, needs: set[int], accumulate: bool) -> None:
        """The layer's weights', biases' and inputs' gradients from its neurons' upstream gradients."""
        layer = self.layers[k]
        upstream = tuple_source(gradients.grads.get(s, "0.0") for s in layer.nodes)
        into = "+=" if accumulate else "="
        target = "{}" if accumulate else "{}[...]"
        gradients.lines += [
            f"U{k} = array({upstream})",
            f"{target.format(f'GW{k}')} {into} outer(U{k}, X{k})",
            f"{target.format(f'GB{k}')} {into} U{k}",
        ]
        if any(x in needs for x in layer.inputs):
            gradients.lines.append(f"gX{k} = input_gradients(W{k}, U{k})")
            for i, x in enumerate(layer.inputs):
                if x in needs:
                    gradients.add(x, f"gX{k}[{i}]")
