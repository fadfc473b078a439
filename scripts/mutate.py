"""Mutation testing of the core modules with Cosmic Ray; writes the summary to docs/mutation.md.

Each module is mutated in a copy of the repository's tracked files (Cosmic Ray edits the
module on disk, one mutant at a time), and each mutant runs only the tests of that module's
layer (TESTS below), stopping at the first failure. The tests run in a pytest forked from a
warm server (scripts/warm_tests.py, started and stopped around each module's run) that has
imported torch, numpy, hypothesis and pytest once; each fork imports micrograd44 from disk,
mutated. Measured on 30 mutants of optim.py: 1.42 s per mutant against 4.45 s for a fresh
pytest each, with the same verdicts (scripts/mutate_warm_vs_cold.py). Run it through
`make mutate`:

    make mutate                                  # every module of TESTS
    make mutate MODULES=micrograd44/core/ops.py  # some of them
    make mutate TIME_BOX=1800                    # stop each module's run after 30 minutes
    make mutate MUTATE_FLAGS='--jobs 2'          # two modules at once, one per core

A module whose run stops at the time box is reported with the mutants it reached; its
session file (under out/mutation/) resumes where it stopped on the next run, as long as
the module and its tests are unchanged (otherwise the module starts afresh). After adding
tests, `--retest-survivors` runs only the survivors again (a killed mutant stays killed
when tests are only added); that is how a before/after score is measured cheaply.
Surviving mutants judged equivalent (they cannot change a result) are listed, each with
the reason, in scripts/equivalent-mutants.toml; the score leaves them out.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import contextlib
import datetime
import hashlib
import json
import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from warm_tests import NO_SERVER

try:
    from tomllib import loads as toml_loads
except ImportError:  # Python 3.10: the toml package, which Cosmic Ray depends on
    from toml import loads as toml_loads


ROOT = Path(__file__).resolve().parent.parent
SESSIONS = ROOT / "out" / "mutation"
SUMMARY = ROOT / "docs" / "mutation.md"
EQUIVALENTS = ROOT / "scripts" / "equivalent-mutants.toml"
# what follows this line in docs/mutation.md is written by hand and kept by every run
NOTES_MARKER = "<!-- notes below are kept by scripts/mutate.py -->"

# The tests run against each module's mutants: the tests of the layer the module belongs
# to, the fastest killers first (pytest stops at the first failure).
TESTS = {
    "micrograd44/core/ops.py": [
        "tests/core/test_vocabularies_compute_what_they_name.py",
        "tests/core/test_power_rule_names.py",
        "tests/core/test_single_op_behaviour.py",
        "tests/core/test_op_errors_name_the_node.py",
        "tests/core/test_op_domain_boundaries.py",
        "tests/core/test_op_forwards_against_pytorch_functions.py",
        "tests/core/test_engine_under_hostile_input.py",
        "tests/core/test_backward_graph_and_accumulation.py",
        "tests/core/test_op_table_against_every_consumer.py",
        "tests/autodiff/test_forward_mode_at_infinite_slopes.py",
        "tests/compiled/test_c_helpers_equal_the_engines.py",
        "tests/compiled/test_c_constants_and_finiteness_checks.py",
    ],
    "micrograd44/core/value.py": [
        "tests/core/test_gradient_graphs_pass_slopes_of_one_through.py",
        "tests/core/test_vocabularies_compute_what_they_name.py",
        "tests/core/test_reflected_operators.py",
        "tests/core/test_backward_with_create_graph.py",
        "tests/core/test_results_beyond_the_float_range.py",
        "tests/core/test_apply_op_by_rule.py",
        "tests/core/test_single_op_behaviour.py",
        "tests/core/test_op_errors_name_the_node.py",
        "tests/core/test_engine_under_hostile_input.py",
        "tests/core/test_backward_graph_and_accumulation.py",
        "tests/core/test_deep_graphs_and_existing_gradients.py",
        "tests/core/test_op_table_against_every_consumer.py",
    ],
    "micrograd44/core/graph.py": [
        "tests/core/test_graph_order_on_fixed_graphs.py",
        "tests/core/test_backward_graph_and_accumulation.py",
        "tests/core/test_deep_graphs_and_existing_gradients.py",
    ],
    "micrograd44/autodiff.py": [
        "tests/autodiff/test_derivative_functions_refuse_bad_arguments.py",
        "tests/autodiff/test_forward_mode_at_infinite_slopes.py",
        "tests/autodiff/test_explain_grad.py",
        "tests/autodiff/test_higher_order_against_pytorch.py",
    ],
    "micrograd44/optim.py": [
        "tests/nn/test_optimizers_against_torch.py",
        "tests/nn/test_optimizer_branches_against_torch.py",
    ],
    "micrograd44/codegen/lowering.py": [
        "tests/compiled/test_layers_fused_only_over_inputs.py",
        "tests/compiled/test_layers_group_linear_nodes_only.py",
        "tests/compiled/test_printability_of_rules.py",
        "tests/compiled/test_slopes_under_an_infinite_upstream.py",
        "tests/compiled/test_zero_signs_on_every_engine.py",
        "tests/compiled/test_fan_in_order_on_every_engine.py",
        "tests/compiled/test_python_replay_equals_eager.py",
        "tests/compiled/test_wide_models_equal_eager.py",
    ],
    "micrograd44/codegen/loops.py": [
        "tests/compiled/test_loop_layers_of_any_width.py",
        "tests/compiled/test_loop_neurons_chosen_by_kind_weights_and_inputs.py",
        "tests/compiled/test_layers_of_many_neurons_equal_eager.py",
        "tests/compiled/test_backward_into_preset_grads_equals_eager.py",
        "tests/compiled/test_c_loops_stay_inside_their_arrays.py",
    ],
    # one library of the printed pieces first; not test_c_backend.py (about 90 C programs, 12 s
    # or more per mutant, each of which changes the printed code), which kills none of the rest
    "micrograd44/codegen/c.py": [
        "tests/compiled/test_c_printer_pieces_compute_exact_values.py",
        "tests/compiled/test_c_helpers_equal_the_engines.py",
        "tests/compiled/test_c_constants_and_finiteness_checks.py",
        "tests/compiled/test_slopes_under_an_infinite_upstream.py",
        "tests/compiled/test_zero_signs_on_every_engine.py",
        "tests/compiled/test_fan_in_order_on_every_engine.py",
    ],
    "micrograd44/codegen/numpy_layers.py": [
        "tests/compiled/test_numpy_layers_keep_the_engines_order.py",
        "tests/compiled/test_layers_of_many_neurons_equal_eager.py",
        "tests/compiled/test_loop_layers_of_any_width.py",
        "tests/compiled/test_backward_into_preset_grads_equals_eager.py",
    ],
    # the code printers: their own tests first (they run in about a second), then the engines
    # (not test_c_backend.py: it compiles about 90 C programs, 12 s or more per mutant that
    # changes the printed code, and kills no mutant that these do not)
    "micrograd44/codegen/expr.py": [
        "tests/compiled/test_printed_expressions_evaluate_as_their_trees.py",
        "tests/compiled/test_deep_trees_cut_at_the_deepest_printable_node.py",
        "tests/compiled/test_python_printer_literals_guards_and_define.py",
        "tests/compiled/test_numpy_printer_and_array_functions.py",
        "tests/compiled/test_fan_in_order_on_every_engine.py",
        "tests/compiled/test_zero_signs_on_every_engine.py",
        "tests/compiled/test_python_replay_equals_eager.py",
    ],
    "micrograd44/codegen/statements.py": [
        "tests/compiled/test_shared_values_assigned_once_in_order.py",
        "tests/compiled/test_python_printer_literals_guards_and_define.py",
        "tests/compiled/test_fan_in_order_on_every_engine.py",
        "tests/compiled/test_python_replay_equals_eager.py",
        "tests/compiled/test_c_backend.py",
    ],
    "micrograd44/codegen/python.py": [
        "tests/compiled/test_python_printer_literals_guards_and_define.py",
        "tests/compiled/test_printed_expressions_evaluate_as_their_trees.py",
        "tests/compiled/test_shared_values_assigned_once_in_order.py",
        "tests/compiled/test_fan_in_order_on_every_engine.py",
        "tests/compiled/test_zero_signs_on_every_engine.py",
        "tests/compiled/test_python_replay_equals_eager.py",
    ],
    "micrograd44/codegen/arrays.py": [
        "tests/compiled/test_numpy_printer_and_array_functions.py",
        "tests/compiled/test_printed_expressions_evaluate_as_their_trees.py",
        "tests/compiled/test_python_replay_equals_eager.py",
        "tests/compiled/test_wide_models_equal_eager.py",
    ],
    # the schedule and on_log of the first file raise at an epoch out of order, so a mutant that
    # loops without taking an epoch fails at once rather than at its time limit; left out:
    # test_course_recipe.py (8 s, it runs the command line: the course is a preset over this loop)
    "micrograd44/training/loop.py": [
        "tests/training/test_epochs_are_taken_once_in_order.py",
        "tests/training/test_trainer_steps_logs_and_snapshots.py",
        "tests/training/test_learning_rate_search_retries.py",
        "tests/training/test_trainer_logs_snapshots_and_stops.py",
        "tests/training/test_general_trainer.py",
        "tests/training/test_compiled_snapshots_equal_eager.py",
        "tests/training/test_each_engine_builds_its_own_loop.py",
        "tests/training/test_compiled_stop_that_eager_completes_is_an_error.py",
        "tests/training/test_trainer_reuses_traces.py",
        "tests/training/test_compiled_trainer_on_samples_the_model_cannot_compute.py",
    ],
    "micrograd44/training/step_program.py": [
        "tests/training/test_trainer_reuses_traces.py",
        "tests/training/test_compiled_trainer_on_samples_the_model_cannot_compute.py",
        "tests/training/test_each_engine_builds_its_own_loop.py",
        "tests/training/test_general_trainer.py",
    ],
    "micrograd44/training/draws.py": [
        "tests/training/test_steps_of_each_sampling.py",
        "tests/training/test_chunked_draws_read_ahead_and_bulk.py",
        "tests/training/test_bulk_sample_draws.py",
    ],
    "micrograd44/files.py": [
        "tests/nn/test_atomic_writes_and_bounded_reads.py",
        "tests/nn/test_model_files.py",
        "tests/nn/test_model_files_under_hostile_conditions.py",
        "tests/training/test_history.py",
    ],
    "micrograd44/sweep/results.py": [
        "tests/sweep/test_results_file_in_new_folders.py",
        "tests/sweep/test_results_file_rows_and_resume.py",
        "tests/sweep/test_grids_results_and_summaries.py",
        "tests/sweep/test_sweep_hostile_inputs.py",
    ],
    "micrograd44/sweep/runner.py": [
        "tests/sweep/test_sweep_resume_and_batches.py",
        "tests/sweep/test_grids_results_and_summaries.py",
    ],
}

# Operators left out: they turn float arithmetic into a TypeError (float & float, float << n,
# ~float), which every test that runs the line reports; the time goes to mutants that can hide.
EXCLUDED_OPERATORS = [
    r"core/ReplaceBinaryOperator_\w+_(BitAnd|BitOr|BitXor|LShift|RShift)$",
    r"core/ReplaceUnaryOperator_\w+_Invert$",
]

# One mutant's test run may take this many times the tests' time on the unmutated module, and
# at least MIN_TIMEOUT seconds; a mutant that takes longer (a loop that never ends) counts as killed.
# the output recorded for a mutant left out because it lies in an annotation (annotation_spans)
ANNOTATION_SKIPPED = "Filtered: inside an annotation, which is never evaluated"
TIMEOUT_FACTOR = 10
MIN_TIMEOUT = 20.0


@dataclass
class Score:
    """The outcome counts of one module's run."""

    module: str
    last_run: str = ""
    mutants: int = 0
    killed: int = 0
    survived: int = 0
    timed_out: int = 0
    not_run: int = 0
    current: bool = True  # the session mutated the module as it is now (it has not changed since)
    seconds_each: float | None = None  # measured wall time per mutant with today's tests (None: not yet)
    equivalent: list[dict] = field(default_factory=list)
    survivors: list[dict] = field(default_factory=list)

    @property
    def score(self) -> float | None:
        """Killed over the mutants that ran, equivalent ones left out (None before any ran)."""
        counted = self.killed + self.survived - len(self.equivalent)
        return None if counted <= 0 else self.killed / counted


