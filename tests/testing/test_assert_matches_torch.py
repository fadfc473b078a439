"""assert_matches_torch: right graphs pass, and a wrong one fails naming the node where it goes wrong."""

from __future__ import annotations

import doctest
import math
import subprocess
import sys
import unittest
from pathlib import Path

import pytest
from markdown_blocks import python_blocks

import micrograd44.testing
from micrograd44 import Value, linear, ops, sum_values
from micrograd44.core.value import apply_op, topological_order
from micrograd44.testing import TorchMismatch, assert_matches_torch

# x ** 3 with a wrong local derivative (2 x^2 instead of 3 x^2): an op a user might add.
WRONG_CUBE = ops.OpRule("cube", 1, lambda m, x: x * x * x, lambda m, out, x: (2.0 * x * x,))


class Cubic(Value):
    """A Value subclass with one more op, whose local derivative is wrong."""

    def cube(self) -> Value:
        return apply_op(WRONG_CUBE, [self])


def neuron_graph():
    """(x, w, h, y) for y = tanh(x * w) + x, with h the tanh node."""
    x, w = Value(0.5, label="x"), Value(-1.5, label="w")
    h = (x * w).tanh()
    h.label = "h"
    return x, w, h, h + x


GRAPHS = {
    "chain rule": lambda x: (1 + x.sin()).log(),
    "shared nodes": lambda x: (x * x + x.exp()) * (x * x),
    "every unary op": lambda x: (
        sum_values(
            getattr(x * 0.3 + 1.2, name)() for name in ops.UNARY if name not in ("log", "log1p", "sqrt")
        )
        + (x * x + 1.0).log()
        + (x * x + 1.0).sqrt()
        + (x * x).log1p()
    ),
    "relu at its kink": lambda x: (x - x).relu() * x,
    "a neuron": lambda x: linear([x, Value(2.0), Value(-1.0)], [0.5, x, x * x], Value(0.1)).tanh(),
    "powers and division": lambda x: x**3 / (x**2 + 1.0) - 2.0**x + x ** Value(0.5),
}


@pytest.mark.parametrize("make", GRAPHS.values(), ids=GRAPHS.keys())
@pytest.mark.parametrize("at", [0.7, -1.3, 2.0])
def test_right_graphs_pass(make, at):
    x = Value(abs(at) if make is GRAPHS["powers and division"] else at, label="x")
    assert_matches_torch(make(x))


def test_a_leaf_alone_passes():
    assert_matches_torch(Value(3.0, label="x"))


def test_grads_are_put_back_as_they_were():
    x, w, h, y = neuron_graph()
    nodes = topological_order(y)
    for i, node in enumerate(nodes):
        node.grad = float(i) + 0.25
    before = [node.grad for node in nodes]
    assert_matches_torch(y)
    assert [node.grad for node in nodes] == before
    y.backward()  # the user's own backward afterwards gives what it gives without the helper
    after = [node.grad for node in nodes]
    x2, w2, h2, y2 = neuron_graph()
    nodes2 = topological_order(y2)
    for node, grad in zip(nodes2, before):
        node.grad = grad
    y2.backward()
    assert [node.grad for node in nodes2] == after


def test_grads_are_put_back_when_it_fails(monkeypatch):
    x, w, h, y = neuron_graph()
    x.grad, w.grad = 5.0, -2.0
    monkeypatch.setattr(ops.TANH, "local", lambda m, out, x: (1.0 - out,))
    with pytest.raises(TorchMismatch):
        assert_matches_torch(y)
    assert (x.grad, w.grad, h.grad) == (5.0, -2.0, 0.0)


def test_the_gradients_compared_are_those_of_this_root_alone():
    x, w, h, y = neuron_graph()
    y.backward()
    y.backward()  # x.grad is now twice d(y)/d(x): the helper still compares one backward
    assert_matches_torch(y)
    assert x.grad == 2 * (1.0 + (1.0 - h.data**2) * w.data)


