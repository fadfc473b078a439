"""``micrograd44 train``: run the course recipe (or a variant), print the log and write its files."""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import functools
import io
import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import numpy

from .. import init
from ..cli import CommandError
from ..compiled.toolchain import CompileError, CompilerUnavailable, check_compiler, compiler
from ..files import write_text_atomic
from ..nn import ACTIVATIONS, MLP
from ..train import (
    ENGINES,
    INPUTS,
    LOSSES,
    OPTIMIZERS,
    SAMPLINGS,
    TARGETS,
    History,
    Recipe,
    RecipeError,
    TrainingDiverged,
    TrainingInterrupted,
    block_means,
    build_model,
    forward_backward,
    run,
    stable_learning_rate,
    stop_on_signal,
)
from . import run_folder

# activation as typed on the command line -> as in the Recipe ("none": no activation)
ACTIVATION_NAMES = {name or "none": name for name in ACTIVATIONS}

# epochs between the snapshots of the --report page, unless --snapshot-every says otherwise
DEFAULT_SNAPSHOT_EVERY = 50

# The sample drawn in graph.svg: input (1, 1), where both inputs are non-zero, so every
# weight of the first layer gets a gradient too.
PICTURE_SAMPLE = 3


def register(subparsers) -> None:
    """Add the ``train`` sub-command."""
    default = Recipe()
    parser = subparsers.add_parser(
        "train",
        help="train the 44-parameter XOR network of the course and write its files",
        description=(
            "Train an MLP on XOR. The defaults are the course's 44-parameter recipe: "
            "2 -> 5 -> 4 -> 1 with tanh, L1 loss, SGD lr 0.02 momentum 0.9, 2001 epochs of "
            "4 single-sample steps."
        ),
    )
    recipe = parser.add_argument_group("recipe")
    recipe.add_argument("--epochs", type=int, default=default.epochs, help="epochs (default: %(default)s)")
    recipe.add_argument("--lr", type=float, default=default.lr, help="learning rate (default: %(default)s)")
    recipe.add_argument(
        "--momentum", type=float, default=default.momentum, help="SGD momentum (default: %(default)s)"
    )
    recipe.add_argument(
        "--loss", choices=list(LOSSES), default=default.loss, help="loss (default: %(default)s)"
    )
    recipe.add_argument(
        "--hidden",
        type=_hidden_sizes,
        default=",".join(map(str, default.hidden)),
        metavar="N,N",
        help="hidden layer sizes, comma-separated; '' for none (default: %(default)s)",
    )
    recipe.add_argument(
        "--activation",
        choices=list(ACTIVATION_NAMES),
        default=default.activation,
        help="activation of the hidden layers (default: %(default)s)",
    )
    recipe.add_argument(
        "--weight-init",
        choices=list(init.SCHEMES),
        default=default.weight_init,
        help="(default: %(default)s)",
    )
    recipe.add_argument(
        "--bias-init", choices=list(init.SCHEMES), default=default.bias_init, help="(default: %(default)s)"
    )
    recipe.add_argument(
        "--sampling",
        choices=SAMPLINGS,
        default=default.sampling,
        help="random: 4 steps per epoch on samples drawn with replacement; cycle: 4 steps on "
        "samples 0..3; full-batch: 1 step on the mean loss (default: %(default)s)",
    )
    recipe.add_argument(
        "--optimizer", choices=list(OPTIMIZERS), default=default.optimizer, help="(default: %(default)s)"
    )
    recipe.add_argument(
        "--seed", type=int, default=default.seed, help="seeds weights and sample draws (default: %(default)s)"
    )
    recipe.add_argument(
        "--print-every",
        type=int,
        default=default.print_every,
        help="log every N epochs (default: %(default)s)",
    )
    recipe.add_argument(
        "--engine",
        type=_engine,
        choices=ENGINES,
        default=default.engine,
        help="eager: every step builds its graph and calls backward(); python: the step's graph is "
        "traced once and replayed as generated Python, the same numbers bit for bit, trained about ten "
        "times faster; c: the same program as C, built by the system's C compiler, faster still; "
        "compiled: c where a C compiler works, else python (default: %(default)s)",
    )
    parser.add_argument(
        "--out",
        default="out/",
        metavar="DIR",
        help="folder for the files and pictures (default: %(default)s)",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the result and any problem")
    report = parser.add_argument_group("training replay")
    report.add_argument(
        "--report",
        metavar="FILE",
        help="also write one self-contained HTML page that replays the training snapshot by snapshot "
        "(needs Graphviz), e.g. report.html",
    )
    report.add_argument(
        "--snapshot-every",
        type=_positive_int,
        metavar="N",
        help=f"with --report: a snapshot every N epochs, plus the first and last step "
        f"(default: {DEFAULT_SNAPSHOT_EVERY})",
    )
    parser.set_defaults(run=run_command)


def _positive_int(text: str) -> int:
    """'50' -> 50; argparse error for anything that is not an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


def _engine(text: str) -> str:
    """An engine name; for "c", an argparse error saying why unless a C compiler builds a library."""
    if text == "c":
        try:
            check_compiler(compiler())
        except CompilerUnavailable as error:
            raise argparse.ArgumentTypeError(f"the C engine needs a C compiler: {error}") from None
    return text


def _hidden_sizes(text: str) -> tuple[int, ...]:
    """'5,4' -> (5, 4); '' -> (); argparse error for anything that is not integers."""
    try:
        return tuple(int(part) for part in text.split(",")) if text.strip() else ()
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers such as 5,4, got {text!r}"
        ) from None


def _recipe(args: argparse.Namespace) -> Recipe:
    """The Recipe the flags ask for; CommandError naming the flag when a value is invalid."""
    values = {field.name: getattr(args, field.name) for field in dataclasses.fields(Recipe)}
    values["activation"] = ACTIVATION_NAMES[args.activation]
    try:
        return Recipe(**values)
    except RecipeError as error:
        flag = "--" + error.field.replace("_", "-")
        raise CommandError(f"{flag} {error.rule}, got {error.value!r}") from None


def _snapshot_every(args: argparse.Namespace) -> int | None:
    """The --report page's snapshot interval (None without --report); CommandError if given alone."""
    if args.report is None:
        if args.snapshot_every is not None:
            raise CommandError(
                "--snapshot-every needs --report FILE: the snapshots are what the page replays"
            )
        return None
    return DEFAULT_SNAPSHOT_EVERY if args.snapshot_every is None else args.snapshot_every


def _report_path(path: str | None, out: Path) -> Path | None:
    """The --report file, its folder created if needed; CommandError when it cannot or must not be written.

    It must not be one of the run's own files in --out, nor a file of another run's folder.
    """
    if path is None:
        return None
    report = Path(path)
    if report.is_dir():
        raise CommandError(f"--report {path}: is a folder, expected a file such as report.html")
    if _in_folder(report, out) and report.name in {*FILES, run_folder.MANIFEST}:
        raise CommandError(
            f"--report {path}: is the run's own {report.name} in --out {out}; choose another name, such as "
            "report.html"
        )
    owner = run_folder.owner_of(report)
    if owner is not None and not _in_folder(report, out):
        raise CommandError(
            f"--report {path}: would replace a file of the `micrograd44 {owner}` run in {report.parent}; "
            "choose another name"
        )
    try:
        report.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(f"--report {path}: cannot create its folder ({error.strerror or error})") from None
    return report


def _in_folder(path: Path, folder: Path) -> bool:
    """True when ``path`` names a file directly in ``folder`` (symlinks resolved)."""
    return path.resolve().parent == folder.resolve()


def run_command(args: argparse.Namespace) -> int:
    """Train, print the log and the truth table, write the files; the exit status.

    SIGTERM is handled like Ctrl-C: what was trained is written, and the exit status is
    128 + the signal's number (130 for Ctrl-C, 143 for SIGTERM).
    """
    with _stop_signals_handled():
        try:
            return _train_and_write(args)
        except KeyboardInterrupt as stop:
            signum = getattr(stop, "signum", signal.SIGINT)
            print(f"\n{_stopped_by(signum)}.", file=sys.stderr)
            return 128 + signum


@contextlib.contextmanager
def _stop_signals_handled() -> Iterator[None]:
    """Have SIGINT and SIGTERM stop the command through stop_on_signal (run() defers them to a step's end).

    A signal that is ignored (SIGINT in a background job) or has a handler of its own is
    left alone, as is everything outside the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    defaults = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
    taken = [s for s, default in defaults.items() if signal.getsignal(s) is default]
    previous = {s: signal.signal(s, stop_on_signal) for s in taken}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _stopped_by(signum: int) -> str:
    """'Interrupted' for Ctrl-C, 'Terminated (SIGTERM)' for SIGTERM."""
    return "Interrupted" if signum == signal.SIGINT else f"Terminated ({signal.Signals(signum).name})"


def _train_and_write(args: argparse.Namespace) -> int:
    """The command's work: check the outputs, train, print, write; TrainingInterrupted is handled here."""
    recipe = _recipe(args)
    snapshot_every = _snapshot_every(args)
    report = _report_path(args.report, Path(args.out))
    names = [*FILES, *([report.name] if report is not None and _in_folder(report, Path(args.out)) else [])]
    out = run_folder.claim(args.out, "train", names)
    if not args.quiet:
        print(_describe_recipe(recipe), flush=True)
    started = time.perf_counter()
    try:
        history = run(
            recipe,
            on_log=None if args.quiet else _print_log,
            snapshot_every=snapshot_every,
        )
    except TrainingInterrupted as stop:
        return _finish_interrupted(stop, out, report)
    except TrainingDiverged as error:
        return _finish_diverged(error, out, report)
    except CompileError as error:  # the generated C did not compile: the compiler's own lines
        raise CommandError(f"the C engine could not build its loop: {error}") from None
    seconds = time.perf_counter() - started
    print(_describe_result(history, seconds, table=not args.quiet))
    complete = _write_outputs(history, out, report, pictures=True, quiet=args.quiet)
    return 0 if complete else 1


def _write_outputs(
    history: History, out: run_folder.RunFolder, report: Path | None, *, pictures: bool, quiet: bool
) -> bool:
    """Replace the earlier run in --out with this one's files, and write the replay page.

    Returns whether every file that should be there was written (a file that cannot be
    written is said in one line, and the others are still written).
    """
    report_inside = report is not None and _in_folder(report, out.path)
    out.begin([*FILES, *([report.name] if report_inside else [])])
    written, failed = _write_files(history, out.path, pictures=pictures)
    _report_files(written, out.path, quiet=quiet)
    replayed = _write_report(history, report, quiet=quiet)
    out.finish([*written, *([report.name] if report_inside and replayed else [])])
    return not failed


def _finish_interrupted(stop: TrainingInterrupted, out: run_folder.RunFolder, report: Path | None) -> int:
    """Write what was trained before Ctrl-C or SIGTERM; return 128 + the signal's number."""
    history = stop.history
    epochs = len(history.epoch_losses)
    print(
        f"\n{_stopped_by(stop.signum)} after {len(history.step_losses)} steps ({epochs} complete epochs).",
        flush=True,
    )
    _write_outputs(history, out, report, pictures=False, quiet=False)
    return 128 + stop.signum


def _finish_diverged(error: TrainingDiverged, out: run_folder.RunFolder, report: Path | None) -> int:
    """Write the history up to the failing step (and its replay), print the error and an lr that trains."""
    _write_outputs(error.history, out, report, pictures=False, quiet=True)
    print(f"micrograd44 train: error: {error}", file=sys.stderr)
    print(f"The history up to step {error.step} is in {out.path}.", file=sys.stderr)
    if report is not None and report.exists():
        print(f"The replay of its snapshots is in {report}.", file=sys.stderr)
    print(_checked_learning_rate(error), file=sys.stderr)
    return 1


def _checked_learning_rate(error: TrainingDiverged) -> str:
    """A learning rate checked to train twice the epochs this one reached (at least 100), or why none."""
    recipe = error.history.recipe
    epochs = min(recipe.epochs, max(100, 2 * (error.epoch + 1)))
    lr = stable_learning_rate(recipe, epochs)
    if lr is None:
        lowest = recipe.lr / 10**6
        return f"No learning rate down to {lowest:g} trains its first {epochs} epochs: check the recipe."
    return f"--lr {lr:g} trains the first {epochs} epochs of this recipe without diverging (checked): try it."


def _print_log(epoch: int, loss: float, epoch_mean: float) -> None:
    """The course's log line, with the epoch mean beside it."""
    print(f"Epoch: {epoch}, Loss: {loss:.6f}  (epoch mean {epoch_mean:.6f})", flush=True)


def _parameter_count(model: MLP) -> str:
    """The parameter count worked out per layer, e.g. '(2*5+5) + (5*4+4) + (4*1+1) = 15 + 24 + 5 = 44'."""
    terms = [f"({layer.nin}*{layer.nout}+{layer.nout})" for layer in model.layers]
    counts = [str(layer.num_parameters()) for layer in model.layers]
    total = model.num_parameters()
    if len(counts) == 1:
        return f"{terms[0]} = {total}"
    return f"{' + '.join(terms)} = {' + '.join(counts)} = {total}"


def _describe_recipe(recipe: Recipe) -> str:
    """The recipe and its parameter count, printed before training."""
    model = build_model(recipe)
    sizes = " -> ".join(str(n) for n in [model.nin, *model.nouts])
    course = recipe == Recipe(engine=recipe.engine)  # the engine changes the speed, not the numbers
    title = "the course's 44-parameter XOR exercise" if course else "a variant of the course recipe"
    momentum = f", momentum {recipe.momentum:g}" if recipe.optimizer == "sgd" else ""
    steps = recipe.epochs * recipe.steps_per_epoch
    return "\n".join(
        [
            f"Recipe: {title}",
            f"  model       MLP {sizes}, {recipe.activation or 'no activation'} after the hidden layers, "
            "linear output",
            f"  parameters  {_parameter_count(model)}",
            f"  init        weights {recipe.weight_init}, biases {recipe.bias_init}, seed {recipe.seed}",
            f"  loss        {recipe.loss}",
            f"  optimizer   {recipe.optimizer}, lr {recipe.lr:g}{momentum}",
            f"  training    {recipe.epochs} epochs x {recipe.steps_per_epoch} steps ({recipe.sampling}) "
            f"= {steps} steps",
            f"  engine      {recipe.engine}",
        ]
    )


def _describe_result(history: History, seconds: float, *, table: bool = True) -> str:
    """The truth table (when ``table``) and whether XOR was solved."""
    steps = len(history.step_losses)
    last = f", last step loss {history.step_losses[-1]:.6f}" if steps else ""
    lines = [f"Trained {steps} steps in {seconds:.2f} s{last}."]
    if table:
        lines += ["", "  input   target  prediction  rounded  correct"]
        for x, target, raw, rounded in zip(INPUTS, TARGETS, history.predictions, history.rounded):
            correct = "yes" if rounded == target else "NO"
            lines.append(f"  ({x[0]:g}, {x[1]:g})  {target:6g}  {raw:10.6f}  {rounded!s:>7}  {correct:>7}")
        lines.append("")
    wrong = sum(rounded != target for rounded, target in zip(history.rounded, TARGETS))
    lines.append("XOR solved: yes" if history.solved else f"XOR solved: no ({wrong} of 4 predictions wrong)")
    return "\n".join(lines)


# file name -> what it holds, in the order they are written and listed
FILES = {
    "history.csv": "the loss of every step (epoch, step, sample, loss)",
    "model.json": "the trained model; MLP.load() reads it",
    "recipe.json": "the recipe that was run",
    "training.png": "loss of every step, with epoch means and their running trend",
    "network.svg": "the network with its parameters",
    "graph.svg": "the computation graph of one step, with its gradients",
    "parameters.svg": "the table of parameters",
}


def _skip(name: str, reason: str) -> None:
    """Say, in one line, that an optional file was not written."""
    print(f"skipped {name}: {reason}", file=sys.stderr)


def _write_files(history: History, out: Path, *, pictures: bool) -> tuple[list[str], list[str]]:
    """Write the run's files (and, when ``pictures``, its plot and diagrams) to ``out``.

    Returns the names written and the names that could not be written (each said in one line).
    """
    recipe = json.dumps(dataclasses.asdict(history.recipe), indent=2) + "\n"
    writers = {
        "history.csv": lambda path: _write_history_csv(history, path),
        "model.json": lambda path: _save_model(history, path),
        "recipe.json": lambda path: write_text_atomic(path, recipe),
    }
    if pictures:
        writers["training.png"] = lambda path: _write_plot(history, path)
        writers.update(_picture_writers(history))
    written, failed = [], []
    for name, write in writers.items():
        try:
            write(out / name)
            written.append(name)
        except _Skipped as skipped:
            _skip(name, str(skipped))
        except OSError as error:
            _cannot_write(out / name, error)
            failed.append(name)
    if not pictures:
        _skip("training.png and the pictures", "training did not finish")
    return written, failed


class _Skipped(Exception):
    """An optional file that cannot be made here (a missing package, a non-finite model); says why."""


def _save_model(history: History, path: Path) -> None:
    """model.json; _Skipped when a parameter is not finite (JSON cannot hold it)."""
    try:
        history.model.save(path)
    except ValueError as error:
        raise _Skipped(str(error)) from None


def _cannot_write(path: Path, error: OSError) -> None:
    """Say, in one line, that a file could not be written and why."""
    print(f"micrograd44 train: error: cannot write {path}: {error.strerror or error}", file=sys.stderr)


# rows of history.csv formatted at a time: the file is written in pieces, never held whole
_CSV_ROWS_PER_PIECE = 10_000


def _write_history_csv(history: History, path: Path) -> None:
    """history.csv: one row per step; sample is 'all' for a full-batch step."""
    write_text_atomic(path, _history_csv_pieces(history))


def _history_csv_pieces(history: History) -> Iterator[str]:
    """The text of history.csv, a header then _CSV_ROWS_PER_PIECE rows at a time."""
    per_epoch = history.recipe.steps_per_epoch
    steps = len(history.step_losses)
    yield "epoch,step,sample,loss\n"
    for start in range(0, steps, _CSV_ROWS_PER_PIECE):
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        stop = min(start + _CSV_ROWS_PER_PIECE, steps)
        samples, losses = history.samples[start:stop], history.step_losses[start:stop]
        for step, sample, loss in zip(range(start, stop), samples, losses):
            writer.writerow([step // per_epoch, step, "all" if sample is None else sample, repr(loss)])
        yield text.getvalue()


# the most points training.png draws as a line; a longer series is drawn as a band
_MOST_POINTS_DRAWN = 20_000


def _draw_losses(axes, x, losses, label: str, linewidth: float, alpha: float) -> None:
    """A line through (x, loss); past _MOST_POINTS_DRAWN points, the band from each bucket's min to max.

    A band of 10,000 buckets looks the same at the picture's 960 pixels and keeps the
    memory of a million-step plot to a few megabytes.
    """
    if len(losses) <= _MOST_POINTS_DRAWN:
        axes.plot(x, losses, linewidth=linewidth, alpha=alpha, label=label)
        return
    buckets = _MOST_POINTS_DRAWN // 2
    starts = [bucket[0] for bucket in numpy.array_split(x, buckets)]
    parts = numpy.array_split(losses, buckets)
    lows, highs = [part.min() for part in parts], [part.max() for part in parts]
    axes.fill_between(starts, lows, highs, linewidth=0, alpha=alpha, label=f"{label} (range)")


def _write_plot(history: History, path: Path) -> None:
    """training.png with matplotlib's Agg canvas; _Skipped when matplotlib is missing."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise _Skipped(f"matplotlib is not installed ({error}); pip install 'micrograd44[plot]'") from None
    figure = Figure(figsize=(8, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    per_epoch = history.recipe.steps_per_epoch
    steps = numpy.arange(len(history.step_losses))
    _draw_losses(axes, steps, numpy.asarray(history.step_losses), "loss of each step", 0.5, 0.5)
    epoch_ends = steps[per_epoch - 1 :: per_epoch]
    _draw_losses(axes, epoch_ends, numpy.asarray(history.epoch_losses), "epoch mean", 0.8, 0.8)
    block = history.recipe.print_every
    block_ends = epoch_ends[block - 1 :: block]  # the last step of each complete block of epochs
    axes.plot(
        block_ends,
        block_means(history.epoch_losses, block),
        color="black",
        linewidth=1.5,
        label=f"mean over {block} epochs",
    )
    axes.set_yscale("log")
    axes.set_xlabel("step")
    axes.set_ylabel(f"{history.recipe.loss} loss")
    axes.set_title(f"Training on XOR: {history.model!r}")
    axes.legend()
    figure.savefig(path, dpi=120)


def _picture_step(history: History) -> tuple[list[int], str]:
    """The samples of the step drawn in the pictures, and a title saying what it is."""
    recipe = history.recipe
    if recipe.sampling == "full-batch":
        return list(range(len(INPUTS))), f"one full-batch step of the trained model: mean {recipe.loss} loss"
    x, target = INPUTS[PICTURE_SAMPLE], TARGETS[PICTURE_SAMPLE]
    where = f"input ({x[0]:g}, {x[1]:g}), target {target:g}"
    return [PICTURE_SAMPLE], f"one step of the trained model on {where}: {recipe.loss} loss"


def _viz_import_problem(error: ImportError) -> str:
    """Why viz cannot be imported, and what to do about it."""
    if error.name == "graphviz":
        return f"the graphviz Python package is not installed ({error}); pip install 'micrograd44[viz]'"
    return f"the viz package cannot be imported ({error}); reinstall micrograd44 (checkout: pip install -e .)"


def _draw_step_graph(viz, root, title: str):
    """The step's computation graph; one node per neuron call when every node would be too many."""
    try:
        return viz.draw_graph(root, title=title)
    except viz.GraphTooLargeError:
        return viz.draw_graph(root, collapse="neuron", title=f"{title} (one node per neuron call)")


def _picture_writers(history: History) -> dict[str, Callable[[Path], None]]:
    """name -> write(path) for network.svg, graph.svg and parameters.svg, drawn with the viz package.

    Each raises _Skipped when viz, graphviz or Graphviz's dot is missing, or the graph is too large.
    """
    names = ["network.svg", "graph.svg", "parameters.svg"]
    try:
        import viz
    except ImportError as error:
        reason = _viz_import_problem(error)
        return {name: functools.partial(_skipped, reason) for name in names}
    model = history.model
    indices, step = _picture_step(history)
    model.zero_grad()
    root = forward_backward(model, history.recipe, indices)
    drawings = {
        "network.svg": lambda: viz.draw_network(model, title=f"{model!r}, grads of {step}"),
        "graph.svg": lambda: _draw_step_graph(viz, root, f"{step} = {root.data:.4f}"),
        "parameters.svg": lambda: viz.draw_parameters(model, title=f"{model!r}, grads of {step}"),
    }

    def writer(draw: Callable) -> Callable[[Path], None]:
        def write(path: Path) -> None:
            try:
                viz.save(draw(), path)
            except (viz.DotNotFoundError, viz.GraphTooLargeError) as error:
                raise _Skipped(str(error)) from None

        return write

    return {name: writer(draw) for name, draw in drawings.items()}


def _skipped(reason: str, path: Path) -> NoReturn:
    """A writer that cannot write: raises _Skipped with the reason."""
    raise _Skipped(reason)


def _write_report(history: History, path: Path | None, *, quiet: bool) -> bool:
    """The --report page (when asked for), with its size; one line saying why when it cannot be written.

    Returns True when the page was written.
    """
    if path is None:
        return False
    try:
        import viz
    except ImportError as error:
        _skip(str(path), _viz_import_problem(error))
        return False
    if not history.snapshots:
        _skip(str(path), "no training step was completed, so there is nothing to replay")
        return False
    try:
        viz.training_report(history, path)
    except viz.DotNotFoundError as error:
        _skip(str(path), str(error))
        return False
    except OSError as error:
        _skip(str(path), f"cannot write it ({error.strerror or error})")
        return False
    if not quiet:
        size = path.stat().st_size / 1024
        print(f"Wrote {path} ({size:.0f} KB): the training replay, {len(history.snapshots)} snapshots")
    return True


def _report_files(written: list[str], out: Path, *, quiet: bool) -> None:
    """List the files written, with what each holds."""
    if quiet:
        return
    print(f"\nWrote to {out}/:")
    width = max(map(len, [*written, run_folder.MANIFEST]))
    for name in written:
        print(f"  {name:<{width}}  {FILES[name]}")
    print(f"  {run_folder.MANIFEST:<{width}}  the list of these files: the folder holds this run only")
