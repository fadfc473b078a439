"""ctypes calls each generated C function with the types its printed signature declares.

The signature is written once (``c_source.SIGNATURES``); ``c_library.argument_types``
reads from it what ctypes passes: an address for every pointer (a numpy array's), and a
long, an int or a double.
"""

from __future__ import annotations

from ctypes import c_double, c_int, c_long, c_void_p

import pytest

from micrograd44 import MLP
from micrograd44.compiled import trace
from micrograd44.compiled.c_library import argument_types
from micrograd44.compiled.c_source import SIGNATURES, c_source
from micrograd44.compiled.updates import UpdateCode
from micrograd44.optim import Adam

ADDRESS = c_void_p
RECORD = [ADDRESS, c_long, ADDRESS]  # the steps to record, how many, the rows they are copied to

TYPES = {
    "forward": [ADDRESS] * 3,
    "backward": [ADDRESS] * 4,
    "forward_grid": [ADDRESS, c_long, ADDRESS, c_long, c_long, ADDRESS, ADDRESS],
    "single_sample": [ADDRESS, ADDRESS, c_long, *[ADDRESS] * 3, c_int, ADDRESS, ADDRESS, *RECORD, ADDRESS],
    "full_batch": [
        ADDRESS, c_long, c_long, c_double, *[ADDRESS] * 4, c_int, ADDRESS, ADDRESS, *RECORD, ADDRESS,
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(TYPES))
def test_the_types_of_each_functions_arguments(name):
    assert argument_types(name) == TYPES[name]


def test_the_generated_source_prints_each_signature_as_written():
    model = MLP(2, [3, 1], seed=0)
    program = trace(lambda x, y, t: (model([x, y]) - t) ** 2, (0.0, 0.0, 0.0), parameters=model)
    update = UpdateCode(Adam(model.parameters()), [f"p{k}" for k in range(len(model.parameters()))])
    sources = {
        "one sample": c_source(program._tape),
        "single_sample": c_source(program._tape, update, "single_sample"),
        "full_batch": c_source(program._tape, update, "full_batch"),
    }
    for name, lines in SIGNATURES.items():
        printed = "\n".join([*lines, "{"])
        source = sources.get(name, sources["one sample"])
        assert printed in source, name
