"""PLC question 3 — how will we respond when a student has difficulty?

The response must be *timely* (from the most recent evidence, the moment scores
land), *based on intervention rather than remediation* and *directive*.  This
module names the students who need additional time and support on each
essential skill, regroups them by skill into groups no larger than a guided
study hall, lists the students ready for enrichment, and checks whether the
support worked (share proficient after the intervention against before).
Tiers that escalate by rule are in :mod:`plc_analysis.tiers`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .coded import decode
from .comparison import teacher_names
from .dataset import Dataset
from .equity import MIN_CELL, Audience, names_allowed, resolve_audience, student_names, suppress_small_cells
from .group_text import joined_by_group
from .proficiency import (
    MasteryRule,
    coded_skill_evidence,
    coded_student_skill_mastery,
    skill_evidence,
    student_skill_mastery,
)
from .rules import at_least, chronological, same_day_later
from .stats import wilson_interval
from .text_format import percent_texts
from .tier_policy import DEFAULT_POLICY

__all__ = [
    "students_needing_support",
    "support_by_student",
    "support_groups",
    "enrichment_list",
    "intervention_outcomes",
    "intervention_effectiveness",
    "latest_data_date",
]


def latest_data_date(dataset: Dataset) -> pd.Timestamp | None:
    """The latest date with evidence in a dataset: an assessment or a progress report.

    Returns
    -------
    Timestamp or None
        None when the dataset holds no dated evidence.
    """
    dates = pd.concat([dataset.assessments["date"], dataset.progress["period_end"]]).dropna()
    return None if dates.empty else pd.Timestamp(dates.max())


def _below_since(evidence: pd.DataFrame) -> pd.Series:
    """Per student × skill, the first date of the current unbroken run of evidence below the cut."""
    keys = ["student_id", "skill_id"]
    ev = chronological(evidence)
    ok = at_least(ev["score"], ev["proficiency_cut"])
    run = ok.astype(int).groupby([ev[k] for k in keys], sort=False).cumsum()
    last_run = run.groupby([ev[k] for k in keys], sort=False).transform("max")
    tail = ev[(run == last_run) & ~ok]
    return tail.groupby(keys)["date"].min()


def _names_column(frame: pd.DataFrame, dataset: Dataset, show: bool) -> pd.DataFrame:
    if show:
        frame.insert(1, "student", frame["student_id"].map(student_names(dataset)).fillna("").astype("str"))
    return frame


def students_needing_support(
    dataset: Dataset,
    rule: MasteryRule = "most_recent",
    group_size: int = 10,
    *,
    names: bool | None = None,
    essential_only: bool = True,
    as_of: str | pd.Timestamp | None = None,
    weight: float = 0.65,
    cut: float | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """Every student not yet proficient on an essential skill, with the evidence and a support group.

    Parameters
    ----------
    dataset : Dataset
    rule : str
        Mastery rule (see :func:`~plc_analysis.student_skill_mastery`);
        ``"most_recent"`` (default) lets a reassessment after support count.
    group_size : int, default 10
        Largest support group (a guided study hall of 10 or fewer students).
        Students needing a skill are split, within their team, into
        ``ceil(n / group_size)`` groups of near-equal size, by score (the
        students furthest below the cut together).
    names : bool or None
        Include ``student`` (``"Last, First"``); ``None`` shows names only when
        the dataset holds a single team (the team that teaches them), ``True``
        raises otherwise.
    essential_only : bool, default True
        Only the team's essential skills.
    as_of : date, optional
        Use evidence up to this date (default: all); ``weeks_below`` is
        counted to it (default: the latest data date).
    weight, cut
        See :func:`~plc_analysis.student_skill_mastery`.
    **filters
        Passed to :meth:`Dataset.filter`.

    Returns
    -------
    DataFrame
        One row per student × skill below the cut, sorted by team, teacher,
        section and student, columns ``student_id``, ``student`` (if names
        are shown), ``team_id, school_id, teacher_id, teacher, section_id,
        skill_id, description, assessment_id, title, assessment_kind, date``
        (the latest evidence), ``score, proficiency_cut, shortfall`` (cut −
        score), ``evidence`` (plain text: assessment, date, score vs cut),
        ``below_since`` (first date of the current unbroken run of evidence
        below the cut), ``weeks_below``, ``n_assessments``,
        ``n_skills_below`` (for this student in this team), ``group``
        (support-group label, see :func:`support_groups`).
    """
    if rule == "all":
        raise ValueError(
            "students_needing_support needs one standing per student and skill; choose a rule other than 'all'"
        )
    if group_size < 1:
        raise ValueError(f"group_size must be at least 1, not {group_size}")
    if filters:
        dataset = dataset.filter(**filters)
    if as_of is not None:
        dataset = dataset.filter(end=as_of)
    show = names_allowed(dataset, names)
    reference = pd.Timestamp(as_of) if as_of is not None else latest_data_date(dataset)
    mastery = coded_student_skill_mastery(dataset, rule, weight=weight, cut=cut)
    skills = dataset.skills[["skill_id", "description", "essential"]]
    if skills["skill_id"].is_unique:  # the join below keeps rows one for one: leave the proficient out first
        mastery = mastery[~mastery["proficient"].to_numpy()]
    mastery = decode(mastery).merge(skills, on="skill_id", how="left")
    if essential_only:
        mastery = mastery[mastery["essential"].fillna(True).astype(bool)]
    below = mastery[~mastery["proficient"]].copy()
    evidence = coded_skill_evidence(dataset)
    if cut is not None:
        evidence = evidence.assign(proficiency_cut=float(cut))
    since = decode(_below_since(evidence).rename("below_since").reset_index())
    below = below.merge(since, on=["student_id", "skill_id"], how="left")
    below["below_since"] = below["below_since"].fillna(below["first_date"])
    titles = dataset.assessments[["assessment_id", "title", "kind"]].rename(columns={"kind": "assessment_kind"})
    below = below.merge(titles, on="assessment_id", how="left")
    below["assessment_kind"] = below["assessment_kind"].astype("str")
    below["teacher"] = below["teacher_id"].map(teacher_names(dataset)).astype("str")
    below["shortfall"] = below["proficiency_cut"] - below["score"]
    below["evidence"] = (
        below["title"].fillna(below["assessment_id"]).astype("str")
        + " on "
        + below["date"].dt.strftime("%Y-%m-%d")
        + ": "
        + percent_texts(below["score"])
        + " (cut "
        + percent_texts(below["proficiency_cut"])
        + ")"
    )
    days = (reference - below["below_since"]).dt.days if reference is not None else np.nan
    below["weeks_below"] = (pd.Series(days, index=below.index) / 7).round(1)
    below["n_skills_below"] = below.groupby(["team_id", "student_id"])["skill_id"].transform("size").astype("int64")
    below = _assign_groups(below, group_size)
    below = below.sort_values(
        ["team_id", "teacher_id", "section_id", "student_id", "skill_id"], kind="stable"
    ).reset_index(drop=True)
    columns = [
        "student_id",
        "team_id",
        "school_id",
        "teacher_id",
        "teacher",
        "section_id",
        "skill_id",
        "description",
        "assessment_id",
        "title",
        "assessment_kind",
        "date",
        "score",
        "proficiency_cut",
        "shortfall",
        "evidence",
        "below_since",
        "weeks_below",
        "n_assessments",
        "n_skills_below",
        "group",
    ]
    return _names_column(below[columns].copy(), dataset, show)


def _assign_groups(below: pd.DataFrame, group_size: int) -> pd.DataFrame:
    """Split the students needing each team × skill into near-equal groups of at most ``group_size``."""
    keys = ["team_id", "skill_id"]
    ordered = below.sort_values([*keys, "score", "student_id"], kind="stable")
    position = ordered.groupby(keys, sort=False).cumcount()
    n = ordered.groupby(keys, sort=False)["student_id"].transform("size")
    n_groups = np.ceil(n / group_size).astype(int)
    number = (position * n_groups // n + 1).astype(int)
    ordered = ordered.assign(group_number=number, n_groups=n_groups)
    ordered["group"] = (
        ordered["skill_id"].astype("str")
        + " group "
        + ordered["group_number"].astype("str")
        + " of "
        + ordered["n_groups"].astype("str")
    )
    return ordered.drop(columns=["group_number", "n_groups"]).sort_index()


def support_by_student(
    dataset: Dataset,
    rule: MasteryRule = "most_recent",
    group_size: int = 10,
    *,
    names: bool | None = None,
    needing: pd.DataFrame | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """The support list by student, for the student's teacher or advisor.

    Parameters
    ----------
    dataset : Dataset
    rule, group_size, names
        See :func:`students_needing_support`.
    needing : DataFrame, optional
        A result of :func:`students_needing_support` to summarise (else it is
        computed with ``rule``, ``group_size``, ``names`` and ``**kwargs``).
    **kwargs
        Passed to :func:`students_needing_support` (filters, ``as_of`` ...).

    Returns
    -------
    DataFrame
        One row per student × team, most skills below first, columns
        ``student_id``, ``student`` (when names are shown), ``team_id,
        teacher_id, teacher, section_id, n_skills_below, skills`` (the
        descriptions, ``"; "``-separated, furthest below first),
        ``skill_ids, lowest_score, below_since`` (earliest),
        ``weeks_below`` (longest), ``groups`` (support groups, ``"; "``).
    """
    if needing is None:
        needing = students_needing_support(dataset, rule, group_size, names=names, **kwargs)
    keys = ["student_id", "team_id"]
    ordered = needing.sort_values([*keys, "shortfall"], ascending=[True, True, False], kind="stable")
    grouped = ordered.groupby(keys, sort=False)
    out = grouped.agg(
        teacher_id=("teacher_id", "first"),
        teacher=("teacher", "first"),
        section_id=("section_id", "first"),
        n_skills_below=("skill_id", "size"),
        lowest_score=("score", "min"),
        below_since=("below_since", "min"),
        weeks_below=("weeks_below", "max"),
    ).reset_index()
    codes = grouped.ngroup()
    out = out.assign(
        **{
            name: joined_by_group(codes, ordered[column], len(out), "; ")
            for name, column in (("skills", "description"), ("skill_ids", "skill_id"), ("groups", "group"))
        }
    )
    out = out[
        [
            *keys,
            "teacher_id",
            "teacher",
            "section_id",
            "n_skills_below",
            "skills",
            "skill_ids",
            "lowest_score",
            "below_since",
            "weeks_below",
            "groups",
        ]
    ]
    if "student" in needing.columns:
        out.insert(
            1,
            "student",
            out["student_id"].map(needing.drop_duplicates("student_id").set_index("student_id")["student"]),
        )
    out = out.sort_values(
        ["team_id", "n_skills_below", "teacher_id", "student_id"], ascending=[True, False, True, True], kind="stable"
    )
    return out.reset_index(drop=True)


def support_groups(
    dataset: Dataset,
    rule: MasteryRule = "most_recent",
    group_size: int = 10,
    *,
    needing: pd.DataFrame | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """Flexible regrouping by skill: who needs reteaching on what, in groups of at most ``group_size``.

    "These 14 students, from 4 classes, need reteaching on skill X": each
    team × essential skill with students below the cut becomes one or more
    groups of near-equal size (``ceil(n / group_size)`` groups; students of
    similar scores together).  The members are the rows of
    :func:`students_needing_support` with the same ``group``.

    Parameters
    ----------
    dataset : Dataset
    rule, group_size
        See :func:`students_needing_support`.
    needing : DataFrame, optional
        A result of :func:`students_needing_support` (computed otherwise).
    **kwargs
        Passed to :func:`students_needing_support`.

    Returns
    -------
    DataFrame
        One row per team × skill × group, skills with most students first,
        columns ``team_id, skill_id, description, proficiency_cut, group,
        group_number, n_groups, n_students`` (in the group), ``n_sections,
        n_teachers, teachers, sections`` (of the group), ``lowest_score,
        highest_score, mean_score`` (of the group), ``n_students_skill,
        n_sections_skill, n_teachers_skill`` (everyone needing the skill in
        the team) and ``summary`` (plain sentence for the team).
    """
    if needing is None:
        needing = students_needing_support(dataset, rule, group_size, names=False, **kwargs)
    columns = [
        "team_id",
        "skill_id",
        "description",
        "proficiency_cut",
        "group",
        "group_number",
        "n_groups",
        "n_students",
        "n_sections",
        "n_teachers",
        "teachers",
        "sections",
        "lowest_score",
        "highest_score",
        "mean_score",
        "n_students_skill",
        "n_sections_skill",
        "n_teachers_skill",
        "summary",
    ]
    if needing.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    parts = needing["group"].str.extract(r" group (\d+) of (\d+)$").astype(int)
    needing = needing.assign(group_number=parts[0].to_numpy(), n_groups=parts[1].to_numpy())

    grouped = needing.groupby(["team_id", "skill_id", "group"], sort=False)
    groups = grouped.agg(
        description=("description", "first"),
        proficiency_cut=("proficiency_cut", "first"),
        group_number=("group_number", "first"),
        n_groups=("n_groups", "first"),
        n_students=("student_id", "nunique"),
        n_sections=("section_id", "nunique"),
        n_teachers=("teacher_id", "nunique"),
        lowest_score=("score", "min"),
        highest_score=("score", "max"),
        mean_score=("score", "mean"),
    ).reset_index()
    codes = grouped.ngroup()
    for name, column in (("teachers", "teacher"), ("sections", "section_id")):
        groups[name] = joined_by_group(codes, needing[column], len(groups), ", ", distinct_sorted=True)
    skill = (
        needing.groupby(["team_id", "skill_id"], sort=False)
        .agg(
            n_students_skill=("student_id", "nunique"),
            n_sections_skill=("section_id", "nunique"),
            n_teachers_skill=("teacher_id", "nunique"),
        )
        .reset_index()
    )
    groups = groups.merge(skill, on=["team_id", "skill_id"], how="left")
    plural = np.where(groups["n_students_skill"] == 1, " student", " students")
    classes = np.where(groups["n_sections_skill"] == 1, " class", " classes")
    groups["summary"] = (
        groups["n_students_skill"].astype("str")
        + plural
        + ", from "
        + groups["n_sections_skill"].astype("str")
        + classes
        + ", need reteaching on \u201c"
        + groups["description"].astype("str")
        + "\u201d. Group "
        + groups["group_number"].astype("str")
        + " of "
        + groups["n_groups"].astype("str")
        + ": "
        + groups["n_students"].astype("str")
        + " students from "
        + groups["teachers"]
        + " (scores "
        + percent_texts(groups["lowest_score"])
        + "\u2013"
        + percent_texts(groups["highest_score"])
        + ")."
    )
    groups = groups.sort_values(
        ["team_id", "n_students_skill", "skill_id", "group_number"], ascending=[True, False, True, True], kind="stable"
    )
    return groups[columns].reset_index(drop=True)


def enrichment_list(
    dataset: Dataset,
    rule: MasteryRule = "most_recent",
    *,
    names: bool | None = None,
    weight: float = 0.65,
    cut: float | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """Students proficient on every essential skill assessed so far: ready for enrichment.

    A student is listed when they have evidence on every essential skill their
    team has assessed (any student of the team) and are proficient on all of
    them.  Students missing evidence on a skill are not listed (they are
    neither proficient nor known to need support on it).

    Parameters
    ----------
    dataset : Dataset
    rule, weight, cut
        See :func:`~plc_analysis.student_skill_mastery`.
    names : bool or None
        See :func:`students_needing_support`.
    **filters
        Passed to :meth:`Dataset.filter`.

    Returns
    -------
    DataFrame
        One row per student × team, columns ``student_id``, ``student`` (if
        names are shown), ``team_id, school_id, teacher_id, teacher,
        section_id, n_skills`` (essential skills assessed, all proficient),
        ``lowest_score, mean_score`` and ``note``.
    """
    if rule == "all":
        raise ValueError("enrichment_list needs one standing per student and skill; choose another rule")
    if filters:
        dataset = dataset.filter(**filters)
    show = names_allowed(dataset, names)
    mastery = student_skill_mastery(dataset, rule, weight=weight, cut=cut)
    essential = dataset.skills.loc[dataset.skills["essential"].fillna(True).astype(bool), "skill_id"]
    mastery = mastery[mastery["skill_id"].isin(essential)]
    assessed = mastery.groupby("team_id")["skill_id"].nunique().rename("n_team_skills")
    per = (
        mastery.groupby(["team_id", "student_id"], sort=False)
        .agg(
            school_id=("school_id", "first"),
            teacher_id=("teacher_id", "first"),
            section_id=("section_id", "first"),
            n_skills=("skill_id", "nunique"),
            n_proficient=("proficient", "sum"),
            lowest_score=("score", "min"),
            mean_score=("score", "mean"),
        )
        .reset_index()
        .merge(assessed.reset_index(), on="team_id")
    )
    ready = per[(per["n_skills"] == per["n_team_skills"]) & (per["n_proficient"] == per["n_skills"])].copy()
    ready["teacher"] = ready["teacher_id"].map(teacher_names(dataset)).astype("str")
    ready["note"] = (
        "proficient on all "
        + ready["n_skills"].astype("str")
        + " essential skills assessed so far (lowest "
        + percent_texts(ready["lowest_score"])
        + ")"
    )
    ready = ready.sort_values(["team_id", "teacher_id", "section_id", "student_id"], kind="stable")
    columns = [
        "student_id",
        "team_id",
        "school_id",
        "teacher_id",
        "teacher",
        "section_id",
        "n_skills",
        "lowest_score",
        "mean_score",
        "note",
    ]
    return _names_column(ready[columns].reset_index(drop=True), dataset, show)


# --------------------------------------------------------------------------- #
# Did the support work?
# --------------------------------------------------------------------------- #
def _progress_standing(dataset: Dataset) -> pd.DataFrame:
    """Lowest progress-report percent per student and report date."""
    return (
        dataset.progress.groupby(["student_id", "period_end"], sort=True)["percent"]
        .min()
        .rename("value")
        .reset_index()
        .rename(columns={"period_end": "date"})
    )


def intervention_outcomes(
    dataset: Dataset, *, line: float | None = None, as_of: str | pd.Timestamp | None = None, **filters: Any
) -> pd.DataFrame:
    """Each intervention with the evidence before it and after it.

    * An intervention **on a skill** (``skill_id`` given) is measured on that
      skill: *before* is the latest evidence dated before ``start_date``;
      *after* is the first evidence dated on or after ``start_date`` (and on
      or before ``end_date`` when there is one), a reassessment preferred.
      Met = at or above the skill's cut.
    * An intervention **without a skill** (a tier of support) is measured on
      progress reports (the student's lowest percent across sections):
      *before* is the latest report on or before ``start_date``; *after* the
      latest report on or before ``end_date`` (for open support, the latest
      report after the start).  Met = at or above ``line``.

    Parameters
    ----------
    dataset : Dataset
    line : float, optional
        Progress percent that counts as meeting the standard (default: the
        ``below`` line of :data:`plc_analysis.DEFAULT_POLICY`, 70).
    as_of : date, optional
        Ignore evidence and interventions after this date.
    **filters
        Passed to :meth:`Dataset.filter`.

    Returns
    -------
    DataFrame
        One row per intervention, columns ``student_id, team_id, tier, kind,
        skill_id, start_date, end_date, outcome`` (as recorded),
        ``evidence`` (``"skill assessment"`` or ``"progress report"``),
        ``before_date, before_assessment_id, before_score, before_met,
        after_date, after_assessment_id, after_score, after_met, measured``
        (both before and after found), ``improved`` (after score above
        before).  Scores are 0–1 (skills) or percent (progress reports).
    """
    if filters:
        dataset = dataset.filter(**filters)
    if as_of is not None:
        dataset = dataset.filter(end=as_of)
    line = float(DEFAULT_POLICY["below"] if line is None else line)
    iv = dataset.interventions.reset_index(drop=True).copy()
    iv["_id"] = np.arange(len(iv))
    iv["tier"] = iv["tier"].astype("Int64")
    placement = dataset.student_sections().drop_duplicates("student_id")[["student_id", "team_id"]]
    on_skill = iv[iv["skill_id"].notna()]
    tiered = iv[iv["skill_id"].isna()]

    # skill interventions
    ev = skill_evidence(dataset)
    ev = ev.assign(
        met=at_least(ev["score"], ev["proficiency_cut"]),
        _later=same_day_later(ev["assessment_kind"]),
    )
    pairs = on_skill[["_id", "student_id", "skill_id", "start_date", "end_date"]].merge(
        ev[["student_id", "skill_id", "assessment_id", "team_id", "date", "score", "met", "_later"]],
        on=["student_id", "skill_id"],
        how="inner",
    )
    before = (
        pairs[pairs["date"] < pairs["start_date"]]
        .sort_values(["_id", "date", "_later", "assessment_id"], kind="stable")
        .drop_duplicates("_id", keep="last")  # the latest before, a same-day reassessment after its original
    )
    window = (pairs["date"] >= pairs["start_date"]) & (pairs["end_date"].isna() | (pairs["date"] <= pairs["end_date"]))
    after = (  # the first reassessment in the window, else the first evidence
        pairs[window]
        .sort_values(["_id", "_later", "date"], ascending=[True, False, True], kind="stable")
        .drop_duplicates("_id", keep="first")
    )
    skill_part = on_skill.assign(evidence="skill assessment")
    skill_part = skill_part.merge(
        before[["_id", "date", "assessment_id", "score", "met", "team_id"]].rename(
            columns={
                "date": "before_date",
                "assessment_id": "before_assessment_id",
                "score": "before_score",
                "met": "before_met",
                "team_id": "_team_b",
            }
        ),
        on="_id",
        how="left",
    )
    skill_part = skill_part.merge(
        after[["_id", "date", "assessment_id", "score", "met", "team_id"]].rename(
            columns={
                "date": "after_date",
                "assessment_id": "after_assessment_id",
                "score": "after_score",
                "met": "after_met",
                "team_id": "_team_a",
            }
        ),
        on="_id",
        how="left",
    )
    skill_part["team_id"] = skill_part["_team_b"].fillna(skill_part["_team_a"])
    skill_part = skill_part.drop(columns=["_team_b", "_team_a"])

    # tiers of support, measured on progress reports
    standing = _progress_standing(dataset)
    ppairs = tiered[["_id", "student_id", "start_date", "end_date"]].merge(standing, on="student_id", how="inner")
    pbefore = (
        ppairs[ppairs["date"] <= ppairs["start_date"]].sort_values(["_id", "date"]).drop_duplicates("_id", keep="last")
    )
    pwindow = (ppairs["date"] > ppairs["start_date"]) & (
        ppairs["end_date"].isna() | (ppairs["date"] <= ppairs["end_date"])
    )
    pafter = ppairs[pwindow].sort_values(["_id", "date"]).drop_duplicates("_id", keep="last")
    tier_part = tiered.assign(evidence="progress report")
    tier_part = tier_part.merge(
        pbefore[["_id", "date", "value"]].rename(columns={"date": "before_date", "value": "before_score"}),
        on="_id",
        how="left",
    )
    tier_part = tier_part.merge(
        pafter[["_id", "date", "value"]].rename(columns={"date": "after_date", "value": "after_score"}),
        on="_id",
        how="left",
    )
    tier_part["before_met"] = (tier_part["before_score"] >= line).where(tier_part["before_score"].notna())
    tier_part["after_met"] = (tier_part["after_score"] >= line).where(tier_part["after_score"].notna())
    tier_part["before_assessment_id"] = pd.Series(pd.NA, index=tier_part.index, dtype="str")
    tier_part["after_assessment_id"] = pd.Series(pd.NA, index=tier_part.index, dtype="str")
    tier_part = tier_part.merge(placement, on="student_id", how="left")

    out = pd.concat([skill_part, tier_part], ignore_index=True).sort_values("_id").reset_index(drop=True)
    for c in ("before_met", "after_met"):
        out[c] = out[c].astype("boolean")
    out["measured"] = (out["before_score"].notna() & out["after_score"].notna()).astype(bool)
    out["improved"] = (out["after_score"] > out["before_score"]).where(out["measured"]).astype("boolean")
    columns = [
        "student_id",
        "team_id",
        "tier",
        "kind",
        "skill_id",
        "start_date",
        "end_date",
        "outcome",
        "evidence",
        "before_date",
        "before_assessment_id",
        "before_score",
        "before_met",
        "after_date",
        "after_assessment_id",
        "after_score",
        "after_met",
        "measured",
        "improved",
    ]
    return out[columns]


def intervention_effectiveness(
    dataset: Dataset,
    by: Sequence[str] = ("evidence", "kind", "tier"),
    *,
    confidence: float = 0.95,
    line: float | None = None,
    as_of: str | pd.Timestamp | None = None,
    outcomes: pd.DataFrame | None = None,
    audience: Audience = "auto",
    min_n: int = MIN_CELL,
    **filters: Any,
) -> pd.DataFrame:
    """Did the support work?  Share meeting the standard after the intervention vs before.

    Parameters
    ----------
    dataset : Dataset
    by : sequence of str
        Columns of :func:`intervention_outcomes` to group by (default
        ``evidence, kind, tier``; add ``"team_id"``, ``"skill_id"`` or
        ``"after_assessment_id"`` to split further).
    confidence : float
        Level of the Wilson intervals.
    line, as_of
        See :func:`intervention_outcomes`.
    outcomes : DataFrame, optional
        A result of :func:`intervention_outcomes` (computed otherwise).
    audience : {"auto", "team", "beyond_team"}
        Beyond the team (``"auto"``: when the interventions span several
        teams), groups of fewer than ``min_n`` measured students are
        suppressed, with complementary suppression among the groups that
        differ only in the last ``by`` column.
    min_n : int, default 10
    **filters
        Passed to :meth:`Dataset.filter`.

    Returns
    -------
    DataFrame
        One row per group, columns ``<by>, n_interventions, n_measured`` (both
        before and after evidence: the ``n`` of the shares),
        ``n_not_measured, n_before_met, share_before, before_ci_low,
        before_ci_high, n_after_met, share_after, after_ci_low, after_ci_high,
        change`` (share after − share before, same students), ``n_improved,
        share_improved, mean_before, mean_after`` and ``summary`` (plain
        sentence), ``audience``; beyond the team also ``n_measured_shown,
        suppressed, suppression`` (see
        :func:`~plc_analysis.equity.suppress_small_cells`).
    """
    if outcomes is None:
        outcomes = intervention_outcomes(dataset, line=line, as_of=as_of, **filters)
    by = list(by)
    m = outcomes.assign(
        _b=outcomes["before_met"].fillna(False).astype(bool) & outcomes["measured"],
        _a=outcomes["after_met"].fillna(False).astype(bool) & outcomes["measured"],
        _i=outcomes["improved"].fillna(False).astype(bool),
        _bs=outcomes["before_score"].where(outcomes["measured"]),
        _as=outcomes["after_score"].where(outcomes["measured"]),
    )
    out = (
        m.groupby(by, dropna=False, sort=True, observed=True)
        .agg(
            n_interventions=("student_id", "size"),
            n_measured=("measured", "sum"),
            n_before_met=("_b", "sum"),
            n_after_met=("_a", "sum"),
            n_improved=("_i", "sum"),
            mean_before=("_bs", "mean"),
            mean_after=("_as", "mean"),
        )
        .reset_index()
    )
    for c in ("n_interventions", "n_measured", "n_before_met", "n_after_met", "n_improved"):
        out[c] = out[c].astype("int64")
    out["n_not_measured"] = out["n_interventions"] - out["n_measured"]
    n = out["n_measured"].to_numpy(float)
    denominator = out["n_measured"].where(out["n_measured"] > 0)
    out["share_before"] = out["n_before_met"] / denominator
    out["share_after"] = out["n_after_met"] / denominator
    out["share_improved"] = out["n_improved"] / denominator
    out["before_ci_low"], out["before_ci_high"] = wilson_interval(out["n_before_met"].to_numpy(float), n, confidence)
    out["after_ci_low"], out["after_ci_high"] = wilson_interval(out["n_after_met"].to_numpy(float), n, confidence)
    out["change"] = out["share_after"] - out["share_before"]
    what = np.where(
        out.get("evidence", pd.Series("", index=out.index)).astype("str") == "progress report",
        "at or above the line at the next review",
        "proficient on the reassessment",
    )
    label = out["kind"].astype("str") if "kind" in out.columns else pd.Series("support", index=out.index)
    out["summary"] = (
        "After "
        + label
        + ": "
        + out["n_after_met"].astype("str")
        + " of "
        + out["n_measured"].astype("str")
        + " students ("
        + percent_texts(out["share_after"])
        + ") "
        + pd.Series(what, index=out.index)
        + ", against "
        + percent_texts(out["share_before"])
        + " before; "
        + out["n_not_measured"].astype("str")
        + " not measured."
    )
    columns = [
        *by,
        "n_interventions",
        "n_measured",
        "n_not_measured",
        "n_before_met",
        "share_before",
        "before_ci_low",
        "before_ci_high",
        "n_after_met",
        "share_after",
        "after_ci_low",
        "after_ci_high",
        "change",
        "n_improved",
        "share_improved",
        "mean_before",
        "mean_after",
        "summary",
        "audience",
    ]
    who = resolve_audience(None, audience, team_ids=outcomes["team_id"].dropna().unique())
    out["audience"] = who
    out = out[columns]
    if who == "beyond_team":
        counts = ["n_before_met", "n_after_met", "n_improved", "n_interventions", "n_not_measured"]
        values = [
            *counts,
            "share_before",
            "before_ci_low",
            "before_ci_high",
            "share_after",
            "after_ci_low",
            "after_ci_high",
            "change",
            "share_improved",
            "mean_before",
            "mean_after",
        ]
        out = suppress_small_cells(
            out, "n_measured", min_n, families=[by[:-1]] if len(by) > 1 else None, value_columns=values
        )
        out["summary"] = out["summary"].where(~out["suppressed"], f"Fewer than {min_n} students measured.")
    return out
