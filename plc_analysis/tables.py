"""Report tables: a frame with a text format per column and cell colours, written as HTML in one pass.

Report cells used to return pandas Stylers.  A Styler handles any index,
CSS per cell and Jinja templates, and pays for it: a team report spent about
a tenth of its kernel time deep-copying Stylers and rendering their templates
for a dozen small tables (the largest, every student on every skill, has a
few thousand cells).  A :class:`ReportTable` holds only what report tables
use: a frame shown without its index, a text format per column, cell colours
computed a column at a time, in-cell bars and a caption.  It writes the HTML
directly: no random ids (the same table gives the same bytes), CSS once per
table and inline only on coloured cells.

Cells read exactly as in the equivalent Styler (:meth:`ReportTable.to_styler`,
tested against it): missing values show as ``–``, text is HTML-escaped, floats
without a format show with pandas' ``styler.format.precision`` decimals.  The
Styler remains available for what it alone does (Excel or LaTeX export,
further styling).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from .spreadsheet_out import SpreadsheetSafeStyler
from .text_format import MISSING_TEXT

__all__ = ["ReportTable", "Bar", "NA_TEXT", "TABLE_STYLES"]

#: How a missing value reads (:data:`plc_analysis.text_format.MISSING_TEXT`).
NA_TEXT = MISSING_TEXT
#: The look of every report table (selector within the table → CSS declarations).
TABLE_STYLES: dict[str, str] = {
    "": "border-collapse:collapse;font-size:13px;margin:6px 0 14px 0",
    "th": "text-align:left;background:#F2F2F2;padding:4px 8px;font-weight:600",
    "td": "padding:3px 8px;border-bottom:1px solid #E5E5E5;text-align:left",
    "caption": "caption-side:top;text-align:left;font-weight:600;padding:4px 0",
}
#: Class of the ``<table>``.
TABLE_CLASS = "plc-table"
#: What every selector of :data:`TABLE_STYLES` is scoped to.  ``:not(#…)`` matches every such table
#: and weighs like an id, as the ``#T_…`` selectors of pandas' Styler did: JupyterLab's theme
#: right-aligns cells with ``:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td``, which outweighs
#: ``table.plc-table td``, in the notebook and in the exported page alike.
TABLE_SCOPE = f"table.{TABLE_CLASS}:not(#plc-table-scope)"
_STYLE_BLOCK = (
    '<style type="text/css">'
    + "".join(
        f"{TABLE_SCOPE}{' ' + selector if selector else ''}{{{props}}}" for selector, props in TABLE_STYLES.items()
    )
    + "</style>"
)

#: Formats a cell's value (never missing: missing values read :data:`NA_TEXT`) as text.
Formatter = Callable[[Any], str]
#: CSS declarations for each cell of a column ("" for none), given the column.
ColumnStyle = Callable[[pd.Series], Sequence[str]]


@dataclass(frozen=True)
class Bar:
    """A bar drawn in each cell of a column: the value's place between ``vmin`` and ``vmax``.

    Attributes
    ----------
    vmin, vmax : float
        The values of an empty and of a full cell (values beyond are clipped).
    color : str
        CSS colour of the bar.
    height : float
        Height of the bar, in percent of the cell's.
    width : str
        CSS width of the cell.
    """

    vmin: float = 0.0
    vmax: float = 1.0
    color: str = "#56B4E9"
    height: float = 70.0
    width: str = "9em"

    def css(self, column: pd.Series) -> list[str]:
        """The cells' CSS: the cell width, and the bar for each value that is not missing."""
        values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        span = self.vmax - self.vmin
        filled = np.clip((values - self.vmin) / span if span else np.where(values >= self.vmax, 1.0, 0.0), 0, 1)
        base = f"width:{self.width}"
        return [
            base
            if np.isnan(share)
            else f"{base};background:linear-gradient(90deg, {self.color} {100 * share:.1f}%, transparent "
            f"{100 * share:.1f}%) no-repeat center;background-size:100% {self.height:.1f}%"
            for share in filled
        ]


