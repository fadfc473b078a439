"""What the Python printer's pieces compute when the generated code runs (codegen/python.py).

Literals read back as the same float (sign of zero, infinities, nan, a negative number as a
base); the IEEE printer gives inf or nan where plain Python raises, and only there; guards,
masks, the finiteness test, tuples and indentation behave as the lowering relies on; and
``define`` compiles a function whose source lines show in tracebacks while it lives.
"""

from __future__ import annotations

import ast
import gc
import linecache
import math
import struct
import traceback

import pytest

from micrograd44.codegen.expr import EXPRESSIONS, Expr, expr, name
from micrograd44.codegen.python import (
    PYTHON,
    PYTHON_SLOPES,
    PYTHON_SYNTAX,
    SCALAR_NAMESPACE,
    EagerWouldRaise,
    PythonPrinter,
    all_finite,
    comment_text,
    define,
    indent,
    python_lines,
    python_literal,
    tuple_source,
)
from micrograd44.codegen.statements import Assign, Branch
from micrograd44.core import ops
from micrograd44.core.slopes import IEEE_FUNCTIONS

LITERALS = (0.0, -0.0, 1.5, -1.5, -2.0, 1e-320, -1e-320, 1e308, -1e308, 0.1, math.inf, -math.inf, math.nan)


def bits(x: float):
    """A float's bit pattern (every nan as one)."""
    return "nan" if math.isnan(x) else struct.pack("<d", x)


def run(source: str, **env):
    """The value of Python source in the generated code's namespace, with the given variables."""
    return eval(source, {**SCALAR_NAMESPACE, **env})


@pytest.mark.parametrize("value", LITERALS)
def test_literals_read_back_as_the_same_float(value):
    assert bits(run(python_literal(value))) == bits(value)
    assert bits(run(PYTHON.constant(value))) == bits(value)


@pytest.mark.parametrize("value", [-1.5, -2.0, 1.5, -math.inf, -0.0])
def test_a_negative_literal_is_one_operand(value):
    # -1.5 ** 2.0 would be -(1.5 ** 2.0): the literal must be the base as a whole
    assert bits(run(f"{python_literal(value)} ** 2.0")) == bits(value**2.0)
    assert bits(run(PYTHON.print(expr(value) ** 2.0))) == bits(value**2.0)
    assert bits(run(f"x - {python_literal(value)}", x=1.0)) == bits(1.0 - value)


def test_plain_python_raises_where_the_ieee_printer_gives_inf_or_nan():
    x, y = name("x"), name("y")
    cases = [  # (tree, inputs, the IEEE value)
        (x / y, dict(x=1.0, y=0.0), math.inf),
        (x / y, dict(x=-1.0, y=0.0), -math.inf),
        (x / y, dict(x=0.0, y=0.0), math.nan),
        (x / 0.0, dict(x=2.0), math.inf),
        (x / -0.0, dict(x=2.0), -math.inf),
        (x**y, dict(x=0.0, y=-0.5), math.inf),
        (x**-1.0, dict(x=0.0), math.inf),
        (x**-2.0, dict(x=-0.0), math.inf),
        (EXPRESSIONS.log(x), dict(x=0.0), -math.inf),
        (EXPRESSIONS.log1p(x), dict(x=-1.0), -math.inf),
        (EXPRESSIONS.sqrt(x), dict(x=-1.0), math.nan),
        (EXPRESSIONS.exp(x), dict(x=1000.0), math.inf),
    ]
    for tree, env, value in cases:
        assert bits(run(PYTHON_SLOPES.print(tree), **env)) == bits(value), tree
        with pytest.raises((ArithmeticError, ValueError)):
            run(PYTHON.print(tree), **env)


def test_the_ieee_printer_agrees_with_python_wherever_python_does_not_raise():
    x, y = name("x"), name("y")
    trees = [x / y, x / 4.0, x / -0.5, x**y, x**2.0, x**0.5, x**-1.0, x**0.0, 2.0**y, x / (y + 1.0)]
    trees += [getattr(EXPRESSIONS, f)(x) for f in IEEE_FUNCTIONS]
    for tree in trees:
        for xv in (-2.0, -0.5, 0.0, 0.25, 1.0, 3.0):
            for yv in (-2.0, -0.5, 0.5, 1.0, 2.5):
                try:
                    expected = run(PYTHON.print(tree), x=xv, y=yv)
                except (ArithmeticError, ValueError):
                    continue
                if isinstance(expected, complex):
                    continue
                assert bits(run(PYTHON_SLOPES.print(tree), x=xv, y=yv)) == bits(expected), (tree, xv, yv)


