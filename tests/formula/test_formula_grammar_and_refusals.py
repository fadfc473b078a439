"""micrograd44.formula: the grammar, every engine function, derivatives, and hostile input."""

import builtins
import math
import re

import pytest

from micrograd44 import DivisionByZeroError, DomainError, OverflowValueError, Value, gradcheck, ops
from micrograd44.formula import FUNCTIONS, MAX_DEPTH, MAX_LENGTH, FormulaError, central_difference, parse

VARIABLES = ["x", "y", "z"]


@pytest.mark.parametrize(
    "text, grouping",
    [
        ("1 + 2 * 3", "(1 + (2 * 3))"),
        ("(1 + 2) * 3", "((1 + 2) * 3)"),
        ("x - y - z", "((x - y) - z)"),
        ("x / y / z", "((x / y) / z)"),
        ("x / y * z", "((x / y) * z)"),
        ("x ** y ** z", "(x ** (y ** z))"),
        ("-x ** 2", "(-(x ** 2))"),
        ("-x * y", "((-x) * y)"),
        ("x ** -y", "(x ** (-y))"),
        ("2 ** -x ** 2", "(2 ** (-(x ** 2)))"),
        ("--x", "(-(-x))"),
        ("+x - -y", "((+x) - (-y))"),
        ("x * -y", "(x * (-y))"),
        ("sin(x) ** 2 + cos(x) ** 2", "((sin(x) ** 2) + (cos(x) ** 2))"),
        ("log(1 + sin(x))", "log((1 + sin(x)))"),
        ("((x))", "x"),
        (" x\t+\ny ", "(x + y)"),
    ],
)
def test_precedence_and_associativity(text, grouping):
    assert str(parse(text, VARIABLES).tree) == grouping


@pytest.mark.parametrize(
    "text, value", [("2", 2.0), ("0.5", 0.5), (".5", 0.5), ("5.", 5.0), ("1e-3", 1e-3), ("2.5E+2", 250.0)]
)
def test_numbers(text, value):
    assert parse(text).evaluate({}).data == value


@pytest.mark.parametrize(
    "text, expected",
    [
        ("-x ** 2", -9.0),
        ("2 ** 3 ** 2", 512.0),
        ("x - y - z", 3.0 - 2.0 - 0.5),
        ("x / y / z", 3.0 / 2.0 / 0.5),
        ("x ** -y", 3.0**-2.0),
        ("-(x + y) * z", -2.5),
    ],
)
def test_values_follow_python_precedence(text, expected):
    assert parse(text, VARIABLES).evaluate({"x": 3.0, "y": 2.0, "z": 0.5}).data == pytest.approx(expected)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("at", [-0.7, 0.7])
def test_every_engine_function_value_and_derivative(name, at):
    if name in ("log", "sqrt") and at < 0:
        at = -at
    x = Value(at, label="x")
    y = parse(f"{name}(x)", ["x"]).evaluate({"x": x})
    assert y.data == getattr(Value(at), name)().data
    y.backward()
    expected = Value(at)
    getattr(expected, name)().backward()
    assert x.grad == expected.grad
    assert gradcheck(lambda v: parse(f"{name}(x)", ["x"]).evaluate({"x": v}), [Value(at)])


@pytest.mark.parametrize(
    "text, at",
    [
        ("log(1 + sin(x))", {"x": 0.5}),
        ("x * y + sqrt(x) / y", {"x": 2.0, "y": -1.5}),
        ("exp(-x ** 2) * tanh(y - z)", {"x": 0.3, "y": 1.2, "z": -0.4}),
        ("sigmoid(x * y) + softplus(z) - abs(x - z)", {"x": 0.3, "y": -2.0, "z": 0.9}),
        ("x ** y", {"x": 1.7, "y": 0.6}),
        ("2 ** x / (1 + cos(y) ** 2)", {"x": -0.5, "y": 2.0}),
        ("relu(x - y) * x", {"x": 1.5, "y": 0.25}),
    ],
)
def test_partial_derivatives_match_gradcheck_and_central_differences(text, at):
    formula = parse(text, VARIABLES)
    names = list(at)
    leaves = {name: Value(at[name], label=name) for name in names}
    formula.evaluate(leaves).backward()
    for name in names:
        assert leaves[name].grad == pytest.approx(central_difference(formula, at, name), rel=1e-6, abs=1e-8)
    inputs = [Value(at[name], label=name) for name in names]
    assert gradcheck(lambda *values: formula.evaluate(dict(zip(names, values))), inputs, atol=1e-7)


