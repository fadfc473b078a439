"""The op table against everything derived from it: eager, compiled scalar, compiled arrays, PyTorch.

Every op here comes from ``micrograd44.core.ops``: no test keeps its own list. Random DAGs over
every registered op (shared sub-expressions, a node used twice by one op, kinks, zero and
infinite slopes, points at the edges of each domain) are evaluated four ways:

- eager backward() and the compiled scalar program: equal bit for bit (a zero may have
  the other sign, as the compiled engine documents);
- the compiled array program (numpy, a batch of points) and PyTorch float64: equal to
  eager within 1e-12, relative to the largest magnitude of the quantity compared in the
  graph (a relative bound alone is meaningless where a difference cancels to nearly 0).
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from op_points import EXPONENTS, RULES, defined, refused
from random_graphs import (
    BOUND,
    DAG_SETTINGS,
    LEAVES,
    arity_of,
    assert_replay_equals_eager_bit_for_bit,
    build,
    close,
    dags,
    scale_of,
)

from micrograd44 import OpError, Value, ops
from micrograd44.codegen.arrays import ARRAY_NAMESPACE
from micrograd44.codegen.lowering import check_printable
from micrograd44.codegen.python import SCALAR_NAMESPACE
from micrograd44.compiled import capture
from micrograd44.core.slopes import IEEE_FLOATS
from micrograd44.core.value import VALUES, apply_op, topological_order
from micrograd44.formula import FUNCTIONS
from micrograd44.testing import TORCH, torch_twin

# ---- one source of truth: every consumer knows exactly the table's ops ----


def test_the_formula_tool_has_exactly_the_unary_ops():
    assert set(FUNCTIONS) == set(ops.UNARY)


def test_every_unary_op_is_a_value_method_with_its_line_of_math():
    for name, rule in ops.UNARY.items():
        method = getattr(Value, name)
        assert method.__doc__.rstrip(".").lower() == rule.doc.lower()


def test_every_vocabulary_provides_exactly_the_primitives():
    for vocabulary in (ops.FLOATS, IEEE_FLOATS, VALUES, TORCH):
        assert set(vars(vocabulary)) == set(ops.VOCABULARY)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_every_op_prints_in_every_compiled_backend(rule):
    for arity in (1, 3) if rule.arity is None else (rule.arity,):
        assert check_printable(rule, arity) is None


def test_the_namespaces_define_what_the_printers_call():
    assert set(ops.VOCABULARY) <= set(SCALAR_NAMESPACE)
    assert {"exp", "log", "where", "sigmoid", "erf", "atan"} <= set(ARRAY_NAMESPACE)


def test_the_test_table_is_the_op_table():
    assert {rule.name for rule in RULES} - {ops.power(n).name for n in EXPONENTS} == set(ops.OPS)


# ---- each op on its own, against PyTorch float64 ----


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=st.data())
def test_each_op_equals_pytorch_in_value_and_slopes(rule, data):
    n = arity_of(rule, data)
    leaves = [Value(data.draw(LEAVES), label=f"x{i}") for i in range(n)]
    try:
        out = apply_op(rule, leaves)
    except OpError:
        assume(False)
    out.backward()
    twin = torch_twin(out)
    twin[out].backward()
    assert close(out.data, twin[out].item(), scale_of([out.data]))
    grads = [leaf.grad for leaf in leaves]
    for leaf, grad in zip(leaves, grads):
        expected = twin[leaf].grad.item()
        assert close(grad, expected, scale_of(grads)), (rule.name, leaf.data, grad, expected)


# ---- each op at fixed points: domain edges, kinks, large magnitudes, and where it refuses ----

DEFINED = [pytest.param(rule, p, id=f"{rule.name}@{p}") for rule in RULES for p in defined(rule)]
REFUSED = [pytest.param(rule, p, id=f"{rule.name}@{p}") for rule in RULES for p in refused(rule)]


def engine_slopes(rule: ops.OpRule, point) -> tuple[float, list[float]]:
    """(value, d value / d input for each input) by the engine's backward()."""
    leaves = [Value(x) for x in point]
    out = apply_op(rule, leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


@pytest.mark.parametrize(("rule", "point"), DEFINED)
def test_each_op_at_fixed_points_equals_pytorch(rule, point):
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(point)]
    out = apply_op(rule, leaves)
    out.backward()
    twin = torch_twin(out)
    if rule is ops.SUM and not math.isfinite(twin[out].item()):
        pytest.skip("the engine's sum is exact where a partial sum overflows; PyTorch's float sum is inf")
    twin[out].backward()
    # relative to the operands too: PyTorch's sum is not correctly rounded (1e20 + 1 - 1e20)
    assert close(out.data, twin[out].item(), scale_of([out.data, *point]))
    grads = [leaf.grad for leaf in leaves]
    for leaf, grad in zip(leaves, grads):
        assert close(grad, twin[leaf].grad.item(), scale_of(grads)), (
            leaf.label,
            grad,
            twin[leaf].grad.item(),
        )


