"""The names of the x ** n ops: integers in full below 10**15, else the float's repr; names read back."""

import pytest

from micrograd44 import Value
from micrograd44.core.ops import power, rule_for


@pytest.mark.parametrize(
    ("n", "name"),
    [
        (2.0, "**2"),
        (-3.0, "**-3"),
        (0.5, "**0.5"),
        (999999999999999.0, "**999999999999999"),
        (-999999999999999.0, "**-999999999999999"),
        (1e15, "**1000000000000000.0"),
        (-1e15, "**-1000000000000000.0"),
        (1e16, "**1e+16"),
        (1e300, "**1e+300"),
    ],
)
def test_a_power_is_named_by_its_exponent(n, name):
    assert power(n).name == name
    assert rule_for(name) is power(n)
    assert (Value(1.0) ** n).op == name
