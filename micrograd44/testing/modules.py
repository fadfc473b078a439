"""The torch.nn twin of a Neuron, Layer or MLP, and the assertion that compares a module with it."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import torch

from ..autodiff import grad
from ..core.value import Value, linear, topological_order
from ..gradcheck import allclose, check_tolerance
from ..nn import ACTIVATIONS, MLP, Layer, Neuron
from .common import mismatch

# The torch.nn module of each activation of micrograd44.nn (None, a linear layer, has none).
TORCH_ACTIVATIONS = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid}
assert set(TORCH_ACTIVATIONS) | {None} == set(ACTIVATIONS), "every activation needs its torch.nn module"


def _layers(module) -> list[tuple[list[Neuron], str | None]]:
    """(neurons, activation) of each layer of a Neuron, Layer or MLP, input layer first."""
    if isinstance(module, MLP):
        layers = [(f"layers.{i}", layer) for i, layer in enumerate(module.layers)]
    elif isinstance(module, Layer):
        layers = [("the layer", module)]
    elif isinstance(module, Neuron):
        return [([module], module.activation)]
    else:
        raise TypeError(f"torch_module: needs a Neuron, Layer or MLP, got {type(module).__name__}")
    for where, layer in layers:
        for j, neuron in enumerate(layer.neurons):
            if neuron.activation != layer.activation:
                raise ValueError(
                    f"torch_module: {where} has activation {layer.activation!r} but its neuron {j} has "
                    f"{neuron.activation!r}; an nn.Linear layer has one activation"
                )
    return [(layer.neurons, layer.activation) for _, layer in layers]


def torch_module(module) -> torch.nn.Sequential:
    """The equivalent torch.nn model of a Neuron, Layer or MLP, in float64, with its weights copied in.

    Each layer becomes an ``nn.Linear`` (neuron j's weights are row j of its ``weight``,
    its bias entry j of ``bias``) followed by ``nn.Tanh``, ``nn.ReLU`` or ``nn.Sigmoid``, or
    by nothing for a linear layer. The model is independent of the module: copy the
    module's current weights into it again with ``copy_weights``.

    Args:
        module: a Neuron, Layer or MLP.

    Returns:
        An ``nn.Sequential`` taking a (batch, nin) float64 tensor to (batch, nout).

    Raises:
        TypeError: the module is not a Neuron, Layer or MLP.
        ValueError: a layer's neurons do not share one activation.

    Example:
        >>> from micrograd44 import MLP
        >>> torch_module(MLP(2, [5, 4, 1], activation="tanh", seed=2))
        Sequential(
          (0): Linear(in_features=2, out_features=5, bias=True)
          (1): Tanh()
          (2): Linear(in_features=5, out_features=4, bias=True)
          (3): Tanh()
          (4): Linear(in_features=4, out_features=1, bias=True)
        )
    """
    steps = []
    for neurons, activation in _layers(module):
        steps.append(torch.nn.Linear(neurons[0].nin, len(neurons), dtype=torch.float64))
        if activation is not None:
            steps.append(TORCH_ACTIVATIONS[activation]())
    net = torch.nn.Sequential(*steps)
    copy_weights(module, net)
    return net


def _pairs(module, net: torch.nn.Module) -> list[tuple[list[Neuron], str, torch.nn.Linear]]:
    """(neurons, the Linear's name in net, the Linear) per layer; ValueError if net's layers do not fit."""
    layers = _layers(module)
    linears = [(name, m) for name, m in net.named_modules() if isinstance(m, torch.nn.Linear)]
    shapes = [(len(neurons), neurons[0].nin) for neurons, _ in layers]
    if [tuple(m.weight.shape) for _, m in linears] != shapes:
        found = [tuple(m.weight.shape) for _, m in linears]
        raise ValueError(f"the torch model's Linear weights have shapes {found}, {module!r} needs {shapes}")
    return [(neurons, name, m) for (neurons, _), (name, m) in zip(layers, linears)]


def copy_weights(module, net: torch.nn.Module) -> None:
    """Copy every weight and bias of a Neuron, Layer or MLP into its torch model (made by ``torch_module``).

    The model's parameters stay the same tensors (an optimizer holding them keeps its
    state); only their values change.

    Raises:
        ValueError: the torch model's Linear layers do not have the module's shapes.
    """
    with torch.no_grad():
        for neurons, _, layer in _pairs(module, net):
            layer.weight.copy_(torch.tensor([[w.data for w in n.w] for n in neurons], dtype=torch.float64))
            layer.bias.copy_(torch.tensor([n.b.data for n in neurons], dtype=torch.float64))


def _torch_numbers(module, net: torch.nn.Module, grad: bool = False) -> dict[Value, tuple[float, str]]:
    """{parameter of module: (the torch model's number for it, its name there)}: values, or gradients."""
    numbers_of = {}
    for neurons, name, layer in _pairs(module, net):
        weight, bias = (layer.weight.grad, layer.bias.grad) if grad else (layer.weight, layer.bias)
        rows = torch.zeros_like(layer.weight).tolist() if weight is None else weight.tolist()
        biases = [0.0] * len(neurons) if bias is None else bias.tolist()
        for j, neuron in enumerate(neurons):
            for k, w in enumerate(neuron.w):
                numbers_of[w] = (rows[j][k], f"{name}.weight[{j}, {k}]")
            numbers_of[neuron.b] = (biases[j], f"{name}.bias[{j}]")
    return numbers_of


def torch_state_dict(module, net: torch.nn.Module, *, grads: bool = False) -> dict[str, float]:
    """The torch model's weights under the module's parameter names, in ``named_parameters()`` order.

    Compare it with ``module.state_dict()`` after a training step in both.

    Args:
        module: the Neuron, Layer or MLP whose names to use.
        net: its torch model (``torch_module(module)``).
        grads: give the gradients of the torch model's weights instead (0.0 where PyTorch
            has none yet).

    Raises:
        ValueError: the torch model's Linear layers do not have the module's shapes.
    """
    numbers_of = _torch_numbers(module, net, grad=grads)
    return {name: numbers_of[p][0] for name, p in module.named_parameters()}


def _is_number(x) -> bool:
    """True for a number or a Value, an entry of one sample."""
    return isinstance(x, (numbers.Real, Value)) and not isinstance(x, bool)


def _batch(rows, what: str) -> tuple[list[list[float]], bool]:
    """(rows as lists of floats, whether one row was given flat); ValueError naming ``what``."""
    if hasattr(rows, "tolist"):  # a numpy array, as micrograd44.data gives
        rows = rows.tolist()
    if isinstance(rows, (str, bytes)) or not isinstance(rows, Sequence) or not rows:
        raise ValueError(
            f"{what} must be a sample (a list of numbers) or a list of samples, got {rows!r:.60}"
        )
    single = all(_is_number(x) for x in rows)
    batch = [rows] if single else rows
    for s, row in enumerate(batch):
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence) or not all(map(_is_number, row)):
            raise ValueError(f"{what}: sample {s} is not a list of numbers: {row!r:.60}")
    return [[float(x.data if isinstance(x, Value) else x) for x in row] for row in batch], single


def assert_module_matches_torch(
    module, inputs, *, output_grads=None, rtol: float = 1e-12, atol: float = 1e-12
) -> None:
    """Assert that the equivalent torch.nn model computes the module's outputs and gradients.

    The module runs on each sample in micrograd44, and ``torch_module(module)`` runs on the
    batch in PyTorch float64. Both then take the gradient of the sum of every output times
    its ``output_grads`` entry (``Tensor.backward(gradient=...)`` in PyTorch), and the
    outputs, every parameter's gradient and every input's gradient are compared, in that
    order. Two numbers agree when ``|ours - theirs| <= atol + rtol * |theirs|``; an inf or a
    nan must be the same in both. The parameters' ``.grad`` are left as they were (see
    ``assert_matches_torch``).

    Args:
        module: a Neuron, Layer or MLP.
        inputs: one sample (a list of ``nin`` numbers or Values) or a list of samples; a
            numpy array of shape (nin,) or (batch, nin) too.
        output_grads: d(loss)/d(output) for each output, shaped like the outputs (a list
            of numbers for one sample, a list of such lists for a batch); None (the
            default) is 1 for every output, the gradient of their sum.
        rtol: the relative tolerance.
        atol: the absolute tolerance, 1e-12 by default: ``nn.Linear`` sums w . x + b in
            another order than micrograd44 (left to right), so a sum that cancels to
            nearly 0 differs by ~1e-16 times its terms, which no rtol covers.

    Raises:
        TorchMismatch: an AssertionError naming the first output (in order), else the
            first parameter (by its dotted name from ``named_parameters()`` and its place
            in the torch model, like ``0.weight[3, 1]``), else the first input whose
            number differs, with both numbers and their relative difference.
        TypeError, ValueError: the module is not a Neuron, Layer or MLP, or the inputs or
            output_grads do not have its shape.

    Example:
        >>> from micrograd44 import MLP
        >>> model = MLP(2, [5, 4, 1], activation="tanh", weight_init="normal", seed=2)
        >>> assert_module_matches_torch(model, [[0.0, 1.0], [1.0, 1.0]])
    """
    check_tolerance("rtol", rtol)
    check_tolerance("atol", atol)
    tolerances = (rtol, atol)
    net = torch_module(module)
    samples, single = _batch(inputs, "inputs")
    xs = [
        [Value(x, label=f"input {k} of sample {s}") for k, x in enumerate(row)]
        for s, row in enumerate(samples)
    ]
    outputs = []
    for x in xs:
        out = module(x)
        outputs.append([out] if isinstance(out, Value) else out)
    seeds = (
        [[1.0] * len(row) for row in outputs]
        if output_grads is None
        else _output_grads(output_grads, outputs, single)
    )
    flat = [out for row in outputs for out in row]
    root = linear(flat, [g for row in seeds for g in row], 0.0)
    nodes = topological_order(root)
    ours = dict(zip(nodes, grad(root, nodes)))  # as root.backward() from zero grads, .grad untouched

    x_torch = torch.tensor(samples, dtype=torch.float64, requires_grad=True)
    y_torch = net(x_torch)
    y_torch.backward(torch.tensor(seeds, dtype=torch.float64))

    for s, (row, expected) in enumerate(zip(outputs, y_torch.tolist())):
        for j, (out, theirs) in enumerate(zip(row, expected)):
            if not allclose(out.data, theirs, *tolerances, equal_nan=True):
                name = f"output {j} of sample {s}"
                raise mismatch("output", out, name, out.data, theirs, tolerances)
    torch_grads = _torch_numbers(module, net, grad=True)
    named = list(module.named_parameters())
    differing = [
        (name, p)
        for name, p in named
        if not allclose(ours.get(p, 0.0), torch_grads[p][0], *tolerances, equal_nan=True)
    ]
    if differing:
        name, p = differing[0]
        theirs, torch_name = torch_grads[p]
        count = f"{len(differing)} of {len(named)} parameter gradients differ"
        raise mismatch(
            "gradient",
            p,
            f"parameter {name!r} (PyTorch {torch_name})",
            ours.get(p, 0.0),
            theirs,
            tolerances,
            count,
        )
    for row, expected in zip(xs, x_torch.grad.tolist()):
        for x, theirs in zip(row, expected):
            if not allclose(ours.get(x, 0.0), theirs, *tolerances, equal_nan=True):
                raise mismatch("gradient", x, x.label, ours.get(x, 0.0), theirs, tolerances)


def _output_grads(output_grads, outputs: list[list[Value]], single: bool) -> list[list[float]]:
    """output_grads as one list of floats per sample; ValueError unless shaped like the outputs."""
    seeds, flat = _batch(output_grads, "output_grads")
    if flat != single or [len(row) for row in seeds] != [len(row) for row in outputs]:
        shape = (
            f"{len(outputs[0])} numbers" if single else f"{len(outputs)} lists of {len(outputs[0])} numbers"
        )
        raise ValueError(f"output_grads must be shaped like the outputs ({shape}), got {output_grads!r:.60}")
    return seeds