@pytest.mark.parametrize(("rule", "point"), DEFINED)
def test_each_op_at_fixed_points_agrees_with_central_differences(rule, point):
    _, slopes = engine_slopes(rule, point)
    for i, slope in enumerate(slopes):
        h = 1e-6 * (abs(point[i]) or 1.0)
        up, down = list(point), list(point)
        up[i] += h
        down[i] -= h
        try:
            f_up, slopes_up = engine_slopes(rule, up)
            f_down, slopes_down = engine_slopes(rule, down)
        except OpError:
            continue  # the op is not defined on both sides: an edge of its domain
        one_sided = (slopes_up[i], slopes_down[i])
        if not all(math.isfinite(x) for x in (slope, *one_sided, f_up, f_down)):
            continue  # an infinite slope, or an overflow next to the point
        if abs(one_sided[0] - one_sided[1]) > 1e-3 * max(1.0, abs(slope)):
            continue  # a kink (relu or abs at 0): the derivative is one-sided there
        numeric = (f_up - f_down) / (2 * h)
        rounding = 10 * sys.float_info.epsilon * max(abs(f_up), abs(f_down)) / (2 * h)
        assert math.isclose(slope, numeric, rel_tol=1e-5, abs_tol=1e-6 + rounding), (i, slope, numeric)


@pytest.mark.parametrize(("rule", "point"), REFUSED)
def test_where_an_op_refuses_its_error_names_it(rule, point):
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(point)]
    failed = [check for check in rule.checks if not check.ok(ops.FLOATS, *point)]
    with pytest.raises(OpError) as caught:
        apply_op(rule, leaves)
    assert caught.value.op == rule.name and str(caught.value).startswith(f"{rule.name}: ")
    assert "'x0'" in str(caught.value)  # the operands, by their labels
    if failed:
        assert isinstance(caught.value, failed[0].error) and failed[0].says in str(caught.value)
    else:
        assert isinstance(caught.value, OverflowError)  # a result too large for a float


# ---- random graphs, four ways ----


@DAG_SETTINGS
@given(dag=dags())
def test_compiled_scalar_equals_eager_bit_for_bit(dag):
    assert_replay_equals_eager_bit_for_bit(dag, lambda program: program)


@DAG_SETTINGS
@given(dag=dags(), shifts=st.lists(st.floats(-0.5, 0.5), min_size=3, max_size=3))
def test_compiled_arrays_equal_eager_on_a_batch_of_points(dag, shifts):
    leaf_values, steps = dag
    root, leaves = build(leaf_values, steps, BOUND)
    program = capture(root, inputs=leaves)
    points = [list(leaf_values), *([v + shift for v in leaf_values] for shift in shifts)]
    columns = np.array(points).T
    with np.errstate(all="ignore"):
        batch = program.gradients(*columns, per_sample=True)
    for row, point in enumerate(points):
        try:
            eager_root, eager_leaves = build(point, steps, BOUND)
        except Exception:  # hypothesis' rejection of a point where the engine raises
            continue
        eager_root.backward()
        grads = [leaf.grad for leaf in eager_leaves]
        assert close(float(batch.outputs[row]), eager_root.data, scale_of([eager_root.data]))
        for i, grad in enumerate(grads):
            assert close(float(batch.inputs[row, i]), grad, scale_of(grads)), (row, i)


