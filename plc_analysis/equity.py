"""Equity without exposing anyone: shares by subgroup, gaps with intervals, small-cell suppression.

Every share the workbook reports can be split by the subgroup columns of
``students.csv`` (e.g. ``ell``, ``sped``, ``frl``) with :func:`subgroup_gaps`:
each subgroup against the rest of the students in the same group, with a
Newcombe interval for the gap.

Privacy rule (``shared/DESIGN.md``): student names appear only for the team that
teaches them, and any output whose audience is beyond that team suppresses cells
of fewer than 10 students.  :func:`suppress_small_cells` does this, including
*complementary* suppression: when a suppressed cell could be recovered by
subtracting the cells still shown from a published total (the team's count, the
school's count), a second cell is suppressed too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from .dataset import Dataset
from .proficiency import MasteryRule, student_skill_mastery
from .rules import group_columns
from .stats import proportion_difference_interval, signal_from_interval, wilson_interval

__all__ = [
    "suppress_small_cells",
    "subgroup_gaps",
    "subgroup_membership",
    "chosen_subgroups",
    "finish_subgroup_gaps",
    "resolve_audience",
    "names_allowed",
    "student_names",
    "MIN_CELL",
    "Audience",
    "SIGNAL_LOWER",
    "SIGNAL_HIGHER",
]

#: Smallest number of students a cell may hold in an output read beyond the team.
MIN_CELL = 10
Audience = Literal["auto", "team", "beyond_team"]
#: Signals of :func:`subgroup_gaps` (besides "no clear difference" and "too few students").
SIGNAL_LOWER = "lower than the rest"
SIGNAL_HIGHER = "higher than the rest"
_SIGNALS = {"stronger than team": SIGNAL_HIGHER, "weaker than team": SIGNAL_LOWER}
_PRIMARY, _COMPLEMENT = 1, 2


# --------------------------------------------------------------------------- #
# Audience and names
# --------------------------------------------------------------------------- #
def resolve_audience(
    dataset: Dataset | None, audience: Audience = "auto", *, team_ids: Iterable[str] | None = None
) -> Literal["team", "beyond_team"]:
    """Who will read an output: the team that teaches the students, or anyone beyond it.

    Parameters
    ----------
    dataset : Dataset or None
        The (filtered) dataset behind the output.
    audience : {"auto", "team", "beyond_team"}
        ``"auto"`` means ``"team"`` when the output covers exactly one team
        and ``"beyond_team"`` otherwise.
    team_ids : iterable of str, optional
        The teams the output covers (default: the teams of ``dataset``).

    Returns
    -------
    str
        ``"team"`` or ``"beyond_team"``.
    """
    if audience not in ("auto", "team", "beyond_team"):
        raise ValueError(f"audience must be 'auto', 'team' or 'beyond_team', not {audience!r}")
    if audience != "auto":
        return audience
    if team_ids is None:
        team_ids = [] if dataset is None else dataset.teams["team_id"]
    return "team" if pd.Series(list(team_ids), dtype="str").dropna().nunique() == 1 else "beyond_team"


def names_allowed(dataset: Dataset, names: bool | None) -> bool:
    """Whether student names may be shown: only in one team's own output.

    Parameters
    ----------
    dataset : Dataset
        The (filtered) dataset behind the output.
    names : bool or None
        ``None``: show names when the dataset holds exactly one team, omit
        them otherwise.  ``True``: show names, raising if the dataset holds
        several teams.  ``False``: never.

    Returns
    -------
    bool

    Raises
    ------
    ValueError
        When ``names=True`` and the dataset holds more (or fewer) than one team.
    """
    single = dataset.teams["team_id"].nunique() == 1
    if names is None:
        return single
    if names and not single:
        raise ValueError(
            "student names are shown only in one team's own report: filter to a single team_id or pass names=False"
        )
    return bool(names)


def student_names(dataset: Dataset) -> pd.Series:
    """Display name (``"Last, First"``) per student_id; empty text when no name is recorded."""
    students = dataset.students.drop_duplicates("student_id").set_index("student_id")
    blank = pd.Series("", index=students.index, dtype="str")
    last = students["last_name"].astype("str").fillna("") if "last_name" in students else blank
    first = students["first_name"].astype("str").fillna("") if "first_name" in students else blank
    return (last + ", " + first).str.strip(", ").astype("str")


# --------------------------------------------------------------------------- #
# Suppression
# --------------------------------------------------------------------------- #
def suppress_small_cells(
    table: pd.DataFrame,
    count_columns: str | Sequence[str],
    min_n: int = MIN_CELL,
    *,
    families: Sequence[Sequence[str]] | None = None,
    within_row: bool = True,
    value_columns: Sequence[str] | dict[str, Sequence[str]] | None = None,
    label: str | None = None,
    complementary_label: str = "suppressed (protects a small group)",
) -> pd.DataFrame:
    """Hide every cell of fewer than ``min_n`` students, and whatever would let someone recover it.

    A *cell* is one value of a count column in one row (a number of
    students).  A cell under ``min_n`` is suppressed (primary suppression).
    Then, for each *family* of cells that add up to a total published
    elsewhere, a family with exactly one suppressed cell gets its smallest
    remaining cell suppressed too (complementary suppression), so the hidden
    count cannot be found by subtraction.  This repeats until no family has a
    lone suppressed cell.

    Families are:

    * with ``within_row=True`` (default), the count columns of one row — e.g.
      ``n_in`` and ``n_rest`` add up to the group's total;
    * for each list of columns in ``families``, the cells of the same count
      column in rows that share those columns' values — e.g. with
      ``families=[["skill_id", "subgroup"]]`` the English-learner counts of the
      teams of a school add up to the school's count.

    Parameters
    ----------
    table : DataFrame
        One row per group; count columns hold numbers of students.
    count_columns : str or sequence of str
        The cells to protect.
    min_n : int, default 10
        Cells with fewer students than this are suppressed (zero included).
    families : sequence of sequences of str, optional
        Column sets that define additive families (see above).
    within_row : bool, default True
        Treat the count columns of a row as one family.
    value_columns : sequence of str or dict, optional
        Columns that reveal a suppressed count and are blanked with it
        (set to missing).  A sequence is blanked whenever any cell of the row
        is suppressed; a dict maps each count column to the columns blanked
        with that cell.  Default: every numeric (non-boolean) column that is
        not a count column, blanked when any cell of the row is suppressed.
    label : str, optional
        Text shown for a primary-suppressed cell (default ``"fewer than 10"``
        for ``min_n=10``).
    complementary_label : str
        Text shown for a complementary-suppressed cell.

    Returns
    -------
    DataFrame
        A copy of ``table`` (same row order, fresh index) where suppressed
        counts and their value columns are missing (count columns become
        nullable ``Int64``), plus for each count column ``c`` a text column
        ``c_shown`` (the count as text, ``label`` or ``complementary_label``),
        ``suppressed`` (bool: any cell of the row hidden) and ``suppression``
        (plain-language reason for the row, empty when nothing is hidden).
    """
    counts = [count_columns] if isinstance(count_columns, str) else list(count_columns)
    if not counts:
        raise ValueError("count_columns must name at least one column")
    missing = [c for c in counts if c not in table.columns]
    if missing:
        raise ValueError(f"count columns not in the table: {', '.join(missing)}")
    if min_n < 1:
        raise ValueError(f"min_n must be at least 1, not {min_n}")
    label = label or f"fewer than {min_n}"
    out = table.reset_index(drop=True).copy()
    families = [list(f) for f in (families or [])]
    for family in families:
        unknown = [c for c in family if c not in out.columns]
        if unknown:
            raise ValueError(f"family columns not in the table: {', '.join(unknown)}")

    # long form: one row per cell
    cells = pd.concat(
        [
            pd.DataFrame(
                {
                    "_row": out.index.to_numpy(),
                    "_col": c,
                    "_n": pd.to_numeric(out[c], errors="coerce").astype("float64").to_numpy(),
                }
            )
            for c in counts
        ],
        ignore_index=True,
    )
    known = cells["_n"].notna().to_numpy()
    state = np.where(known & (cells["_n"].to_numpy() < min_n), _PRIMARY, 0)
    group_ids: list[np.ndarray] = []
    if within_row and len(counts) > 1:
        group_ids.append(cells["_row"].to_numpy())
    for family in families:
        keys = out.loc[cells["_row"], family].reset_index(drop=True)
        keys["_col"] = cells["_col"].to_numpy()
        group_ids.append(keys.groupby(list(keys.columns), dropna=False, sort=False).ngroup().to_numpy())
    values = cells["_n"].to_numpy()
    rows = cells["_row"].to_numpy()
    sizes = [np.bincount(g, weights=known.astype(float))[g] for g in group_ids]
    for _ in range(100):
        changed = False
        for gid, size in zip(group_ids, sizes):
            hidden = (state > 0) & known
            n_hidden = np.bincount(gid, weights=hidden.astype(float))[gid]
            candidates = np.flatnonzero((n_hidden == 1) & (size >= 2) & ~hidden & known)
            if not len(candidates):
                continue
            # in each family with a lone hidden cell, hide its smallest visible cell (first row on ties)
            order = candidates[np.lexsort((rows[candidates], values[candidates], gid[candidates]))]
            _, first = np.unique(gid[order], return_index=True)
            state[order[first]] = _COMPLEMENT
            changed = True
        if not changed:
            break

    cells["_state"] = state
    grid = cells.pivot(index="_row", columns="_col", values="_state").reindex(index=out.index, columns=counts)
    any_hidden = (grid > 0).any(axis=1).to_numpy()
    if value_columns is None:
        value_columns = [
            c
            for c in out.columns
            if c not in counts and pd.api.types.is_numeric_dtype(out[c]) and not pd.api.types.is_bool_dtype(out[c])
        ]
    blank_map: dict[str, list[str]] = (
        {c: list(value_columns.get(c, [])) for c in counts}
        if isinstance(value_columns, dict)
        else {c: list(value_columns) for c in counts}
    )
    for c in counts:
        hidden_c = (grid[c] > 0).to_numpy()
        shown = pd.Series(pd.to_numeric(out[c], errors="coerce")).round().astype("Int64").astype("str")
        shown = shown.where(
            ~hidden_c, pd.Series(np.where(grid[c].to_numpy() == _PRIMARY, label, complementary_label), index=out.index)
        )
        shown = shown.where(pd.to_numeric(out[c], errors="coerce").notna() | hidden_c, "")
        values = pd.to_numeric(out[c], errors="coerce").round().astype("Int64")
        out[c] = values.mask(hidden_c)
        out[f"{c}_shown"] = shown.astype("str")
        blank_rows = hidden_c if isinstance(value_columns, dict) else any_hidden
        for v in blank_map[c]:
            if v in out.columns:
                if pd.api.types.is_numeric_dtype(out[v]) and not pd.api.types.is_bool_dtype(out[v]):
                    out[v] = out[v].astype("float64").mask(blank_rows)
                else:
                    out[v] = out[v].astype("object").mask(blank_rows)
    primary_row = (grid == _PRIMARY).any(axis=1).to_numpy()
    out["suppressed"] = any_hidden
    out["suppression"] = np.where(
        primary_row,
        f"{label} students: hidden",
        np.where(any_hidden, "hidden so that a small group cannot be worked out by subtraction", ""),
    )
    out["suppression"] = out["suppression"].astype("str")
    return out


# --------------------------------------------------------------------------- #
# Subgroup shares and gaps
# --------------------------------------------------------------------------- #
def subgroup_membership(students: pd.DataFrame, subgroups: Sequence[str]) -> pd.DataFrame:
    """Each student's place in each subgroup comparison, whichever engine counts them.

    A boolean column gives one group (its members: ``value`` "true"); a text
    column gives one group per category (``"col = value"``).  Missing values
    belong to no group and are left out of both sides of a comparison.

    Parameters
    ----------
    students : DataFrame
        The ``students`` table.
    subgroups : sequence of str
        Its subgroup columns to use (see :func:`chosen_subgroups`).

    Returns
    -------
    DataFrame
        One row per student × group with a known value, columns
        ``student_id, subgroup`` (the column), ``member`` (bool: in the group,
        else in the rest), ``value`` (``"true"`` or the category), ``group``
        (plain label).
    """
    parts = []
    for column in subgroups:
        values = students[column]
        if pd.api.types.is_bool_dtype(values) or str(values.dtype) == "boolean":
            known = values.notna()
            part = pd.DataFrame(
                {
                    "student_id": students.loc[known, "student_id"].to_numpy(),
                    "subgroup": column,
                    "member": values[known].astype(bool).to_numpy(),
                    "value": "true",
                    "group": column,
                }
            )
            parts.append(part)
        else:
            known = values.notna()
            text = values[known].astype("str")
            ids = students.loc[known, "student_id"].to_numpy()
            for category in sorted(text.unique()):
                parts.append(
                    pd.DataFrame(
                        {
                            "student_id": ids,
                            "subgroup": column,
                            "member": (text == category).to_numpy(),
                            "value": category,
                            "group": f"{column} = {category}",
                        }
                    )
                )
    if not parts:
        return pd.DataFrame(
            {
                "student_id": pd.Series(dtype="str"),
                "subgroup": pd.Series(dtype="str"),
                "member": pd.Series(dtype="bool"),
                "value": pd.Series(dtype="str"),
                "group": pd.Series(dtype="str"),
            }
        )
    return pd.concat(parts, ignore_index=True)


def subgroup_gaps(
    dataset: Dataset,
    by: str | Sequence[str] | None = "team",
    rule: MasteryRule = "most_recent",
    *,
    units: pd.DataFrame | None = None,
    outcome: str = "proficient",
    keys: Sequence[str] | None = None,
    subgroups: Sequence[str] | None = None,
    min_n: int = MIN_CELL,
    confidence: float = 0.95,
    audience: Audience = "auto",
    **filters: Any,
) -> pd.DataFrame:
    """Each subgroup against the rest of the students, share by share, with intervals and suppression.

    By default the share is the share of students proficient on each skill
    (from :func:`~plc_analysis.student_skill_mastery`); pass ``units`` to
    disaggregate any other student-level yes/no outcome (needing support,
    in a support tier, failing, meeting a goal's standard, ...).

    Parameters
    ----------
    dataset : Dataset
        Supplies ``students`` (subgroup columns) and, without ``units``, the
        proficiency evidence.
    by : str or list of str or None
        Groups compared within: ``"team"`` (default), ``"school"``,
        ``"teacher"``, ``"section"``, any column of ``units``, or None for
        everyone together.
    rule : str
        Mastery rule for the default units (see ``student_skill_mastery``).
    units : DataFrame, optional
        One row per student (× whatever ``keys`` name) with ``student_id``,
        the ``by`` columns, the ``keys`` columns and a boolean ``outcome``.
    outcome : str
        The boolean column counted (default ``"proficient"``).
    keys : sequence of str, optional
        Further columns each share is computed within (default
        ``["skill_id"]`` for the default units, none otherwise).
    subgroups : sequence of str, optional
        Subgroup columns of ``students`` to use (default: all of
        ``dataset.subgroup_columns``).  A true/false column compares its
        members with everyone else; a text column compares each category
        with everyone else.
    min_n : int, default 10
        Fewer students than this on either side gives ``"too few students"``;
        beyond the team, cells under ``min_n`` are suppressed.
    confidence : float
        Level of the Wilson and Newcombe intervals.
    audience : {"auto", "team", "beyond_team"}
        ``"beyond_team"`` applies :func:`suppress_small_cells` (complementary
        suppression: the rest of a group whose subgroup cell is hidden is
        hidden too, and so are cells that would let a hidden count be found
        from the categories of the same column or from other groups' counts
        of the same subgroup).  ``"auto"``: ``"team"`` when the output
        covers a single team.
    **filters
        Passed to :meth:`Dataset.filter`.

    Returns
    -------
    DataFrame
        One row per group × key × subgroup, columns ``<by columns>, <keys>,
        subgroup`` (the column of ``students``), ``value`` (``"true"`` or the
        category), ``group`` (plain label, e.g. ``"ell"`` or ``"race =
        Asian"``), ``n_in, x_in, share_in, in_ci_low, in_ci_high`` (the
        subgroup), ``n_rest, x_rest, share_rest`` (the other students with a
        known value), ``gap`` (``share_in - share_rest``), ``ci_low,
        ci_high`` (Newcombe interval for the gap), ``signal`` (``"lower than
        the rest"``, ``"higher than the rest"``, ``"no clear difference"``,
        ``"too few students"``; ``"fewer than 10"`` where suppressed),
        ``audience``, and — beyond the team — ``n_in_shown, n_rest_shown,
        suppressed, suppression`` (see :func:`suppress_small_cells`).

    Examples
    --------
    Share proficient per skill, each team (the default):

    >>> subgroup_gaps(data)  # doctest: +SKIP

    Share of each team's students in a tier of support:

    >>> tiers = support_tiers(data, names=False)  # doctest: +SKIP
    >>> units = data.student_sections()[["student_id", "team_id"]].drop_duplicates()  # doctest: +SKIP
    >>> units["in_tier"] = units["student_id"].isin(tiers.loc[tiers["tier"] > 0, "student_id"])  # doctest: +SKIP
    >>> subgroup_gaps(data, units=units, outcome="in_tier")  # doctest: +SKIP
    """
    if filters:
        dataset = dataset.filter(**filters)
    if units is None:
        units = student_skill_mastery(dataset, rule)
        key_cols = ["skill_id"] if keys is None else list(keys)
    else:
        key_cols = [] if keys is None else list(keys)
    group_cols = group_columns(by, units.columns, "a column of units")
    needed = ["student_id", outcome, *group_cols, *key_cols]
    absent = [c for c in needed if c not in units.columns]
    if absent:
        raise ValueError(f"units lacks column(s) {', '.join(absent)}")
    members = subgroup_membership(dataset.students, chosen_subgroups(dataset, subgroups))
    cells = units[needed].assign(_x=units[outcome].astype(bool).astype(int)).merge(members, on="student_id")
    idx = [*group_cols, *key_cols, "subgroup", "value", "group"]
    grouped = cells.assign(_in=cells["member"].astype(int), _xin=cells["_x"] * cells["member"].astype(int))
    counts = (
        grouped.groupby(idx, observed=True, dropna=False, sort=True)
        .agg(n_in=("_in", "sum"), x_in=("_xin", "sum"), n_all=("_x", "size"), x_all=("_x", "sum"))
        .reset_index()
    )
    team_ids = units["team_id"].dropna().unique() if "team_id" in units.columns else None
    who = resolve_audience(dataset, audience, team_ids=team_ids)
    return finish_subgroup_gaps(counts, group_cols, key_cols, who=who, min_n=min_n, confidence=confidence)


def chosen_subgroups(dataset: Dataset, subgroups: Sequence[str] | None) -> list[str]:
    """The subgroup columns a ``subgroups=`` argument names (None: every one), checked against ``students``.

    Returns
    -------
    list of str

    Raises
    ------
    ValueError
        Naming every column ``students.csv`` lacks, and the subgroup columns it has.
    """
    chosen = list(dataset.subgroup_columns if subgroups is None else subgroups)
    unknown = [s for s in chosen if s not in dataset.students.columns]
    if unknown:
        raise ValueError(
            f"no subgroup column(s) {', '.join(unknown)} in students.csv "
            f"(found: {', '.join(dataset.subgroup_columns) or 'none'})"
        )
    return chosen


def finish_subgroup_gaps(
    counts: pd.DataFrame,
    group_cols: Sequence[str],
    key_cols: Sequence[str],
    *,
    who: Literal["team", "beyond_team"],
    min_n: int = MIN_CELL,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """:func:`subgroup_gaps`'s table from its counts, whichever engine counted them.

    Parameters
    ----------
    counts : DataFrame
        One row per ``<group_cols>, <key_cols>, subgroup, value, group`` with
        ``n_in, x_in`` (the subgroup's students, and how many have the
        outcome) and ``n_all, x_all`` (the same over every student of the row
        with a known value).
    group_cols, key_cols : sequence of str
        As :func:`subgroup_gaps` resolved them.
    who : {"team", "beyond_team"}
        The audience (:func:`resolve_audience`); beyond the team, small cells are suppressed.
    min_n, confidence
        As :func:`subgroup_gaps`.

    Returns
    -------
    DataFrame
        As :func:`subgroup_gaps`, rows in the order of their keys (missing last).
    """
    group_cols, key_cols = list(group_cols), list(key_cols)
    idx = [*group_cols, *key_cols, "subgroup", "value", "group"]
    table = counts.sort_values(idx, kind="stable", na_position="last").reset_index(drop=True)
    table["n_rest"] = table["n_all"] - table["n_in"]
    table["x_rest"] = table["x_all"] - table["x_in"]
    table = table.drop(columns=["n_all", "x_all"])
    n_in, x_in = table["n_in"].to_numpy(float), table["x_in"].to_numpy(float)
    n_rest, x_rest = table["n_rest"].to_numpy(float), table["x_rest"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["share_in"] = np.where(n_in > 0, x_in / np.where(n_in > 0, n_in, 1), np.nan)
        table["share_rest"] = np.where(n_rest > 0, x_rest / np.where(n_rest > 0, n_rest, 1), np.nan)
    table["in_ci_low"], table["in_ci_high"] = wilson_interval(x_in, n_in, confidence)
    both = (n_in > 0) & (n_rest > 0)
    # where one side is empty the interval is not defined: placeholder counts 0 of 1 keep the call valid
    low, high = proportion_difference_interval(
        np.where(both, x_in, 0),
        np.where(both, n_in, 1),
        np.where(both, x_rest, 0),
        np.where(both, n_rest, 1),
        confidence,
    )
    table["gap"] = table["share_in"] - table["share_rest"]
    table["ci_low"] = np.where(both, low, np.nan)
    table["ci_high"] = np.where(both, high, np.nan)
    signal = signal_from_interval(table["ci_low"].to_numpy(), table["ci_high"].to_numpy(), n_in, n_rest, min_n=min_n)
    table["signal"] = pd.Series(signal, index=table.index).map(lambda s: _SIGNALS.get(s, s)).astype("str")
    for c in ("n_in", "x_in", "n_rest", "x_rest"):
        table[c] = table[c].astype("int64")
    table["audience"] = who
    columns = [
        *group_cols,
        *key_cols,
        "subgroup",
        "value",
        "group",
        "n_in",
        "x_in",
        "share_in",
        "in_ci_low",
        "in_ci_high",
        "n_rest",
        "x_rest",
        "share_rest",
        "gap",
        "ci_low",
        "ci_high",
        "signal",
        "audience",
    ]
    table = table[columns]
    if who == "beyond_team":
        # categories of one column add up to the group's total; one subgroup's counts in the
        # groups (e.g. the teams of a school) add up to a wider total
        families = [[*group_cols, *key_cols, "subgroup"], [*key_cols, "subgroup", "value"]]
        table = suppress_small_cells(
            table,
            ["n_in", "n_rest"],
            min_n,
            families=[f for f in families if f],
            value_columns={
                "n_in": ["x_in", "share_in", "in_ci_low", "in_ci_high", "gap", "ci_low", "ci_high"],
                "n_rest": ["x_rest", "share_rest", "gap", "ci_low", "ci_high"],
            },
        )
        table["signal"] = table["signal"].where(~table["suppressed"], f"fewer than {min_n}")
    return table.reset_index(drop=True)
