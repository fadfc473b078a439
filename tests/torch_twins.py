"""PyTorch twins of engine models, shared by the tests that compare against torch."""

import torch

from micrograd44 import MLP


def torch_copy(model: MLP) -> torch.nn.Sequential:
    """An equivalent torch.nn.Sequential in float64 with the model's weights copied in."""
    acts = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid}
    modules = []
    for layer in model.layers:
        linear = torch.nn.Linear(layer.nin, layer.nout, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(
                torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64)
            )
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        modules.append(linear)
        if layer.activation is not None:
            modules.append(acts[layer.activation]())
    return torch.nn.Sequential(*modules)


def torch_grads_by_name(net: torch.nn.Sequential, model: MLP) -> dict:
    """The torch grads under the engine's parameter names."""
    grads = {}
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    for i, (linear, layer) in enumerate(zip(linears, model.layers)):
        for j in range(layer.nout):
            for k in range(layer.nin):
                grads[f"layers.{i}.neurons.{j}.w.{k}"] = linear.weight.grad[j, k].item()
            grads[f"layers.{i}.neurons.{j}.b"] = linear.bias.grad[j].item()
    return grads
