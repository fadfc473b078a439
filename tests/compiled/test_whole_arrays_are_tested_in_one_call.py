"""A finiteness test reads a whole array (P, G) in one call.

``source.whole_arrays`` finds such arrays for C and for the numpy layers.

An array counts as whole when its elements from 0 on are all among the names tested (in
any order, each once or more); the other names are tested one by one.
"""

from __future__ import annotations

from micrograd44 import MLP
from micrograd44.compiled import trace
from micrograd44.compiled.c_source import CWriter
from micrograd44.compiled.python_layers import PythonLayersWriter
from micrograd44.compiled.source import whole_arrays


def test_whole_arrays_and_the_other_names():
    assert whole_arrays(["G[0]", "G[1]", "x", "P[1]"]) == ({"G": 2}, ["x", "P[1]"])
    assert whole_arrays(["G[1]", "G[0]", "G[1]", "x"]) == ({"G": 2}, ["x"])
    assert whole_arrays(["x", "y"]) == ({}, ["x", "y"])
    assert whole_arrays([]) == ({}, [])


def test_c_tests_whole_arrays_with_one_call_and_the_rest_element_by_element():
    assert CWriter.all_finite(["G[0]", "G[1]", "x", "P[1]"]) == (
        "(((x - x) + (P[1] - P[1])) == 0.0) && mg_all_finite(G, 2)"
    )
    assert CWriter.all_finite(["P[0]", "P[1]"]) == "mg_all_finite(P, 2)"
    assert CWriter.all_finite([]) == "1"


def test_numpy_layers_test_all_the_parameters_in_one_call_and_anything_else_as_scalars():
    model = MLP(2, [3, 1], seed=0)
    program = trace(lambda x, y: model([x, y]), (0.0, 0.0), parameters=model)
    writer = PythonLayersWriter(program._tape)
    every = [f"G[{k}]" for k in range(len(model.parameters()))]
    assert writer.unless_finite(every, "fail()") == ["if not all_finite_array(G):", "    fail()"]
    assert writer.unless_finite(every[:-1], "fail()")[0].startswith("if not (isfinite(sum((G[0], ")
    assert writer.unless_finite([*every, "x"], "fail()")[0].startswith("if not (isfinite(sum((G[0], ")
