"""The chain rule in gradient flow, on f(x) = log(1 + sin x).

f is a chain of three steps, x -> sin x -> 1 + sin x -> log(1 + sin x). Its derivative is
the product of the local derivative of each step, d f/d x = 1/(1 + sin x) * 1 * cos x,
which is cos x / (1 + sin x). backward() computes exactly this product, node by node from
the output back to x. The example prints f'(x) found three ways (backward(), the formula
by hand, central differences), then every edge of the graph with its local derivative,
the gradient arriving from above, and their product; chain_rule.svg shows the same
numbers on the picture. For any other formula, use the command line:
``micrograd44 grad "log(1 + sin(x))" --at x=0.5 --graph grad.svg``.

    python examples/chain_rule.py                  # prints the numbers, writes out/examples/chain_rule.svg
    python examples/chain_rule.py --fast           # the same: nothing here is slow
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import viz
from micrograd44 import Value, gradcheck, topological_order

AT = 0.5  # where the graph is drawn and the edges are listed
MORE_POINTS = [-1.0, 0.0, 1.0, 2.0]  # where f'(x) is also compared
EPS = 1e-6  # the step of the central differences


def f(x: Value) -> Value:
    """f(x) = log(1 + sin x), each step labelled for the printout and the picture."""
    sine = x.sin()
    sine.label = "sin x"
    shifted = 1 + sine
    shifted.label = "1 + sin x"
    out = shifted.log()
    out.label = "f = log(1 + sin x)"
    return out


def derivative_three_ways(at: float) -> tuple[float, float, float]:
    """f'(at) by backward(), by the hand formula cos x / (1 + sin x), and by central differences."""
    x = Value(at, label="x")
    f(x).backward()
    by_hand = math.cos(at) / (1 + math.sin(at))
    by_differences = (f(Value(at + EPS)).data - f(Value(at - EPS)).data) / (2 * EPS)
    return x.grad, by_hand, by_differences


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", default="out/examples/", help="folder for the picture (default: %(default)s)"
    )
    parser.add_argument(
        "--fast", action="store_true", help="accepted like every example; nothing here is slow"
    )
    args = parser.parse_args(argv)

    print("f(x) = log(1 + sin x),  f'(x) = cos x / (1 + sin x)\n")
    print(f"{'x':>5}{'f(x)':>22}{'backward()':>22}{'by hand':>22}{'central diff.':>22}")
    for at in [AT, *MORE_POINTS]:
        engine, by_hand, by_differences = derivative_three_ways(at)
        value = math.log(1 + math.sin(at))
        print(f"{at:>5}{value!r:>22}{engine!r:>22}{by_hand!r:>22}{by_differences!r:>22}")
    print(f"gradcheck (micrograd44's checker) at x = {AT}: {gradcheck(f, [Value(AT)])}")

    x = Value(AT, label="x")
    out = f(x)
    out.backward()
    print(f"\nbackward() at x = {AT}, edge by edge from the output back:")
    print(f"  {'edge: result <- input':<36}{'local':>10}{'upstream':>10}{'sent back':>11}")
    path_locals = []
    for node in reversed(topological_order(out, leaves=False)):
        for child, local in zip(node.children, node.local_grads()):
            edge = f"{node.label} <- {child.label or f'{child.data:g} (a constant)'}"
            print(f"  {edge:<36}{local:>10.6f}{node.grad:>10.6f}{local * node.grad:>11.6f}")
            if child.label:  # on the path from x to f
                path_locals.append(local)
    product = " x ".join(f"{local:.6f}" for local in path_locals)
    print(f"the local derivatives along the path x -> f multiply: {product} = {math.prod(path_locals)!r}")
    print(f"d f/d x by backward() = {x.grad!r}")

    title = f"f(x) = log(1 + sin x) at x = {AT}: d f/d x = cos x / (1 + sin x) = {x.grad:.4f}"
    graph = viz.draw_graph(out, edge_labels="chain", title=title)
    print(f"\nwrote {viz.save(graph, Path(args.out) / 'chain_rule.svg')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
