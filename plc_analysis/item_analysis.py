"""Item analysis and rubric calibration over a :class:`Dataset`, one assessment at a time.

Thin glue: :mod:`plc_analysis.items` and :mod:`plc_analysis.calibration` do the
statistics on tidy frames; this module feeds them each assessment's scores of
record and labels the results with assessment, skill and teacher.
"""

from __future__ import annotations

import pandas as pd

from .calibration import calibration_table
from .comparison import teacher_names
from .dataset import Dataset
from .items import distractor_analysis, item_statistics, reliability_summary

__all__ = ["item_analysis", "assessment_reliability", "option_analysis", "rater_calibration"]


def _per_assessment(dataset: Dataset):
    scores = dataset.scores_of_record()
    by_assessment = dict(tuple(scores.groupby("assessment_id", observed=True, sort=False)))
    for assessment in dataset.assessments.itertuples(index=False):
        taken = by_assessment.get(assessment.assessment_id)
        if taken is None or taken["student_id"].nunique() < 2:
            continue
        items = dataset.items[dataset.items["assessment_id"] == assessment.assessment_id]
        yield assessment, taken, items


def item_analysis(dataset: Dataset, *, easy: float = 0.9, hard: float = 0.2, low_discrimination: float = 0.2,
                  **filters) -> pd.DataFrame:
    """Classical item statistics for every item of every assessment, with flags in words.

    Parameters
    ----------
    dataset : Dataset
    easy, hard, low_discrimination : float
        Flag thresholds (see :func:`plc_analysis.item_statistics`).
    **filters
        Passed to :meth:`Dataset.filter`.

    Returns
    -------
    DataFrame
        One row per assessment × item, columns ``team_id, assessment_id,
        title, date, item_id, skill_id, item_kind, key, n, n_not_attempted,
        max_points, mean_points, difficulty, discrimination, item_total_r,
        alpha_if_deleted, likely_miskey`` (bool), ``flags`` (words: ``very
        easy``, ``very hard``, ``low discrimination``, ``negative
        discrimination — check the key``, and the distractor finding for a
        likely miskey).
    """
    if filters:
        dataset = dataset.filter(**filters)
    frames = []
    for assessment, taken, items in _per_assessment(dataset):
        stats = item_statistics(taken, items, easy_threshold=easy, hard_threshold=hard,
                                low_discrimination=low_discrimination).reset_index()
        stats["likely_miskey"] = False
        mc = items["key"].notna() | (items["kind"] == "mc")
        if mc.any() and taken["response"].notna().any():
            options = distractor_analysis(taken, items)
            miskey = options.groupby("item_id")["likely_miskey"].any()
            note = options.groupby("item_id")["flag"].first()
            stats["likely_miskey"] = stats["item_id"].map(miskey).fillna(False).astype(bool)
            extra = stats["item_id"].map(note).fillna("")
            stats["flags"] = [", ".join(p for p in (a, b) if p) for a, b in zip(stats["flags"], extra)]
        meta = items[["item_id", "skill_id", "kind", "key"]].rename(columns={"kind": "item_kind"})
        stats = stats.merge(meta, on="item_id", how="left").assign(
            team_id=assessment.team_id, assessment_id=assessment.assessment_id, title=assessment.title,
            date=assessment.date)
        frames.append(stats)
    columns = ["team_id", "assessment_id", "title", "date", "item_id", "skill_id", "item_kind", "key", "n",
               "n_not_attempted", "max_points", "mean_points", "difficulty", "discrimination", "item_total_r",
               "alpha_if_deleted", "likely_miskey", "flags"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def option_analysis(dataset: Dataset, assessment_id: str) -> pd.DataFrame:
    """Distractor analysis of one assessment's multiple-choice items.

    Returns
    -------
    DataFrame
        The columns of :func:`plc_analysis.distractor_analysis` (``item_id,
        key, option, is_key, n, share, share_upper, share_lower,
        discrimination_index, point_biserial, likely_miskey, flag``).
    """
    scores = dataset.scores_of_record()
    scores = scores[scores["assessment_id"] == assessment_id]
    items = dataset.items[dataset.items["assessment_id"] == assessment_id]
    return distractor_analysis(scores, items)


def assessment_reliability(dataset: Dataset, *, confidence: float = 0.95, **filters) -> pd.DataFrame:
    """Cronbach's alpha (KR-20 for 0/1 items) per assessment, complete cases.

    Returns
    -------
    DataFrame
        One row per assessment with ≥ 2 items and ≥ 2 students, columns
        ``team_id, assessment_id, title, date, alpha, ci_low, ci_high,
        n_students, n_items, sem``.
    """
    if filters:
        dataset = dataset.filter(**filters)
    rows = []
    for assessment, taken, items in _per_assessment(dataset):
        if len(items) < 2:
            continue
        summary = reliability_summary(taken, items, confidence=confidence)
        rows.append({"team_id": assessment.team_id, "assessment_id": assessment.assessment_id,
                     "title": assessment.title, "date": assessment.date,
                     **{k: summary[k] for k in ("alpha", "ci_low", "ci_high", "n_students", "n_items", "sem")}})
    return pd.DataFrame(rows, columns=["team_id", "assessment_id", "title", "date", "alpha", "ci_low", "ci_high",
                                       "n_students", "n_items", "sem"])


def rater_calibration(dataset: Dataset, *, threshold: float = 0.6, by_item: bool = False,
                      **filters) -> pd.DataFrame:
    """Agreement of each pair of raters on double-scored rubric work.

    Parameters
    ----------
    dataset : Dataset
    threshold : float
        Quadratic-weighted kappa below which a pair needs another calibration round.
    by_item : bool
        One row per rater pair and rubric item (default: pooled over items).
    **filters
        Passed to :meth:`Dataset.filter`.

    Returns
    -------
    DataFrame
        Columns of :func:`plc_analysis.calibration_table` (``item_id,
        rater_a, rater_b, n_works, exact, adjacent, kappa_quadratic, icc,
        needs_calibration, note``) plus ``team_id, rater_a_name,
        rater_b_name``.  Empty when nothing was double-scored.
    """
    if filters:
        dataset = dataset.filter(**filters)
    ratings = dataset.ratings()
    columns = ["team_id", "item_id", "rater_a", "rater_a_name", "rater_b", "rater_b_name", "n_works", "exact",
               "adjacent", "kappa_quadratic", "icc", "needs_calibration", "note"]
    if ratings.empty:
        return pd.DataFrame(columns=columns)
    team_of = dataset.assessments.set_index("assessment_id")["team_id"]
    ratings = ratings.assign(team_id=ratings["assessment_id"].map(team_of))
    names = teacher_names(dataset)
    frames = []
    for team, part in ratings.groupby("team_id", sort=True):
        if by_item:
            part = part.assign(item_id=part["assessment_id"] + "/" + part["item_id"])
        table = calibration_table(part[["work_id", "rater_id", "score", *(["item_id"] if by_item else [])]],
                                  threshold)
        table["team_id"] = team
        frames.append(table)
    out = pd.concat(frames, ignore_index=True)
    if "item_id" not in out:
        out["item_id"] = pd.NA
    out["rater_a_name"] = out["rater_a"].map(names)
    out["rater_b_name"] = out["rater_b"].map(names)
    return out[columns]
