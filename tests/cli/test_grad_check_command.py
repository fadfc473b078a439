"""``micrograd44 grad --check``: a hand-derived derivative against backward(), exit status 0 or 1."""

import math
import subprocess
import sys

import pytest

from micrograd44 import Value
from micrograd44.cli import main
from micrograd44.derivative_check import OFFSETS, check_derivatives, derivative_formula
from micrograd44.formula import parse


def run(*argv):
    """(exit status, stdout lines, stderr) of ``micrograd44 grad ARGV``, run in its own process."""
    child = subprocess.run(
        [sys.executable, "-m", "micrograd44", "grad", *argv], capture_output=True, text=True, timeout=120
    )
    return child.returncode, child.stdout.splitlines(), child.stderr


def test_the_student_notes_slip_is_found_with_both_numbers():
    status, lines, err = run("log(1 + sin(x))", "--check", "cos(x) / (2 + sin(x))", "--at", "x=0.5")
    assert status == 1 and err == ""
    verdict = lines[-1]
    assert verdict.startswith("df/dx = cos(x) / (2 + sin(x)): differs from backward() at 7 of 7 points;")
    assert "; at x = 0.5: " in verdict
    engine, yours = math.cos(0.5) / (1 + math.sin(0.5)), math.cos(0.5) / (2 + math.sin(0.5))
    assert f"backward() gives {engine!r}, yours gives {yours!r}" in verdict


def test_the_right_derivative_passes_at_every_point():
    status, lines, err = run("log(1 + sin(x))", "--check", "cos(x) / (1 + sin(x))", "--at", "x=0.5")
    assert status == 0 and err == ""
    points = 1 + len(OFFSETS)
    assert lines[-1] == f"df/dx = cos(x) / (1 + sin(x)): agrees with backward() at all {points} points"
    rows = [line.split() for line in lines if line.startswith("df/dx  x = ")]
    assert len(rows) == 1 + len(OFFSETS) and all(row[-1] == "agree" for row in rows)
    assert rows[0][1:4] == ["x", "=", "0.5"]


def test_several_variables_take_one_derivative_each(capsys):
    argv = ["grad", "x * y + sqrt(x) / y", "--at", "x=2,y=-1.5"]
    right = ["--check", "x=y + 1 / (2 * sqrt(x) * y)", "--check", "y=x - sqrt(x) / y ** 2"]
    assert main(argv + right) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[1].strip() for line in lines if line.startswith("df/d") and ":" in line][-2:] == [
        "agrees with backward() at all 6 points",
        "agrees with backward() at all 6 points",
    ]
    assert "(1 of the extra points lie outside the formula's domain: not checked)" in lines  # sqrt of x < 0
    wrong = ["--check", "x=y + 1 / (2 * sqrt(x) * y)", "--check", "y=x + sqrt(x) / y ** 2"]
    assert main(argv + wrong) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "agrees with backward()" in lines[-3] and "differs from backward() at 6 of 6 points" in lines[-2]


@pytest.mark.parametrize(
    ("checks", "words"),
    [
        (["--check", "cos(x)"], ["several variables", "--check 'x=...' --check 'y=...'"]),
        (["--check", "z=1"], ["'z'", "not a variable"]),
        (["--check", "x=1", "--check", "x=2"], ["given twice"]),
        (["--check", "x=cos(("], ["--check"]),
    ],
)
def test_mistakes_in_checks_are_one_line_with_status_2(capsys, checks, words):
    assert main(["grad", "x * y", "--at", "x=1,y=2", *checks]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("micrograd44 grad: error: --check: ")
    for word in words:
        assert word in err


def test_a_derivative_with_no_value_somewhere_is_a_disagreement_there():
    report = check_derivatives("x ** 2", {"x": "2 * x + log(x) - log(x)"}, {"x": 1.0})
    assert not report.agree
    undefined = [check for check in report.checks if check.yours is None]
    assert undefined and all(point.point["x"] <= 0 for point in undefined)
    assert all(check.agree for check in report.checks if check.yours is not None)


# ---- the derivative printed as a formula, read off the create_graph graph ----

FORMULAS = [
    ("log(1 + sin(x))", {"x": 0.5}, {"x": "cos(x) / (1 + sin(x))"}),
    ("x ** 3", {"x": 2.0}, {"x": "3 * x ** 2"}),
    ("tanh(x)", {"x": 0.3}, {"x": "1 - tanh(x) * tanh(x)"}),
    ("x * y", {"x": 2.0, "y": 3.0}, {"x": "y", "y": "x"}),
    ("x - 2 * y", {"x": 2.0, "y": 3.0}, {"x": "1", "y": "-2"}),
    ("x ** y", {"x": 1.5, "y": 2.0}, {"x": "y * x ** (y - 1)", "y": "x ** y * log(x)"}),
    ("exp(-x ** 2 / 2)", {"x": 0.7}, None),
    ("1 / (1 + exp(-x))", {"x": 0.2}, None),
    ("relu(x) - abs(x - 3) / x", {"x": 0.7}, None),
    ("sigmoid(x) * x + sqrt(x) / x ** 2", {"x": 0.3}, None),
]


@pytest.mark.parametrize(("formula", "point", "expected"), FORMULAS)
def test_the_printed_derivative_is_the_engines_derivative(formula, point, expected):
    leaves = {name: Value(value, label=name) for name, value in point.items()}
    root = parse(formula, list(point)).evaluate(leaves)
    root.backward()
    for name, leaf in leaves.items():
        text = derivative_formula(root, leaf)
        if expected is not None:
            assert text == expected[name]
        assert parse(text, list(point)).evaluate(point).data == pytest.approx(leaf.grad, rel=1e-12)
        assert " 1 * " not in f" {text}" and "0 + " not in text and "* 1 " not in f"{text} "


def test_the_command_prints_the_derivative_formula(capsys):
    assert main(["grad", "log(1 + sin(x))", "--at", "x=0.5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    index = lines.index("read off the derivative graph (create_graph=True):")
    assert lines[index + 1] == "  df/dx = cos(x) / (1 + sin(x))"


def test_the_examples_in_the_docstrings_run():
    import doctest

    import micrograd44.derivative_check

    assert doctest.testmod(micrograd44.derivative_check).failed == 0
