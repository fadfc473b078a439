"""``codegen.lowering.layers`` groups linear nodes only, whatever other ops read the same leaves.

A node of another op (a product, a tanh) reads no inputs through a weight row and a bias;
however many of them read only parameters, they are never taken for a layer of neurons
(which the numpy code would fuse into one matrix product).
"""

from __future__ import annotations

import numpy as np

from micrograd44 import Value
from micrograd44.codegen.lowering import layers
from micrograd44.compiled import capture


def products_and_tanhs(p: list[Value], x: Value) -> Value:
    return (p[0] * p[1] + p[2] * p[3] + p[4].tanh() + p[5].tanh()) * x


def test_products_and_tanhs_of_parameters_are_no_layer():
    p = [Value(0.25 * k - 1.0) for k in range(6)]
    x = Value(2.0)
    program = capture(products_and_tanhs(p, x), inputs=[x], parameters=p)
    assert layers(program._tape) == []
    xs = np.array([0.5, -2.0, 3.0])
    expected = [products_and_tanhs(p, Value(float(at))).data for at in xs]
    assert program.evaluate(xs).tolist() == expected
