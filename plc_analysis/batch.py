"""Batch reports: run a parameterized notebook once per team (or school) with papermill.

``plc batch`` (and :func:`run_batch`) loads and validates the district once,
writes each team's rows to a small Parquet extract, and runs the report
notebook for every team, several at once.  Each executed notebook is converted
to standalone HTML where it ran, with the code hidden; the batch process
writes the files.  The output folder holds::

    out/
      index.html                 every report, grouped by school, with its status
      manifest.json              one entry per report (status, seconds, error, paths)
      <school_id>/<team_id>.ipynb
      <school_id>/<team_id>.html
      <school_id>/index-school.{ipynb,html}     (with ``--per school``)

One report's failure (an exception, a dead kernel, a timeout, an unreadable
partition of the data) never stops the others: its HTML shows the partially
executed notebook with the failing cell marked, the manifest records it, and
the exit code is 1.  Every file is written atomically and the manifest is
rewritten after every report, so an interrupted batch can be resumed with
``--only-failed`` (teams missing from the manifest count as still to do).  A
full disk (or an output folder that turns read-only) stops the batch: no
partial file is left, the manifest keeps every report finished until then and
the exit code is 2; free some space and resume with ``--only-failed``.

Notebook parameters passed to every run: ``team_id`` (team reports only),
``school_id``, ``data_path`` (the team's extract, a canonical folder that
:func:`plc_analysis.load_dataset` reads), ``start`` and ``end`` (ISO dates or
``""`` for no bound); ``extract_path`` (same folder) when the notebook declares
it; and any ``-p name value`` given by the user.

Data.  ``data_path`` is anything :func:`plc_analysis.load_dataset` reads, or a
district partitioned by school (:mod:`plc_analysis.partitioned`): then only
the schools' and teams' tables of every partition are read to plan the batch,
and each team's extract is built from its own school's partition alone, read
when that school's first report is prepared.

Execution model.  Each report runs in its own ``python3`` kernel (a separate
process), so the parallel work is in the kernels; the batch only drives them
and renders HTML.  By default ``--jobs`` threads of the batch process drive
the kernels (papermill in threads, each with its own kernel): on 2 cores this
measured faster than a :class:`concurrent.futures.ProcessPoolExecutor`, whose
workers must import papermill and nbconvert again (seconds) for little gain.
``executor="process"`` (``--executor process``) runs worker processes forked
from a ``forkserver`` instead, for many-core machines where rendering HTML
under one GIL would become the bottleneck.  ``scheduler=`` (``--scheduler
tcp://host:8786``) runs the reports on a Dask distributed cluster instead: the
task carries the notebook's text and the team's extract (bytes) and returns
the executed notebook and its HTML, so the workers need the package and a
``python3`` kernel but no access to the batch's folders.  The time limit is
enforced twice: papermill's per-cell ``execution_timeout`` and a guard thread
that kills the kernel's process group when the whole notebook overruns; Ctrl-C
(or SIGTERM) kills the running kernels (on a cluster too), keeps the finished
reports and saves the manifest.
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import html
import json
import logging
import math
import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from .export import (
    error_page,
    notebook_to_html,
    remove_stale_temp_files,
    write_text_atomic,
)

__all__ = [
    "run_batch",
    "run_report",
    "BatchResult",
    "BatchError",
    "ReportJob",
    "add_batch_arguments",
    "batch_from_args",
    "load_manifest",
    "render_index",
    "STATUSES",
    "FAILED_STATUSES",
    "DEFAULT_NOTEBOOK",
    "DEFAULT_SCHOOL_NOTEBOOK",
    "DEFAULT_TIMEOUT",
    "MANIFEST_NAME",
    "INDEX_NAME",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())  # diagnostics only when the application configures logging

#: Folder of the shipped report notebooks (``<repo>/notebooks``).
NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
#: The team report run by default.
DEFAULT_NOTEBOOK = NOTEBOOK_DIR / "team_report.ipynb"
#: The school report run by default with ``per="school"`` (falls back to the team report).
DEFAULT_SCHOOL_NOTEBOOK = NOTEBOOK_DIR / "support_plan.ipynb"
#: Default per-report time limit, in seconds.
DEFAULT_TIMEOUT = 600.0
#: Kernel startup limit, in seconds (not counted in the per-report time limit).
START_TIMEOUT = 60
#: How long to wait for a Dask scheduler and its first worker, in seconds.
DASK_CONNECT_TIMEOUT = 30.0
MANIFEST_NAME = "manifest.json"
INDEX_NAME = "index.html"
#: File stem of a per-school report inside the school's folder.
SCHOOL_REPORT_STEM = "index-school"
#: Report statuses, in the order the summary lists them.
STATUSES = ("ok", "no data", "failed", "timeout")
#: Statuses that make the exit code 1 and that ``--only-failed`` re-runs.
FAILED_STATUSES = frozenset({"failed", "timeout"})
MANIFEST_VERSION = 1
ENGINE_NAME = "plc-guarded"

Per = Literal["team", "school"]


class BatchError(RuntimeError):
    """A batch that cannot start: unwritable output folder, missing notebook, unknown team."""


# ---------------------------------------------------------------------------
# jobs and results
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportJob:
    """Everything a worker needs to produce one report (picklable).

    Attributes
    ----------
    kind : {"team", "school"}
        What the report is about.
    school_id, team_id : str, str or None
        Whose report it is (``team_id`` is None for school reports).
    school_name, team_name : str
        Display names.
    notebook : str
        Absolute path of the notebook to run.
    parameters : dict
        Papermill parameters.
    ipynb_path, html_path : str
        Absolute output paths.
    timeout : float or None
        Time limit for the notebook once its kernel is up, in seconds.
    kernel_name : str
        Jupyter kernel to run.
    has_data : bool
        Whether there are assessments in the period (``False`` → status
        ``"no data"`` when the notebook succeeds).
    cwd : str or None
        Working folder of the kernel (default: the notebook's folder).
    notebook_source : str or None
        The notebook's JSON, for workers that cannot read ``notebook``
        (a Dask cluster without a shared filesystem).
    extract_files : dict of str to bytes, or None
        The team's extract (file name → content), written to a scratch
        folder on the worker; the parameters named in ``extract_parameters``
        whose value is the placeholder ``"{plc-extract}"`` then point to it.
    extract_parameters : tuple of str
        See ``extract_files``.
    """

    kind: str
    school_id: str
    team_id: str | None
    school_name: str
    team_name: str
    notebook: str
    parameters: dict
    ipynb_path: str
    html_path: str
    timeout: float | None = DEFAULT_TIMEOUT
    kernel_name: str = "python3"
    has_data: bool = True
    cwd: str | None = None
    notebook_source: str | None = field(default=None, repr=False)
    extract_files: dict[str, bytes] | None = field(default=None, repr=False)
    extract_parameters: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Identity of the report in the manifest."""
        return _entry_key(self.kind, self.school_id, self.team_id)

    @property
    def title(self) -> str:
        """Page title of the report."""
        if self.kind == "school":
            return self.school_name
        return f"{self.team_name} — {self.school_name}"


@dataclass
class BatchResult:
    """What :func:`run_batch` did.

    Attributes
    ----------
    out_dir : Path
        The output folder.
    reports : list of dict
        Manifest entries of the reports run by this call, in completion order.
    manifest : dict
        The full manifest as written (including entries kept from earlier runs).
    seconds : float
        Wall-clock time of the whole batch.
    jobs : int
        Worker processes used.
    interrupted : bool
        True when the batch stopped early (Ctrl-C); finished reports are in the
        manifest and ``--only-failed`` resumes the rest.
    executor : str
        ``"thread"``, ``"process"`` or ``"dask"``.
    """

    out_dir: Path
    reports: list[dict] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)
    seconds: float = 0.0
    jobs: int = 1
    interrupted: bool = False
    executor: str = "thread"

    @property
    def counts(self) -> dict[str, int]:
        """Reports run by this call, by status."""
        counter = Counter(r["status"] for r in self.reports)
        return {status: counter.get(status, 0) for status in STATUSES}

    @property
    def failed(self) -> list[dict]:
        """Entries of this call's reports that failed or timed out."""
        return [r for r in self.reports if r["status"] in FAILED_STATUSES]

    @property
    def exit_code(self) -> int:
        """0 when every report ran (``ok`` or ``no data``), else 1."""
        return 1 if (self.failed or self.interrupted) else 0

    @property
    def manifest_path(self) -> Path:
        """Path of ``manifest.json``."""
        return self.out_dir / MANIFEST_NAME

    @property
    def index_path(self) -> Path:
        """Path of ``index.html``."""
        return self.out_dir / INDEX_NAME


