"""``micrograd44 grad``: the value and partial derivatives of a formula, and its gradient-flow graph.

    micrograd44 grad "log(1 + sin(x))" --at x=0.5 --graph out/grad.svg

The formula is read by micrograd44.formula (never by Python's eval), turned into a graph
of Values and differentiated by backward(); each partial derivative is printed beside its
central-difference estimate, and --graph draws the graph with every edge labelled
``local derivative x upstream gradient = gradient sent back``.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from ..core.errors import OpError, describe
from ..core.value import Value, topological_order
from ..derivative_check import check_derivatives, derivative_formula, derivatives_to_check
from ..formula import FUNCTIONS, MAX_LENGTH, FormulaError, central_difference, parse
from .errors import CommandError, viz_import_problem


def register(subparsers) -> None:
    """Add the ``grad`` sub-command."""
    parser = subparsers.add_parser(
        "grad",
        help="differentiate a formula: its value, each partial derivative, the gradient-flow graph",
        description=(
            "Evaluate a formula at the given values, run backward() and print every partial "
            "derivative beside its central-difference estimate. The formula may use numbers, "
            "its variables, + - * / ** (right-associative), unary -, parentheses and the functions "
            f"{', '.join(FUNCTIONS)}; at most {MAX_LENGTH} characters."
        ),
        epilog="A formula that starts with '-' goes after '--': micrograd44 grad --at x=2 -- '-x ** 2'",
    )
    parser.add_argument("formula", help='the formula, e.g. "log(1 + sin(x))"')
    parser.add_argument(
        "--at",
        action="append",
        default=[],
        type=_assignments,
        metavar="NAME=VALUE[,...]",
        help="the value of a variable; repeat it or separate with commas: --at x=0.5,y=2",
    )
    parser.add_argument(
        "--graph", metavar="FILE", help="draw the gradient flow to FILE (.svg, .png, .pdf or .dot)"
    )
    parser.add_argument(
        "--eps",
        type=float,
        default=1e-6,
        help="step of the central differences, (f(v + eps) - f(v - eps)) / 2 eps (default: %(default)s)",
    )
    parser.add_argument(
        "--check",
        action="append",
        default=[],
        metavar="[NAME=]DERIVATIVE",
        help="a derivative worked out by hand, compared with backward()'s at --at and a few more points; "
        "one per variable (--check 'x=...' --check 'y=...'); exit status 0 when all agree, 1 otherwise",
    )
    parser.set_defaults(run=run_command)


def _assignments(text: str) -> list[tuple[str, float]]:
    """'x=0.5,y=2' -> [('x', 0.5), ('y', 2.0)]; an argparse error for anything else."""
    pairs = []
    for part in text.split(","):
        name, equals, number = part.partition("=")
        if not equals or not name.strip():
            raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {part!r}")
        try:
            value = float(number)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"the value of {name.strip()!r} is not a number: {number!r}"
            ) from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"the value of {name.strip()!r} must be finite, got {number!r}")
        pairs.append((name.strip(), value))
    return pairs


def _values(groups: list[list[tuple[str, float]]]) -> dict[str, float]:
    """The --at values as one dict; CommandError for a variable given twice."""
    values: dict[str, float] = {}
    for name, value in (pair for group in groups for pair in group):
        if name in values:
            raise CommandError(f"--at gives {name!r} twice")
        values[name] = value
    return values


def run_command(args: argparse.Namespace) -> int:
    """Print the value and the partial derivatives; draw the graph when asked."""
    values = _values(args.at)
    _check_eps(args.eps, values)
    try:
        formula = parse(args.formula, values)
        leaves = {name: Value(value, label=name) for name, value in values.items()}
        root = formula.evaluate(leaves)
    except (FormulaError, OpError) as error:
        raise CommandError(str(error)) from None
    root.backward()

    where = ", ".join(f"{name} = {value:g}" for name, value in values.items())
    print(f"f = {args.formula}" + (f"  at {where}" if where else ""))
    print(f"f = {root.data!r}")
    if values:
        print(_derivative_table(formula, values, leaves, args.eps))
        print("read off the derivative graph (create_graph=True):")
        for name, leaf in leaves.items():
            try:
                print(f"  df/d{name} = {derivative_formula(root, leaf)}")
            except OpError as error:  # the derivative graph itself has no value here (sqrt at 0)
                print(f"  df/d{name}: the derivative graph cannot be built at this point ({error})")
        for note in _kink_notes(root, formula, values, leaves, args.eps):
            print(note)
    if args.graph:
        title = f"f = {' '.join(args.formula.split())}" + (f" at {where}" if where else "")
        print(f"wrote {_draw(root, leaves, Path(args.graph), title)}")
    return _check(args.formula, args.check, values) if args.check else 0


def _check(formula: str, specs: list[str], values: dict[str, float]) -> int:
    """Print how the hand derivatives compare with backward()'s: exit status 0 when all agree, 1 otherwise."""
    try:
        derivatives = derivatives_to_check(specs, list(values))
        report = check_derivatives(formula, derivatives, values)
    except (FormulaError, OpError) as error:
        raise CommandError(f"--check: {error}") from None
    print()
    print("\n".join(report.lines(derivatives)))
    return 0 if report.agree else 1


