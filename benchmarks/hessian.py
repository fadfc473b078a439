"""The 44 x 44 Hessian of the course loss: micrograd44 against torch.autograd.functional.hessian.

The loss is the recipe's mean L1 loss over the four XOR samples at its initial weights.
micrograd44 builds the gradient as a graph (``grad(..., create_graph=True)``) and
differentiates each of its 44 entries once more; PyTorch float64 does the same with its
functional API. The two take turns, repetition after repetition, in one process.

    python benchmarks/hessian.py [--repeats 5]
"""

from __future__ import annotations

import argparse

from course_step import report, take_turns
from reference_engines import load_torch

from micrograd44 import topological_order
from micrograd44.autodiff import second_derivatives
from micrograd44.train import Recipe, build_model, sample_loss

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
    from micrograd44.testing import TORCH

    loss, parameters = course_loss()
    order = topological_order(loss)
    flat = torch.tensor([p.data for p in parameters], dtype=torch.float64)

    def f(vector):
        tensors = {p: vector[i] for i, p in enumerate(parameters)}
        for node in order:
            if node not in tensors:
                if node.children:
                    tensors[node] = node._rule.forward(TORCH, *(tensors[c] for c in node.children))
                else:
                    tensors[node] = torch.tensor(node.data, dtype=torch.float64)
        return tensors[loss]

    return lambda: torch.autograd.functional.hessian(f, flat)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    contenders = {"micrograd44": micrograd44_hessian}
    if load_torch() is not None:
        contenders["pytorch float64"] = torch_hessian
    medians = take_turns(contenders, args.repeats)
    print(f"44 x 44 Hessian of the course loss (median of {args.repeats}):")
    print(
        report({name: seconds * 1e3 for name, seconds in medians.items()}, "micrograd44").replace(
            "us/step", "ms"
        )
    )


if __name__ == "__main__":
    main()