def tracked_copy(destination: Path) -> None:
    """Copy the files git knows or would add (the working tree's versions) into destination."""
    names = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    for name in filter(None, names):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def test_command(module: str, socket_path: str | None, timeout: float) -> str:
    """The command Cosmic Ray runs per mutant: the module's tests, in the warm server or a fresh pytest."""
    tests = " ".join(TESTS[module])
    pytest_args = f"-x -q -p no:cacheprovider {tests}"
    if socket_path is None:
        return f"{sys.executable} -m pytest {pytest_args}"
    # -I -S: the client needs only the standard library. Cosmic Ray's timeout kills the client
    # (the server then kills the tests); the server's own timeout is a second guard
    return (
        f"{sys.executable} -I -S {ROOT / 'scripts' / 'warm_tests.py'} run {socket_path} "
        f"--timeout {timeout + 10:.0f} {pytest_args}"
    )


def config_text(module: str, socket_path: str | None, timeout: float) -> str:
    """The Cosmic Ray configuration for one module: its test command, the timeout, the filters."""
    excluded = ", ".join(json.dumps(pattern) for pattern in EXCLUDED_OPERATORS)
    return (
        "[cosmic-ray]\n"
        f'module-path = "{module}"\n'
        f"timeout = {timeout:.0f}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(test_command(module, socket_path, timeout))}\n"
        "[cosmic-ray.distributor]\n"
        'name = "local"\n'
        "[cosmic-ray.filters.operators-filter]\n"
        f"exclude-operators = [{excluded}]\n"
    )


