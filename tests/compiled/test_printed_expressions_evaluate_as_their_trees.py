"""Expression trees printed as Python and numpy source compute what the trees say (codegen/expr.py).

A reference evaluator here walks a tree and applies each operation itself; the printed source,
compiled and run on the same inputs, must give the same numbers bit for bit (or raise the same
exception). Every pair of operators nested left and right, under and over a minus, catches a
missing or extra parenthesis (``a - (b - c)``, ``(a > b) > c``, ``(-a) ** b``); the vocabulary,
``fsum``, ``where`` and the cutting of deep trees into statements are checked the same way.
"""

from __future__ import annotations

import functools
import importlib
import itertools
import math
import operator
import random
import struct

import numpy as np
import pytest

from micrograd44.codegen.arrays import ARRAY_NAMESPACE, NUMPY
from micrograd44.codegen.expr import EXPRESSIONS, MAX_DEPTH, Expr, expr, name
from micrograd44.codegen.python import PYTHON, SCALAR_NAMESPACE
from micrograd44.core import ops

BINARY = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "and": lambda a, b: a and b,
    "or": lambda a, b: a or b,
}
NUMPY_BINARY = {**BINARY, "and": np.logical_and, "or": np.logical_or}
# three inputs where every operator and every grouping gives a different answer somewhere
TRIPLE_VALUES = (-2.0, -0.5, 0.0, 1.0, 3.0)
TRIPLES = list(itertools.product(TRIPLE_VALUES, repeat=3))


def evaluate(tree: Expr, env: dict, binary=BINARY, where=None):
    """The tree's value, each operation applied here (the vocabulary on floats for calls).

    By default with Python's semantics (``and``, ``or`` and conditionals evaluate only what
    decides them); with numpy's logical functions and ``where`` as given otherwise.
    """
    kind, args = tree.kind, tree.args
    if kind == "name":
        return env[args[0]]
    if kind == "const":
        return args[0]
    if kind == "neg":
        return -evaluate(args[0], env, binary, where)
    if kind == "where" and where is None:  # Python's conditional: only the branch taken runs
        return evaluate(args[1] if evaluate(args[0], env) else args[2], env)
    if kind == "where":
        return where(*(evaluate(a, env, binary, where) for a in args))
    if kind == "call":
        if args[0] == "fsum":
            return ops.FLOATS.fsum([evaluate(t, env, binary, where) for t in args[1]])
        return getattr(ops.FLOATS, args[0])(*(evaluate(a, env, binary, where) for a in args[1:]))
    left = evaluate(args[0], env, binary, where)
    if binary is BINARY and kind in ("and", "or") and bool(left) == (kind == "or"):
        return left  # Python's and/or stop at an operand that decides them
    return binary[kind](left, evaluate(args[1], env, binary, where))


def outcome(compute, *args):
    """("value", compute(*args)) or ("raises", the type of the exception it raised)."""
    try:
        return "value", compute(*args)
    except Exception as error:  # noqa: BLE001 - the type is the outcome compared
        return "raises", type(error)


def bits(x):
    """A float's bit pattern (nan as one pattern); other values as they are."""
    if isinstance(x, float):
        return "nan" if math.isnan(x) else struct.pack("<d", x)
    if isinstance(x, complex):
        return (bits(x.real), bits(x.imag))
    return x


def python_function(tree: Expr, names=("a", "b", "c")):
    """The tree printed by the Python printer, as a function of the names."""
    return eval(f"lambda {', '.join(names)}: {PYTHON.print(tree)}", dict(SCALAR_NAMESPACE))


def numpy_function(tree: Expr, names=("a", "b", "c")):
    """The tree printed by the numpy printer, as a function of the names."""
    return eval(f"lambda {', '.join(names)}: {NUMPY.print(tree)}", dict(ARRAY_NAMESPACE))


def assert_python_computes(tree: Expr, inputs) -> None:
    """The printed tree gives the reference's value (or exception) on every input triple."""
    function = python_function(tree)
    for a, b, c in inputs:
        expected = outcome(evaluate, tree, {"a": a, "b": b, "c": c})
        got = outcome(function, a, b, c)
        assert (got[0], bits(got[1])) == (expected[0], bits(expected[1])), (tree, a, b, c)


