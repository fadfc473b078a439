"""Every op's forward value against PyTorch's own function of the same name, at every fixed point.

The comparison with the PyTorch twin reads the table's formulas on both sides; this one
does not (tests/support/torch_functions.py), so a wrong forward formula (relu giving 1 for
x < 0) shows here. Where both are finite they agree within a few units in the last place
(PyTorch's softplus returns x itself above 20, within rounding of log(1 + e^x)).
"""

from __future__ import annotations

import math

import pytest
from op_points import RULES, defined
from torch_functions import OPERATORS, torch_function, torch_value

from micrograd44 import Value
from micrograd44.core import ops
from micrograd44.core.value import apply_op

WITH_A_FUNCTION = [rule for rule in RULES if rule.arity in (1, 2)]


def test_every_op_of_one_or_two_inputs_has_a_pytorch_function():
    assert all(torch_function(rule) is not None for rule in WITH_A_FUNCTION)
    assert {rule.name for rule in ops.OPS.values() if rule.arity == 2} == set(OPERATORS)


@pytest.mark.parametrize("rule", WITH_A_FUNCTION, ids=lambda rule: rule.name)
def test_the_forward_value_equals_pytorchs_function(rule):
    for point in defined(rule):
        ours = apply_op(rule, [Value(x) for x in point]).data
        assert math.isclose(ours, torch_value(rule, point), rel_tol=1e-15, abs_tol=1e-300), point
