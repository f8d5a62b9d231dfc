"""The core aggregation the benchmarks time, written once per engine: share proficient per team × skill × teacher.

The library computes it with ``compare_to_team(by="skill")`` (columns ``n``
and ``x``); here it is written by hand for DuckDB (SQL) and for Polars (lazy
frames, run on its streaming engine), straight over the Parquet files of a
canonical folder or of a school-partitioned district
(:mod:`plc_analysis.partitioned`), so each engine's time includes its scan.
The three answers must agree to the last count (:func:`core_difference`).

The definition (the library's rule ``"mean"``): the score of record per
student × item (no rater, else the student's own teacher, else the first
rater), not attempted as 0; each assessment's score on a skill = earned /
possible over all the skill's items on it, averaged over the assessments the
student sat; proficient at ≥ the skill's cut; the student's teacher is their
section's teacher in the team giving the assessments, and a student who moved
counts in the team of their latest assessment on the skill (dates within a team
are distinct).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "CORE_KEYS",
    "TABLES_USED",
    "DUCKDB_CORE_SQL",
    "parquet_files",
    "duckdb_core",
    "polars_core",
    "pandas_core",
    "tidy_core",
    "core_difference",
]

CORE_KEYS = ["team_id", "skill_id", "teacher_id"]
#: The canonical tables the core aggregation reads.
TABLES_USED = ("enrollments", "sections", "assessments", "items", "skills", "scores")
PARTITION_MARKER = "_plc_partitioned.json"  # plc_analysis.partitioned.MARKER_NAME, checked by a test

#: ``{enrollments}`` etc. are DuckDB table expressions (``read_parquet([...])``), from :func:`parquet_files`.
DUCKDB_CORE_SQL = """
WITH place AS (
    SELECT e.student_id, s.team_id, min(s.teacher_id) AS teacher_id
    FROM {enrollments} e JOIN {sections} s USING (section_id)
    GROUP BY ALL),
assess AS (SELECT assessment_id, team_id, date FROM {assessments}),
items AS (SELECT assessment_id, item_id, skill_id, max_points FROM {items}),
skills AS (SELECT DISTINCT skill_id, proficiency_cut FROM {skills}),
rated AS (
    SELECT sc.student_id, sc.assessment_id, sc.item_id, sc.points,
           row_number() OVER (PARTITION BY sc.student_id, sc.assessment_id, sc.item_id
                              ORDER BY CASE WHEN sc.rater_id IS NULL THEN 0
                                            WHEN sc.rater_id = p.teacher_id THEN 1 ELSE 2 END,
                                       sc.rater_id) AS pick
    FROM {scores} sc JOIN assess a USING (assessment_id)
    LEFT JOIN place p ON p.student_id = sc.student_id AND p.team_id = a.team_id
    WHERE sc.rater_id IS NOT NULL),
record AS (
    SELECT student_id, assessment_id, item_id, points FROM {scores}
    WHERE rater_id IS NULL
    UNION ALL
    SELECT student_id, assessment_id, item_id, points FROM rated WHERE pick = 1),
blueprint AS (SELECT assessment_id, skill_id, sum(max_points) AS possible FROM items GROUP BY ALL),
evidence AS (
    SELECT r.student_id, i.skill_id, r.assessment_id, sum(coalesce(r.points, 0)) AS earned
    FROM record r JOIN items i USING (assessment_id, item_id) GROUP BY ALL),
mastery AS (
    SELECT e.student_id, e.skill_id, arg_max(a.team_id, a.date) AS team_id, avg(e.earned / b.possible) AS score
    FROM evidence e JOIN blueprint b USING (assessment_id, skill_id) JOIN assess a USING (assessment_id)
    GROUP BY ALL)
SELECT m.team_id, m.skill_id, p.teacher_id, count(*) AS n,
       sum(CASE WHEN m.score >= k.proficiency_cut - 1e-9 THEN 1 ELSE 0 END) AS x
