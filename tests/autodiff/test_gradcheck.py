"""gradcheck: passes on correct derivatives, names every wrong one, honours its tolerances."""

from __future__ import annotations

import math

import pytest

import micrograd44
from micrograd44 import MLP, DomainError, Layer, Value, gradcheck, linear, ops, sum_values
from micrograd44.gradcheck import GradcheckError, Mismatch

# name -> (function of the inputs, the inputs' data); every function's derivatives are right
CORRECT = {
    "course example log(1 + sin x)": (lambda x: (1 + x.sin()).log(), [0.5]),
    "product of three": (lambda a, b, c: a * b * c, [1.5, -2.0, 0.25]),
    "input used twice": (lambda a: a * a + a / (a + 3), [0.7]),
    "quotient": (lambda a, b: a / b, [2.0, -0.4]),
    "power with a Value exponent": (lambda a, b: a**b, [1.7, -0.6]),
    "number ** Value": (lambda a: 2.5**a, [0.3]),
    "every unary op": (
        lambda x: x.exp() + x.tanh() + x.sigmoid() + x.softplus() + x.relu() + x.abs() + x.cos() + x.sqrt(),
        [0.8],
    ),
    "linear and sum_values": (
        lambda w, x, b: sum_values([linear([w, w], [x, 2.0], b), x**3]),
        [0.3, -1.1, 0.4],
    ),
    "input not used": (lambda a, b: a.tanh(), [0.3, 9.0]),
    "output is the input": (lambda a: a, [4.0]),
    "an MLP of its inputs": (lambda a, b: MLP(2, [3, 1], activation="tanh", seed=1)([a, b]), [0.2, -0.9]),
}


@pytest.mark.parametrize("name", CORRECT)
def test_correct_derivatives_pass(name):
    f, data = CORRECT[name]
    inputs = [Value(d, label=f"x{i}") for i, d in enumerate(data)]
    assert gradcheck(f, inputs) is True


def test_exported_like_torch():
    assert micrograd44.gradcheck is gradcheck
    assert "gradcheck" in micrograd44.__all__


def test_one_value_is_accepted_as_the_inputs():
    assert gradcheck(lambda x: x.exp(), Value(0.1))


def test_several_outputs_are_each_checked():
    layer = Layer(2, 3, activation="sigmoid", seed=4)
    assert gradcheck(lambda a, b: layer([a, b]), [Value(0.5), Value(-0.25)])


def test_a_wrong_derivative_in_the_engine_is_named_with_both_values(monkeypatch):
    # tanh's derivative replaced with a wrong one: 1 - tanh(x) instead of 1 - tanh(x)^2
    monkeypatch.setattr(ops.TANH, "local", lambda m, out, x: (1.0 - out,))
    w, x = Value(0.3, label="w"), Value(-0.7, label="x")

    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda w, x: (w * x).tanh(), [w, x])

    t = math.tanh(0.3 * -0.7)
    true_slope = 1.0 - t * t
    wrong = caught.value.mismatches
    assert [(m.output_index, m.input_index, m.label) for m in wrong] == [(0, 0, "w"), (0, 1, "x")]
    assert wrong[0].analytical == (1.0 - t) * -0.7
    assert wrong[0].numerical == pytest.approx(true_slope * -0.7, rel=1e-8)
    assert wrong[1].numerical == pytest.approx(true_slope * 0.3, rel=1e-8)
    message = str(caught.value)
    assert "2 derivative(s)" in message
    for m in wrong:
        assert m.describe() in message
    assert "d(output 0)/d(input 0 ('w')): numerical " in message
    assert f"analytical {wrong[0].analytical!r}" in message


def test_a_detached_factor_is_caught_and_only_its_input_is_named():
    # x * Value(x.data): the second factor is cut from the graph, so backward() misses half of d/dx
    x, y = Value(1.5, label="x"), Value(2.0, label="y")

    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, y: x * Value(x.data) + y * y, [x, y])

    (mismatch,) = caught.value.mismatches
    assert (mismatch.input_index, mismatch.label, mismatch.analytical) == (0, "x", 1.5)
    assert mismatch.numerical == pytest.approx(3.0, rel=1e-8)
    assert "input 1" not in str(caught.value)


def test_an_unlabelled_input_is_named_by_its_index():
    with pytest.raises(GradcheckError, match=r"d\(output 1\)/d\(input 0\): numerical"):
        gradcheck(lambda x: [x * 2, x * Value(x.data)], [Value(1.0)])


