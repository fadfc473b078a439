"""Forward mode against reverse mode: the 44 gradients of the course loss, and what each costs.

The chain rule can run in either direction over the same graph and the same local
derivatives. Forward mode (``micrograd44.autodiff.push_tangents``) pushes d(node)/d(p)
from the inputs up: one sweep gives the derivative of the loss along ONE parameter, so 44
parameters take 44 sweeps. Reverse mode (``backward()``) pulls d(loss)/d(node) from the
loss down: one sweep gives all 44 at once. The example checks that both give the same 44
numbers and measures both, in sweeps, in local derivatives evaluated (a count that does
not depend on the machine) and in time: why training uses backpropagation.

    python examples/forward_vs_reverse.py          # about 1 s
    python examples/forward_vs_reverse.py --fast   # the same: nothing here is slow

The times are wall-clock on a quiet 2-core machine, measured with
`time python examples/forward_vs_reverse.py`; on a busy machine they take several times longer.
"""

from __future__ import annotations

import argparse
import time

from micrograd44 import topological_order
from micrograd44.autodiff import push_tangents
from micrograd44.training.course import Recipe, build_model, sample_loss

REPEATS = 20  # each timing is the best of this many


def best_time(run) -> float:
    """The shortest of REPEATS runs, in seconds."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fast", action="store_true", help="accepted like every example; nothing here is slow"
    )
    parser.add_argument("--out", default="out/examples/", help="accepted like every example; writes nothing")
    parser.parse_args(argv)

    recipe = Recipe()
    model = build_model(recipe)
    parameters = model.parameters()
    loss = sample_loss(model, recipe, [0, 1, 2, 3])  # the mean loss over the four XOR samples
    edges = sum(len(node.children) for node in topological_order(loss))

    def reverse() -> list[float]:
        for p in parameters:
            p.grad = 0.0
        loss.backward()
        return [p.grad for p in parameters]

    def forward() -> list[float]:
        return [push_tangents([loss], {p: 1.0})[loss] for p in parameters]

    by_reverse, by_forward = reverse(), forward()
    difference = max(abs(a - b) for a, b in zip(by_reverse, by_forward))
    reverse_time, forward_time = best_time(reverse), best_time(forward)

    print(f"the course loss (mean over 4 samples) at the recipe's initial weights: {loss.data!r}")
    print(f"its graph: {len(topological_order(loss))} nodes, {edges} edges, {len(parameters)} parameters")
    print(f"largest difference between the two gradients: {difference!r}")
    print()
    print("| mode | sweeps | local derivatives evaluated | time (ms) |")
    print("| --- | --- | --- | --- |")
    print(f"| reverse (backward) | 1 | {edges} | {reverse_time * 1e3:.3f} |")
    print(
        f"| forward (push_tangents) | {len(parameters)} | {edges * len(parameters)} "
        f"| {forward_time * 1e3:.3f} |"
    )
    print()
    print(f"forward mode costs {forward_time / reverse_time:.0f}x reverse mode here: one sweep per parameter")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