def test_the_ieee_printer_calls_total_versions_only_of_the_functions_that_raise():
    assert PythonPrinter(ieee=True).functions == {f: f"ieee_{f}" for f in IEEE_FUNCTIONS}
    assert PythonPrinter().functions == {}
    assert PYTHON.ieee is False and PYTHON_SLOPES.ieee is True
    for function in IEEE_FUNCTIONS:
        assert SCALAR_NAMESPACE[f"ieee_{function}"] is not getattr(ops.FLOATS, function)


@pytest.mark.parametrize("printer", [PYTHON, PYTHON_SLOPES])
def test_a_division_or_power_by_a_safe_literal_is_plain_python(printer):
    # no total function is needed where Python cannot raise: the result is Python's
    x = name("x")
    for tree, xv in [(x / 4.0, 1.0), (x / -0.5, 3.0), (x**2.0, 0.0), (x**0.5, 0.0), (x**0.0, 0.0)]:
        namespace = {"x": xv, "ieee_divide": None, "ieee_power": None}  # a call of either fails
        assert bits(eval(printer.print(tree), namespace)) == bits(eval(PYTHON.print(tree), {"x": xv}))


def test_guarded_computes_where_the_checks_hold_and_refuses_elsewhere():
    forward = PYTHON.print(EXPRESSIONS.log(name("x")))
    checks = [
        PYTHON.print(expr(EXPRESSIONS.gt(name("x"), 0.0))),
        PYTHON.print(expr(EXPRESSIONS.ne(name("x"), 5.0))),
    ]
    guarded = PYTHON.guarded(forward, checks)
    assert run(guarded, x=math.e) == 1.0
    for bad in (0.0, -1.0, 5.0):
        with pytest.raises(EagerWouldRaise):
            run(guarded, x=bad)
    assert run(PYTHON.guarded(forward, []), x=1.0) == 0.0
    assert issubclass(EagerWouldRaise, ArithmeticError)
    with pytest.raises(EagerWouldRaise):
        SCALAR_NAMESPACE["engine_would_raise"]()


def test_masked_passes_the_contribution_or_a_positive_zero():
    source = PYTHON.masked("x > 0.0", "y * 2.0")
    assert run(source, x=1.0, y=-3.0) == -6.0
    assert bits(run(source, x=-1.0, y=math.inf)) == bits(0.0)
    assert bits(run(source, x=0.0, y=-1.0)) == bits(0.0)


def test_where_and_negate_choose_the_branches():
    x = name("x")
    chosen = PYTHON.print(EXPRESSIONS.where(EXPRESSIONS.ge(x, 1.0), x * 10.0, -x))
    assert (run(chosen, x=1.0), run(chosen, x=0.5)) == (10.0, -0.5)
    negated = PYTHON.negate("x > 0.0")
    assert (run(negated, x=1.0), run(negated, x=0.0)) == (False, True)
    assert run(PYTHON.negate("x > 0.0 and x < 2.0"), x=1.0) is False


def test_fsum_is_the_correctly_rounded_sum_of_any_number_of_terms():
    assert run(PYTHON.fsum(["x"]), x=0.5) == 0.5
    assert run(PYTHON.fsum(["x", "y", "-x"]), x=1e16, y=1.0) == 1.0
    assert run(PYTHON.fsum(["x", "x", "-x"]), x=1e308) == 1e308  # a partial sum overflows


def test_all_finite_is_true_exactly_when_every_value_is_finite():
    names = ["a", "b", "c"]
    cases = [
        ((1.0, -2.0, 3.0), True),
        ((1e308, 1e308, 1e308), True),  # the sum overflows, every value is finite
        ((-1e308, -1e308, 0.0), True),
        ((1.0, math.inf, 0.0), False),
        ((-math.inf, 0.0, math.inf), False),  # the sum is nan
        ((1.0, 2.0, math.nan), False),
        ((math.nan, 1e308, 1e308), False),
    ]
    test = all_finite(names)
    for values, finite in cases:
        assert run(test, **dict(zip(names, values))) is finite, values
    assert run(all_finite([])) is True
    assert run(all_finite(["a"]), a=math.inf) is False
    assert run(all_finite(["a"]), a=-1.0) is True


