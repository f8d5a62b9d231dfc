"""Write action rows as ``.csv`` and ``.xlsx``, ready to edit and drop into the data folder as ``actions.csv``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .export import atomic_write

__all__ = ["write_actions"]


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as the text ``actions.csv`` holds: dates ISO, blanks empty."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
    return out.astype("object").where(out.notna(), "").astype("str")


def write_actions(actions: pd.DataFrame, stem: str | Path) -> list[Path]:
    """Write ``stem.csv`` (UTF-8) and ``stem.xlsx`` (one sheet, every cell text), each atomically.

    In the workbook every cell is stored as text, never as a formula: a cell
    that begins with ``=`` stays the characters typed, and ids such as
    ``007`` keep their zeros.

    Parameters
    ----------
    actions : DataFrame
        Rows with the columns of ``actions.csv`` (:data:`plc_analysis.actions.ACTION_COLUMNS`).
    stem : str or Path
        Path without extension; the folder must exist.

    Returns
    -------
    list of Path
        The CSV and the workbook.
    """
    from openpyxl import Workbook

    stem = Path(stem)
    text = _as_text(actions)
    csv_path, xlsx_path = stem.with_name(stem.name + ".csv"), stem.with_name(stem.name + ".xlsx")
    with atomic_write(csv_path) as handle:
        text.to_csv(handle, index=False)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "actions"
    sheet.append(list(text.columns))
    for row in text.itertuples(index=False):
        sheet.append(list(row))
    for cells in sheet.iter_rows():
        for cell in cells:
            cell.data_type = "s"  # text, never a formula
    with atomic_write(xlsx_path, "wb", encoding=None) as handle:
        book.save(handle)
    return [csv_path, xlsx_path]
