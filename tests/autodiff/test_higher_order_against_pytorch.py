"""Higher-order gradients, Hessians, Jacobians and forward mode, with PyTorch float64 as the oracle.

The derivatives come from the op table's rules evaluated on Values (micrograd44.autodiff);
PyTorch differentiates the same graphs (rebuilt from the table's forward rules) with its
own autograd, create_graph=True.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from op_points import RULES
from random_graphs import LEAVES, arity_of, build, close, dags, scale_of

import viz
from micrograd44 import OpError, Value, grad, hessian, hvp, jacobian, jvp, ops, topological_order
from micrograd44.compiled import trace
from micrograd44.core.value import VALUES, apply_op
from micrograd44.testing import TORCH, torch_twin
from micrograd44.training.course import Recipe, build_model, sample_loss

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)


def run_steps(steps, inputs, apply):
    """The last node of the steps of a DAG (test_op_table.dags), computed by ``apply(rule, operands)``."""
    nodes = list(inputs)
    for rule, operands in steps:
        nodes.append(apply(rule, [nodes[i] for i in operands]))
    return nodes[-1]


def on_tensors(rule, operands):
    """A rule's forward on tensors."""
    return rule.forward(TORCH, *operands)


def torch_leaves(xs: list[Value]) -> dict:
    """A float64 tensor that requires grad for each leaf."""
    return {x: torch.tensor(x.data, dtype=torch.float64, requires_grad=True) for x in xs}


# Ops with a masked slope (ops.MASKED): where PyTorch's second derivative is nan from 0 * inf
# inside the masked branch (x ** y at y = 0), the engine's is the masked branch's 0.
MASKING = {ops.POW.name, ops.RELU.name, ops.power(0.0).name}


def assert_rows_close(got, expected, masking: bool = False):
    """Matrices (lists of rows) equal within the test tolerance, relative to their largest entry."""
    flat = [x for row in expected for x in row]
    scale = scale_of(flat)
    for got_row, expected_row in zip(got, expected, strict=True):
        for a, b in zip(got_row, expected_row, strict=True):
            if math.isnan(b) and math.isfinite(a) and masking:
                continue
            assert close(a, b, scale), (got, expected)


def test_the_value_vocabulary_provides_exactly_the_primitives():
    assert set(vars(VALUES)) == set(ops.VOCABULARY)


# ---- every op: second and third derivatives ----


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
@SETTINGS
@given(data=st.data())
def test_each_ops_hessian_equals_pytorch(rule, data):
    n = arity_of(rule, data)
    point = [data.draw(LEAVES) for _ in range(n)]
    try:
        ours = hessian(lambda *xs: apply_op(rule, xs), point)
    except OpError:  # a slope is infinite there: a Value holds only finite numbers
        assume(False)
    inputs = tuple(torch.tensor(x, dtype=torch.float64) for x in point)
    theirs = torch.autograd.functional.hessian(lambda *ts: rule.forward(TORCH, *ts), inputs)
    assert_rows_close(ours, [[float(theirs[i][j]) for j in range(n)] for i in range(n)], rule.name in MASKING)


UNARY = [rule for rule in RULES if rule.arity == 1]


@pytest.mark.parametrize("rule", UNARY, ids=lambda r: r.name)
@SETTINGS
@given(x=LEAVES)
def test_each_unary_ops_third_derivative_equals_pytorch(rule, x):
    leaf = Value(x, label="x")
    try:
        y = apply_op(rule, [leaf])
        (d1,) = grad(y, [leaf], create_graph=True)
        (d2,) = grad(d1, [leaf], create_graph=True)
        (d3,) = grad(d2, [leaf])
    except OpError:
        assume(False)
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (t1,) = torch.autograd.grad(rule.forward(TORCH, t), t, create_graph=True)
    expected = [t1.item()]
    for _ in range(2):  # a derivative that does not depend on x (relu's 1) has derivative 0
        if t1.requires_grad:
            (t1,) = torch.autograd.grad(t1, t, create_graph=True, allow_unused=True, materialize_grads=True)
        else:
            t1 = torch.zeros((), dtype=torch.float64)
        expected.append(t1.item())
    got = [d1.data, d2.data, d3]
    scale = scale_of(expected)
    assert all(close(a, b, scale) for a, b in zip(got, expected)), (rule.name, x, got, expected)


