"""Every student's evidence and mastery on every skill, in SQL over the district's score files.

The same definitions as :mod:`plc_analysis.proficiency` (tests prove the two
engines agree, count for count):

* the score of record of double-scored work is the row without a rater, else
  the one scored by the student's own teacher, else the first rater in id
  order (:meth:`plc_analysis.Dataset.resolve_raters`);
* a student's evidence on a skill on an assessment is the points earned on
  the skill's items (not attempted as 0) over the points possible on all of
  them (:func:`plc_analysis.proficiency.skill_evidence`), placed in the
  student's first section of the team that gave the assessment
  (:func:`plc_analysis.coded.placement_table`);
* evidence is ordered by date, a same-day reassessment last, then assessment
  id (:func:`plc_analysis.rules.chronological`), and combined by the mastery
  rule (:func:`plc_analysis.proficiency.student_skill_mastery`).

The order of evidence and the placement are computed once in pandas on the
small tables (the same functions as the pandas path) and registered in DuckDB;
only the score rows are aggregated in SQL.
"""

from __future__ import annotations

import pandas as pd

from ..coded import placement_table
from ..proficiency import MasteryRule, check_mastery_rule
from ..rules import TOLERANCE, chronological
from .district import District, register_frame

__all__ = ["evidence_view", "mastery_view", "mastery_query", "assessment_order", "MASTERY_COLUMNS", "EVIDENCE_COLUMNS"]

#: Columns of the mastery views, as :func:`plc_analysis.student_skill_mastery` returns them.
MASTERY_COLUMNS = [
    "student_id",
    "skill_id",
    "team_id",
    "school_id",
    "section_id",
    "teacher_id",
    "assessment_id",
    "date",
    "first_date",
    "n_assessments",
    "score",
    "earned",
    "possible",
    "n_not_attempted",
    "proficiency_cut",
    "proficient",
]

#: Columns of the ``evidence`` table (:func:`evidence_view`), ``ord`` last.
EVIDENCE_COLUMNS = [
    "student_id",
    "skill_id",
    "assessment_id",
    "date",
    "assessment_kind",
    "team_id",
    "school_id",
    "section_id",
    "teacher_id",
    "earned",
    "possible",
    "score",
    "n_items",
    "n_not_attempted",
    "proficiency_cut",
    "ord",
]


def assessment_order(assessments: pd.DataFrame) -> pd.DataFrame:
    """Each assessment's place in time (``ord``), as :func:`~plc_analysis.rules.chronological` orders evidence.

    The order is total (ties broken by assessment id), so the order of any
    subset of the assessments is the order of the whole restricted to it: a
    school's partition and the whole district agree on which evidence is latest.

    Parameters
    ----------
    assessments : DataFrame
        With ``assessment_id, team_id, date, kind``.

    Returns
    -------
    DataFrame
        Columns ``assessment_id, team_id, date, assessment_kind, ord`` (0, 1, ... in time).
    """
    assessments = assessments.reset_index(drop=True)
    frame = pd.DataFrame(
        {
            "student_id": "",
            "skill_id": "",
            "date": assessments["date"],
            "assessment_kind": assessments["kind"].astype("str"),
            "assessment_id": assessments["assessment_id"].astype("str"),
        }
    )
    ordered = chronological(frame)
    return pd.DataFrame(
        {
            "assessment_id": ordered["assessment_id"].to_numpy(),
            "team_id": assessments["team_id"].astype("str").to_numpy()[ordered.index.to_numpy()],
            "date": ordered["date"].to_numpy(),
            "assessment_kind": ordered["assessment_kind"].to_numpy(),
            "ord": range(len(ordered)),
        }
    )


def _exists(district: District, table: str) -> bool:
    return bool(
        district.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]).fetchall()[0][0]
    )


