"""Bad math gets a clear error naming the op, the offending value and the node."""

import pytest

import micrograd44
from micrograd44 import DivisionByZeroError, DomainError, OpError, OverflowValueError, Value


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda x: x.log(), DomainError, ["log", "-1.5", "'x'", "> 0"]),
        (lambda x: x.sqrt(), DomainError, ["sqrt", "-1.5", "'x'", ">= 0"]),
        (lambda x: x**0.5, DomainError, ["**", "-1.5", "'x'", "integer exponent"]),
        (lambda x: x ** Value(0.5), DomainError, ["**", "-1.5", "'x'"]),
    ],
)
def test_domain_errors_name_op_value_and_label(make, error, words):
    with pytest.raises(error) as info:
        make(Value(-1.5, label="x"))
    assert isinstance(info.value, ValueError) and isinstance(info.value, OpError)
    for word in words:
        assert word in str(info.value)


def test_log_of_zero():
    with pytest.raises(DomainError, match=r"log.*log\(0\.0\).*'x'"):
        Value(0.0, label="x").log()


@pytest.mark.parametrize(
    "make",
    [lambda x, y: x / y, lambda x, y: 3 / y, lambda x, y: y**-1, lambda x, y: y ** Value(-2.0)],
)
def test_division_by_zero(make):
    with pytest.raises(DivisionByZeroError) as info:
        make(Value(2.0, label="num"), Value(0.0, label="den"))
    assert isinstance(info.value, ZeroDivisionError)
    assert "'den'" in str(info.value) and "zero" in str(info.value)


def test_overflow_in_exp_and_power():
    with pytest.raises(OverflowValueError, match=r"exp.*800\.0.*'big'"):
        Value(800.0, label="big").exp()
    with pytest.raises(OverflowValueError, match=r"\*\*.*1e\+200.*'big'"):
        Value(1e200, label="big") ** 3
    with pytest.raises(OverflowError):
        Value(2.0) ** Value(5000.0)


def test_unlabelled_operands_are_named_by_the_op_that_made_them():
    x = Value(-2.0)
    with pytest.raises(DomainError, match=r"unlabelled '\*' result \(data -6\.0\)"):
        (x * 3).log()
    with pytest.raises(DomainError, match=r"unlabelled input \(data -2\.0\)"):
        x.log()


def test_errors_carry_the_op_and_operands():
    x = Value(-1.0, label="x")
    with pytest.raises(DomainError) as info:
        x.log()
    assert info.value.op == "log" and info.value.operands == (x,)


@pytest.mark.parametrize("data", [float("nan"), float("inf"), -float("inf"), 10**400])
def test_values_are_finite(data):
    with pytest.raises(ValueError, match=r"finite number for 'w'"):
        Value(data, label="w")


@pytest.mark.parametrize(
    ("make", "op"),
    [
        (lambda big: big * 10, "*"),
        (lambda big: big + big, "+"),
        (lambda big: big - (-big), "-"),
        (lambda big: micrograd44.linear([big], [10.0], 0.0), "linear"),
        (lambda big: micrograd44.sum_values([big, big]), "sum"),
    ],
)
def test_sums_and_products_that_overflow_name_the_op_and_operands(make, op):
    with pytest.raises(OverflowValueError) as info:
        make(Value(1e308, label="big"))
    assert info.value.op == op and str(info.value).startswith(f"{op}: the result is inf")
    assert "'big' (data 1e+308)" in str(info.value)


def test_a_nan_written_into_data_is_caught_at_the_next_op():
    w = Value(1.0, label="w")
    w.data = float("nan")
    with pytest.raises(OverflowValueError, match=r"\*: the result is nan.*'w' \(data nan\)"):
        w * 2


def test_a_micrograd_style_node_with_the_wrong_number_of_children_says_how_many_its_op_takes():
    a = Value(1.0)
    node = Value(3.0, (a, a, a), "*")
    with pytest.raises(OpError, match=r"'\*' takes 2 children, got 3") as caught:
        node.backward()
    assert "is not an op of this engine" not in str(caught.value)


@pytest.mark.parametrize("exponent", [1e308, 10.0**20, 2.0**60])
def test_a_huge_exponent_is_named_in_a_few_characters(exponent):
    with pytest.raises(OpError) as caught:
        Value(2.0) ** exponent
    op = caught.value.op
    # a float's shortest repr (at most 25 characters) names the exponent exactly
    assert len(op) <= 25 and float(op[2:]) == exponent and len(str(caught.value)) < 200