def _entry_key(kind: str, school_id: str, team_id: str | None) -> str:
    return f"school:{school_id}" if kind == "school" else f"team:{school_id}/{team_id}"


def _key_of(entry: Mapping[str, Any]) -> str:
    return _entry_key(entry.get("kind", "team"), entry["school_id"], entry.get("team_id"))


def _now() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


# ---------------------------------------------------------------------------
# notebook execution (runs in the worker)
# ---------------------------------------------------------------------------
class _Guard:
    """Wall-clock limit for one notebook: kills the kernel's process group when it runs out.

    A watcher thread also kills the kernel as soon as the batch's abort event
    is set (Ctrl-C in the parent).  The guard carries what the engine learns
    back to :func:`_execute` (the notebook being executed, how it stopped).
    """

    def __init__(self, seconds: float | None, abort: Any = None) -> None:
        self.seconds = seconds
        self.abort = abort
        self.fired = False
        self.aborted = False
        self.client: Any = None
        self.nb: Any = None
        self.status: str | None = None  # "failed" or "timeout" when the engine stopped a cell
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._deadline: float | None = None

    def start(self) -> None:
        """Watch for the abort event (from now) and the time limit (once :meth:`arm` is called)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="plc-batch-guard", daemon=True)
            self._thread.start()

    def arm(self) -> None:
        """Start counting the time limit (called when the kernel is ready)."""
        if self.seconds and self.seconds > 0:
            self._deadline = time.monotonic() + self.seconds

    def stop(self) -> None:
        self._stop.set()

    def _watch(self) -> None:
        while not self._stop.is_set():
            if self.abort is not None and self.abort.is_set():
                self.aborted = True
                logger.info("batch interrupted: stopping a running report")
                self._kill()
                return
            deadline = self._deadline
            if deadline is not None and time.monotonic() >= deadline:
                self.fired = True
                logger.info("report over its %s s limit: killing its kernel", self.seconds)
                self._kill()
                return
            wait = 0.25 if deadline is None else max(0.0, min(0.25, deadline - time.monotonic()))
            self._stop.wait(wait)

    def _kill(self) -> None:
        km = getattr(self.client, "km", None)
        provisioner = getattr(km, "provisioner", None)
        process = getattr(provisioner, "process", None)
        pgid = getattr(provisioner, "pgid", None)
        try:
            if pgid and hasattr(os, "killpg"):
                os.killpg(pgid, signal.SIGKILL)
            elif process is not None:
                process.kill()
        except OSError:  # already gone
            pass


def _engine_classes() -> tuple[type, type]:
    """Build (once) the papermill engine and client that honour a :class:`_Guard`."""
    global _ENGINE_CLASSES
    if _ENGINE_CLASSES is not None:
        return _ENGINE_CLASSES
    import nbformat
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class GuardedClient(PapermillNotebookClient):
        """Papermill's client, plus: timeouts and kernel deaths are recorded in the notebook."""

        guard: _Guard | None = None

        def create_kernel_manager(self) -> Any:
            km = super().create_kernel_manager()
            if os.name == "posix":
                # Unix sockets: no TCP port races between parallel kernels, no plain-text TCP
                # traffic (ipykernel warns about it on every start).  The sockets sit beside the
                # connection file in the Jupyter runtime folder and are removed with it.
                from jupyter_core.paths import jupyter_runtime_dir

                runtime = Path(jupyter_runtime_dir())
                runtime.mkdir(parents=True, exist_ok=True)
                km.transport = "ipc"
                km.ip = str(runtime / f"plc-batch-{uuid.uuid4().hex[:12]}-ipc")
            return km

        kernel_log: Any = None

        def execute(self, **kwargs: Any) -> Any:
            self.reset_execution_trackers()
            kwargs.setdefault("env", _kernel_env())
            # The kernel's own stdout/stderr (startup warnings, a crash message) go to a scratch
            # file instead of the terminal; its tail explains a kernel death in the report.
            with tempfile.TemporaryFile() as log:
                self.kernel_log = log
                kwargs.setdefault("stdout", log)
                kwargs.setdefault("stderr", log)
                with self.setup_kernel(**kwargs):
                    if self.guard is not None:
                        self.guard.arm()  # the time limit counts from a ready kernel
                    self.papermill_execute_cells()
                    if self.guard is None or self.guard.status is None:
                        info_msg = self.wait_for_reply(self.kc.kernel_info())
                        self.nb.metadata["language_info"] = info_msg["content"]["language_info"]
                    self.set_widgets_metadata()
            return self.nb

        def kernel_log_tail(self, limit: int = 400) -> str:
            """The last lines the kernel process wrote outside the notebook (may be empty)."""
            try:
                fd = self.kernel_log.fileno()
                size = os.fstat(fd).st_size
                tail = os.pread(fd, limit, max(0, size - limit)).decode("utf-8", "replace")
            except (AttributeError, OSError, ValueError):
                return ""
            lines = [line.strip() for line in tail.splitlines() if line.strip()]
            return " | ".join(lines[-3:])

        def kernel_exit_text(self) -> str:
            """How the kernel process ended: ``"killed by SIGKILL, ..."`` or ``"exit code 1"`` (may be empty)."""
            process = getattr(getattr(self.km, "provisioner", None), "process", None)
            if process is None:
                return ""
            try:
                code = process.wait(timeout=2)
            except Exception:  # still running (a lost connection) or not a Popen
                return ""
            if code is None:
                return ""
            if code < 0:
                try:
                    name = signal.Signals(-code).name
                except ValueError:
                    name = f"signal {-code}"
                text = f"killed by {name}"
                if -code == getattr(signal, "SIGKILL", 9):
                    text += "; often the machine running out of memory"
                return text
            return f"exit code {code}"

        def papermill_execute_cells(self) -> None:
            for index, cell in enumerate(self.nb.cells):
                try:
                    self.nb_man.cell_start(cell, index)
                    self.execute_cell(cell, index)
                except CellExecutionError as ex:
                    self.nb_man.cell_exception(self.nb.cells[index], cell_index=index, exception=ex)
                    if self.guard is not None:
                        self.guard.status = "failed"
                    break
                except (CellTimeoutError, DeadKernelError) as ex:
                    guard = self.guard
                    timed_out = isinstance(ex, CellTimeoutError) or (guard is not None and guard.fired)
                    if isinstance(ex, CellTimeoutError):
                        ename, evalue = "CellTimeoutError", f"a cell ran longer than {self.timeout} s"
                    elif timed_out:
                        ename, evalue = "NotebookTimeout", (
                            f"the report ran longer than its {guard.seconds:g} s limit and was stopped")
                    else:
                        ename, evalue = "DeadKernelError", "the kernel died while running this cell"
                        how = self.kernel_exit_text()
                        if how:
                            evalue += f" ({how})"
                        said = self.kernel_log_tail()
                        if said:
                            evalue += f" (kernel output: {said})"
                    cell = self.nb.cells[index]
                    cell.setdefault("outputs", []).append(nbformat.v4.new_output(
                        "error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]))
                    self.nb_man.cell_exception(cell, cell_index=index, exception=ex)
                    if guard is not None:
                        guard.status = "timeout" if timed_out else "failed"
                    break
                finally:
                    self.nb_man.cell_complete(self.nb.cells[index], cell_index=index)

    class GuardedEngine(NBClientEngine):
        """NBClient engine whose kernel a :class:`_Guard` can kill, keeping the partial notebook."""

        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, log_output: bool = False,
                                     stdout_file: Any = None, stderr_file: Any = None,
                                     start_timeout: int = START_TIMEOUT, execution_timeout: int | None = None,
                                     guard: _Guard | None = None, kernel_cwd: str | None = None,
                                     **kwargs: Any) -> Any:
            guard = guard or _Guard(None)
            guard.nb = nb_man.nb
            client = GuardedClient(
                nb_man,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logging.getLogger(f"{__name__}.kernel"),
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
                shutdown_kernel="immediate",  # nothing to save in a finished (or stuck) kernel
                resources={"metadata": {"path": kernel_cwd}} if kernel_cwd else {},
            )
            client.guard = guard
            guard.client = client
            guard.start()
            try:
                return client.execute()
            finally:
                guard.stop()

    papermill_engines.register(ENGINE_NAME, GuardedEngine)
    _ENGINE_CLASSES = (GuardedEngine, GuardedClient)
    return _ENGINE_CLASSES


_ENGINE_CLASSES: tuple[type, type] | None = None


def _kernel_env() -> dict[str, str]:
    """The kernel's environment: ours, with this plc_analysis first on ``PYTHONPATH``.

    Every kernel then imports the same plc_analysis as the batch that wrote its
    extract, wherever the notebook is and however the package is installed.
    """
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != root]
    env["PYTHONPATH"] = os.pathsep.join([root, *paths])
    return env


