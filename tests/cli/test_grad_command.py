"""``micrograd44 grad``: value, partial derivatives, the gradient-flow graph and one-line errors."""

import math
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from micrograd44.cli import main

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def grad(capsys, *argv):
    """(exit status, stdout lines, stderr) of ``micrograd44 grad ARGV``."""
    status = main(["grad", *argv])
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err


def row(lines, name):
    """The cells of the derivative table's row for df/dNAME."""
    [line] = [line for line in lines if line.startswith(f"df/d{name} ")]
    return line.split()


def test_chain_rule_example(capsys):
    status, lines, err = grad(capsys, "log(1 + sin(x))", "--at", "x=0.5")
    assert status == 0 and err == ""
    assert lines[0] == "f = log(1 + sin(x))  at x = 0.5"
    assert float(lines[1].removeprefix("f = ")) == math.log(1 + math.sin(0.5))
    assert lines[2].split() == ["backward()", "central", "difference", "difference"]
    name, engine, numeric, difference = row(lines, "x")
    assert float(engine) == pytest.approx(math.cos(0.5) / (1 + math.sin(0.5)), rel=1e-15)
    assert float(numeric) == pytest.approx(float(engine), rel=1e-8)
    assert float(difference) == pytest.approx(abs(float(engine) - float(numeric)), rel=0.1)


@pytest.mark.parametrize("at", [["--at", "x=2,y=-1.5"], ["--at", "x=2", "--at", "y=-1.5"]])
def test_several_variables(capsys, at):
    status, lines, _ = grad(capsys, "x * y + sqrt(x) / y", *at)
    assert status == 0 and lines[0] == "f = x * y + sqrt(x) / y  at x = 2, y = -1.5"
    assert float(row(lines, "x")[1]) == pytest.approx(-1.5 + 0.5 / math.sqrt(2) / -1.5, rel=1e-15)
    assert float(row(lines, "y")[1]) == pytest.approx(2 - math.sqrt(2) / 1.5**2, rel=1e-15)


def test_unused_variable_has_zero_derivative(capsys):
    status, lines, _ = grad(capsys, "x ** 2", "--at", "x=3,y=1")
    assert status == 0 and row(lines, "y")[1:3] == ["0.0", "0.0"]


def test_formula_without_variables(capsys):
    status, lines, _ = grad(capsys, "2 ** 10")
    assert status == 0 and lines == ["f = 2 ** 10", "f = 1024.0"]


def test_central_difference_outside_the_domain_is_reported_not_fatal(capsys):
    status, lines, _ = grad(capsys, "sqrt(x)", "--at", "x=0")
    assert status == 0
    assert row(lines, "x")[1] == "inf" and "not defined (sqrt at x +- eps)" in " ".join(row(lines, "x"))


def test_formula_starting_with_minus_after_double_dash(capsys):
    status, lines, _ = grad(capsys, "--at", "x=2", "--", "-x ** 2")
    assert status == 0 and lines[1] == "f = -4.0" and float(row(lines, "x")[1]) == -4.0


@needs_dot
def test_graph_shows_the_chain_rule_on_every_edge(capsys, tmp_path):
    path = tmp_path / "pictures" / "grad.svg"
    status, lines, _ = grad(capsys, "log(1 + sin(x))", "--at", "x=0.5", "--graph", str(path))
    assert status == 0 and lines[-1] == f"wrote {path}"
    ET.parse(path)
    svg = path.read_text(encoding="utf-8")
    assert "f = log(1 + sin(x)) at x = 0.5" in svg
    assert "0.8776 \u00d7 0.6759 = 0.5932" in svg  # d sin/dx = cos 0.5, times d f/d sin x
    assert "1 + sin(x)" in svg and "grad 0.5932" in svg


