"""Share of students proficient per skill and group across a whole district, counted in SQL.

:func:`district_proficiency_by_skill` returns exactly
:func:`plc_analysis.proficiency_by_skill`'s table: the counts (students
assessed, proficient, with an item not attempted, absent) come from SQL over
the mastery table (:mod:`plc_analysis.outofcore.mastery`), and the shares,
Wilson intervals and ordering from the pandas path's own
:func:`~plc_analysis.proficiency.finish_proficiency`.
"""

from __future__ import annotations

import pandas as pd

from ..proficiency import MasteryRule, finish_proficiency
from ..rules import group_columns
from .district import District, sql_names
from .mastery import mastery_view, proficient_sql

__all__ = [
    "district_proficiency_by_skill",
    "proficiency_counts",
    "absence_counts",
    "counts_query",
    "roster_seen_query",
    "absent_query",
    "regrouped_seen_query",
    "PLACEMENT_COLUMNS",
]


def _groups(district: District, by: str | list[str] | None) -> list[str]:
    return group_columns(by, district.small.subgroup_columns, "a subgroup column")


def _subgroups(district: District, groups: list[str]) -> list[str]:
    return [g for g in groups if g in district.small.subgroup_columns]


def counts_query(
    mastery: str, keys: list[str], subgroups: list[str], cut: float | None, *, additive: bool = False
) -> str:
    """The SQL counting students assessed and proficient per ``keys`` in a mastery relation.

    Parameters
    ----------
    mastery : str
        A table name or a parenthesised ``SELECT`` with the mastery columns.
    keys : list of str
        The columns to count by (``skill_id``, …, the group columns).
    subgroups : list of str
        Those of ``keys`` read from the ``students`` table (subgroup columns).
    cut : float, optional
        Override every skill's proficiency cut.
    additive : bool
        Return ``score_sum, n_scored`` (which add up across disjoint sets of
        students, as :mod:`plc_analysis.outofcore.partials` needs) instead of
        ``mean_score``.

    Returns
    -------
    str
        A query with the columns ``keys, n_assessed, n_proficient,
        n_not_attempted``, then ``mean_score`` or ``score_sum, n_scored``.
    """
    join = "LEFT JOIN students s USING (student_id)" if subgroups else ""
    selected = ", ".join((f"s.{q}" if g in subgroups else f"m.{q}") + f" AS {q}" for g, q in zip(keys, sql_names(keys)))
    proficient = "m.proficient" if cut is None else proficient_sql("m.score", cut)
    score = "sum(m.score) AS score_sum, count(m.score) AS n_scored" if additive else "avg(m.score) AS mean_score"
    return f"""
        SELECT {selected}, count(DISTINCT m.student_id) AS n_assessed,
               CAST(sum(CASE WHEN {proficient} THEN 1 ELSE 0 END) AS BIGINT) AS n_proficient,
               CAST(sum(CASE WHEN m.n_not_attempted > 0 THEN 1 ELSE 0 END) AS BIGINT) AS n_not_attempted,
               {score}
        FROM {mastery} m {join}
        GROUP BY ALL"""


def proficiency_counts(
    district: District,
    by: str | list[str] | None = "team",
    rule: MasteryRule = "most_recent",
    *,
    weight: float = 0.65,
    cut: float | None = None,
) -> pd.DataFrame:
    """Students assessed and proficient per skill and group, counted in SQL.

    Parameters
    ----------
    district : District
    by, rule, weight, cut
        As :func:`plc_analysis.proficiency_by_skill`.

    Returns
    -------
    DataFrame
        Columns ``skill_id``, (``assessment_id, date`` for ``rule="all"``),
        the group columns, ``n_assessed, n_proficient, n_not_attempted`` (students
        with an item not attempted), ``mean_score``.
    """
    groups = _groups(district, by)
    mastery = mastery_view(district, rule, weight=weight)
    keys = ["skill_id", *(["assessment_id", "date"] if rule == "all" else []), *groups]
    return district.sql(counts_query(mastery, keys, _subgroups(district, groups), cut))


#: The columns a roster row is placed by (a student's first section in the team giving the assessment).
PLACEMENT_COLUMNS = ["team_id", "school_id", "section_id", "teacher_id"]


def roster_seen_query(groups: list[str], subgroups: list[str], *, per_assessment: bool) -> str:
    """The SQL of whether each student on an assessment's roster sat one of a skill's assessments.

    The roster is every student of the team giving an assessment, in their
    first section there; a student excused from an assessment is accounted
    for on it as one who sat it.  Needs the ``placement``, ``assessment_order``,
    ``scores``, ``excused``, ``items`` (and, for subgroups, ``students``) views.

    Parameters
    ----------
    groups : list of str
        Group columns: placement columns (:data:`PLACEMENT_COLUMNS`) or subgroup columns.
    subgroups : list of str
        Those of ``groups`` read from ``students``.
    per_assessment : bool
        One row per assessment too (the mastery rule ``all``).

    Returns
    -------
    str
        A query with one row per ``student_id, skill_id, (assessment_id),
        <groups>``, and ``accounted`` (true: sat or excused from one of them).
    """
    unit = ["student_id", "skill_id", *(["assessment_id"] if per_assessment else [])]
    roster_groups = ", ".join(
        (f"s.{q}" if g in subgroups else f"r.{q}") + f" AS {q}" for g, q in zip(groups, sql_names(groups))
    )
    join = "LEFT JOIN students s USING (student_id)" if subgroups else ""
    return f"""
        WITH present AS (SELECT DISTINCT student_id, assessment_id FROM scores),
        excused_pairs AS (SELECT DISTINCT student_id, assessment_id FROM excused),
        roster AS (
            SELECT o.assessment_id, p.student_id, p.section_id, p.teacher_id, p.team_id, p.school_id,
                   pr.student_id IS NOT NULL OR e.student_id IS NOT NULL AS accounted
            FROM assessment_order o JOIN placement p USING (team_id)
            LEFT JOIN present pr ON pr.student_id = p.student_id AND pr.assessment_id = o.assessment_id
            LEFT JOIN excused_pairs e ON e.student_id = p.student_id AND e.assessment_id = o.assessment_id),
        covers AS (SELECT DISTINCT assessment_id, skill_id FROM items)
        SELECT {", ".join("r." + u if u != "skill_id" else "c.skill_id" for u in unit)}
               {", " + roster_groups if groups else ""}, bool_or(r.accounted) AS accounted
        FROM roster r JOIN covers c USING (assessment_id) {join}
        GROUP BY ALL"""


