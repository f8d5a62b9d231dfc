"""Growth and band transitions between two windows of evidence.

Two windows (a CFA and its reassessment, two benchmarks, the start of the
period and now) each give one result per student × skill
(:func:`window_standing`); :func:`assign_bands <plc_analysis.assign_bands>` puts
each in its Data Teams band, and :func:`band_transitions` /
:func:`transition_summary` count the students moving between bands, by skill,
teacher or any other column.  :func:`student_growth` is the change per student
and skill (points of the 0–1 score).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .bands import BANDS
from .rules import same_day_later

__all__ = ["window_standing", "paired_bands", "band_transitions", "transition_summary", "student_growth"]


def window_standing(
    evidence: pd.DataFrame,
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    pick: str = "latest",
) -> pd.DataFrame:
    """One result per student × skill within a window of dates.

    Parameters
    ----------
    evidence : DataFrame
        :func:`plc_analysis.skill_evidence` rows (``student_id, skill_id,
        assessment_id, assessment_kind, date, score, proficiency_cut`` …).
    start, end : date, optional
        Inclusive bounds of the window (open when None).
    pick : {"latest", "earliest"}
        Which result of the window stands for it (a same-day reassessment
        counts as later than the assessment it follows).

    Returns
    -------
    DataFrame
        The chosen rows of ``evidence``, one per student × skill.
    """
    if pick not in ("latest", "earliest"):
        raise ValueError(f"pick must be 'latest' or 'earliest', not {pick!r}")
    rows = evidence
    if start is not None:
        rows = rows[rows["date"] >= pd.Timestamp(start)]
    if end is not None:
        rows = rows[rows["date"] <= pd.Timestamp(end)]
    rows = rows.assign(_later=same_day_later(rows["assessment_kind"].astype(str)))
    rows = rows.sort_values(["date", "_later", "assessment_id"], kind="stable")
    keep = "last" if pick == "latest" else "first"
    return rows.drop_duplicates(["student_id", "skill_id"], keep=keep).drop(columns="_later").reset_index(drop=True)


def paired_bands(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """The students × skills banded in both windows, side by side.

    Parameters
    ----------
    before, after : DataFrame
        :func:`plc_analysis.assign_bands` of each window.

    Returns
    -------
    DataFrame
        One row per student × skill in both, columns ``student_id, skill_id,
        teacher_id`` (of the later window, else the earlier), ``from_band,
        to_band`` (ordered categoricals), ``from_score, to_score, growth``
        (to − from), ``step`` (bands moved: positive = up toward proficient).
    """
    keep = ["student_id", "skill_id", "band", "score", "teacher_id"]
    left = before[[c for c in keep if c in before]].rename(columns={"band": "from_band", "score": "from_score"})
    right = after[[c for c in keep if c in after]].rename(columns={"band": "to_band", "score": "to_score"})
    pairs = left.merge(right, on=["student_id", "skill_id"], how="inner", suffixes=("_before", ""))
    if "teacher_id" in pairs and "teacher_id_before" in pairs:
        pairs["teacher_id"] = pairs["teacher_id"].fillna(pairs.pop("teacher_id_before"))
    elif "teacher_id_before" in pairs:
        pairs = pairs.rename(columns={"teacher_id_before": "teacher_id"})
    pairs["growth"] = pairs["to_score"] - pairs["from_score"]
    # band codes run best (0) to worst (3): moving up is a smaller code
    pairs["step"] = (pairs["from_band"].cat.codes - pairs["to_band"].cat.codes).astype("int64")
    columns = [
        "student_id",
        "skill_id",
        "teacher_id",
        "from_band",
        "to_band",
        "from_score",
        "to_score",
        "growth",
        "step",
    ]
    return pairs[[c for c in columns if c in pairs]].reset_index(drop=True)


def band_transitions(pairs: pd.DataFrame, by: Sequence[str] = ("skill_id",)) -> pd.DataFrame:
    """From→to band counts.

    Parameters
    ----------
    pairs : DataFrame
        :func:`paired_bands`.
    by : sequence of str
        Grouping columns (default ``skill_id``; ``()`` for everyone).

    Returns
    -------
    DataFrame
        One row per group × from band × to band (all 16 pairs, zeros
        included), columns ``<by>, from_band, to_band, n, share`` (of the
        group's students starting in ``from_band``).
    """
    keys = list(by)
    counts = pairs.groupby([*keys, "from_band", "to_band"], observed=False, sort=True).size().rename("n").reset_index()
    if keys:
        counts = counts.merge(pairs[keys].drop_duplicates(), on=keys, how="inner")
    starting = counts.groupby([*keys, "from_band"], observed=True)["n"].transform("sum")
    counts["share"] = counts["n"] / starting.where(starting > 0)
    counts["n"] = counts["n"].astype("int64")
    return counts.reset_index(drop=True)


def transition_summary(pairs: pd.DataFrame, by: Sequence[str] = ("skill_id",)) -> pd.DataFrame:
    """Share of students moving up, staying and moving down a band, per group.

    Parameters
    ----------
    pairs : DataFrame
        :func:`paired_bands`.
    by : sequence of str
        Grouping columns (default ``skill_id``; e.g. ``("teacher_id",)``).

    Returns
    -------
    DataFrame
        One row per group, columns ``<by>, n`` (students × skills with a
        result in both windows), ``n_up, n_same, n_down, share_up,
        share_down``, ``n_to_proficient`` (not proficient before, proficient
        after), ``n_from_proficient`` (the reverse), ``n_proficient_before,
        n_proficient_after, mean_growth`` (points of the 0–1 score).
    """
    keys = list(by)
    proficient = BANDS[0]
    frame = pairs.assign(
        _up=pairs["step"] > 0,
        _same=pairs["step"] == 0,
        _down=pairs["step"] < 0,
        _to=(pairs["from_band"] != proficient) & (pairs["to_band"] == proficient),
        _from=(pairs["from_band"] == proficient) & (pairs["to_band"] != proficient),
        _pb=pairs["from_band"] == proficient,
        _pa=pairs["to_band"] == proficient,
    )
    grouped = frame.groupby(keys, sort=True) if keys else frame.groupby(np.zeros(len(frame)))
    out = grouped.agg(
        n=("student_id", "size"),
        n_up=("_up", "sum"),
        n_same=("_same", "sum"),
        n_down=("_down", "sum"),
        n_to_proficient=("_to", "sum"),
        n_from_proficient=("_from", "sum"),
        n_proficient_before=("_pb", "sum"),
        n_proficient_after=("_pa", "sum"),
        mean_growth=("growth", "mean"),
    )
    out = out.reset_index() if keys else out.reset_index(drop=True)
    for column in ("n", "n_up", "n_same", "n_down", "n_to_proficient", "n_from_proficient"):
        out[column] = out[column].astype("int64")
    for column in ("n_proficient_before", "n_proficient_after"):
        out[column] = out[column].astype("int64")
    out["share_up"] = out["n_up"] / out["n"]
    out["share_down"] = out["n_down"] / out["n"]
    columns = [
        *keys,
        "n",
        "n_up",
        "n_same",
        "n_down",
        "share_up",
        "share_down",
        "n_to_proficient",
        "n_from_proficient",
        "n_proficient_before",
        "n_proficient_after",
        "mean_growth",
    ]
    return out[columns]


def student_growth(pairs: pd.DataFrame) -> pd.DataFrame:
    """Growth per student (rows) and skill (columns): the change in score between the windows.

    Parameters
    ----------
    pairs : DataFrame
        :func:`paired_bands`.

    Returns
    -------
    DataFrame
        One row per student, columns ``student_id``, then one column per
        skill (to − from score, NaN without a result in both windows).
    """
    wide = pairs.pivot_table(index="student_id", columns="skill_id", values="growth", aggfunc="first")
    wide.columns = [str(c) for c in wide.columns]
    return wide.reset_index()