@pytest.mark.parametrize("rule", UNARY, ids=lambda r: r.name)
@pytest.mark.parametrize("x", [0.3, 0.7, 1.9, -0.4, -1.3])
def test_each_second_derivative_agrees_with_central_differences_of_the_first(rule, x):
    def first(at: float) -> float:
        leaf = Value(at)
        return grad(apply_op(rule, [leaf]), [leaf])[0]

    leaf = Value(x)
    try:
        (d1,) = grad(apply_op(rule, [leaf]), [leaf], create_graph=True)
        (d2,) = grad(d1, [leaf])
        h = 1e-5
        numeric = (first(x + h) - first(x - h)) / (2 * h)
    except OpError:
        pytest.skip(f"{rule.name} is not defined around {x}")
    assert math.isclose(d2, numeric, rel_tol=1e-5, abs_tol=1e-6)


@pytest.mark.parametrize(
    ("op", "x"), [(Value.relu, 1.5), (Value.relu, -1.5), (Value.abs, 2.0), (Value.abs, -2.0)]
)
def test_piecewise_ops_have_second_derivative_zero_away_from_the_kink(op, x):
    leaf = Value(x)
    (d1,) = grad(op(leaf), [leaf], create_graph=True)
    assert grad(d1, [leaf]) == (0.0,)


# ---- the course loss: a 44 x 44 Hessian ----


def course_loss_and_parameters(samples: list[int]):
    """The course recipe's loss at its initial weights, on the given samples, and its 44 parameters."""
    recipe = Recipe()
    model = build_model(recipe)
    return sample_loss(model, recipe, samples), model.parameters()


@pytest.mark.parametrize("samples", [[3], [0, 1, 2, 3]], ids=["one sample", "mean of four"])
def test_the_44_by_44_hessian_of_the_course_loss_equals_pytorch(samples):
    loss, parameters = course_loss_and_parameters(samples)
    first = grad(loss, parameters, create_graph=True)
    ours = [list(grad(g, parameters)) for g in first]

    leaves = torch_leaves(parameters)
    flat = torch.stack([leaves[p] for p in parameters]).detach()

    def f(vector):
        return torch_twin(loss, {p: vector[i] for i, p in enumerate(parameters)})[loss]

    theirs = torch.autograd.functional.hessian(f, flat)
    assert len(ours) == 44 and all(len(row) == 44 for row in ours)
    largest = max(abs(x) for row in ours for x in row)
    for i in range(44):
        for j in range(44):
            assert abs(ours[i][j] - theirs[i, j].item()) <= 1e-10 * max(abs(theirs[i, j].item()), largest)

    v = [math.sin(k) for k in range(44)]
    value, product = hvp(
        lambda *ws: replay_with_values(loss, dict(zip(parameters, ws))), [p.data for p in parameters], v
    )
    expected = torch.autograd.functional.hvp(f, flat, torch.tensor(v, dtype=torch.float64))[1].tolist()
    assert value == loss.data
    for got, want in zip(product, expected, strict=True):
        assert abs(got - want) <= 1e-10 * max(abs(x) for x in expected)


def replay_with_values(root: Value, leaves: dict) -> Value:
    """root's graph built again by the engine with some leaves replaced by other Values."""
    values = dict(leaves)
    for node in topological_order(root):
        if node not in values:
            values[node] = apply_op(node._rule, [values[c] for c in node.children]) if node.children else node
    return values[root]