FROM mastery m JOIN skills k USING (skill_id)
JOIN place p ON p.student_id = m.student_id AND p.team_id = m.team_id
GROUP BY ALL
ORDER BY ALL
"""


def parquet_files(folder: str | Path) -> dict[str, list[str]]:
    """The Parquet files of each table the core aggregation reads, for a flat or a partitioned folder.

    Parameters
    ----------
    folder : str or Path
        A canonical folder of Parquet files, or a school-partitioned district
        (then every partition's file, plus ``_shared``'s when present; the
        district-wide ``skills`` rows repeated in several partitions are read
        once by each engine).

    Returns
    -------
    dict of str to list of str
        Table name → file paths (sorted).
    """
    root = Path(folder)
    if not (root / PARTITION_MARKER).is_file():
        return {name: [(root / f"{name}.parquet").as_posix()] for name in TABLES_USED}
    parts = sorted(p for p in root.iterdir() if p.is_dir() and (p.name.startswith("school_id=") or p.name == "_shared"))
    files = {name: [part / f"{name}.parquet" for part in parts] for name in TABLES_USED}
    return {name: [path.as_posix() for path in paths if path.is_file()] for name, paths in files.items()}


def _duckdb_source(paths: list[str]) -> str:
    quoted = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
    return f"read_parquet([{quoted}], hive_partitioning = false)"


def duckdb_core(folder: str | Path, *, threads: int | None = None, memory_limit: str | None = None) -> pd.DataFrame:
    """Share proficient per team × skill × teacher, computed by DuckDB over the Parquet files.

    Parameters
    ----------
    folder : str or Path
        A canonical folder of Parquet files or a school-partitioned district.
    threads : int, optional
        DuckDB worker threads (default: DuckDB's own, all cores).
    memory_limit : str, optional
        DuckDB's memory limit (e.g. ``"4GB"``); default DuckDB's own (80% of RAM).

    Returns
    -------
    DataFrame
        Columns ``team_id, skill_id, teacher_id, n, x, share``, sorted by the keys.
    """
    import duckdb

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    sources = {name: _duckdb_source(paths) for name, paths in parquet_files(folder).items()}
    out = con.execute(DUCKDB_CORE_SQL.format(**sources)).df()
    con.close()
    return tidy_core(out)


def polars_core(folder: str | Path, *, engine: str = "streaming") -> pd.DataFrame:
    """The same aggregation as :func:`duckdb_core`, as Polars lazy frames run on ``engine``.

    Parameters
    ----------
    folder : str or Path
        A canonical folder of Parquet files or a school-partitioned district.
    engine : str
        Polars engine for ``collect`` (``"streaming"``, out of core; or ``"in-memory"``).

    Returns
    -------
    DataFrame
        Columns ``team_id, skill_id, teacher_id, n, x, share``, sorted by the keys.
    """
    import polars as pl

    files = parquet_files(folder)

    def scan(name: str, *columns: str) -> Any:
        return pl.scan_parquet(files[name], hive_partitioning=False).select(list(columns))

    keys = ["student_id", "assessment_id", "item_id"]
    place = (
        scan("enrollments", "student_id", "section_id")
        .join(scan("sections", "section_id", "team_id", "teacher_id"), on="section_id")
        .group_by("student_id", "team_id")
        .agg(pl.col("teacher_id").min())
    )
    assess = scan("assessments", "assessment_id", "team_id", "date")
    items = scan("items", "assessment_id", "item_id", "skill_id", "max_points")
    scores = scan("scores", *keys, "points", "rater_id")
    rated = (
        scores.filter(pl.col("rater_id").is_not_null())
        .join(assess.select("assessment_id", "team_id"), on="assessment_id")
        .join(place, on=["student_id", "team_id"], how="left")
        .with_columns(rank=pl.when(pl.col("rater_id") == pl.col("teacher_id")).then(1).otherwise(2))
        .group_by(keys)
        .agg(pl.col("points").sort_by(["rank", "rater_id"]).first())
    )
    record = pl.concat([scores.filter(pl.col("rater_id").is_null()).select(*keys, "points"), rated])
    blueprint = items.group_by("assessment_id", "skill_id").agg(possible=pl.col("max_points").sum())
    evidence = (
        record.join(items.select("assessment_id", "item_id", "skill_id"), on=["assessment_id", "item_id"])
        .group_by("student_id", "skill_id", "assessment_id")
        .agg(earned=pl.col("points").fill_null(0.0).sum())
    )
    mastery = (
        evidence.join(blueprint, on=["assessment_id", "skill_id"])
        .join(assess, on="assessment_id")
        .group_by("student_id", "skill_id")
        .agg(pl.col("team_id").sort_by("date").last(), score=(pl.col("earned") / pl.col("possible")).mean())
    )
    skills = scan("skills", "skill_id", "proficiency_cut").unique()
    out = (
        mastery.join(skills, on="skill_id")
        .join(place, on=["student_id", "team_id"])
        .group_by(CORE_KEYS)
        .agg(n=pl.len(), x=(pl.col("score") >= pl.col("proficiency_cut") - 1e-9).sum())
        .sort(CORE_KEYS)
    )
    return tidy_core(out.collect(engine=engine).to_pandas())


def pandas_core(dataset: Any) -> pd.DataFrame:
    """The core aggregation through the library: ``compare_to_team(by="skill")``'s ``n`` and ``x``.

    Parameters
    ----------
    dataset : plc_analysis.Dataset

    Returns
    -------
    DataFrame
        Columns ``team_id, skill_id, teacher_id, n, x, share``, sorted by the keys.
    """
    import plc_analysis as plc

    out = plc.compare_to_team(dataset, by="skill")
    return tidy_core(out[[*CORE_KEYS, "n", "x"]])


def tidy_core(frame: pd.DataFrame) -> pd.DataFrame:
    """A core aggregation in one shape: string keys, integer counts, ``share``, sorted by the keys.

    Returns
    -------
    DataFrame
        Columns ``team_id, skill_id, teacher_id, n, x, share``.
    """
    frame = frame.astype(dict.fromkeys(CORE_KEYS, "str")).astype({"n": "int64", "x": "int64"})
    frame = frame.assign(share=frame["x"] / frame["n"])
    return frame.sort_values(CORE_KEYS, kind="stable").reset_index(drop=True)


def core_difference(a: pd.DataFrame, b: pd.DataFrame) -> str:
    """Empty when two core aggregations agree, else what differs (plain text)."""
    if len(a) != len(b):
        return f"{len(a)} rows against {len(b)}"
    keys_equal = all((a[c].to_numpy() == b[c].to_numpy()).all() for c in CORE_KEYS)
    if not keys_equal:
        return "different team × skill × teacher keys"
    bad = (a["n"].to_numpy() != b["n"].to_numpy()) | (a["x"].to_numpy() != b["x"].to_numpy())
    return f"{int(bad.sum())} of {len(a)} cells differ" if bad.any() else ""
