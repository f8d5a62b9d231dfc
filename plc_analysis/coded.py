"""Integer-coded views of a :class:`~plc_analysis.dataset.Dataset` for fast metrics.

The metric functions are defined on tidy tables of string identifiers; at a
district's scale (millions of score rows) joining and grouping on strings is
what costs.  This module computes the same tables with integer codes:

* identifiers are factorised once per dataset (cached), joins become array
  look-ups and groups become ``np.bincount`` over one int64 code per row;
* internal frames keep identifiers as categoricals whose categories are
  sorted, so pandas sorts and groups them by code in the same order as the
  strings; :func:`decode` turns them back into strings for public results.

Every function here returns exactly what the plain pandas formulation
returns (the tests compare them), or None when the data break an assumption
the coded path relies on (e.g. a duplicated key in tables built by hand,
never in a validated load); callers then use the plain formulation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: A :class:`~plc_analysis.dataset.Dataset`; not imported here, because dataset.py imports this module.
DatasetLike = Any

__all__ = [
    "ID_COLUMNS",
    "Factor",
    "factor",
    "categorical",
    "decode",
    "lookup",
    "combine",
    "rank",
    "exact_sums",
    "stable_sort",
    "run_starts",
    "repeated_keys",
    "usable",
    "item_rows",
    "evidence_frame",
    "present_pairs",
    "roster_present",
]

#: Identifier columns that internal frames may hold as categoricals.
ID_COLUMNS = frozenset(
    {
        "student_id",
        "skill_id",
        "assessment_id",
        "item_id",
        "team_id",
        "school_id",
        "section_id",
        "teacher_id",
        "common_id",
        "rater_id",
    }
)
_DENSE_LIMIT = 1 << 22  # largest dense look-up table (entries) for a two-column key


@dataclass(frozen=True)
class Factor:
    """A column as integer codes into its distinct values (-1 for missing)."""

    codes: np.ndarray
    values: pd.Index

    def __len__(self) -> int:
        return len(self.values)


def factor(values: pd.Series | pd.Index | np.ndarray) -> Factor:
    """Factorise a column; codes in first-appearance order, -1 for missing.

    Parameters
    ----------
    values : Series, Index or ndarray

    Returns
    -------
    Factor
    """
    codes, uniques = pd.factorize(values)
    return Factor(codes.astype(np.int64, copy=False), pd.Index(uniques))


def lookup(keys: pd.Index, values: pd.Series | pd.Index | np.ndarray) -> np.ndarray:
    """Position of each of ``values`` in the distinct ``keys`` (-1 when absent or missing)."""
    return np.asarray(keys.get_indexer(values), dtype=np.int64)


def combine(*parts: tuple[np.ndarray, int]) -> np.ndarray | None:
    """One int64 code per row for several ``(codes, size)`` columns (codes in ``0..size-1``).

    Returns None if the combined range would overflow int64.
    """
    total = 1
    for _, size in parts:
        total *= max(int(size), 1)
    if total >= 2**62:
        return None
    combined = np.zeros(len(parts[0][0]), dtype=np.int64)
    for codes, size in parts:
        combined = combined * max(int(size), 1) + codes
    return combined


def categorical(codes: np.ndarray, values: pd.Index) -> pd.Categorical:
    """A categorical of ``values[codes]`` (-1 missing) whose categories are sorted.

    Sorted categories make pandas sort and group the categorical by code in
    the same order as the strings themselves.
    """
    values = pd.Index(values)
    if values.hasnans:
        raise ValueError("categories cannot hold missing values")
    order = np.asarray(values.argsort(), dtype=np.int64)
    rank = np.empty(len(values) + 1, dtype=np.int64)
    rank[order] = np.arange(len(values))
    rank[-1] = -1
    return pd.Categorical.from_codes(rank[codes], categories=values[order])


def decode(frame: pd.DataFrame) -> pd.DataFrame:
    """Identifier categoricals (see :data:`ID_COLUMNS`) back to ``str`` columns; a new frame."""
    coded = [c for c in frame.columns if c in ID_COLUMNS and isinstance(frame[c].dtype, pd.CategoricalDtype)]
    if not coded:
        return frame.copy()
    return frame.assign(**{c: _as_text(frame[c]) for c in coded})


def _as_text(column: pd.Series) -> pd.Series:
    """A categorical column as ``str`` (same as ``astype("str")``), taking from the categories."""
    categories = column.cat.categories
    if categories.dtype != "str":
        return column.astype("str")
    taken = categories.array.take(column.cat.codes.to_numpy(), allow_fill=True)
    return pd.Series(taken, index=column.index, name=column.name, dtype="str")


def exact_sums(values: np.ndarray) -> bool:
    """Whether every running sum of ``values`` is exact in float64 (multiples of 1/1024, not huge).

    Then a plain sum equals pandas' compensated (Kahan) sum bit for bit.
    Missing values are ignored (they count as 0).
    """
    distinct = pd.unique(values)
    distinct = distinct[~np.isnan(distinct)]
    if not len(distinct):
        return True
    scaled = distinct * 1024.0
    return bool(np.all(scaled == np.round(scaled)) and np.abs(distinct).max() * len(values) < 2.0**42)


def stable_sort(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows ordered by ``keys`` (non-negative int64), ties in row order.

    The row position is packed into the low bits of each key so that one
    plain ``np.sort`` (several times faster than a stable ``argsort``) gives
    a stable order.

    Returns
    -------
    tuple of ndarray
        ``(order, sorted_keys)``: row positions in sorted order and the keys
        in that order.
    """
    n = len(keys)
    bits = max(int(n).bit_length(), 1)
    if int(keys.max(initial=0)).bit_length() + bits > 63:
        order = np.argsort(keys, kind="stable")
        return order, keys[order]
    packed = keys << bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    order = packed & ((1 << bits) - 1)
    packed >>= bits
    return order, packed


