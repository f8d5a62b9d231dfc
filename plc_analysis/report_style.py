"""How the reports look: tints of proficiency levels, signals and goal statuses, styled tables, notes.

Shared by the team report's blocks (:mod:`plc_analysis.report`) and the school
and district reports (:mod:`plc_analysis.report_scopes`); nothing here computes
a statistic or knows a team.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .audience import AudienceRule
from .plots import level_of
from .tables import ReportTable
from .text_format import percent_text

__all__ = [
    "HTML",
    "note_html",
    "audience_banner",
    "style_table",
    "fixed_point",
    "level_tints",
    "goal_status_tint",
    "LEVEL_TINTS",
    "GOAL_STATUS_TINTS",
    "SIGNAL_TINTS",
    "SHARE_BAR_COLOUR",
]

#: Background of a cell by proficiency level (light versions of :data:`plc_analysis.plots.LEVEL_COLORS`).
LEVEL_TINTS = {"below": "#F7D9C4", "approaching": "#FBE8C0", "proficient": "#CCE3F2", "no data": "#EEEEEE"}
#: Background of a SMART goal's status cell.
GOAL_STATUS_TINTS = {
    "met": "#CDEBDF",
    "on track": "#CCE3F2",
    "at risk": "#FBE8C0",
    "off track": "#F7D9C4",
    "not enough data": "#EEEEEE",
}
#: Background of a comparison signal cell ("" = none).
SIGNAL_TINTS = {
    "stronger than team": "#CDEBDF",
    "weaker than team": "#F7D9C4",
    "no clear difference": "",
    "too few students": "#EEEEEE",
    "stronger than other teams": "#CDEBDF",
    "weaker than other teams": "#F7D9C4",
}


#: The bars of share columns.
SHARE_BAR_COLOUR = "#56B4E9"  # Okabe–Ito sky blue


class HTML:
    """Minimal rich-display wrapper (what IPython.display.HTML does) without importing IPython here."""

    def __init__(self, markup: str):
        self.data = markup

    def _repr_html_(self) -> str:
        return self.data

    def __str__(self) -> str:
        return self.data


def note_html(text: str, kind: str = "note") -> HTML:
    """A short boxed note (``kind``: note, warning, good)."""
    colours = {"note": "#EEF3F8", "warning": "#FBE8C0", "good": "#CDEBDF"}
    return HTML(
        f'<div style="background:{colours.get(kind, "#EEF3F8")};padding:8px 12px;border-radius:4px;'
        f'margin:6px 0">{html.escape(text)}</div>'
    )


def audience_banner(rule: AudienceRule) -> HTML:
    """The line at the top of every report saying who it is for and what that audience may see."""
    return HTML(
        f'<p class="plc-audience" data-audience="{html.escape(rule.name, quote=True)}" '
        'style="border:1px solid #8C8C8C;border-radius:4px;padding:4px 10px;display:inline-block;'
        f'margin:4px 0 10px;font-size:0.95em">{html.escape(rule.statement)}</p>'
    )


def style_table(
    frame: pd.DataFrame,
    *,
    percent: tuple[str, ...] = (),
    decimals: dict[str, int] | None = None,
    level: tuple[str, ...] = (),
    signal: str | None = None,
    caption: str | None = None,
    guide: str | None = None,
) -> ReportTable:
    """A readable table: no index, percentages formatted, proficiency and signal colours.

    Parameters
    ----------
    frame : DataFrame
    percent : tuple of str
        Columns holding shares 0–1, shown as percentages.
    decimals : dict, optional
        Column → number of decimals.
    level : tuple of str
        Share columns whose cells are tinted by proficiency level.
    signal : str, optional
        Column whose cells are tinted by comparison signal.
    caption : str, optional
    guide : str, optional
        "How to read this": one plain sentence shown under the table.

    Returns
    -------
    ReportTable
        Written as HTML in one pass; :meth:`~plc_analysis.tables.ReportTable.to_styler`
        gives the same table as a pandas Styler.  Cells and headers hold names and
        descriptions typed by people: they are escaped, so "<" or "&" show as typed
        and markup in the data cannot run in the report.
    """
    formats: dict[str, Callable[[Any], str]] = {c: percent_text for c in percent if c in frame}
    for column, places in (decimals or {}).items():
        if column in frame:
            formats[column] = fixed_point(places)
    table = ReportTable(frame, formats=formats, caption=caption, guide=guide)
    table = table.style_columns(level_tints, [c for c in level if c in frame])
    if signal and signal in frame:
        table = table.map(
            lambda v: f"background-color:{SIGNAL_TINTS[v]}" if SIGNAL_TINTS.get(v) else "", subset=[signal]
        )
    return table


def fixed_point(places: int) -> Callable[[Any], str]:
    """Formatter of a number with ``places`` decimals."""
    return lambda value: f"{value:.{places}f}"


def level_tints(shares: pd.Series, **cuts: float) -> list[str]:
    """Background colour of each share's proficiency level (``cuts``: :func:`~plc_analysis.plots.level_of`'s)."""
    return [
        f"background-color:{LEVEL_TINTS[str(level)]}"
        for level in level_of(shares.to_numpy(dtype=float, na_value=np.nan), **cuts)
    ]


def goal_status_tint(status: object) -> str:
    """Background colour of a SMART goal's status ("" for an unknown one)."""
    return f"background-color:{GOAL_STATUS_TINTS[status]}" if status in GOAL_STATUS_TINTS else ""