def _error_banner(title: str, ename: str, evalue: str) -> Any:
    import nbformat

    cell = nbformat.v4.new_markdown_cell(
        f'<div style="border-left:4px solid #b42318;background:#fef3f2;padding:.75em 1em">'
        f"<strong>{html.escape(title)}</strong><br><code>{html.escape(ename)}: {html.escape(evalue)}</code></div>")
    cell.metadata["tags"] = ["plc-batch-error"]
    return cell


def _execute(job: ReportJob, abort: Any = None) -> tuple[Any, str, str | None, str | None]:
    """Run the notebook; return ``(notebook or None, status, error name, error value)``.

    The status is ``"interrupted"`` when the batch's abort event (``abort``,
    else this worker process's) stopped it.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    _engine_classes()
    abort = abort if abort is not None else _ABORT
    if abort is not None and abort.is_set():  # queued before Ctrl-C: do not even start a kernel
        return None, "interrupted", "KeyboardInterrupt", "the batch was interrupted"
    guard = _Guard(job.timeout, abort)
    cell_timeout = math.ceil(job.timeout) if job.timeout else None
    try:
        nb = pm.execute_notebook(
            job.notebook,
            None,
            parameters=dict(job.parameters),
            engine_name=ENGINE_NAME,
            kernel_name=job.kernel_name,
            progress_bar=False,
            request_save_on_cell_execute=False,
            log_output=False,
            start_timeout=START_TIMEOUT,
            execution_timeout=cell_timeout,
            guard=guard,
            kernel_cwd=job.cwd or str(Path(job.notebook).parent),
        )
        return nb, "ok", None, None
    except PapermillExecutionError as exc:
        # papermill has marked the failing cell (banner at the top, anchor before the cell) in guard.nb
        status = guard.status if guard.status in FAILED_STATUSES else "failed"
        return guard.nb, "interrupted" if guard.aborted else status, exc.ename, str(exc.evalue)
    except Exception as exc:  # kernel did not start, notebook unreadable, ...
        status = "interrupted" if guard.aborted else "timeout" if guard.fired else "failed"
        ename, evalue = type(exc).__name__, str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        nb = guard.nb
        if nb is not None:
            nb.cells.insert(0, _error_banner("This report stopped before it finished.", ename, evalue))
        logger.info("report %s could not run: %s", job.key, ename)
        return nb, status, ename, evalue
    finally:
        guard.stop()


def _render(job: ReportJob, abort: Any = None, *, input_path: str | None = None) -> dict:
    """Execute one report and render it in memory; write nothing.

    Returns a dict with ``status``, ``seconds``, ``error_name``,
    ``error_value``, ``finished``, ``notebook`` (the executed notebook as
    JSON text, or None) and ``html`` (the page, or None when interrupted).
    Never raises for a notebook problem.
    """
    import nbformat

    started = time.perf_counter()
    nb, status, ename, evalue = _execute(job, abort)
    rendered: dict[str, Any] = {"status": status, "error_name": ename, "error_value": evalue,
                                "notebook": None, "html": None}
    if status != "interrupted":  # an interrupted report is not recorded: the batch leaves its files alone
        if nb is not None:
            if input_path is not None:
                nb.metadata.setdefault("papermill", {})["input_path"] = input_path
            try:
                rendered["notebook"] = nbformat.writes(nb)
            except Exception as exc:
                logger.warning("report %s: could not serialise the notebook: %s", job.key, type(exc).__name__)
                if status not in FAILED_STATUSES:
                    status, ename, evalue = "failed", type(exc).__name__, f"saving the notebook failed: {exc}"
        page = None
        if nb is not None:
            try:
                page = notebook_to_html(nb, title=job.title)
            except Exception as exc:
                logger.warning("report %s: HTML export failed: %s", job.key, type(exc).__name__)
                if status not in FAILED_STATUSES:
                    status, ename, evalue = "failed", type(exc).__name__, f"HTML export failed: {exc}"
        rendered["html"] = page if page is not None else error_page(job.title, ename or "Error", evalue or "")
        if status == "ok" and not job.has_data:
            status = "no data"
        rendered.update(status=status, error_name=ename, error_value=evalue)
    rendered.update(seconds=round(time.perf_counter() - started, 3), finished=_now())
    return rendered


#: errno values after which nothing more can be written to the output folder.
_FATAL_ERRNOS = frozenset(e for e in (getattr(errno, "ENOSPC", None), getattr(errno, "EDQUOT", None),
                                      getattr(errno, "EROFS", None)) if e is not None)


def _write_outputs(job: ReportJob, rendered: Mapping[str, Any]) -> tuple[dict, OSError | None]:
    """Write a rendered report's ``.ipynb`` and ``.html`` atomically; return (outcome, fatal error).

    When a file cannot be written the report is ``failed`` with the reason,
    and neither of its files is left (no new notebook beside last week's
    page).  The second value is the :class:`OSError` when the folder can take
    no more writes (disk full, quota, read-only filesystem), else None.
    """
    status, ename, evalue = rendered["status"], rendered["error_name"], rendered["error_value"]
    ipynb_written: str | None = None
    html_written: str | None = None
    fatal: OSError | None = None
    try:
        Path(job.html_path).parent.mkdir(parents=True, exist_ok=True)
        if rendered.get("notebook") is not None:
            write_text_atomic(job.ipynb_path, rendered["notebook"])
            ipynb_written = job.ipynb_path
        page = rendered.get("html") or error_page(job.title, ename or "Error", evalue or "")
        write_text_atomic(job.html_path, page)
        html_written = job.html_path
    except OSError as exc:
        fatal = exc if exc.errno in _FATAL_ERRNOS else None
        logger.warning("report %s: could not write its files: %s", job.key, exc.strerror or type(exc).__name__)
        why = f"could not write the report: {exc.strerror or exc}"
        if status in FAILED_STATUSES:
            why += f" (the notebook itself: {ename}: {evalue})"
        status, ename, evalue = "failed", type(exc).__name__, why
        for path in (job.ipynb_path, job.html_path):
            try:
                Path(path).unlink(missing_ok=True)
            except OSError:
                pass
        ipynb_written = html_written = None
    outcome = {
        "status": status,
        "seconds": rendered.get("seconds"),
        "error_name": ename,
        "error_value": evalue,
        "finished": rendered.get("finished") or _now(),
        "ipynb": ipynb_written,
        "html": html_written,
    }
    return outcome, fatal


def run_report(job: ReportJob) -> dict:
    """Execute one report notebook and write its ``.ipynb`` and ``.html`` atomically.

    :func:`run_batch` runs the same steps, rendering where the report runs
    and writing in the batch process.  It never raises for a notebook problem
    (exception, dead kernel, timeout): the problem is written into the report
    and returned as the status.

    Parameters
    ----------
    job : ReportJob
        The report to produce.

    Returns
    -------
    dict
        ``status`` (``ok``, ``no data``, ``failed`` or ``timeout``),
        ``seconds``, ``error_name``, ``error_value``, ``finished``, and
        ``ipynb``/``html`` (absolute paths, None when not written).
    """
    rendered = _render(job)
    if rendered["status"] == "interrupted":
        return {**{k: rendered[k] for k in ("status", "seconds", "error_name", "error_value", "finished")},
                "ipynb": None, "html": None}
    outcome, _ = _write_outputs(job, rendered)
    return outcome


#: Value of a parameter that the worker replaces with its local copy of the extract.
EXTRACT_PLACEHOLDER = "{plc-extract}"


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


def _render_remote(job: ReportJob, abort_name: str | None = None) -> dict:
    """Dask task: materialize the notebook and extract in a scratch folder, run, render, return.

    Nothing is written outside the scratch folder (removed at the end), so a
    worker needs no access to the batch's data or output folders.
    """
    abort = _RemoteAbort(abort_name) if abort_name else None
    with tempfile.TemporaryDirectory(prefix="plc-report-") as scratch_name:
        scratch = Path(scratch_name)
        changes: dict[str, Any] = {"notebook_source": None, "extract_files": None}
        if job.notebook_source is not None:
            local = scratch / (Path(job.notebook).name or "report.ipynb")
            local.write_text(job.notebook_source, encoding="utf-8")
            changes["notebook"] = str(local)
            home = Path(job.notebook).parent  # relative paths in the notebook work where the folder is shared
            changes["cwd"] = job.cwd or (str(home) if home.is_dir() else str(scratch))
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
        return _render(replace(job, **changes), abort, input_path=job.notebook)


#: Set by the parent to stop every running report at once (Ctrl-C); one per worker process.
_ABORT: Any = None


def _worker_init(abort: Any = None) -> None:
    """Pool initializer: import the slow modules and register the engine once per worker.

    ``abort`` is set only in worker processes (each serves one batch); threads
    get their batch's event with every task, so batches running side by side
    in one process never stop each other's reports.
    """
    global _ABORT
    if abort is not None:
        _ABORT = abort
    _engine_classes()
    from .export import _exporter

    _exporter()


def _process_worker_init(abort: Any) -> None:
    """Initializer of worker processes: Ctrl-C and SIGTERM are the parent's to handle (it sets ``abort``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _worker_init(abort)


