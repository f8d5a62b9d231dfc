"""Who a report is for, and what that audience may see: the one home of the privacy rule.

Every report declares its audience:

``team``
    The team that teaches the students: its own students by name, nothing
    suppressed among them.
``school``
    The school's staff (counselors, advisors, tutoring centre, the
    principal): the school's students by name, nothing suppressed among them.
``district``
    Beyond the school: aggregates only (no student named or listed, not even
    by id), and every cell of fewer than :data:`~plc_analysis.equity.MIN_CELL`
    students suppressed, with complementary suppression.
``public``
    As ``district``, and no teacher named either: teachers become
    "Teacher A", "Teacher B", ... so that results identify practices, not
    people.

An audience that sees names cannot be wider than what the report covers: a
``team`` report covers exactly one team, a ``school`` report one school (or
one of its teams).  Report blocks, notebooks (parameter ``audience``), the
batch and the command line (``--audience``) all ask :func:`audience_rule`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from .equity import MIN_CELL

__all__ = [
    "Audience",
    "AUDIENCES",
    "AudienceRule",
    "audience_rule",
    "default_audience",
    "check_audience_scope",
    "teacher_aliases",
    "alias_teachers",
]

Audience = Literal["team", "school", "district", "public"]
#: Every audience, narrowest first.
AUDIENCES: tuple[Audience, ...] = ("team", "school", "district", "public")
#: Levels a report can cover, narrowest first (a report's scope).
_LEVELS = ("team", "school", "district")


@dataclass(frozen=True)
class AudienceRule:
    """What one audience may see.

    Attributes
    ----------
    name : {"team", "school", "district", "public"}
    label : str
        How the report names its reader ("the team that teaches these students", ...).
    student_names : bool
        Students may be named (and listed one by one).
    suppress_small_cells : bool
        Cells of fewer than ``min_cell`` students are suppressed (with complementary suppression).
    teacher_names : bool
        Teachers may be named; otherwise they are shown as "Teacher A", "Teacher B", ...
    widest_scope : str
        The widest report scope this audience may read named data about
        (``"team"``, ``"school"`` or ``"district"``).
    min_cell : int
        Smallest cell shown when ``suppress_small_cells``.
    """

    name: Audience
    label: str
    student_names: bool
    suppress_small_cells: bool
    teacher_names: bool
    widest_scope: str
    min_cell: int = MIN_CELL

    @property
    def metric_audience(self) -> Literal["team", "beyond_team"]:
        """The privacy level the metric functions take (``audience=`` of :func:`~plc_analysis.tier_counts` ...).

        ``"team"`` (nothing suppressed) for the staff who teach and support
        the students (team, school), ``"beyond_team"`` (small cells
        suppressed) for everyone else.
        """
        return "beyond_team" if self.suppress_small_cells else "team"

    @property
    def statement(self) -> str:
        """One sentence for the top of a report: who it is for and what it shows."""
        if self.name == "team":
            shows = "students are named; nothing is suppressed."
        elif self.name == "school":
            shows = "the school's students are named; nothing is suppressed among them."
        elif self.name == "district":
            shows = f"aggregates only: no student is named and groups of fewer than {self.min_cell} are suppressed."
        else:
            shows = (
                f"aggregates only: no student is named, groups of fewer than {self.min_cell} are suppressed "
                "and teachers are shown as Teacher A, B, …"
            )
        return f"Audience: {self.name} ({self.label}) — {shows}"


_RULES = {
    "team": AudienceRule("team", "the team that teaches these students", True, False, True, "team"),
    "school": AudienceRule("school", "the school's staff", True, False, True, "school"),
    "district": AudienceRule("district", "district staff", False, True, True, "district"),
    "public": AudienceRule("public", "anyone, published", False, True, False, "district"),
}
_DEFAULTS = {"team": "team", "school": "school", "district": "district"}


def audience_rule(audience: str) -> AudienceRule:
    """The rule of ``audience``.

    Parameters
    ----------
    audience : {"team", "school", "district", "public"}

    Returns
    -------
    AudienceRule

    Raises
    ------
    ValueError
        ``audience`` is not one of :data:`AUDIENCES`.
    """
    try:
        return _RULES[audience]
    except (KeyError, TypeError):
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}") from None


def default_audience(level: str) -> Audience:
    """The audience a report covering ``level`` (``"team"``, ``"school"``, ``"district"``) is for by default."""
    try:
        return _DEFAULTS[level]  # type: ignore[return-value]
    except KeyError:
        raise ValueError(f"a report covers a team, a school or the district, not {level!r}") from None


def check_audience_scope(audience: str, level: str) -> AudienceRule:
    """The rule of ``audience`` (``""``: the default for ``level``), refused when it is too narrow for the scope.

    A ``team`` audience reads about one team only and a ``school`` audience
    about one school: a district-wide report with names for a school's staff
    would name other schools' students.

    Parameters
    ----------
    audience : str
        One of :data:`AUDIENCES`, or ``""`` for :func:`default_audience`.
    level : {"team", "school", "district"}
        What the report covers.

    Returns
    -------
    AudienceRule

    Raises
    ------
    ValueError
        Unknown audience or level, or names for an audience narrower than the scope.
    """
    rule = audience_rule(audience or default_audience(level))
    if level not in _LEVELS:
        raise ValueError(f"a report covers a team, a school or the district, not {level!r}")
    if _LEVELS.index(level) > _LEVELS.index(rule.widest_scope):
        raise ValueError(
            f"a {level} report cannot be for audience {rule.name!r}: it would name students beyond "
            f"one {rule.widest_scope} (use audience 'district' or 'public')"
        )
    return rule


def _letters(i: int) -> str:
    """0 → A, 25 → Z, 26 → AA, ... (spreadsheet column letters)."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = string.ascii_uppercase[r] + out
    return out


def teacher_aliases(names: Iterable[object]) -> dict[str, str]:
    """Each distinct teacher name → ``"Teacher A"``, ``"Teacher B"``, ... in order of first appearance.

    Not alphabetical: a reader who knows a team's teachers could undo an
    alphabetical lettering.

    Parameters
    ----------
    names : iterable
        Teacher names (blank, missing and non-text values are skipped).

    Returns
    -------
    dict
        Name → alias.
    """
    distinct = list(dict.fromkeys(n for n in names if isinstance(n, str) and n.strip()))
    return {name: f"Teacher {_letters(i)}" for i, name in enumerate(distinct)}


def alias_teachers(frame: pd.DataFrame, aliases: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` with every teacher name in its text cells (and column names) replaced by its alias.

    Names are replaced wherever they occur in a cell (lists such as
    ``"Ms. Haddad; Mr. Quinn"`` and sentences included), longest name first.

    Parameters
    ----------
    frame : DataFrame
        A table for reading (any columns).
    aliases : mapping of str to str
        Teacher name → alias (:func:`teacher_aliases`).

    Returns
    -------
    DataFrame
        A copy of ``frame``, same columns and index; non-text cells unchanged.
    """
    if not aliases or frame.empty:
        return frame.copy()
    pattern = re.compile("|".join(re.escape(n) for n in sorted(aliases, key=len, reverse=True)))

    def swap(value: object) -> object:
        return pattern.sub(lambda m: aliases[m.group(0)], value) if isinstance(value, str) else value

    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(swap)
    return out.rename(columns=lambda c: swap(c) if isinstance(c, str) else c)
