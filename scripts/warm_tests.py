"""A warm test runner for mutation testing: pytest runs forked from a process that has imported PyTorch.

A fresh ``python -m pytest`` spends most of a mutant's time importing torch, numpy,
hypothesis and pytest. ``serve`` imports them once (never micrograd44, nor anything under
the tests) and waits on a Unix socket; ``run`` is the per-mutant test command. For each
``run`` the server forks a child that takes over the client's stdout and stderr, changes to
its directory and environment, and calls ``pytest.main`` with its arguments: micrograd44 and
the test modules are imported by the child, fresh from disk, so it sees the mutated file.
The client exits with pytest's exit code. A child that outlives ``--timeout``, or whose
client has gone (Cosmic Ray killed it at its own timeout), is killed with its process group.

    python scripts/warm_tests.py serve out/mutation/x.sock &          # prints "ready" when warm
    python scripts/warm_tests.py run out/mutation/x.sock -x -q tests/core/test_a.py

scripts/mutate.py starts and stops a server around each module's run.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import select
import signal
import socket
import socketserver
import sys
import time

# Imported by the server before it forks: the third-party modules the mutated modules' tests
# load (plus pytest's plugins, found through their entry points when the server starts).
WARM_MODULES = ("numpy", "torch", "hypothesis", "pytest", "_pytest.python", "_pytest.assertion.rewrite")
# The package under test: never imported by the server, so each child imports it from disk.
FRESH_PACKAGES = ("micrograd44", "tests")
TIMED_OUT = 124  # the client's exit code when the server killed its tests at --timeout
REQUEST_LIMIT = 1 << 20  # bytes of one request (its arguments and environment)
# what the client prints when the server did not run the tests: not a verdict on a mutant
NO_SERVER = "warm_tests: the server did not run the tests"


def warm_up() -> None:
    """Import the heavy third-party modules and pytest's plugins; refuse if the package came along."""
    for name in WARM_MODULES:
        importlib.import_module(name)
    from importlib.metadata import entry_points

    for plugin in entry_points(group="pytest11"):
        try:
            plugin.load()
        except Exception as error:  # a plugin that cannot load in the server loads (or fails) in the child
            print(f"warm_tests: plugin {plugin.name} not preloaded: {error}", file=sys.stderr)
    loaded = sorted(
        name for name in sys.modules if any(name == p or name.startswith(p + ".") for p in FRESH_PACKAGES)
    )
    if loaded:
        names = ", ".join(loaded)
        raise SystemExit(f"warm_tests: the server imported {names}; its children must import them fresh")
    # the warm modules' objects out of the collector's reach: pytest collects garbage at its end
    # (0.2 s through torch's objects on each run), and a forked child then shares their pages
    gc.collect()
    gc.freeze()


def run_pytest(request: dict, stdout: int, stderr: int) -> None:
    """In the forked child: become the client's pytest process, run pytest.main and exit with its code."""
    os.setsid()  # its own process group, which a timeout kills with everything the tests started
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    for fd in (null, stdout, stderr):
        os.close(fd)
    code = 3  # pytest's "internal error", if anything below raises
    try:
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # as `python -m pytest` would: the current directory first, then PYTHONPATH
        extra = [p for p in request["env"].get("PYTHONPATH", "").split(os.pathsep) if p]
        sys.path[:0] = [request["cwd"], *extra]
        # Cosmic Ray asks for no bytecode: two mutants written within one second and of equal
        # size would otherwise run the first one's cached code
        sys.dont_write_bytecode = bool(request["env"].get("PYTHONDONTWRITEBYTECODE"))
        sys.argv = ["pytest", *request["args"]]
        import pytest

        # the plugins' modules were imported by the server, before pytest could rewrite their asserts
        quiet = ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
        code = int(pytest.main(quiet + request["args"]))
    except BaseException as error:  # noqa: BLE001 - the child must reach os._exit
        print(f"warm_tests: {type(error).__name__}: {error}", file=sys.stderr)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def supervise(pid: int, connection: socket.socket, timeout: float) -> int:
    """Wait for the child; kill its process group at the timeout, when the client goes away or on a signal."""
    deadline = time.monotonic() + timeout
    watch = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            left = deadline - time.monotonic()
            if left <= 0:
                kill(pid)
                return -TIMED_OUT
            waits = [connection] + ([watch] if watch is not None else [])
            ready, _, _ = select.select(waits, [], [], min(left, 0.1))
            if connection in ready and not connection.recv(1, socket.MSG_PEEK):  # the client has gone
                kill(pid)
                return -signal.SIGKILL
    except BaseException:  # SIGTERM from the server stopping, or Ctrl-C
        kill(pid)
        raise
    finally:
        if watch is not None:
            os.close(watch)


