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
from ..proficiency import EVIDENCE_COLUMNS as SKILL_EVIDENCE_COLUMNS
from ..proficiency import MASTERY_COLUMNS, MasteryRule, check_mastery_rule
from ..rules import TOLERANCE, chronological
from .district import District
from .frames import copy_frame

__all__ = [
    "evidence_view",
    "mastery_view",
    "mastery_query",
    "assessment_order",
    "proficient_sql",
    "MASTERY_COLUMNS",
    "EVIDENCE_COLUMNS",
]

#: Columns of the ``evidence`` view (:func:`evidence_view`): :func:`plc_analysis.skill_evidence`'s, ``ord`` last.
EVIDENCE_COLUMNS = [*SKILL_EVIDENCE_COLUMNS, "ord"]


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
    """The coded evidence (``evidence_coded``) and the views decoding it, once per district.

    Score rows carry text ids; they are joined once to integer codes (an
    item's skill ``k`` and assessment ``ord``), and everything after the first
    aggregation works on integers: the placement and the names are looked up
    only when a view is read.
    """
    con = district.con
    if _exists(district, "evidence_coded"):
        return
    small = district.small
    order = assessment_order(small.assessments)
    order["tcode"] = pd.factorize(order["team_id"])[0]
    copy_frame(con, "assessment_order", order)
    skills = small.skills[["skill_id", "proficiency_cut"]].reset_index(drop=True)
    copy_frame(con, "skill_codes", skills.assign(k=range(len(skills))))
    items = small.items[["assessment_id", "item_id", "skill_id", "max_points"]]
    items = items.merge(order[["assessment_id", "ord"]], on="assessment_id").merge(
        skills.assign(k=range(len(skills)))[["skill_id", "k"]], on="skill_id"
    )
    copy_frame(con, "item_codes", items[["assessment_id", "item_id", "k", "ord", "max_points"]])
    placement = placement_table(small).astype("str")[["student_id", "team_id", "section_id", "teacher_id", "school_id"]]
    teams = order.drop_duplicates("team_id").set_index("team_id")["tcode"]
    placement = placement.assign(tcode=placement["team_id"].map(teams).astype("Int64"))
    copy_frame(con, "placement", placement)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE blueprint AS
        SELECT ord, k, sum(max_points) AS possible, count(*) AS n_items FROM item_codes GROUP BY ord, k"""
    )
    # the score of record: the row without a rater (there is at most one per student × item), else, for work
    # only rated rows hold, the student's own teacher's, else the first rater's (few rows: rated ones only)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE rated_rows AS
        SELECT student_id, assessment_id, item_id, points, rater_id, _file, _line FROM scores
        WHERE rater_id IS NOT NULL"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE rated_record AS
        WITH unrated_too AS (
            SELECT DISTINCT student_id, assessment_id, item_id FROM scores
            SEMI JOIN rated_rows USING (student_id, assessment_id, item_id) WHERE rater_id IS NULL)
        SELECT student_id, assessment_id, item_id, points FROM (
            SELECT r.student_id, r.assessment_id, r.item_id, r.points,
                   row_number() OVER (
                       PARTITION BY r.student_id, r.assessment_id, r.item_id
                       ORDER BY CASE WHEN r.rater_id = p.teacher_id THEN 1 ELSE 2 END, r.rater_id, r._file, r._line
                   ) AS pick
            FROM rated_rows r
            ANTI JOIN unrated_too USING (student_id, assessment_id, item_id)
            JOIN assessment_order o USING (assessment_id)
            LEFT JOIN placement p ON p.student_id = r.student_id AND p.tcode = o.tcode)
        WHERE pick = 1"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE evidence_coded AS
        WITH record AS (
            SELECT student_id, assessment_id, item_id, points FROM scores WHERE rater_id IS NULL
            UNION ALL
            SELECT student_id, assessment_id, item_id, points FROM rated_record),
        got AS (
            SELECT r.student_id, i.k, i.ord, sum(coalesce(r.points, 0)) AS earned,
                   count(*) AS n_rows, count(*) - count(r.points) AS n_missed
            FROM record r JOIN item_codes i USING (assessment_id, item_id)
            GROUP BY r.student_id, i.k, i.ord)
        SELECT g.student_id, g.k, g.ord, g.earned, b.possible,
               CASE WHEN isnan(g.earned / b.possible) THEN NULL ELSE g.earned / b.possible END AS score,
               b.n_items, g.n_missed + b.n_items - g.n_rows AS n_not_attempted
        FROM got g JOIN blueprint b USING (ord, k)"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP VIEW evidence AS
        SELECT e.student_id, k.skill_id, o.assessment_id, o.date, o.assessment_kind, o.team_id,
               p.school_id, p.section_id, p.teacher_id, e.earned, e.possible, e.score, e.n_items,
               e.n_not_attempted, k.proficiency_cut, e.ord
        FROM evidence_coded e JOIN skill_codes k USING (k) JOIN assessment_order o USING (ord)
        LEFT JOIN placement p ON p.student_id = e.student_id AND p.tcode = o.tcode"""
    )