@pytest.mark.parametrize(
    "argv, message",
    [
        (["os", "--at", "x=1"], "unknown name 'os' at column 1 (variables: x; functions: abs,"),
        (["x.real", "--at", "x=1"], "'.' at column 2: attribute access is not allowed"),
        (["(x", "--at", "x=1"], "expected ')' to close the '(' at column 1"),
        (["y + 1", "--at", "x=1"], "unknown name 'y' at column 1"),
        (["log(x - 1)", "--at", "x=0.5"], "log: needs an input > 0, got log(-0.5); input is 'x - 1'"),
        (["1 / x", "--at", "x=0"], "/: division by zero"),
        (["exp(x)", "--at", "x=1000"], "exp: exp(1000.0) overflows a float"),
        (["x", "--at", "sin=1"], "variable name 'sin' is the name of a function"),
        (["x", "--at", "x=1", "--at", "x=2"], "--at gives 'x' twice"),
        (["x", "--at", "x=1", "--eps", "0"], "--eps must be a finite number > 0, got 0.0"),
        (["x", "--at", "x=1", "--eps", "inf"], "--eps must be a finite number > 0, got inf"),
        (["x", "--at", "x=1", "--eps", "nan"], "--eps must be a finite number > 0, got nan"),
        (["x", "--at", "x=1e308", "--eps", "1e308"], "--eps 1e+308: x +- eps = inf is not a finite number"),
        (["x" * 1001, "--at", "x=1"], "the formula is 1001 characters long; the limit is 1000"),
        (["(" * 60 + "x" + ")" * 60, "--at", "x=1"], "nesting deeper than 50 levels at column 51"),
    ],
)
def test_errors_are_one_line_with_status_2(capsys, argv, message):
    status, lines, err = grad(capsys, *argv)
    assert status == 2 and lines == []
    assert err.startswith("micrograd44 grad: error: ") and len(err.strip().splitlines()) == 1
    assert message in err


@pytest.mark.parametrize(
    "at, message",
    [("x", "expected NAME=VALUE, got 'x'"), ("x=a", "is not a number"), ("x=inf", "must be finite")],
)
def test_bad_values_are_argparse_errors(capsys, at, message):
    with pytest.raises(SystemExit) as exited:
        main(["grad", "x", "--at", at])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["x + " * 120 + "x", "--at", "x=1", "--graph", "{tmp}/big.svg"],
            "--graph: the formula is too large to draw readably (241 nodes, more than 200)",
        ),
        (
            ["x", "--at", "x=1", "--graph", "{tmp}/x.gif"],
            "--graph: unknown picture format (file suffix) 'gif'",
        ),
    ],
)
def test_graph_errors(capsys, tmp_path, argv, message):
    argv = [arg.format(tmp=tmp_path) for arg in argv]
    status, _, err = grad(capsys, *argv)
    assert status == 2 and err.startswith(f"micrograd44 grad: error: {message}")
    assert len(err.strip().splitlines()) == 1


def test_graph_without_dot_is_one_line_with_the_install_hint(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    status, _, err = grad(capsys, "x * 2", "--at", "x=1", "--graph", str(tmp_path / "g.svg"))
    assert status == 2 and "Graphviz's `dot` program was not found" in err
    assert (tmp_path / "g.dot").exists()


HOSTILE = [
    "__import__('os').system('touch canary')",
    "open('canary', 'w')",
    "exec(\"open('canary', 'w')\")",
    "x.__class__.__base__.__subclasses__()",
    "(lambda: open('canary', 'w'))()",
    "[open('canary', 'w') for x in (1,)]",
    "sin.__globals__",
    "(" * 5000 + "x" + ")" * 5000,
    "-" * 900 + "x",
]


@pytest.mark.parametrize("formula", HOSTILE)
def test_hostile_formulas_exit_2_and_create_nothing(tmp_path, formula):
    result = subprocess.run(
        [sys.executable, "-m", "micrograd44", "grad", formula, "--at", "x=1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("micrograd44 grad: error: ") and len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_disagreement_at_a_relu_kink_is_explained(capsys):
    status, lines, _ = grad(capsys, "relu(x) * y", "--at", "x=0,y=2")
    assert status == 0
    assert "df/dx disagrees at a kink: the slope from the left is 0.0, from the right 2.0" in "\n".join(lines)
    assert "  relu of 'x' (data 0.0) is at its kink: slope 0 from the left, 1 from the right; " in "\n".join(
        lines
    )
    assert "backward() takes 0 there, as PyTorch does." in lines[-1]
    assert not any(line.startswith("df/dy disagrees") for line in lines)


def test_a_kink_where_both_agree_or_a_smooth_point_needs_no_note(capsys):
    for formula, at in [("abs(x)", "x=0"), ("relu(x)", "x=1"), ("x * x", "x=0")]:
        status, lines, _ = grad(capsys, formula, "--at", at)
        assert status == 0 and not any("kink" in line for line in lines), formula
