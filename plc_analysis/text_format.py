"""How numbers read in sentences and tables: one percent format, one text for a missing value.

Internal API shared by the report blocks, the support and goal tables, the
talking points and :class:`~plc_analysis.tables.ReportTable`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["MISSING_TEXT", "percent_text", "percent_texts"]

#: How a missing value reads (in tables and sentences alike).
MISSING_TEXT = "–"


def percent_text(share: float | None, decimals: int = 0) -> str:
    """A share (0–1) as a percent: ``0.734`` → ``"73%"``; missing → :data:`MISSING_TEXT`.

    Parameters
    ----------
    share : float or None
    decimals : int, default 0
        At most this many decimals, trailing zeros dropped (``decimals=2``:
        ``0.699`` → ``"69.9%"``, ``0.72`` → ``"72%"``), for values that must not
        read as a line they are just under.

    Returns
    -------
    str
    """
    if share is None or pd.isna(share):
        return MISSING_TEXT
    value = float(share) * 100
    if not math.isfinite(value):
        return MISSING_TEXT
    text = f"{value:.{decimals}f}"
    if decimals > 0:
        text = text.rstrip("0").rstrip(".")
    return ("0" if text == "-0" else text) + "%"


def percent_texts(shares: pd.Series, decimals: int = 0) -> pd.Series:
    """:func:`percent_text` of each value (each distinct value formatted once).

    Returns
    -------
    Series of str
        Aligned with ``shares``.
    """
    codes, uniques = pd.factorize(shares)
    text = np.array([percent_text(x, decimals) for x in uniques] + [MISSING_TEXT], dtype=object)
    return pd.Series(text[codes], index=shares.index, dtype="str")
