"""grad, hessian, hvp, jacobian and jvp refuse what they cannot differentiate (TypeError, ValueError)."""

import pytest

from micrograd44 import Value, grad, hessian, hvp, jacobian, jvp, sum_values


def test_grad_refuses_an_output_or_an_input_that_is_not_a_value():
    x = Value(2.0)
    with pytest.raises(TypeError):
        grad(3.0, [x])
    with pytest.raises(TypeError):
        grad(x * x, [x, 2.0])
    with pytest.raises(TypeError):
        grad(x * x, [2.0])


def test_grad_of_a_leaf_output_is_one_for_itself_and_zero_for_the_rest():
    x, y = Value(2.0), Value(5.0)
    assert grad(x, [x, y]) == (1.0, 0.0)
    one, zero = grad(x, [x, y], create_graph=True)
    assert (one.data, zero.data) == (1.0, 0.0)
    with pytest.raises(ValueError):
        grad(x, [y], allow_unused=False)


def test_an_unused_input_is_refused_only_when_asked():
    x, y = Value(2.0), Value(5.0)
    assert grad(x * x, [x, y]) == (4.0, 0.0)
    with pytest.raises(ValueError):
        grad(x * x, [x, y], allow_unused=False)
    assert grad(x * x, [x], allow_unused=False) == (4.0,)


@pytest.mark.parametrize(
    "call",
    [
        lambda: hvp(lambda x, y: x * y, [1.0, 2.0], [1.0]),
        lambda: hvp(lambda x, y: x * y, [1.0, 2.0], [1.0, 0.0, 0.0]),
        lambda: jvp(lambda x, y: x * y, [1.0, 2.0], [1.0]),
        lambda: jvp(lambda x, y: x * y, [1.0, 2.0], [1.0, 0.0, 0.0]),
    ],
)
def test_a_vector_of_the_wrong_length_is_refused(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize("call", [lambda f: hessian(f, [1.0]), lambda f: hvp(f, [1.0], [1.0])])
def test_a_function_that_returns_no_value_is_refused(call):
    with pytest.raises(TypeError):
        call(lambda x: 3.0)
    with pytest.raises(TypeError):
        call(lambda x: [x, x])


def test_jacobian_of_one_output_is_one_row_and_of_several_one_row_each():
    assert jacobian(lambda x, y: x * y, [3.0, 2.0]) == [[2.0, 3.0]]
    assert jacobian(lambda x, y: (x * y, x - y, y), [3.0, 2.0]) == [[2.0, 3.0], [1.0, -1.0], [0.0, 1.0]]


def test_jvp_of_several_outputs_gives_tuples():
    values, tangents = jvp(lambda x, y: [x * y, x + y], [3.0, 2.0], [1.0, 0.0])
    assert values == (6.0, 5.0) and tangents == (2.0, 1.0)


def test_grads_switches_are_keyword_only():
    x = Value(2.0)
    with pytest.raises(TypeError):
        grad(x * x, [x], True)


def test_hvp_and_jvp_take_hundreds_of_inputs():
    # lengths past 256, where CPython no longer shares one int object per length
    n = 300
    value, tangent = jvp(lambda *xs: sum_values(xs), [1.0] * n, [1.0] * n)
    assert (value, tangent) == (300.0, 300.0)
    value, product = hvp(lambda *xs: sum_values([x * x for x in xs]), [1.0] * n, [1.0] * n)
    assert value == 300.0 and product == [2.0] * n
