"""Validation of the score rows in SQL, with the rules and messages of :mod:`plc_analysis.validation`.

Work in progress: the typed ``scores`` view; the checks are being ported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..dataset import Dataset
from ..errors import Problem
from ..validation import REJECTED_COLUMNS
from .files import TableFile

if TYPE_CHECKING:
    import duckdb

__all__ = ["check_scores"]


def check_scores(
    con: duckdb.DuckDBPyConnection, small: Dataset, files: list[TableFile]
) -> tuple[list[Problem], pd.DataFrame]:
    """Check every score row and create the ``scores`` view of the valid ones.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        With the ``scores_raw`` view and the validated small tables.
    small : Dataset
        The validated small tables.
    files : list of TableFile
        The score files.

    Returns
    -------
    tuple of (list of Problem, DataFrame)
        The problems, and the rejected rows (columns ``file, line, severity, reason, row``).
    """
    con.execute(
        """CREATE OR REPLACE TEMP VIEW scores AS
        SELECT student_id, assessment_id, item_id, TRY_CAST(points AS DOUBLE) AS points, response, rater_id,
               _file, _line
        FROM scores_raw"""
    )
    return [], pd.DataFrame(columns=REJECTED_COLUMNS)