def _interrupt(signum: int, frame: Any) -> None:
    """SIGTERM handler of the parent during a batch: stop like Ctrl-C (running kernels killed)."""
    raise KeyboardInterrupt(f"signal {signum}")


# ---------------------------------------------------------------------------
# manifest and index
# ---------------------------------------------------------------------------
def load_manifest(out_dir: str | Path) -> dict | None:
    """Read ``manifest.json`` from an output folder.

    Parameters
    ----------
    out_dir : str or Path
        The batch output folder.

    Returns
    -------
    dict or None
        The manifest, or None when there is none (or it is unreadable, which
        is logged: a resumed batch then re-runs everything).
    """
    path = Path(out_dir) / MANIFEST_NAME
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        logger.warning("ignoring unreadable %s: %s", path, exc)
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("reports"), list):
        logger.warning("ignoring %s: not a batch manifest", path)
        return None
    return manifest


def _sort_entries(entries: Iterable[dict]) -> list[dict]:
    return sorted(entries, key=lambda e: (str(e.get("school_id")), e.get("kind") != "school",
                                          str(e.get("team_name") or ""), str(e.get("team_id") or "")))


_INDEX_CSS = """
:root { --ok:#1a7f37; --nodata:#57606a; --failed:#b42318; --timeout:#9a6700; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       margin: 0 auto; max-width: 64rem; padding: 1.5rem 1rem 3rem; color: #1f2328; line-height: 1.45; }
h1 { margin-bottom: .2rem; }
.meta { color: #57606a; margin-top: 0; }
.summary span { margin-right: .6rem; }
h2 { margin-top: 2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .25rem; }
h2 small { color: #57606a; font-weight: normal; font-size: .7em; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
col.c-report { width: 52%; } col.c-status { width: 14%; } col.c-seconds { width: 11%; } col.c-files { width: 23%; }
th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid #eaeef2; vertical-align: top; }
th { font-size: .85rem; text-transform: uppercase; letter-spacing: .03em; color: #57606a; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.badge { display: inline-block; padding: .1rem .55rem; border-radius: 1rem; font-size: .8rem;
         font-weight: 600; color: #fff; white-space: nowrap; }
.badge.ok { background: var(--ok); } .badge.no-data { background: var(--nodata); }
.badge.failed { background: var(--failed); } .badge.timeout { background: var(--timeout); }
.error { display: block; margin-top: .3rem; color: var(--failed); font-size: .85rem; white-space: pre-wrap;
         word-break: break-word; }
a { color: #0969da; } .muted { color: #57606a; font-size: .85rem; }
"""


def _badge(status: str) -> str:
    return f'<span class="badge {status.replace(" ", "-")}">{html.escape(status)}</span>'


