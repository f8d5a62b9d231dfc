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
from ..rules import TOLERANCE, group_columns
from .district import District
from .mastery import mastery_view

__all__ = ["district_proficiency_by_skill", "proficiency_counts", "absence_counts"]


def _quoted(columns: list[str]) -> list[str]:
    return ['"' + c.replace('"', '""') + '"' for c in columns]


def _groups(district: District, by: str | list[str] | None) -> list[str]:
    return group_columns(by, district.small.subgroup_columns, "a subgroup column")


def _subgroups(district: District, groups: list[str]) -> list[str]:
    return [g for g in groups if g in district.small.subgroup_columns]


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
    subgroups = _subgroups(district, groups)
    join = "LEFT JOIN students s USING (student_id)" if subgroups else ""
    selected = ", ".join((f"s.{q}" if g in subgroups else f"m.{q}") + f" AS {q}" for g, q in zip(keys, _quoted(keys)))
    proficient = "m.proficient" if cut is None else f"coalesce(m.score >= {float(cut)!r} - {TOLERANCE!r}, false)"
    query = f"""
        SELECT {selected}, count(DISTINCT m.student_id) AS n_assessed,
               CAST(sum(CASE WHEN {proficient} THEN 1 ELSE 0 END) AS BIGINT) AS n_proficient,
               CAST(sum(CASE WHEN m.n_not_attempted > 0 THEN 1 ELSE 0 END) AS BIGINT) AS n_not_attempted,
               avg(m.score) AS mean_score
        FROM {mastery} m {join}
        GROUP BY ALL"""
    return district.sql(query)


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
    subgroups = _subgroups(district, groups)
    unit = ["student_id", "skill_id", *(["assessment_id"] if per_assessment else [])]
    keys = ["skill_id", *(["assessment_id"] if per_assessment else []), *groups]
    roster_groups = ", ".join(
        (f"s.{q}" if g in subgroups else f"r.{q}") + f" AS {q}" for g, q in zip(groups, _quoted(groups))
    )
    join = "LEFT JOIN students s USING (student_id)" if subgroups else ""
    key_list = ", ".join(_quoted(keys))
    query = f"""
        WITH present AS (SELECT DISTINCT student_id, assessment_id FROM scores),
        excused_pairs AS (SELECT DISTINCT student_id, assessment_id FROM excused),
        roster AS (
            SELECT o.assessment_id, p.student_id, p.section_id, p.teacher_id, p.team_id, p.school_id,
                   pr.student_id IS NOT NULL OR e.student_id IS NOT NULL AS accounted
            FROM assessment_order o JOIN placement p USING (team_id)
            LEFT JOIN present pr ON pr.student_id = p.student_id AND pr.assessment_id = o.assessment_id
            LEFT JOIN excused_pairs e ON e.student_id = p.student_id AND e.assessment_id = o.assessment_id),
        covers AS (SELECT DISTINCT assessment_id, skill_id FROM items),
        seen AS (
            SELECT {", ".join("r." + u if u != "skill_id" else "c.skill_id" for u in unit)}
                   {", " + roster_groups if groups else ""}, bool_or(r.accounted) AS accounted
            FROM roster r JOIN covers c USING (assessment_id) {join}
            GROUP BY ALL)
        SELECT {key_list}, CAST(sum(CASE WHEN accounted THEN 0 ELSE 1 END) AS BIGINT) AS n_absent
        FROM seen GROUP BY ALL"""
    return district.sql(query)


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