def prime_bytecode(copy: Path, module: str, env: dict) -> None:
    """Compile the copy's modules and rewrite its tests once, so no mutant's run compiles them again.

    Cosmic Ray's runs write no bytecode (PYTHONDONTWRITEBYTECODE); the mutated module's own
    bytecode is removed, so every run compiles that module from its source on disk.
    """
    subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *TESTS[module]],
        cwd=copy,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    mutated = copy / module
    for compiled in (mutated.parent / "__pycache__").glob(f"{mutated.stem}.*.pyc"):
        compiled.unlink()


@contextlib.contextmanager
def warm_server(copy: Path, env: dict):
    """A warm test server (scripts/warm_tests.py) for the copy during the with-block; its socket's path."""
    folder = Path(tempfile.mkdtemp(prefix="mutate-"))  # short: a Unix socket's path has ~100 bytes
    path = folder / "tests.sock"
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "warm_tests.py"), "serve", str(path)],
        cwd=copy,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        if server.stdout.readline().strip() != "ready":
            raise SystemExit(f"the warm test server did not start (exit code {server.wait()})")
        yield str(path)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)


def tool(name: str) -> str:
    """A Cosmic Ray command of this Python's environment."""
    return str(Path(sys.executable).parent / name)


def fingerprint(paths: list[str]) -> str:
    """A hash of the files' contents."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update((ROOT / path).read_bytes())
    return digest.hexdigest()


def record_pace(pace: Path, tests_print: str, mutants: int, seconds: float) -> None:
    """Add a run's mutants and wall seconds (set-up included) to the module's pace file, for its tests."""
    old = json.loads(pace.read_text()) if pace.exists() else {}
    if old.get("tests") != tests_print:
        old = {"tests": tests_print, "mutants": 0, "seconds": 0.0}
    old["mutants"] += mutants
    old["seconds"] += seconds
    pace.write_text(json.dumps(old) + "\n")


def run_module(module: str, time_box: float, retest_survivors: bool, cold: bool = False) -> None:
    """Mutate one module in a copy of the repository, resuming its session if it is still valid."""
    began = time.monotonic()
    slug = module.replace("/", ".")
    copy = SESSIONS / f"{slug}.tree"
    session = SESSIONS / f"{slug}.sqlite"
    config = SESSIONS / f"{slug}.toml"
    stamp = SESSIONS / f"{slug}.fingerprint"
    pace = SESSIONS / f"{slug}.pace.json"
    module_print, tests_print = fingerprint([module]), fingerprint(TESTS[module])
    if session.exists():
        old = stamp.read_text().split() if stamp.exists() else ["", ""]
        if old[0] != module_print or (old[1] != tests_print and not retest_survivors):
            session.unlink()
            pace.unlink(missing_ok=True)
    if copy.exists():
        shutil.rmtree(copy)
    tracked_copy(copy)
    env = {**os.environ, "PYTHONPATH": str(copy)}
    run = dict(cwd=copy, env=env, check=True)
    survivors = SESSIONS / f"{slug}.survivors.sqlite"
    try:
        prime_bytecode(copy, module, env)
        with contextlib.nullcontext() if cold else warm_server(copy, env) as socket_path:
            config.write_text(config_text(module, socket_path, time_limit(module, socket_path, run)))
            if not session.exists():
                subprocess.run([tool("cosmic-ray"), "init", str(config), str(session)], **run)
                subprocess.run([tool("cr-filter-operators"), str(session), str(config)], **run)
            skip_annotation_mutants(session, module)  # also in sessions made before this filter
            stamp.write_text(f"{module_print} {tests_print}\n")
            target = session
            if retest_survivors:
                retest = survivors_only(session, survivors)
                target = survivors
            pending = count_pending(target)
            started = time.monotonic()
            try:
                command = [tool("cosmic-ray"), "exec", str(config), str(target)]
                subprocess.run(command, timeout=time_box, **run)
            except subprocess.TimeoutExpired:
                print(f"{module}: stopped at the time box of {time_box:.0f} s; the next run resumes it")
            forget_runs_without_server(target)
            ran = pending - count_pending(target)
            seconds = time.monotonic() - started
            if ran:
                print(f"{module}: {ran} mutants in {seconds:.0f} s, {seconds / ran:.2f} s each")
            if retest_survivors:
                merge_results(survivors, session, retest)
            elif ran:
                record_pace(pace, tests_print, ran, time.monotonic() - began)
    finally:
        # a run stopped mid-mutant leaves that mutant in the copy; the copy is made afresh each run
        shutil.rmtree(copy, ignore_errors=True)
        survivors.unlink(missing_ok=True)


def time_limit(module: str, socket_path: str | None, run: dict) -> float:
    """A mutant's time limit, from one run of the module's tests on the unmutated copy (which must pass)."""
    started = time.monotonic()
    try:
        command = shlex.split(test_command(module, socket_path, 600.0))
        subprocess.run(command, stdout=subprocess.DEVNULL, **run)
    except subprocess.CalledProcessError:
        raise SystemExit(f"{module}: its tests fail on the unmutated module; fix them first") from None
    return max(MIN_TIMEOUT, TIMEOUT_FACTOR * (time.monotonic() - started))


def forget_runs_without_server(session: Path) -> None:
    """Drop the results of the mutants whose tests the warm server did not run: they run again."""
    with contextlib.closing(sqlite3.connect(session)) as db, db:
        dropped = db.execute("DELETE FROM work_results WHERE output LIKE ?", (f"%{NO_SERVER}%",)).rowcount
    if dropped:
        print(f"{session.name}: {dropped} mutants lost the warm server; the next run runs them again")


def annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The (start, end) positions of the annotations of a module that imports annotations from __future__.

    Those annotations stay strings that nothing here evaluates (no get_type_hints in the
    package), so a mutant inside one changes no behaviour. Other modules: none.
    """
    tree = ast.parse(source)
    postponed = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(alias.name == "annotations" for alias in node.names)
        for node in tree.body
    )
    if not postponed:
        return []
    notes = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            notes.append(node.returns)
        elif isinstance(node, (ast.arg, ast.AnnAssign)):
            notes.append(node.annotation)
    return [((n.lineno, n.col_offset), (n.end_lineno, n.end_col_offset)) for n in notes if n is not None]