def render_index(manifest: Mapping[str, Any]) -> str:
    """Render the batch's ``index.html``: every report, grouped by school, with its status.

    Parameters
    ----------
    manifest : mapping
        A batch manifest (see :func:`run_batch`); paths in its entries are
        relative to the output folder.

    Returns
    -------
    str
        A standalone HTML page.
    """
    esc = html.escape
    entries = _sort_entries(manifest.get("reports", []))
    counts = Counter(e.get("status") for e in entries)
    start, end = manifest.get("start") or "", manifest.get("end") or ""
    period = (f"{start} to {end}" if start and end else f"from {start}" if start else f"until {end}" if end
              else "")
    generated = manifest.get("generated", "")
    try:
        generated = datetime.fromisoformat(generated).strftime("%Y-%m-%d %H:%M %Z").strip()
    except (TypeError, ValueError):
        pass
    meta = [f"Generated {esc(str(generated))}"]
    if period:
        meta.append(f"assessments {esc(period)}")
    if manifest.get("notebook"):
        meta.append(f"notebook {esc(Path(str(manifest['notebook'])).name)}")
    if not manifest.get("complete", True):
        meta.append("<strong>batch incomplete</strong> (resume with <code>plc batch --only-failed</code>)")
    summary = " ".join(f"<span>{_badge(s)} {counts.get(s, 0)}</span>" for s in STATUSES if counts.get(s))
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>PLC reports</title>", f"<style>{_INDEX_CSS}</style></head><body>",
        "<h1>PLC reports</h1>", f'<p class="meta">{" · ".join(meta)}</p>',
        f'<p class="summary">{len(entries)} report{"s" if len(entries) != 1 else ""}: {summary}</p>',
    ]
    if not entries:
        parts.append("<p>No reports.</p>")
    schools: dict[str, list[dict]] = {}
    for entry in entries:
        schools.setdefault(str(entry.get("school_id")), []).append(entry)
    for school_id, rows in schools.items():
        name = next((r.get("school_name") for r in rows if r.get("school_name")), school_id)
        parts.append(f'<h2 id="school-{esc(school_id, quote=True)}">{esc(str(name))} '
                     f"<small>{esc(school_id)}</small></h2>")
        parts.append('<table><colgroup><col class="c-report"><col class="c-status"><col class="c-seconds">'
                     '<col class="c-files"></colgroup><thead><tr><th>Report</th><th>Status</th>'
                     '<th class="num">Seconds</th><th>Files</th></tr></thead><tbody>')
        for row in rows:
            label = "Whole school" if row.get("kind") == "school" else str(row.get("team_name") or row.get("team_id"))
            ident = "" if row.get("kind") == "school" else f' <span class="muted">{esc(str(row.get("team_id")))}</span>'
            status = str(row.get("status"))
            error = ""
            if status in FAILED_STATUSES and (row.get("error_name") or row.get("error_value")):
                error = (f'<span class="error">{esc(str(row.get("error_name") or ""))}: '
                         f'{esc(str(row.get("error_value") or ""))}</span>')
            seconds = row.get("seconds")
            seconds_text = f"{seconds:.1f}" if isinstance(seconds, (int, float)) else ""
            links = []
            if row.get("html"):
                links.append(f'<a href="{esc(str(row["html"]), quote=True)}">report</a>')
            if row.get("ipynb"):
                links.append(f'<a class="muted" href="{esc(str(row["ipynb"]), quote=True)}">notebook</a>')
            title = (f'<a href="{esc(str(row["html"]), quote=True)}">{esc(label)}</a>' if row.get("html")
                     else esc(label))
            parts.append(f"<tr><td>{title}{ident}{error}</td><td>{_badge(status)}</td>"
                         f'<td class="num">{seconds_text}</td><td>{" · ".join(links)}</td></tr>')
        parts.append("</tbody></table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


# ---------------------------------------------------------------------------
# planning
# ---------------------------------------------------------------------------
def _default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _safe_name(value: str) -> str:
    """A file-name-safe version of an id (with a short hash when characters had to change)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", value).lstrip(".") or "_"
    if cleaned != value:
        cleaned = f"{cleaned}-{hashlib.sha1(value.encode('utf-8')).hexdigest()[:6]}"
    return cleaned


def _check_out_dir(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"cannot create the output folder {out_dir}: {exc.strerror or exc}") from exc
    if not out_dir.is_dir():
        raise BatchError(f"the output folder {out_dir} is not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".plc-write-test.", dir=out_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise BatchError(f"cannot write to the output folder {out_dir}: {exc.strerror or exc}") from exc


def _parse_value(text: str) -> Any:
    """Type a ``-p`` value like papermill's CLI: int, float, bool, None, else the string."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    return text


def _as_list(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def _date_param(value: Any) -> str:
    if value is None or value == "":
        return ""
    return pd.Timestamp(value).date().isoformat()


def _declared_parameters(notebook: Path) -> set[str]:
    """Names assigned at the top level of the notebook's ``parameters`` cell (Python kernels).

    Read with :mod:`ast` rather than papermill so the parent process never
    pays papermill's multi-second import.  Returns an empty set when the
    notebook has no parameters cell or it cannot be parsed (every built-in
    parameter is then passed, as papermill would inject them anyway).
    """
    import ast

    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return set()
    names: set[str] = set()
    for cell in cells:
        if cell.get("cell_type") != "code" or "parameters" not in cell.get("metadata", {}).get("tags", []):
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return set()
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else (
                [node.target] if isinstance(node, ast.AnnAssign) else [])
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        names.add(leaf.id)
        break
    return names


def _units(dataset: Any, per: str, teams: list[str] | None, schools: list[str] | None) -> list[dict]:
    """The reports to produce: one dict per team (or school) with ids and names."""
    school_names = dict(zip(dataset.schools["school_id"], dataset.schools["name"]))
    if schools is not None:
        unknown = sorted(set(schools) - set(dataset.schools["school_id"]) - set(dataset.teams["school_id"]))
        if unknown:
            raise BatchError(f"no such school(s) in the data: {', '.join(unknown)}")
    if per == "school":
        if teams:
            raise BatchError("--team cannot be combined with --per school")
        ids = sorted(set(dataset.schools["school_id"]) | set(dataset.teams["school_id"].dropna()))
        if schools is not None:
            ids = [s for s in ids if s in set(schools)]
        return [dict(kind="school", school_id=s, team_id=None, school_name=str(school_names.get(s, s)),
                     team_name="") for s in ids]
    frame = dataset.teams
    if teams is not None:
        unknown = sorted(set(teams) - set(frame["team_id"]))
        if unknown:
            raise BatchError(f"no such team(s) in the data: {', '.join(unknown)}")
        frame = frame[frame["team_id"].isin(teams)]
    if schools is not None:
        frame = frame[frame["school_id"].isin(schools)]
    return [dict(kind="team", school_id=str(row.school_id), team_id=str(row.team_id),
                 school_name=str(school_names.get(row.school_id, row.school_id)),
                 team_name=str(row.name if isinstance(row.name, str) and row.name else row.team_id))
            for row in frame.itertuples(index=False)]


def _has_assessments(subset: Any, start: str, end: str) -> bool:
    dates = pd.to_datetime(subset.assessments["date"])
    mask = pd.Series(True, index=dates.index)
    if start:
        mask &= dates >= pd.Timestamp(start)
    if end:
        mask &= dates <= pd.Timestamp(end)
    return bool(mask.any())


def _make_executor(kind: str, workers: int) -> tuple[Executor, Any]:
    """The pool that renders the reports, and the event that aborts its running reports."""
    if kind not in ("process", "thread"):
        raise ValueError(f"executor must be 'process' or 'thread', not {kind!r}")
    if kind == "thread" or workers == 1:
        abort: Any = threading.Event()
        pool: Executor = ThreadPoolExecutor(max_workers=workers, initializer=_worker_init,
                                            thread_name_prefix="plc-batch")
    else:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if context.get_start_method() == "forkserver":
            context.set_forkserver_preload(["plc_analysis.batch", "papermill", "nbconvert"])
        abort = context.Event()
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_process_worker_init,
                                   initargs=(abort,))
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


class _LocalRunner:
    """Reports run by a thread or process pool on this machine."""

    remote = False

    def __init__(self, kind: str, workers: int) -> None:
        self.pool, self.event = _make_executor(kind, workers)
        self.threads = isinstance(self.pool, ThreadPoolExecutor)
        self.kind = "thread" if self.threads else "process"
        self.slots = workers
        self.window = 2 * workers  # a couple queued, so no worker waits while the batch writes files
        self.address: str | None = None

    def submit(self, job: ReportJob) -> Future:
        if self.threads:  # each task carries its batch's event (no process-wide state)
            return self.pool.submit(_render, job, self.event)
        return self.pool.submit(_render, job)

    def abort(self) -> None:
        self.event.set()

    def close(self, pending: Iterable[Future] = ()) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _dask_client(scheduler: Any, workers: int | None) -> tuple[Any, list[Any]]:
    """Connect to the cluster ``scheduler`` names; return the client and what to close afterwards."""
    try:
        import distributed
    except ImportError as exc:
        raise BatchError("running on a Dask cluster needs dask[distributed]: "
                         "pip install 'plc-analysis[dask]'") from exc
    if isinstance(scheduler, distributed.Client):
        return scheduler, []
    if isinstance(scheduler, distributed.deploy.Cluster):
        client = distributed.Client(scheduler)
        return client, [client]
    if not isinstance(scheduler, (str, os.PathLike)):
        raise BatchError(f"scheduler must be an address, 'local', a scheduler file, a dask Client or Cluster, "
                         f"not {type(scheduler).__name__}")
    text = os.fspath(scheduler)
    if text == "local":
        cluster = distributed.LocalCluster(n_workers=workers or _default_jobs(), threads_per_worker=1,
                                           processes=True, dashboard_address=":0",
                                           silence_logs=logging.ERROR)
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


class _DaskRunner:
    """Reports run as tasks on a Dask distributed cluster (no shared filesystem needed)."""

    remote = True
    kind = "dask"

    def __init__(self, scheduler: Any, workers: int | None) -> None:
        self.client, self._owned = _dask_client(scheduler, workers)
        try:
            self.client.wait_for_workers(1, timeout=DASK_CONNECT_TIMEOUT)
        except Exception as exc:
            self._close_owned()
            raise BatchError(f"no Dask worker joined the scheduler at {self.client.scheduler.address} "
                             f"within {DASK_CONNECT_TIMEOUT:g} s") from exc
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
        self._count += 1
        remote = self.client.submit(_render_remote, job, self._abort_name, pure=False, retries=0,
                                    key=f"plc-report-{self._batch}-{self._count}")
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
        from distributed import Event

        try:
            Event(self._abort_name, client=self.client).set()
        except Exception as exc:  # the scheduler is gone: nothing is running there any more
            logger.info("could not signal the Dask workers: %s", type(exc).__name__)

    def close(self, pending: Iterable[Future] = ()) -> None:
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
        self._close_owned()

    def _close_owned(self) -> None:
        for thing in self._owned:
            try:
                thing.close()
            except Exception as exc:
                logger.info("closing %s: %s", type(thing).__name__, type(exc).__name__)
        self._owned = []


def _make_runner(executor: str, jobs: int | None, scheduler: Any) -> _LocalRunner | _DaskRunner:
    if scheduler is not None:
        return _DaskRunner(scheduler, jobs)
    return _LocalRunner(executor, max(1, int(jobs or _default_jobs())))


class _OutputError(Exception):
    """The output folder can take no more writes (disk full, read-only): the batch must stop."""

    def __init__(self, path: str | Path, error: OSError) -> None:
        self.path = Path(path)
        self.error = error
        reason = error.strerror or str(error)
        if error.errno in (getattr(errno, "ENOSPC", -1), getattr(errno, "EDQUOT", -1)):
            reason += " (the disk is full)"
        super().__init__(f"cannot write {self.path}: {reason}")



# ---------------------------------------------------------------------------
# the batch
# ---------------------------------------------------------------------------
def run_batch(
    data_path: str | Path | None = None,
    out_dir: str | Path = "out",
    *,
    notebook: str | Path | None = None,
    jobs: int | None = None,
    timeout: float | None = None,
    teams: str | Sequence[str] | None = None,
    schools: str | Sequence[str] | None = None,
    per: Per | None = None,
    start: str | None = None,
    end: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    only_failed: bool = False,
    extract: bool = True,
    errors: Literal["raise", "quarantine"] = "raise",
    kernel_name: str = "python3",
    progress: bool | None = None,
    executor: Literal["thread", "process"] = "thread",
    scheduler: Any = None,
) -> BatchResult:
    """Run a report notebook once per team (or school) and write HTML reports, a manifest and an index.

    Parameters
    ----------
    data_path : str or Path, optional
        The district: anything :func:`plc_analysis.load_dataset` reads, or a
        folder partitioned by school (:func:`plc_analysis.write_partitioned`),
        of which only the partitions of the schools reported on are read.
        Default: the sample district (or, with ``only_failed``, the one the
        manifest records).
    out_dir : str or Path
        Output folder (created).  Reports go to
        ``<out_dir>/<school_id>/<team_id>.{ipynb,html}``.
    notebook : str or Path, optional
        The notebook to run.  Default: ``notebooks/team_report.ipynb``
        (``notebooks/support_plan.ipynb`` with ``per="school"``).
    jobs : int, optional
        Reports run at once, each in its own kernel (default: the number of
        CPU cores available; on a Dask cluster, its worker threads).
    timeout : float, optional
        Time limit per report, in seconds, counted from a ready kernel
        (default 600).  Enforced per cell by papermill and for the whole
        notebook by killing its kernel; the report's status is then
        ``"timeout"``.
    teams, schools : str or sequence of str, optional
        Only these teams / the teams of these schools.  Unknown ids raise
        :class:`BatchError`.
    per : {"team", "school"}, optional
        One report per team (default) or per school (parameters: no
        ``team_id``; written to ``<out_dir>/<school_id>/index-school.html``).
    start, end : str, optional
        The reporting period (inclusive ISO dates), passed to the notebook;
        a report with no assessments in it gets status ``"no data"``.
    parameters : mapping, optional
        Extra papermill parameters for every report.
    only_failed : bool
        Re-run only the reports that failed or timed out last time, and those
        missing from ``<out_dir>/manifest.json`` (an interrupted batch); keep
        the other entries and files untouched.  Options left as None default
        to the values the manifest records.
    extract : bool
        Pass each notebook a per-team Parquet extract as ``data_path``
        (default, fast); False passes the whole district's path (for a
        partitioned district, the school's partition folder).
    errors : {"raise", "quarantine"}
        How the district is validated (see :func:`plc_analysis.load_dataset`).
    kernel_name : str
        Jupyter kernel.
    progress : bool, optional
        Show a progress bar on stderr (default: when stderr is a terminal).
    executor : {"thread", "process"}
        How the kernels are driven on this machine: threads of this process
        (default, fastest on a few cores) or worker processes (for many
        cores).  Either way every report has its own kernel process.
    scheduler : str or distributed.Client or distributed.deploy.Cluster, optional
        Run the reports on a Dask distributed cluster instead (needs the
        ``dask`` extra): a scheduler address (``"tcp://host:8786"``), the
        path of a scheduler file (``.json``), ``"local"`` (a
        :class:`~distributed.LocalCluster` of ``jobs`` single-threaded worker
        processes, closed afterwards), or a connected ``Client`` or a
        ``Cluster`` (left open).  Each task receives the notebook's text and
        the team's extract and returns the executed notebook and its HTML,
        which this process writes: the workers need this package and the
        kernel installed, not the batch's folders.  With ``extract=False``
        the data path must be readable on the workers under the same path.

    Returns
    -------
    BatchResult
        The entries written, counts by status and the exit code.

    Raises
    ------
    BatchError
        The output folder cannot be written (at the start, or later because
        the disk is full: the manifest then keeps the reports finished so
        far), the notebook does not exist, a requested team or school is not
        in the data, or the Dask cluster cannot be reached.
    PLCDataError
        The district does not validate (with ``errors="raise"``).  For a
        partitioned district only the schools' and teams' tables are checked
        before the batch starts; a school whose partition does not validate
        (or cannot be read) gets its reports marked ``failed`` with the
        problems, and the other schools run.
    KeyboardInterrupt
        Re-raised after the manifest has been saved (finished reports kept).

    Notes
    -----
    The manifest (``manifest.json``) holds the run's settings and one entry
    per report: ``kind`` (team/school), ``team_id``, ``team_name``,
    ``school_id``, ``school_name``, ``notebook``, ``status`` (``ok``, ``no
    data``, ``failed``, ``timeout``), ``seconds``, ``error_name``,
    ``error_value``, ``ipynb`` and ``html`` (relative to ``out_dir``) and
    ``finished``.  A run without team/school filters and without
    ``only_failed`` starts a fresh manifest; otherwise entries of other
    reports are kept.
    """
    from .loading import SAMPLE_PATH, load_dataset
    from .partitioned import is_partitioned, load_partitioned, partition_path

    begun = time.perf_counter()
    out = Path(out_dir).expanduser().resolve()
    _check_out_dir(out)
    remove_stale_temp_files(out)
    previous = load_manifest(out)
    recorded: Mapping[str, Any] = previous if (only_failed and previous) else {}
    if only_failed and previous is None:
        logger.info("no manifest in %s: running every report", out)

    per = per or recorded.get("per") or "team"
    if per not in ("team", "school"):
        raise ValueError(f"per must be 'team' or 'school', not {per!r}")
    if executor not in ("thread", "process"):
        raise ValueError(f"executor must be 'process' or 'thread', not {executor!r}")
    data = Path(data_path if data_path is not None else recorded.get("data_path") or SAMPLE_PATH).expanduser()
    if notebook is None:
        notebook = recorded.get("notebook")
    if notebook is None:
        notebook = DEFAULT_SCHOOL_NOTEBOOK if per == "school" else DEFAULT_NOTEBOOK
    nb_path = Path(notebook).expanduser().resolve()
    if not nb_path.is_file():
        raise BatchError(f"notebook not found: {nb_path}")
    if timeout is None:
        timeout = recorded.get("timeout") or DEFAULT_TIMEOUT
    start = _date_param(start if start is not None else recorded.get("start"))
    end = _date_param(end if end is not None else recorded.get("end"))
    extra = {**dict(recorded.get("parameters") or {}), **dict(parameters or {})}
    partitioned = is_partitioned(data)

    # Start the workers first: their imports (papermill, nbconvert: seconds) overlap with loading the data.
    runner = _make_runner(executor, jobs, scheduler)
    jobs = runner.slots
    dataset: Any = None
    try:
        if partitioned:  # plan from the small tables; each school's partition is read when its turn comes
            catalog = load_partitioned(data, tables=("schools", "teams"), errors=errors)
            units = sorted(_units(catalog, per, _as_list(teams), _as_list(schools)), key=lambda u: u["school_id"])
        else:
            dataset = load_dataset(data, errors=errors)
            units = _units(dataset, per, _as_list(teams), _as_list(schools))
    except BaseException:
        runner.close()
        raise

    keep_old = previous is not None and (only_failed or teams is not None or schools is not None)
    entries: dict[str, dict] = {_key_of(e): e for e in previous["reports"]} if keep_old else {}
    if only_failed:
        done = {k for k, e in entries.items() if e.get("status") not in FAILED_STATUSES}
        units = [u for u in units if _entry_key(u["kind"], u["school_id"], u["team_id"]) not in done]

    manifest: dict[str, Any] = {
        "version": MANIFEST_VERSION,
        "generated": _now(),
        "complete": False,
        "data_path": str(data.resolve()),
        "notebook": str(nb_path),
        "per": per,
        "start": start,
        "end": end,
        "timeout": timeout,
        "parameters": extra,
        "jobs": jobs,
        "executor": runner.kind,
        "reports": [],
    }
    if runner.address:
        manifest["scheduler"] = runner.address

    def save() -> None:
        manifest["generated"] = _now()
        manifest["reports"] = _sort_entries(entries.values())
        for path, text in ((out / MANIFEST_NAME, json.dumps(manifest, indent=2, ensure_ascii=False, default=str)
                            + "\n"), (out / INDEX_NAME, None)):
            try:
                write_text_atomic(path, text if text is not None else render_index(manifest))
            except OSError as exc:
                raise _OutputError(path, exc) from exc

    result = BatchResult(out_dir=out, jobs=jobs, manifest=manifest, executor=runner.kind)
    if not units:
        runner.close()
        manifest["complete"] = True
        save()
        result.seconds = time.perf_counter() - begun
        return result
    try:
        save()
    except _OutputError as exc:
        runner.close()
        raise BatchError(str(exc)) from exc

    declared = _declared_parameters(nb_path)
    notebook_source = nb_path.read_text(encoding="utf-8") if runner.remote else None
    show = (sys.stderr.isatty() if progress is None else progress)
    from tqdm import tqdm

    bar = tqdm(total=len(units), desc="reports", unit="report", file=sys.stderr, disable=not show,
               dynamic_ncols=True)
    scratch = Path(tempfile.mkdtemp(prefix="plc-batch-"))
    previous_sigterm = None
    if threading.current_thread() is threading.main_thread():
        previous_sigterm = signal.signal(signal.SIGTERM, _interrupt)
    pending: dict[Future, tuple[ReportJob, Path | None]] = {}

    def record(job: ReportJob, outcome: dict) -> None:
        def rel(path: str | None) -> str | None:
            return None if path is None else Path(path).relative_to(out).as_posix()

        entry = {
            "kind": job.kind, "team_id": job.team_id, "team_name": job.team_name,
            "school_id": job.school_id, "school_name": job.school_name,
            "notebook": job.notebook, "status": outcome["status"], "seconds": outcome["seconds"],
            "error_name": outcome["error_name"], "error_value": outcome["error_value"],
            "ipynb": rel(outcome["ipynb"]), "html": rel(outcome["html"]), "finished": outcome["finished"],
        }
        entries[job.key] = entry
        result.reports.append(entry)
        save()
        failures = sum(1 for r in result.reports if r["status"] in FAILED_STATUSES)
        bar.set_postfix_str(f"{failures} failed" if failures else "", refresh=False)
        bar.update(1)
        if outcome["status"] in FAILED_STATUSES:
            logger.info("report %s: %s (%s)", job.key, outcome["status"], outcome["error_name"])

    def finish(job: ReportJob, rendered: Mapping[str, Any]) -> None:
        outcome, fatal = _write_outputs(job, rendered)
        record(job, outcome)
        if fatal is not None:
            raise _OutputError(job.html_path, fatal)

    def collect(future: Future) -> None:
        job, extract_dir = pending.pop(future)
        try:
            rendered = future.result()
        except Exception as exc:  # the worker itself broke (a killed worker process, a lost Dask worker)
            ename, evalue = type(exc).__name__, (str(exc).strip() or "the worker process stopped").splitlines()[0]
            rendered = {"status": "failed", "seconds": None, "error_name": ename, "error_value": evalue,
                        "finished": _now(), "notebook": None, "html": error_page(job.title, ename, evalue)}
        if extract_dir is not None:
            shutil.rmtree(extract_dir, ignore_errors=True)
        if rendered["status"] != "interrupted":
            finish(job, rendered)

    def collect_some(block: bool) -> None:
        if block and pending:
            wait(list(pending), timeout=1.0, return_when=FIRST_COMPLETED)
        for future in [f for f in pending if f.done()]:
            collect(future)

    current: list[Any] = [None, None]  # partitioned: [school id, its Dataset or the exception reading it]

    def source_for(school_id: str) -> Any:
        if dataset is not None:
            return dataset
        if current[0] != school_id:
            current[:] = [school_id, None]
            try:
                current[1] = load_partitioned(data, schools=[school_id], errors=errors)
            except Exception as exc:  # this school's reports fail; the other schools run
                logger.warning("school %s: its partition could not be loaded: %s", school_id, type(exc).__name__)
                current[1] = exc
        return current[1]

    try:
        for unit in units:
            while len(pending) >= runner.window:
                collect_some(block=True)
            collect_some(block=False)
            folder = out / _safe_name(unit["school_id"])
            try:
                folder.mkdir(exist_ok=True)
            except OSError as exc:
                raise _OutputError(folder, exc) from exc
            stem = SCHOOL_REPORT_STEM if unit["kind"] == "school" else _safe_name(unit["team_id"])
            job = ReportJob(
                kind=unit["kind"], school_id=unit["school_id"], team_id=unit["team_id"],
                school_name=unit["school_name"], team_name=unit["team_name"], notebook=str(nb_path),
                parameters={}, ipynb_path=str(folder / f"{stem}.ipynb"),
                html_path=str(folder / f"{stem}.html"), timeout=timeout, kernel_name=kernel_name,
            )
            source = source_for(unit["school_id"])
            if isinstance(source, Exception):
                ename, evalue = type(source).__name__, _short(str(source))
                finish(job, {"status": "failed", "seconds": 0.0, "error_name": ename, "error_value": evalue,
                             "finished": _now(), "notebook": None,
                             "html": error_page(job.title, ename, evalue, detail=str(source))})
                continue
            subset = (source.filter(school_id=unit["school_id"]) if unit["kind"] == "school"
                      else source.filter(team_id=unit["team_id"]))
            extract_dir: Path | None = None
            extract_files: dict[str, bytes] | None = None
            data_param = str(partition_path(data, unit["school_id"]).resolve() if partitioned else data.resolve())
            if extract:
                extract_dir = scratch / (_safe_name(unit["school_id"]) + "__" + stem)
                try:
                    subset.write(extract_dir, fmt="parquet")
                except OSError as exc:  # the scratch folder (the system's temporary folder) is full
                    raise _OutputError(extract_dir, exc) from exc
                data_param = str(extract_dir)
                if runner.remote:  # the worker gets the bytes, not a path it may not see
                    extract_files = {p.name: p.read_bytes() for p in sorted(extract_dir.iterdir()) if p.is_file()}
                    shutil.rmtree(extract_dir, ignore_errors=True)
                    extract_dir, data_param = None, EXTRACT_PLACEHOLDER
            builtin: dict[str, Any] = {"school_id": unit["school_id"]}
            if unit["kind"] == "team":
                builtin["team_id"] = unit["team_id"]
            builtin.update(data_path=data_param, start=start, end=end)
            if "extract_path" in declared:
                builtin["extract_path"] = data_param if extract else ""
            if declared:  # pass only what the parameters cell declares (no "unknown parameter" noise)
                builtin = {k: v for k, v in builtin.items() if k in declared}
            job = replace(
                job, parameters={**builtin, **extra}, has_data=_has_assessments(subset, start, end),
                notebook_source=notebook_source, extract_files=extract_files,
                extract_parameters=tuple(k for k in ("data_path", "extract_path") if k in builtin)
                if extract_files is not None else (),
            )
            future = runner.submit(job)
            pending[future] = (job, extract_dir)
        while pending:
            collect_some(block=True)
        manifest["complete"] = True
        save()
    except KeyboardInterrupt:
        result.interrupted = True
        runner.abort()  # running reports kill their kernels within a second
        runner.close(list(pending))
        _collect_finished(pending, collect)  # reports that finished as Ctrl-C came are kept
        try:
            save()
        except _OutputError:
            logger.warning("interrupted, and the manifest could not be saved")
        logger.info("interrupted: %d report(s) finished, manifest saved", len(result.reports))
        raise
    except _OutputError as exc:
        result.interrupted = True
        runner.abort()
        runner.close(list(pending))
        try:
            save()
        except _OutputError:
            pass
        raise BatchError(f"{exc}. The manifest keeps the reports finished so far; free some space "
                         f"(or make the folder writable) and resume with --only-failed.") from exc
    finally:
        runner.close()
        if previous_sigterm is not None:
            signal.signal(signal.SIGTERM, previous_sigterm)
        bar.close()
        shutil.rmtree(scratch, ignore_errors=True)
        result.seconds = time.perf_counter() - begun
    return result


def _collect_finished(pending: Mapping[Future, Any], collect: Any) -> None:
    """After a stop: record the reports whose results arrived (not the interrupted ones)."""
    for future in [f for f in pending if f.done() and not f.cancelled()]:
        try:
            collect(future)
        except (_OutputError, Exception) as exc:  # best effort while stopping
            logger.info("while stopping: %s", type(exc).__name__)


def _short(text: str, lines: int = 3, limit: int = 400) -> str:
    """The first lines of a long message (e.g. a PLCDataError's list of problems), on one line."""
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()]
    short = " ".join(kept[:lines]) + (" …" if len(kept) > lines else "")
    return short if len(short) <= limit else short[: limit - 1] + "…"