def test_chain_rule_example_matches_the_hand_derivative():
    x = Value(0.5, label="x")
    parse("log(1 + sin(x))", ["x"]).evaluate({"x": x}).backward()
    assert x.grad == pytest.approx(math.cos(0.5) / (1 + math.sin(0.5)), rel=1e-15)


def test_nodes_are_labelled_with_their_sub_formula_and_variables_keep_their_name():
    x = Value(0.5, label="x")
    root = parse("log(1  +  sin(x))", ["x"]).evaluate({"x": x})
    assert root.label == "log(1 + sin(x))"
    [inner] = root.children
    assert inner.label == "1 + sin(x)" and inner.children[1].label == "sin(x)"
    assert inner.children[1].children == (x,) and x.label == "x"
    long = parse("x + " * 20 + "x", ["x"]).evaluate({"x": 1.0})
    assert len(long.label) == 40 and long.label.endswith("...")


def test_a_sub_formula_in_parentheses_is_labelled_with_both_of_them():
    x = Value(1.0, label="x")
    root = parse("(x + 1) * (-x)", ["x"]).evaluate({"x": x})
    assert root.label == "(x + 1) * (-x)" and [child.label for child in root.children] == ["(x + 1)", "(-x)"]
    assert parse("-((x)) ** 2", ["x"]).evaluate({"x": x}).label == "-((x)) ** 2"
    with pytest.raises(DomainError, match=re.escape("input is '(x - 1) * 2'")):
        parse("log((x - 1) * 2)", ["x"]).evaluate({"x": 0.5})


def test_a_constant_exponent_is_a_number_not_a_node():
    x = Value(3.0, label="x")
    y = parse("x ** (1 + 1)", ["x"]).evaluate({"x": x})
    assert y.op == "**2" and y.children == (x,)
    z = parse("x ** x", ["x"]).evaluate({"x": x})
    assert z.children == (x, x)


@pytest.mark.parametrize("operator", ["+", "-", "*", "/", "**"])
def test_each_binary_operator_is_the_op_of_its_name_in_the_table(operator):
    x, y = Value(1.5, label="x"), Value(0.5, label="y")
    out = parse(f"x {operator} y", ["x", "y"]).evaluate({"x": x, "y": y})
    assert out.op == ops.OPS[operator].name and out.children == (x, y)
    by_hand = {"+": x + y, "-": x - y, "*": x * y, "/": x / y, "**": x**y}[operator]
    assert (out.data, out.local_grads()) == (by_hand.data, by_hand.local_grads())


def test_unary_plus_adds_no_node_and_keeps_the_label():
    x = Value(2.0, label="x")
    assert parse("+x", ["x"]).evaluate({"x": x}) is x and x.label == "x"


def test_unused_variables_are_fine_and_missing_values_are_named():
    formula = parse("x + 1", ["x", "y"])
    assert formula.variables == ("x", "y") and formula.evaluate({"x": 1.0}).data == 2.0
    with pytest.raises(FormulaError, match="no value for the variable 'x'"):
        formula.evaluate({"y": 1.0})


@pytest.mark.parametrize(
    "text, message, column",
    [
        ("os", "unknown name 'os' at column 1", 1),
        ("x + os", "unknown name 'os' at column 5", 5),
        ("__import__('os').system('true')", "unknown name '__import__' at column 1", 1),
        ("lambda: 0", "unknown name 'lambda' at column 1", 1),
        ("x.real", "'.' at column 2: attribute access is not allowed", 2),
        ("(x).__class__", "'.' at column 4: attribute access is not allowed", 4),
        ("sin.__globals__", "'.' at column 4: attribute access is not allowed", 4),
        ("'x'", "quote at column 1", 1),
        ("x ^ 2", "'^' at column 3: write powers with **", 3),
        ("x = 1", "unexpected character '=' at column 3", 3),
        ("x[0]", "unexpected character '[' at column 2", 2),
        ("x; y", "unexpected character ';' at column 2", 2),
        ("é", "unexpected character 'é' at column 1", 1),
        ("sin x", "'sin' at column 1 is a function: write sin(...)", 1),
        ("x(2)", "'x' at column 1 is a variable, not a function", 1),
        ("sin(x, y)", "',' at column 6: sin takes one argument", 6),
        ("(x + 1", "end of the formula at column 7: expected ')' to close the '(' at column 1", 7),
        ("x + 1)", "')' at column 6: expected an operator or the end", 6),
        ("2x", "'x' at column 2: expected an operator or the end", 2),
        ("x *", "end of the formula at column 4: expected a number, a variable, a function or '('", 4),
        ("* x", "'*' at column 1: expected a number", 1),
        ("x ** * 2", "'*' at column 6: expected a number", 6),
        ("1e400", "number '1e400' at column 1 is too large", 1),
        ("", "the formula is empty", None),
        ("  \t", "the formula is empty", None),
    ],
)
def test_bad_formulas_say_what_and_where(text, message, column):
    with pytest.raises(FormulaError) as error:
        parse(text, ["x", "y"])
    assert message in str(error.value) and "\n" not in str(error.value)
    assert error.value.column == column


