"""Data problems: one record per problem, all reported together.

A :class:`Problem` names the file, the 1-based line (the header is line 1), the
column, the offending value and the reason.  Loaders collect every problem they
find and either raise :class:`PLCDataError` once, listing all of them, or (in
quarantine mode) keep the valid rows and return the rejected ones.

Privacy: values from columns that hold student names are never copied into a
problem; they are replaced by ``"<redacted>"`` so that error messages and logs
carry no student data beyond identifiers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

__all__ = ["PLCDataError", "Problem", "problems_frame", "problems_from_frame", "REDACTED", "SENSITIVE_COLUMNS"]

#: Columns whose values must never appear in messages.
SENSITIVE_COLUMNS = frozenset(
    {
        "first_name",
        "last_name",
        "name_student",
        "student_name",
        "givenName",
        "familyName",
        "middleName",
        "email",
        "phone",
        "sms",
        "birthDate",
        "password",
        "username",
    }
)
REDACTED = "<redacted>"

PROBLEM_COLUMNS = ["file", "line", "column", "value", "reason", "severity"]


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file.

    Attributes
    ----------
    file : str
        File name as given (e.g. ``"scores.csv"``).
    line : int or None
        1-based line in the file, the header being line 1; ``None`` for a
        problem with the whole file or a whole column.
    column : str or None
        Column concerned, if any.
    value : str or None
        The offending raw value (redacted for name columns).
    reason : str
        Plain-language reason.
    severity : str
        ``"error"`` (the row is rejected; raises in ``errors="raise"`` mode) or
        ``"warning"`` (reported; rows named were excluded by design, e.g. a
        OneRoster ``tobedeleted`` row, or a note such as a roster-only export).
    """

    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str
    severity: str = "error"

    def __post_init__(self) -> None:
        if self.column in SENSITIVE_COLUMNS and self.value not in (None, ""):
            object.__setattr__(self, "value", REDACTED)

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column:
            where += f", column {self.column!r}"
        value = "" if self.value is None else f" value {self.value!r}:"
        return f"{where}:{value} {self.reason}"


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """Return problems as a DataFrame.

    Returns
    -------
    pandas.DataFrame
        Columns ``file, line, column, value, reason, severity``; ``line`` is a
        nullable integer.
    """
    frame = pd.DataFrame([asdict(p) for p in problems], columns=PROBLEM_COLUMNS)
    frame["line"] = frame["line"].astype("Int64")
    return frame


def problems_from_frame(frame: pd.DataFrame) -> list[Problem]:
    """The problems of a :func:`problems_frame` table (e.g. ``Dataset.problems``) as :class:`Problem` objects.

    Returns
    -------
    list of Problem
    """

    def cell(value: object) -> str | None:
        return None if pd.isna(value) else str(value)

    return [
        Problem(
            str(row.file),
            None if pd.isna(row.line) else int(row.line),
            cell(row.column),
            cell(row.value),
            str(row.reason),
            str(row.severity),
        )
        for row in frame.itertuples(index=False)
    ]


class PLCDataError(ValueError):
    """Input data failed validation.

    The message lists every problem found (file, line, column, value, reason);
    :attr:`problems` holds them as a DataFrame with columns
    ``file, line, column, value, reason, severity``.
    """

    def __init__(self, problems: list[Problem], *, source: str | None = None, limit: int = 200):
        self.problem_list = list(problems)
        self.problems = problems_frame(self.problem_list)
        errors = [p for p in self.problem_list if p.severity == "error"]
        shown = errors or self.problem_list
        head = f"{len(errors)} problem(s) found" + (f" in {source}" if source else "")
        lines = [f"  - {p}" for p in shown[:limit]]
        if len(shown) > limit:
            lines.append(f"  ... and {len(shown) - limit} more (see .problems)")
        super().__init__(head + ":\n" + "\n".join(lines))
