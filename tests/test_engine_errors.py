"""Bad math gets a clear error naming the op, the offending value and the node."""

import pytest

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