def kill(pid: int) -> None:
    """Kill the child and everything its tests started (its process group), and reap it."""
    with contextlib.suppress(ProcessLookupError):  # the group has already gone
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):  # and the child was reaped
        os.waitpid(pid, 0)


class Handler(socketserver.BaseRequestHandler):
    """One client's request, in a process forked from the warm server."""

    def handle(self) -> None:
        message, fds, _, _ = socket.recv_fds(self.request, REQUEST_LIMIT, 2)
        while not message.endswith(b"\n"):  # one JSON line, which may arrive in pieces
            piece = self.request.recv(REQUEST_LIMIT)
            if not piece:
                return
            message += piece
        request = json.loads(message)
        pid = os.fork()
        if pid == 0:
            self.request.close()
            run_pytest(request, *fds)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # the server stopping: see supervise
        for fd in fds:
            os.close(fd)
        code = supervise(pid, self.request, request["timeout"])
        with contextlib.suppress(OSError):  # the client may have gone (killed at Cosmic Ray's timeout)
            self.request.sendall(json.dumps({"code": code}).encode())


class Server(socketserver.ForkingMixIn, socketserver.UnixStreamServer):
    """Forks a handler per client, so the warm process itself never runs a test."""

    max_children = 8


def serve(path: str) -> int:
    """Warm up, listen on the socket at path until SIGTERM, then remove it."""
    warm_up()
    if os.path.exists(path):
        os.unlink(path)
    with Server(path, Handler) as server:

        def stop(*_):
            for handler in server.active_children or ():
                os.kill(handler, signal.SIGTERM)
            sys.exit(0)

        signal.signal(signal.SIGTERM, stop)
        print("ready", flush=True)
        try:
            server.serve_forever()
        finally:
            os.unlink(path)
    return 0


def run(path: str, args: list[str], timeout: float) -> int:
    """Run pytest with args in the warm server at path, as if this process ran it; its exit code."""
    request = {"cwd": os.getcwd(), "env": dict(os.environ), "args": args, "timeout": timeout}
    reply = b""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        try:
            connection.connect(path)
            sys.stdout.flush()
            socket.send_fds(connection, [json.dumps(request).encode() + b"\n"], [1, 2])
            while chunk := connection.recv(4096):
                reply += chunk
        except OSError as error:
            reply = b""
            print(f"warm_tests: {error}", file=sys.stderr)
    if not reply:
        print(f"{NO_SERVER}: no exit code came back", flush=True)  # to stdout, which Cosmic Ray keeps
        return 1
    code = json.loads(reply)["code"]
    if code == -TIMED_OUT:
        print(f"warm_tests: tests killed at the timeout of {timeout:g} s", file=sys.stderr)
        return TIMED_OUT
    return code if code >= 0 else 128 - code


def main(argv: list[str]) -> int:
    """serve SOCKET | run SOCKET [--timeout SECONDS] PYTEST_ARGS..."""
    if len(argv) >= 2 and argv[0] == "serve":
        return serve(argv[1])
    if len(argv) >= 2 and argv[0] == "run":
        rest, timeout = argv[2:], 600.0
        if rest[:1] == ["--timeout"]:
            timeout, rest = float(rest[1]), rest[2:]
        return run(argv[1], rest, timeout)
    print(f"usage: {main.__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