def assert_numpy_computes(tree: Expr, inputs) -> None:
    """The printed tree on arrays gives, element by element, the reference on numpy arrays."""
    a, b, c = (np.array(column) for column in zip(*inputs))
    env = {"a": a, "b": b, "c": c}
    with np.errstate(all="ignore"):
        expected = outcome(lambda: np.asarray(evaluate(tree, env, NUMPY_BINARY, np.where), dtype=np.float64))
        got = outcome(lambda: np.asarray(numpy_function(tree)(a, b, c), dtype=np.float64))
    if expected[0] == "raises":  # numpy refuses -bool: so must the printed source
        assert got == expected, tree
        return
    assert got[0] == "value" and got[1].shape == expected[1].shape, tree
    assert [bits(float(x)) for x in got[1]] == [bits(float(x)) for x in expected[1]], tree


def nestings():
    """Every operator pair nested on the left and on the right, and every operator next to a minus."""
    a, b, c = name("a"), name("b"), name("c")
    trees = []
    for outer, inner in itertools.product(BINARY, repeat=2):
        trees.append(Expr(outer, Expr(inner, a, b), c))
        trees.append(Expr(outer, a, Expr(inner, b, c)))
    for kind in BINARY:
        trees.append(Expr("neg", Expr(kind, a, b)))
        trees.append(Expr(kind, Expr("neg", a), b))
        trees.append(Expr(kind, a, Expr("neg", b)))
        trees.append(Expr(kind, Expr("neg", Expr("neg", a)), Expr(kind, b, c)))
    return trees


@pytest.mark.parametrize("tree", nestings(), ids=repr)
def test_python_source_groups_as_the_tree(tree):
    assert_python_computes(tree, TRIPLES)


@pytest.mark.parametrize("tree", nestings(), ids=repr)
def test_numpy_source_groups_as_the_tree(tree):
    assert_numpy_computes(tree, TRIPLES)


def test_comparisons_of_comparisons_do_not_chain():
    a, b, c = name("a"), name("b"), name("c")
    # Python reads a > b > c as (a > b) and (b > c): with a=3, b=1, c=0.5 that is True,
    # while (a > b) > c is True > 0.5, also True; c=2 separates them
    tree = Expr(">", Expr(">", a, b), c)
    assert python_function(tree)(3.0, 1.0, 2.0) is False
    assert python_function(Expr("==", a, Expr("==", b, c)))(0.0, 1.0, 2.0) is True
    assert bool(numpy_function(tree)(np.array([3.0]), np.array([1.0]), np.array([2.0]))[0]) is False


def random_tree(rng: random.Random, depth: int, condition: bool = False) -> Expr:
    """A random tree over a, b, c: numbers (or, with condition, a comparison or a logical operator)."""
    if condition:
        if depth > 0 and rng.random() < 0.3:
            return Expr(
                rng.choice(["and", "or"]),
                random_tree(rng, depth - 1, True),
                random_tree(rng, depth - 1, True),
            )
        return Expr(
            rng.choice([">", ">=", "==", "!="]), random_tree(rng, depth - 1), random_tree(rng, depth - 1)
        )
    if depth <= 0 or rng.random() < 0.15:
        if rng.random() < 0.7:
            return name(rng.choice("abc"))
        return expr(rng.choice([0.0, -0.0, 1.0, -1.5, 2.0, 0.25, -3.0, math.inf, -math.inf]))
    choice = rng.random()
    if choice < 0.45:
        kind = rng.choice(["+", "-", "*", "/", "**"])
        return Expr(kind, random_tree(rng, depth - 1), random_tree(rng, depth - 1))
    if choice < 0.55:
        return Expr("neg", random_tree(rng, depth - 1))
    if choice < 0.7:
        return Expr(
            "where",
            random_tree(rng, depth - 1, True),
            random_tree(rng, depth - 1),
            random_tree(rng, depth - 1),
        )
    if choice < 0.8:
        return EXPRESSIONS.fsum([random_tree(rng, depth - 1) for _ in range(rng.randint(1, 4))])
    function = rng.choice(
        ["exp", "tanh", "sin", "atan", "abs", "sign", "sigmoid", "softplus", "erf", "sqrt", "log"]
    )
    return getattr(EXPRESSIONS, function)(random_tree(rng, depth - 1))


