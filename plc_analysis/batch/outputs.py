"""Write a rendered report's files atomically, and tell a failed report from a full disk."""

from __future__ import annotations

import errno
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..export import error_page, write_text_atomic
from .execute import render_job
from .jobs import ReportJob, now
from .settings import FAILED_STATUSES

__all__ = ["run_report", "write_outputs", "OutputError", "folder_is_full"]

logger = logging.getLogger(__name__)

#: errno values after which nothing more can be written to the output folder.
_FATAL_ERRNOS = frozenset(
    e
    for e in (getattr(errno, "ENOSPC", None), getattr(errno, "EDQUOT", None), getattr(errno, "EROFS", None))
    if e is not None
)


def folder_is_full(error: OSError) -> bool:
    """Whether the folder written to can take no more writes (disk full, quota, read-only): the batch must stop.

    Any other error (a name or path too long, a permission on one file) is
    the failure of the report being written, not of the batch.
    """
    return error.errno in _FATAL_ERRNOS


def write_outputs(job: ReportJob, rendered: Mapping[str, Any]) -> tuple[dict, OSError | None]:
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
        fatal = exc if folder_is_full(exc) else None
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
        "finished": rendered.get("finished") or now(),
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
    rendered = render_job(job)
    if rendered["status"] == "interrupted":
        return {
            **{k: rendered[k] for k in ("status", "seconds", "error_name", "error_value", "finished")},
            "ipynb": None,
            "html": None,
        }
    outcome, _ = write_outputs(job, rendered)
    return outcome


class OutputError(Exception):
    """The output folder can take no more writes (disk full, read-only): the batch must stop."""

    def __init__(self, path: str | Path, error: OSError) -> None:
        self.path = Path(path)
        self.error = error
        reason = error.strerror or str(error)
        if error.errno in (getattr(errno, "ENOSPC", -1), getattr(errno, "EDQUOT", -1)):
            reason += " (the disk is full)"
        super().__init__(f"cannot write {self.path}: {reason}")
