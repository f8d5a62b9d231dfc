"""PLC question 2 — how will we know when each student has learned it?

Per student × skill: points earned / possible on the chosen assessments, a
mastery rule across assessments, and proficient against the skill's team cut.
Then counts and shares proficient per skill and group, with Wilson intervals,
absences and not-attempted items reported separately.
"""

from __future__ import annotations

import logging
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from .coded import ID_COLUMNS, categorical, decode, evidence_frame, factor, lookup
from .dataset import Dataset
from .metric_cache import cached_metric
from .rules import GROUPS, TOLERANCE, at_least, chronological, group_columns
from .stats import wilson_interval

log = logging.getLogger(__name__)

__all__ = [
    "skill_evidence",
    "student_skill_mastery",
    "proficiency_by_skill",
    "mastery_matrix",
    "MASTERY_RULES",
    "MasteryRule",
    "mastery_rule",
    "check_mastery_rule",
    "finish_proficiency",
    "EVIDENCE_COLUMNS",
    "MASTERY_COLUMNS",
    "GROUPS",
]

MasteryRule = Literal["most_recent", "highest", "mean", "decaying_average", "all"]
MASTERY_RULES: tuple[MasteryRule, ...] = get_args(MasteryRule)
_PLACEMENT = ["team_id", "school_id", "section_id", "teacher_id"]
#: Columns of :func:`skill_evidence`.
EVIDENCE_COLUMNS = [
    "student_id",
    "skill_id",
    "assessment_id",
    "date",
    "assessment_kind",
    *_PLACEMENT,
    "earned",
    "possible",
    "score",
    "n_items",
    "n_not_attempted",
    "proficiency_cut",
]
#: Columns of :func:`student_skill_mastery` (``assessment_id, date``: the latest evidence's).
MASTERY_COLUMNS = [
    "student_id",
    "skill_id",
    *_PLACEMENT,
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


def skill_evidence(dataset: Dataset, **filters: Any) -> pd.DataFrame:
    """Each student's result on each skill on each assessment they sat.

    Parameters
    ----------
    dataset : Dataset
    **filters
        Passed to :meth:`Dataset.filter` (``team_id``, ``assessment_id``, ``start`` …).

    Returns
    -------
    DataFrame
        One row per student × skill × assessment sat, columns ``student_id,
        skill_id, assessment_id, date, assessment_kind, team_id, school_id,
        section_id, teacher_id, earned, possible, score`` (earned / possible,
        0–1), ``n_items, n_not_attempted`` (items with a blank score or no row,
        counted as 0 points), ``proficiency_cut``.  ``possible`` counts every
        item of the skill on the assessment.
    """
    if filters:
        dataset = dataset.filter(**filters)
    return decode(coded_skill_evidence(dataset))


def coded_skill_evidence(dataset: Dataset) -> pd.DataFrame:
    """:func:`skill_evidence` of ``dataset`` (cached); ids may be sorted categoricals — never modify it."""
    return dataset.cached("evidence", lambda: _evidence(dataset))


def _evidence(dataset: Dataset) -> pd.DataFrame:
    """The coded fast path when it applies, else the general pandas joins; a debug log line says which ran."""
    frame = evidence_frame(dataset)
    if frame is None:
        log.debug("skill evidence: general path (pandas joins), %d score rows", len(dataset.scores))
        return general_skill_evidence(dataset)
    log.debug("skill evidence: coded fast path, %d score rows", len(dataset.scores))
    return frame


def general_skill_evidence(dataset: Dataset) -> pd.DataFrame:
    """:func:`skill_evidence` from :meth:`Dataset.responses` with pandas joins (any data).

    The general path: :func:`plc_analysis.coded.evidence_frame` is the fast path
    for canonical data, and tests prove the two agree on random datasets."""
    responses = dataset.responses()
    keys = ["student_id", "skill_id", "assessment_id"]
    got = (
        responses.assign(missed=~responses["attempted"])
        .groupby(keys, observed=True, sort=False)
        .agg(earned=("earned", "sum"), n_rows=("item_id", "size"), n_missed=("missed", "sum"))
        .reset_index()
    )
    blueprint = (
        dataset.items.groupby(["assessment_id", "skill_id"], observed=True)
        .agg(possible=("max_points", "sum"), n_items=("item_id", "size"))
        .reset_index()
    )
    placement = responses.drop_duplicates(["student_id", "assessment_id"])[
        ["student_id", "assessment_id", "date", "assessment_kind", *_PLACEMENT]
    ]
    evidence = (
        got.merge(blueprint, on=["assessment_id", "skill_id"], how="left")
        .merge(placement, on=["student_id", "assessment_id"], how="left")
        .merge(dataset.skills[["skill_id", "proficiency_cut"]], on="skill_id", how="left")
    )
    evidence["n_not_attempted"] = evidence["n_missed"] + (evidence["n_items"] - evidence["n_rows"])
    evidence["score"] = evidence["earned"] / evidence["possible"]
    return (
        evidence[EVIDENCE_COLUMNS].sort_values(["student_id", "skill_id", "date"], kind="stable").reset_index(drop=True)
    )


def student_skill_mastery(
    dataset: Dataset,
    rule: MasteryRule = "most_recent",
    *,
    weight: float = 0.65,
    cut: float | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """Each student's standing on each skill under a mastery rule.

    Parameters
    ----------
    dataset : Dataset
    rule : {"most_recent", "highest", "mean", "decaying_average", "all"}
        How evidence from several assessments combines.  ``most_recent``
        (default): the latest evidence replaces earlier evidence (a
        reassessment after intervention counts); ``highest``: best score;
        ``mean``: mean of the assessment scores; ``decaying_average``: each new
        score weighted ``weight``, the running average ``1 - weight``;
        ``all``: one row per assessment, no combining.
    weight : float
        Weight of the newest score for ``decaying_average`` (0–1).
    cut : float, optional
        Override every skill's proficiency cut (e.g. from a slider).
    **filters
        Passed to :meth:`Dataset.filter`.

    Returns
    -------
    DataFrame
        One row per student × skill (× assessment for ``all``), columns
        ``student_id, skill_id, team_id, school_id, section_id, teacher_id,
        assessment_id`` (the latest evidence), ``date`` (of the latest
        evidence), ``first_date, n_assessments, score`` (0–1),
        ``earned, possible`` (the points behind ``score``, which is then
        ``earned / possible``: the latest, best or single assessment's; missing
        for ``mean`` and ``decaying_average``, whose score averages several
        assessments' scores rather than dividing points),
        ``n_not_attempted`` (items not attempted in the evidence behind
        ``score``: every assessment combined for ``mean`` and
        ``decaying_average``), ``proficiency_cut, proficient``.
    """
    check_mastery_rule(rule, weight)
    if filters:
        dataset = dataset.filter(**filters)
    return decode(coded_student_skill_mastery(dataset, rule, weight=weight, cut=cut))


def mastery_rule(rule: str) -> MasteryRule:
    """``rule`` as a :data:`MasteryRule`, for text from outside (a notebook parameter, a command line).

    Raises
    ------
    ValueError
        When ``rule`` is not one of :data:`MASTERY_RULES` (the message lists them).
    """
    for known in MASTERY_RULES:
        if rule == known:
            return known
    raise ValueError(f"rule must be one of {', '.join(MASTERY_RULES)}, not {rule!r}")


def check_mastery_rule(rule: str, weight: float) -> None:
    """Raise ValueError for an unknown mastery rule or a weight outside (0, 1]."""
    mastery_rule(rule)
    if not 0 < weight <= 1:
        raise ValueError(f"weight must be in (0, 1], not {weight}")


def coded_student_skill_mastery(
    dataset: Dataset, rule: MasteryRule = "most_recent", *, weight: float = 0.65, cut: float | None = None
) -> pd.DataFrame:
    """:func:`student_skill_mastery` of ``dataset`` (cached per rule); ids may be categoricals — never modify it."""
    check_mastery_rule(rule, weight)
    key = ("mastery", rule, float(weight), None if cut is None else float(cut))
    return dataset.cached(key, lambda: _combine_evidence(coded_skill_evidence(dataset), rule, weight=weight, cut=cut))


def _combine_evidence(evidence: pd.DataFrame, rule: MasteryRule, *, weight: float, cut: float | None) -> pd.DataFrame:
    evidence = chronological(evidence)
    keys = ["student_id", "skill_id"]
    if rule == "all":
        mastery = evidence.assign(first_date=evidence["date"], n_assessments=1)
    else:
        grouped = evidence.groupby(keys, sort=False)
        last = evidence[_last_of_runs(evidence, keys)].set_index(keys)
        mastery = last.copy()
        mastery["first_date"] = grouped["date"].min()
        mastery["n_assessments"] = grouped.size()
        if rule == "highest":
            best = evidence.loc[grouped["score"].idxmax()].set_index(keys)
            behind = ["score", "earned", "possible", "n_not_attempted"]
            mastery[behind] = best[behind]
        elif rule == "mean":
            mastery["score"] = grouped["score"].mean()
        elif rule == "decaying_average":
            position = grouped.cumcount()
            count = grouped["score"].transform("size")
            # weight of evidence i of k: w·(1−w)^(k−1−i), the first one (1−w)^(k−1); they sum to 1
            w = np.where(position == 0, 1.0, weight) * (1 - weight) ** (count - 1 - position)
            mastery["score"] = (evidence["score"] * w).groupby([evidence[k] for k in keys], sort=False).sum()
        if rule in ("mean", "decaying_average"):
            # the score averages scores: no points divide into it, and every assessment counted is behind it
            mastery[["earned", "possible"]] = np.nan
            mastery["n_not_attempted"] = grouped["n_not_attempted"].sum()
        mastery = mastery.reset_index()
    if cut is not None:
        mastery["proficiency_cut"] = float(cut)
    mastery["proficient"] = at_least(mastery["score"], mastery["proficiency_cut"])
    return mastery[MASTERY_COLUMNS].reset_index(drop=True)


def _last_of_runs(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """Mask of each group's last row, for a frame whose groups are contiguous (as ``groupby(...).tail(1)``)."""
    if not len(frame):
        return np.zeros(0, dtype=bool)
    change = np.zeros(len(frame), dtype=bool)
    change[-1] = True
    for key in keys:
        column = frame[key]
        codes = (
            column.cat.codes.to_numpy() if isinstance(column.dtype, pd.CategoricalDtype) else pd.factorize(column)[0]
        )
        change[:-1] |= codes[1:] != codes[:-1]
    return change


def _group_columns(by: str | list[str] | None, dataset: Dataset) -> list[str]:
    return group_columns(by, dataset.subgroup_columns, "a subgroup column")


def _with_subgroups(frame: pd.DataFrame, dataset: Dataset, columns: list[str]) -> pd.DataFrame:
    wanted = [c for c in columns if c in dataset.subgroup_columns]
    if not wanted:
        return frame
    students = dataset.students[["student_id", *wanted]]
    ids = frame["student_id"]
    if (
        isinstance(ids.dtype, pd.CategoricalDtype)
        and isinstance(frame.index, pd.RangeIndex)
        and not set(wanted) & set(frame.columns)
        and students["student_id"].is_unique
        and not students["student_id"].isna().any()
    ):
        # a left join on a unique key: look each category up once
        at = lookup(pd.Index(students["student_id"]), ids.cat.categories)
        row = np.append(at, -1)[ids.cat.codes.to_numpy()]
        return frame.assign(**{c: students[c].array.take(row, allow_fill=True) for c in wanted})
    return frame.merge(students, on="student_id", how="left")


@cached_metric
def proficiency_by_skill(
    dataset: Dataset,
    by: str | list[str] | None = "team",
    rule: MasteryRule = "most_recent",
    *,
    weight: float = 0.65,
    cut: float | None = None,
    confidence: float = 0.95,
    **filters: Any,
) -> pd.DataFrame:
    """Counts and shares of students proficient on each skill, per group.

    Parameters
    ----------
    dataset : Dataset
    by : str or list of str or None
        ``"team"`` (default), ``"school"``, ``"teacher"``, ``"section"``, a
        subgroup column of ``students`` (e.g. ``"ell"``), a list of these, or
        None for every student together.
    rule, weight, cut
        See :func:`student_skill_mastery`.
    confidence : float
        Level of the Wilson interval.
    **filters
        Passed to :meth:`Dataset.filter`.

    Returns
    -------
    DataFrame
        One row per skill × group, essential skills first, columns
        ``skill_id, description, essential, proficiency_cut, <group
        columns>, n_assessed`` (students with evidence), ``n_proficient,
        share_proficient, ci_low, ci_high, n_absent`` (on the roster of an
        assessment of the skill but absent from all of them; a student
        excused from one is neither assessed nor absent), ``n_not_attempted``
        (students assessed with at least one item not attempted),
        ``mean_score`` (shown beside the counts, never alone).  With
        ``rule="all"`` there is also ``assessment_id, date``.
    """
    if filters:
        dataset = dataset.filter(**filters)
    groups = _group_columns(by, dataset)
    mastery = _with_subgroups(coded_student_skill_mastery(dataset, rule, weight=weight, cut=cut), dataset, groups)
    keys = ["skill_id", *(["assessment_id", "date"] if rule == "all" else []), *groups]
    counted = decode(
        mastery.assign(missed=mastery["n_not_attempted"] > 0)
        .groupby(keys, observed=True, dropna=False)
        .agg(
            n_assessed=("student_id", "nunique"),
            n_proficient=("proficient", "sum"),
            n_not_attempted=("missed", "sum"),
            mean_score=("score", "mean"),
        )
        .reset_index()
    )
    absent = _absences(dataset, groups, per_assessment=rule == "all")
    return finish_proficiency(counted, absent, dataset.skills, keys, cut=cut, confidence=confidence)


def finish_proficiency(
    counted: pd.DataFrame,
    absent: pd.DataFrame,
    skills: pd.DataFrame,
    keys: list[str],
    *,
    cut: float | None,
    confidence: float,
) -> pd.DataFrame:
    """:func:`proficiency_by_skill`'s table from its counts, whichever engine counted them.

    Parameters
    ----------
    counted : DataFrame
        Per ``keys``: ``n_assessed, n_proficient, n_not_attempted, mean_score``.
    absent : DataFrame
        Per ``keys`` (without ``date``): ``n_absent``.
    skills : DataFrame
        The ``skills`` table.
    keys : list of str
        ``skill_id``, then ``assessment_id, date`` for the rule ``all``, then the group columns.
    cut, confidence
        As :func:`proficiency_by_skill`.

    Returns
    -------
    DataFrame
        As :func:`proficiency_by_skill`.
    """
    counted = counted.merge(absent, on=[k for k in keys if k != "date"], how="outer")
    for column in ("n_assessed", "n_proficient", "n_not_attempted", "n_absent"):
        counted[column] = counted[column].fillna(0).astype("int64")
    counted["share_proficient"] = counted["n_proficient"] / counted["n_assessed"].where(counted["n_assessed"] > 0)
    counted["ci_low"], counted["ci_high"] = wilson_interval(
        counted["n_proficient"].to_numpy(), counted["n_assessed"].to_numpy(), confidence
    )
    skills = skills[["skill_id", "description", "essential", "proficiency_cut"]]
    if cut is not None:
        skills = skills.assign(proficiency_cut=float(cut))
    result = skills.merge(counted, on="skill_id", how="inner")
    result = result.sort_values(
        ["essential", "skill_id", *keys[1:]], ascending=[False] + [True] * len(keys), kind="stable"
    )
    columns = [
        "skill_id",
        "description",
        "essential",
        "proficiency_cut",
        *keys[1:],
        "n_assessed",
        "n_proficient",
        "share_proficient",
        "ci_low",
        "ci_high",
        "n_absent",
        "n_not_attempted",
        "mean_score",
    ]
    return result[columns].reset_index(drop=True)


def _absences(dataset: Dataset, groups: list[str], *, per_assessment: bool) -> pd.DataFrame:
    """Students on an assessment's roster who sat none of the assessments of a skill (excused ones are not absent)."""
    roster = dataset.roster()
    covers = dataset.items[["assessment_id", "skill_id"]].drop_duplicates()
    roster, covers = _as_codes(roster, covers)
    roster = _with_subgroups(roster.merge(covers, on="assessment_id"), dataset, groups)
    unit = ["student_id", "skill_id", *(["assessment_id"] if per_assessment else [])]
    roster = roster.assign(accounted=roster["present"] | roster["excused"])
    seen = roster.groupby(unit + groups, observed=True, dropna=False)["accounted"].any().reset_index()
    seen = seen.assign(absent=~seen["accounted"])
    keys = ["skill_id", *(["assessment_id"] if per_assessment else []), *groups]
    return decode(seen.groupby(keys, observed=True, dropna=False)["absent"].sum().rename("n_absent").reset_index())


def _as_codes(roster: pd.DataFrame, covers: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The roster's and the covers' ids as sorted categoricals (the same categories for the join key)."""
    ids = [c for c in roster.columns if c in ID_COLUMNS]
    if (
        not all(pd.api.types.is_string_dtype(roster[c]) for c in ids)
        or not all(pd.api.types.is_string_dtype(covers[c]) for c in covers.columns)
        or roster["assessment_id"].hasnans
    ):
        return roster, covers
    coded = {}
    for column in ids:
        f = factor(roster[column])
        coded[column] = categorical(f.codes, f.values)
    roster = roster.assign(**coded)
    assessments = roster["assessment_id"].cat.categories
    known = covers["assessment_id"].isin(assessments)
    covers = covers[known]
    skill = factor(covers["skill_id"])
    covers = pd.DataFrame(
        {
            "assessment_id": pd.Categorical(covers["assessment_id"], categories=assessments),
            "skill_id": categorical(skill.codes, skill.values),
        }
    )
    return roster, covers


def mastery_matrix(
    dataset: Dataset,
    rule: MasteryRule = "most_recent",
    *,
    names: bool = True,
    weight: float = 0.65,
    cut: float | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """Student × skill grid of scores for one team, essential skills first.

    Student names are shown only in a team's own scope: with ``names=True``
    the (filtered) dataset must hold exactly one team.

    Parameters
    ----------
    dataset : Dataset
    rule, weight, cut
        See :func:`student_skill_mastery` (``"all"`` is not allowed here).
    names : bool
        Include ``student`` (``"Last, First"``) — only for a single team.
    **filters
        Passed to :meth:`Dataset.filter`.

    Returns
    -------
    DataFrame
        One row per student, columns ``student_id``, ``student`` (if
        ``names``), ``teacher_id, section_id``, then one column per skill
        (score 0–1, NaN = no evidence), then ``n_proficient, n_skills``.
        The skill cuts are in ``.attrs["cuts"]`` and essential flags in
        ``.attrs["essential"]``.
    """
    if rule == "all":
        raise ValueError("mastery_matrix needs one standing per student and skill; choose a rule other than 'all'")
    if filters:
        dataset = dataset.filter(**filters)
    mastery = student_skill_mastery(dataset, rule, weight=weight, cut=cut)
    if names and mastery["team_id"].nunique() > 1:
        raise ValueError(
            "student names are shown only in one team's own report: filter to a single team_id or pass names=False"
        )
    skills = dataset.skills.set_index("skill_id").loc[lambda s: s.index.isin(mastery["skill_id"])]
    order = skills.sort_values("essential", ascending=False, kind="stable").index.tolist()
    grid = mastery.pivot_table(index="student_id", columns="skill_id", values="score", aggfunc="last")
    grid = grid.reindex(columns=order)
    placed = mastery.sort_values("date").drop_duplicates("student_id", keep="last").set_index("student_id")
    result = pd.DataFrame({"student_id": grid.index})
    if names:
        students = dataset.students.set_index("student_id")
        last = students.get("last_name", pd.Series(dtype="str")).reindex(grid.index).fillna("")
        first = students.get("first_name", pd.Series(dtype="str")).reindex(grid.index).fillna("")
        result["student"] = (last + ", " + first).str.strip(", ").to_numpy()
    result["teacher_id"] = placed["teacher_id"].reindex(grid.index).to_numpy()
    result["section_id"] = placed["section_id"].reindex(grid.index).to_numpy()
    for skill in order:
        result[skill] = grid[skill].to_numpy()
    cuts = mastery.drop_duplicates("skill_id").set_index("skill_id")["proficiency_cut"].reindex(order)
    proficient = grid.ge(cuts - TOLERANCE, axis=1)
    result["n_proficient"] = proficient.sum(axis=1).to_numpy()
    result["n_skills"] = grid.notna().sum(axis=1).to_numpy()
    result = result.sort_values(["teacher_id", "student_id"], kind="stable").reset_index(drop=True)
    result.attrs["cuts"] = cuts.to_dict()
    result.attrs["essential"] = skills["essential"].reindex(order).to_dict()
    return result