@pytest.mark.parametrize("seed", range(40))
def test_random_trees_print_as_they_compute(seed):
    rng = random.Random(seed)
    inputs = [tuple(rng.choice(TRIPLE_VALUES + (0.7, -4.0, 10.0)) for _ in range(3)) for _ in range(12)]
    for _ in range(10):
        assert_python_computes(random_tree(rng, rng.randint(1, 5)), inputs)


def test_every_vocabulary_function_prints_as_the_engine_computes_it():
    points = (-2.5, -1.0, -0.0, 0.0, 0.3, 1.0, 2.0, 40.0)
    for function in ops.VOCABULARY:
        if function in ("fsum", "where", "reciprocal"):
            continue
        engine = getattr(ops.FLOATS, function)
        arity = 2 if function in ("gt", "ge", "eq", "ne", "and_", "or_") else 1
        tree = getattr(EXPRESSIONS, function)(*(name(n) for n in "ab"[:arity]))
        printed = python_function(tree, "ab"[:arity])
        for xs in itertools.product(points, repeat=arity):
            expected, got = outcome(engine, *xs), outcome(printed, *xs)
            assert (got[0], bits(got[1])) == (expected[0], bits(expected[1])), (function, xs)


def test_fsum_where_and_reciprocal_of_the_vocabulary():
    a, b, c = name("a"), name("b"), name("c")
    total = python_function(EXPRESSIONS.fsum([a, b, c, 1.0]))
    assert total(1e16, 1.0, -1e16) == 2.0  # the exact sum, not the left-to-right 1.0
    chosen = python_function(EXPRESSIONS.where(EXPRESSIONS.gt(a, b), b, c))
    assert (chosen(2.0, 1.0, 5.0), chosen(1.0, 2.0, 5.0)) == (1.0, 5.0)
    reciprocal = python_function(EXPRESSIONS.reciprocal(a))
    assert isinstance(reciprocal(4.0, 0.0, 0.0), ops.Reciprocal)
    assert float(reciprocal(4.0, 0.0, 0.0)) == 0.25


@pytest.mark.parametrize(
    "build, compute",
    [
        (lambda x: x + 2.0, lambda x: x + 2.0),
        (lambda x: 2.0 + x, lambda x: 2.0 + x),
        (lambda x: x - 2.0, lambda x: x - 2.0),
        (lambda x: 2.0 - x, lambda x: 2.0 - x),
        (lambda x: x * 3.0, lambda x: x * 3.0),
        (lambda x: 3.0 * x, lambda x: 3.0 * x),
        (lambda x: x / 4.0, lambda x: x / 4.0),
        (lambda x: 4.0 / x, lambda x: 4.0 / x),
        (lambda x: x**3.0, lambda x: x**3.0),
        (lambda x: 3.0**x, lambda x: 3.0**x),
        (lambda x: -x, lambda x: -x),
        (lambda x: x - x * x, lambda x: x - x * x),
        (lambda x: (x + 1) / (x - 2), lambda x: (x + 1) / (x - 2)),
    ],
)
def test_operators_on_expressions_keep_their_operands_order(build, compute):
    printed = python_function(build(name("x")), ["x"])
    for x in (-1.5, 0.5, 2.5, 7.0):
        assert bits(printed(x)) == bits(compute(x))


def test_numbers_become_float_constants_and_other_operands_are_refused():
    assert (expr(3).kind, expr(3).args) == ("const", (3.0,))
    assert type(expr(3).args[0]) is float
    assert expr(-2.5).args == (-2.5,)
    tree = name("x")
    assert expr(tree) is tree
    assert expr(ops.MASKED).kind == "masked"
    for bad in (True, False, "x", None, [1.0]):
        with pytest.raises(TypeError):
            expr(bad)
    with pytest.raises(TypeError):
        name("x") + "y"


def test_masked_prints_nowhere_but_as_a_whole_slope():
    with pytest.raises(ValueError):
        PYTHON.print(name("x") * expr(ops.MASKED))
    with pytest.raises(ValueError):
        NUMPY.print(expr(ops.MASKED))


