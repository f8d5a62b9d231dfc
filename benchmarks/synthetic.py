"""Building blocks of the synthetic districts the benchmarks generate (one home for the score model).

``bench_metrics.py`` (one flat canonical folder) and ``scale_district.py``
(a school-partitioned district, generated school by school) both build their
score rows here, so the two districts share one model of a CFA:

* a student's chance on an item is logistic in ability + teacher effect −
  item difficulty; points are binomial out of the item's maximum;
* a few scores are blank (not attempted);
* multiple-choice rows carry the response letter (the key when correct, a
  wrong letter otherwise);
* a few rubric rows are scored again by a colleague (calibration): both rows
  then carry a ``rater_id``, the first the student's own teacher.

Everything is vectorised numpy and Arrow; nothing loops over rows.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

__all__ = ["LETTERS", "ids", "strings", "score_table", "indexed_labels"]

#: Response letters of the multiple-choice items (their keys are among them).
LETTERS = np.array(list("ABCD"), dtype=object)
RUBRIC_POINTS = 4.0
MC_POINTS = 1.0


def ids(prefix: str, n: int, width: int, start: int = 0) -> np.ndarray:
    """``n`` identifiers ``<prefix><number>``, numbers zero-padded to ``width``, from ``start``.

    Returns
    -------
    ndarray of object
    """
    return np.array([f"{prefix}{i:0{width}d}" for i in range(start, start + n)], dtype=object)


def indexed_labels(prefix: str, n: int, width: int = 2) -> np.ndarray:
    """Labels ``<prefix>01`` … numbered from 1 (item numbers on an assessment, weeks...)."""
    return ids(prefix, n, width, start=1)


def strings(codes: np.ndarray, labels: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """A plain (not dictionary) Arrow string column: ``labels[codes]``, null where ``mask``.

    Parameters
    ----------
    codes : ndarray of int
        Positions in ``labels``.
    labels : ndarray
        The distinct strings.
    mask : ndarray of bool, optional
        True where the cell is null (the code there is ignored but must be valid).

    Returns
    -------
    pyarrow.StringArray
    """
    indices = pa.array(np.asarray(codes, dtype=np.int32), mask=mask)
    return pa.DictionaryArray.from_arrays(indices, pa.array(labels, type=pa.string())).cast(pa.string())


def score_table(
    rng: np.random.Generator,
    *,
    student: np.ndarray,
    assessment: np.ndarray,
    item: np.ndarray,
    teacher: np.ndarray,
    colleague: np.ndarray,
    logit: np.ndarray,
    max_points: np.ndarray,
    key: np.ndarray,
    labels: dict[str, np.ndarray],
    not_attempted_rate: float,
    double_scored_rate: float,
) -> pa.Table:
    """Score rows for the given student × item sittings, in the canonical ``scores`` columns.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of every random draw (the same state gives the same table).
    student, assessment, item : ndarray of int
        One entry per sitting (student × item), codes into ``labels["student"]``,
        ``labels["assessment"]`` and ``labels["item"]``.
    teacher : ndarray of int
        The student's own teacher per sitting (code into ``labels["teacher"]``).
    colleague : ndarray of int
        Another teacher of the same team, who scores the second copy of a
        double-scored row (equal to ``teacher`` when the team has one teacher:
        then the row is never scored twice).
    logit : ndarray of float
        Ability + teacher effect − item difficulty per sitting.
    max_points : ndarray of float
        The item's maximum (1 multiple choice, 2 constructed response, 4 rubric).
    key : ndarray of int
        The multiple-choice key as a position in :data:`LETTERS` (ignored elsewhere).
    labels : dict of str to ndarray
        ``student``, ``assessment``, ``item`` and ``teacher`` identifiers.
    not_attempted_rate : float
        Share of rows left blank (``points`` null).
    double_scored_rate : float
        Share of all rows that are rubric rows scored a second time by a colleague.

    Returns
    -------
    pyarrow.Table
        Columns ``student_id, assessment_id, item_id, points, response, rater_id``;
        the second scoring of a row comes right after the first.
    """
    n = len(student)
    probability = 1.0 / (1.0 + np.exp(-logit))
    points = rng.binomial(max_points.astype(np.int64), probability).astype(np.float64)
    points[rng.random(n) < not_attempted_rate] = np.nan
    mc = max_points == MC_POINTS
    wrong = (key + rng.integers(1, len(LETTERS), n)) % len(LETTERS)
    response = np.where(points == MC_POINTS, key, wrong)
    rubric = (max_points == RUBRIC_POINTS) & (colleague != teacher)
    share = rubric.mean() if n else 0.0
    double = rubric & (rng.random(n) < (double_scored_rate / share if share else 0.0))
    rater = np.full(n, -1, dtype=np.int64)
    rater[double] = teacher[double]
    extra = np.flatnonzero(double)
    second = np.clip(points[extra] + rng.integers(-1, 2, len(extra)), 0, RUBRIC_POINTS)
    order = np.argsort(np.concatenate([np.arange(n), extra]), kind="stable")

    def with_second(first: np.ndarray, again: np.ndarray) -> np.ndarray:
        return np.concatenate([first, again])[order]

    student, assessment, item = (with_second(a, a[extra]) for a in (student, assessment, item))
    points = with_second(points, second)
    response, mc = with_second(response, response[extra]), with_second(mc, mc[extra])
    rater = with_second(rater, colleague[extra])
    no_response = ~mc | np.isnan(points)
    return pa.table(
        {
            "student_id": strings(student, labels["student"]),
            "assessment_id": strings(assessment, labels["assessment"]),
            "item_id": strings(item, labels["item"]),
            "points": pa.array(points, mask=np.isnan(points)),
            "response": strings(np.where(no_response, 0, response), LETTERS, mask=no_response),
            "rater_id": strings(np.maximum(rater, 0), labels["teacher"], mask=rater < 0),
        }
    )