def test_a_perturbed_node_is_named_with_its_op_and_path():
    x, w, h, y = neuron_graph()
    product = h.children[0]
    product.data = 0.1  # changed after the graph was built
    with pytest.raises(TorchMismatch) as caught:
        assert_matches_torch(y)
    error = caught.value
    assert (error.quantity, error.node, error.ours) == ("value", product, 0.1)
    assert error.theirs == -0.75
    assert error.path == (x, product)
    message = str(error)
    assert "value of an unlabelled '*' node (node 3 of 5 in topological order)" in message
    assert "micrograd44 0.1, PyTorch -0.75, relative difference 1.13" in message
    assert "path: x -> *" in message and "\n" not in message


def test_a_wrong_local_derivative_in_the_op_table_names_the_op_node(monkeypatch):
    x, w, h, y = neuron_graph()
    monkeypatch.setattr(ops.TANH, "local", lambda m, out, x: (1.0 - out,))  # should be 1 - out^2
    with pytest.raises(TorchMismatch) as caught:
        assert_matches_torch(y)
    error = caught.value
    assert error.quantity == "gradient"
    assert error.origin is h and error.node is h.children[0]
    assert error.ours == pytest.approx(1.0 - h.data) and error.theirs == pytest.approx(1.0 - h.data**2)
    assert error.path == (x, h.children[0], h)
    message = str(error)
    assert "the difference starts at the 'tanh' node 'h'" in message
    assert f"d(tanh)/d(input 0) is {1.0 - h.data!r} in micrograd44" in message
    assert "path: x -> * -> tanh[h]" in message
    assert (
        "; 3 of 5 gradients differ, the first in topological order at the leaf 'x' "
        "(node 1 of 5 in topological order): micrograd44 -1.45" in message
    )


def test_a_value_subclass_with_a_wrong_local_derivative_names_its_node():
    c = Cubic(0.7, label="c")
    cubed = c.cube()
    cubed.label = "c^3"
    root = (cubed * 2.0 + c).sin()
    with pytest.raises(TorchMismatch) as caught:
        assert_matches_torch(root)
    error = caught.value
    assert error.origin is cubed and error.node is c
    assert error.path == (c, cubed)
    message = str(error)
    assert "gradient of the leaf 'c'" in message
    assert "the difference starts at the 'cube' node 'c^3'" in message
    assert (
        f"d(cube)/d(input 0) is {2.0 * 0.7 * 0.7!r} in micrograd44, {3.0 * 0.7 * 0.7!r} in PyTorch" in message
    )


def test_values_only_runs_no_backward(monkeypatch):
    x, w, h, y = neuron_graph()
    monkeypatch.setattr(ops.TANH, "local", lambda m, out, x: (1.0 - out,))
    assert_matches_torch(y, grads=False)
    product = h.children[0]
    product.data += 1e-9
    with pytest.raises(TorchMismatch):
        assert_matches_torch(y, grads=False)
    assert_matches_torch(y, grads=False, rtol=1e-8)


def test_atol_covers_a_difference_that_cancels_to_nearly_zero():
    x = Value(1.0, label="x")
    root = x.exp() - x.exp()
    root.data = 1e-17  # a last-place difference: no relative tolerance covers it next to 0
    with pytest.raises(TorchMismatch):
        assert_matches_torch(root, rtol=1e-3)
    assert_matches_torch(root, atol=1e-15)


def test_a_long_path_is_shown_with_its_middle_left_out():
    x = Value(0.3, label="x")
    node = x
    for _ in range(2000):
        node = node.tanh() * 1.0001
    node.data += 1.0
    with pytest.raises(TorchMismatch) as caught:
        assert_matches_torch(node)
    assert len(caught.value.path) == 4001
    assert str(caught.value).endswith(
        "; path: x -> tanh -> * -> tanh -> (3993 more) -> tanh -> * -> tanh -> *"
    )


def test_nan_and_inf_gradients_must_match_exactly():
    w = Value(1.5, label="w")
    root = (w * 0.0).sqrt()  # d/dw = 0 * inf = nan, in both
    assert_matches_torch(root)
    x = Value(-1.0, label="x")
    assert_matches_torch(x.relu().sqrt())  # relu masks sqrt's infinite slope, in both