def differs_from_pytorch_by_design(node: Value) -> bool:
    """A **0.5 node of -0.0 (made inside a graph, e.g. 0.0 * -1.0): its slope 0.5 x ** -0.5 is
    +inf here (IEEE pow) and -inf in PyTorch (1 / sqrt(x)), as docs/ops.md lists."""
    base = node._children[0].data if node.op == "**0.5" else None
    return base == 0.0 and math.copysign(1.0, base) < 0.0


@DAG_SETTINGS
@given(dag=dags())
def test_eager_equals_pytorch_in_every_value_and_gradient(dag):
    root, leaves = build(*dag, BOUND)
    assume(not any(differs_from_pytorch_by_design(node) for node in topological_order(root)))
    root.backward()
    twin = torch_twin(root)
    twin[root].backward()
    nodes = topological_order(root)
    value_scale = scale_of(node.data for node in nodes)
    grad_scale = scale_of(node.grad for node in nodes)
    for node in nodes:
        tensor = twin[node]
        assert close(node.data, tensor.item(), value_scale), (node.op, node.data, tensor.item())
        expected = 0.0 if tensor.grad is None else tensor.grad.item()
        assert close(node.grad, expected, grad_scale), (node.op, node.label, node.grad, expected)


# ---- the semantics the table promises ----


def test_relu_masks_an_infinite_upstream_gradient_as_pytorch_does():
    x = Value(-1.0, label="x")
    x.relu().sqrt().backward()  # sqrt's slope at 0 is +inf; relu passes nothing back for x <= 0
    assert x.grad == 0.0


def test_zero_times_an_infinite_slope_is_nan_where_pytorch_gives_nan():
    w = Value(1.5, label="w")
    (w * 0.0).sqrt().backward()  # d/dw = 0 * inf: PyTorch's mul does not mask
    assert math.isnan(w.grad)


@pytest.mark.parametrize(("a", "b"), [(1e-310, 1e-310), (1.5e-308, 3e-308), (7.0, 3.0), (-1.0, 1e-300)])
def test_division_is_one_ieee_quotient_with_pytorchs_slopes(a, b):
    x, y = Value(a, label="x"), Value(b, label="y")
    q = x / y
    assert q.op == "/" and q.children == (x, y) and q.data == a / b
    q.backward()
    tx, ty = (
        torch.tensor(a, dtype=torch.float64, requires_grad=True),
        torch.tensor(b, dtype=torch.float64, requires_grad=True),
    )
    (tx / ty).backward()
    assert close(x.grad, tx.grad.item(), 1.0) and close(y.grad, ty.grad.item(), 1.0)


def test_subtraction_is_one_node():
    x, y = Value(3.0), Value(5.0)
    d = x - y
    assert d.op == "-" and d.children == (x, y) and d.local_grads() == (1.0, -1.0)


@pytest.mark.parametrize(
    ("make", "x", "says"),
    [
        (Value.log1p, -1.0, "log1p: needs an input > -1, got log1p(-1.0)"),
        (Value.log, 0.0, "log: needs an input > 0, got log(0.0)"),
    ],
)
def test_new_ops_check_their_domain_like_the_others(make, x, says):
    with pytest.raises(OpError, match=r"^" + says.replace("(", r"\(").replace(")", r"\)")):
        make(Value(x, label="x"))


def test_a_masked_edge_is_masked_in_compiled_code_too():
    x = Value(-1.0, label="x")
    program = capture(x.relu().sqrt(), inputs=[], parameters=[x])
    program.backward()
    assert x.grad == 0.0
