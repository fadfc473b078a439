"""Local derivatives meeting an infinite upstream gradient, on every engine: eager, compiled Python, C.

sqrt at 0 has an infinite slope, so whatever sits under it gets an infinite upstream. An
edge that ``ops.MASKED`` masks passes nothing (relu's below 0); an edge whose slope is a
plain 0.0 (x ** y's exponent slope at x = 0) passes 0.0 * inf = nan, as PyTorch does.
The lowering prints the two differently (``Slope.when`` against a ``where``): each must
give eager's gradient.
"""

from __future__ import annotations

import math

import pytest
from compilers import needs_compiler

from micrograd44 import Value
from micrograd44.compiled import capture

ENGINES = ["eager", "python", pytest.param("c", marks=needs_compiler)]

# (the graph, its leaves' values, each leaf's gradient: nan, or a number with its sign)
GRAPHS = {
    "sqrt(0 ** 2)": (lambda x, y: (x**y).sqrt(), (0.0, 2.0), ("nan", "nan")),
    "sqrt(relu(-1)) + y": (lambda x, y: (x.relu()).sqrt() + y, (-1.0, 3.0), (0.0, 1.0)),
    "sqrt(relu(x) * 0) + y": (lambda x, y: (x.relu() * 0.0).sqrt() + y, (2.0, 3.0), ("nan", 1.0)),
}


def gradients(engine: str, graph: str) -> list[float]:
    make, values, _ = GRAPHS[graph]
    leaves = [Value(v) for v in values]
    root = make(*leaves)
    if engine == "eager":
        root.backward()
    else:
        program = capture(root, inputs=[], parameters=leaves)
        if engine == "c":
            program = program.c_program()
        program.backward()
    return [leaf.grad for leaf in leaves]


def described(x: float):
    return "nan" if math.isnan(x) else x


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("graph", GRAPHS)
def test_an_infinite_upstream_passes_nan_or_nothing_as_eager_does(graph, engine):
    expected = GRAPHS[graph][2]
    got = gradients(engine, graph)
    assert [described(g) for g in got] == list(expected)
    assert [math.copysign(1.0, g) for g in got if not math.isnan(g)] == [
        math.copysign(1.0, e) for e in expected if e != "nan"
    ]
