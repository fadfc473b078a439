"""The compiled replay against the eager engine: every op, the 44-parameter model, training loops, batches.

One-sample replays and training loops must give the engine's numbers bit for bit (a zero
may carry the other sign); batched evaluation on numpy arrays must agree within 1e-12.
"""

from __future__ import annotations

import doctest
import math
import random
from dataclasses import dataclass, field

import numpy as np
import pytest
from compilers import BACKENDS
from eager_steps import eager_losses
from op_points import RULES, defined, refused

from micrograd44 import MLP, DomainError, OpError, Value, linear, sum_values
from micrograd44.compiled import (
    CaptureError,
    GraphMismatchError,
    StepFailed,
    batched,
    capture,
    program,
    trace,
)
from micrograd44.compiled import loop as compiled_loop
from micrograd44.core.value import apply_op
from micrograd44.losses import l1_loss, mse_loss
from micrograd44.optim import SGD, Adam

BATCH_TOL = 1e-12  # batched (numpy) against eager: relative, and absolute near zero


def same(actual: float, expected: float) -> bool:
    """Bit-for-bit equal as numbers: == (so 0.0 matches -0.0), and nan matches nan."""
    return actual == expected or (math.isnan(actual) and math.isnan(expected))


def close(actual: float, expected: float, tol: float = BATCH_TOL) -> bool:
    """Within tol relative (absolute below 1); nan matches nan, infinities must be equal."""
    if math.isnan(expected) or math.isinf(expected):
        return same(actual, expected)
    return abs(actual - expected) <= tol * max(1.0, abs(expected))


# ---- every op of the table at its fixed points (tests/support/op_points.py), and a few compositions ----


@dataclass
class OpCase:
    """An op applied to leaves, the points to replay it at, and points where the engine raises."""

    name: str
    fn: object
    points: list
    raising: list = field(default_factory=list)


def _table_cases(rule) -> list[OpCase]:
    """The op itself, at the fixed points where the engine computes it and where it refuses.

    One case per number of inputs (a program replays one graph: linear and sum come in several).
    """
    cases = []
    computed, raised = defined(rule), refused(rule)
    for n in sorted({len(p) for p in computed}):
        name = rule.name if rule.arity is not None else f"{rule.name} of {n}"
        points = [p for p in computed if len(p) == n]
        raising = [p for p in raised if len(p) == n]
        cases.append(OpCase(name, lambda *leaves: apply_op(rule, leaves), points, raising))
    return cases


OPS = [
    *(case for rule in RULES for case in _table_cases(rule)),
    OpCase("neg", lambda a: -a, [(-3.7,), (0.0,), (2.3,)]),
    OpCase("2 ** a", lambda a: 2**a, [(-30.0,), (0.5,), (17.0,)], raising=[(2000.0,)]),
    OpCase("sum of one", lambda a: sum_values([a]) * 0.5, [(0.3,), (-2.0,)]),
    OpCase("a * a", lambda a: a * a, [(1.5,), (-3.0,)]),
    OpCase("tanh(a * b) + a", lambda a, b: (a * b).tanh() + a, [(0.3, -1.2), (2.0, 0.5)]),
    OpCase("log(1 + sin a)", lambda a: (1 + a.sin()).log(), [(0.5,), (2.0,), (-1.0,)]),
]

OP_IDS = [case.name for case in OPS]


