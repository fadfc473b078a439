"""The engine under hostile and unlucky input: huge numbers, deep graphs, threads, pickles, user text."""

from __future__ import annotations

import copy
import gc
import linecache
import math
import pickle
import threading
import weakref

import numpy as np
import pytest

from micrograd44 import MLP, OpError, Value, sum_values
from micrograd44.compiled import CaptureError, capture, trace
from micrograd44.core import set_scope, topological_order

# ---- numbers that are not floats ----


def test_an_integer_too_large_for_a_float_names_the_op_and_the_other_operand():
    a = Value(2.0, label="a")
    with pytest.raises(ValueError) as caught:
        a + 10**400
    message = str(caught.value)
    assert message.startswith("+: ") and "too large for a float" in message and "'a'" in message
    assert len(message) < 300  # the 401 digits are cut


def test_a_huge_or_nan_exponent_is_refused_with_the_op_and_base():
    a = Value(2.0, label="a")
    with pytest.raises(ValueError, match=r"\*\*: the exponent must be a finite number.*'a'"):
        a**10**400
    with pytest.raises(ValueError, match=r"\*\*: the exponent must be a finite number, got nan"):
        a**math.nan


def test_sum_values_is_exact_when_a_partial_sum_overflows():
    assert sum_values([1e308, 1e308, -1e308]).data == 1e308


def test_a_sum_whose_exact_value_overflows_names_sum():
    with pytest.raises(OpError, match=r"^sum: the result is inf"):
        sum_values([1e308, 1e308])


# ---- graphs of any depth: pickle and deepcopy ----


def chain(n: int) -> tuple[Value, Value]:
    """(x, y) with y = x * 1.0001 ... n times."""
    x = y = Value(0.5, label="x")
    for _ in range(n):
        y = y * 1.0001
    return x, y


@pytest.mark.parametrize("copy_graph", [lambda v: pickle.loads(pickle.dumps(v)), copy.deepcopy])
def test_a_5000_node_chain_pickles_and_deep_copies(copy_graph):
    _, y = chain(5000)
    y.backward()
    twin = copy_graph(y)
    original, copied = topological_order(y), topological_order(twin)
    assert [(v.data, v.grad, v.label, v.op) for v in original] == [
        (v.data, v.grad, v.label, v.op) for v in copied
    ]
    assert not set(map(id, original)) & set(map(id, copied))
    twin.backward()  # the copy is a working graph
    assert copied[0].grad == original[0].grad * 2  # grads accumulate in the copied leaf too


def test_a_model_pickles_with_its_parameters():
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    copied = pickle.loads(pickle.dumps(model))
    assert [p.data for p in copied.parameters()] == [p.data for p in model.parameters()]
    assert copied([0.5, -1.0]).data == model([0.5, -1.0]).data


def test_extra_attributes_survive_a_pickle():
    p = Value(1.0, label="p")
    p.m = 0.25
    assert pickle.loads(pickle.dumps(p)).m == 0.25


# ---- threads ----


def test_module_scopes_do_not_leak_between_threads():
    barrier = threading.Barrier(4)
    errors = []

    def train():
        try:
            model = MLP(2, [3, 1], activation="tanh", seed=1)
            barrier.wait()
            for _ in range(50):
                model([0.5, 0.5]).backward()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=train) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert Value(1.0).scope is None and (Value(1.0) * 2).scope is None


def test_set_scope_is_per_thread():
    seen = []
    previous = set_scope((("mlp", ""),))
    try:
        thread = threading.Thread(target=lambda: seen.append(Value(1.0).scope))
        thread.start()
        thread.join()
        assert seen == [None] and Value(1.0).scope == (("mlp", ""),)
    finally:
        set_scope(previous)


# ---- micrograd-style nodes ----


def test_a_node_of_a_known_op_built_by_hand_takes_its_derivative():
    a, b = Value(2.0), Value(-3.0)
    out = Value(a.data * b.data, (a, b), "*")
    out.backward()
    assert (out.op, a.grad, b.grad) == ("*", -3.0, 2.0)


def test_a_node_of_an_unknown_op_runs_its_own_backward():
    a = Value(3.0, label="a")
    out = Value(a.data**3, (a,), "cube")

    def _backward():
        a.grad += 3 * a.data**2 * out.grad

    out._backward = _backward
    (out * 2).backward()
    assert (out.op, out._op, a.grad) == ("cube", "cube", 54.0)


def test_a_node_of_an_unknown_op_without_backward_says_so():
    out = Value(1.0, (Value(1.0),), "mystery")
    with pytest.raises(OpError, match="'mystery' is not an op of this engine.*set its _backward"):
        out.backward()
    with pytest.raises(CaptureError, match="'mystery'"):
        capture(out, inputs=[])


def test_a_label_passed_as_the_second_argument_is_explained():
    with pytest.raises(TypeError, match="pass a name as label="):
        Value(1.0, "x")


# ---- generated code: user text never becomes code; memory comes back ----


def test_a_label_or_scope_with_a_newline_cannot_inject_code():
    injected = []
    evil = "w\nimport builtins; builtins.__dict__['INJECTED'] = 1 #"
    w = Value(0.5, label=evil)
    previous = set_scope(((evil, evil),))
    try:
        program = trace(lambda x: (w * x).tanh(), (1.0,), parameters=[w])
    finally:
        set_scope(previous)
    program.backward(2.0)
    program.evaluate(np.array([1.0, 2.0]))
    injected.append(__import__("builtins").__dict__.pop("INJECTED", None))
    assert injected == [None]
    lines = [line for line in program.source.splitlines() if "import builtins" in line]
    assert lines and all(line.index("import builtins") > line.index("#") for line in lines)  # comments only


def test_compiled_programs_release_their_source_when_freed():
    model = MLP(2, [16, 16, 1], activation="tanh", seed=0)

    def compile_once() -> weakref.ref:
        program = trace(lambda x, y: model([x, y]), (0.0, 0.0), parameters=model)
        program(0.5, 0.5)
        program.evaluate(np.zeros(3), np.zeros(3))
        return weakref.ref(program)

    compile_once()
    gc.collect()
    entries = sum(1 for name in linecache.cache if name.startswith("<micrograd44 generated"))
    programs = [compile_once() for _ in range(20)]
    gc.collect()
    # every program is freed, and with it the generated source it registered for tracebacks (a
    # memory figure would also count the interpreter's own tables growing, which this is not)
    assert [program() for program in programs] == [None] * 20
    assert sum(1 for name in linecache.cache if name.startswith("<micrograd44 generated")) == entries


@pytest.mark.parametrize(
    ("value", "error", "says"),
    [
        (None, TypeError, "real numbers"),
        ("1", TypeError, "real numbers"),
        (1 + 2j, TypeError, "real numbers"),
        (math.nan, ValueError, "finite"),
        ([0.0, math.inf], ValueError, "finite"),
    ],
)
def test_batched_inputs_are_checked_like_single_ones(value, error, says):
    w = Value(0.5, label="w")
    program = trace(lambda x: w * x, (1.0,), parameters=[w])
    with pytest.raises(error, match=f"input 'x'.*{says}"):
        program.evaluate(value)
    with pytest.raises(error, match=f"input 'x'.*{says}"):
        program.gradients(value)
