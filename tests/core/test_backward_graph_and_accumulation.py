"""The recorded graph and backward(): reuse of nodes, repeated calls, accumulation, accessors."""

import math

import numpy as np
import pytest
import torch

import micrograd44
from micrograd44 import Value, topological_order
from micrograd44.core import set_scope


def torch_grads(fn, *xs):
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = fn(*ts)
    out.backward()
    return out.item(), [t.grad.item() for t in ts]


@pytest.mark.parametrize(
    "fn",
    [
        lambda a: a * a,
        lambda a: (a + a) * (a + a),
        lambda a: (lambda b: b * b)(a + a),
        lambda a: (lambda b: (b * a + b.tanh()) * b)(a.exp()),
        lambda a: (lambda b: b / (1 + b) - b**2)(a.sin() * a.cos()),
    ],
    ids=["a*a", "(a+a)*(a+a)", "b=a+a; b*b", "b=exp a; (b a + tanh b) b", "b=sin a cos a; b/(1+b)-b^2"],
)
def test_reused_nodes_equal_pytorch(fn):
    a = Value(0.8, label="a")
    out = fn(a)
    out.backward()
    value, (grad,) = torch_grads(fn, 0.8)
    assert math.isclose(out.data, value, rel_tol=1e-12)
    assert math.isclose(a.grad, grad, rel_tol=1e-12)


def test_a_times_a_lists_the_child_twice():
    a = Value(3.0)
    b = a * a
    assert b.children == (a, a)
    assert b.local_grads() == (3.0, 3.0)
    b.backward()
    assert a.grad == 6.0


def test_accessors_expose_op_children_and_local_grads():
    x, y = Value(2.0, label="x"), Value(-1.5, label="y")
    z = (x * y).tanh()
    product = z.children[0]
    assert (z.op, product.op, x.op) == ("tanh", "*", "")
    assert product.children == (x, y)
    assert product.local_grads() == (-1.5, 2.0)
    assert z.local_grads() == (1 - z.data**2,)
    assert x.children == () and x.local_grads() == ()
    assert (x**3).op == "**3" and (x**0.5).op == "**0.5" and (x**y).op == "**"


def test_every_grad_is_the_sum_of_local_times_upstream_over_its_parents():
    x = Value(0.5, label="x")
    y = (1 + x.sin()).log() * x + x.sqrt()
    y.backward()
    order = topological_order(y)
    inflow = {id(node): 0.0 for node in order}
    inflow[id(y)] = 1.0
    for node in order:
        for child, local in zip(node.children, node.local_grads()):
            inflow[id(child)] += local * node.grad
    for node in order:
        assert math.isclose(node.grad, inflow[id(node)], rel_tol=1e-15), node


def test_backward_twice_doubles_leaf_grads_and_keeps_interior_grads():
    a, b = Value(1.3, label="a"), Value(-0.4, label="b")
    mid = (a * b).tanh()
    out = mid * a + mid
    out.backward()
    once = (a.grad, b.grad, mid.grad, out.grad)
    out.backward()
    assert (a.grad, b.grad) == (2 * once[0], 2 * once[1])
    assert (mid.grad, out.grad) == (once[2], once[3])


def test_leaf_grads_accumulate_over_several_roots():
    a = Value(2.0)
    first, second = a * 3, a**2
    first.backward()
    second.backward()
    assert a.grad == 3.0 + 4.0
    a.grad = 0.0
    second.backward()
    assert a.grad == 4.0


def test_backward_of_a_leaf_adds_one():
    a = Value(5.0)
    a.backward()
    a.backward()
    assert a.grad == 2.0


def test_topological_order_lists_children_first_and_each_node_once():
    a = Value(1.0)
    b = a * a
    c = b + a
    d = c * b
    order = topological_order(d)
    assert order[-1] is d
    assert len(order) == len({id(n) for n in order}) == 4
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        assert all(position[id(child)] < position[id(node)] for child in node.children)
    assert topological_order(d, leaves=False) == [b, c, d]


def test_a_child_shared_with_a_later_sibling_is_listed_before_both():
    x = Value(2.0).exp()
    b = x * 3
    root = x + b  # children (x, b); b's child x must come before b
    order = topological_order(root, leaves=False)
    assert order.index(x) < order.index(b) < order.index(root)
    leaves = topological_order(root)[:2]
    assert all(not leaf.children for leaf in leaves)


def test_long_chain_topological_order_has_no_recursion_limit():
    x = Value(0.5)
    y = x
    for _ in range(50_000):
        y = y * 1.0
    assert len(topological_order(y, leaves=False)) == 50_000


@pytest.mark.parametrize("data", [1, 2.5, -0.0, True, np.float64(0.25), np.float32(1.5), np.int64(3)])
def test_value_keeps_any_real_number_as_a_python_float(data):
    v = Value(data)
    assert type(v.data) is float and v.data == float(data)
    assert v.grad == 0.0 and type(v.grad) is float


@pytest.mark.parametrize("data", ["1.0", None, [1.0], 1 + 2j, np.array([1.0, 2.0]), Value(1.0)])
def test_value_rejects_anything_else_naming_the_type(data):
    with pytest.raises(TypeError, match=type(data).__name__):
        Value(data)


def test_unsupported_operand_types_raise_type_error():
    with pytest.raises(TypeError):
        Value(1.0) + "a"
    with pytest.raises(TypeError):
        Value(1.0) ** "a"


def test_numpy_scalars_combine_into_values():
    v = Value(2.0)
    for result in (np.float64(3.0) * v, np.float64(3.0) + v, np.float64(3.0) - v, np.float64(3.0) / v):
        assert isinstance(result, Value)
    assert (np.float64(3.0) - v).data == 1.0


def test_values_hash_by_identity_and_repr_shows_label_data_grad():
    a, b = Value(1.0, label="a"), Value(1.0, label="a")
    assert len({a, b}) == 2 and a != b
    assert repr(a) == "Value(data=1.0, grad=0.0, label='a')"
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"


def test_scope_is_recorded_on_new_values():
    scope = (("neuron", "n"),)
    previous = set_scope(scope)
    try:
        inside = Value(1.0) * 2
    finally:
        set_scope(previous)
    outside = Value(1.0) * 2
    assert inside.scope == scope
    assert outside.scope is None


@pytest.mark.parametrize("inputs", [0, 1, 2, 5, 64, 65, 200])
def test_linear_adds_up_as_its_rule_does_at_every_width(inputs):
    # up to 64 inputs the sum is printed once as one expression, beyond it runs the rule's loop
    rng = np.random.default_rng(inputs)
    weights, xs = rng.normal(size=inputs).tolist(), rng.normal(size=inputs).tolist()
    bias = -0.0 if inputs == 0 else float(rng.normal())
    out = micrograd44.linear(weights, xs, bias)
    expected = micrograd44.core.ops.LINEAR.forward(micrograd44.core.ops.FLOATS, *weights, *xs, bias)
    assert out.data.hex() == expected.hex()


def test_linear_takes_numbers_for_weights_inputs_and_bias():
    x = Value(2.0)
    out = micrograd44.linear([0.5, Value(3.0)], [x, 1.0], 0.25)
    out.backward()
    assert out.data == 0.5 * 2.0 + 3.0 * 1.0 + 0.25 and x.grad == 0.5
    assert len(out.children) == 5