def _check_eps(eps: float, values: dict[str, float]) -> None:
    """CommandError unless eps is a finite number > 0 that keeps every v +- eps finite."""
    if not (math.isfinite(eps) and eps > 0):
        raise CommandError(f"--eps must be a finite number > 0, got {eps!r}")
    for name, value in values.items():
        for moved in (value + eps, value - eps):
            if not math.isfinite(moved):
                raise CommandError(
                    f"--eps {eps!r}: {name} +- eps = {moved!r} is not a finite number; choose a smaller --eps"
                )


# ops with a kink where their input is 0: the slope left of it, right of it, and the one
# backward() uses there (PyTorch's)
KINKS = {"relu": (0.0, 1.0, 0.0), "abs": (-1.0, 1.0, 0.0)}

# a relative difference above this between backward() and central differences is a disagreement
_DISAGREEMENT = 1e-4


def _kink_notes(
    root: Value, formula, values: dict[str, float], leaves: dict[str, Value], eps: float
) -> list[str]:
    """Why backward() and central differences disagree when the formula sits on a relu or abs kink."""
    kinks = [node for node in topological_order(root) if node.op in KINKS and node.children[0].data == 0.0]
    if not kinks:
        return []
    notes = []
    for name, leaf in leaves.items():
        try:
            estimate = central_difference(formula, values, name, eps)
        except OpError:
            continue
        if abs(leaf.grad - estimate) <= _DISAGREEMENT * max(1.0, abs(estimate)):
            continue
        left, right = _one_sided_differences(formula, values, name, eps)
        notes.append(
            f"df/d{name} disagrees at a kink: the slope from the left is {left!r}, from the right "
            f"{right!r}; central differences average the two."
        )
    for node in kinks:
        below, above, used = KINKS[node.op]
        notes.append(
            f"  {node.op} of {describe(node.children[0])} is at its kink: slope {below:g} from the left, "
            f"{above:g} from the right; backward() takes {used:g} there, as PyTorch does."
        )
    return notes if len(notes) > len(kinks) else []


def _one_sided_differences(formula, values: dict[str, float], name: str, eps: float) -> tuple[float, float]:
    """(f(v) - f(v - eps)) / eps and (f(v + eps) - f(v)) / eps for the variable ``name``."""
    at = formula.evaluate(values).data
    moved = dict(values)
    moved[name] = values[name] - eps
    below = formula.evaluate(moved).data
    moved[name] = values[name] + eps
    above = formula.evaluate(moved).data
    return (at - below) / eps, (above - at) / eps


def _derivative_table(formula, values: dict[str, float], leaves: dict[str, Value], eps: float) -> str:
    """One row per variable: the derivative by backward(), by central differences, their difference."""
    rows = [("", "backward()", "central difference", "difference")]
    for name, leaf in leaves.items():
        try:
            estimate = central_difference(formula, values, name, eps)
        except OpError as error:
            rows.append((f"df/d{name}", repr(leaf.grad), f"not defined ({error.op} at {name} +- eps)", ""))
            continue
        difference = abs(leaf.grad - estimate)
        rows.append((f"df/d{name}", repr(leaf.grad), repr(estimate), f"{difference:.1e}"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def _draw(root: Value, leaves: dict[str, Value], path: Path, title: str) -> Path:
    """Draw the gradient flow with local x upstream on every edge; CommandError for any problem."""
    try:
        import viz
    except ImportError as error:
        raise CommandError(f"--graph: {viz_import_problem(error)}") from None
    try:
        graph = viz.draw_graph(root, edge_labels="chain", parameters=leaves.values(), title=title)
        return viz.save(graph, path)
    except viz.DotNotFoundError as error:
        raise CommandError(str(error)) from None
    except viz.GraphTooLargeError as error:
        raise CommandError(
            f"--graph: the formula is too large to draw readably ({error.count} nodes, "
            f"more than {error.max_nodes})"
        ) from None
    except ValueError as error:  # an unknown file suffix
        raise CommandError(f"--graph: {error}") from None
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror or error}") from None
