"""The district overview's tables for a district too big for pandas, computed out of core.

:func:`district_overview_tables` gives the aggregates the district overview
report shows (:mod:`plc_analysis.report_scopes`): students assessed, the share
proficient per team and essential skill and for the district, and the subgroup
gaps, each with the same definition as the pandas path (their modules say how
that is tested).  :func:`large_district` says when a folder is big enough for
the report to take this path rather than loading everything into pandas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from ..proficiency import MasteryRule
from .district import District
from .files import table_files
from .proficiency_sql import district_proficiency_by_skill

__all__ = ["OverviewTables", "district_overview_tables", "stored_score_rows", "large_district", "LARGE_DISTRICT_ROWS"]

#: From this many score rows on, the district overview computes its tables out of core (DuckDB)
#: instead of loading the district into pandas (10M rows took 2.5 GB in pandas).
LARGE_DISTRICT_ROWS = 5_000_000
#: Bytes per score row of a CSV file, to estimate its rows without reading it.
CSV_BYTES_PER_ROW = 40


def stored_score_rows(path: str | Path) -> int:
    """How many score rows a canonical or partitioned folder holds, from file metadata (not read).

    Parquet files give their exact row count; a CSV file is estimated from its
    size (:data:`CSV_BYTES_PER_ROW`).

    Returns
    -------
    int
    """
    rows = 0
    try:
        files = table_files(path, "scores")
    except OSError:  # a folder that cannot be listed: the loader that reads it says so
        return 0
    for file in files:
        try:
            if file.fmt == "parquet":
                rows += pq.ParquetFile(file.path).metadata.num_rows
            else:
                rows += file.path.stat().st_size // CSV_BYTES_PER_ROW
        except (OSError, ValueError):
            continue  # unreadable: the loader that reads it reports why
    return rows


def large_district(path: str | Path) -> bool:
    """Whether a data folder has :data:`LARGE_DISTRICT_ROWS` score rows or more.

    Returns
    -------
    bool
    """
    return Path(path).is_dir() and stored_score_rows(path) >= LARGE_DISTRICT_ROWS


@dataclass
class OverviewTables:
    """The district overview's aggregates.

    Attributes
    ----------
    counts : dict of str to int
        ``schools, teams, assessments, students_assessed, score_rows``.
    by_team : DataFrame
        :func:`plc_analysis.proficiency_by_skill` by team.
    district : DataFrame
        :func:`plc_analysis.proficiency_by_skill` for every student together (``by=None``).
    """

    counts: dict[str, int]
    by_team: pd.DataFrame
    district: pd.DataFrame
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)


def district_overview_tables(district: District, rule: MasteryRule = "most_recent") -> OverviewTables:
    """Every aggregate of the district overview, out of core.

    Parameters
    ----------
    district : District
        From :func:`plc_analysis.outofcore.open_district`.
    rule : str
        Mastery rule.

    Returns
    -------
    OverviewTables
    """
    small = district.small
    assessed = district.con.execute("SELECT count(DISTINCT student_id), count(*) FROM scores").fetchall()[0]
    counts = {
        "schools": len(small.schools),
        "teams": len(small.teams),
        "assessments": len(small.assessments),
        "students_assessed": int(assessed[0]),
        "score_rows": int(assessed[1]),
    }
    return OverviewTables(
        counts,
        district_proficiency_by_skill(district, "team", rule),
        district_proficiency_by_skill(district, None, rule),
    )
