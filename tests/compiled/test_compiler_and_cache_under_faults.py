"""The C toolchain under faults: a compiler that hangs, lies or cannot be read; a full, foreign or bad cache.

Each fault ends in a library that works or in one line saying why the compiled engine runs
as Python (or why --engine c cannot run), never in a traceback, a hang, a crash or a file
left behind. Processes that could crash or hang run in a subprocess.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_runs import run_train
from compilers import gone, needs_compiler, running, slow_compiler

from micrograd44.compiled import loop as compiled_loop
from micrograd44.compiled import toolchain
from micrograd44.training.course import Recipe, run

SOURCE = "double mg_twice(double x) { return 2.0 * x; }\n"
BUILD = "import sys; from micrograd44.compiled import toolchain; print(toolchain.build(sys.argv[1]).mg_twice)"
TRAIN = "from micrograd44.training.course import Recipe, run; run(Recipe(epochs=2, engine='compiled'))"


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    """An empty cache folder of its own (XDG_CACHE_HOME), no loop built yet, no line printed yet."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(compiled_loop, "_loops", {})
    monkeypatch.setattr(toolchain, "_announced", [])
    monkeypatch.setattr(toolchain, "_probed", {})
    return tmp_path / "cache" / "micrograd44"


def python(code: str, *args: str, shell_prefix: str = "", **options) -> subprocess.CompletedProcess:
    """Run Python code in a new process (after a shell command such as `ulimit -f 8`, when given)."""
    command = [sys.executable, "-c", code, *args]
    if shell_prefix:
        command = ["bash", "-c", f'{shell_prefix}; exec "$@"', "bash", *command]
    return subprocess.run(command, capture_output=True, text=True, **options)


