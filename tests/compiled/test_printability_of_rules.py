"""``codegen.lowering.check_printable``: which rules the compiled backends can print, and which not.

A rule prints when its forward expression, its checks and its local derivatives print in
every backend language and call only what that language's namespace defines. Capture asks
it before making any code, so a rule it passes wrongly fails later, inside generated code.
"""

from __future__ import annotations

import pytest

from micrograd44 import ops
from micrograd44.codegen.arrays import ARRAY_NAMESPACE
from micrograd44.codegen.lowering import check_printable
from micrograd44.codegen.python import SCALAR_NAMESPACE

printable = check_printable.__wrapped__  # not cached: the tests change the namespaces


def test_every_rule_prints_with_its_own_number_of_inputs():
    for rule in ops.OPS.values():
        for arity in (1, 2, 5) if rule.arity is None else (rule.arity,):
            assert printable(rule, arity) is None, rule.name


@pytest.mark.parametrize(("name", "arity"), [("+", 1), ("+", 3), ("tanh", 2), ("*", 0)])
def test_a_rule_given_the_wrong_number_of_inputs_does_not_print(name, arity):
    assert printable(ops.rule_for(name), arity) is not None


@pytest.mark.parametrize("namespace", [SCALAR_NAMESPACE, ARRAY_NAMESPACE], ids=["scalars", "arrays"])
@pytest.mark.parametrize("function", ["tanh", "exp", "log"])
def test_a_rule_calling_what_a_backend_lacks_does_not_print(namespace, function, monkeypatch):
    monkeypatch.delitem(namespace, function)
    assert printable(ops.rule_for(function), 1) is not None
    assert printable(ops.rule_for("+"), 2) is None  # the others still print


def test_a_rule_outside_the_op_table_does_not_print():
    tanh = ops.rule_for("tanh")
    stranger = ops.OpRule("not an op of the table", 1, tanh.forward, tanh.local)
    assert printable(stranger, 1) is not None
