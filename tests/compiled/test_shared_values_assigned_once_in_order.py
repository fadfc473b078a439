"""Assignments of expression trees: each shared value computed once, in order (codegen/statements.py).

The assignments are run as Python, with a counting function in the namespace where a count
matters: the outputs must equal the trees' values, a node the trees share must be computed
once (and a node used once never stored in a variable of its own), an update that overwrites
a variable a later output still reads is refused, and branches run the arm their condition picks.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from micrograd44.codegen.expr import EXPRESSIONS, Expr, name
from micrograd44.codegen.python import PYTHON, SCALAR_NAMESPACE, define, python_lines
from micrograd44.codegen.statements import Assign, Branch, Syntax, assignments, lines_of, variables


def run(statements, env, counted=()):
    """The variables after running the assignments as Python; calls of each counted function."""
    calls = {f: 0 for f in counted}

    def counting(function):
        def call(*args):
            calls[function] += 1
            return SCALAR_NAMESPACE[function](*args)

        return call

    scope = {**SCALAR_NAMESPACE, **{f: counting(f) for f in counted}, **env}
    exec("\n".join(python_lines(statements)), scope)
    return scope, calls


def test_a_node_shared_by_two_outputs_is_computed_once():
    x, y = name("x"), name("y")
    shared = EXPRESSIONS.exp(x * y)
    outputs = [("a", shared + 1.0), ("b", shared * shared - y)]
    statements = assignments(outputs, PYTHON, "t")
    scope, calls = run(statements, {"x": 0.5, "y": 3.0}, counted=["exp"])
    e = math.exp(0.5 * 3.0)
    assert (scope["a"], scope["b"]) == (e + 1.0, e * e - 3.0)
    assert calls == {"exp": 1}
    assert len(statements) == 3  # t0 = exp(x * y); a = ...; b = ...


def test_nodes_used_once_stay_inline_and_leaves_are_never_stored():
    x, y = name("x"), name("y")
    outputs = [("a", EXPRESSIONS.exp(x) * EXPRESSIONS.sin(y) + x * y - x), ("b", y / x + y)]
    statements = assignments(outputs, PYTHON, "t")
    assert [s.target for s in statements] == ["a", "b"]
    scope, _ = run(statements, {"x": 2.0, "y": -1.0})
    assert (scope["a"], scope["b"]) == (math.exp(2.0) * math.sin(-1.0) + 2.0 * -1.0 - 2.0, -1.0 / 2.0 + -1.0)


def test_an_output_read_by_a_later_output_is_read_from_its_variable():
    x, g = name("x"), name("g")
    momentum = 0.9 * name("m") + g  # the new buffer, used by the parameter's update
    outputs = [("m", momentum), ("x", x - 0.1 * momentum), ("copy", momentum)]
    statements = assignments(outputs, PYTHON, "t")
    scope, _ = run(statements, {"x": 1.0, "g": 0.5, "m": 2.0})
    m = 0.9 * 2.0 + 0.5
    assert (scope["m"], scope["x"], scope["copy"]) == (m, 1.0 - 0.1 * m, m)
    assert len(statements) == 3
    assert [s.target for s in statements] == ["m", "x", "copy"]


def test_shared_nodes_nested_in_shared_nodes_are_each_computed_once_in_order():
    x = name("x")
    inner = EXPRESSIONS.sin(x)
    outer = EXPRESSIONS.exp(inner * inner)
    outputs = [("a", outer + inner), ("b", outer * 2.0), ("c", EXPRESSIONS.fsum([inner, outer, x]))]
    statements = assignments(outputs, PYTHON, "tmp")
    scope, calls = run(statements, {"x": 0.3}, counted=["sin", "exp"])
    s = math.sin(0.3)
    e = math.exp(s * s)
    assert (scope["a"], scope["b"], scope["c"]) == (e + s, e * 2.0, math.fsum([s, e, 0.3]))
    assert calls == {"sin": 1, "exp": 1}
    assert len(statements) == 5
    temporaries = [s.target for s in statements if s.target.startswith("tmp")]
    assert len(set(temporaries)) == len(temporaries) == 2


def test_a_shared_node_inside_a_sum_is_read_from_its_variable():
    x, y = name("x"), name("y")
    shared = EXPRESSIONS.exp(x)
    outputs = [("a", EXPRESSIONS.fsum([shared, y, shared])), ("b", shared)]
    statements = assignments(outputs, PYTHON, "t")
    scope, calls = run(statements, {"x": 1.0, "y": -2.0}, counted=["exp"])
    assert (scope["a"], scope["b"]) == (math.fsum([math.e, -2.0, math.e]), math.e)
    assert calls == {"exp": 1}


def test_an_output_that_is_an_earlier_output_is_a_copy():
    x = name("x")
    tree = EXPRESSIONS.exp(x) + 1.0
    statements = assignments([("a", tree), ("b", tree)], PYTHON, "t")
    scope, calls = run(statements, {"x": 0.0}, counted=["exp"])
    assert (scope["a"], scope["b"]) == (2.0, 2.0)
    assert calls == {"exp": 1}
    assert statements[-1] == Assign("b", "a")


def test_an_output_overwritten_before_a_later_output_reads_it_is_refused():
    p, g = name("p"), name("g")
    with pytest.raises(ValueError):
        assignments([("p", p - g), ("q", p * 2.0)], PYTHON, "t")
    with pytest.raises(ValueError):
        assignments([("p", p - g), ("q", g * 2.0), ("r", EXPRESSIONS.exp(p))], PYTHON, "t")
    with pytest.raises(ValueError):
        assignments([("p", p - g), ("q", g), ("r", g), ("s", EXPRESSIONS.fsum([g, p]))], PYTHON, "t")


def test_reading_a_variable_before_it_is_overwritten_is_allowed():
    p, g, m = name("p"), name("g"), name("m")
    new_p = p - g
    outputs = [("m", p * g + m), ("p", new_p), ("r", new_p * 2.0), ("g", g * 0.5)]
    scope, _ = run(assignments(outputs, PYTHON, "t"), {"p": 3.0, "g": 1.0, "m": 0.5})
    assert (scope["m"], scope["p"], scope["r"], scope["g"]) == (3.5, 2.0, 4.0, 0.5)


def test_a_later_output_reading_an_output_only_through_it_is_allowed():
    p, g = name("p"), name("g")
    new_p = p - g
    statements = assignments([("p", new_p), ("q", Expr("*", new_p, 2.0 + g))], PYTHON, "t")
    scope, _ = run(statements, {"p": 3.0, "g": 1.0})
    assert (scope["p"], scope["q"]) == (2.0, 2.0 * 3.0)


def test_lines_of_run_the_arm_the_condition_picks_and_close_each_block():
    statements = [
        Assign("n", "0"),
        Branch(
            "x > 0.0", [Branch("x > 1.0", [Assign("y", "2.0")], [Assign("y", "1.0")])], [Assign("y", "-1.0")]
        ),
        Assign("z", "y * 10.0"),
    ]
    # a language that closes each branch with a statement: count the closings that ran
    counting = Syntax("{target} = {source}", "if {condition}:", "else:", "n += 1")
    for x, y, closings in [(2.0, 2.0, 2), (0.5, 1.0, 2), (-1.0, -1.0, 1)]:
        scope = {"x": x}
        exec("\n".join(lines_of(statements, counting)), scope)
        assert (scope["y"], scope["z"], scope["n"]) == (y, y * 10.0, closings)
    function = define("f", ["x"], [*python_lines(statements), "return z"], {})[0]
    assert [function(x) for x in (2.0, 0.5, -1.0)] == [20.0, 10.0, -10.0]


def test_variables_name_each_hyper_parameter():
    h = variables(["lr", "momentum"])
    tree = h.lr * h.momentum - h.lr
    assert eval(PYTHON.print(tree), {"lr": 0.5, "momentum": 3.0}) == 1.0
    assert sorted(vars(h)) == ["lr", "momentum"]


def test_statements_and_syntaxes_are_values_that_cannot_change():
    statements = [Assign("a", "1.0"), Branch("x", [Assign("b", "2.0")], []), Syntax("{target}", "", "", None)]
    for statement in statements:
        with pytest.raises(dataclasses.FrozenInstanceError):
            statement.target = "other"
    assert Assign("a", "1.0") == Assign("a", "1.0") and hash(Assign("a", "1.0")) == hash(Assign("a", "1.0"))
    assert len({Syntax("a", "b", "c", None), Syntax("a", "b", "c", None)}) == 1


def test_a_node_used_exactly_twice_after_a_leaf_is_computed_once():
    x, y = name("x"), name("y")
    shared = EXPRESSIONS.exp(x * y)  # used once by each output, each time after a leaf
    statements = assignments([("a", x + shared), ("b", y * shared)], PYTHON, "t")
    scope, calls = run(statements, {"x": 0.5, "y": 2.0}, counted=["exp"])
    assert (scope["a"], scope["b"]) == (0.5 + math.e, 2.0 * math.e)
    assert calls == {"exp": 1}
    assert len(statements) == 3


def test_an_overwritten_output_read_under_any_operator_or_by_an_equal_name_is_refused():
    p, g = name("p"), name("g")
    condition = EXPRESSIONS.gt(g, 0.0)
    for reader in (-p, EXPRESSIONS.where(condition, p, g), EXPRESSIONS.or_(condition, p), EXPRESSIONS.exp(p)):
        with pytest.raises(ValueError):
            assignments([("p", p - g), ("q", reader)], PYTHON, "t")
    built = "".join(["p", "1"])  # a name made at run time, as the lowering makes them: equal, not identical
    with pytest.raises(ValueError):
        assignments([("p1", name("p1") - g), ("q", name(built) * 2.0)], PYTHON, "t")


def test_outputs_after_a_copied_output_are_assigned_too():
    x = name("x")
    tree = EXPRESSIONS.exp(x) + 1.0
    statements = assignments([("a", tree), ("b", tree), ("c", x * 3.0)], PYTHON, "t")
    scope, _ = run(statements, {"x": 0.0})
    assert (scope["a"], scope["b"], scope["c"]) == (2.0, 2.0, 0.0)