def run_starts(ordered: np.ndarray) -> np.ndarray:
    """Offsets in sorted ``ordered`` where a new value starts."""
    if not len(ordered):
        return np.zeros(0, dtype=np.int64)
    change = np.empty(len(ordered), dtype=bool)
    change[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=change[1:])
    return np.flatnonzero(change)


def repeated_keys(keys: np.ndarray) -> np.ndarray:
    """Mask of the rows whose key (int64) appears more than once (sort-based: no hashing of every row)."""
    ordered = np.sort(keys)
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return np.zeros(len(keys), dtype=bool)
    return pd.Series(keys).isin(np.unique(ordered[1:][same])).to_numpy()


def rank(values: pd.Index) -> np.ndarray:
    """Each value's position in sorted order (ties impossible: values are distinct)."""
    order = np.asarray(values.argsort(), dtype=np.int64)
    ranks = np.empty(len(values), dtype=np.int64)
    ranks[order] = np.arange(len(values))
    return ranks


def _is_text(series: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(series) or isinstance(series.dtype, pd.CategoricalDtype)


def _unique_key(frame: pd.DataFrame, columns: list[str]) -> bool:
    part = frame[columns]
    return not part.isna().any().any() and not part.duplicated().any()


def usable(dataset: DatasetLike) -> bool:
    """Whether the coded path applies: text ids, unique keys, no missing join keys."""
    t = dataset.tables
    scores, items, assessments, skills = t["scores"], t["items"], t["assessments"], t["skills"]
    if not len(scores) or not len(items):
        return False
    for frame, columns in (
        (scores, ["student_id", "assessment_id", "item_id"]),
        (items, ["assessment_id", "item_id", "skill_id"]),
        (assessments, ["assessment_id", "team_id"]),
        (skills, ["skill_id"]),
    ):
        if not all(c in frame and _is_text(frame[c]) for c in columns):
            return False
    if scores[["student_id", "assessment_id", "item_id"]].isna().any().any():
        return False
    if not (scores.index.is_monotonic_increasing and scores.index.is_unique):
        return False
    placement = dataset.student_sections()
    if placement[["student_id", "team_id"]].isna().any().any():
        return False
    return (
        _unique_key(items, ["assessment_id", "item_id"])
        and _unique_key(assessments, ["assessment_id"])
        and _unique_key(skills, ["skill_id"])
        and not assessments["team_id"].isna().any()
        and pd.api.types.is_datetime64_dtype(assessments["date"])
    )


def item_rows(student_assessment: Factor, item: Factor, items: pd.DataFrame) -> np.ndarray:
    """Per score row, the row of ``items`` with its ``assessment_id, item_id`` (-1: none)."""
    a_items = lookup(student_assessment.values, items["assessment_id"])
    i_items = lookup(item.values, items["item_id"])
    known = (a_items >= 0) & (i_items >= 0)
    rows = np.flatnonzero(known)
    n_a, n_i = len(student_assessment), len(item)
    if n_a * n_i <= _DENSE_LIMIT:
        table = np.full(n_a * n_i + 1, -1, dtype=np.int64)
        table[a_items[known] * n_i + i_items[known]] = rows
        pair = np.where(
            (student_assessment.codes < 0) | (item.codes < 0), n_a * n_i, student_assessment.codes * n_i + item.codes
        )
        return table[pair]
    pair = np.where((student_assessment.codes < 0) | (item.codes < 0), -1, student_assessment.codes * n_i + item.codes)
    if not items["item_id"].duplicated().any():  # item ids unique across assessments: look up by item
        by_item = np.full(n_i + 1, -1, dtype=np.int64)
        by_item[i_items[known]] = rows
        row = by_item[item.codes]
        same = np.append(a_items, -1)[row] == student_assessment.codes
        return np.where((row >= 0) & same, row, -1)
    found = pd.Index(a_items[known] * n_i + i_items[known]).get_indexer(pair)
    return np.where((found >= 0) & (pair >= 0), rows[np.maximum(found, 0)], -1)


def placement_table(dataset: DatasetLike) -> pd.DataFrame:
    """Each student's first section per team (as :meth:`Dataset.responses` joins it)."""
    placement = dataset.student_sections()[["student_id", "team_id", "section_id", "teacher_id", "school_id"]]
    return placement.drop_duplicates(["student_id", "team_id"])


def _blueprint(items: pd.DataFrame, skill: Factor, assessment: Factor, assessments: pd.DataFrame) -> pd.DataFrame:
    """Possible points and items per assessment × skill, ranked in the evidence's order.

    Columns ``assessment_id, skill_id, possible, n_items`` (as the plain
    formulation computes them), ``a`` and ``k`` (codes into the score
    assessments and the item skills), ``arow`` (row in ``assessments``) and
    ``rank``: the order of (skill, date, assessment), so that sorting score
    rows by ``(student, rank)`` sorts evidence by student, skill and date.
    """
    blueprint = (
        items.groupby(["assessment_id", "skill_id"], observed=True)
        .agg(possible=("max_points", "sum"), n_items=("item_id", "size"))
        .reset_index()
    )
    blueprint["a"] = lookup(assessment.values, blueprint["assessment_id"])
    blueprint["k"] = lookup(skill.values, blueprint["skill_id"])
    a_row = np.append(lookup(pd.Index(assessments["assessment_id"]), assessment.values), -1)
    blueprint["arow"] = a_row[blueprint["a"].to_numpy()]
    date = assessments["date"].array.take(blueprint["arow"].to_numpy(), allow_fill=True)
    a_rank = np.append(rank(assessment.values), -1)[blueprint["a"].to_numpy()]
    order = np.lexsort((a_rank, _date_keys(date), rank(skill.values)[blueprint["k"].to_numpy()]))
    blueprint["rank"] = np.empty(len(blueprint), dtype=np.int64)
    blueprint.loc[order, "rank"] = np.arange(len(blueprint))
    return blueprint


def _item_blueprint(
    items: pd.DataFrame, skill: Factor, blueprint: pd.DataFrame, assessment: Factor
) -> tuple[np.ndarray, np.ndarray]:
    """Per item row, its blueprint row (-1: no skill, or an assessment never scored) and its place in it."""
    a_item = lookup(assessment.values, items["assessment_id"])
    known = (blueprint["a"] >= 0).to_numpy()
    width = len(skill) + 1
    index = pd.Index(blueprint["a"].to_numpy()[known] * width + blueprint["k"].to_numpy()[known])
    found = index.get_indexer(a_item * width + skill.codes)
    at = np.flatnonzero(known)
    row = np.where((found >= 0) & (a_item >= 0) & (skill.codes >= 0), at[np.maximum(found, 0)], -1)
    place = pd.Series(row).groupby(row).cumcount().to_numpy()
    return row, place


def _row_blueprints(assessment: Factor, item: Factor, items: pd.DataFrame, item_values: np.ndarray) -> np.ndarray:
    """Per score row, ``item_values`` of its item's row (-1 for an unknown item)."""
    n_a, n_i = len(assessment), len(item)
    if (n_a + 1) * (n_i + 1) <= 1 << 25:  # a dense table of (assessment, item) pairs
        table = np.full((n_a + 1) * (n_i + 1), -1, dtype=np.int32)
        a_items = lookup(assessment.values, items["assessment_id"])
        i_items = lookup(item.values, items["item_id"])
        known = (a_items >= 0) & (i_items >= 0)
        table[(a_items[known] + 1) * (n_i + 1) + i_items[known] + 1] = item_values[known]
        return table[(assessment.codes + 1) * (n_i + 1) + item.codes + 1]
    return np.append(item_values, -1)[item_rows(assessment, item, items)]


def _date_keys(dates: Any) -> np.ndarray:
    """Timestamps as int64 sort keys, missing last."""
    keys = np.asarray(pd.DatetimeIndex(dates).asi8, dtype=np.int64).copy()
    keys[np.asarray(pd.isna(dates))] = np.iinfo(np.int64).max
    return keys


def _work_runs(
    dataset: DatasetLike, rows: np.ndarray, group: np.ndarray, place: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score rows of record among ``rows``, sorted by ``group`` (then item, then row) and their group runs.

    Rows with the same group and item place are the same piece of work
    scored more than once (double scoring): only the row of record is kept
    (:meth:`Dataset.resolve_raters`), unless no row has a rater at all, as
    in :meth:`Dataset.scores_of_record`.

    Returns
    -------
    tuple of ndarray
        ``(positions, group keys, run starts)`` in sorted order.
    """
    order, keys = stable_sort(group * width + place)
    positions = rows[order]
    starts = run_starts(keys)
    sizes = np.diff(np.append(starts, len(keys)))
    if (sizes > 1).any() and not dataset.scores["rater_id"].isna().all():
        involved = np.sort(positions[np.repeat(sizes > 1, sizes)])
        chosen = dataset.resolve_raters(dataset.scores.iloc[involved].set_axis(involved)).index.to_numpy()
        dropped = np.zeros(len(dataset.scores), dtype=bool)
        dropped[involved] = True
        dropped[chosen] = False
        kept = ~dropped[positions]
        positions, keys = positions[kept], keys[kept]
    if width > 1:
        keys = keys // width
    # runs found again: after dropping double-scored rows the earlier starts no longer line up
    starts = run_starts(keys)
    return positions, keys, starts


def _earned(dataset: DatasetLike, points: np.ndarray, positions: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Points earned per group (not attempted as 0), bit for bit as the plain groupby sums them."""
    if exact_sums(points):
        sorted_points = points[positions]
        return np.add.reduceat(np.where(np.isnan(sorted_points), 0.0, sorted_points), starts)
    sizes = np.diff(np.append(starts, len(positions)))
    first = np.minimum.reduceat(positions, starts)
    appearance = np.empty(len(starts), dtype=np.int64)
    appearance[np.argsort(first, kind="stable")] = np.arange(len(starts))
    labels = np.full(len(points), np.nan)
    labels[positions] = np.repeat(appearance, sizes)
    record = dataset.record_positions()
    if record is not None:  # the plain groupby runs over the scores of record only
        labels, points = labels[record], points[record]
    summed = pd.Series(np.where(np.isnan(points), 0.0, points)).groupby(labels, sort=False).sum().to_numpy()
    return summed[appearance]


def evidence_frame(dataset: DatasetLike) -> pd.DataFrame | None:
    """:func:`~plc_analysis.proficiency.skill_evidence` of an unfiltered call, ids as sorted categoricals.

    Score rows are grouped by one sort of packed ``(student, assessment ×
    skill, item)`` keys whose order is already the result's (student, skill,
    date); double-scored work is found in the same sort.

    Returns
    -------
    DataFrame or None
        None when :func:`usable` says the coded path does not apply.
    """
    if not usable(dataset):
        return None
    t = dataset.tables
    items, assessments = t["items"], t["assessments"]
    codes = dataset.score_codes()
    student, assessment, item = codes["student"], codes["assessment"], codes["item"]
    skill = factor(items["skill_id"])
    blueprint = _blueprint(items, skill, assessment, assessments)
    item_bp, item_place = _item_blueprint(items, skill, blueprint, assessment)
    bp_rank = np.append(blueprint["rank"].to_numpy(), -1)
    item_rank = np.where(item_bp >= 0, bp_rank[item_bp], -1)
    width = int(item_place.max(initial=0)) + 1
    row_rank = _row_blueprints(assessment, item, items, item_rank * width + np.where(item_bp >= 0, item_place, 0))
    rows = np.flatnonzero(row_rank >= 0)
    if not len(rows):
        return None
    student_rank = rank(student.values)
    group = student_rank[student.codes[rows]] * len(blueprint) + row_rank[rows] // width
    positions, keys, starts = _work_runs(dataset, rows, group, row_rank[rows] % width, width)
    points = t["scores"]["points"].to_numpy(dtype="float64", na_value=np.nan)
    n_rows = np.diff(np.append(starts, len(positions)))
    counts = {
        "earned": _earned(dataset, points, positions, starts),
        "n_rows": n_rows,
        "n_missed": np.add.reduceat(np.isnan(points[positions]), starts).astype(np.int64),
        "first": np.minimum.reduceat(positions, starts),
    }
    g_student, g_rank = np.divmod(keys[starts], max(len(blueprint), 1))
    by_rank = np.empty(len(blueprint), dtype=np.int64)
    by_rank[blueprint["rank"].to_numpy()] = np.arange(len(blueprint))
    return _evidence_table(
        dataset, blueprint.iloc[by_rank[g_rank]].reset_index(drop=True), g_student, student, skill, assessment, counts
    )


def _evidence_table(
    dataset: DatasetLike,
    groups: pd.DataFrame,
    g_student: np.ndarray,
    student: Factor,
    skill: Factor,
    assessment: Factor,
    counts: dict[str, np.ndarray],
) -> pd.DataFrame:
    """The evidence frame from one blueprint row and student rank per group (groups in sorted order)."""
    t = dataset.tables
    assessments, skills = t["assessments"], t["skills"]
    g_arow, g_k = groups["arow"].to_numpy(), groups["k"].to_numpy()
    date = assessments["date"].array.take(g_arow, allow_fill=True)
    skill_rank = rank(skill.values)
    g_skill, g_date = skill_rank[g_k], _date_keys(date)
    ties = (g_student[1:] == g_student[:-1]) & (g_skill[1:] == g_skill[:-1]) & (g_date[1:] == g_date[:-1])

    team = factor(assessments["team_id"])
    g_team = np.append(team.codes, -1)[g_arow]
    student_code = np.argsort(rank(student.values))[g_student]
    placement = placement_table(dataset)
    p_row = _placement_rows(placement, student, team, student_code, g_team)
    cut_row = np.append(lookup(pd.Index(skills["skill_id"]), skill.values), -1)[g_k]
    cut = np.append(skills["proficiency_cut"].to_numpy(dtype="float64", na_value=np.nan), np.nan)[cut_row]
    possible = groups["possible"].to_numpy(dtype="float64")
    n_items = groups["n_items"].to_numpy(dtype="int64")

    def placed(column: str) -> pd.Categorical:
        f = factor(placement[column])
        return categorical(np.append(f.codes, -1)[p_row], f.values)

    frame = pd.DataFrame(
        {
            "student_id": pd.Categorical.from_codes(
                g_student, categories=student.values[np.argsort(rank(student.values))]
            ),
            "skill_id": pd.Categorical.from_codes(g_skill, categories=skill.values[np.argsort(skill_rank)]),
            "assessment_id": categorical(groups["a"].to_numpy(), assessment.values),
            "date": date,
            "assessment_kind": assessments["kind"].array.take(g_arow, allow_fill=True),
            "team_id": categorical(g_team, team.values),
            "school_id": placed("school_id"),
            "section_id": placed("section_id"),
            "teacher_id": placed("teacher_id"),
            "earned": counts["earned"],
            "possible": possible,
            "score": counts["earned"] / possible,
            "n_items": n_items,
            "n_not_attempted": counts["n_missed"] + (n_items - counts["n_rows"]),
            "proficiency_cut": cut,
        }
    )
    if not ties.any():
        return frame
    # evidence of one student and skill on the same day: first scored first, as the plain sort keeps them
    final = np.lexsort((counts["first"], g_date, g_skill, g_student))
    return frame.take(final).reset_index(drop=True)


def _placement_rows(
    placement: pd.DataFrame, student: Factor, team: Factor, student_code: np.ndarray, team_code: np.ndarray
) -> np.ndarray:
    """Row of ``placement`` for each (student code, team code) pair (-1: the student has no section there)."""
    p_student = lookup(student.values, placement["student_id"])
    p_team = lookup(team.values, placement["team_id"])
    p_known = (p_student >= 0) & (p_team >= 0)
    width = len(team) + 1
    index = pd.Index(p_student[p_known] * width + p_team[p_known])
    found = index.get_indexer(student_code * width + np.where(team_code < 0, len(team), team_code))
    return np.where(found >= 0, np.flatnonzero(p_known)[np.maximum(found, 0)], -1)


def present_pairs(student: Factor, assessment: Factor) -> tuple[np.ndarray, int]:
    """The distinct ``student × assessment`` codes with a score row, sorted, and the code width."""
    width = len(assessment) + 1
    pairs = student.codes * width + assessment.codes
    size = (len(student) + 1) * width
    if size <= 1 << 26:
        seen = np.zeros(size, dtype=bool)
        seen[pairs[(student.codes >= 0) & (assessment.codes >= 0)]] = True
        return np.flatnonzero(seen), width
    ordered = np.sort(pairs[(student.codes >= 0) & (assessment.codes >= 0)])
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered, width


def roster_present(dataset: DatasetLike, roster: pd.DataFrame) -> np.ndarray:
    """Whether each ``(student_id, assessment_id)`` of ``roster`` has any score row."""
    codes = dataset.score_codes()
    student, assessment = codes["student"], codes["assessment"]
    sat, width = present_pairs(student, assessment)
    r_student = lookup(student.values, roster["student_id"])
    r_assessment = lookup(assessment.values, roster["assessment_id"])
    known = (r_student >= 0) & (r_assessment >= 0)
    pair = r_student * width + r_assessment
    at = np.minimum(np.searchsorted(sat, pair), max(len(sat) - 1, 0))
    return known & (sat[at] == pair) if len(sat) else np.zeros(len(roster), dtype=bool)
