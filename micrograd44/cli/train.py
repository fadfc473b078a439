"""``micrograd44 train``: run the course recipe (or a variant), print the log and write its files.

The flow goes one way: the flags make a ``Recipe``; ``training.course.run`` trains it;
the History it returns (or that a stop carries) goes to the writers of ``outputs``.
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ..compiled import CompileError, CompilerUnavailable, check_compiler, compiler, set_compile_timeout
from ..nn import ACTIVATIONS, MLP
from ..training import History, TrainingDiverged, TrainingInterrupted
from ..training.course import (
    INPUTS,
    LEARNING_RATE_TRIES,
    TARGETS,
    Recipe,
    RecipeError,
    build_model,
    run,
    stable_learning_rate,
)
from ..training.signals import signal_of, stop_signals_handled
from . import outputs, pictures, run_folder
from .errors import CommandError, flag
from .outputs import FILES

# activation as typed on the command line -> as in the Recipe ("none": no activation)
ACTIVATION_NAMES = {name or "none": name for name in ACTIVATIONS}

# epochs between the snapshots of the --report page, unless --snapshot-every says otherwise
DEFAULT_SNAPSHOT_EVERY = 50


def register(subparsers) -> None:
    """Add the ``train`` sub-command: a flag per Recipe field, and where the files go."""
    parser = subparsers.add_parser(
        "train",
        help="train the 44-parameter XOR network of the course and write its files",
        description="Train an MLP on XOR. The defaults are the course's 44-parameter recipe, Recipe(); "
        "each recipe flag sets one of its fields.",
    )
    recipe = parser.add_argument_group("recipe")
    for field in dataclasses.fields(Recipe):
        recipe.add_argument(flag(field.name), **_flag_options(field))
    parser.add_argument(
        "--out",
        default="out/",
        metavar="DIR",
        help="folder for the files and pictures (default: %(default)s)",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the result and any problem")
    parser.add_argument(
        "--compile-timeout",
        type=_positive_seconds,
        metavar="SECONDS",
        help="seconds the C compiler may take before the compiled engine runs as Python "
        "(default: $MICROGRAD44_COMPILE_TIMEOUT, else 120)",
    )
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


def _flag_options(field: dataclasses.Field) -> dict:
    """How the flag of a Recipe field reads its value: its type or choices, default and help."""
    default, names = field.default, field.metadata["names"]
    options = {"default": default, "help": f"{field.metadata['meaning']} (default: %(default)s)"}
    if field.name == "hidden":
        help = f"{field.metadata['meaning']}: comma-separated, '' for none (default: %(default)s)"
        options.update(type=_hidden_sizes, default=",".join(map(str, default)), metavar="N,N", help=help)
    elif field.name == "activation":
        options["choices"] = list(ACTIVATION_NAMES)
    elif names is not None:
        options.update(choices=list(names), type=_engine if field.name == "engine" else str)
    else:
        options["type"] = int if field.type == "int" else float
    return options


def _number_type(convert: Callable[[str], float], accepts: Callable, expected: str) -> Callable:
    """An argparse type: the text converted, an argparse error naming what was ``expected`` otherwise."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not accepts(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


# '50' -> 50; '30' -> 30.0 seconds
_positive_int = _number_type(int, lambda n: n >= 1, "an integer >= 1")
_positive_seconds = _number_type(float, lambda s: 0 < s < float("inf"), "a number of seconds above 0")


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
        raise CommandError(f"{flag(error.field)} {error.rule}, got {error.value!r}") from None


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
    if args.compile_timeout is not None:
        set_compile_timeout(args.compile_timeout)
    with stop_signals_handled():
        try:
            return _train_and_write(args)
        except KeyboardInterrupt as stop:
            signum = signal_of(stop)
            print(f"\n{_stopped_by(signum)}.", file=sys.stderr)
            return 128 + signum


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
    except (CompileError, CompilerUnavailable) as error:  # the compiler's own lines, or why it could not run
        raise CommandError(f"the C engine could not build its loop: {error}") from None
    seconds = time.perf_counter() - started
    print(_describe_result(history, seconds, table=not args.quiet))
    complete = _write_outputs(history, out, report, finished=True, quiet=args.quiet)
    return 0 if complete else 1


def _write_outputs(
    history: History, out: run_folder.RunFolder, report: Path | None, *, finished: bool, quiet: bool
) -> bool:
    """Replace the earlier run in --out with this one's files, and write the replay page.

    Returns whether every file that should be there was written (a file that cannot be
    written is said in one line, and the others are still written).
    """
    report_inside = report is not None and _in_folder(report, out.path)
    out.begin([*FILES, *([report.name] if report_inside else [])])
    written, failed = outputs.write_files(history, out.path, finished=finished)
    if not quiet:
        outputs.list_files(written, out.path)
    replayed = pictures.write_report(history, report, quiet=quiet)
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
    _write_outputs(history, out, report, finished=False, quiet=False)
    return 128 + stop.signum


def _finish_diverged(error: TrainingDiverged, out: run_folder.RunFolder, report: Path | None) -> int:
    """Write the history up to the failing step (and its replay), print the error and an lr that trains."""
    _write_outputs(error.history, out, report, finished=False, quiet=True)
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
        lowest = recipe.lr / 10**LEARNING_RATE_TRIES
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
