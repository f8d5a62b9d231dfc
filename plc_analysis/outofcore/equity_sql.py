"""Subgroup gaps across a whole district, counted in SQL, suppressed as the pandas path suppresses them.

:func:`district_subgroup_gaps` returns exactly :func:`plc_analysis.subgroup_gaps`'s
table.  Who belongs to which subgroup comparison is the pandas path's own
:func:`~plc_analysis.equity.subgroup_membership` of the (small) ``students``
table; the students in and out of each subgroup, and how many of them have the
outcome, are counted in SQL over the mastery table
(:mod:`plc_analysis.outofcore.mastery`) or any table of student-level outcomes;
the shares, Newcombe intervals, signals and small-cell suppression come from
:func:`~plc_analysis.equity.finish_subgroup_gaps`, the pandas path's own code.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pyarrow as pa

from ..equity import MIN_CELL, Audience, chosen_subgroups, finish_subgroup_gaps, resolve_audience, subgroup_membership
from ..proficiency import MasteryRule
from ..rules import group_columns
from .district import District, sql_names
from .mastery import MASTERY_COLUMNS, mastery_view

__all__ = ["district_subgroup_gaps", "subgroup_counts"]

#: The DuckDB name under which the membership of the subgroups counted is registered.
_MEMBERSHIP = "subgroup_membership_frame"


def _resolve(
    district: District,
    by: str | Sequence[str] | None,
    rule: MasteryRule,
    units: str | None,
    outcome: str,
    keys: Sequence[str] | None,
) -> tuple[str, list[str], list[str], list[str]]:
    """The units' table and columns, the group and key columns, checked as :func:`plc_analysis.subgroup_gaps` does."""
    if units is None:  # the mastery table's columns as student_skill_mastery's (not its internal ``ord``)
        table, columns = mastery_view(district, rule), list(MASTERY_COLUMNS)
    else:
        table = units
        columns = [row[0] for row in district.con.execute(f"DESCRIBE {table}").fetchall()]
    key_cols = (["skill_id"] if units is None else []) if keys is None else list(keys)
    group_cols = group_columns(by, columns, "a column of units")
    absent = [c for c in ["student_id", outcome, *group_cols, *key_cols] if c not in columns]
    if absent:
        raise ValueError(f"units lacks column(s) {', '.join(absent)}")
    return table, columns, group_cols, key_cols


def _counts(
    district: District,
    table: str,
    group_cols: list[str],
    key_cols: list[str],
    outcome: str,
    subgroups: Sequence[str] | None,
) -> pd.DataFrame:
    members = subgroup_membership(district.small.students, chosen_subgroups(district.small, subgroups))
    district.con.register(_MEMBERSHIP, pa.Table.from_pandas(members, preserve_index=False))
    kept = "".join(f"u.{name}, " for name in sql_names([*group_cols, *key_cols]))
    x = f"CASE WHEN u.{sql_names([outcome])[0]} THEN 1 ELSE 0 END"
    query = f"""
        SELECT {kept}m.subgroup, m.value, m."group",
               CAST(sum(CASE WHEN m.member THEN 1 ELSE 0 END) AS BIGINT) AS n_in,
               CAST(sum(CASE WHEN m.member THEN {x} ELSE 0 END) AS BIGINT) AS x_in,
               CAST(count(*) AS BIGINT) AS n_all,
               CAST(sum({x}) AS BIGINT) AS x_all
        FROM {table} u JOIN {_MEMBERSHIP} m ON m.student_id = u.student_id
        GROUP BY ALL"""
    try:
        return district.sql(query)
    finally:
        district.con.unregister(_MEMBERSHIP)


def subgroup_counts(
    district: District,
    by: str | Sequence[str] | None = "team",
    rule: MasteryRule = "most_recent",
    *,
    units: str | None = None,
    outcome: str = "proficient",
    keys: Sequence[str] | None = None,
    subgroups: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Students in and out of each subgroup, and how many have the outcome, per group and key, counted in SQL.

    Parameters
    ----------
    district : District
    by, rule, outcome, keys, subgroups
        As :func:`plc_analysis.subgroup_gaps`.
    units : str, optional
        As :func:`district_subgroup_gaps`.

    Returns
    -------
    DataFrame
        One row per ``<by columns>, <keys>, subgroup, value, group``, columns
        those, ``n_in, x_in`` (the subgroup's students, and how many have the
        outcome), ``n_all, x_all`` (every student of the row with a known
        value), unordered: what :func:`~plc_analysis.equity.finish_subgroup_gaps` takes.
    """
    table, _, group_cols, key_cols = _resolve(district, by, rule, units, outcome, keys)
    return _counts(district, table, group_cols, key_cols, outcome, subgroups)


def _team_ids(district: District, table: str, columns: list[str]) -> list[str] | None:
    """Up to two of the teams the units cover (enough to tell one team from several); None without ``team_id``."""
    if "team_id" not in columns:
        return None
    rows = district.con.execute(f"SELECT DISTINCT team_id FROM {table} WHERE team_id IS NOT NULL LIMIT 2").fetchall()
    return [str(row[0]) for row in rows]


def district_subgroup_gaps(
    district: District,
    by: str | Sequence[str] | None = "team",
    rule: MasteryRule = "most_recent",
    *,
    units: str | None = None,
    outcome: str = "proficient",
    keys: Sequence[str] | None = None,
    subgroups: Sequence[str] | None = None,
    min_n: int = MIN_CELL,
    confidence: float = 0.95,
    audience: Audience = "auto",
) -> pd.DataFrame:
    """:func:`plc_analysis.subgroup_gaps` of a whole district, out of core.

    Parameters
    ----------
    district : District
        From :func:`plc_analysis.outofcore.open_district`.
    by, rule, outcome, keys, subgroups, min_n, confidence, audience
        As :func:`plc_analysis.subgroup_gaps`.  The audience ``"auto"`` is
        ``"team"`` only when the units cover a single team: a district-wide
        table is read beyond the team and its cells of fewer than ``min_n``
        students are suppressed (with complementary suppression).
    units : str, optional
        The name of a table or view of ``district.con`` holding one row per
        student (× whatever ``keys`` name) with ``student_id``, the ``by``
        columns, the ``keys`` columns and a boolean ``outcome`` (default: the
        mastery table of ``rule``, :func:`~plc_analysis.outofcore.mastery.mastery_view`,
        with the keys ``skill_id``).

    Returns
    -------
    DataFrame
        As :func:`plc_analysis.subgroup_gaps`: ``<by columns>, <keys>,
        subgroup, value, group, n_in, x_in, share_in, in_ci_low, in_ci_high,
        n_rest, x_rest, share_rest, gap, ci_low, ci_high, signal, audience``
        and, beyond the team, ``n_in_shown, n_rest_shown, suppressed, suppression``.
    """
    table, columns, group_cols, key_cols = _resolve(district, by, rule, units, outcome, keys)
    counts = _counts(district, table, group_cols, key_cols, outcome, subgroups)
    who = resolve_audience(district.small, audience, team_ids=_team_ids(district, table, columns))
    return finish_subgroup_gaps(counts, group_cols, key_cols, who=who, min_n=min_n, confidence=confidence)
