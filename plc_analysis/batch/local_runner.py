"""Reports run on this machine: a pool of threads (default) or forkserver worker processes.

Either way the reports run in kernel processes, kept warm from one report to
the next (:mod:`plc_analysis.batch.warm`); the pool only drives the kernels
and renders HTML.

Thread workers share this process's GIL.  A kernel waits for its worker to
read each message and send the next cell; with Python's default switch
interval (5 ms) a worker wanting the GIL back from a busy one (rendering a
page) waits up to 5 ms each time, and a report exchanges some 150 messages.
With two kernels on two cores, that left a third of the CPU idle (measured
with ``vmstat``), so while thread workers run the interval is
:data:`SWITCH_INTERVAL` (:func:`quick_gil_handover`).  A runner offers ``submit(job) -> Future``,
``abort()`` (kill the running kernels) and ``close(pending)``, like
:class:`~plc_analysis.batch.dask_runner.DaskRunner`.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import os
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from . import warm
from .execute import init_worker, render_job
from .jobs import ReportJob

__all__ = ["LocalRunner", "default_jobs", "make_executor", "SWITCH_INTERVAL"]

#: GIL switch interval (seconds) while thread workers drive kernels; Python's default is 0.005.
SWITCH_INTERVAL = 0.0005

_SWITCH_LOCK = threading.Lock()
_SWITCH_STATE: dict[str, Any] = {"users": 0, "saved": None}


def default_jobs() -> int:
    """Number of CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def quick_gil_handover() -> Iterator[None]:
    """Lower the GIL switch interval to :data:`SWITCH_INTERVAL` until the last batch using it ends.

    Batches run side by side in one process share the setting: the first
    lowers it, the last puts the previous value back.
    """
    with _SWITCH_LOCK:
        if _SWITCH_STATE["users"] == 0:
            _SWITCH_STATE["saved"] = sys.getswitchinterval()
            sys.setswitchinterval(min(SWITCH_INTERVAL, _SWITCH_STATE["saved"]))
        _SWITCH_STATE["users"] += 1
    try:
        yield
    finally:
        with _SWITCH_LOCK:
            _SWITCH_STATE["users"] -= 1
            if _SWITCH_STATE["users"] == 0:
                sys.setswitchinterval(_SWITCH_STATE["saved"])


def _process_worker_init(abort: Any) -> None:
    """Initializer of worker processes: Ctrl-C and SIGTERM are the parent's to handle (it sets ``abort``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    init_worker(abort)
    # the worker's warm kernels stop with it (multiprocessing runs its finalizers, not atexit)
    multiprocessing.util.Finalize(None, warm.close_idle, exitpriority=10)


def make_executor(kind: str, workers: int) -> tuple[Executor, Any]:
    """The pool that renders the reports, and the event that aborts its running reports."""
    if kind not in ("process", "thread"):
        raise ValueError(f"executor must be 'process' or 'thread', not {kind!r}")
    if kind == "thread" or workers == 1:
        abort: Any = threading.Event()
        pool: Executor = ThreadPoolExecutor(
            max_workers=workers, initializer=init_worker, thread_name_prefix="plc-batch"
        )
    else:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if context.get_start_method() == "forkserver":
            context.set_forkserver_preload(["plc_analysis.batch", "papermill", "nbconvert"])
        abort = context.Event()
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_process_worker_init, initargs=(abort,)
        )
    # Start the workers in the background: their imports (papermill, nbconvert: seconds; for
    # processes the forkserver's first start waits for them) overlap with loading the district.
    threading.Thread(target=_warm_up, args=(pool, workers), name="plc-batch-warm-up", daemon=True).start()
    return pool, abort


def _noop() -> None:
    return None


def _warm_up(pool: Executor, workers: int) -> None:
    try:
        for _ in range(workers):
            pool.submit(_noop)
    except RuntimeError:  # the pool was shut down meanwhile
        pass


class LocalRunner:
    """Reports run by a thread or process pool on this machine."""

    remote = False

    def __init__(self, kind: str, workers: int) -> None:
        self.pool, self.event = make_executor(kind, workers)
        self.threads = isinstance(self.pool, ThreadPoolExecutor)
        self.kind = "thread" if self.threads else "process"
        self.slots = workers
        self.window = 2 * workers  # a couple queued, so no worker waits while the batch writes files
        self.address: str | None = None
        self.closed = threading.Event()
        self.starters: list[threading.Thread] = []
        self._handover = quick_gil_handover() if self.threads else None
        if self._handover is not None:
            self._handover.__enter__()

    def submit(self, job: ReportJob) -> Future:
        """Start rendering ``job`` on the pool; the future's result is :func:`render_job`'s dict."""
        if self.threads:  # each task carries its batch's event (no process-wide state)
            return self.pool.submit(render_job, job, self.event)
        return self.pool.submit(render_job, job)

    def abort(self) -> None:
        """Stop every running report (their kernels are killed within a second or two)."""
        self.event.set()

    def prestart(self, kernel_name: str, cwd: str, count: int) -> None:
        """Start ``count`` kernels (at most one per worker) now, while the batch loads its data.

        Thread workers only: kernels of process workers live in those processes, so they start with
        their first report.
        """
        if not self.threads:
            return
        from .engine import prestart_kernel

        for _ in range(min(count, self.slots)):
            starter = threading.Thread(
                target=prestart_kernel,
                args=(kernel_name, cwd, self.closed),
                name="plc-batch-kernel-start",
                daemon=True,
            )
            starter.start()
            self.starters.append(starter)

    def close(self, pending: Iterable[Future] = ()) -> None:
        """Shut the pool down, cancelling the queued reports, and stop the kernels kept warm."""
        self.closed.set()
        for starter in self.starters:  # a kernel still starting is shut down when it is ready
            starter.join()
        try:
            self.pool.shutdown(wait=True, cancel_futures=True)
            if self.threads:
                warm.close_idle()
        finally:
            if self._handover is not None:
                handover, self._handover = self._handover, None
                handover.__exit__(None, None, None)
