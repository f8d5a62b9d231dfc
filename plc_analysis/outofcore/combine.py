"""The district aggregates from the schools' partials: sum the counts, finish with the pandas path's code.

Each school's :class:`~plc_analysis.outofcore.partials.SchoolPartial` holds
the counts of its own students, which add up across schools, and the evidence
and roster rows of the students enrolled in several schools, whose standings
this step computes once from all their schools' rows with the whole-district
SQL (:func:`~plc_analysis.outofcore.mastery.mastery_query`,
:func:`~plc_analysis.outofcore.proficiency_sql.counts_query`).  The shares,
intervals and ordering are :func:`plc_analysis.proficiency.finish_proficiency`'s.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..proficiency import finish_proficiency
from .district import register_frame
from .mastery import assessment_order, mastery_query
from .partials import ADDITIVE_COUNTS, PartialRequest, SchoolPartial
from .proficiency_sql import absent_query, counts_query, regrouped_seen_query

__all__ = ["combine_partials", "district_skills"]


def district_skills(partials: Sequence[SchoolPartial]) -> pd.DataFrame:
    """Every school's skills once (a district-wide skill is in each partition that uses it).

    Returns
    -------
    DataFrame
        The ``skills`` columns, one row per ``skill_id``.
    """
    frames = [p.skills for p in partials if len(p.skills)]
    if not frames:
        return partials[0].skills if partials else pd.DataFrame(columns=["skill_id"])
    return pd.concat(frames, ignore_index=True).drop_duplicates("skill_id", keep="first").reset_index(drop=True)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    chosen = [f for f in frames if len(f)]
    if not chosen:
        return frames[0] if frames else pd.DataFrame()
    return pd.concat(chosen, ignore_index=True) if len(chosen) > 1 else chosen[0]


def _summed(frames: list[pd.DataFrame], keys: list[str], columns: list[str]) -> pd.DataFrame:
    joined = _concat(frames)
    if not len(joined):
        return joined[[*keys, *columns]].reset_index(drop=True)
    return joined.groupby(keys, dropna=False, sort=False)[columns].sum().reset_index()


def _crossing_counts(
    partials: Sequence[SchoolPartial], request: PartialRequest, groups: list[list[str]], subgroups: list[str]
) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """The counts of the students enrolled in several schools, from their evidence and roster rows."""
    import duckdb

    evidence = _concat([p.evidence for p in partials])
    seen = _concat([p.seen for p in partials])
    if not len(evidence) and not len(seen):
        return [], []
    students = _concat([p.students for p in partials]).drop_duplicates("student_id", keep="first")
    assessments = evidence[["assessment_id", "team_id", "date", "assessment_kind"]].drop_duplicates("assessment_id")
    order = assessment_order(assessments.rename(columns={"assessment_kind": "kind"}))
    evidence = evidence.merge(order[["assessment_id", "ord"]], on="assessment_id", how="left")
    counts, absent = [], []
    with duckdb.connect() as con:
        register_frame(con, "students", students)
        if len(evidence):
            register_frame(con, "evidence", evidence)
            con.execute(f"CREATE TEMP TABLE mastery AS {mastery_query(request.rule, request.weight)}")
        if len(seen):
            register_frame(con, "seen_rows", seen)
        for columns in groups:
            chosen = [g for g in columns if g in subgroups]
            keys = request.count_keys(columns)
            if len(evidence):
                counts.append(con.execute(counts_query("mastery", keys, chosen, request.cut, additive=True)).df())
            if not len(seen):
                continue
            # a student's roster rows from several schools: accounted for when on any of them
            regrouped = regrouped_seen_query("seen_rows", columns, chosen, per_assessment=request.per_assessment)
            absent.append(con.execute(absent_query(regrouped, request.absent_keys(columns))).df())
    return counts, absent


def combine_partials(
    partials: Sequence[SchoolPartial], request: PartialRequest, *, confidence: float = 0.95
) -> list[pd.DataFrame]:
    """The district's tables from every school's partial.

    Parameters
    ----------
    partials : sequence of SchoolPartial
        One per school of the district (:func:`~plc_analysis.outofcore.partials.school_partial`).
    request : PartialRequest
        The request the partials were computed for.
    confidence : float
        Level of the Wilson interval.

    Returns
    -------
    list of DataFrame
        One per entry of ``request.bys``, each as
        :func:`plc_analysis.proficiency_by_skill` returns it: ``skill_id,
        description, essential, proficiency_cut, <group columns>, n_assessed,
        n_proficient, share_proficient, ci_low, ci_high, n_absent,
        n_not_attempted, mean_score``.
    """
    if not partials:
        raise ValueError("no school's partial to combine (the district has no school partition)")
    subgroups = partials[0].subgroup_columns
    groups = request.groups(subgroups)
    crossing_counts, crossing_absent = _crossing_counts(partials, request, groups, subgroups)
    skills = district_skills(partials)
    tables = []
    for i, columns in enumerate(groups):
        keys = request.count_keys(columns)
        counted = _summed([p.counts[i] for p in partials] + crossing_counts[i : i + 1], keys, ADDITIVE_COUNTS)
        scored = counted["n_scored"].where(counted["n_scored"] > 0)
        counted = counted.assign(mean_score=counted["score_sum"] / scored).drop(columns=["score_sum", "n_scored"])
        absent = _summed(
            [p.absent[i] for p in partials] + crossing_absent[i : i + 1], request.absent_keys(columns), ["n_absent"]
        )
        tables.append(finish_proficiency(counted, absent, skills, keys, cut=request.cut, confidence=confidence))
    return tables
