"""Stopping training cleanly: Ctrl-C and SIGTERM end it at the end of a step, never in the middle of one.

A program that wants SIGTERM handled like Ctrl-C runs under ``stop_signals_handled()`` (the
command line does) or installs ``stop_on_signal`` itself. While the loop trains,
``stops_deferred_to_step_end()`` holds such a stop until the step under way is complete;
the loop then raises ``TrainingInterrupted`` with every step completed before it.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from .history import History

# the signals that stop training, deferred to the end of a step when their handler stops the program
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C (or another stop signal) stopped the training.

    Attributes:
        history: every step completed before it.
        signum: the signal that stopped it: ``signal.SIGINT`` for Ctrl-C or any other
            KeyboardInterrupt, ``signal.SIGTERM`` when a ``stop_on_signal`` handler took it.
    """

    def __init__(self, history: History, signum: int = signal.SIGINT):
        super().__init__("training interrupted")
        self.history = history
        self.signum = signum


class StopRequested(KeyboardInterrupt):
    """A KeyboardInterrupt raised by ``stop_on_signal``; ``signum`` is the signal received."""

    def __init__(self, signum: int):
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


def stop_on_signal(signum: int, frame) -> NoReturn:
    """A signal handler that stops the program as Ctrl-C does, remembering which signal it was.

    Install it for SIGTERM (``signal.signal(signal.SIGTERM, stop_on_signal)``) to have a
    termination request handled like Ctrl-C: outside training it raises ``StopRequested``
    at once; during training the stop waits for the end of the current step, and
    ``TrainingInterrupted.signum`` says which signal it was.
    """
    raise StopRequested(signum)


def signal_of(stop: KeyboardInterrupt) -> int:
    """The signal a stop came from: its ``signum``, SIGINT for a plain KeyboardInterrupt (Ctrl-C)."""
    return getattr(stop, "signum", signal.SIGINT)


@contextlib.contextmanager
def _handled(takes: Callable[[int], bool], handler) -> Iterator[None]:
    """Install ``handler`` for the stop signals ``takes(signum)`` accepts; put the previous ones back after.

    Outside the main thread (where Python cannot set handlers) nothing changes.
    """
    in_main_thread = threading.current_thread() is threading.main_thread()
    taken = [s for s in STOP_SIGNALS if in_main_thread and takes(s)]
    previous = {s: signal.signal(s, handler) for s in taken}
    try:
        yield
    finally:
        for s, saved in previous.items():
            signal.signal(s, saved)


def stop_signals_handled() -> contextlib.AbstractContextManager[None]:
    """Have SIGINT and SIGTERM stop the program through ``stop_on_signal`` while the block runs.

    A signal that is ignored (SIGINT in a background job) or has a handler of its own is
    left alone, as is everything outside the main thread. Training inside the block defers
    the stop to the end of its current step.
    """
    defaults = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
    return _handled(lambda s: signal.getsignal(s) is defaults[s], stop_on_signal)


@contextlib.contextmanager
def stops_deferred_to_step_end() -> Iterator[Callable[[], None]]:
    """Defer Ctrl-C (and SIGTERM under ``stop_on_signal``) to the end of the current step.

    No update is then left half done. Yields a function to call between steps: it raises
    StopRequested once a stop signal arrived. A second one stops at once. Outside the main
    thread, or for a signal with a handler of its own (or ignored), nothing changes.
    """
    received = []

    def on_stop(signum, frame):
        if received:
            raise StopRequested(signum)
        received.append(signum)

    def stop_if_pressed() -> None:
        if received:
            raise StopRequested(received[0])

    stoppers = (signal.default_int_handler, stop_on_signal)
    with _handled(lambda s: signal.getsignal(s) in stoppers, on_stop):
        yield stop_if_pressed
