"""Intended, implemented and attained curriculum (Marzano, 2003, cited by DuFour).

Districts "devote tremendous time and energy to designing the intended
curriculum" but "pay little attention to the implemented curriculum (what
teachers actually teach) and even less to the attained curriculum (what
students learn)".  Here:

* **intended** — the essential skills the team listed (``skills.csv``,
  ``essential`` true, the team's ``team_id``; a skill shared by several teams,
  with no ``team_id``, is intended by each team that assesses it);
* **implemented** — the skills each teacher's students were actually assessed
  on (score rows on items of the skill), within the date range of the filters;
* **attained** — the share of those students proficient on the skill.

:func:`coverage_matrix` lays this out teacher × skill and names every gap
("skill X intended but never assessed in Ms. B's sections").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .comparison import teacher_names
from .dataset import Dataset
from .equity import MIN_CELL, Audience, resolve_audience, suppress_small_cells
from .proficiency import MasteryRule, skill_evidence, student_skill_mastery

__all__ = ["coverage_matrix", "coverage_gaps", "COVERAGE_STATUSES"]

#: Values of the ``status`` column of :func:`coverage_matrix`.
COVERAGE_STATUSES: tuple[str, ...] = (
    "intended and assessed",
    "intended, never assessed",
    "assessed, not listed as essential",
)


def coverage_matrix(
    dataset: Dataset,
    rule: MasteryRule = "most_recent",
    *,
    audience: Audience = "team",
    min_n: int = MIN_CELL,
    **filters: Any,
) -> pd.DataFrame:
    """Teacher × skill coverage: intended, implemented (assessed) and attained (share proficient).

    Parameters
    ----------
    dataset : Dataset
    rule : str
        Mastery rule for the attained share (see
        :func:`~plc_analysis.student_skill_mastery`).
    audience : {"team", "beyond_team", "auto"}, default "team"
        The matrix is the team's own tool.  ``"beyond_team"`` (or
        ``"auto"`` over several teams) suppresses attained shares resting on
        fewer than ``min_n`` students, with complementary suppression among
        the teachers of a team.
    min_n : int, default 10
    **filters
        Passed to :meth:`Dataset.filter`; ``start``/``end`` set the date range
        of the implemented curriculum.

    Returns
    -------
    DataFrame
        One row per team × teacher × skill (intended by the team or assessed
        in the teacher's sections), essential skills first, columns
        ``team_id, teacher_id, teacher, sections, n_students`` (enrolled in
        the teacher's sections of the team), ``skill_id, description,
        essential, intended, implemented`` (bool), ``n_assessments``
        (assessments on which the teacher's students had evidence on the
        skill), ``first_date, last_date, n_assessed, n_proficient,
        share_proficient`` (attained), ``n_teachers_assessing, n_teachers``
        (in the team), ``status`` (one of :data:`COVERAGE_STATUSES`),
        ``note`` (plain sentence for gaps, empty otherwise) and
        ``audience``; beyond the team also the suppression columns of
        :func:`~plc_analysis.equity.suppress_small_cells`.
    """
    if filters:
        dataset = dataset.filter(**filters)
    placement = dataset.student_sections()
    names = teacher_names(dataset)
    teachers = placement.groupby(["team_id", "teacher_id"]).agg(n_students=("student_id", "nunique")).reset_index()
    # teachers with sections but no students still teach the curriculum
    listed = dataset.sections[["team_id", "teacher_id", "section_id"]]
    empty = (
        listed.groupby(["team_id", "teacher_id"])["section_id"]
        .agg(lambda s: ", ".join(sorted(s.astype("str").unique())))
        .rename("sections")
        .reset_index()
    )
    teachers = empty.merge(teachers, on=["team_id", "teacher_id"], how="left")
    teachers["n_students"] = teachers["n_students"].fillna(0).astype("int64")
    teachers["teacher"] = teachers["teacher_id"].map(names).astype("str")

    skills = dataset.skills[["skill_id", "description", "team_id", "essential"]]
    evidence = skill_evidence(dataset)
    assessed_by_team = (
        dataset.items[["assessment_id", "skill_id"]]
        .drop_duplicates()
        .merge(dataset.assessments[["assessment_id", "team_id"]], on="assessment_id")[["team_id", "skill_id"]]
        .drop_duplicates()
    )
    own = skills[skills["team_id"].notna()][["team_id", "skill_id"]]
    shared = assessed_by_team[assessed_by_team["skill_id"].isin(skills.loc[skills["team_id"].isna(), "skill_id"])]
    team_skills = pd.concat([own, shared, assessed_by_team], ignore_index=True).drop_duplicates()
    team_skills = team_skills[team_skills["team_id"].isin(dataset.teams["team_id"])]
    team_skills = team_skills.merge(skills[["skill_id", "description", "essential"]], on="skill_id", how="left")
    intended_pairs = pd.concat([own, shared], ignore_index=True).drop_duplicates().assign(_intended=True)
    team_skills = team_skills.merge(intended_pairs, on=["team_id", "skill_id"], how="left")
    team_skills["intended"] = team_skills["_intended"].fillna(False).astype(bool) & team_skills["essential"].fillna(
        True
    ).astype(bool)
    team_skills = team_skills.drop(columns="_intended")

    implemented = (
        evidence.groupby(["team_id", "teacher_id", "skill_id"])
        .agg(n_assessments=("assessment_id", "nunique"), first_date=("date", "min"), last_date=("date", "max"))
        .reset_index()
    )
    mastery = student_skill_mastery(dataset, rule)
    attained = (
        mastery.groupby(["team_id", "teacher_id", "skill_id"])
        .agg(n_assessed=("student_id", "nunique"), n_proficient=("proficient", "sum"))
        .reset_index()
    )
    grid = teachers.merge(team_skills, on="team_id", how="inner")
    grid = grid.merge(implemented, on=["team_id", "teacher_id", "skill_id"], how="left")
    grid = grid.merge(attained, on=["team_id", "teacher_id", "skill_id"], how="left")
    # a skill assessed in a teacher's sections but not on the team's own list still shows up
    extra = implemented.merge(teachers, on=["team_id", "teacher_id"], how="inner").merge(
        grid[["team_id", "teacher_id", "skill_id"]].assign(_seen=True),
        on=["team_id", "teacher_id", "skill_id"],
        how="left",
    )
    extra = extra[extra["_seen"].isna()].drop(columns="_seen")
    if len(extra):
        extra = (
            extra.merge(skills[["skill_id", "description", "essential"]], on="skill_id", how="left")
            .merge(attained, on=["team_id", "teacher_id", "skill_id"], how="left")
            .assign(intended=False)
        )
        grid = pd.concat([grid, extra], ignore_index=True)
    grid = grid[grid["intended"] | grid["n_assessments"].notna()].copy()
    grid["n_assessments"] = grid["n_assessments"].fillna(0).astype("int64")
    grid["implemented"] = grid["n_assessments"] > 0
    grid["n_assessed"] = grid["n_assessed"].fillna(0).astype("int64")
    grid["n_proficient"] = grid["n_proficient"].fillna(0).astype("int64")
    grid["share_proficient"] = grid["n_proficient"] / grid["n_assessed"].where(grid["n_assessed"] > 0)
    grid["n_teachers_assessing"] = grid.groupby(["team_id", "skill_id"])["implemented"].transform("sum").astype("int64")
    grid["n_teachers"] = grid["team_id"].map(teachers.groupby("team_id")["teacher_id"].nunique()).astype("int64")
    grid["status"] = np.select(
        [grid["intended"] & grid["implemented"], grid["intended"]],
        [COVERAGE_STATUSES[0], COVERAGE_STATUSES[1]],
        default=COVERAGE_STATUSES[2],
    )
    gap = grid["status"] == COVERAGE_STATUSES[1]
    colleagues = np.where(
        grid["n_teachers_assessing"] > 0,
        " It was assessed in "
        + grid["n_teachers_assessing"].astype("str")
        + " of "
        + grid["n_teachers"].astype("str")
        + " teachers' sections.",
        " No teacher of the team has assessed it.",
    )
    grid["note"] = np.where(
        gap,
        "\u201c"
        + grid["description"].astype("str")
        + "\u201d is intended (essential) but was never assessed in "
        + grid["teacher"]
        + "'s sections ("
        + grid["sections"]
        + ")."
        + colleagues,
        "",
    )
    grid["note"] = grid["note"].astype("str")
    grid["essential"] = grid["essential"].fillna(True).astype(bool)
    grid = grid.sort_values(
        ["team_id", "teacher_id", "essential", "skill_id"], ascending=[True, True, False, True], kind="stable"
    )
    who = resolve_audience(dataset, audience, team_ids=grid["team_id"].unique())
    grid["audience"] = who
    columns = [
        "team_id",
        "teacher_id",
        "teacher",
        "sections",
        "n_students",
        "skill_id",
        "description",
        "essential",
        "intended",
        "implemented",
        "n_assessments",
        "first_date",
        "last_date",
        "n_assessed",
        "n_proficient",
        "share_proficient",
        "n_teachers_assessing",
        "n_teachers",
        "status",
        "note",
        "audience",
    ]
    out = grid[columns].reset_index(drop=True)
    if who == "beyond_team":
        assessed = out[out["n_assessed"] > 0]
        protected = suppress_small_cells(
            assessed,
            "n_assessed",
            min_n,
            families=[["team_id", "skill_id"]],
            value_columns=["n_proficient", "share_proficient"],
        )
        out = out.merge(
            protected[["team_id", "teacher_id", "skill_id", "n_assessed_shown", "suppressed", "suppression"]],
            on=["team_id", "teacher_id", "skill_id"],
            how="left",
        )
        hidden = out["suppressed"].fillna(False).astype(bool)
        out["n_assessed"] = out["n_assessed"].astype("Int64").mask(hidden)
        out["n_proficient"] = out["n_proficient"].astype("Int64").mask(hidden)
        out["share_proficient"] = out["share_proficient"].mask(hidden)
        out["n_assessed_shown"] = out["n_assessed_shown"].fillna("0").astype("str")
        out["suppressed"] = hidden
        out["suppression"] = out["suppression"].fillna("").astype("str")
    return out


def coverage_gaps(
    dataset: Dataset, rule: MasteryRule = "most_recent", *, matrix: pd.DataFrame | None = None, **filters: Any
) -> pd.DataFrame:
    """Only the gaps: essential skills intended by a team but never assessed in a teacher's sections.

    Parameters
    ----------
    dataset : Dataset
    rule : str
        See :func:`coverage_matrix`.
    matrix : DataFrame, optional
        A result of :func:`coverage_matrix` (computed otherwise).
    **filters
        Passed to :func:`coverage_matrix`.

    Returns
    -------
    DataFrame
        The rows of :func:`coverage_matrix` whose ``status`` is ``"intended,
        never assessed"``, columns ``team_id, teacher_id, teacher, sections,
        skill_id, description, n_teachers_assessing, n_teachers, note``.
    """
    if matrix is None:
        matrix = coverage_matrix(dataset, rule, **filters)
    gaps = matrix[matrix["status"] == COVERAGE_STATUSES[1]]
    return gaps[
        [
            "team_id",
            "teacher_id",
            "teacher",
            "sections",
            "skill_id",
            "description",
            "n_teachers_assessing",
            "n_teachers",
            "note",
        ]
    ].reset_index(drop=True)
