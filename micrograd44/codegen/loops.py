"""Loops: a tape's neurons written as C loops over arrays, layer by layer, forward and backward.

A ``linear`` node (a neuron's w . x + b) unrolled is 2n statements forward and as many
backward, and a C compiler's time grows faster than the function it optimises. Here a
neuron whose weights are consecutive parameters, used by no other node, and whose bias is a
parameter too, is printed as a loop over its weights instead; neurons that read the same
inputs (a ``Layer``) share one loop over the neurons. The parameters, their gradients and a
layer's inputs, outputs and their gradients live in arrays (``P``, ``G``, ``X0``, ``L0``,
``gX0``, ``gL0``); every other node stays a statement of its own, as ``lowering`` prints it.

The loops do the engine's operations in the engine's order, so they round as it does:
forward, each neuron sums ``0.0 + w_0 x_0 + ... + w_(n-1) x_(n-1)`` left to right, then
adds its bias; backward, the neurons run in the reverse of the tape's order, and each adds
into its weights', its inputs' and its bias's gradients, as the engine's walk does. A layer
is one loop only where that keeps the order of every sum: its inputs are distinct and every
other node that reads one of them comes before the layer on the tape (after it backward).
"""

from __future__ import annotations

import dataclasses
import functools
from collections import Counter
from collections.abc import Callable

from .c import C
from .lowering import C_DOUBLES, Gradients, Lowering, add_contributions, slot_names
from .python import indent
from .tape import Tape

# Neurons whose sums share one loop over their inputs (forward).
JAMMED = 4


@dataclasses.dataclass(frozen=True)
class Layer:
    """Linear nodes printed as one loop over neurons.

    Attributes:
        nodes: the linear nodes' slots, in the tape's order (neuron j is nodes[j]).
        inputs: the slots every neuron reads, in order.
        weights: per neuron, the index (among the parameters) of its first weight; the
            others follow it.
        biases: per neuron, the index of its bias among the parameters.
    """

    nodes: tuple[int, ...]
    inputs: tuple[int, ...]
    weights: tuple[int, ...]
    biases: tuple[int, ...]


def _neuron(tape: Tape, s: int, position: dict[int, int], uses: Counter) -> tuple[int, int] | None:
    """(first weight, bias) as parameter indices when the linear node at s can be a loop, else None."""
    children = tape.children[s]
    n = len(children) // 2
    weights, bias = children[:n], children[-1]
    if n == 0 or not all(c in position and uses[c] == 1 for c in (*weights, bias)):
        return None
    first = position[weights[0]]
    if [position[w] for w in weights] != list(range(first, first + n)):
        return None
    return first, position[bias]


def find_layers(tape: Tape) -> list[Layer]:
    """The linear nodes that can be loops, grouped into layers (a lone neuron is a layer of one).

    A node qualifies when its weights are consecutive parameters and its weights and bias
    are parameters no other edge reads. Qualifying nodes that read the same inputs form one
    layer where the loop over them keeps the engine's order of sums (see the module's
    docstring); otherwise each is a layer of its own.
    """
    position = {s: k for k, s in enumerate(tape.parameters)}
    uses = Counter(c for s in tape.ops for c in tape.children[s])
    readers: dict[int, set[int]] = {}
    for s in tape.ops:
        for c in tape.children[s]:
            readers.setdefault(c, set()).add(s)
    groups: dict[tuple[int, ...], list[tuple[int, tuple[int, int]]]] = {}
    for s in tape.ops:
        if tape.kinds[s] != "linear":
            continue
        neuron = _neuron(tape, s, position, uses)
        if neuron is not None:
            n = len(tape.children[s]) // 2
            groups.setdefault(tape.children[s][n:-1], []).append((s, neuron))
    layers = []
    for inputs, members in groups.items():
        nodes = [s for s, _ in members]
        first = nodes[0]
        ordered = len(set(inputs)) == len(inputs) and all(
            r in nodes or r < first for x in inputs for r in readers[x]
        )
        parts = [members] if ordered else [[member] for member in members]
        for part in parts:
            layers.append(
                Layer(
                    tuple(s for s, _ in part),
                    inputs,
                    tuple(w for _, (w, _) in part),
                    tuple(b for _, (_, b) in part),
                )
            )
    return sorted(layers, key=lambda layer: layer.nodes[0])


def _index(values: tuple[int, ...], table: str) -> tuple[Callable[[str], str], list[str]]:
    """Source for ``values[j]`` from j's source: ``a + b * (j)`` where evenly spaced, else a table."""
    if len(values) == 1:
        return (lambda j: str(values[0])), []
    step = values[1] - values[0]
    if all(v == values[0] + step * j for j, v in enumerate(values)):
        return (lambda j: f"{values[0]} + {step} * ({j})"), []
    return (lambda j: f"{table}[{j}]"), [f"static const long {table}[] = {{{', '.join(map(str, values))}}};"]