def test_depth_counts_the_longest_path_to_a_leaf():
    x, y = name("x"), name("y")
    assert (x.depth, expr(1.0).depth, expr(ops.MASKED).depth) == (1, 1, 1)
    assert (x + y).depth == 2
    assert ((x + y) * x).depth == 3
    assert (x * (y + (x - y))).depth == 4
    assert Expr("neg", -x).depth == 3
    assert EXPRESSIONS.exp(x).depth == 2
    assert EXPRESSIONS.exp(EXPRESSIONS.sin(x + y)).depth == 4
    assert EXPRESSIONS.where(EXPRESSIONS.gt(x, y), x, EXPRESSIONS.exp(x + y)).depth == 4
    assert EXPRESSIONS.fsum([x]).depth == 2
    assert EXPRESSIONS.fsum([x, y * (x + y), y]).depth == 4
    assert EXPRESSIONS.fsum([(x + y) * y, x]).depth == 4


def left_chain(kinds, names):
    """((n0 k0 n1) k1 n2) k2 ...: a tree as deep as it has operators, plus one."""
    tree = name(names[0])
    for kind, other in zip(kinds, names[1:]):
        tree = Expr(kind, tree, name(other))
    return tree


def run_statements(parts, target, env):
    """Each part assigned to target in turn (reading the previous one), the last value."""
    scope = {**SCALAR_NAMESPACE, **env}
    for part in parts:
        scope[target] = eval(part, scope)
    return scope[target]


@pytest.mark.parametrize(
    "length", [2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 3 * MAX_DEPTH, 5 * MAX_DEPTH + 7]
)
def test_deep_trees_are_cut_into_statements_that_compute_the_same(length):
    rng = random.Random(length)
    names = [f"x{k}" for k in range(length)]
    env = {n: rng.choice([1e16, 1.0, -1e16, 3.0, -0.5, 2.0**-60]) for n in names}
    kinds = [rng.choice(["+", "-", "*", "+", "-"]) for _ in names[1:]]
    tree = left_chain(kinds, names)
    assert tree.depth == length
    parts = PYTHON.statements(tree, "t")
    assert len(parts) == (1 if length <= MAX_DEPTH else 1 + math.ceil((length - MAX_DEPTH) / (MAX_DEPTH - 1)))
    expected = functools.reduce(
        lambda total, step: BINARY[step[0]](total, env[step[1]]), zip(kinds, names[1:]), env[names[0]]
    )
    assert bits(run_statements(parts, "t", env)) == bits(expected)
    assert bits(run_statements(NUMPY.statements(tree, "t"), "t", env)) == bits(expected)


def test_a_deep_tree_under_a_shallow_top_is_cut_along_its_left_spine():
    names = [f"x{k}" for k in range(2 * MAX_DEPTH)]
    env = {n: float(k % 7) - 3.0 for k, n in enumerate(names)}
    deep = left_chain(["-"] * (len(names) - 1), names)
    y = name("y")
    tree = Expr("*", deep * 2.0, y) - (EXPRESSIONS.exp(y) * 0.5 + (y / 4.0 - y))
    parts = PYTHON.statements(tree, "t")
    assert len(parts) == 3
    expected = evaluate(tree, {**env, "y": 0.75})
    assert bits(run_statements(parts, "t", {**env, "y": 0.75})) == bits(expected)


def test_a_tree_too_deep_inside_a_call_is_refused():
    deep = left_chain(["+"] * (MAX_DEPTH + 5), [f"x{k}" for k in range(MAX_DEPTH + 6)])
    for tree in (EXPRESSIONS.exp(deep), EXPRESSIONS.fsum([deep, name("y")]), EXPRESSIONS.sin(deep) * 2.0):
        with pytest.raises(ValueError):
            PYTHON.statements(tree, "t")
    shallow = Expr(
        "-", name("y"), left_chain(["+"] * (MAX_DEPTH - 2), [f"x{k}" for k in range(MAX_DEPTH - 1)])
    )
    assert len(PYTHON.statements(shallow, "t")) == 1


def test_a_tree_too_deep_on_its_right_is_refused(monkeypatch):
    expr_module = importlib.import_module("micrograd44.codegen.expr")  # the package's ``expr`` is a function

    cuts = []
    replace_left = expr_module._replace_left

    def counted(path, replacement):
        cuts.append(len(path))
        if len(cuts) > 1000:  # a tree of depth 66 needs at most a few cuts: this is a loop
            raise RuntimeError("statements() keeps cutting the same tree")
        return replace_left(path, replacement)

    monkeypatch.setattr(expr_module, "_replace_left", counted)
    tree = name("x")
    for k in range(MAX_DEPTH + 5):
        tree = Expr("-", name(f"y{k}"), tree)
    with pytest.raises(ValueError):
        PYTHON.statements(tree, "t")
