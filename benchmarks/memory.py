"""Bytes of memory per graph node, measured with tracemalloc, this engine beside micrograd.

The graph is a long chain of alternating binary and unary ops, ``y = (y * x).tanh()``.
Reported: bytes per node once the graph is built, after backward() (every node then holds
a gradient), and the peak during backward() (the topological order is built then).
micrograd's backward is recursive: it is run on a chain short enough for its limit.

    python benchmarks/memory.py [--nodes 200000]
"""

from __future__ import annotations

import argparse
import gc
import sys
import tracemalloc

from reference_engines import load_micrograd

import micrograd44

QUICK = ["--nodes", "20000"]


def per_node(Value, nodes: int, run_backward: bool) -> dict[str, float]:
    """Bytes per node of a chain of ``nodes`` nodes: after build, after backward, peak in backward."""
    gc.collect()
    x = Value(0.999)
    y = Value(0.5)
    tracemalloc.start()
    for _ in range(nodes // 2):
        y = (y * x).tanh()
    built, _ = tracemalloc.get_traced_memory()
    result = {"built": built / nodes}
    if run_backward:
        tracemalloc.reset_peak()
        y.backward()
        after, peak = tracemalloc.get_traced_memory()
        result.update(after=after / nodes, peak=peak / nodes)
    tracemalloc.stop()
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200_000)
    args = parser.parse_args(argv)
    rows = [("micrograd44", per_node(micrograd44.Value, args.nodes, run_backward=True))]
    micrograd = load_micrograd()
    if micrograd is not None:
        sys.setrecursionlimit(10_000)
        short = per_node(micrograd[0], 4_000, run_backward=True)
        built = per_node(micrograd[0], args.nodes, run_backward=False)["built"]
        rows.append(("micrograd (+ tanh)", {**short, "built": built}))
    print(f"Bytes per graph node, chain y = (y * x).tanh() of {args.nodes} nodes:")
    print(f"{'engine':<22}{'built':>10}{'after backward':>16}{'peak in backward':>18}")
    for name, r in rows:
        print(f"{name:<22}{r['built']:>10.0f}{r['after']:>16.0f}{r['peak']:>18.0f}")
    if micrograd is not None:
        print(
            "(micrograd's after/peak columns: a 4000-node chain; its recursive backward fails on long ones)"
        )


if __name__ == "__main__":
    main()