def test_jacobian_of_several_outputs_equals_pytorch():
    def f(x, y, z):
        return [x * y.sin(), (x + z).tanh(), y / z]

    point = [0.3, -1.2, 2.5]
    ours = jacobian(f, point)
    inputs = tuple(torch.tensor(v, dtype=torch.float64) for v in point)
    theirs = torch.autograd.functional.jacobian(
        lambda a, b, c: torch.stack([a * torch.sin(b), torch.tanh(a + c), b / c]), inputs
    )
    assert_rows_close(ours, [[float(theirs[i][k]) for i in range(3)] for k in range(3)])


# ---- random graphs ----


@SETTINGS
@given(dag=dags())
def test_random_graphs_hessians_equal_pytorch(dag):
    leaf_values, steps = dag
    # a second derivative at a tiny leaf (x / x at 1e-278) overflows, to inf or nan depending on
    # the order of the terms: the comparison means something where squares of the leaves are floats
    assume(all(v == 0.0 or abs(v) > 1e-150 for v in leaf_values))
    root, leaves = build(leaf_values, steps, 1e3)  # rejects points where the engine raises, or large nodes
    root.backward()
    # a Hessian means something where the gradient is finite; elsewhere (0 * inf under a masked
    # edge) backward() gives nan, while a derivative graph leaves out what no edge reaches
    assume(all(math.isfinite(leaf.grad) for leaf in leaves))

    try:
        ours = hessian(lambda *xs: run_steps(steps, xs, apply_op), leaf_values)
    except OpError:
        assume(False)
    inputs = tuple(torch.tensor(v, dtype=torch.float64) for v in leaf_values)
    theirs = torch.autograd.functional.hessian(lambda *ts: run_steps(steps, ts, on_tensors), inputs)
    n = len(leaf_values)
    masking = any(rule.name in MASKING for rule, _ in steps)
    assert_rows_close(ours, [[float(theirs[i][j]) for j in range(n)] for i in range(n)], masking)


@SETTINGS
@given(dag=dags(), tangent=st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=3))
def test_jvp_equals_pytorch_and_the_gradient_dotted_with_the_tangent(dag, tangent):
    leaf_values, steps = dag
    root, leaves = build(leaf_values, steps, 1e3)
    tangent = tangent[: len(leaves)]
    # sums of slopes as large as 1e300 cancel to anything: compare where the terms are moderate
    assume(all(abs(slope) <= 1e6 for node in topological_order(root) for slope in node.local_grads()))

    value, derivative = jvp(lambda *xs: run_steps(steps, xs, apply_op), leaf_values, tangent)
    gradient = grad(root, leaves)
    dot = math.fsum(g * t for g, t in zip(gradient, tangent))

    inputs = tuple(torch.tensor(v, dtype=torch.float64) for v in leaf_values)
    tangents = tuple(torch.tensor(t, dtype=torch.float64) for t in tangent)
    their_value, their_derivative = torch.func.jvp(
        lambda *ts: run_steps(steps, ts, on_tensors), inputs, tangents
    )
    scale = scale_of([*gradient, 1.0])
    assert value == root.data and close(value, their_value.item(), scale_of([value]))
    assert close(derivative, their_derivative.item(), scale)
    assert close(derivative, dot, scale * max(1.0, *(abs(t) for t in tangent)))


# ---- the API ----


def test_grad_leaves_dot_grad_alone_and_create_graph_gives_values():
    x = Value(2.0, label="x")
    x.grad = 7.0
    y = x**3
    (d1,) = grad(y, [x], create_graph=True)
    assert isinstance(d1, Value) and d1.data == 12.0 and x.grad == 7.0
    assert grad(d1, [x]) == (12.0,)


def test_grad_of_an_unused_input_is_zero_or_raises_when_asked():
    x, unused = Value(1.0, label="x"), Value(2.0, label="unused")
    y = x * 3
    assert grad(y, [x, unused]) == (3.0, 0.0)
    assert grad(y, [unused], create_graph=True)[0].data == 0.0
    with pytest.raises(ValueError, match="does not depend on input 1 \\('unused'\\)"):
        grad(y, [x, unused], allow_unused=False)


