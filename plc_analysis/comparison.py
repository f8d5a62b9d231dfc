"""A basis of comparison: each teacher against the rest of the team, each team against other teams.

The teacher's own students are excluded from the comparator.  Differences of
proportions carry Newcombe's hybrid score interval and a plain-language signal;
fewer than ``min_n`` students on either side says "too few students" instead of
guessing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import pandas as pd

from .coded import decode
from .dataset import Dataset
from .metric_cache import cached_metric
from .proficiency import MasteryRule, coded_student_skill_mastery, student_skill_mastery
from .rules import TOLERANCE
from .stats import proportion_difference_interval, signal_from_interval

__all__ = [
    "compare_to_team",
    "compare_teams",
    "peer_counts",
    "finish_peer_counts",
    "finish_compare_to_team",
    "common_givers",
    "TEAM_COMPARISON_KEYS",
    "item_success",
    "teacher_names",
    "COMPARISON_RULE",
    "PEER_COLUMNS",
]


def teacher_names(dataset: Dataset) -> pd.Series:
    """Display name per teacher_id (the id when no name is recorded)."""
    teachers = dataset.teachers.drop_duplicates("teacher_id").set_index("teacher_id")
    names = teachers["name"] if "name" in teachers else pd.Series(index=teachers.index, dtype="str")
    return names.fillna(pd.Series(teachers.index, index=teachers.index)).astype("str")


def item_success(dataset: Dataset, *, success: float = 0.75, **filters: Any) -> pd.DataFrame:
    """Whether each student succeeded on each item they were scored on.

    Parameters
    ----------
    dataset : Dataset
    success : float
        Share of an item's max points that counts as success (default 0.75:
        1 of 1, 2 of 2, 3 of 4 on a rubric).
    **filters
        Passed to :meth:`Dataset.filter`.

    Returns
    -------
    DataFrame
        Columns ``student_id, assessment_id, item_id, skill_id, common_id,
        team_id, school_id, teacher_id, section_id, credit`` (earned /
        max_points) and ``correct`` (bool).
    """
    if filters:
        dataset = dataset.filter(**filters)
    r = dataset.responses()
    credit = r["earned"] / r["max_points"]
    return pd.DataFrame(
        {
            **{
                c: r[c]
                for c in [
                    "student_id",
                    "assessment_id",
                    "item_id",
                    "skill_id",
                    "common_id",
                    "team_id",
                    "school_id",
                    "teacher_id",
                    "section_id",
                ]
            },
            "credit": credit,
            "correct": credit >= success - TOLERANCE,
        }
    )


def _per_group(units: pd.DataFrame, keys: list[str], group: str, outcome: str) -> pd.DataFrame:
    """Students ``n``, with the outcome ``x``, and their ``mean_credit``, per ``keys`` × ``group``."""
    return (
        units.groupby([*keys, group], observed=True)
        .agg(n=(outcome, "size"), x=(outcome, "sum"), mean_credit=("_credit", "mean"))
        .reset_index()
    )


def _against_rest(
    units: pd.DataFrame, keys: list[str], group: str, outcome: str, *, min_n: int, confidence: float
) -> pd.DataFrame:
    """Each ``group`` value within ``keys`` against every other student within ``keys``."""
    per_group = _per_group(units, keys, group, outcome)
    return _rest_comparison(_with_rest(per_group, keys), min_n=min_n, confidence=confidence)


def _with_rest(counts: pd.DataFrame, keys: list[str], **totals: Any) -> pd.DataFrame:
    """Add ``n_rest, x_rest`` to counts ``n, x`` per group: everyone else within ``keys``.

    ``totals`` are further named aggregations over ``keys`` to add (e.g. ``n_teams``).
    """
    summed = counts.groupby(keys, observed=True).agg(n_all=("n", "sum"), x_all=("x", "sum"), **totals).reset_index()
    out = counts.merge(summed, on=keys)
    out["n_rest"] = out["n_all"] - out["n"]
    out["x_rest"] = out["x_all"] - out["x"]
    return out.drop(columns=["n_all", "x_all"])


def shared_common_ids(given: pd.DataFrame) -> pd.Index:
    """The ``common_id`` values two or more teams gave, from rows with ``common_id`` and ``team_id``."""
    teams = given.groupby("common_id")["team_id"].nunique()
    return teams[teams >= 2].index


def _rest_comparison(out: pd.DataFrame, *, min_n: int, confidence: float) -> pd.DataFrame:
    """Add shares, difference, interval and signal to counts ``n, x`` (the group) and ``n_rest, x_rest``."""
    out["share"] = out["x"] / out["n"]
    out["share_rest"] = out["x_rest"] / out["n_rest"].where(out["n_rest"] > 0)
    out["difference"] = out["share"] - out["share_rest"]
    has_rest = out["n_rest"] > 0
    low, high = proportion_difference_interval(
        out["x"].to_numpy(),
        out["n"].to_numpy(),
        out["x_rest"].to_numpy(),
        out["n_rest"].where(has_rest, 1).to_numpy(),
        confidence,
    )
    out["ci_low"] = pd.Series(low, index=out.index).where(has_rest)
    out["ci_high"] = pd.Series(high, index=out.index).where(has_rest)
    out["signal"] = signal_from_interval(
        out["ci_low"].to_numpy(), out["ci_high"].to_numpy(), out["n"].to_numpy(), out["n_rest"].to_numpy(), min_n=min_n
    )
    return out


#: Default mastery rule for comparing teaching: every piece of evidence in the period, averaged per
#: student.  ``most_recent`` is right for deciding who needs support now (a reassessment replaces
#: earlier evidence) but compares teachers on a single, noisier assessment.
COMPARISON_RULE: MasteryRule = "mean"


@cached_metric
def compare_to_team(
    dataset: Dataset,
    by: Literal["skill", "item"] = "skill",
    rule: MasteryRule = COMPARISON_RULE,
    *,
    min_n: int = 10,
    confidence: float = 0.95,
    success: float = 0.75,
    weight: float = 0.65,
    cut: float | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """Each teacher's students against the rest of the team, per skill or per item.

    Parameters
    ----------
    dataset : Dataset
    by : {"skill", "item"}
        Compare shares proficient per skill (under ``rule``) or shares
        succeeding per item (``success`` share of the item's points).
    rule, weight, cut
        Mastery rule for ``by="skill"`` (see :func:`student_skill_mastery`);
        default ``"mean"`` (see ``COMPARISON_RULE``).
    min_n : int
        Fewer students than this on either side gives ``"too few students"``.
    confidence : float
        Level of the difference interval (Newcombe hybrid score).
    success : float
        For ``by="item"``: share of max points counting as success.
    **filters
        Passed to :meth:`Dataset.filter`.

    Returns
    -------
    DataFrame
        One row per team × skill (or assessment × item) × teacher with
        columns ``team_id``, then ``skill_id, description, essential`` (by
        skill) or ``assessment_id, item_id, skill_id`` (by item), then
        ``teacher_id, teacher, n, x`` (students proficient / succeeding),
        ``share, n_rest, x_rest, share_rest, difference, ci_low, ci_high,
        signal`` (``stronger than team``, ``weaker than team``, ``no clear
        difference`` or ``too few students``) and ``mean_credit`` (mean score
        or item credit of the teacher's students, shown beside the shares).
    """
    if filters:
        dataset = dataset.filter(**filters)
    if by == "skill":
        units = coded_student_skill_mastery(dataset, rule, weight=weight, cut=cut)
        units = units.assign(_credit=units["score"])
        outcome = "proficient"
    elif by == "item":
        units = item_success(dataset, success=success)
        units = units.assign(_credit=units["credit"])
        outcome = "correct"
    else:
        raise ValueError(f"by must be 'skill' or 'item', not {by!r}")
    units = units[units["teacher_id"].notna()]
    per_teacher = _per_group(units, TEAM_COMPARISON_KEYS[by], "teacher_id", outcome)
    return finish_compare_to_team(per_teacher, dataset, by, min_n=min_n, confidence=confidence)


#: What :func:`compare_to_team` compares each teacher within, by skill and by item.
TEAM_COMPARISON_KEYS: dict[str, list[str]] = {
    "skill": ["team_id", "skill_id"],
    "item": ["team_id", "assessment_id", "item_id", "skill_id"],
}


def finish_compare_to_team(
    per_teacher: pd.DataFrame,
    dataset: Dataset,
    by: Literal["skill", "item"] = "skill",
    *,
    min_n: int = 10,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """:func:`compare_to_team`'s table from its counts, whichever engine counted them.

    Parameters
    ----------
    per_teacher : DataFrame
        One row per :data:`TEAM_COMPARISON_KEYS` ``[by]`` × ``teacher_id``
        (teachers known), with ``n`` (students), ``x`` (proficient, or
        succeeding on the item) and ``mean_credit``.
    dataset : Dataset
        Supplies the teachers' names and (by skill) the skills.
    by, min_n, confidence
        As :func:`compare_to_team`.

    Returns
    -------
    DataFrame
        As :func:`compare_to_team`.
    """
    keys = TEAM_COMPARISON_KEYS[by]
    out = decode(_rest_comparison(_with_rest(per_teacher, keys), min_n=min_n, confidence=confidence))
    out["teacher"] = out["teacher_id"].map(teacher_names(dataset))
    if by == "skill":
        out = out.merge(dataset.skills[["skill_id", "description", "essential"]], on="skill_id", how="left")
        head = ["team_id", "skill_id", "description", "essential"]
        out = out.sort_values(
            ["team_id", "essential", "skill_id", "teacher_id"], ascending=[True, False, True, True], kind="stable"
        )
    else:
        head = ["team_id", "assessment_id", "item_id", "skill_id"]
        out = out.sort_values(head + ["teacher_id"], kind="stable")
    columns = [
        *head,
        "teacher_id",
        "teacher",
        "n",
        "x",
        "share",
        "n_rest",
        "x_rest",
        "share_rest",
        "difference",
        "ci_low",
        "ci_high",
        "signal",
        "mean_credit",
    ]
    return out[columns].reset_index(drop=True)


def compare_teams(
    dataset: Dataset,
    by: Literal["skill", "item"] = "skill",
    *,
    min_n: int = 10,
    confidence: float = 0.95,
    success: float = 0.75,
    cut: float | None = None,
    peers: pd.DataFrame | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """Each team against the other teams giving the same common assessment.

    Assessments are the same when they share a ``common_id`` (each team keeps
    its own ``assessment_id``).  Only common assessments given by two or more
    teams are compared.  Counts are aggregates, never names.

    Parameters
    ----------
    dataset : Dataset
        Unfiltered by team (other teams are the comparator); use ``common_id``
        via ``**filters`` on assessments if needed.
    by : {"skill", "item"}
        Share proficient per skill on the common assessment (score on that
        assessment's items of the skill ≥ the skill's cut), or share
        succeeding per item.
    min_n, confidence, success, cut
        As in :func:`compare_to_team`.
    peers : DataFrame, optional
        :func:`peer_counts` computed on the whole district, for a dataset
        holding only some teams (a team's batch extract): each team of
        ``dataset`` is compared with the other teams' students pooled there.
        By skill only.
    **filters
        Passed to :meth:`Dataset.filter`.

    Returns
    -------
    DataFrame
        One row per common assessment × skill (or item) × team, columns
        ``common_id, title, skill_id`` (and ``item_id`` by item), ``team_id,
        n, x, share, n_rest, x_rest, share_rest, difference, ci_low, ci_high,
        signal`` (``stronger than other teams``, ``weaker than other teams``,
        ``no clear difference``, ``too few students``), ``n_teams``.
        Empty when no assessment is shared.
    """
    if filters:
        dataset = dataset.filter(**filters)
    columns = [
        "common_id",
        "title",
        "skill_id",
        *(["item_id"] if by == "item" else []),
        "team_id",
        "n",
        "x",
        "share",
        "n_rest",
        "x_rest",
        "share_rest",
        "difference",
        "ci_low",
        "ci_high",
        "signal",
        "n_teams",
    ]
    if by == "skill":
        counts, givers = _skill_counts(dataset, cut)
        if peers is None:
            out = _pooled(counts, givers)
        else:  # this dataset's teams against the other teams' students pooled in peers
            mine = peers[peers["team_id"].isin(dataset.teams["team_id"])]
            out = counts.merge(mine.astype(dict.fromkeys(_SKILL_KEYS, "str")), on=_SKILL_KEYS)
        out = _rest_comparison(out, min_n=min_n, confidence=confidence)
        keys = ["common_id", "skill_id"]
    elif peers is not None:
        raise ValueError("peers (peer_counts) hold counts per skill: compare_teams(..., by='skill')")
    elif by == "item":
        assessments = dataset.assessments[dataset.assessments["common_id"].notna()]
        shared_ids = list(
            assessments.loc[assessments["common_id"].isin(shared_common_ids(assessments)), "assessment_id"]
        )
        if not shared_ids:  # no assessment given by two teams: nothing to compare
            return pd.DataFrame(columns=columns)
        subset = dataset.filter(assessment_id=shared_ids)
        units = item_success(subset, success=success)
        units = units.assign(_credit=units["credit"])
        keys = ["common_id", "skill_id", "item_id"]
        out = _against_rest(units, keys, "team_id", "correct", min_n=min_n, confidence=confidence)
        out["n_teams"] = out.groupby(keys)["team_id"].transform("nunique")
        titles = assessments.drop_duplicates("common_id").set_index("common_id")["title"]
        out["title"] = out["common_id"].map(titles)
    else:
        raise ValueError(f"by must be 'skill' or 'item', not {by!r}")
    if out.empty:
        return pd.DataFrame(columns=columns)
    out["signal"] = out["signal"].str.replace("than team", "than other teams", regex=False)
    return out.sort_values([*keys, "team_id"], kind="stable")[columns].reset_index(drop=True)


_SKILL_KEYS = ["common_id", "skill_id", "team_id"]


def common_givers(assessments: pd.DataFrame) -> pd.DataFrame:
    """The assessments with a ``common_id``, in table order: ``assessment_id, common_id, team_id, title`` as ``str``."""
    given = assessments.loc[assessments["common_id"].notna(), ["assessment_id", "common_id", "team_id", "title"]]
    return given.astype("str")


def _skill_counts(dataset: Dataset, cut: float | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Students and students proficient per common assessment × skill × team; which teams gave which.

    Returns ``(counts, givers)``: ``common_id, skill_id, team_id, n, x`` (identifiers as strings) and the
    common assessments' ``common_id, team_id, title``.
    """
    givers = common_givers(dataset.assessments)
    if givers.empty:  # no common assessment shared: no counts
        return (
            pd.DataFrame(
                {key: pd.Series(dtype="str") for key in _SKILL_KEYS}
                | {"n": pd.Series(dtype="int64"), "x": pd.Series(dtype="int64")}
            ),
            givers[["common_id", "team_id", "title"]],
        )
    subset = dataset.filter(assessment_id=list(givers["assessment_id"]))
    units = student_skill_mastery(subset, "all", cut=cut).merge(
        givers[["assessment_id", "common_id"]], on="assessment_id"
    )
    counts = (
        units.groupby(_SKILL_KEYS, observed=True)
        .agg(n=("proficient", "size"), x=("proficient", "sum"))
        .reset_index()
        .astype(dict.fromkeys(_SKILL_KEYS, "str"))
    )
    return counts, givers[["common_id", "team_id", "title"]]


def _pooled(counts: pd.DataFrame, givers: pd.DataFrame) -> pd.DataFrame:
    """``counts`` of the common assessments two or more teams gave, with every other team's students pooled.

    Adds ``n_rest, x_rest`` (the other teams), ``n_teams`` (teams with students on the assessment × skill)
    and ``title`` (of the first team's version of the assessment).
    """
    counts = counts[counts["common_id"].isin(shared_common_ids(givers))]
    out = _with_rest(counts, ["common_id", "skill_id"], n_teams=("team_id", "nunique"))
    out["title"] = out["common_id"].map(givers.drop_duplicates("common_id").set_index("common_id")["title"])
    return out


#: Columns of :func:`peer_counts`.
PEER_COLUMNS = ["common_id", "title", "skill_id", "team_id", "n_rest", "x_rest", "n_teams"]


def peer_counts(datasets: Dataset | Iterable[Dataset], *, cut: float | None = None) -> pd.DataFrame:
    """For each team and shared common assessment × skill, the other teams' students pooled (counts only).

    What one team's data lacks to compare itself with other teams: a batch
    computes it once from the whole district and hands each team's report
    its rows, for :func:`compare_teams` with ``peers=``.  Other teams appear
    only pooled, never by name or one by one.

    Parameters
    ----------
    datasets : Dataset or iterable of Dataset
        The whole district, in one dataset or in parts that do not split a
        team (e.g. a generator reading one school partition at a time: only
        the counts are kept).
    cut : float, optional
        As in :func:`compare_teams`.

    Returns
    -------
    DataFrame
        Columns ``common_id, title, skill_id, team_id, n_rest, x_rest``
        (students of the other teams, and how many proficient) and
        ``n_teams``; empty when no common assessment is shared.
    """
    sources: Iterable[Dataset] = [datasets] if isinstance(datasets, Dataset) else datasets
    parts = [_skill_counts(dataset, cut) for dataset in sources]
    if not parts:
        return pd.DataFrame(columns=PEER_COLUMNS)
    return finish_peer_counts(
        pd.concat([c for c, _ in parts], ignore_index=True), pd.concat([g for _, g in parts], ignore_index=True)
    )


def finish_peer_counts(counts: pd.DataFrame, givers: pd.DataFrame) -> pd.DataFrame:
    """:func:`peer_counts`'s table from the counts per team, whichever engine counted them.

    Parameters
    ----------
    counts : DataFrame
        ``common_id, skill_id, team_id`` (as ``str``), ``n`` (students on the
        team's version of the common assessment with evidence on the skill)
        and ``x`` (of them proficient); one row per team × common assessment × skill.
    givers : DataFrame
        Which team gave which common assessment: ``common_id, team_id, title``
        (as ``str``), in the assessments table's order (the first title of a
        ``common_id`` names it).

    Returns
    -------
    DataFrame
        As :func:`peer_counts`.
    """
    pooled = _pooled(counts, givers)
    return pooled.sort_values(_SKILL_KEYS, kind="stable")[PEER_COLUMNS].reset_index(drop=True)
