"""The batch's ``index.html``: the district overview, then every report grouped by school, with its status."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from .settings import FAILED_STATUSES, STATUSES

__all__ = ["render_index", "sort_entries"]

#: Link text of the district overview at the top of the index.
OVERVIEW_LABEL = "District overview (aggregates only)"

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
col.c-report { width: 40%; } col.c-audience { width: 12%; } col.c-status { width: 12%; } col.c-seconds { width: 10%; }
col.c-files { width: 26%; }
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
.overview { font-size: 1.1rem; margin: 1rem 0; padding: .6rem .9rem; border: 1px solid #d0d7de; border-radius: .4rem; }
"""

_TABLE_HEAD = (
    '<table><colgroup><col class="c-report"><col class="c-audience"><col class="c-status"><col class="c-seconds">'
    '<col class="c-files"></colgroup><thead><tr><th>Report</th><th>Audience</th><th>Status</th>'
    '<th class="num">Seconds</th><th>Files</th></tr></thead><tbody>'
)

esc = html.escape


def sort_entries(entries: Iterable[dict]) -> list[dict]:
    """Manifest entries in index order: by school, the school report first, then teams by name."""
    return sorted(
        entries,
        key=lambda e: (
            str(e.get("school_id")),
            e.get("kind") != "school",
            str(e.get("team_name") or ""),
            str(e.get("team_id") or ""),
        ),
    )


def render_index(manifest: Mapping[str, Any]) -> str:
    """Render the batch's ``index.html``: every report, grouped by school, with its status.

    Parameters
    ----------
    manifest : mapping
        A batch manifest (see :func:`plc_analysis.batch.run_batch`); paths in
        its entries are relative to the output folder.  An ``"overview"``
        entry (the district overview of ``plc report``) is linked at the top.

    Returns
    -------
    str
        A standalone HTML page.
    """
    entries = sort_entries(manifest.get("reports", []))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>PLC reports</title>",
        f"<style>{_INDEX_CSS}</style></head><body>",
        "<h1>PLC reports</h1>",
        f'<p class="meta">{_meta_line(manifest)}</p>',
    ]
    overview = manifest.get("overview")
    if isinstance(overview, Mapping):
        parts.append(_overview_line(overview))
    parts.append(_summary_line(entries))
    if not entries:
        parts.append("<p>No reports.</p>")
    for school_id, rows in _by_school(entries).items():
        parts.extend(_school_section(school_id, rows))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _badge(status: str) -> str:
    return f'<span class="badge {status.replace(" ", "-")}">{esc(status)}</span>'


def _meta_line(manifest: Mapping[str, Any]) -> str:
    """When the batch ran, its period and notebook, and whether it is incomplete."""
    start, end = manifest.get("start") or "", manifest.get("end") or ""
    period = f"{start} to {end}" if start and end else f"from {start}" if start else f"until {end}" if end else ""
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
    return " · ".join(meta)


def _summary_line(entries: list[dict]) -> str:
    """How many reports, by status."""
    counts = Counter(e.get("status") for e in entries)
    summary = " ".join(f"<span>{_badge(s)} {counts.get(s, 0)}</span>" for s in STATUSES if counts.get(s))
    return f'<p class="summary">{len(entries)} report{"s" if len(entries) != 1 else ""}: {summary}</p>'


def _error_text(row: Mapping[str, Any]) -> str:
    """The error of a failed report, or ``""``."""
    if str(row.get("status")) in FAILED_STATUSES and (row.get("error_name") or row.get("error_value")):
        return (
            f'<span class="error">{esc(str(row.get("error_name") or ""))}: '
            f"{esc(str(row.get('error_value') or ''))}</span>"
        )
    return ""


def _overview_line(overview: Mapping[str, Any]) -> str:
    """The district overview's link, status and notebook, above the team reports."""
    status = str(overview.get("status"))
    title = (
        f'<a href="{esc(str(overview["html"]), quote=True)}"><strong>{esc(OVERVIEW_LABEL)}</strong></a>'
        if overview.get("html")
        else f"<strong>{esc(OVERVIEW_LABEL)}</strong>"
    )
    files = " · ".join(_file_links(overview))
    audience = (
        f' · <span class="audience">audience: {esc(str(overview["audience"]))}</span>'
        if overview.get("audience")
        else ""
    )
    badge = "" if status == "ok" else f" {_badge(status)}"
    return (
        f'<p class="overview" id="district-overview">{title}{badge}{audience}{" · " + files if files else ""}'
        f"{_error_text(overview)}</p>"
    )


def _file_links(row: Mapping[str, Any]) -> list[str]:
    """Links to a report's HTML page, its PDF (or why there is none) and its notebook."""
    links = []
    if row.get("html"):
        links.append(f'<a href="{esc(str(row["html"]), quote=True)}">HTML</a>')
    if row.get("pdf"):
        links.append(f'<a href="{esc(str(row["pdf"]), quote=True)}">PDF</a>')
    elif row.get("pdf_error"):
        links.append(f'<span class="muted" title="{esc(str(row["pdf_error"]), quote=True)}">no PDF</span>')
    if row.get("ipynb"):
        links.append(f'<a class="muted" href="{esc(str(row["ipynb"]), quote=True)}">notebook</a>')
    return links


def _by_school(entries: list[dict]) -> dict[str, list[dict]]:
    schools: dict[str, list[dict]] = {}
    for entry in entries:
        schools.setdefault(str(entry.get("school_id")), []).append(entry)
    return schools


def _school_section(school_id: str, rows: list[dict]) -> list[str]:
    """A school's heading and the table of its reports."""
    name = next((r.get("school_name") for r in rows if r.get("school_name")), school_id)
    return [
        f'<h2 id="school-{esc(school_id, quote=True)}">{esc(str(name))} <small>{esc(school_id)}</small></h2>',
        _TABLE_HEAD,
        *(_report_row(row) for row in rows),
        "</tbody></table>",
    ]


def _report_row(row: Mapping[str, Any]) -> str:
    """One report's row: name (linked), status, seconds, files."""
    label = "Whole school" if row.get("kind") == "school" else str(row.get("team_name") or row.get("team_id"))
    ident = "" if row.get("kind") == "school" else f' <span class="muted">{esc(str(row.get("team_id")))}</span>'
    status = str(row.get("status"))
    seconds = row.get("seconds")
    seconds_text = f"{seconds:.1f}" if isinstance(seconds, (int, float)) else ""
    links = _file_links(row)
    audience = esc(str(row.get("audience") or ""))
    title = f'<a href="{esc(str(row["html"]), quote=True)}">{esc(label)}</a>' if row.get("html") else esc(label)
    return (
        f"<tr><td>{title}{ident}{_error_text(row)}</td><td>{audience}</td><td>{_badge(status)}</td>"
        f'<td class="num">{seconds_text}</td><td>{" · ".join(links)}</td></tr>'
    )
