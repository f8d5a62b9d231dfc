"""Write a file a person opens in a spreadsheet: CSV and Excel cells that cannot run as formulas.

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``,
``-`` or ``@`` as a formula (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``), and a
leading tab or carriage return can hide such a start.  Any text the tool did
not write itself (a column name, a student's name, a reason quoting a cell)
may start that way, so every CSV or Excel file the tool writes for people
(``rejected.csv``, :meth:`ReportTable.to_styler().to_excel()
<plc_analysis.ReportTable.to_styler>`) goes through this module, which applies
OWASP's CSV-injection rule: such a cell is written with a leading single quote
(``'=HYPERLINK(...)``), which spreadsheets show as text.  A number (``-3``,
``+2.5``) is left alone.  HTML reports are not affected: they escape markup and
never run formulas.

Canonical data folders (:meth:`Dataset.write <plc_analysis.Dataset.write>`)
are data for the tool, not for people, and are written exactly as loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

__all__ = ["FORMULA_STARTS", "neutralise_cell", "neutralise_formulas", "write_people_csv", "SpreadsheetSafeStyler"]

#: First characters that make a spreadsheet read a cell as a formula (OWASP: =, +, -, @, tab, carriage return).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def neutralise_cell(value: Any) -> Any:
    """``value`` as a spreadsheet shows it without running it: a leading ``'`` before a formula start.

    Parameters
    ----------
    value : object
        A cell; only text is changed.

    Returns
    -------
    object
        ``"'" + value`` for text that starts (after any spaces) with one of
        :data:`FORMULA_STARTS` and is not a plain number; ``value`` otherwise.
    """
    if not isinstance(value, str):
        return value
    if value.lstrip(" ").startswith(FORMULA_STARTS) and not _is_number(value):
        return "'" + value
    return value


def _neutral_labels(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return index.set_levels([_neutral_labels(level) for level in index.levels])
    if index.dtype == object or pd.api.types.is_string_dtype(index):
        return pd.Index([neutralise_cell(v) for v in index], name=index.name)
    return index


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell, column name and index label passed through :func:`neutralise_cell`.

    Parameters
    ----------
    frame : DataFrame
        Any table about to be written for a spreadsheet.

    Returns
    -------
    DataFrame
        Same shape, index and columns (names neutralised too); numbers,
        dates and missing cells unchanged.
    """
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if column.dtype == object or pd.api.types.is_string_dtype(column):
            mapped = column.map(neutralise_cell, na_action="ignore")
            out.isetitem(position, mapped.astype(column.dtype) if column.dtype != object else mapped)
    out.columns = _neutral_labels(out.columns)
    out.index = _neutral_labels(out.index)
    return out


def write_people_csv(frame: pd.DataFrame, path: str | Path, **to_csv: Any) -> Path:
    """Write ``frame`` as CSV for people, formula starts neutralised.

    Parameters
    ----------
    frame : DataFrame
        The table.
    path : str or Path
        Destination file.
    **to_csv
        Passed to :meth:`DataFrame.to_csv` (default ``index=False``).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    to_csv.setdefault("index", False)
    neutralise_formulas(frame).to_csv(path, **to_csv)
    return path


class SpreadsheetSafeStyler(Styler):
    """A pandas Styler whose :meth:`to_excel` writes formula starts as text; its HTML is unchanged."""

    _styles_computed = False

    def _compute(self) -> Styler:
        # while to_excel writes the neutralised cells, keep the styles computed from the cells as shown
        return self if self._styles_computed else super()._compute()

    def to_excel(self, *args: Any, **kwargs: Any) -> None:
        """Like :meth:`pandas.io.formats.style.Styler.to_excel`, each text cell and label neutralised first."""
        self._compute()  # cell styles (by position) from the data as it is shown
        shown: pd.DataFrame = self.data  # type: ignore[has-type]  # pandas' stubs leave Styler.data untyped
        self.data = neutralise_formulas(shown)
        self._styles_computed = True
        try:
            super().to_excel(*args, **kwargs)
        finally:
            self.data = shown
            self._styles_computed = False