def hidden_files(folder: Path) -> list[str]:
    """The names of the temporary (hidden) files in the folder."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# ---- the compiler under a time limit ----


@needs_compiler
def test_a_compiler_past_the_limit_is_killed_with_its_cc1_remembered(private_cache, tmp_path, monkeypatch):
    cc, cc1 = slow_compiler(tmp_path)
    monkeypatch.setenv("CC", cc)
    monkeypatch.setenv("MICROGRAD44_COMPILE_TIMEOUT", "1")
    with pytest.raises(toolchain.CompileTimeout, match="compiling took longer than 1 s"):
        toolchain.build(SOURCE)
    assert gone(cc1)  # the compiler's cc1 went with it
    assert hidden_files(private_cache) == []
    assert [p.suffix for p in private_cache.glob("*.timeout")] == [".timeout"]

    def no_compiling(*args):
        raise AssertionError("the compiler was run again")

    with monkeypatch.context() as patched:
        patched.setattr(toolchain, "_run_compiler", no_compiling)
        with pytest.raises(toolchain.CompileTimeout, match="longer than 1 s in an earlier run"):
            toolchain.build(SOURCE)
    monkeypatch.setenv("MICROGRAD44_COMPILE_TIMEOUT", "2")  # a longer limit tries again
    with pytest.raises(toolchain.CompileTimeout, match="compiling took longer than 2 s"):
        toolchain.build(SOURCE)
    assert gone(cc1)


@needs_compiler
def test_the_command_line_flag_sets_the_limit_and_says_so_in_one_line(tmp_path):
    cc, cc1 = slow_compiler(tmp_path)
    environment = {**os.environ, "CC": cc, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    arguments = ["--engine", "compiled", "--compile-timeout", "1", "--epochs", "2", "--quiet"]
    result = subprocess.run(
        [sys.executable, "-m", "micrograd44", "train", *arguments, "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=environment,
    )
    assert result.returncode == 0, result.stderr
    said = "micrograd44: compiling took longer than 1 s; using the Python engine"
    assert result.stderr.splitlines() == [said]
    assert gone(cc1)


@needs_compiler
def test_the_c_engine_past_the_limit_is_a_one_line_error(tmp_path):
    cc, cc1 = slow_compiler(tmp_path)
    environment = {
        **os.environ,
        "CC": cc,
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "MICROGRAD44_COMPILE_TIMEOUT": "1",
    }
    arguments = ["train", "--engine", "c", "--epochs", "2", "--quiet", "--out", str(tmp_path / "out")]
    command = [sys.executable, "-m", "micrograd44", *arguments]
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "the C engine could not build its loop: compiling took longer than 1 s" in line
    assert gone(cc1)


@needs_compiler
def test_a_build_under_a_longer_limit_forgets_the_timeout(private_cache, monkeypatch):
    real = toolchain._run_compiler

    def too_slow(command, source, output, limit, level):
        raise toolchain.CompileTimeout(f"compiling took longer than {limit:g} s")

    monkeypatch.setenv("MICROGRAD44_COMPILE_TIMEOUT", "1")
    monkeypatch.setattr(toolchain, "_run_compiler", too_slow)
    with pytest.raises(toolchain.CompileTimeout):
        toolchain.build(SOURCE)
    assert len(list(private_cache.glob("*.timeout"))) == 1
    monkeypatch.setattr(toolchain, "_run_compiler", real)
    monkeypatch.setenv("MICROGRAD44_COMPILE_TIMEOUT", "60")
    toolchain.build(SOURCE)
    assert list(private_cache.glob("*.timeout")) == []


def test_a_time_limit_that_is_not_a_number_is_one_line(private_cache, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("MICROGRAD44_COMPILE_TIMEOUT", "soon")
    with pytest.raises(toolchain.CompilerUnavailable, match="MICROGRAD44_COMPILE_TIMEOUT must be a number"):
        toolchain.build(SOURCE)
    status, out, err = run_train(["--compile-timeout", "-1", "--out", str(tmp_path)], capsys)
    assert status == 2 and "--compile-timeout: expected a number of seconds above 0" in err


# ---- compilers that lie or cannot be read ----

# CC that exits 0 without writing the library, CC with an unbalanced quote: the reason each gives
UNUSABLE = [
    ("true", "exited with status 0 but wrote no complete library"),
    ('gcc "-O2', "cannot be read as a command"),
]


@pytest.mark.parametrize(("cc", "reason"), UNUSABLE)
def test_an_unusable_compiler_counts_as_none_with_its_reason(private_cache, monkeypatch, capsys, cc, reason):
    monkeypatch.setenv("CC", cc)
    with pytest.raises(toolchain.CompilerUnavailable, match=reason):
        toolchain.check_compiler(toolchain.compiler())
    history = run(Recipe(epochs=2, engine="compiled"))
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and reason in lines[0] and lines[0].endswith("; using the Python engine")
    assert history.step_losses == run(Recipe(epochs=2, engine="python")).step_losses


@pytest.mark.parametrize(("cc", "reason"), UNUSABLE)
def test_the_c_engine_says_why_a_compiler_is_unusable(monkeypatch, capsys, tmp_path, cc, reason):
    monkeypatch.setenv("CC", cc)
    status, out, err = run_train(["--engine", "c", "--epochs", "2", "--out", str(tmp_path / "out")], capsys)
    assert status == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "the C engine needs a C compiler" in err and reason in err


@needs_compiler
def test_a_compiler_that_writes_no_library_for_a_source_is_one_line(private_cache, monkeypatch, tmp_path):
    script = tmp_path / "lazy-cc"  # builds the probe, then writes nothing for any other source
    script.write_text(f'#!/bin/bash\ncase "$*" in *probe.c*) exec {toolchain.compiler()[0]} "$@";; esac\n')
    script.chmod(0o755)
    monkeypatch.setenv("CC", str(script))
    with pytest.raises(toolchain.CompilerUnavailable, match="wrote no complete library"):
        toolchain.build(SOURCE)
    assert hidden_files(private_cache) == []


# ---- the cache folder under faults ----


@needs_compiler
def test_a_full_disk_under_the_cache_falls_back_in_one_line_and_leaves_no_file(tmp_path):
    cache = tmp_path / "cache"
    environment = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    result = python(TRAIN, shell_prefix="ulimit -f 2", env=environment)  # files up to 2 KiB
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "File too large" in lines[0] and lines[0].endswith("using the Python engine")
    assert sorted(p.name for p in (cache / "micrograd44").iterdir()) == []


@needs_compiler
@pytest.mark.parametrize("fault", ["others can write to it", "a file stands in its place"])
def test_an_untrusted_cache_folder_turns_caching_off_in_one_line_without_leaking(tmp_path, fault):
    cache, temporary = tmp_path / "cache", tmp_path / "tmp"
    cache.mkdir()
    temporary.mkdir()
    if fault == "others can write to it":
        (cache / "micrograd44").mkdir(mode=0o777)
        (cache / "micrograd44").chmod(0o777)
    else:
        (cache / "micrograd44").write_text("not a folder")
    environment = {**os.environ, "XDG_CACHE_HOME": str(cache), "TMPDIR": str(temporary)}
    code = f"{BUILD}; from micrograd44.compiled import toolchain; toolchain.build(sys.argv[1] + ' ')"
    result = python(code, SOURCE, env=environment)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].endswith("caching is off")
    assert list(temporary.iterdir()) == []  # no folder left per build or per process


def _cached_entry(cache: Path) -> Path:
    """Build SOURCE into the cache in another process; the path of its library."""
    python(BUILD, SOURCE, env={**os.environ, "XDG_CACHE_HOME": str(cache)}, check=True)
    (library,) = (cache / "micrograd44").glob("*.so")
    return library


@needs_compiler
@pytest.mark.parametrize("fault", ["truncated, checksum matching", "a folder", "a FIFO", "a FIFO checksum"])
def test_a_damaged_entry_is_rebuilt_never_loaded_never_waited_on(tmp_path, fault):
    library = _cached_entry(tmp_path / "cache")
    checksum = library.with_suffix(".sha256")
    if fault.startswith("truncated"):
        library.write_bytes(library.read_bytes()[: library.stat().st_size // 2])
        checksum.write_text(hashlib.sha256(library.read_bytes()).hexdigest())
    elif fault == "a folder":
        library.unlink()
        (library / "inside").mkdir(parents=True)
    elif fault == "a FIFO":
        library.unlink()
        os.mkfifo(library)
    else:
        checksum.unlink()
        os.mkfifo(checksum)
    # the time limit guards the test run against a hang; it is not a measurement
    result = python(BUILD, SOURCE, env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    with open(library, "rb") as file:  # a regular file again, complete
        assert hashlib.sha256(file.read()).hexdigest() == checksum.read_text()


@needs_compiler
def test_sigterm_during_a_compile_leaves_no_temporary_file_nor_compiler(tmp_path):
    cc, cc1 = slow_compiler(tmp_path)
    cache = tmp_path / "cache"
    environment = {**os.environ, "CC": cc, "XDG_CACHE_HOME": str(cache)}
    process = subprocess.Popen(
        [sys.executable, "-c", BUILD, SOURCE], env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    while not (tmp_path / "started").exists() or not running(cc1):  # the compiler is at work
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    process.communicate()
    assert process.returncode == -signal.SIGTERM
    assert hidden_files(cache / "micrograd44") == []
    assert gone(cc1)