@pytest.mark.parametrize(
    "construct, text, message, column",
    [
        ("keyword argument", "sin(x=1)", "unexpected character '=' at column 6", 6),
        ("starred argument", "sin(*x)", "'*' at column 5: expected a number", 5),
        ("double-starred argument", "sin(**x)", "'**' at column 5: expected a number", 5),
        ("empty call", "sin()", "')' at column 5: expected a number", 5),
        ("trailing comma", "sin(x,)", "',' at column 6: sin takes one argument", 6),
        ("tuple", "(x, y)", "',' at column 3: expected ')' to close the '(' at column 1", 3),
        ("bare tuple", "x, y", "',' at column 2: expected an operator or the end", 2),
        ("function as a value", "sin(sin)", "'sin' at column 5 is a function", 5),
        ("call of a call", "sin(x)(y)", "'(' at column 7: expected an operator or the end", 7),
        ("call of a group", "(x)(y)", "'(' at column 4: expected an operator or the end", 4),
        ("unknown function", "print(x)", "unknown name 'print' at column 1", 1),
        ("dunder name", "__class__", "unknown name '__class__' at column 1", 1),
        ("bytes", "b'x'", "unknown name 'b' at column 1", 1),
        ("f-string", "f'{x}'", "unknown name 'f' at column 1", 1),
        ("walrus", "(y := x)", "unexpected character ':' at column 4", 4),
        ("comparison", "x < y", "unexpected character '<' at column 3", 3),
        ("equality", "x == y", "unexpected character '=' at column 3", 3),
        ("identity", "x is y", "unknown name 'is' at column 3", 3),
        ("boolean operator", "x and y", "unknown name 'and' at column 3", 3),
        ("negation", "not x", "unknown name 'not' at column 1", 1),
        ("conditional", "x if y else x", "unknown name 'if' at column 3", 3),
        ("set", "{x}", "unexpected character '{' at column 1", 1),
        ("dict", "{x: y}", "unexpected character '{' at column 1", 1),
        ("list comprehension", "[x for x in y]", "unexpected character '[' at column 1", 1),
        ("slice", "x[::]", "unexpected character '[' at column 2", 2),
        ("ellipsis", "...", "'.' at column 1: attribute access is not allowed", 1),
        ("floor division", "x // y", "'/' at column 4: expected a number", 4),
        ("modulo", "x % y", "unexpected character '%' at column 3", 3),
        ("matrix product", "x @ y", "unexpected character '@' at column 3", 3),
        ("bitwise not", "~x", "unexpected character '~' at column 1", 1),
        ("comment", "x # y", "unexpected character '#' at column 3", 3),
        ("line continuation", "x \\\n + 1", "unexpected character '\\\\' at column 3", 3),
        ("two statements", "x; y", "unexpected character ';' at column 2", 2),
        ("null byte", "x\x00", "unexpected character '\\x00' at column 2", 2),
        ("hexadecimal", "0x10", "unknown name 'x10' at column 2", 2),
        ("underscore in a number", "1_000", "unknown name '_000' at column 2", 2),
        ("imaginary number", "1j", "unknown name 'j' at column 2", 2),
        ("await", "await x", "unknown name 'await' at column 1", 1),
        ("yield", "yield x", "unknown name 'yield' at column 1", 1),
    ],
)
def test_every_other_python_construct_is_refused(construct, text, message, column, monkeypatch):
    with monkeypatch.context() as patch:
        _forbid_eval_and_exec(patch)
        with pytest.raises(FormulaError) as error:
            parse(text, ["x", "y"])
    assert message in str(error.value) and "\n" not in str(error.value), construct
    assert error.value.column == column, construct


def test_unknown_name_lists_what_is_allowed():
    functions = ", ".join(sorted(ops.UNARY))  # every unary op of the table, in order
    with pytest.raises(FormulaError, match=re.escape(f"(variables: x, y; functions: {functions})")):
        parse("os", ["y", "x"])


@pytest.mark.parametrize("name", ["sin", "1x", "x-y", "", "x y"])
def test_bad_variable_names(name):
    with pytest.raises(FormulaError, match="variable name"):
        parse("1", [name])


