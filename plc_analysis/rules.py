"""The rules several analyses share, each stated once.

* :data:`TOLERANCE`: how far apart two numbers may be and still count as equal
  (a score of 0.8 meets a cut of 0.8 even when floating point makes it 0.7999…);
  :func:`at_least` applies it to "meets the line".
* :func:`same_day_later` and :func:`chronological`: the order of a student's
  evidence on one skill — by date, and on the same day a reassessment after
  the original, then by assessment id.
* :data:`GROUPS`, :data:`GROUP_COLUMNS` and :func:`group_columns`: what a group
  level named in ``by=`` (``"team"``, ``"teacher"`` ...) means in columns.

Internal API: the public functions of :mod:`plc_analysis` apply these rules.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import pandas as pd

__all__ = [
    "TOLERANCE",
    "at_least",
    "same_day_later",
    "chronological",
    "GROUPS",
    "GROUP_COLUMNS",
    "group_columns",
]

#: Two numbers closer than this are equal: a score meets a cut, a point total its maximum.
TOLERANCE = 1e-9


def at_least(values: Any, line: Any) -> Any:
    """``values >= line`` within :data:`TOLERANCE` (elementwise for arrays and Series).

    Returns
    -------
    bool, ndarray of bool or Series of bool
        Shaped like ``values - line``.
    """
    return values >= line - TOLERANCE


def same_day_later(kinds: pd.Series) -> pd.Series:
    """1 for a reassessment, 0 for any other assessment kind: sorted after the date, a same-day reassessment comes last.

    Returns
    -------
    Series of int
        Aligned with ``kinds``.
    """
    return (kinds.astype("str") == "reassessment").astype(int)


def chronological(evidence: pd.DataFrame) -> pd.DataFrame:
    """Evidence rows in each student's and skill's order of time (stable).

    Sorted by ``student_id, skill_id, date``, a reassessment after anything
    else given the same day, then ``assessment_id``.

    Parameters
    ----------
    evidence : DataFrame
        With ``student_id, skill_id, date, assessment_kind, assessment_id``.

    Returns
    -------
    DataFrame
        The same rows and columns, reordered (index kept).
    """
    return (
        evidence.assign(_later=same_day_later(evidence["assessment_kind"]))
        .sort_values(["student_id", "skill_id", "date", "_later", "assessment_id"], kind="stable")
        .drop(columns="_later")
    )


#: Group levels understood by ``by=``.
GROUPS: tuple[str, ...] = ("team", "school", "teacher", "section")
#: The columns each group level stands for (a teacher is within a team, a section within a teacher).
GROUP_COLUMNS: dict[str, tuple[str, ...]] = {
    "team": ("team_id",),
    "school": ("school_id",),
    "teacher": ("team_id", "teacher_id"),
    "section": ("team_id", "teacher_id", "section_id"),
}


def group_columns(by: str | Sequence[str] | None, others: Collection[str], others_are: str) -> list[str]:
    """The columns a ``by=`` argument stands for, each once, in order.

    Parameters
    ----------
    by : str, list of str or None
        Group levels (:data:`GROUPS`) and other column names; None = no grouping.
    others : collection of str
        The other names accepted as they are (e.g. the subgroup columns of
        ``students``, or the columns of a table passed in).
    others_are : str
        What ``others`` are, for the error message (e.g. ``"a subgroup column"``).

    Returns
    -------
    list of str
        Column names.

    Raises
    ------
    ValueError
        Naming every level that is neither a group level nor in ``others``,
        with what would be accepted.
    """
    levels = [] if by is None else ([by] if isinstance(by, str) else list(by))
    columns: list[str] = []
    unknown = []
    for level in levels:
        if level in GROUP_COLUMNS:
            columns += [c for c in GROUP_COLUMNS[level] if c not in columns]
        elif level in others:
            if level not in columns:
                columns.append(level)
        else:
            unknown.append(level)
    if unknown:
        named = ", ".join(repr(u) for u in unknown)
        raise ValueError(
            f"by={named}: use one of {', '.join(GROUPS)} or {others_are} "
            f"({', '.join(map(str, others)) or 'none in this dataset'})"
        )
    return columns
