"""What to talk about at the team meeting: weakest essential skills, bright spots, hard items, keys to check."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .comparison import COMPARISON_RULE, compare_to_team, item_success
from .dataset import Dataset
from .dataset_items import item_analysis, rater_calibration
from .proficiency import MasteryRule, proficiency_by_skill
from .text_format import percent_text

__all__ = ["talking_points", "TALKING_POINT_KINDS"]

TALKING_POINT_KINDS = (
    "weakest essential skill",
    "bright spot",
    "hard for everyone",
    "check the key",
    "calibrate scoring",
)
COLUMNS = [
    "team_id",
    "kind",
    "rank",
    "skill_id",
    "description",
    "teacher_id",
    "teacher",
    "assessment_id",
    "item_id",
    "value",
    "detail",
]


#: How a bright spot's counts were reached, said in its sentence (they differ from a most-recent table).
_BASIS = {
    "mean": " over all the period's assessments",
    "highest": " at their best",
    "decaying_average": " weighting recent work",
    "all": " per assessment",
}


def talking_points(
    dataset: Dataset,
    rule: MasteryRule = "most_recent",
    *,
    comparison_rule: MasteryRule = COMPARISON_RULE,
    top: int = 3,
    min_n: int = 10,
    min_difference: float = 0.15,
    hard_share: float = 0.5,
    **filters: Any,
) -> pd.DataFrame:
    """A ranked list of what a team should discuss, in plain words.

    Parameters
    ----------
    dataset : Dataset
    rule : str
        Mastery rule for the weakest skills (see :func:`student_skill_mastery`).
    comparison_rule : str
        Mastery rule for bright spots (default ``"mean"``: all evidence in the period).
    top : int
        How many weakest skills, bright spots and hard items per team.
    min_n : int
        Minimum students on each side of a comparison.
    min_difference : float
        A bright spot must beat the rest of the team by at least this share
        *and* have an interval above 0.
    hard_share : float
        An item is hard for everyone when every teacher's share of students
        succeeding on it is below this.
    **filters
        Passed to :meth:`Dataset.filter`.

    Returns
    -------
    DataFrame
        Columns ``team_id, kind`` (one of ``weakest essential skill``,
        ``bright spot``, ``hard for everyone``, ``check the key``,
        ``calibrate scoring``), ``rank`` (1 = most important within the
        kind), ``skill_id, description, teacher_id, teacher, assessment_id,
        item_id, value`` (the share or statistic behind the point) and
        ``detail`` (a sentence to read aloud).
    """
    if filters:
        dataset = dataset.filter(**filters)
    rows: list[dict] = []
    skills = proficiency_by_skill(dataset, by="team", rule=rule)
    essential = skills[skills["essential"] & (skills["n_assessed"] > 0)]
    for team, part in essential.groupby("team_id", sort=True):
        for rank, row in enumerate(part.nsmallest(top, "share_proficient").itertuples(), start=1):
            rows.append(
                dict(
                    team_id=team,
                    kind="weakest essential skill",
                    rank=rank,
                    skill_id=row.skill_id,
                    description=row.description,
                    value=row.share_proficient,
                    detail=f"{row.description}: {row.n_proficient} of {row.n_assessed} students "
                    f"proficient ({percent_text(row.share_proficient)}, 95% CI {percent_text(row.ci_low)}–"
                    f"{percent_text(row.ci_high)}).",
                )
            )
    compared = compare_to_team(dataset, "skill", comparison_rule, min_n=min_n)
    bright = compared[(compared["signal"] == "stronger than team") & (compared["difference"] >= min_difference)]
    for team, part in bright.groupby("team_id", sort=True):
        for rank, row in enumerate(part.sort_values("ci_low", ascending=False).head(top).itertuples(), start=1):
            rows.append(
                dict(
                    team_id=team,
                    kind="bright spot",
                    rank=rank,
                    skill_id=row.skill_id,
                    description=row.description,
                    teacher_id=row.teacher_id,
                    teacher=row.teacher,
                    value=row.difference,
                    detail=f"{row.teacher}'s students: {row.x} of {row.n} proficient on "
                    f"{row.description}{_BASIS.get(comparison_rule, '')} ({percent_text(row.share)}) vs "
                    f"{row.x_rest} of {row.n_rest} ({percent_text(row.share_rest)}) for the rest of the "
                    "team — study this practice.",
                )
            )
    rows += _hard_items(dataset, top=top, hard_share=hard_share, min_n=min_n)
    items = item_analysis(dataset)
    for team, part in items[items["likely_miskey"]].groupby("team_id", sort=True):
        for rank, row in enumerate(part.itertuples(), start=1):
            rows.append(
                dict(
                    team_id=team,
                    kind="check the key",
                    rank=rank,
                    skill_id=row.skill_id,
                    assessment_id=row.assessment_id,
                    item_id=row.item_id,
                    value=row.discrimination,
                    detail=f"{row.title}, item {row.item_id}: {row.flags}.",
                )
            )
    calibration = rater_calibration(dataset)
    needs = calibration[calibration["needs_calibration"] & (calibration["n_works"] >= 5)]
    for team, part in needs.groupby("team_id", sort=True):
        for rank, row in enumerate(part.sort_values("kappa_quadratic").itertuples(), start=1):
            rows.append(
                dict(
                    team_id=team,
                    kind="calibrate scoring",
                    rank=rank,
                    teacher_id=row.rater_a,
                    teacher=f"{row.rater_a_name} & {row.rater_b_name}",
                    value=row.kappa_quadratic,
                    detail=f"{row.rater_a_name} and {row.rater_b_name}: {row.note}.",
                )
            )
    out = pd.DataFrame(rows, columns=COLUMNS)
    order = {kind: i for i, kind in enumerate(TALKING_POINT_KINDS)}
    return out.sort_values(
        ["team_id", "kind", "rank"], key=lambda s: s.map(order) if s.name == "kind" else s, kind="stable"
    ).reset_index(drop=True)


def _hard_items(dataset: Dataset, *, top: int, hard_share: float, min_n: int) -> list[dict]:
    success = item_success(dataset)
    if success.empty:
        return []
    keys = ["team_id", "assessment_id", "item_id", "skill_id"]
    per_teacher = success.groupby([*keys, "teacher_id"], observed=True)["correct"].agg(["mean", "size"])
    overall = success.groupby(keys, observed=True)["correct"].agg(share="mean", n="size")
    worst_teacher_best = per_teacher["mean"].groupby(level=keys, observed=True).max().rename("best_teacher")
    table = overall.join(worst_teacher_best).reset_index()
    hard = table[(table["best_teacher"] < hard_share) & (table["n"] >= min_n)]
    titles = dataset.assessments.set_index("assessment_id")["title"]
    descriptions = dataset.skills.set_index("skill_id")["description"]
    rows = []
    for team, part in hard.groupby("team_id", sort=True):
        for rank, row in enumerate(part.nsmallest(top, "share").itertuples(), start=1):
            rows.append(
                dict(
                    team_id=team,
                    kind="hard for everyone",
                    rank=rank,
                    skill_id=row.skill_id,
                    description=descriptions.get(row.skill_id),
                    assessment_id=row.assessment_id,
                    item_id=row.item_id,
                    value=row.share,
                    detail=f"{titles.get(row.assessment_id)}, item {row.item_id} "
                    f"({descriptions.get(row.skill_id)}): {percent_text(row.share)} of {row.n} students "
                    f"succeeded; no teacher's class above {percent_text(row.best_teacher)}.",
                )
            )
    return rows
