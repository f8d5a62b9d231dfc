"""PDFs of a batch's reports: every HTML report of the manifest printed by one browser, linked from the index.

:func:`print_batch` runs after the reports (``plc batch --pdf``, ``plc report
--pdf``): it reads ``manifest.json``, prints each report that ran (``ok`` or
``no data``, and the district overview) beside its HTML as ``<stem>.pdf``,
records ``pdf`` (or ``pdf_error``) in its entry and saves the manifest, which
re-renders ``index.html``.  One report that cannot be printed never stops the
others.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

from ..print_pdf import PdfUnavailable, ReportPrinter, running_header
from .jobs import BatchError
from .manifest import load_manifest, save_manifest
from .outputs import OutputError
from .settings import FAILED_STATUSES

__all__ = ["print_batch", "report_period"]

logger = logging.getLogger(__name__)


def report_period(manifest: Mapping[str, Any]) -> str:
    """The batch's reporting period as text for a running header (``""`` when the whole year was used)."""
    start, end = manifest.get("start") or "", manifest.get("end") or ""
    if start and end:
        return f"{start} to {end}"
    return f"from {start}" if start else f"until {end}" if end else "all assessments to date"


def _title(entry: Mapping[str, Any]) -> str:
    kind = entry.get("kind")
    if kind == "district":
        return "District overview"
    if kind == "school":
        return f"{entry.get('school_name') or entry.get('school_id')} — support plan"
    return f"{entry.get('team_name') or entry.get('team_id')} — {entry.get('school_name') or entry.get('school_id')}"


def print_batch(out_dir: str | Path, *, executable: str | None = None) -> dict[str, int]:
    """Print every finished report of the batch in ``out_dir`` to PDF with one browser.

    Parameters
    ----------
    out_dir : str or Path
        A batch's output folder (with ``manifest.json``).
    executable : str, optional
        The Chromium to use (default :func:`~plc_analysis.print_pdf.find_chromium`).

    Returns
    -------
    dict
        ``{"printed": n, "failed": n}``.

    Raises
    ------
    BatchError
        No manifest in ``out_dir``, no browser to print with, or the manifest
        can no longer be written.
    """
    out = Path(out_dir).expanduser().resolve()
    manifest = load_manifest(out)
    if manifest is None:
        raise BatchError(f"no batch in {out} (no manifest.json): run the reports first")
    entries: list[MutableMapping[str, Any]] = list(manifest.get("reports", []))
    if isinstance(manifest.get("overview"), MutableMapping):
        entries.append(manifest["overview"])
    todo = [e for e in entries if e.get("html") and e.get("status") not in FAILED_STATUSES]
    period = report_period(manifest)
    counts = {"printed": 0, "failed": 0}
    try:
        with ReportPrinter(executable) as printer:
            for entry in todo:
                html_path = out / str(entry["html"])
                pdf_rel = Path(str(entry["html"])).with_suffix(".pdf").as_posix()
                header = running_header(_title(entry), period, str(entry.get("audience") or ""))
                try:
                    printer.print(html_path, out / pdf_rel, header)
                except Exception as exc:  # one page that cannot be printed never stops the others
                    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                    logger.warning("could not print %s: %s", entry["html"], reason)
                    entry["pdf"], entry["pdf_error"] = None, f"{type(exc).__name__}: {reason}"
                    counts["failed"] += 1
                else:
                    entry["pdf"] = pdf_rel
                    entry.pop("pdf_error", None)
                    counts["printed"] += 1
    except PdfUnavailable as exc:
        raise BatchError(f"PDFs not written: {exc}") from exc
    finally:
        try:
            save_manifest(out, dict(manifest))
        except OutputError as exc:
            raise BatchError(str(exc)) from exc
    return counts
