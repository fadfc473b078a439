"""check_backward: a hand-written micrograd-style _backward is called right, or its wrong edge is named."""

import math

import pytest

from micrograd44 import Value
from micrograd44.testing import check_backward

REFERENCES = ["PyTorch", "op table"]


def one_node_op(name, forward, local, *, chain=True, accumulate=True):
    """An op written as in micrograd's lecture: one node and a _backward with the given local derivative."""

    def op(x):
        out = Value(forward(x.data), (x,), name)

        def _backward():
            sent = local(x.data, out.data) * (out.grad if chain else 1.0)
            if accumulate:
                x.grad += sent
            else:
                x.grad = sent

        out._backward = _backward
        return out

    return op


EXP = one_node_op("my exp", math.exp, lambda x, out: out)
TANH = one_node_op("my tanh", math.tanh, lambda x, out: 1 - out**2)
LOG1P_SIN = one_node_op(
    "my log(1 + sin)", lambda x: math.log(1 + math.sin(x)), lambda x, out: math.cos(x) / (1 + math.sin(x))
)


OPS = [(EXP, "exp(x)"), (TANH, "tanh(x)"), (LOG1P_SIN, "log(1 + sin(x))")]


@pytest.mark.parametrize("reference", REFERENCES)
@pytest.mark.parametrize(("op", "formula"), OPS)
def test_right_answers_are_called_right(op, formula, reference):
    check = check_backward(op, formula, reference=reference)
    assert check.ok and bool(check) and check.reference == reference
    assert str(check).startswith("right: ")


@pytest.mark.parametrize("reference", REFERENCES)
def test_the_student_notes_slip_names_the_edge_and_both_numbers(reference):
    slip = one_node_op(
        "my log(1 + sin)", lambda x: math.log(1 + math.sin(x)), lambda x, out: math.cos(x) / (2 + math.sin(x))
    )
    check = check_backward(slip, "log(1 + sin(x))", reference=reference)
    x = check.point
    assert not check.ok and x == -1.3
    assert check.yours == pytest.approx(math.cos(x) / (2 + math.sin(x)), rel=1e-15)
    assert check.right == pytest.approx(math.cos(x) / (1 + math.sin(x)), rel=1e-12)
    assert "the edge x <- out ('my log(1 + sin)')" in check.message
    assert repr(check.yours) in check.message and repr(check.right) in check.message


def test_forgetting_out_grad_is_named():
    check = check_backward(one_node_op("my exp", math.exp, lambda x, out: out, chain=False), "exp(x)")
    assert not check.ok and "multiply your local derivative by out.grad" in check.message


def test_overwriting_the_grad_is_named():
    check = check_backward(one_node_op("my exp", math.exp, lambda x, out: out, accumulate=False), "exp(x)")
    assert not check.ok and "write +=" in check.message


def test_a_wrong_forward_is_named_before_any_gradient():
    check = check_backward(one_node_op("my exp", lambda x: math.exp(x) + 1, lambda x, out: out), "exp(x)")
    assert not check.ok and check.message.startswith("wrong forward: at x = -1.3")


def test_ops_built_from_the_engines_ops_are_checked_edge_by_edge():
    def square_plus_x(x):  # the engine's own ops, plus one hand-written node that reuses x (fan-out)
        y = x * x
        out = Value(y.data + x.data, (y, x), "+")

        def _backward():
            y.grad += out.grad
            x.grad += 2 * out.grad  # wrong: d(y + x)/dx is 1

        out._backward = _backward
        return out

    check = check_backward(square_plus_x, "x * x + x", reference="op table")
    assert not check.ok and check.point == -1.3
    assert (check.yours, check.right) == (2.0, 1.0)  # the edge from x into the + node
    assert "the edge x <- out ('+')" in check.message


def test_bad_arguments():
    with pytest.raises(ValueError, match="reference must be one of"):
        check_backward(EXP, "exp(x)", reference="numpy")
    with pytest.raises(TypeError, match="not a Value"):
        check_backward(lambda x: 1.0, "exp(x)")


def test_the_example_in_the_docstring_runs():
    import doctest

    import micrograd44.testing.backward_check

    assert doctest.testmod(micrograd44.testing.backward_check).failed == 0
