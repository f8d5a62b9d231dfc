"""Run one report notebook and render it in memory: the work a batch worker does.

:func:`render_job` executes a :class:`~plc_analysis.batch.jobs.ReportJob` with
the guarded papermill engine and returns the executed notebook (JSON text)
and its HTML page; it writes nothing and never raises for a notebook problem.
Thread, process and Dask workers all call it (it is importable at module
level, so process pools and Dask can pickle it by reference).
"""

from __future__ import annotations

import html
import logging
import math
import time
from pathlib import Path
from typing import Any

from ..export import error_page, notebook_to_html
from .engine import engine_classes
from .guard import KernelGuard
from .jobs import ReportJob, now
from .settings import ENGINE_NAME, FAILED_STATUSES, START_TIMEOUT

__all__ = ["render_job", "execute_report", "init_worker"]

logger = logging.getLogger(__name__)

#: Set by the parent to stop every running report at once (Ctrl-C); one per worker process.
_ABORT: Any = None


def _error_banner(title: str, ename: str, evalue: str) -> Any:
    import nbformat

    cell = nbformat.v4.new_markdown_cell(
        f'<div style="border-left:4px solid #b42318;background:#fef3f2;padding:.75em 1em">'
        f"<strong>{html.escape(title)}</strong><br><code>{html.escape(ename)}: {html.escape(evalue)}</code></div>"
    )
    cell.metadata["tags"] = ["plc-batch-error"]
    return cell


def execute_report(job: ReportJob, abort: Any = None) -> tuple[Any, str, str | None, str | None]:
    """Run the notebook; return ``(notebook or None, status, error name, error value)``.

    The status is ``"interrupted"`` when the batch's abort event (``abort``,
    else this worker process's) stopped it.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    engine_classes()
    abort = abort if abort is not None else _ABORT
    if abort is not None and abort.is_set():  # queued before Ctrl-C: do not even start a kernel
        return None, "interrupted", "KeyboardInterrupt", "the batch was interrupted"
    guard = KernelGuard(job.timeout, abort)
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
            reuse_kernel=job.reuse_kernel,
            kernel_setup=job.kernel_setup,
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


def render_job(job: ReportJob, abort: Any = None, *, input_path: str | None = None) -> dict:
    """Execute one report and render it in memory; write nothing.

    Returns a dict with ``status``, ``seconds``, ``error_name``,
    ``error_value``, ``finished``, ``notebook`` (the executed notebook as
    JSON text, or None) and ``html`` (the page, or None when interrupted).
    Never raises for a notebook problem.
    """
    import nbformat

    started = time.perf_counter()
    nb, status, ename, evalue = execute_report(job, abort)
    rendered: dict[str, Any] = {
        "status": status,
        "error_name": ename,
        "error_value": evalue,
        "notebook": None,
        "html": None,
    }
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
    rendered.update(seconds=round(time.perf_counter() - started, 3), finished=now())
    return rendered


def init_worker(abort: Any = None) -> None:
    """Pool initializer: import the slow modules and register the engine once per worker.

    ``abort`` is set only in worker processes (each serves one batch); threads
    get their batch's event with every task, so batches running side by side
    in one process never stop each other's reports.
    """
    global _ABORT
    if abort is not None:
        _ABORT = abort
    engine_classes()
    from ..export import html_exporter

    html_exporter()