def _prepare(district: District) -> None:
    con = district.con
    if _exists(district, "evidence"):
        return
    placement = placement_table(district.small).astype("str")
    register_frame(
        district.con, "placement", placement[["student_id", "team_id", "section_id", "teacher_id", "school_id"]]
    )
    register_frame(district.con, "assessment_order", assessment_order(district.small.assessments))
    con.execute(
        """CREATE OR REPLACE TEMP TABLE blueprint AS
        SELECT assessment_id, skill_id, sum(max_points) AS possible, count(*) AS n_items
        FROM items GROUP BY assessment_id, skill_id"""
    )
    # the score of record of double-scored work (only keys with a rated row can hold several rows)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE rated_keys AS
        SELECT DISTINCT student_id, assessment_id, item_id FROM scores WHERE rater_id IS NOT NULL"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE rated_record AS
        SELECT student_id, assessment_id, item_id, points FROM (
            SELECT s.student_id, s.assessment_id, s.item_id, s.points,
                   row_number() OVER (
                       PARTITION BY s.student_id, s.assessment_id, s.item_id
                       ORDER BY CASE WHEN s.rater_id IS NULL THEN 0 WHEN s.rater_id = p.teacher_id THEN 1 ELSE 2 END,
                                coalesce(s.rater_id, ''), s._file, s._line) AS pick
            FROM scores s
            SEMI JOIN rated_keys k USING (student_id, assessment_id, item_id)
            JOIN assessment_order o USING (assessment_id)
            LEFT JOIN placement p ON p.student_id = s.student_id AND p.team_id = o.team_id)
        WHERE pick = 1"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE evidence AS
        WITH record AS (
            SELECT student_id, assessment_id, item_id, points FROM scores
            ANTI JOIN rated_keys USING (student_id, assessment_id, item_id)
            UNION ALL
            SELECT student_id, assessment_id, item_id, points FROM rated_record),
        got AS (
            SELECT r.student_id, i.skill_id, r.assessment_id, sum(coalesce(r.points, 0)) AS earned,
                   count(*) AS n_rows, count(*) - count(r.points) AS n_missed
            FROM record r JOIN items i USING (assessment_id, item_id)
            GROUP BY r.student_id, i.skill_id, r.assessment_id)
        SELECT g.student_id, g.skill_id, g.assessment_id, o.date, o.assessment_kind, o.team_id,
               p.school_id, p.section_id, p.teacher_id, g.earned, b.possible,
               CASE WHEN isnan(g.earned / b.possible) THEN NULL ELSE g.earned / b.possible END AS score,
               b.n_items, g.n_missed + b.n_items - g.n_rows AS n_not_attempted,
               k.proficiency_cut, o.ord
        FROM got g
        JOIN blueprint b USING (assessment_id, skill_id)
        JOIN assessment_order o USING (assessment_id)
        LEFT JOIN placement p ON p.student_id = g.student_id AND p.team_id = o.team_id
        LEFT JOIN skills k USING (skill_id)"""
    )


def evidence_view(district: District) -> str:
    """Create (once) the ``evidence`` table: one row per student × skill × assessment sat.

    Parameters
    ----------
    district : District

    Returns
    -------
    str
        The table's name, ``evidence``; columns ``student_id, skill_id,
        assessment_id, date, assessment_kind, team_id, school_id, section_id,
        teacher_id, earned, possible, score, n_items, n_not_attempted,
        proficiency_cut`` as :func:`plc_analysis.skill_evidence`, plus ``ord``
        (the assessment's place in time).
    """
    _prepare(district)
    return "evidence"


_LATEST = [
    "team_id",
    "school_id",
    "section_id",
    "teacher_id",
    "assessment_id",
    "date",
    "proficiency_cut",
]


def _combined(rule: MasteryRule, weight: float) -> str:
    latest = ", ".join(f"arg_max({c}, ord) AS {c}" for c in _LATEST)
    if rule == "most_recent":
        behind = "arg_max(score, ord) AS score, arg_max(earned, ord) AS earned, arg_max(possible, ord) AS possible, "
        behind += "arg_max(n_not_attempted, ord) AS n_not_attempted"
        source = "evidence"
    elif rule == "highest":
        # the best score; of equal scores the first in time (as idxmax keeps the first)
        best = "(score, -ord)) FILTER (WHERE score IS NOT NULL"
        behind = f"max(score) AS score, arg_max(earned, {best}) AS earned, arg_max(possible, {best}) AS possible, "
        behind += f"arg_max(n_not_attempted, {best}) AS n_not_attempted"
        source = "evidence"
    elif rule == "mean":
        behind = "avg(score) AS score, CAST(NULL AS DOUBLE) AS earned, CAST(NULL AS DOUBLE) AS possible, "
        behind += "CAST(sum(n_not_attempted) AS BIGINT) AS n_not_attempted"
        source = "evidence"
    else:  # decaying_average: evidence i of k weighs w·(1−w)^(k−1−i), the first one (1−w)^(k−1)
        w = float(weight)
        behind = (
            f"sum(score * CASE WHEN position = 0 THEN 1.0 ELSE {w!r} END * pow(1 - {w!r}, k - 1 - position)) AS score, "
            "CAST(NULL AS DOUBLE) AS earned, CAST(NULL AS DOUBLE) AS possible, "
            "CAST(sum(n_not_attempted) AS BIGINT) AS n_not_attempted"
        )
        source = (
            "(SELECT *, row_number() OVER w - 1 AS position, count(*) OVER w AS k FROM evidence "
            "WINDOW w AS (PARTITION BY student_id, skill_id ORDER BY ord "
            "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))"
        )
    return (
        f"SELECT student_id, skill_id, {latest}, min(date) AS first_date, count(*) AS n_assessments, {behind} "
        f"FROM {source} GROUP BY student_id, skill_id"
    )


def mastery_view(district: District, rule: MasteryRule = "most_recent", *, weight: float = 0.65) -> str:
    """Create (once per rule) a table of every student's standing on every skill.

    Parameters
    ----------
    district : District
    rule : {"most_recent", "highest", "mean", "decaying_average", "all"}
        As :func:`plc_analysis.student_skill_mastery`.
    weight : float
        Weight of the newest score for ``decaying_average``.

    Returns
    -------
    str
        The table's name; columns :data:`MASTERY_COLUMNS` (plus ``ord`` for
        ``all``), as :func:`plc_analysis.student_skill_mastery` returns them.
    """
    check_mastery_rule(rule, weight)
    _prepare(district)
    name = f"mastery_{rule}" + (f"_{int(round(weight * 1e6))}" if rule == "decaying_average" else "")
    if _exists(district, name):
        return name
    district.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {mastery_query(rule, weight)}")
    return name


def mastery_query(rule: MasteryRule, weight: float = 0.65) -> str:
    """The SQL combining a table named ``evidence`` into every student's standing on every skill.

    :func:`mastery_view` runs it over the district's evidence; the combine
    step of :mod:`plc_analysis.outofcore.partials` over the evidence of the
    students enrolled in several schools, gathered from their schools.

    Parameters
    ----------
    rule : {"most_recent", "highest", "mean", "decaying_average", "all"}
    weight : float
        Weight of the newest score for ``decaying_average``.

    Returns
    -------
    str
        A ``SELECT`` over ``evidence`` (the columns of :func:`evidence_view`,
        ``ord`` included) with the columns :data:`MASTERY_COLUMNS` (plus
        ``ord`` for ``all``).
    """
    check_mastery_rule(rule, weight)
    if rule == "all":
        body = (
            "SELECT student_id, skill_id, team_id, school_id, section_id, teacher_id, assessment_id, date, "
            "date AS first_date, 1 AS n_assessments, score, earned, possible, n_not_attempted, proficiency_cut, ord "
            "FROM evidence"
        )
    else:
        body = _combined(rule, weight)
    return f"SELECT *, coalesce(score >= proficiency_cut - {TOLERANCE!r}, false) AS proficient FROM ({body})"
