"""Where a sweep's runs execute: here, in local worker processes, or on a Dask cluster.

Each executor takes batches of recipes and hands every finished batch's results to
``deliver`` in this process, as soon as that batch is done, so nothing finished stays
behind in a worker. A worker that dies costs only the batch it was running, which is run
again elsewhere. On Ctrl-C (a KeyboardInterrupt, also one raised by ``deliver``) the
batches not started are cancelled and the interrupt goes on; batches still running are
dropped.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from ..training.course import Recipe
from .record import RunResult, SweepError, run_batch

Deliver = Callable[[list[RunResult]], None]

# runs a batch of recipes where it is sent: run_batch, or a functools.partial of it
Task = Callable[[list[Recipe]], list[RunResult]]

# A pool whose workers all died this many times in a row, with no batch finished in between, is given up on.
MAX_POOL_BREAKS = 3


def all_cores() -> int:
    """The processors this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def run_here(recipes: Sequence[Recipe], deliver: Deliver, task: Task = run_batch) -> None:
    """Run each recipe in this process, delivering each result as it finishes (Ctrl-C stops at once)."""
    for recipe in recipes:
        deliver(task([recipe]))


def _start_worker(main_alive) -> None:
    """In a worker: leave Ctrl-C to the main process, which stops the sweep, and exit when the pool is gone.

    ``main_alive`` is the reading end of a pipe whose only writing end the main process
    holds: it reads end-of-file once the main process closes it or dies in any way
    (``kill -9`` included), and the worker then exits instead of waiting, orphaned, for
    batches that will never come. (Its parent, the forkserver, exits only after all its
    children do, so watching the parent would not do.)
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_closed, args=(main_alive,), daemon=True).start()


def _exit_when_closed(main_alive) -> None:
    """Wait for end-of-file on the pipe (nothing is ever sent on it), then exit the worker at once."""
    try:
        main_alive.recv_bytes()
    except (EOFError, OSError):
        pass
    os._exit(1)


def _start_method() -> str:
    """forkserver where there is one: safe with threads in the main process (progress bars, Dask)."""
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def run_on_processes(
    batches: Sequence[list[Recipe]], jobs: int, deliver: Deliver, task: Task = run_batch
) -> None:
    """Run the batches in ``jobs`` worker processes.

    A worker that dies breaks the pool: the batches that did not finish are run again in
    a new pool, up to MAX_POOL_BREAKS times in a row without progress.

    Raises:
        SweepError: a run failed, or the workers kept dying.
    """
    remaining = list(batches)
    breaks = 0
    while remaining:
        broken, finished = _one_pool(remaining, jobs, deliver, task)
        if not broken:
            return
        breaks = 0 if finished else breaks + 1
        if breaks >= MAX_POOL_BREAKS:
            raise SweepError(f"the worker processes died {breaks} times in a row without finishing a batch")
        remaining = broken


def _one_pool(
    batches: list[list[Recipe]], jobs: int, deliver: Deliver, task: Task
) -> tuple[list[list[Recipe]], int]:
    """Run the batches in one pool: (the batches lost when a worker died, how many finished)."""
    context = multiprocessing.get_context(_start_method())
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload([run_batch.__module__])  # imported once, not by every worker
    main_alive, keep_alive = context.Pipe(duplex=False)  # the workers get the reading end only
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker, initargs=(main_alive,))
    broken, finished = [], 0
    try:
        futures: dict[Future, list[Recipe]] = {pool.submit(task, batch): batch for batch in batches}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    results = future.result()
                except BrokenProcessPool:
                    broken.append(futures[future])
                    continue
                deliver(results)
                finished += 1
        pool.shutdown()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        keep_alive.close()  # any worker still there exits
        main_alive.close()
    return broken, finished


def _distributed():
    """The dask.distributed module; SweepError saying how to install it when it is missing."""
    try:
        import distributed
    except ImportError as error:
        raise SweepError(
            f"a Dask scheduler needs dask.distributed ({error}): pip install 'micrograd44[dask]'"
        ) from None
    return distributed


def check_address(address: str) -> None:
    """Check a scheduler address's form (``tcp://host:port``, ``host:port``...) without connecting.

    Raises:
        ValueError: one line saying what is wrong with it, e.g. a missing port.
        SweepError: dask.distributed is not installed.
    """
    _distributed()
    from distributed.comm.addressing import parse_address, parse_host_port

    example = "an address such as tcp://10.0.0.5:8786"
    if not address.strip():
        raise ValueError(f"the scheduler address is empty; give {example}")
    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls"):
            host, port = parse_host_port(location)
            if not host or not 0 < port < 65536:
                raise ValueError("it needs a host and a port from 1 to 65535")
    except ValueError as error:
        raise ValueError(f"{address!r} is not {example} ({error})") from None


def connect(scheduler):
    """A ``distributed.Client`` for an address, or the Client given; (client, whether we opened it).

    Raises:
        ValueError: the address is not one (see ``check_address``), checked before connecting.
        SweepError: dask.distributed is not installed, or the scheduler cannot be reached.
    """
    distributed = _distributed()
    if isinstance(scheduler, distributed.Client):
        return scheduler, False
    if isinstance(scheduler, str):
        check_address(scheduler)
    try:
        return distributed.Client(scheduler, set_as_default=False), True
    except (OSError, TimeoutError, ValueError) as error:
        raise SweepError(f"cannot reach the Dask scheduler at {scheduler} ({error})") from None


def dask_threads(client) -> int:
    """The cluster's worker threads now (at least 1: batches can be sized before workers join)."""
    return max(1, sum(client.nthreads().values()))


def run_on_dask(batches: Sequence[list[Recipe]], client, deliver: Deliver, task: Task = run_batch) -> None:
    """Run the batches as tasks of a Dask cluster, gathering each one's results as soon as it finishes.

    A worker that dies is replaced by Dask, which runs its tasks again on the others
    (a task whose workers died several times fails with KilledWorker).

    Raises:
        SweepError: a run failed, or a batch failed because the workers running it died.
    """
    import distributed

    futures = [client.submit(task, batch, pure=False) for batch in batches]
    try:
        for future in distributed.as_completed(futures, loop=client.loop):  # this client's, not a default one
            try:
                results = future.result()
            except distributed.KilledWorker as error:
                raise SweepError(
                    f"a batch failed because the workers running it kept dying ({error})"
                ) from None
            future.release()
            deliver(results)
    except BaseException:
        client.cancel(futures)
        raise