def regrouped_seen_query(
    seen: str, groups: list[str], subgroups: list[str], *, per_assessment: bool, where: str = ""
) -> str:
    """The SQL of :func:`roster_seen_query`'s rows for ``groups``, from its rows by every placement column.

    A student is accounted for on a skill in a group when on any of their
    roster rows in it, so regrouping the rows per :data:`PLACEMENT_COLUMNS`
    gives what :func:`roster_seen_query` gives for ``groups`` directly.

    Parameters
    ----------
    seen : str
        A relation of :func:`roster_seen_query` rows grouped by :data:`PLACEMENT_COLUMNS`.
    groups, subgroups, per_assessment
        As :func:`roster_seen_query`.
    where : str
        A SQL condition on ``r.student_id`` choosing the students (default: all).

    Returns
    -------
    str
        A parenthesised query with :func:`roster_seen_query`'s columns for ``groups``.
    """
    unit = ["student_id", "skill_id", *(["assessment_id"] if per_assessment else [])]
    picked = ", ".join(
        (f"s.{q}" if g in subgroups else f"r.{q}") + f" AS {q}" for g, q in zip(groups, sql_names(groups))
    )
    join = "LEFT JOIN students s USING (student_id)" if subgroups else ""
    return (
        f"(SELECT {', '.join('r.' + u for u in unit)}{', ' + picked if groups else ''}, "
        f"bool_or(r.accounted) AS accounted FROM {seen} r {join} {f'WHERE {where}' if where else ''} GROUP BY ALL)"
    )


def absent_query(seen: str, keys: list[str]) -> str:
    """The SQL counting students absent per ``keys`` from a relation of :func:`roster_seen_query`'s rows.

    Returns
    -------
    str
        A query with the columns ``keys, n_absent``.
    """
    return f"""
        SELECT {", ".join(sql_names(keys))}, CAST(sum(CASE WHEN accounted THEN 0 ELSE 1 END) AS BIGINT) AS n_absent
        FROM {seen} GROUP BY ALL"""


def absence_counts(
    district: District, by: str | list[str] | None = "team", *, per_assessment: bool = False
) -> pd.DataFrame:
    """Students on an assessment's roster who sat none of a skill's assessments, per skill and group.

    A student excused from an assessment (the ``excused`` table) is neither
    assessed nor absent on it; the roster is every student of the team giving
    the assessment, in their first section there.

    Parameters
    ----------
    district : District
    by : str or list of str or None
        As :func:`plc_analysis.proficiency_by_skill`.
    per_assessment : bool
        Count per assessment too (the mastery rule ``all``).

    Returns
    -------
    DataFrame
        Columns ``skill_id``, (``assessment_id``), the group columns, ``n_absent``.
    """
    from .mastery import evidence_view

    evidence_view(district)  # the placement and assessment_order views
    groups = _groups(district, by)
    seen = roster_seen_query(groups, _subgroups(district, groups), per_assessment=per_assessment)
    keys = ["skill_id", *(["assessment_id"] if per_assessment else []), *groups]
    return district.sql(absent_query(f"({seen})", keys))


def district_proficiency_by_skill(
    district: District,
    by: str | list[str] | None = "team",
    rule: MasteryRule = "most_recent",
    *,
    weight: float = 0.65,
    cut: float | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """:func:`plc_analysis.proficiency_by_skill` of a whole district, out of core.

    Parameters
    ----------
    district : District
        From :func:`plc_analysis.outofcore.open_district`.
    by, rule, weight, cut, confidence
        As :func:`plc_analysis.proficiency_by_skill`.

    Returns
    -------
    DataFrame
        As :func:`plc_analysis.proficiency_by_skill`: ``skill_id,
        description, essential, proficiency_cut, <group columns>, n_assessed,
        n_proficient, share_proficient, ci_low, ci_high, n_absent,
        n_not_attempted, mean_score``.
    """
    groups = _groups(district, by)
    keys = ["skill_id", *(["assessment_id", "date"] if rule == "all" else []), *groups]
    counted = proficiency_counts(district, by, rule, weight=weight, cut=cut)
    absent = absence_counts(district, by, per_assessment=rule == "all")
    return finish_proficiency(counted, absent, district.small.skills, keys, cut=cut, confidence=confidence)
