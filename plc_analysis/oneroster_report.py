"""What converting a OneRoster export found: problems, left-out rows, notes, and followed references.

:class:`ConversionReport` collects every problem (with the OneRoster file,
line, column and value), every source row left out (kept with its cells, personal
fields redacted, so that loaded + rejected = input) and the notes that say what
was assumed.  :class:`References` knows which ``sourcedId`` each file holds and
which were left out, to say why a reference cannot be followed.
"""

from __future__ import annotations

import json
from collections import defaultdict

import pandas as pd

from .errors import REDACTED, SENSITIVE_COLUMNS, Problem
from .oneroster_files import Source
from .readers import LINE

__all__ = ["ConversionReport", "References"]


class ConversionReport:
    """Collects problems, excluded rows (with their source rows) and notes."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.rejected: list[dict] = []
        self.notes: list[str] = []
        #: each file's rows as read (exclusions replace ``Source.frame``, never change these)
        self.originals: dict[str, pd.DataFrame] = {}
        self._positions: dict[str, dict[int, int]] = {}
        #: (file, line, canonical column) -> source column, where it differs from the default
        self.column_at: dict[tuple[str, int, str], str] = {}

    def add_source(self, source: Source) -> None:
        self.originals[source.label] = source.frame

    def row_json(self, file: str, line: int | None) -> str:
        frame = self.originals.get(file)
        if frame is None or line is None:
            return ""
        positions = self._positions.get(file)
        if positions is None:
            positions = dict(zip(frame[LINE].tolist(), range(len(frame))))
            self._positions[file] = positions
        position = positions.get(int(line))
        if position is None:
            return ""
        row = frame.iloc[position].drop(LINE).to_dict()
        return json.dumps(
            {k: (REDACTED if k in SENSITIVE_COLUMNS and v not in ("", None) else str(v)) for k, v in row.items()},
            ensure_ascii=False,
        )

    def warn(self, file: str, line: int | None, column: str | None, value: str | None, reason: str) -> None:
        self.problems.append(Problem(file, line, column, value, reason, "warning"))

    def error(self, file: str, line: int | None, column: str | None, value: str | None, reason: str) -> None:
        self.problems.append(Problem(file, line, column, value, reason, "error"))

    def exclude(
        self, file: str, line: int, column: str | None, value: str | None, reason: str, severity: str = "warning"
    ) -> None:
        """Report a source row as left out, and keep it in the rejected rows."""
        self.problems.append(Problem(file, int(line), column, value, reason, severity))
        self.rejected.append(
            {
                "file": file,
                "line": int(line),
                "severity": severity,
                "reason": f"{column}: {reason}" if column else reason,
                "row": self.row_json(file, line),
            }
        )


class References:
    """Known and excluded sourcedIds per OneRoster file, to explain dangling references."""

    def __init__(self) -> None:
        self.known: dict[str, set[str]] = defaultdict(set)
        self.excluded: dict[str, dict[str, str]] = defaultdict(dict)
        self.labels: dict[str, str] = {}

    def problem(self, entity: str, value: str, column: str) -> str | None:
        """Why a reference cannot be followed, or None when it can."""
        label = self.labels.get(entity, f"{entity}.csv")
        if value == "":
            return f"{column} is blank"
        if value in self.excluded[entity]:
            return (
                f"{column} {value!r} refers to a row that was left out ({self.excluded[entity][value]}; "
                "see the problem reported there)"
            )
        if value not in self.known[entity]:
            return f"{column} {value!r} is not in {label}"
        return None
