"""Reports run as tasks on a Dask distributed cluster (no shared filesystem needed).

Each task (:func:`render_remote`) receives the notebook's text and the
team's extract as bytes, runs the report in a scratch folder on the worker
and returns the executed notebook and its HTML, which the batch writes.
While tasks run, the worker process hands its GIL over as often as a local
batch's thread workers do (see :mod:`~plc_analysis.batch.local_runner`): its
threads, and its own event loop, all wait on their kernels' messages.

A worker keeps its kernels from one report to the next, as a local batch
does (:mod:`~plc_analysis.batch.warm`; not with ``--fresh-kernels``): a
report then costs the cluster its cells, not a kernel start and the imports.
The kept kernels run in the notebook's folder when the worker has it, else in
a folder of the worker process's own (never a task's scratch folder, which
goes with its task).  They stop when the batch closes (the driver asks every
worker), when their worker process ends, or, should the worker be killed,
when ipykernel notices its parent has gone.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing.util
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import Future, wait
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import warm
from .execute import render_job
from .jobs import BatchError, ReportJob
from .local_runner import default_jobs, quick_gil_handover
from .settings import EXTRACT_PLACEHOLDER

__all__ = ["DaskRunner", "dask_client", "render_remote", "DASK_CONNECT_TIMEOUT"]

logger = logging.getLogger(__name__)

#: How long to wait for a Dask scheduler and its first worker, in seconds.
DASK_CONNECT_TIMEOUT = 30.0


class _RemoteAbort:
    """The batch's abort flag on a Dask worker: a :class:`distributed.Event`, asked at most once a second."""

    def __init__(self, name: str) -> None:
        from distributed import Event

        self._event = Event(name)
        self._checked = 0.0
        self._set = False

    def is_set(self) -> bool:
        if not self._set and time.monotonic() - self._checked >= 1.0:
            self._checked = time.monotonic()
            try:
                self._set = bool(self._event.is_set())
            except Exception:  # scheduler unreachable: keep running; the driver's own guard applies
                pass
        return self._set


def render_remote(job: ReportJob, abort_name: str | None = None) -> dict:
    """Dask task: materialize the notebook and extract in a scratch folder, run, render, return.

    Nothing is written outside the scratch folder (removed at the end), so a
    worker needs no access to the batch's data or output folders.
    """
    abort = _RemoteAbort(abort_name) if abort_name else None
    with tempfile.TemporaryDirectory(prefix="plc-report-") as scratch_name:
        scratch = Path(scratch_name)
        if job.reuse_kernel:
            _stop_kept_kernels_with_this_process()
        changes: dict[str, Any] = {"notebook_source": None, "extract_files": None}
        if job.notebook_source is not None:
            local = scratch / (Path(job.notebook).name or "report.ipynb")
            local.write_text(job.notebook_source, encoding="utf-8")
            changes["notebook"] = str(local)
            home = Path(job.notebook).parent  # relative paths in the notebook work where the folder is shared
            # a kernel kept for later reports must not sit in this task's scratch folder (removed below)
            elsewhere = _kernel_home() if job.reuse_kernel else str(scratch)
            changes["cwd"] = job.cwd or (str(home) if home.is_dir() else elsewhere)
        if job.extract_files is not None:
            folder = scratch / "extract"
            folder.mkdir()
            for name, content in job.extract_files.items():
                (folder / Path(name).name).write_bytes(content)
            params = dict(job.parameters)
            for key in job.extract_parameters:
                if params.get(key) == EXTRACT_PLACEHOLDER:
                    params[key] = str(folder)
            changes["parameters"] = params
        with quick_gil_handover():
            return render_job(replace(job, **changes), abort, input_path=job.notebook)


_KEPT_KERNELS: dict[str, Any] = {"home": None, "registered": False}
_KEPT_LOCK = threading.Lock()


def _kernel_home() -> str:
    """The folder this worker process's kept kernels run in when the notebook's own is not here (made once)."""
    with _KEPT_LOCK:
        if _KEPT_KERNELS["home"] is None:
            _KEPT_KERNELS["home"] = tempfile.mkdtemp(prefix="plc-kernels-")
        return _KEPT_KERNELS["home"]


def _stop_kept_kernels_with_this_process() -> None:
    """Make sure the kernels this worker process keeps stop with it (registered once per process).

    Dask's worker processes are multiprocessing children, which run
    multiprocessing's finalizers but not ``atexit`` (kept for workers started
    otherwise).
    """
    with _KEPT_LOCK:
        if _KEPT_KERNELS["registered"]:
            return
        _KEPT_KERNELS["registered"] = True
    atexit.register(_at_worker_exit)
    multiprocessing.util.Finalize(None, _at_worker_exit, exitpriority=10)


