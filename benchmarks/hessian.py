"""The 44 x 44 Hessian of the course loss: micrograd44 against torch.autograd.functional.hessian.

The loss is the recipe's mean L1 loss over the four XOR samples at its initial weights.
micrograd44 builds the gradient as a graph (``grad(..., create_graph=True)``) and
differentiates each of its 44 entries once more. PyTorch float64 computes it with
``torch.autograd.functional.hessian`` twice: on the same graph of scalar ops (rebuilt by
``micrograd44.testing.torch_twin``), and on an nn.Sequential with the same weights and a
batch of the four samples, its usual vectorized form. They take turns, repetition after
repetition, in one process.

    python benchmarks/hessian.py [--repeats 5]
"""

from __future__ import annotations

import argparse

from course_step import report, take_turns
from reference_engines import load_torch

from micrograd44.autodiff import second_derivatives
from micrograd44.training.course import Recipe, build_model, sample_loss

QUICK = ["--repeats", "1"]


def course_loss():
    """(loss, its 44 parameters) at the recipe's initial weights."""
    model = build_model(Recipe())
    return sample_loss(model, Recipe(), [0, 1, 2, 3]), model.parameters()


def micrograd44_hessian():
    """A run that builds the loss and its Hessian with this engine."""

    def run():
        loss, parameters = course_loss()
        second_derivatives(loss, parameters)

    return run


def torch_hessian():
    """A run of torch.autograd.functional.hessian on the same loss, or None without torch."""
    torch = load_torch()
    if torch is None:
        return None
    from micrograd44.testing import torch_twin

    loss, parameters = course_loss()
    flat = torch.tensor([p.data for p in parameters], dtype=torch.float64)

    def f(vector):
        return torch_twin(loss, {p: vector[i] for i, p in enumerate(parameters)})[loss]

    return lambda: torch.autograd.functional.hessian(f, flat)


def torch_sequential_hessian():
    """A run of torch.autograd.functional.hessian on the same loss of the same weights as an
    nn.Sequential on a batch of the four samples (PyTorch's usual, vectorized form), or None."""
    torch = load_torch()
    if torch is None:
        return None
    from torch.func import functional_call

    from micrograd44.testing import torch_module
    from micrograd44.training.course import INPUTS, TARGETS

    net = torch_module(build_model(Recipe()))
    shapes = [(name, p.shape, p.numel()) for name, p in net.named_parameters()]
    flat = torch.cat([p.detach().reshape(-1) for p in net.parameters()])
    inputs = torch.tensor(INPUTS, dtype=torch.float64)
    targets = torch.tensor(TARGETS, dtype=torch.float64).reshape(-1, 1)

    def f(vector):
        parameters, start = {}, 0
        for name, shape, size in shapes:
            parameters[name] = vector[start : start + size].reshape(shape)
            start += size
        return (functional_call(net, parameters, (inputs,)) - targets).abs().mean()

    return lambda: torch.autograd.functional.hessian(f, flat)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    contenders = {"micrograd44": micrograd44_hessian}
    if load_torch() is not None:
        contenders["pytorch, scalar graph"] = torch_hessian
        contenders["pytorch, nn.Sequential"] = torch_sequential_hessian
    medians = take_turns(contenders, args.repeats)
    print(f"44 x 44 Hessian of the course loss (median of {args.repeats}):")
    print(
        report({name: seconds * 1e3 for name, seconds in medians.items()}, "micrograd44").replace(
            "us/step", "ms"
        )
    )


if __name__ == "__main__":
    main()