def skip_annotation_mutants(session: Path, module: str) -> None:
    """Mark the session's mutants inside annotations as skipped (see annotation_spans), like a filter."""
    spans = annotation_spans((ROOT / module).read_text())
    with contextlib.closing(sqlite3.connect(session)) as db, db:
        rows = db.execute("SELECT job_id, start_pos_row, start_pos_col FROM mutation_specs").fetchall()
        inside = [job for job, row, col in rows if any(start <= (row, col) < end for start, end in spans)]
        db.executemany(
            "INSERT OR REPLACE INTO work_results (job_id, worker_outcome, output) VALUES (?, 'SKIPPED', ?)",
            [(job, ANNOTATION_SKIPPED) for job in inside],
        )


def count_pending(session: Path) -> int:
    """The session's mutants without a result yet."""
    with contextlib.closing(sqlite3.connect(session)) as db:
        return db.execute(
            "SELECT COUNT(*) FROM work_items WHERE job_id NOT IN (SELECT job_id FROM work_results)"
        ).fetchone()[0]


def survivors_only(session: Path, survivors: Path) -> list[str]:
    """A copy of the session holding only its surviving mutants, not yet run; their job ids."""
    shutil.copyfile(session, survivors)
    with sqlite3.connect(survivors) as db:
        jobs = [
            row[0] for row in db.execute("SELECT job_id FROM work_results WHERE test_outcome = 'SURVIVED'")
        ]
        db.execute("CREATE TEMP TABLE keep (job_id VARCHAR PRIMARY KEY)")
        db.executemany("INSERT INTO keep VALUES (?)", [(job,) for job in jobs])
        db.execute("DELETE FROM work_results")
        db.execute("DELETE FROM mutation_specs WHERE job_id NOT IN (SELECT job_id FROM keep)")
        db.execute("DELETE FROM work_items WHERE job_id NOT IN (SELECT job_id FROM keep)")
    return jobs