class LoopedLowering(Lowering):
    """The tape in C with its layers (``find_layers``) as loops; every other node as one statement.

    The parameters are the elements of an array ``P``, their gradients of an array ``G``
    (pointers the caller declares). ``forward_lines`` and ``backward_lines`` are C
    statements; ``arrays`` declares the layers' arrays.
    """

    def __init__(self, tape: Tape):
        self.layers = find_layers(tape)
        self._parameter = {s: k for k, s in enumerate(tape.parameters)}
        self._member = {s: (k, j) for k, layer in enumerate(self.layers) for j, s in enumerate(layer.nodes)}
        names = slot_names(tape, C.constant)
        for s, k in self._parameter.items():
            names[s] = f"P[{k}]"
        for s, (k, j) in self._member.items():
            names[s] = f"L{k}[{j}]"
        super().__init__(tape, C_DOUBLES, names=names, unprinted=frozenset(self._member))
        self._first = {layer.nodes[0]: k for k, layer in enumerate(self.layers)}

    def grad_name(self, slot: int) -> str:
        if slot in self._parameter:
            return f"G[{self._parameter[slot]}]"
        if slot in self._member:
            return "g" + self.names[slot]
        return f"g_{self.names[slot]}"

    def scalars(self) -> list[str]:
        """The op nodes' variables that are not array elements."""
        return [self.names[s] for s in self.tape.ops if s not in self._member]

    def arrays(self) -> list[str]:
        """Declarations of the layers' arrays: inputs, outputs and their gradients."""
        return [
            f"double X{k}[{len(layer.inputs)}], gX{k}[{len(layer.inputs)}], "
            f"L{k}[{len(layer.nodes)}], gL{k}[{len(layer.nodes)}];"
            for k, layer in enumerate(self.layers)
        ]

    # ---- forward ----

    def forward_lines(self) -> list[str]:
        """The forward pass as C statements, children before parents, each layer where its first neuron is."""
        lines = []
        for s in self.tape.ops:
            if s in self._first:
                lines += self._layer_forward(self._first[s])
            elif s not in self._member:
                lines += [f"{self.names[s]} = {e};" for e in self._nodes[s].forward]
        return lines

    def _layer_forward(self, k: int) -> list[str]:
        """Gather the layer's inputs, then each neuron: 0.0 + w_0 x_0 + ... + w_(n-1) x_(n-1), plus its bias.

        ``JAMMED`` neurons at a time share the loop over the inputs: their sums are
        independent, so the processor overlaps them; each neuron's sum keeps its order.
        """
        layer = self.layers[k]
        m, n = len(layer.nodes), len(layer.inputs)
        weight, weight_table = _index(layer.weights, f"weights{k}")
        bias, bias_table = _index(layer.biases, f"biases{k}")

        def neurons(count: int) -> list[str]:
            at = [f"j + {a}" if a else "j" for a in range(count)]
            return [
                *(f"const double *w{a} = P + {weight(j)};" for a, j in enumerate(at)),
                f"double {', '.join(f't{a} = 0.0' for a in range(count))};",
                f"for (long i = 0; i < {n}; i++) {{",
                f"    const double x = X{k}[i];",
                *(f"    t{a} = t{a} + w{a}[i] * x;" for a in range(count)),
                "}",
                *(f"L{k}[{j}] = t{a} + P[{bias(j)}];" for a, j in enumerate(at)),
            ]

        lines = [*(f"X{k}[{i}] = {self.names[x]};" for i, x in enumerate(layer.inputs)), "{"]
        lines += [*(f"    {line}" for line in (*weight_table, *bias_table)), "    long j = 0;"]
        if m >= JAMMED:
            lines += [
                f"    for (; j + {JAMMED} <= {m}; j += {JAMMED}) {{",
                *indent(neurons(JAMMED), 2),
                "    }",
            ]
        if m % JAMMED:
            lines += [f"    for (; j < {m}; j++) {{", *indent(neurons(1), 2), "    }"]
        return [*lines, "}"]

    # ---- backward ----

    def backward_lines(self, seed: str, accumulate: bool) -> tuple[list[str], list[str]]:
        """The chain rule from the root down to every parameter, as C statements; and the scalars they assign.

        Each parameter's gradient ends in ``G``: added to it with ``accumulate`` (G holds the
        gradients so far, as ``.grad`` does), else assigned afresh (0.0 where none reaches it).
        """
        wanted = set(self.tape.parameters)
        needs = self._needs_grad(wanted)
        start = {s: self.grad_name(s) for s in wanted} if accumulate else {}
        gradients = Gradients(start, self.grad_name, lambda target, source: f"{target} = {source};")
        if self.tape.root in needs:
            gradients.add(self.tape.root, seed)
        done: set[int] = set()
        for s in reversed(self.tape.ops):
            if s not in needs:
                continue
            if s in self._first:
                done |= self._layer_backward(self._first[s], gradients, needs, accumulate)
            elif s not in self._member:
                add_contributions(gradients, s, self.tape.children[s], self._nodes[s].slopes, needs, C)
        for s, k in self._parameter.items():
            grad = gradients.grads.get(s, None if accumulate else "0.0")
            if s not in done and grad is not None and grad != self.grad_name(s):
                gradients.lines.append(f"G[{k}] = {grad};")
        assigned = [line.split(" = ")[0] for line in gradients.lines if line.startswith("g_")]
        return gradients.lines, list(dict.fromkeys(assigned))

    def _layer_backward(self, k: int, gradients: Gradients, needs: set[int], accumulate: bool) -> set[int]:
        """The layer's neurons in reverse, each adding into its weights', inputs' and bias's gradients.

        The first neuron backward starts its inputs' gradients; the others add to them.
        Returns the slots of the parameters whose gradients it wrote.
        """
        layer = self.layers[k]
        neurons = [j for j in reversed(range(len(layer.nodes))) if layer.nodes[j] in needs]
        if not neurons:
            return set()
        lines = gradients.lines
        for j in neurons:
            upstream = gradients.grads.get(layer.nodes[j], "0.0")
            if upstream != self.grad_name(layer.nodes[j]):
                lines.append(f"gL{k}[{j}] = {upstream};")
        inputs = [x in needs for x in layer.inputs]
        weight, weight_table = _index(tuple(layer.weights[j] for j in neurons), f"weights{k}")
        bias, bias_table = _index(tuple(layer.biases[j] for j in neurons), f"biases{k}")
        neuron, neuron_table = _index(tuple(neurons), f"neurons{k}")
        indices = (neuron, weight, bias)
        body = functools.partial(self._neurons_backward, k, indices, any(inputs), accumulate)
        count, first = len(neurons), min(JAMMED, len(neurons))
        lines += [
            "{",
            *indent([*weight_table, *bias_table, *neuron_table, "long j = 0;", *body(first, True)]),
        ]
        if count - first >= JAMMED:
            header = f"for (j = {first}; j + {JAMMED} <= {count}; j += {JAMMED}) {{"
            lines += [f"    {header}", *indent(body(JAMMED, False), 2), "    }"]
        if (count - first) % JAMMED:
            start = first + (count - first) // JAMMED * JAMMED
            lines += [f"    for (j = {start}; j < {count}; j++) {{", *indent(body(1, False), 2), "    }"]
        lines.append("}")
        for i, x in enumerate(layer.inputs):
            if inputs[i]:
                gradients.add(x, f"gX{k}[{i}]")
        weights = [range(layer.weights[j], layer.weights[j] + len(layer.inputs)) for j in neurons]
        return {self.tape.parameters[p] for j, w in zip(neurons, weights) for p in (layer.biases[j], *w)}

    def _neurons_backward(
        self, k: int, indices: tuple, inputs: bool, accumulate: bool, count: int, first: bool
    ) -> list[str]:
        """Neurons j to j + count - 1: each adds x_i u to weight i, w_i u to input i, u to its bias.

        u is the neuron's upstream gradient; the neurons add into the inputs' gradients one
        after the other, element by element (the first neurons of the layer start them).
        """
        neuron, weight, bias = indices
        n = len(self.layers[k].inputs)
        at = [f"j + {a}" if a else "j" for a in range(count)]
        plus = "{} + " if accumulate else ""
        lines = [
            *(f"const double u{a} = gL{k}[{neuron(j)}];" for a, j in enumerate(at)),
            *(f"double *gw{a} = G + {weight(j)};" for a, j in enumerate(at)),
            f"for (long i = 0; i < {n}; i++) {{",
            *(f"    gw{a}[i] = {plus.format(f'gw{a}[i]')}X{k}[i] * u{a};" for a in range(count)),
            "}",
        ]
        if inputs:
            terms = [*([] if first else [f"gX{k}[i]"]), *(f"w{a}[i] * u{a}" for a in range(count))]
            lines += [
                *(f"const double *w{a} = P + {weight(j)};" for a, j in enumerate(at)),
                f"for (long i = 0; i < {n}; i++)",
                f"    gX{k}[i] = {' + '.join(terms)};",
            ]
        return [*lines, *(f"G[{bias(j)}] = {plus.format(f'G[{bias(j)}]')}u{a};" for a, j in enumerate(at))]