def evidence_view(district: District) -> str:
    """Create (once) the ``evidence`` view (over ``evidence_coded``): one row per student × skill × assessment sat.

    Parameters
    ----------
    district : District

    Returns
    -------
    str
        The view's name, ``evidence``; columns ``student_id, skill_id,
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


def _combined(rule: MasteryRule, weight: float, source: str, skill: str, coded: bool) -> str:
    """The SQL combining evidence rows of ``source`` per student and skill (one definition for both forms).

    ``coded``: ``source`` has integer codes (``k``, ``ord``) and the result the
    latest and first ``ord``; otherwise ``source`` has the evidence columns and
    the result the latest evidence's placement, assessment and date.
    """
    if coded:
        latest = "max(ord) AS last_ord, min(ord) AS first_ord"
    else:
        latest = ", ".join(f"arg_max({c}, ord) AS {c}" for c in _LATEST) + ", min(date) AS first_date"
    if rule == "most_recent":
        behind = "arg_max(score, ord) AS score, arg_max(earned, ord) AS earned, arg_max(possible, ord) AS possible, "
        behind += "arg_max(n_not_attempted, ord) AS n_not_attempted"
    elif rule == "highest":
        # the best score; of equal scores the first in time (as idxmax keeps the first)
        best = "(score, -ord)) FILTER (WHERE score IS NOT NULL"
        behind = f"max(score) AS score, arg_max(earned, {best}) AS earned, arg_max(possible, {best}) AS possible, "
        behind += f"arg_max(n_not_attempted, {best}) AS n_not_attempted"
    elif rule == "mean":
        behind = "avg(score) AS score, CAST(NULL AS DOUBLE) AS earned, CAST(NULL AS DOUBLE) AS possible, "
        behind += "CAST(sum(n_not_attempted) AS BIGINT) AS n_not_attempted"
    else:  # decaying_average: evidence i of k weighs w·(1−w)^(k−1−i), the first one (1−w)^(k−1)
        w = float(weight)
        behind = (
            f"sum(score * CASE WHEN position = 0 THEN 1.0 ELSE {w!r} END * pow(1 - {w!r}, n - 1 - position)) "
            "AS score, CAST(NULL AS DOUBLE) AS earned, CAST(NULL AS DOUBLE) AS possible, "
            "CAST(sum(n_not_attempted) AS BIGINT) AS n_not_attempted"
        )
        source = (
            f"(SELECT *, row_number() OVER w - 1 AS position, count(*) OVER w AS n FROM {source} "
            f"WINDOW w AS (PARTITION BY student_id, {skill} ORDER BY ord "
            "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))"
        )
    return (
        f"SELECT student_id, {skill}, {latest}, count(*) AS n_assessments, {behind} "
        f"FROM {source} GROUP BY student_id, {skill}"
    )


def proficient_sql(score: str = "score", cut: str | float = "proficiency_cut") -> str:
    """SQL for ``proficient``: the score reaches the cut within the tolerance (:func:`plc_analysis.rules.at_least`).

    Parameters
    ----------
    score : str
        The score's SQL expression (e.g. ``"m.score"``).
    cut : str or float
        The cut's SQL expression (e.g. ``"k.proficiency_cut"``), or one cut for every skill.

    Returns
    -------
    str
        A boolean SQL expression, false where there is no score.
    """
    line = cut if isinstance(cut, str) else repr(float(cut))
    return f"coalesce({score} >= {line} - {TOLERANCE!r}, false)"


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
        The name of a view (over the coded table ``<name>_coded``); columns :data:`MASTERY_COLUMNS` (plus ``ord`` for
        ``all``), as :func:`plc_analysis.student_skill_mastery` returns them.
    """
    check_mastery_rule(rule, weight)
    _prepare(district)
    name = f"mastery_{rule}" + (f"_{int(round(weight * 1e6))}" if rule == "decaying_average" else "")
    if _exists(district, f"{name}_coded"):
        return name
    con = district.con
    if rule == "all":
        body = (
            "SELECT student_id, k, ord AS last_ord, ord AS first_ord, 1 AS n_assessments, score, earned, possible, "
            "n_not_attempted FROM evidence_coded"
        )
    else:
        body = _combined(rule, weight, "evidence_coded", "k", coded=True)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name}_coded AS {body}")
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW {name} AS
        SELECT m.student_id, k.skill_id, o.team_id, p.school_id, p.section_id, p.teacher_id, o.assessment_id, o.date,
               f.date AS first_date, m.n_assessments, m.score, m.earned, m.possible, m.n_not_attempted,
               k.proficiency_cut, {proficient_sql("m.score", "k.proficiency_cut")} AS proficient
               {", m.last_ord AS ord" if rule == "all" else ""}
        FROM {name}_coded m JOIN skill_codes k USING (k)
        JOIN assessment_order o ON o.ord = m.last_ord JOIN assessment_order f ON f.ord = m.first_ord
        LEFT JOIN placement p ON p.student_id = m.student_id AND p.tcode = o.tcode"""
    )
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
        body = _combined(rule, weight, "evidence", "skill_id", coded=False)
    return f"SELECT *, {proficient_sql()} AS proficient FROM ({body})"