def merge_results(survivors: Path, session: Path, jobs: list[str]) -> None:
    """Copy the retested survivors' results back into the session."""
    with sqlite3.connect(session) as db:
        db.execute("ATTACH DATABASE ? AS retest", (str(survivors),))
        rows = db.execute("SELECT * FROM retest.work_results").fetchall()
        columns = [row[1] for row in db.execute("PRAGMA retest.table_info(work_results)")]
        marks = ", ".join("?" * len(columns))
        db.executemany(f"INSERT OR REPLACE INTO work_results ({', '.join(columns)}) VALUES ({marks})", rows)
    print(f"retested {len(rows)} of {len(jobs)} survivors")


def equivalents() -> list[dict]:
    """The surviving mutants judged equivalent: module, line, operator, source and why."""
    if not EQUIVALENTS.exists():
        return []
    return toml_loads(EQUIVALENTS.read_text())["mutant"]


def mutated_line(diff: str) -> str:
    """The mutated line of a one-line mutant's diff, stripped ("" if there is none)."""
    lines = diff.splitlines()
    added = [line[1:].strip() for line in lines if line.startswith("+") and not line.startswith("+++")]
    return added[0] if added else ""


def matches(entry: dict, survivor: dict) -> bool:
    """Whether an equivalent-mutants entry names this survivor: its operator and source line, and
    its mutated line where the entry gives one (``mutated``, for a line with several mutants)."""
    return (
        entry["operator"] == survivor["operator"]
        and entry["source"] == survivor["source"]
        and entry.get("mutated", survivor["mutated"]) == survivor["mutated"]
    )