@dataclass(frozen=True)
class ReportTable:
    """A table for reading: ``data`` shown without its index, formatted and coloured per column.

    Build one with :func:`plc_analysis.report.style_table`; :meth:`map` and
    :meth:`bar` return a new table with more cell colours, like the Styler
    methods of the same names.  Displayed in Jupyter through ``_repr_html_``.

    Attributes
    ----------
    data : DataFrame
        The cells (columns are the headers, in order; the index is not shown).
    formats : mapping of str to callable
        Column → function giving a value's text (missing values read
        :data:`NA_TEXT` whatever the format).  Other columns: text as is
        (HTML-escaped), floats with ``styler.format.precision`` decimals.
    styles : tuple of (str, callable)
        Column and a function giving each of its cells' CSS declarations
        from the whole column; several for one column add up.
    bars : mapping of str to Bar
        Columns drawn as in-cell bars.
    caption : str or None
        Plain text above the table (escaped when written).
    guide : str or None
        "How to read this": one plain sentence under the table saying what to
        look at first (escaped when written).
    """

    data: pd.DataFrame
    formats: Mapping[str, Formatter] = field(default_factory=dict)
    styles: tuple[tuple[str, ColumnStyle], ...] = ()
    bars: Mapping[str, Bar] = field(default_factory=dict)
    caption: str | None = None
    guide: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.data.columns, pd.MultiIndex):
            raise ValueError("a ReportTable has one header row: flatten the columns first")
        unknown = sorted(
            {str(c) for c in [*self.formats, *(c for c, _ in self.styles), *self.bars]}
            - {str(c) for c in self.data.columns}
        )
        if unknown:
            raise KeyError(f"not columns of the table: {', '.join(unknown)}")

    def __repr__(self) -> str:
        rows, columns = self.data.shape
        caption = f", caption={self.caption!r}" if self.caption else ""
        return f"ReportTable({rows} rows × {columns} columns{caption})"

    def with_guide(self, text: str) -> ReportTable:
        """A copy with ``text`` as its "how to read this" sentence (shown under the table)."""
        return replace(self, guide=text)

    def map(self, func: Callable[[Any], str], subset: Sequence[str]) -> ReportTable:
        """A copy with ``func(value)`` (CSS declarations, "" for none) added to each cell of ``subset``."""
        return self.style_columns(lambda column: [func(value) for value in column.tolist()], subset)

    def style_columns(self, func: ColumnStyle, subset: Sequence[str]) -> ReportTable:
        """A copy with ``func(column)`` (CSS declarations per cell) added to each column of ``subset``."""
        return replace(self, styles=(*self.styles, *((column, func) for column in subset)))

    def bar(
        self,
        subset: Sequence[str],
        *,
        vmin: float = 0.0,
        vmax: float = 1.0,
        color: str = "#56B4E9",
        height: float = 70.0,
        width: str = "9em",
    ) -> ReportTable:
        """A copy whose ``subset`` columns show each value as a bar (see :class:`Bar`) beside its text."""
        spec = Bar(vmin, vmax, color, height, width)
        return replace(self, bars={**self.bars, **dict.fromkeys(subset, spec)})

    def to_html(self) -> str:
        """The table as an HTML fragment: a ``<style>`` for the table's look, then the ``<table>``."""
        data = self.data
        precision = int(pd.get_option("styler.format.precision"))
        texts = [_cell_texts(data.iloc[:, i], self.formats.get(name), precision) for i, name in enumerate(data.columns)]
        css = [self._column_css(i, name) for i, name in enumerate(data.columns)]
        parts = [_STYLE_BLOCK, f'<table class="{TABLE_CLASS}">']
        if self.caption:
            parts.append(f"<caption>{html.escape(self.caption)}</caption>")
        parts.append(
            "<thead><tr>"
            + "".join(f'<th scope="col">{html.escape(str(name))}</th>' for name in data.columns)
            + "</tr></thead><tbody>"
        )
        for row in range(len(data)):
            cells = []
            for column_texts, column_css in zip(texts, css):
                style = column_css[row] if column_css is not None else ""
                cells.append(
                    f'<td style="{html.escape(style)}">{column_texts[row]}</td>'
                    if style
                    else f"<td>{column_texts[row]}</td>"
                )
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("</tbody></table>")
        if self.guide:
            parts.append(
                '<p style="color:#444;font-size:90%;margin:2px 0 12px 0"><em>How to read this:</em> '
                f"{html.escape(self.guide)}</p>"
            )
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()

    def _column_css(self, position: int, name: Any) -> list[str] | None:
        """CSS declarations of each cell of one column (None when none has any)."""
        column = self.data.iloc[:, position]
        found = [list(style(column)) for styled, style in self.styles if styled == name]
        if name in self.bars:
            found.append(self.bars[name].css(column))
        for declarations in found:
            if len(declarations) != len(column):
                raise ValueError(
                    f"column {name!r}: a cell style gave {len(declarations)} values for {len(column)} cells"
                )
        if not found:
            return None
        return [";".join(d.strip().rstrip(";") for d in cell if d and d.strip()) for cell in zip(*found)]

    def to_styler(self) -> Styler:
        """The same table as a pandas Styler (for ``to_excel``, ``to_latex`` or further styling).

        Its ``to_excel`` writes text that would start a formula (``=``,
        ``+``, ``-``, ``@``) as text (see :mod:`plc_analysis.spreadsheet_out`).
        """
        styler = (
            SpreadsheetSafeStyler(self.data)
            .hide(axis="index")
            .format(dict(self.formats), na_rep=NA_TEXT, escape="html")
            .format_index(escape="html", axis="columns")
        )
        for column, style in self.styles:
            styler = styler.apply(lambda values, f=style: list(f(values)), subset=[column])
        for column, spec in self.bars.items():
            styler = styler.apply(lambda values, s=spec: s.css(values), subset=[column])
        styler = styler.set_table_styles(
            [{"selector": selector, "props": props} for selector, props in TABLE_STYLES.items()]
        )
        return styler.set_caption(html.escape(self.caption)) if self.caption else styler


def _cell_texts(column: pd.Series, formatter: Formatter | None, precision: int) -> list[str]:
    """Each cell's HTML text, as pandas' Styler writes it with ``na_rep`` and ``escape="html"``.

    Text is escaped before it is formatted; a value that is neither text nor
    a number is escaped after it is turned into text, so no value can carry
    markup into the page.
    """
    missing = pd.isna(column).to_numpy(dtype=bool)
    texts = []
    for value, absent in zip(column.tolist(), missing):
        if absent:
            texts.append(NA_TEXT)
            continue
        if isinstance(value, str):
            value = html.escape(value)
        if formatter is not None:
            texts.append(str(formatter(value)))
        elif isinstance(value, (float, complex, np.floating, np.complexfloating)):
            texts.append(f"{value:.{precision}f}")
        elif isinstance(value, str):
            texts.append(value)
        else:
            texts.append(html.escape(str(value)))
    return texts