def test_raise_exception_false_returns_false():
    x = Value(1.5)
    assert gradcheck(lambda x: x * Value(x.data), [x], raise_exception=False) is False


def test_a_nan_derivative_never_matches(monkeypatch):
    monkeypatch.setattr(ops.TANH, "local", lambda m, out, x: (math.nan,))
    assert not gradcheck(lambda x: x.tanh(), [Value(0.2)], raise_exception=False)


def _off_by(delta):
    """x + delta * x with the second term cut from the graph: analytical 1, numerical 1 + delta."""
    return lambda x: x + Value(delta * x.data)


# (atol, rtol, passes) for an analytical derivative 1 against a numerical 1.01: passes when
# 0.01 <= atol + rtol * 1.01
TOLERANCES = [
    (0.0, 0.02, True),
    (0.0, 0.005, False),
    (0.02, 0.0, True),
    (0.005, 0.0, False),
    (0.005, 0.005, True),
    (0.004, 0.005, False),
]


@pytest.mark.parametrize(("atol", "rtol", "passes"), TOLERANCES)
def test_tolerances_follow_allclose(atol, rtol, passes):
    assert gradcheck(_off_by(0.01), [Value(2.0)], atol=atol, rtol=rtol, raise_exception=False) is passes


def test_default_tolerances_catch_a_small_relative_error():
    assert gradcheck(_off_by(1e-4), [Value(2.0)])
    assert not gradcheck(_off_by(1e-2), [Value(2.0)], raise_exception=False)


def test_eps_is_the_perturbation():
    # (x + e)^3 - (x - e)^3 = 6 x^2 e + 2 e^3: at x = 1 the central difference is 3 + e^2
    x = Value(1.0)
    assert gradcheck(lambda x: x**3, [x])
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x: x**3, [x], eps=0.1)
    assert caught.value.mismatches[0].numerical == pytest.approx(3.01, rel=1e-12)


def test_f_is_called_once_plus_twice_per_input():
    calls = []

    def f(a, b):
        calls.append((a.data, b.data))
        return a * b

    gradcheck(f, [Value(1.0), Value(2.0)], eps=0.5)
    assert calls == [(1.0, 2.0), (1.5, 2.0), (0.5, 2.0), (1.0, 2.5), (1.0, 1.5)]


def test_data_and_grads_are_left_as_they_were():
    model = MLP(2, [3, 1], activation="tanh", seed=3)
    for i, p in enumerate(model.parameters()):
        p.grad = float(i)
    before = [(p.data, p.grad) for p in model.parameters()]
    a, b = Value(0.5), Value(-0.5)
    a.grad, b.grad = 7.0, 8.0

    assert gradcheck(lambda a, b: model([a, b]), [a, b])

    assert [(p.data, p.grad) for p in model.parameters()] == before
    assert (a.data, a.grad, b.data, b.grad) == (0.5, 7.0, -0.5, 8.0)


def test_an_error_in_f_propagates_and_the_input_is_restored():
    x = Value(1e-9, label="x")
    with pytest.raises(DomainError, match="log"):
        gradcheck(lambda x: x.log(), [x], eps=1e-6)
    assert x.data == 1e-9


@pytest.mark.parametrize(
    ("keyword", "value"),
    [("eps", 0.0), ("eps", -1e-6), ("eps", math.inf), ("atol", -1e-9), ("rtol", math.nan)],
)
def test_bad_tolerances_are_refused(keyword, value):
    with pytest.raises(ValueError, match=f"{keyword} must be a finite number"):
        gradcheck(lambda x: x, [Value(1.0)], **{keyword: value})


def test_inputs_and_outputs_must_be_values():
    with pytest.raises(TypeError, match="input 1 is a float, not a Value"):
        gradcheck(lambda a, b: a, [Value(1.0), 2.0])
    with pytest.raises(TypeError, match="output 1 of f is a float, not a Value"):
        gradcheck(lambda a: [a, 2.0], [Value(1.0)])


def test_a_changing_number_of_outputs_is_refused():
    with pytest.raises(ValueError, match="returned 1 output"):
        gradcheck(lambda a: [a] * (1 if a.data == 1.0 else 2), [Value(1.0)])


def test_mismatch_describe_reads_as_one_line():
    line = Mismatch(output_index=2, input_index=1, label="w", numerical=3.0, analytical=1.5).describe()
    assert line == "d(output 2)/d(input 1 ('w')): numerical 3.0, analytical 1.5, difference 1.5"