def _at_worker_exit() -> None:
    """Stop the kept kernels and remove their folder (the worker process is ending)."""
    warm.close_idle()
    with _KEPT_LOCK:
        home, _KEPT_KERNELS["home"] = _KEPT_KERNELS["home"], None
    if home is not None:
        shutil.rmtree(home, ignore_errors=True)


def dask_client(scheduler: Any, workers: int | None) -> tuple[Any, list[Any]]:
    """Connect to the cluster ``scheduler`` names; return the client and what to close afterwards."""
    try:
        import distributed
    except ImportError as exc:
        raise BatchError("running on a Dask cluster needs dask[distributed]: pip install 'plc-analysis[dask]'") from exc
    if isinstance(scheduler, distributed.Client):
        return scheduler, []
    from distributed.deploy.cluster import Cluster

    if isinstance(scheduler, Cluster):
        client = distributed.Client(scheduler)
        return client, [client]
    if not isinstance(scheduler, (str, os.PathLike)):
        raise BatchError(
            f"scheduler must be an address, 'local', a scheduler file, a dask Client or Cluster, "
            f"not {type(scheduler).__name__}"
        )
    text = os.fspath(scheduler)
    if text == "local":
        cluster = distributed.LocalCluster(
            n_workers=workers or default_jobs(),
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
        client = distributed.Client(cluster)
        return client, [client, cluster]
    try:
        if text.endswith(".json") and Path(text).is_file():
            client = distributed.Client(scheduler_file=text, timeout=DASK_CONNECT_TIMEOUT)
        else:
            client = distributed.Client(text, timeout=DASK_CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise BatchError(f"cannot connect to the Dask scheduler at {text}: {exc}") from exc
    return client, [client]


class DaskRunner:
    """Reports run as tasks on a Dask distributed cluster (no shared filesystem needed)."""

    remote = True
    kind = "dask"

    def __init__(self, scheduler: Any, workers: int | None) -> None:
        self.client, self._owned = dask_client(scheduler, workers)
        try:
            self.client.wait_for_workers(1, timeout=DASK_CONNECT_TIMEOUT)
        except Exception as exc:
            self._close_owned()
            raise BatchError(
                f"no Dask worker joined the scheduler at {self.client.scheduler.address} "
                f"within {DASK_CONNECT_TIMEOUT:g} s"
            ) from exc
        self.address = str(self.client.scheduler.address)
        threads = sum(self.client.nthreads().values())
        # At most this many reports are handed to the cluster at once (queued ones wait here, not in its memory).
        self.slots = max(1, int(workers or threads or 1))
        self.window = self.slots
        self._batch = uuid.uuid4().hex[:12]
        self._abort_name = f"plc-batch-abort-{self._batch}"
        self._count = 0
        self._remote: dict[Future, Any] = {}

    def submit(self, job: ReportJob) -> Future:
        """Start rendering ``job`` on the cluster; the future's result is :func:`render_job`'s dict."""
        self._count += 1
        remote = self.client.submit(
            render_remote, job, self._abort_name, pure=False, retries=0, key=f"plc-report-{self._batch}-{self._count}"
        )
        local: Future = Future()
        local.set_running_or_notify_cancel()

        def done(finished: Any) -> None:
            try:
                local.set_result(finished.result())
            except BaseException as exc:  # noqa: BLE001 - handed to the batch, which records it
                local.set_exception(exc)

        remote.add_done_callback(done)
        self._remote[local] = remote
        return local

    def abort(self) -> None:
        """Stop every running report (their kernels are killed within a second or two)."""
        from distributed import Event

        try:
            Event(self._abort_name, client=self.client).set()
        except Exception as exc:  # the scheduler is gone: nothing is running there any more
            logger.info("could not signal the Dask workers: %s", type(exc).__name__)

    def close(self, pending: Iterable[Future] = ()) -> None:
        """Shut the cluster down, cancelling the queued reports."""
        pending = [f for f in pending if not f.done()]
        if pending:  # stopped reports return within a second or two; give them that before cancelling
            wait(pending, timeout=15)
        leftovers = [r for f, r in self._remote.items() if not f.done()]
        if leftovers:
            try:
                self.client.cancel(leftovers)
            except Exception:
                pass
        self._remote.clear()
        try:  # the kernels the workers kept for this batch's reports (idle ones only: other batches' run on)
            self.client.run(warm.close_idle)
        except Exception as exc:  # a worker or the scheduler is gone: its kernels stop with it
            logger.info("could not stop the kernels kept on the Dask workers: %s", type(exc).__name__)
        self._close_owned()

    def _close_owned(self) -> None:
        for thing in self._owned:
            try:
                thing.close()
            except Exception as exc:
                logger.info("closing %s: %s", type(thing).__name__, type(exc).__name__)
        self._owned = []
