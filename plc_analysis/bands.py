"""Data Teams bands and student priority: who is where on each skill after a CFA.

A team meeting after a common formative assessment sorts the students of each
skill into four bands (the Data Teams protocol):

* **proficient**: at or above the skill's proficiency cut;
* **close**: below the cut by less than ``close`` (default 0.15: 65–79% for a cut of 80%);
* **far but likely**: further below, but at or above ``intensive_below`` (default 0.5);
* **intensive**: below ``intensive_below`` (under half the points).

Each student is then given one priority over the essential skills assessed:
**intensive** (below the cut on at least half of them), **targeted** (below the
cut on fewer than half, at least one of them further than ``close`` below),
**watch** (below the cut only by a little: every skill below is "close") or
**on track** (proficient on all).

Everything here is a pure function of a *standing* frame: one row per student
× skill with ``score`` and ``proficiency_cut`` (both 0–1), such as
:func:`plc_analysis.skill_evidence` for one assessment or
:func:`plc_analysis.student_skill_mastery`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .rules import at_least

__all__ = [
    "BandThresholds",
    "DEFAULT_BANDS",
    "BANDS",
    "PRIORITIES",
    "assign_bands",
    "band_counts",
    "student_priority",
    "priority_counts",
    "priority_sentence",
]

#: The bands, best first.
BANDS = ("proficient", "close", "far but likely", "intensive")
#: The priorities, most urgent first.
PRIORITIES = ("intensive", "targeted", "watch", "on track")


@dataclass(frozen=True)
class BandThresholds:
    """Where the bands split (shares of the points, 0–1).

    Attributes
    ----------
    close : float, default 0.15
        A score below the cut by less than this is *close*.
    intensive_below : float, default 0.5
        A score below this is *intensive* (when it is also below the cut and
        not close).
    """

    close: float = 0.15
    intensive_below: float = 0.5

    def __post_init__(self) -> None:
        if not 0 <= self.close <= 1 or not 0 <= self.intensive_below <= 1:
            raise ValueError(f"band thresholds must be between 0 and 1, got {self}")


DEFAULT_BANDS = BandThresholds()


def assign_bands(standing: pd.DataFrame, thresholds: BandThresholds = DEFAULT_BANDS) -> pd.DataFrame:
    """Each student × skill in its Data Teams band.

    Parameters
    ----------
    standing : DataFrame
        One row per student × skill with at least ``student_id, skill_id,
        score, proficiency_cut``; other columns are kept.  Rows without a
        score are left out (a student absent from the assessment has no band).
    thresholds : BandThresholds

    Returns
    -------
    DataFrame
        The rows of ``standing`` with a score, plus ``band`` (ordered
        categorical of :data:`BANDS`), ``proficient`` (bool) and ``shortfall``
        (cut − score, 0 when proficient).
    """
    rows = standing[standing["score"].notna()].copy()
    score, cut = rows["score"].astype(float), rows["proficiency_cut"].astype(float)
    proficient = at_least(score, cut).to_numpy(dtype=bool)
    close = ~proficient & at_least(score, cut - thresholds.close).to_numpy(dtype=bool)
    likely = (
        ~proficient
        & ~close
        & at_least(score, pd.Series(thresholds.intensive_below, index=rows.index)).to_numpy(dtype=bool)
    )
    band = np.select([proficient, close, likely], list(BANDS[:3]), default=BANDS[3])
    rows["band"] = pd.Categorical(band, categories=list(BANDS), ordered=True)
    rows["proficient"] = proficient
    rows["shortfall"] = (cut - score).clip(lower=0).where(~proficient, 0.0)
    return rows.reset_index(drop=True)


def band_counts(bands: pd.DataFrame, by: tuple[str, ...] = ("skill_id",)) -> pd.DataFrame:
    """Students per band, by skill (or any other columns of ``bands``).

    Parameters
    ----------
    bands : DataFrame
        A result of :func:`assign_bands`.
    by : tuple of str
        Grouping columns (default ``skill_id``).

    Returns
    -------
    DataFrame
        One row per group × band (every band, zeros included), columns
        ``<by>, band, n`` (students in the band), ``n_assessed`` (students
        of the group with a score) and ``share`` (n / n_assessed).
    """
    keys = list(by)
    counts = bands.groupby([*keys, "band"], observed=False, sort=True).size().rename("n").reset_index()
    present = bands[keys].drop_duplicates()
    counts = counts.merge(present, on=keys, how="inner")
    counts["n_assessed"] = counts.groupby(keys)["n"].transform("sum")
    counts["share"] = counts["n"] / counts["n_assessed"].where(counts["n_assessed"] > 0)
    counts["n"] = counts["n"].astype("int64")
    counts["n_assessed"] = counts["n_assessed"].astype("int64")
    return counts[[*keys, "band", "n", "n_assessed", "share"]].reset_index(drop=True)


def student_priority(bands: pd.DataFrame) -> pd.DataFrame:
    """One priority per student over the skills in ``bands`` (pass essential skills only).

    Parameters
    ----------
    bands : DataFrame
        A result of :func:`assign_bands`, one row per student × skill.

    Returns
    -------
    DataFrame
        One row per student, columns ``student_id, n_skills`` (with a
        score), ``n_below`` (below the cut), ``n_close, n_far`` (below by a
        little / further), ``priority`` (ordered categorical of
        :data:`PRIORITIES`): *intensive* when ``n_below >= n_skills / 2``
        (and at least one), *targeted* when some skill is further than
        "close" below, *watch* when every skill below is close, *on track*
        when none is below.
    """
    below = ~bands["proficient"].astype(bool)
    close = bands["band"].astype(str) == "close"
    per = (
        bands.assign(_below=below, _close=below & close, _far=below & ~close)
        .groupby("student_id", sort=True)
        .agg(
            n_skills=("skill_id", "nunique"),
            n_below=("_below", "sum"),
            n_close=("_close", "sum"),
            n_far=("_far", "sum"),
        )
        .reset_index()
    )
    for column in ("n_skills", "n_below", "n_close", "n_far"):
        per[column] = per[column].astype("int64")
    intensive = (per["n_below"] > 0) & (2 * per["n_below"] >= per["n_skills"])
    priority = np.select([intensive, per["n_far"] > 0, per["n_below"] > 0], list(PRIORITIES[:3]), default=PRIORITIES[3])
    per["priority"] = pd.Categorical(priority, categories=list(PRIORITIES), ordered=True)
    return per


def priority_counts(priority: pd.DataFrame) -> dict[str, int]:
    """Students per priority, every priority present (zeros included).

    Returns
    -------
    dict of str to int
        Priority → number of students, in the order of :data:`PRIORITIES`.
    """
    counts = priority["priority"].value_counts()
    return {p: int(counts.get(p, 0)) for p in PRIORITIES}


def priority_sentence(priority: pd.DataFrame) -> str:
    """The students by priority in one plain sentence (what the team acts on first).

    Returns
    -------
    str
        E.g. "Priority on essential skills: 9 students intensive (below the cut
        on at least half), 31 targeted (below on fewer, some by more than a
        little), 20 to watch (just below the cut), 7 on track."
    """
    counts = priority_counts(priority)
    if not sum(counts.values()):
        return "No student has a result on an essential skill yet."
    return (
        f"Priority on essential skills: {counts['intensive']} students intensive (below the cut on at least half), "
        f"{counts['targeted']} targeted (below on fewer, some by more than a little), "
        f"{counts['watch']} to watch (just below the cut), {counts['on track']} on track."
    )