def eager_result(fn, leaves, point):
    """(value, grads of the leaves) of fn at point by the engine, on the given leaves."""
    for leaf, x in zip(leaves, point):
        leaf.data, leaf.grad = x, 0.0
    out = fn(*leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def labelled_leaves(point):
    return [Value(x, label=f"a{i}") for i, x in enumerate(point)]


@pytest.mark.parametrize("case", OPS, ids=OP_IDS)
def test_replay_on_parameters_is_eager_bit_for_bit(case):
    leaves = labelled_leaves(case.points[0])
    replay = capture(case.fn(*leaves), inputs=[], parameters=leaves)
    reference = labelled_leaves(case.points[0])
    for point in case.points:
        value, grads = eager_result(case.fn, reference, point)
        for leaf, x in zip(leaves, point):
            leaf.data, leaf.grad = x, 0.0
        assert same(replay.backward(), value), point
        assert all(same(leaf.grad, g) for leaf, g in zip(leaves, grads)), (
            point,
            [p.grad for p in leaves],
            grads,
        )
        assert same(replay(), value)


@pytest.mark.parametrize("case", [c for c in OPS if c.raising], ids=[c.name for c in OPS if c.raising])
def test_replay_raises_the_engines_error_where_eager_raises(case):
    leaves = labelled_leaves(case.points[0])
    replay = capture(case.fn(*leaves), inputs=[], parameters=leaves)
    for point in case.raising:
        reference = labelled_leaves(point)
        with pytest.raises(Exception) as eager_error:
            case.fn(*reference)
        for leaf, x in zip(leaves, point):
            leaf.data = x
        for call in (replay, replay.backward):
            with pytest.raises(type(eager_error.value)):
                call()


@pytest.mark.parametrize("case", OPS, ids=OP_IDS)
def test_replay_on_inputs_gives_eager_values(case):
    replay = trace(case.fn, case.points[0])
    for point in case.points:
        assert same(replay(*point), case.fn(*labelled_leaves(point)).data), point


@pytest.mark.parametrize("case", OPS, ids=OP_IDS)
def test_batched_op_matches_eager_per_sample(case):
    replay = trace(case.fn, case.points[0])
    columns = [np.array(column) for column in zip(*case.points)]
    result = replay.gradients(*columns, per_sample=True)
    for k, point in enumerate(case.points):
        value, grads = eager_result(case.fn, labelled_leaves(point), point)
        assert close(result.outputs[k], value), (point, result.outputs[k], value)
        assert all(close(a, e) for a, e in zip(result.inputs[k], grads)), (point, result.inputs[k], grads)
    assert np.array_equal(replay.evaluate(*columns), result.outputs, equal_nan=True)


@pytest.mark.parametrize("case", [c for c in OPS if c.raising], ids=[c.name for c in OPS if c.raising])
def test_batched_op_gives_nan_or_inf_where_eager_raises(case):
    replay = trace(case.fn, case.points[0])
    outputs = replay.evaluate(*[np.array(column) for column in zip(*case.raising)])
    assert not np.isfinite(outputs).any()


# ---- the course's 44-parameter model ----


def course_model() -> MLP:
    return MLP(2, [5, 4, 1], activation="tanh", weight_init="normal", bias_init="torch", seed=2)


XOR = [(0.0, 0.0, 0.0), (0.0, 1.0, 1.0), (1.0, 0.0, 1.0), (1.0, 1.0, 0.0)]


def compiled_loss(model, loss=l1_loss):
    return trace(lambda x, y, t: loss(model([x, y]), t), (0.0, 0.0, 0.0), parameters=model)


def random_points(n, seed=0):
    rng = random.Random(seed)
    return [
        (rng.uniform(-3, 3), rng.uniform(-3, 3), rng.choice([0.0, 1.0, rng.gauss(0, 2)])) for _ in range(n)
    ]


def eager_loss_and_grads(model, point, loss=l1_loss):
    model.zero_grad()
    value = loss(model(point[:2]), point[2])
    value.backward()
    return value.data, [p.grad for p in model.parameters()]


def assert_replay_matches_eager(replay, model, points):
    for point in points:
        value, grads = eager_loss_and_grads(model, point)
        model.zero_grad()
        assert same(replay.backward(*point), value)
        assert [p.grad for p in model.parameters()] == grads
        assert same(replay(*point), value)


def test_model_replay_is_eager_bit_for_bit_at_many_points():
    model = course_model()
    assert_replay_matches_eager(compiled_loss(model), model, random_points(300))


def test_model_replay_reads_the_parameters_current_data():
    model = course_model()
    replay = compiled_loss(model)
    rng = random.Random(1)
    for round_ in range(5):
        for p in model.parameters():
            p.data += rng.gauss(0, 0.5)
        assert_replay_matches_eager(replay, model, random_points(40, seed=round_))


def test_backward_accumulates_into_grads_as_eager_does():
    model, twin = course_model(), course_model()
    replay = compiled_loss(model)
    replay.backward(0.5, -1.0, 1.0)
    replay.backward(0.5, -1.0, 1.0)
    loss = l1_loss(twin([0.5, -1.0]), 1.0)
    loss.backward()
    loss.backward()
    assert [p.grad for p in model.parameters()] == [p.grad for p in twin.parameters()]


# ---- training loops, step for step against the eager loop ----

OPTIMIZERS = {
    "sgd momentum (course)": (SGD, {"lr": 0.02, "momentum": 0.9}),
    "sgd plain": (SGD, {"lr": 0.05}),
    "sgd damped with decay": (SGD, {"lr": 0.02, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.01}),
    "sgd nesterov": (SGD, {"lr": 0.02, "momentum": 0.9, "nesterov": True}),
    "adam": (Adam, {"lr": 0.02}),
    "adam low beta1 with decay": (Adam, {"lr": 0.01, "betas": (0.3, 0.99), "weight_decay": 0.1}),
}


def optimizer_state(optimizer):
    if isinstance(optimizer, Adam):
        return optimizer.t, optimizer.m, optimizer.v
    return optimizer.buffers


def run_eager(model, optimizer, steps, loss=l1_loss):
    """The losses of eager single-sample steps of the model on XOR's rows at ``steps``."""
    return eager_losses(lambda x, y, t: loss(model([x, y]), t), optimizer, XOR, steps, full_batch=False)


def assert_same_state(model, optimizer, twin, twin_optimizer):
    assert model.state_dict() == twin.state_dict()
    assert [p.grad for p in model.parameters()] == [p.grad for p in twin.parameters()]
    assert optimizer_state(optimizer) == optimizer_state(twin_optimizer)


@pytest.mark.parametrize("loss", [l1_loss, mse_loss], ids=["l1", "mse"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_single_sample_loop_is_the_eager_loop(name, loss):
    make, settings = OPTIMIZERS[name]
    steps = [random.Random(3).randrange(4) for _ in range(400)]
    eager_model = course_model()
    eager_optimizer = make(eager_model.parameters(), **settings)
    expected = run_eager(eager_model, eager_optimizer, steps, loss)
    model = course_model()
    optimizer = make(model.parameters(), **settings)
    loop = compiled_loss(model, loss).training_loop(optimizer)
    assert loop.single_sample(XOR, steps) == expected
    assert_same_state(model, optimizer, eager_model, eager_optimizer)


@pytest.mark.parametrize("loss", [l1_loss, mse_loss], ids=["l1", "mse"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_full_batch_loop_is_the_eager_mean_loss(name, loss):
    make, settings = OPTIMIZERS[name]
    eager_model = course_model()
    eager_optimizer = make(eager_model.parameters(), **settings)
    expected = []
    for _ in range(150):
        eager_optimizer.zero_grad()
        value = loss([eager_model(s[:2]) for s in XOR], [s[2] for s in XOR])
        value.backward()
        eager_optimizer.step()
        expected.append(value.data)
    model = course_model()
    optimizer = make(model.parameters(), **settings)
    assert compiled_loss(model, loss).training_loop(optimizer).full_batch(XOR, 150) == expected
    assert_same_state(model, optimizer, eager_model, eager_optimizer)


def test_compiled_and_eager_steps_mix():
    steps = [random.Random(4).randrange(4) for _ in range(90)]
    eager_model = course_model()
    eager_optimizer = SGD(eager_model.parameters(), lr=0.02, momentum=0.9)
    expected = run_eager(eager_model, eager_optimizer, steps)
    model = course_model()
    optimizer = SGD(model.parameters(), lr=0.02, momentum=0.9)
    loop = compiled_loss(model).training_loop(optimizer)
    losses = loop.single_sample(XOR, steps[:30])
    losses += run_eager(model, optimizer, steps[30:60])
    losses += loop.single_sample(XOR, steps[60:])
    assert losses == expected
    assert_same_state(model, optimizer, eager_model, eager_optimizer)


def test_loop_honours_a_changed_learning_rate():
    eager_model, model = course_model(), course_model()
    eager_optimizer = Adam(eager_model.parameters(), lr=0.05)
    optimizer = Adam(model.parameters(), lr=0.05)
    loop = compiled_loss(model).training_loop(optimizer)
    expected = run_eager(eager_model, eager_optimizer, [0, 1, 2, 3])
    eager_optimizer.lr = 0.001
    expected += run_eager(eager_model, eager_optimizer, [3, 2, 1, 0])
    losses = loop.single_sample(XOR, [0, 1, 2, 3])
    optimizer.lr = 0.001
    assert losses + loop.single_sample(XOR, [3, 2, 1, 0]) == expected
    assert_same_state(model, optimizer, eager_model, eager_optimizer)


def test_loop_with_the_trainers_sampling_matches_its_eager_history():
    from micrograd44.training.course import Recipe, run

    recipe = Recipe(epochs=30)
    history = run(recipe)
    model = course_model()
    loop = compiled_loss(model).training_loop(SGD(model.parameters(), lr=recipe.lr, momentum=recipe.momentum))
    assert loop.single_sample(XOR, history.samples) == history.step_losses
    assert model.state_dict() == history.final_state


# ---- a loop stops where the eager trainer would, in the state it would leave ----


def eager_checked_steps(params, optimizer, root, samples, steps):
    """The eager loop with a trainer's checks: (stage, step, losses) where it stopped."""
    losses = []
    for step, i in enumerate(steps):
        optimizer.zero_grad()
        try:
            value = root(*samples[i])
        except OpError:
            return "forward", step, losses
        value.backward()
        if not math.isfinite(value.data):
            return "loss", step, losses
        if not all(math.isfinite(p.grad) for p in params):
            return "gradient", step, losses
        optimizer.step()
        if not all(math.isfinite(p.data) for p in params):
            return "update", step, losses
        losses.append(value.data)
    return None, len(steps), losses


FAILURES = {
    # root(w, x), samples, lr, w's first value: the last sample makes the step fail at the named stage
    "forward": (lambda w, x: (w * x).log(), [(1.0,), (2.0,), (-1.0,)], 0.01, 1.5),
    "gradient": (lambda w, x: (w * x).sqrt(), [(1.0,), (3.0,), (0.0,)], 0.01, 1.5),
    "update": (lambda w, x: w * x, [(1e-300,), (2e-300,), (1e10,)], 1e300, 1.5),
    # the engine refuses a non-finite node, so only a non-finite parameter as the root is a non-finite loss
    "loss": (lambda w, x: w, [(1.0,)], 0.01, math.inf),
}


def parameter(data: float) -> Value:
    """A leaf named w holding data, which may be non-finite (as an update can leave a parameter)."""
    w = Value(0.0, label="w")
    w.data = data
    return w


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("stage", FAILURES)
def test_loop_stops_like_the_checked_eager_loop(stage, backend):
    root, samples, lr, start = FAILURES[stage]
    steps = [0, 1, 0, 2, 1] if len(samples) > 1 else [0, 0]
    w_eager = parameter(start)
    eager_optimizer = SGD([w_eager], lr=lr, momentum=0.5)
    expected = eager_checked_steps(
        [w_eager], eager_optimizer, lambda x: root(w_eager, Value(x)), samples, steps
    )
    assert expected[0] == stage
    w = parameter(start)
    optimizer = SGD([w], lr=lr, momentum=0.5)
    loop = trace(lambda x: root(w, x), (1.0,), parameters=[w]).training_loop(optimizer, backend)
    with pytest.raises(StepFailed) as stopped:
        loop.single_sample(samples, steps, check_finite=True)
    assert (stopped.value.stage, stopped.value.step, stopped.value.losses) == expected
    assert same(w.data, w_eager.data) and same(w.grad, w_eager.grad)
    assert optimizer.buffers == eager_optimizer.buffers
    if stage == "forward":
        assert isinstance(stopped.value.__cause__, DomainError)


def test_full_batch_loop_stops_on_a_failing_sample():
    w = Value(1.0, label="w")
    loop = trace(lambda x: (w * x).log(), (1.0,), parameters=[w]).training_loop(SGD([w], lr=0.1))
    with pytest.raises(StepFailed) as stopped:
        loop.full_batch([(1.0,), (-2.0,)], 3)
    assert stopped.value.stage == "forward" and stopped.value.step == 0
    assert isinstance(stopped.value.__cause__, DomainError)
    assert w.data == 1.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_without_check_finite_a_non_finite_gradient_is_applied_as_eager_applies_it(backend):
    w, w_eager = Value(2.0, label="w"), Value(2.0, label="w")
    program = trace(lambda x: (w * x).sqrt(), (1.0,), parameters=[w])
    loop = program.training_loop(SGD([w], lr=0.1), backend)
    assert loop.single_sample([(0.0,)], [0]) == [0.0]
    (w_eager * 0.0).sqrt().backward()
    SGD([w_eager], lr=0.1).step()
    assert math.isnan(w.data) and math.isnan(w_eager.data)
    with pytest.raises(StepFailed, match="not a finite number"):
        loop.single_sample([(1.0,)], [0])


# ---- batched evaluation of the model ----


def test_batched_model_outputs_match_eager_per_sample():
    model = course_model()
    net = trace(lambda x, y: model([x, y]), (0.0, 0.0), parameters=model)
    points = np.random.default_rng(5).uniform(-3, 3, (3000, 2))
    outputs = net.evaluate(points[:, 0], points[:, 1], chunk_size=1000)
    expected = [model(list(p)).data for p in points.tolist()]
    assert all(close(a, e) for a, e in zip(outputs.tolist(), expected))
    assert np.array_equal(net.evaluate(points[:, 0], points[:, 1], chunk_size=7), outputs)
    for workers in (1, 3):
        same = net.evaluate(points[:, 0], points[:, 1], chunk_size=100, workers=workers)
        assert np.array_equal(same, outputs)
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        net.evaluate(points[:, 0], points[:, 1], workers=0)


def test_batched_gradients_match_eager_per_sample_and_summed():
    model = course_model()
    replay = compiled_loss(model)
    points = random_points(200, seed=6)
    result = replay.gradients(*np.array(points).T, per_sample=True, chunk_size=64)
    summed = replay.gradients(*np.array(points).T, chunk_size=64)
    eager_grads = []
    for k, point in enumerate(points):
        inputs = [Value(x, label=name) for x, name in zip(point, "xyt")]
        model.zero_grad()
        loss = l1_loss(model(inputs[:2]), inputs[2].data)
        loss.backward()
        eager_grads.append([p.grad for p in model.parameters()])
        assert close(result.outputs[k], loss.data)
        assert all(close(a, e) for a, e in zip(result.parameters[k], eager_grads[-1]))
        assert all(close(a, x.grad) for a, x in zip(result.inputs[k][:2], inputs[:2]))
    totals = [math.fsum(column) for column in zip(*eager_grads)]
    assert all(close(a, e, 1e-10) for a, e in zip(summed.parameters, totals))
    assert np.array_equal(summed.outputs, result.outputs)


def test_batched_gradients_of_a_mean_loss_with_root_grad():
    model = course_model()
    replay = compiled_loss(model)
    mean = l1_loss([model(s[:2]) for s in XOR], [s[2] for s in XOR])
    model.zero_grad()
    mean.backward()
    result = replay.gradients(*np.array(XOR).T, root_grad=1 / len(XOR))
    assert all(close(a, p.grad) for a, p in zip(result.parameters, model.parameters()))
    assert close(result.outputs.mean(), mean.data)


def test_batched_inputs_broadcast_into_any_shape():
    model = course_model()
    net = trace(lambda x, y: model([x, y]), (0.0, 0.0), parameters=model)
    xx, yy = np.meshgrid(np.linspace(-1, 2, 30), np.linspace(-1, 2, 20))
    grid = net.evaluate(xx, yy)
    assert grid.shape == (20, 30)
    row = net.evaluate(xx[0], 0.5)  # a layer fed by a column of one repeated number
    assert all(close(a, model([x, 0.5]).data) for a, x in zip(row.tolist(), xx[0].tolist()))
    assert net.evaluate(0.25, -0.5).shape == ()
    assert close(float(net.evaluate(0.25, -0.5)), model([0.25, -0.5]).data)
    per_sample = net.gradients(xx, yy, per_sample=True)
    assert per_sample.parameters.shape == (20, 30, 44) and per_sample.inputs.shape == (20, 30, 2)


def test_several_outputs():
    model = course_model()

    def loss_and_prediction(x, y, t):
        prediction = model([x, y])
        return l1_loss(prediction, t), prediction

    both = trace(loss_and_prediction, XOR[1], parameters=model)
    loss, prediction = both(*XOR[1])
    assert prediction == model([0.0, 1.0]).data
    assert loss == l1_loss(model([0.0, 1.0]), 1.0).data
    losses, predictions = both.evaluate(*np.array(XOR).T)
    assert predictions.shape == losses.shape == (4,)


# ---- graphs of any depth and width ----


def test_a_graph_deeper_than_any_recursion_limit():
    def chain(x):
        for _ in range(3000):
            x = (x * 0.999).tanh() + 0.001
        return x

    replay = trace(chain, (0.3,))
    assert same(replay(0.7), chain(Value(0.7)).data)


def test_a_neuron_with_many_inputs():
    weights = [Value(random.Random(i).gauss(0, 1), label=f"w{i}") for i in range(2500)]
    bias = Value(0.1, label="b")
    replay = trace(lambda x: linear(weights, [x] * 2500, bias).tanh(), (0.5,), parameters=[*weights, bias])
    replay.backward(0.01)
    grads = [w.grad for w in weights]
    for w in weights:
        w.grad = 0.0
    out = linear(weights, [Value(0.01)] * 2500, bias).tanh()
    out.backward()
    assert same(replay(0.01), out.data)
    assert grads == [w.grad for w in weights]


# ---- the static-graph contract and clear errors ----


def test_wrong_number_of_inputs_is_a_clear_error():
    replay = compiled_loss(course_model())
    for call in (replay, replay.backward, replay.evaluate, replay.gradients):
        with pytest.raises(TypeError, match=r"takes 3 inputs \(x, y, t\), got 2"):
            call(0.0, 1.0)


def test_wrong_samples_are_clear_errors():
    model = course_model()
    loop = compiled_loss(model).training_loop(SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match=r"shape \(n, 3\)"):
        loop.single_sample([(0.0, 1.0)], [0])
    with pytest.raises(IndexError, match="out of range for 4 samples"):
        loop.single_sample(XOR, [0, 4])
    with pytest.raises(IndexError, match="out of range"):
        loop.single_sample(XOR, [-1])
    with pytest.raises(ValueError, match="broadcast"):
        compiled_loss(model).evaluate(np.zeros(3), np.zeros(4), 0.0)


def branchy(x):
    """A function whose graph depends on the data: not replayable."""
    return x.relu() if x.data > 0 else x.tanh()


def test_trace_check_catches_a_function_that_branches_on_data():
    with pytest.raises(GraphMismatchError, match=r"check point \[-1.0\].*'tanh'.*'relu'"):
        trace(branchy, (1.0,), check=[(2.0,), (-1.0,)])
    assert trace(branchy, (1.0,), check=[(2.0,)])(-1.0) == 0.0  # the relu branch, replayed as traced


def test_check_graph_names_the_first_difference():
    model = course_model()
    replay = trace(lambda x, y: model([x, y]), (0.0, 0.0), parameters=model)
    x, y = Value(0.0), Value(0.0)
    replay.check_graph(model([x, y]), [x, y])
    other = MLP(2, [5, 4, 1], activation="relu", seed=0)
    with pytest.raises(GraphMismatchError, match="'relu'.*'tanh' in layers"):
        replay.check_graph(other([x, y]), [x, y], parameters=other)
    small = MLP(2, [3, 1], seed=0)
    with pytest.raises(GraphMismatchError, match="it has 13 parameters, the captured graph 44"):
        replay.check_graph(small([x, y]), [x, y], parameters=small)
    scaled = trace(lambda a: a * 2.0, (1.0,))
    a = Value(1.0)
    with pytest.raises(GraphMismatchError, match="constant 3.0.*constant 2.0"):
        scaled.check_graph(a * 3.0, [a])


def test_capture_errors_are_clear():
    model = course_model()
    with pytest.raises(
        CaptureError, match=r"'layers\.0\.neurons\.\d\.w\.0' .* neither an input nor a parameter"
    ):
        trace(lambda x, y: model([x, y]), (0.0, 0.0))
    x = Value(1.0, label="x")
    with pytest.raises(CaptureError, match="input 0 is the result of a 'tanh' op"):
        capture(x.tanh() * 2, inputs=[x.tanh()])
    with pytest.raises(CaptureError, match="both an input and a parameter"):
        capture(x * 2, inputs=[x], parameters=[x])
    with pytest.raises(TypeError, match="output 0 is a float"):
        capture([1.0], inputs=[])
    with pytest.raises(TypeError, match="output 0 is a float"):
        trace(lambda a: a.data * 2, (1.0,))


def test_training_loop_needs_the_programs_parameters_and_a_known_optimizer():
    model = course_model()
    replay = compiled_loss(model)
    with pytest.raises(ValueError, match="exactly the program's 44 parameters"):
        replay.training_loop(SGD(model.parameters()[:10], lr=0.1))

    class Custom(SGD):
        pass

    with pytest.raises(TypeError, match="needs micrograd44.optim.SGD or Adam"):
        replay.training_loop(Custom(model.parameters(), lr=0.1))


def test_constants_are_frozen_and_unlabelled_leaves_are_constants():
    scale = Value(2.0)
    replay = trace(lambda x: x * scale, (1.0,))
    scale.data = 5.0
    assert replay(3.0) == 6.0


# ---- the generated code is there to read ----


def test_sources_are_readable_python():
    model = course_model()
    replay = compiled_loss(model)
    assert "def forward(x0, x1, x2, p0" in replay.source
    assert "tanh(" in replay.source and "# p43 = layers.2.neurons.0.b" in replay.source
    assert "def gradients_arrays(" in replay.array_source
    assert replay.array_source.count("matmul(") == 4  # the two hidden layers, in evaluate and gradients
    loop = replay.training_loop(SGD(model.parameters(), lr=0.1, momentum=0.9))
    assert "def single_sample(" in loop.source and "def full_batch(" in loop.source
    assert repr(replay) == "Program(inputs=3, parameters=44, ops=23, outputs=1)"


@pytest.mark.parametrize("module", [program, compiled_loop, batched], ids=lambda m: m.__name__)
def test_docstring_examples(module):
    assert doctest.testmod(module).failed == 0


def test_package_docstring_example():
    import micrograd44.compiled as package

    assert doctest.testmod(package).failed == 0