def test_tuple_sources_read_back_as_tuples_of_the_names():
    assert run(tuple_source(["a", "b", "c"]), a=1.0, b=2.0, c=3.0) == (1.0, 2.0, 3.0)
    assert run(tuple_source(iter(["a"])), a=1.0) == (1.0,)
    assert run(tuple_source([])) == ()
    assert run(tuple_source(tuple_source(["a"]) for _ in range(2)), a=4.0) == ((4.0,), (4.0,))


def test_indent_nests_lines_one_block_per_level():
    body = ["total = 0.0", "for i in range(3):", "    total += i", *indent(["total *= 2.0"]), "return total"]
    assert define("f", [], body, {})[0]() == 8.0  # (((0 + 0) * 2 + 1) * 2 + 2) * 2
    nested = [
        "total = 0.0",
        "for i in range(2):",
        "    for j in range(3):",
        *indent(["total += 1.0"], 2),
        "return total",
    ]
    assert define("g", [], nested, {})[0]() == 6.0
    assert indent(["x = 1", "y = 2"], 0) == ["x = 1", "y = 2"]


def test_comment_text_is_the_text_escaped_onto_one_line():
    for text in ("layer 1", "a\nx = 2", "naïve — ok", "tab\there", "back\\slash"):
        escaped = comment_text(text)
        assert "\n" not in escaped and escaped.isascii()
        assert ast.literal_eval(f"'{escaped}'") == text  # no quote in these texts: ascii() used '
    body = ["x = 1.0  # " + comment_text("done\nx = 2.0"), "return x"]
    assert define("h", [], body, {})[0]() == 1.0


def test_python_lines_run_assignments_and_both_arms_of_a_branch():
    statements = [
        Assign("y", "x * 2.0"),
        Branch(
            "y > 1.0",
            [Assign("z", "y - 1.0"), Branch("z > 5.0", [Assign("z", "5.0")], [Assign("w", "1.0")])],
            [Assign("z", "-y")],
        ),
        Assign("r", "z + 0.5"),
    ]
    function = define("f", ["x"], [*python_lines(statements), "return r"], {})[0]
    assert [function(x) for x in (0.25, 2.0, 10.0)] == [0.0, 3.5, 5.5]
    assert PYTHON_SYNTAX.end is None


def test_define_compiles_in_a_copy_of_the_namespace_and_shows_its_lines():
    namespace = {"offset": 10.0}
    function, source = define("shifted", ["x", "y"], ["z = x - y", "return z + offset"], namespace)
    assert function(5.0, 2.0) == 13.0
    assert namespace == {"offset": 10.0}
    assert function.__name__ == "shifted"
    other, _ = define("shifted", ["x"], ["return x / 0.0"], namespace)
    filename, other_filename = function.__code__.co_filename, other.__code__.co_filename
    assert filename != other_filename
    assert linecache.getline(filename, 2) == "    z = x - y\n"
    assert "".join(linecache.getlines(filename)) == source
    with pytest.raises(ZeroDivisionError) as raised:
        other(1.0)
    frame = traceback.extract_tb(raised.value.__traceback__)[-1]
    assert (frame.filename, frame.lineno, frame.line) == (other_filename, 2, "return x / 0.0")
    del function, other, raised, frame
    gc.collect()
    assert filename not in linecache.cache and other_filename not in linecache.cache


def test_the_namespace_holds_the_engine_functions():
    for function in ops.VOCABULARY:
        assert SCALAR_NAMESPACE[function] is getattr(ops.FLOATS, function)
    assert SCALAR_NAMESPACE["inf"] == math.inf and math.isnan(SCALAR_NAMESPACE["nan"])
    assert SCALAR_NAMESPACE["isfinite"] is math.isfinite
    tree = Expr("*", name("x"), expr(-0.0))
    assert bits(run(PYTHON.print(tree), x=3.0)) == bits(-0.0)
