"""One school at a time in pandas: what a district opened out of core hands to team-scoped metrics.

Goals, tiers, curriculum coverage and subgroup gaps by team are computed
team by team, and a team lies in one school: so a big district's report can
compute them school by school in pandas, with one school's rows in memory at a
time, and put the results together (exactly what the whole district in pandas
gives).  :func:`school_dataset` is that school's
:meth:`Dataset.filter(school_id=...) <plc_analysis.Dataset.filter>`: the small
tables cut in pandas, the valid score rows read from that school's own
partition (a school-partitioned district) or from one partitioned copy of the
scores written once by DuckDB (a flat folder).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from ..dataset import Dataset
from ..schema import TABLES
from .district import District, sql_list, sql_text

__all__ = ["school_dataset", "each_school"]

_SCORE_COLUMNS = TABLES["scores"].column_names


def _typed(columns: set[str]) -> str:
    parts = []
    for name in _SCORE_COLUMNS:
        if name not in columns:
            parts.append(f"CAST(NULL AS {'DOUBLE' if name == 'points' else 'VARCHAR'}) AS {name}")
        elif name == "points":
            parts.append("TRY_CAST(points AS DOUBLE) AS points")
        else:
            parts.append(f"CAST({name} AS VARCHAR) AS {name}")
    return ", ".join(parts)


def _school_copy(district: District) -> Path:
    """The valid score rows written once, partitioned by the school of their assessment's team (flat folders)."""
    folder = Path(district.con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0]) / "by_school"
    if not folder.exists():
        district.con.execute(
            f"""COPY (
                SELECT s.*, t.school_id AS school FROM scores s
                JOIN assessments a USING (assessment_id) JOIN teams t ON t.team_id = a.team_id
            ) TO {sql_text(str(folder))} (FORMAT parquet, PARTITION_BY (school), WRITE_PARTITION_COLUMNS false)"""
        )
    return folder


def _school_scores(district: District, school_id: str) -> pd.DataFrame:
    """The valid score rows of one school's partition (file order), or of the school's assessments."""
    mine = [f for f in district.score_files if f.school_id == school_id]
    if mine:
        paths = sql_list([str(f.path) for f in mine if f.fmt == "parquet"])
        if len(mine) == 1 and mine[0].fmt == "parquet":
            columns = {r[0] for r in district.con.execute(f"DESCRIBE SELECT * FROM read_parquet({paths})").fetchall()}
            frame = district.sql(
                f"SELECT {_typed(columns)}, file_row_number + 2 AS _line "
                f"FROM read_parquet({paths}, file_row_number = true) ORDER BY file_row_number"
            )
            rejected = district.rejected
            lines = rejected.loc[rejected["file"] == mine[0].label, "line"] if len(rejected) else []
            if len(lines):
                frame = frame[~frame["_line"].isin({int(x) for x in lines})]
            return frame.drop(columns="_line").reset_index(drop=True)
        labels = sql_list([f.label for f in mine])
        return district.sql(
            f"SELECT {', '.join(_SCORE_COLUMNS)} FROM scores WHERE _file IN (SELECT unnest({labels})) "
            "ORDER BY _file, _line"
        )
    folder = _school_copy(district)
    part = list(folder.glob(f"school={school_id}/*.parquet")) if "/" not in school_id else []
    if not part:
        return district.sql(f"SELECT {', '.join(_SCORE_COLUMNS)} FROM scores WHERE false")
    return district.sql(
        f"SELECT {', '.join(_SCORE_COLUMNS)} FROM read_parquet({sql_list([str(p) for p in part])}) "
        "ORDER BY _file, _line"
    )


def school_dataset(district: District, school_id: str) -> Dataset:
    """One school's data in pandas, as ``Dataset.filter(school_id=school_id)`` of the whole district.

    Parameters
    ----------
    district : District
    school_id : str

    Returns
    -------
    Dataset
        Every table cut to the school; ``scores`` holds the school's valid
        score rows (of its assessments, items and students), in file order.
    """
    small = district.small.filter(school_id=school_id)
    scores = _school_scores(district, school_id)
    items = small.items[["assessment_id", "item_id"]]
    keep = scores["student_id"].isin(small.students["student_id"]) & scores["assessment_id"].isin(
        small.assessments["assessment_id"]
    )
    scores = scores[keep].merge(items, on=["assessment_id", "item_id"])
    scores = scores.astype({"points": "float64"})
    tables = {**small.tables, "scores": scores.reset_index(drop=True)}
    return Dataset.from_tables(tables, source=f"{district.path} (school {school_id})", filters={"school_id": school_id})


def each_school(district: District) -> Iterator[tuple[str, Dataset]]:
    """Every school of the district and its :func:`school_dataset`, one at a time.

    Yields
    ------
    tuple of (str, Dataset)
        The school id and its data, in school id order.
    """
    for school_id in sorted(district.small.schools["school_id"].astype("str")):
        yield school_id, school_dataset(district, school_id)