def test_nesting_is_bounded_without_recursion_error():
    deepest = "(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH
    assert parse(deepest, ["x"]).evaluate({"x": 2.0}).data == 2.0
    for text, column in [
        ("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1), MAX_DEPTH + 1),
        ("-" * 400 + "x", MAX_DEPTH + 1),
        ("sin(" * 150 + "x" + ")" * 150, 4 * MAX_DEPTH + 4),
        ("x" + " ** x" * 199, 5 * MAX_DEPTH + 3),
        ("(" * 499 + "x" + ")" * 499, MAX_DEPTH + 1),
    ]:
        with pytest.raises(FormulaError, match=f"nesting deeper than {MAX_DEPTH} levels at column {column}"):
            parse(text, ["x"])


def test_length_is_bounded():
    with pytest.raises(FormulaError, match=f"the formula is {MAX_LENGTH + 1} characters long; the limit"):
        parse("x" * (MAX_LENGTH + 1), ["x"])
    with pytest.raises(FormulaError, match="characters long"):
        parse("(" * 100_000, ["x"])


def test_a_long_flat_formula_evaluates_and_prints_without_recursion():
    text = "x" + "+x" * ((MAX_LENGTH - 1) // 2)
    formula = parse(text, ["x"])
    x = Value(1.0, label="x")
    root = formula.evaluate({"x": x})
    root.backward()
    assert root.data == x.grad == (MAX_LENGTH + 1) // 2
    assert str(formula.tree).count("x") == (MAX_LENGTH + 1) // 2 and repr(formula.tree).startswith("Node(")


@pytest.mark.parametrize(
    "text, at, error, message",
    [
        ("log(x - 1)", 0.5, DomainError, "log: needs an input > 0, got log(-0.5); input is 'x - 1'"),
        ("sqrt(-x)", 2.0, DomainError, "sqrt: needs an input >= 0"),
        ("1 / (x - 2)", 2.0, DivisionByZeroError, "division by zero"),
        ("exp(x * 1000)", 1.0, OverflowValueError, "exp: exp(1000.0) overflows"),
        ("(-x) ** 0.5", 2.0, DomainError, "a negative base needs an integer exponent"),
    ],
)
def test_evaluation_errors_are_the_engines(text, at, error, message):
    formula = parse(text, ["x"])
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        formula.evaluate({"x": at})


def test_central_difference():
    formula = parse("x ** 3 * y", ["x", "y"])
    assert central_difference(formula, {"x": 2.0, "y": 0.5}, "x") == pytest.approx(6.0)
    assert central_difference(formula, {"x": 2.0, "y": 0.5}, "y") == pytest.approx(8.0)
    with pytest.raises(DomainError):
        central_difference(parse("sqrt(x)", ["x"]), {"x": 0.0}, "x")
    with pytest.raises(ValueError, match="eps must be > 0"):
        central_difference(formula, {"x": 2.0, "y": 0.5}, "x", eps=0.0)


def test_not_a_string():
    with pytest.raises(TypeError, match="a formula is a str"):
        parse(b"x", ["x"])


HOSTILE = [
    "__import__('os').system('touch {canary}')",
    "exec(\"open('{canary}', 'w')\")",
    "eval(\"open('{canary}', 'w')\")",
    "open('{canary}', 'w')",
    "(lambda: open('{canary}', 'w'))()",
    "x.__class__.__bases__[0].__subclasses__()",
    "sin.__globals__['__builtins__']['open']('{canary}', 'w')",
    "[c for c in ().__class__.__base__.__subclasses__()]",
    "__builtins__",
    "globals()",
]


def _forbid_eval_and_exec(monkeypatch):
    """Make builtins.eval and builtins.exec fail loudly if anything calls them."""

    def forbidden(*args, **kwargs):
        raise AssertionError("eval or exec was called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_input_is_refused_and_runs_nothing(template, tmp_path, monkeypatch):
    canary = tmp_path / "canary"
    monkeypatch.chdir(tmp_path)
    text = template.format(canary=canary)
    refused = None
    with monkeypatch.context() as patch:
        _forbid_eval_and_exec(patch)
        try:
            parse(text, ["x"])
        except FormulaError as error:
            refused = error
    assert refused is not None and refused.column is not None and "\n" not in str(refused)
    assert not canary.exists()


def test_parse_and_evaluate_never_use_eval(monkeypatch):
    x = Value(0.5, label="x")
    with monkeypatch.context() as patch:
        _forbid_eval_and_exec(patch)
        parse("log(1 + sin(x)) ** 2 / exp(-x)", ["x"]).evaluate({"x": x}).backward()
    assert x.grad != 0.0