def test_a_failure_is_a_unittest_failure_not_an_error():
    class Case(unittest.TestCase):
        def test_right(self):
            assert_matches_torch(neuron_graph()[-1])

        def test_wrong(self):
            y = neuron_graph()[-1]
            y.data = 2.0
            assert_matches_torch(y)

    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(Case).run(result)
    assert result.testsRun == 2 and not result.errors
    assert [test.id().rsplit(".", 1)[-1] for test, _ in result.failures] == ["test_wrong"]
    assert "differ in the value of an unlabelled '+' node" in result.failures[0][1]


def test_an_op_outside_the_table_is_a_clear_error():
    a = Value(2.0, label="a")
    out = Value(a.data**3, (a,), "cube")
    out._backward = lambda: None
    with pytest.raises(ValueError, match="made with op 'cube', which is not in the op table"):
        assert_matches_torch(out)


@pytest.mark.parametrize(("keyword", "value"), [("rtol", -1.0), ("atol", math.inf), ("rtol", "1e-9")])
def test_tolerances_are_checked(keyword, value):
    with pytest.raises(ValueError, match=f"^{keyword} must be a finite number >= 0"):
        assert_matches_torch(Value(1.0), **{keyword: value})


def test_the_root_must_be_a_value():
    with pytest.raises(TypeError, match="root must be a Value, got float"):
        assert_matches_torch(1.0)


def test_the_examples_in_the_docstrings_run():
    for module in (micrograd44.testing.twin, micrograd44.testing.graphs, micrograd44.testing.modules):
        assert doctest.testmod(module).failed == 0


# Imports torch fails in this child process, as where it is not installed.
WITHOUT_TORCH = """
import sys

class NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoTorch())
import micrograd44
micrograd44.Value(1.0).tanh().backward()
print("micrograd44 works without torch")
from micrograd44.testing import check_backward
print("check_backward:", check_backward(lambda x: x.tanh(), "tanh(x)").reference)
from micrograd44.testing import assert_matches_torch
"""


def test_without_torch_the_import_says_how_to_install_it_in_one_line():
    child = subprocess.run([sys.executable, "-c", WITHOUT_TORCH], capture_output=True, text=True, timeout=120)
    assert child.returncode == 1
    assert child.stdout == "micrograd44 works without torch\ncheck_backward: op table\n"
    last = child.stderr.strip().splitlines()[-1]
    assert last == (
        "ImportError: micrograd44.testing needs PyTorch: pip install torch==2.13.0 --index-url "
        "https://download.pytorch.org/whl/cpu (the CPU build), or pip install 'micrograd44[torch]'"
    )
    assert "ModuleNotFoundError" not in child.stderr  # the cause is not chained: one message


# ---- docs/testing.md runs as written and quotes what the helpers print ----

PAGE = Path(__file__).resolve().parents[2] / "docs" / "testing.md"


def quoted_messages() -> list[str]:
    """The failure messages docs/testing.md quotes (its indented lines)."""
    return [
        line[4:]
        for line in PAGE.read_text(encoding="utf-8").splitlines()
        if line.startswith("    micrograd44")
    ]


def test_the_users_tests_on_the_page_pass():
    namespace = {}
    exec(compile(python_blocks(PAGE.read_text(encoding="utf-8"))[0], str(PAGE), "exec"), namespace)
    tests = [function for name, function in namespace.items() if name.startswith("test_")]
    assert len(tests) == 2
    for test in tests:
        test()


def test_the_page_quotes_the_messages_the_helpers_print(capsys):
    exec(compile(python_blocks(PAGE.read_text(encoding="utf-8"))[1], str(PAGE), "exec"), {})
    x = Value(0.5, label="x")
    cubed = apply_op(ops.OpRule("cube", 1, lambda m, x: x * x * x, lambda m, out, x: (2.0 * x * x,)), [x])
    with pytest.raises(TorchMismatch) as caught:
        assert_matches_torch((cubed * 2.0).sin())
    assert quoted_messages() == [capsys.readouterr().out.strip(), str(caught.value)]
