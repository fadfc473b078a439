"""What a neuron computes: a weighted sum of its inputs plus a bias, passed through an activation.

One neuron with two inputs is computed twice, by hand with the math module and by
micrograd44's Neuron, with the largest difference between the two printed: first the
weighted sum z = w.0 x.0 + w.1 x.1 + b, then the activation. backward() then gives the
gradient of the output with respect to every weight, input and the bias, printed beside
the derivatives worked out by hand. The neuron's graph, with the gradient on every edge, is
written to neuron.svg.

    python examples/neuron.py                  # prints the numbers, writes out/examples/neuron.svg
    python examples/neuron.py --out pictures/  # somewhere else
    python examples/neuron.py --fast           # the same: nothing here is slow
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import viz
from micrograd44 import Neuron, Value

INPUTS = [0.8, -0.4]
WEIGHTS = [1.5, 0.5]
BIAS = -0.3

# activation name -> the same function by hand
BY_HAND = {
    "tanh": math.tanh,
    "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)),
    "relu": lambda z: max(0.0, z),
    None: lambda z: z,
}


def make_neuron(activation: str | None) -> Neuron:
    """A two-input Neuron holding WEIGHTS and BIAS."""
    neuron = Neuron(2, activation=activation)
    neuron.load_state_dict({"w.0": WEIGHTS[0], "w.1": WEIGHTS[1], "b": BIAS})
    return neuron


def show_forward(rows: list[tuple[str, float, float]]) -> None:
    """Print quantities computed by hand and by the engine side by side."""
    print(f"{'':16}{'by hand':>22}{'micrograd44':>22}")
    for name, by_hand, by_engine in rows:
        print(f"{name:16}{by_hand!r:>22}{by_engine!r:>22}")
    print(f"largest difference: {max(abs(a - b) for _, a, b in rows)!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", default="out/examples/", help="folder for the picture (default: %(default)s)"
    )
    parser.add_argument(
        "--fast", action="store_true", help="accepted like every example; nothing here is slow"
    )
    args = parser.parse_args(argv)

    print(f"one neuron: inputs x = {INPUTS}, weights w = {WEIGHTS}, bias b = {BIAS}\n")
    z = WEIGHTS[0] * INPUTS[0] + WEIGHTS[1] * INPUTS[1] + BIAS
    neuron = make_neuron("tanh")
    x = [Value(value, label=f"x.{i}") for i, value in enumerate(INPUTS)]
    out = neuron(x)
    out.label = "out"
    out.backward()
    weighted_sum = out.children[0]  # the neuron's w . x + b node, before tanh
    weighted_sum.label = "z"

    print("forward: z = w.0 x.0 + w.1 x.1 + b, then out = tanh(z)")
    show_forward([("z", z, weighted_sum.data), ("out = tanh(z)", math.tanh(z), out.data)])

    # d out/d z = 1 - tanh(z)^2; then d z/d w.i = x.i, d z/d x.i = w.i, d z/d b = 1
    slope = 1.0 - math.tanh(z) ** 2
    w0, w1, b = neuron.parameters()
    print("\nbackward: d out/d w.i = (1 - out^2) x.i, d out/d x.i = (1 - out^2) w.i, d out/d b = 1 - out^2")
    show_forward(
        [
            ("d out/d w.0", slope * INPUTS[0], w0.grad),
            ("d out/d w.1", slope * INPUTS[1], w1.grad),
            ("d out/d b", slope, b.grad),
            ("d out/d x.0", slope * WEIGHTS[0], x[0].grad),
            ("d out/d x.1", slope * WEIGHTS[1], x[1].grad),
        ]
    )

    print("\nthe same weighted sum through each activation: out = activation(z)")
    show_forward(
        [
            (f"{activation or 'none (linear)'}", by_hand(z), make_neuron(activation)(INPUTS).data)
            for activation, by_hand in BY_HAND.items()
        ]
    )

    title = f"One tanh neuron: out = tanh(w.0 x.0 + w.1 x.1 + b) = {out.data:.4f}"
    graph = viz.draw_graph(out, edge_labels="chain", parameters=neuron.parameters(), title=title)
    print(f"\nwrote {viz.save(graph, Path(args.out) / 'neuron.svg')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