def test_backward_with_create_graph_leaves_differentiable_gradients_on_the_leaves():
    x = Value(0.5, label="x")
    y = (1 + x.sin()).log()
    y.backward(create_graph=True)
    assert x.grad == x.grad_value.data == grad(y, [x])[0]
    assert grad(x.grad_value, [x])[0] == pytest.approx(-1 / (1 + math.sin(0.5)), rel=1e-12)
    y.backward(create_graph=True)  # a second call adds up, like .grad
    assert x.grad_value.data == 2 * grad(y, [x])[0] == x.grad


def test_a_hessian_vector_product_compiles_like_anything_else():
    w = Value(0.7, label="w")

    def directional_second_derivative(x):
        y = (w * x).tanh() * x
        (dy,) = grad(y, [x], create_graph=True)
        return grad(dy, [x], create_graph=True)[0]

    program = trace(directional_second_derivative, (0.3,), parameters=[w])
    for x in (0.3, -1.1, 2.0):
        assert program(x) == directional_second_derivative(Value(x, label="x")).data


def test_hessian_hvp_jvp_shapes_follow_pytorch():
    assert hessian(lambda x, y: x * x * y, [3.0, 2.0]) == [[4.0, 6.0], [6.0, 0.0]]
    assert hvp(lambda x, y: x * x * y, [3.0, 2.0], [1.0, 0.0]) == (18.0, [4.0, 6.0])
    assert jvp(lambda x, y: [x * y, x + y], [3.0, 2.0], [1.0, 1.0]) == ((6.0, 5.0), (5.0, 2.0))


# ---- the picture of a derivative ----


def test_the_gradient_of_log_1_plus_sin_is_drawn_as_cos_times_a_quotient():
    x = Value(0.5, label="x")
    y = (1 + x.sin()).log()
    (dy,) = grad(y, [x], create_graph=True)
    assert dy.op == "*" and [c.op for c in dy.children] == ["cos", "/"]
    assert dy.children[1].children[1] is y.children[0]  # 1 + sin x: the forward pass's own node
    dy.backward()
    source = viz.draw_graph(dy, forward=y).source
    order = topological_order(dy)
    forward_nodes = set(topological_order(y))
    marked = {i for i, node in enumerate(order) if f'v{i} [label=<<TABLE BORDER="2" COLOR=' in source}
    assert marked == {i for i, node in enumerate(order) if node not in forward_nodes}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
@SETTINGS
@given(data=st.data())
def test_each_ops_jvp_equals_pytorch(rule, data):
    n = arity_of(rule, data)
    point = [data.draw(LEAVES) for _ in range(n)]
    tangent = [data.draw(st.floats(-2.0, 2.0)) for _ in range(n)]
    try:
        value, derivative = jvp(lambda *xs: apply_op(rule, xs), point, tangent)
        slopes = apply_op(rule, [Value(x) for x in point]).local_grads()
    except OpError:
        assume(False)
    # forward mode multiplies slopes by tangents: where a slope itself overflows a float
    # (d/dy of x / y for y = 1e-300), PyTorch's rearranged formula can still be finite
    assume(all(math.isfinite(slope) for slope in slopes))
    inputs = tuple(torch.tensor(x, dtype=torch.float64) for x in point)
    tangents = tuple(torch.tensor(t, dtype=torch.float64) for t in tangent)
    their_value, their_derivative = torch.func.jvp(lambda *ts: rule.forward(TORCH, *ts), inputs, tangents)
    assert close(value, their_value.item(), scale_of([value]))
    terms = [slope * t for slope, t in zip(slopes, tangent)]  # the sum cancels to anything below these
    assert close(derivative, their_derivative.item(), scale_of([derivative, *terms])), (
        rule.name,
        point,
        tangent,
    )
