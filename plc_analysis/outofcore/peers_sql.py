"""Team-to-team and teacher-to-team counts across a whole district, counted in SQL.

* :func:`district_peer_counts` returns exactly :func:`plc_analysis.comparison.peer_counts`:
  for each team and common assessment × skill that two or more teams gave,
  the other teams' students pooled (what a batch puts beside each team's
  extract, :data:`plc_analysis.loading.PEER_COUNTS_FILE`).
* :func:`district_compare_counts` returns exactly
  :func:`plc_analysis.compare_to_team`'s table (by skill) for every team of
  the district: each teacher's students against the rest of the team.

The students and how many are proficient are counted in SQL over the evidence
and mastery tables (:mod:`plc_analysis.outofcore.mastery`); pooling, shares,
Newcombe intervals, signals and ordering are the pandas path's own
:func:`~plc_analysis.comparison.finish_peer_counts` and
:func:`~plc_analysis.comparison.finish_compare_to_team`.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from ..comparison import (
    COMPARISON_RULE,
    TEAM_COMPARISON_KEYS,
    common_givers,
    finish_compare_to_team,
    finish_peer_counts,
)
from ..proficiency import MasteryRule, check_mastery_rule
from .district import District
from .mastery import evidence_view, mastery_view, proficient_sql

__all__ = ["district_peer_counts", "peer_skill_counts", "district_compare_counts", "teacher_counts"]


def peer_skill_counts(district: District, *, cut: float | None = None) -> pd.DataFrame:
    """Students and students proficient per common assessment × skill × team, counted in SQL.

    A student counts once per assessment sat (the mastery rule ``all``), on
    the version of the common assessment their team gave.

    Parameters
    ----------
    district : District
    cut : float, optional
        One proficiency cut for every skill (default: each skill's own).

    Returns
    -------
    DataFrame
        Columns ``common_id, skill_id, team_id, n, x``, unordered: what
        :func:`~plc_analysis.comparison.finish_peer_counts` takes.
    """
    evidence = evidence_view(district)
    proficient = proficient_sql("e.score", "e.proficiency_cut" if cut is None else cut)
    query = f"""
        SELECT CAST(a.common_id AS VARCHAR) AS common_id, CAST(e.skill_id AS VARCHAR) AS skill_id,
               CAST(e.team_id AS VARCHAR) AS team_id, CAST(count(*) AS BIGINT) AS n,
               CAST(sum(CASE WHEN {proficient} THEN 1 ELSE 0 END) AS BIGINT) AS x
        FROM {evidence} e JOIN assessments a ON a.assessment_id = e.assessment_id
        WHERE a.common_id IS NOT NULL AND e.skill_id IS NOT NULL AND e.team_id IS NOT NULL
        GROUP BY ALL"""
    return district.sql(query)


def district_peer_counts(district: District, *, cut: float | None = None) -> pd.DataFrame:
    """:func:`plc_analysis.comparison.peer_counts` of a whole district, out of core.

    Parameters
    ----------
    district : District
        From :func:`plc_analysis.outofcore.open_district`.
    cut : float, optional
        As :func:`plc_analysis.comparison.peer_counts`.

    Returns
    -------
    DataFrame
        As :func:`plc_analysis.comparison.peer_counts`: ``common_id, title,
        skill_id, team_id, n_rest, x_rest, n_teams``; empty when no common
        assessment is shared.
    """
    givers = common_givers(district.small.assessments)[["common_id", "team_id", "title"]]
    return finish_peer_counts(peer_skill_counts(district, cut=cut), givers)


def teacher_counts(
    district: District,
    by: Literal["skill"] = "skill",
    rule: MasteryRule = COMPARISON_RULE,
    *,
    weight: float = 0.65,
    cut: float | None = None,
) -> pd.DataFrame:
    """Each teacher's students and how many are proficient, per team × skill, counted in SQL.

    Parameters
    ----------
    district : District
    by : {"skill"}
        Per skill (the only unit counted out of core).
    rule, weight, cut
        As :func:`plc_analysis.compare_to_team`.

    Returns
    -------
    DataFrame
        Columns ``team_id, skill_id, teacher_id, n, x, mean_credit`` (the
        teacher's students' mean score), students with a known teacher only,
        unordered: what :func:`~plc_analysis.comparison.finish_compare_to_team` takes.
    """
    if by != "skill":
        raise ValueError(f"out of core, teachers are compared per skill only (by='skill'), not {by!r}")
    check_mastery_rule(rule, weight)
    mastery = mastery_view(district, rule, weight=weight)
    proficient = "m.proficient" if cut is None else proficient_sql("m.score", cut)
    keys = TEAM_COMPARISON_KEYS[by] + ["teacher_id"]
    selected = ", ".join(f"CAST(m.{k} AS VARCHAR) AS {k}" for k in keys)
    query = f"""
        SELECT {selected}, CAST(count(*) AS BIGINT) AS n,
               CAST(sum(CASE WHEN {proficient} THEN 1 ELSE 0 END) AS BIGINT) AS x,
               avg(m.score) AS mean_credit
        FROM {mastery} m
        WHERE {" AND ".join(f"m.{k} IS NOT NULL" for k in keys)}
        GROUP BY ALL"""
    return district.sql(query)


def district_compare_counts(
    district: District,
    by: Literal["skill"] = "skill",
    rule: MasteryRule = COMPARISON_RULE,
    *,
    min_n: int = 10,
    confidence: float = 0.95,
    weight: float = 0.65,
    cut: float | None = None,
) -> pd.DataFrame:
    """:func:`plc_analysis.compare_to_team` (by skill) for every team of a whole district, out of core.

    Parameters
    ----------
    district : District
        From :func:`plc_analysis.outofcore.open_district`.
    by : {"skill"}
        Per skill (``compare_to_team(by="item")`` stays in pandas, on a team's extract).
    rule, min_n, confidence, weight, cut
        As :func:`plc_analysis.compare_to_team` (default rule ``"mean"``,
        :data:`~plc_analysis.comparison.COMPARISON_RULE`).

    Returns
    -------
    DataFrame
        As :func:`plc_analysis.compare_to_team`: ``team_id, skill_id,
        description, essential, teacher_id, teacher, n, x, share, n_rest,
        x_rest, share_rest, difference, ci_low, ci_high, signal, mean_credit``.
    """
    counts = teacher_counts(district, by, rule, weight=weight, cut=cut)
    return finish_compare_to_team(counts, district.small, by, min_n=min_n, confidence=confidence)