def score(module: str) -> Score:
    """The counts of one module's session (cosmic-ray dump: one JSON pair per mutant)."""
    slug = module.replace("/", ".")
    dump = subprocess.run(
        [tool("cosmic-ray"), "dump", str(SESSIONS / f"{slug}.sqlite")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    source = (ROOT / module).read_text().splitlines()
    judged = [entry for entry in equivalents() if entry["module"] == module]
    changed = (SESSIONS / f"{slug}.sqlite").stat().st_mtime
    modified = datetime.datetime.fromtimestamp(changed, datetime.timezone.utc)
    stamp = SESSIONS / f"{slug}.fingerprint"
    measured = stamp.read_text().split()[0] if stamp.exists() else ""
    result = Score(module, modified.strftime("%Y-%m-%d %H:%M"), current=measured == fingerprint([module]))
    pace_file = SESSIONS / f"{slug}.pace.json"
    pace = json.loads(pace_file.read_text()) if pace_file.exists() else {}
    if pace.get("tests") == fingerprint(TESTS[module]) and pace.get("mutants"):
        result.seconds_each = pace["seconds"] / pace["mutants"]
    for line in dump.splitlines():
        item, outcome = json.loads(line)
        if outcome is not None and outcome["worker_outcome"] == "skipped":
            continue
        result.mutants += 1
        if outcome is None:
            result.not_run += 1
            continue
        if outcome["test_outcome"] == "survived":
            result.survived += 1
            mutation = item["mutations"][0]
            row = mutation["start_pos"][0]
            survivor = {
                "line": row,
                "operator": mutation["operator_name"],
                "occurrence": mutation["occurrence"],
                "source": source[row - 1].strip(),
                "mutated": mutated_line(outcome.get("diff") or ""),
            }
            match = next((entry for entry in judged if matches(entry, survivor)), None)
            if match is None:
                result.survivors.append(survivor)
            else:
                result.equivalent.append({**survivor, "why": match["why"]})
        else:
            result.killed += 1
            if outcome["output"] == "timeout":
                result.timed_out += 1
    return result


def whole_run_estimate(scores: list[Score]) -> str:
    """How long every module's mutants take from a fresh clone at their measured paces, one and two jobs."""
    unmeasured = [s.module for s in scores if s.seconds_each is None]
    if unmeasured:
        return f"No estimate of a whole run yet: no pace measured for {', '.join(unmeasured)}."
    totals = sorted((s.mutants * s.seconds_each for s in scores), reverse=True)
    jobs = [0.0, 0.0]
    for total in totals:  # each module to the job that is free first, the longest modules first
        jobs[jobs.index(min(jobs))] += total
    return (
        f"A whole run from a fresh clone, every module's {sum(s.mutants for s in scores)} mutants at "
        f"the paces measured: {sum(totals) / 60:.0f} min as one job, {max(jobs) / 60:.0f} min as "
        "`make mutate MUTATE_FLAGS='--jobs 2'` (two modules at once, one per core)."
    )


def summary(scores: list[Score], command: str, notes: str) -> str:
    """docs/mutation.md: the table of scores, the equivalent mutants, the survivors, then the notes."""
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Mutation testing",
        "",
        f"Written {today} by `{command}` (scripts/mutate.py says how it works), from every",
        "module's Cosmic Ray session under out/mutation/; `last run` is when its session last changed.",
        "Score: killed / (killed + survived - equivalent), over the mutants that ran. Cosmic Ray",
        "runs the mutants in a random order, so a run stopped by the time box measures a random",
        "sample of them; `not run` counts the rest. Timed-out mutants count as killed (and are also",
        "counted in their own column). Left out: the operators that turn float arithmetic into a",
        "TypeError (`&`, `|`, `^`, `<<`, `>>`, `~` in place of arithmetic), which any test running",
        "the line reports, and mutants inside annotations, which `from __future__ import annotations`",
        "keeps as strings that nothing evaluates. `module now`: `same` when the module is still the",
        "one its session mutated, `changed` when it was edited since (the score is then that of the",
        "earlier version, and the next run of the module starts afresh).",
        "",
        "`s/mutant`: the wall time per mutant of the module's runs with today's test list, set-up",
        "included (- before one).",
        "",
        "| module | mutants | killed | survived | timed out | equivalent | not run | score | last run "
        "| module now | s/mutant |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in scores:
        shown = "-" if s.score is None else f"{100 * s.score:.1f}%"
        pace = "-" if s.seconds_each is None else f"{s.seconds_each:.2f}"
        lines.append(
            f"| {s.module} | {s.mutants} | {s.killed} | {s.survived} | {s.timed_out} "
            f"| {len(s.equivalent)} | {s.not_run} | {shown} | {s.last_run} "
            f"| {'same' if s.current else 'changed'} | {pace} |"
        )
    lines += ["", whole_run_estimate(scores)]
    for s in scores:
        if s.equivalent:
            lines += ["", f"## Equivalent survivors in {s.module}", ""]
            lines += [f"- line {e['line']}, {e['operator']}: {e['why']}" for e in s.equivalent]
        if s.survivors:
            lines += ["", f"## Surviving mutants in {s.module} (tests to write)", ""]
            lines += [f"- line {e['line']}, {e['operator']}: `{e['source']}`" for e in s.survivors]
    lines += ["", "## Tests run per mutant", ""]
    lines += [f"- {s.module}: " + ", ".join(f"`{test}`" for test in TESTS[s.module]) for s in scores]
    return "\n".join(lines) + "\n\n" + NOTES_MARKER + notes


def mutate_flags(args: argparse.Namespace) -> list[str]:
    """The options of a run that `make mutate` passes through MUTATE_FLAGS."""
    return [
        *(["--retest-survivors"] if args.retest_survivors else []),
        *(["--cold"] if args.cold else []),
        *([f"--jobs {args.jobs}"] if args.jobs != 1 else []),
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the modules asked for (every module of TESTS by default) and write docs/mutation.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="module paths (default: every module of TESTS)")
    parser.add_argument("--time-box", type=float, default=3600.0, help="seconds per module")
    parser.add_argument(
        "--retest-survivors", action="store_true", help="run the survivors again (tests added)"
    )
    parser.add_argument("--report-only", action="store_true", help="only rewrite docs/mutation.md")
    parser.add_argument(
        "--cold", action="store_true", help="a fresh pytest per mutant instead of the warm server (slower)"
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="modules mutated at once, each with its own server (default 1)"
    )
    args = parser.parse_args(argv)
    unknown = [m for m in args.modules if m not in TESTS]
    if unknown:
        parser.error(f"no tests listed for {', '.join(unknown)} (scripts/mutate.py, TESTS)")
    modules = args.modules or list(TESTS)
    SESSIONS.mkdir(parents=True, exist_ok=True)
    # stopped with kill: the servers and copies are cleaned up as after Ctrl-C
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if not args.report_only:
        if args.jobs <= 1:
            for module in modules:
                run_module(module, args.time_box, args.retest_survivors, args.cold)
        else:  # Ctrl-C stops them all: it reaches every process of the terminal's group
            with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
                runs = [
                    pool.submit(run_module, module, args.time_box, args.retest_survivors, args.cold)
                    for module in modules
                ]
                for finished in runs:
                    finished.result()
    measured = [m for m in TESTS if (SESSIONS / f"{m.replace('/', '.')}.sqlite").exists()]
    scores = [score(m) for m in measured]
    command = " ".join(
        [
            "make mutate",
            *([f"MODULES='{' '.join(args.modules)}'"] if args.modules else []),
            *([f"TIME_BOX={args.time_box:g}"] if args.time_box != 3600.0 else []),
            *([f"MUTATE_FLAGS='{' '.join(flags)}'"] if (flags := mutate_flags(args)) else []),
        ]
    )
    if args.report_only:  # the sessions' results, from the runs that made them
        command = "python scripts/mutate.py --report-only"
    old = SUMMARY.read_text() if SUMMARY.exists() else ""
    notes = old.split(NOTES_MARKER, 1)[1] if NOTES_MARKER in old else "\n"
    SUMMARY.write_text(summary(scores, command, notes))
    for s in scores:
        shown = "-" if s.score is None else f"{100 * s.score:.1f}%"
        print(f"{s.module}: {s.killed} killed, {s.survived} survived, {s.not_run} not run, score {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