# ---------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------
def add_batch_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``plc batch`` options to ``parser``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The (sub)parser for ``plc batch``.

    Returns
    -------
    argparse.ArgumentParser
        The same parser.
    """
    parser.add_argument("--data", default=None,
                        help="district data: canonical folder, OneRoster export or score sheet "
                             "(default: the sample district)")
    parser.add_argument("--out", default="out", help="output folder (default: out)")
    parser.add_argument("--notebook", default=None,
                        help="notebook to run (default: notebooks/team_report.ipynb, or support_plan.ipynb with --per school)")
    parser.add_argument("--jobs", "-j", type=int, default=None,
                        help="reports run at once, each in its own kernel (default: number of CPU cores)")
    parser.add_argument("--timeout", type=float, default=None,
                        help=f"time limit per report in seconds (default: {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--team", action="append", default=None, metavar="TEAM_ID",
                        help="only this team (repeatable)")
    parser.add_argument("--school", action="append", default=None, metavar="SCHOOL_ID",
                        help="only teams of this school (repeatable)")
    parser.add_argument("--per", choices=("team", "school"), default=None,
                        help="one report per team (default) or per school")
    parser.add_argument("--start", default=None, help="first day of the reporting period (YYYY-MM-DD)")
    parser.add_argument("--end", default=None, help="last day of the reporting period (YYYY-MM-DD)")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=None, metavar=("NAME", "VALUE"),
                        help="extra notebook parameter (repeatable)")
    parser.add_argument("--only-failed", action="store_true",
                        help="re-run only reports that failed, timed out or are missing from the manifest")
    parser.add_argument("--quarantine", action="store_true",
                        help="skip invalid rows (listed in the data's rejected rows) instead of stopping")
    parser.add_argument("--no-extract", action="store_true",
                        help="give each notebook the whole district instead of its team's extract (slower)")
    parser.add_argument("--executor", choices=("thread", "process"), default="thread",
                        help="drive the kernels from threads (default) or worker processes (many cores)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run the reports on a Dask cluster: scheduler address (tcp://host:8786), "
                             "scheduler file (.json) or 'local' (needs the dask extra)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.add_argument("--verbose", "-v", action="store_true", help="log diagnostics to stderr")
    return parser


def batch_from_args(args: argparse.Namespace) -> int:
    """Run ``plc batch`` from parsed arguments and print a summary.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed by a parser prepared with :func:`add_batch_arguments`.

    Returns
    -------
    int
        Exit code: 0 every report ran, 1 some failed or timed out, 2 the
        batch could not start (bad output folder, notebook, team id, data or
        cluster address) or had to stop because the output folder could no
        longer be written (disk full), 130 interrupted (Ctrl-C or SIGTERM).
        After 1, 2 (once the cause is fixed) or 130, ``--only-failed``
        resumes.
    """
    from .errors import PLCDataError

    if getattr(args, "verbose", False):
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parameters = {name: _parse_value(value) for name, value in (args.parameter or [])}
    try:
        result = run_batch(
            args.data, args.out, notebook=args.notebook, jobs=args.jobs, timeout=args.timeout,
            teams=args.team, schools=args.school, per=args.per, start=args.start, end=args.end,
            parameters=parameters, only_failed=args.only_failed, extract=not args.no_extract,
            errors="quarantine" if args.quarantine else "raise",
            progress=False if args.quiet else None, executor=getattr(args, "executor", "thread"),
            scheduler=getattr(args, "scheduler", None),
        )
    except BatchError as exc:
        print(f"plc batch: {exc}", file=sys.stderr)
        return 2
    except PLCDataError as exc:
        print(f"plc batch: the data does not validate (use --quarantine to skip bad rows):\n{exc}",
              file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError) as exc:
        print(f"plc batch: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"plc batch: interrupted; finished reports are in {Path(args.out) / MANIFEST_NAME}. "
              "Resume with --only-failed.", file=sys.stderr)
        return 130
    counts = result.counts
    if not result.reports:
        print("Nothing to run" + (" (no failed reports)." if args.only_failed else "."))
    else:
        summary = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
        where = (f"on the Dask cluster at {result.manifest.get('scheduler')}" if result.executor == "dask"
                 else f"with {result.jobs} job(s)")
        print(f"{len(result.reports)} report(s) in {result.seconds:.1f} s {where}: {summary}")
        for entry in result.failed:
            who = entry["team_id"] if entry["kind"] == "team" else "(school)"
            print(f"  {entry['status']:<7} {entry['school_id']}/{who}: {entry['error_name']}: {entry['error_value']}")
    print(f"Index: {result.index_path}")
    return result.exit_code
