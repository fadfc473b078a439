"""The C loops read and write only inside their arrays: run with every array index bounds-checked.

A layer's neurons are taken four at a time, then one at a time for the rest
(codegen/loops.py). An index one past a layer's arrays would not show in the numbers (the
element written is overwritten or never read), so the programs here are built by a compiler
that checks every index of an array of known size and stops the process at the first one
outside it (``-fsanitize=bounds`` trapping, no runtime library needed). In a subprocess
(the stop kills it), a network with layers of 5, 6, 7, 9 and 17 neurons trains a few steps
and runs one backward; its numbers are compared with eager's by their bits.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

from compilers import needs_compiler
from eager_steps import eager_losses

from micrograd44 import MLP
from micrograd44.compiled import compiler
from micrograd44.losses import mse_loss
from micrograd44.optim import SGD

SAMPLES = [[0.3, -0.7, 1.0], [-1.2, 0.4, 0.0], [0.8, 0.1, 1.0]]
STEPS = [0, 2, 1, 1, 0]
WIDTHS = [5, 9, 6, 17, 7, 1]
CHECKED = ["-fsanitize=bounds", "-fsanitize-undefined-trap-on-error"]

# the compiled run, in a subprocess: the losses, then every parameter and gradient, as bits
COMPILED = f"""
import json
from micrograd44 import MLP, Value
from micrograd44.compiled import capture, trace
from micrograd44.losses import mse_loss
from micrograd44.optim import SGD
model = MLP(2, {WIDTHS!r}, activation="tanh", seed=3)
program = trace(lambda x, y, t: mse_loss(model([x, y]), t), (0.0, 0.0, 0.0), parameters=model)
optimizer = SGD(model.parameters(), lr=0.05, momentum=0.9)
losses = program.training_loop(optimizer, "c").single_sample({SAMPLES!r}, {STEPS!r})
optimizer.zero_grad()
losses.append(program.c_program().backward(0.5, -0.25, 1.0))
parameters = model.parameters()
print(json.dumps([[float(v).hex() for v in losses], [p.data.hex() for p in parameters],
                  [p.grad.hex() for p in parameters]]))
"""


def eager() -> list[list[str]]:
    model = MLP(2, WIDTHS, activation="tanh", seed=3)
    optimizer = SGD(model.parameters(), lr=0.05, momentum=0.9)

    def sample_loss(x, y, t):
        return mse_loss(model([x, y]), t)

    losses = eager_losses(sample_loss, optimizer, SAMPLES, STEPS, full_batch=False)
    optimizer.zero_grad()
    loss = mse_loss(model([0.5, -0.25]), 1.0)
    loss.backward()
    losses.append(loss.data)
    parameters = model.parameters()
    return [[v.hex() for v in losses], [p.data.hex() for p in parameters], [p.grad.hex() for p in parameters]]


@needs_compiler
def test_bounds_checked_c_loops_run_to_the_end_with_eagers_numbers():
    command = shlex.join([*compiler(), *CHECKED])
    run = subprocess.run(
        [sys.executable, "-c", COMPILED],
        env={**os.environ, "CC": command},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout) == eager()
