"""Which rows of each small table every team's extract keeps, for all teams at once.

:meth:`Dataset.filter(team_id=T) <plc_analysis.Dataset.filter>` cuts one
team's rows out of a district; cutting 2,000 teams that way scans every table
2,000 times.  :func:`team_rows` applies the same rules to every team in one
pass of joins, and returns, for each table, the (team, row) pairs kept: a row
belongs to several teams when they share it (a student in two teams' sections,
a district-wide skill used by several teams, the school of several teams).

The rules, as :meth:`Dataset.filter` states them for a team filter:

* ``teams``, ``sections``, ``teachers``, ``assessments``, ``goals``: the team's own rows;
* ``schools``: the team's school; ``enrollments``, ``progress``: of the team's sections;
* ``students``: those enrolled in the team's sections;
* ``skills``: the team's own, and the shared ones (blank ``team_id``) used by an item of its assessments;
* ``items``: of its assessments, on one of its skills;
* ``excused``: of its assessments and students;
* ``interventions``: of its students, without a skill or on one of its skills;
* ``actions``: the team's own, on one of its skills;
* ``scores`` (cut by :mod:`plc_analysis.outofcore.extracts` in SQL from
  :func:`team_rows`' ``items`` and ``students``): of its items and students.

A property test proves, on random districts, that these are exactly the rows
:meth:`Dataset.filter` keeps.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..dataset import Dataset
from ..schema import TABLE_ORDER

__all__ = ["TeamRows", "team_rows"]

TEAM = "team"
ROW = "row"
# the tables cut here; the scores are cut where they are stored
SMALL = tuple(name for name in TABLE_ORDER if name != "scores")


class TeamRows:
    """The rows each team keeps of each small table (from :func:`team_rows`).

    Attributes
    ----------
    team_ids : list of str
        The teams, in the order their codes (0, 1, ...) number them.
    pairs : dict of str to DataFrame
        For each table, columns ``team`` (the team's code) and ``row`` (the
        row's position in the table), sorted by team then row, no repeats.
    """

    def __init__(self, team_ids: list[str], pairs: dict[str, pd.DataFrame]) -> None:
        self.team_ids = team_ids
        self.pairs = pairs
        # as arrays once: a team's rows are a slice of them (2,000 teams ask 14 tables each)
        self._rows = {name: frame[ROW].to_numpy(dtype=np.int64) for name, frame in pairs.items()}
        self._bounds = {
            name: np.searchsorted(frame[TEAM].to_numpy(dtype=np.int64), np.arange(len(team_ids) + 1))
            for name, frame in pairs.items()
        }

    def rows(self, table: str, team: int) -> np.ndarray:
        """Positions of the rows of ``table`` that team number ``team`` keeps, ascending.

        Returns
        -------
        ndarray of int64
        """
        start, stop = self._bounds[table][team], self._bounds[table][team + 1]
        return self._rows[table][start:stop]

    def values(self, table: str, frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        """``columns`` of the rows of ``table`` (given as ``frame``) each team keeps, with the team's code.

        Returns
        -------
        DataFrame
            Columns ``team`` and ``columns``: one row per (team, row) pair, in team then row order.
        """
        pairs = self.pairs[table]
        picked = {column: frame[column].to_numpy()[pairs[ROW].to_numpy()] for column in columns}
        return pd.DataFrame({TEAM: pairs[TEAM].to_numpy(), **picked})


def _owned(frame: pd.DataFrame, column: str, owners: pd.DataFrame, rows: np.ndarray | None = None) -> pd.DataFrame:
    """(team, row) pairs of ``frame`` whose ``column`` is one a team owns (``owners``: ``column, team``).

    ``rows`` restricts the search to those positions.  A blank value belongs to no team.
    """
    positions = np.arange(len(frame)) if rows is None else rows
    left = pd.DataFrame({"key": frame[column].to_numpy()[positions], ROW: positions}).dropna(subset=["key"])
    right = owners.rename(columns={column: "key"})[["key", TEAM]].dropna(subset=["key"]).drop_duplicates()
    if not len(left) or not len(right):
        return pd.DataFrame({TEAM: np.array([], dtype=np.int64), ROW: np.array([], dtype=np.int64)})
    left["key"], right["key"] = left["key"].astype(str), right["key"].astype(str)
    return left.merge(right, on="key", how="inner")[[TEAM, ROW]]


def _also(pairs: pd.DataFrame, frame: pd.DataFrame, column: str, owners: pd.DataFrame) -> pd.DataFrame:
    """The ``pairs`` whose row's ``column`` is one the same team owns (a blank value: none)."""
    values = frame[column].to_numpy()[pairs[ROW].to_numpy()]
    left = pairs.assign(key=values).dropna(subset=["key"])
    right = owners.rename(columns={column: "key"})[["key", TEAM]].dropna(subset=["key"]).drop_duplicates()
    if not len(left) or not len(right):
        return pairs.iloc[:0]
    left["key"], right["key"] = left["key"].astype(str), right["key"].astype(str)
    return left.merge(right, on=["key", TEAM], how="inner")[[TEAM, ROW]]


def _keys(pairs: pd.DataFrame, frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """``column`` of the rows ``pairs`` keep of ``frame``, with the team's code (columns ``column, team``)."""
    return pd.DataFrame({column: frame[column].to_numpy()[pairs[ROW].to_numpy()], TEAM: pairs[TEAM].to_numpy()})


def _sorted(pairs: pd.DataFrame) -> pd.DataFrame:
    pairs = pairs.astype({TEAM: np.int64, ROW: np.int64}).drop_duplicates()
    return pairs.sort_values([TEAM, ROW], kind="stable").reset_index(drop=True)


def team_rows(small: Dataset, team_ids: Sequence[str]) -> TeamRows:
    """The rows of every table but the scores that each team's extract keeps (see the module docstring).

    Parameters
    ----------
    small : Dataset
        The district's validated tables (its scores are not used).
    team_ids : sequence of str
        The teams; a team not in ``small.teams`` keeps nothing.

    Returns
    -------
    TeamRows
        The (team code, row position) pairs of each table but ``scores``.
    """
    ids = list(dict.fromkeys(team_ids))
    t = small.tables
    teams = pd.DataFrame({"team_id": ids, TEAM: np.arange(len(ids), dtype=np.int64)})
    out: dict[str, pd.DataFrame] = {}

    def done(name: str, pairs: pd.DataFrame) -> None:
        out[name] = _sorted(pairs)

    def owners(name: str, column: str) -> pd.DataFrame:  # each rule reads the tables cut before it
        return _keys(out[name], t[name], column)

    for name in ("teams", "sections", "teachers", "assessments", "goals"):
        done(name, _owned(t[name], "team_id", teams))
    done("schools", _owned(t["schools"], "school_id", owners("teams", "school_id")))
    done("enrollments", _owned(t["enrollments"], "section_id", owners("sections", "section_id")))
    done("progress", _owned(t["progress"], "section_id", owners("sections", "section_id")))
    done("students", _owned(t["students"], "student_id", owners("enrollments", "student_id")))
    # a shared skill (blank team_id) is a team's when an item of one of its assessments uses it
    used = _owned(t["items"], "assessment_id", owners("assessments", "assessment_id"))
    used_skills = _keys(used, t["items"], "skill_id")
    shared = np.flatnonzero(t["skills"]["team_id"].isna().to_numpy())
    done(
        "skills",
        pd.concat([_owned(t["skills"], "team_id", teams), _owned(t["skills"], "skill_id", used_skills, shared)]),
    )
    skills = owners("skills", "skill_id")
    done("items", _also(used, t["items"], "skill_id", skills))
    students = owners("students", "student_id")
    assessments = owners("assessments", "assessment_id")
    done("excused", _also(_owned(t["excused"], "assessment_id", assessments), t["excused"], "student_id", students))
    helped = _owned(t["interventions"], "student_id", students)
    no_skill = t["interventions"]["skill_id"].isna().to_numpy()[helped[ROW].to_numpy()]
    done(
        "interventions", pd.concat([helped[no_skill], _also(helped[~no_skill], t["interventions"], "skill_id", skills)])
    )
    done("actions", _also(_owned(t["actions"], "team_id", teams), t["actions"], "skill_id", skills))
    assert set(out) == set(SMALL), "every small table has its rule"
    return TeamRows(ids, out)
