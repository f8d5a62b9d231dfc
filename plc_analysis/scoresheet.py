"""Load the spreadsheet a team has after scoring a CFA as a canonical :class:`Dataset`.

A score sheet has one row per student and one column per item::

    Grade 3 Math - CFA 3: Fractions            <- title rows (optional)
    Given 2025-10-03
    Student ID | Name        | Teacher | Q1 | Q2 | Q3 | Total   <- header row (detected)
    Points possible |        |         | 1  | 2  | 4  | 7       <- optional
    0101       | Adams, Ava  | Ames    | 1  | 2  | 3  | 6
    0102       | Baker, Liam | Ames    | abs| abs| abs|         <- absent
    0103       | Peña, José  | Bell    | 1  |    | 4  | 5       <- Q2 not attempted

An *item map* (CSV, XLSX or DataFrame with ``item_id, skill_id, max_points``
and optional ``skill_description, proficiency_cut, essential, kind, key,
standard``) says which skill each item measures.  The loader builds a full
canonical dataset (one school, one team, the teachers and sections named in
the sheet, the students, one assessment, its items and skills, and long
scores) and validates it with :func:`plc_analysis.validation.validate_tables`.

Every problem points at the spreadsheet cell a teacher can find: the file,
the real row number (title rows and blank rows counted), and the column
header (``"Q2"``).  Nothing is silently dropped: rows that are not students
(a class-average row, a row without a student id) and cells that cannot be
read are reported, and kept in ``Dataset.rejected``.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from .dataset import Dataset
from .errors import REDACTED, PLCDataError, Problem
from .load_steps import Errors, finish_load
from .readers import (
    LINE,
    RawTable,
    check_input_file,
    csv_records,
    decode_bytes,
    not_csv_text,
    read_input_bytes,
    read_raw_csv,
    read_workbook,
    unreadable,
    workbook_sheet_names,
)
from .roster_match import join_roster
from .rules import TOLERANCE
from .schema import ASSESSMENT_KINDS, CFA_TABLES, TABLES
from .validation import REJECTED_COLUMNS, ValidationResult, validate_tables

__all__ = ["load_score_sheet", "ABSENT_MARKS", "EXCUSED_MARKS", "ID_HEADERS"]


#: Cell marks meaning "the student did not sit this assessment" (any case).
ABSENT_MARKS = frozenset({"abs", "absent", "ab", "a", "ex", "exc", "excused", "exempt"})
#: Of those, the marks saying the student was excused (exempt): out of the denominators, not absent.
EXCUSED_MARKS = frozenset({"ex", "exc", "excused", "exempt"})
#: Normalised header names recognised as the student-id column, best first.
ID_HEADERS = (
    "studentid",
    "studentnumber",
    "studentno",
    "studentnum",
    "studentidnumber",
    "sisuserid",
    "sisid",
    "studentlocalid",
    "localid",
    "stuid",
    "pupilid",
    "learnerid",
    "stateid",
    "idnumber",
    "id",
)
_NAME_ONE = {
    "name",
    "student",
    "studentname",
    "fullname",
    "studentfullname",
    "lastfirst",
    "namelastfirst",
    "lastnamefirstname",
}
_FIRST = {"first", "firstname", "givenname", "studentfirstname", "fname"}
_LAST = {"last", "lastname", "surname", "familyname", "studentlastname", "lname"}
_TEACHER = {"teacher", "teachername", "teacherid", "instructor", "instructorname"}
_SECTION = {
    "section",
    "sectionid",
    "sectionname",
    "class",
    "classsection",
    "classid",
    "period",
    "classperiod",
    "hour",
    "block",
    "homeroom",
}
_PERIOD = {"period", "classperiod", "hour", "block"}
_GRADE = {"grade", "gradelevel", "gr", "grd", "studentgrade"}
#: Columns that a score sheet often has besides items; ignored with a note.
_SUMMARY_COLUMNS = {
    "total",
    "totals",
    "totalpoints",
    "totalscore",
    "score",
    "rawscore",
    "points",
    "percent",
    "percentage",
    "pct",
    "percentcorrect",
    "proficiency",
    "proficient",
    "level",
    "performancelevel",
    "comments",
    "comment",
    "notes",
    "note",
    "email",
    "sisloginid",
    "loginid",
    "currentscore",
    "finalscore",
    "unpostedcurrentscore",
    "unpostedfinalscore",
    "currentgrade",
    "finalgrade",
    "lettergrade",
    "mastery",
    "met",
    "status",
}
_SUMMARY_ROWS = re.compile(
    r"^(class\s+)?(average|avg|mean|median|totals?|count|high|low|max|min|std|"
    r"standard deviation|%\s*correct|percent correct|n|(answer\s*)?key)\s*:?$",
    re.I,
)
_POINTS_ROW = re.compile(
    r"^(points?\s*possible|possible(\s*points)?|max(imum)?(\s*(points?|pts|score))?|"
    r"pts\s*possible|out\s*of|total\s*possible|max\s*pts)\s*:?$",
    re.I,
)
_ITEM_SHEETS = {"items", "itemmap", "itemsmap", "item_map"}
_GRADE_IN_TEXT = re.compile(r"\b(?:grade|gr\.?)\s*(k|\d{1,2})\b", re.I)
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_US_DATE = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")


# ---------------------------------------------------------------------------
# reading a grid of cells with real row numbers
# ---------------------------------------------------------------------------
@dataclass
class _Grid:
    """A sheet as read: ``rows`` are ``(row_number, [cell text, ...])``."""

    label: str
    rows: list[tuple[int, list[str]]]
    title: str = ""
    #: cells holding a formula with no saved value: {(row, column index)}
    formulas: frozenset = frozenset()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else f"{value:.15g}"
    if isinstance(value, _dt.datetime):
        return value.date().isoformat() if value.time() == _dt.time() else value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, _dt.time):
        return value.isoformat()
    return str(value)


def _fold(text: str) -> str:
    """Normalise a header: lower case, ``#``/``%`` spelled out, letters and digits only."""
    text = str(text).lower().replace("#", " number ").replace("%", " percent ")
    return re.sub(r"[^0-9a-z]+", "", text)


def _csv_rows(data: bytes, label: str, delimiter: str | None) -> tuple[list[tuple[int, list[str]]], list[Problem]]:
    if (why := not_csv_text(data)) is not None:
        raise unreadable(label, why)
    text, _encoding, problems = decode_bytes(data, label)
    if delimiter is None:
        counts = {d: text.count(d) for d in (",", ";", "\t")}
        delimiter = max(counts, key=lambda d: (counts[d], d == ","))
    rows = [(start, record) for start, _end, record in csv_records(text, label, delimiter)]
    return rows, problems


def _xlsx_grid(path: Path, sheet: str | int | None, label: str, skip: set[str]) -> _Grid:
    read = read_workbook(path, sheet, skip=skip, label=label)
    rows = [(number, [_cell_text(v) for v in row]) for number, row in read.rows]
    return _Grid(label, rows, read.name, read.formulas)


def _xls_grid(path: Path, sheet: str | int | None, label: str) -> _Grid:
    check_input_file(path, label)
    try:
        frame = pd.read_excel(path, header=None, dtype=object, sheet_name=0 if sheet is None else sheet)
    except ImportError:
        raise
    except Exception as exc:  # xlrd raises its own errors for a damaged or mislabelled file
        raise unreadable(label, f"is not a readable .xls workbook: {type(exc).__name__}: {exc}") from None
    rows = [
        (position + 1, [_cell_text(v) for v in row])
        for position, row in enumerate(frame.itertuples(index=False, name=None))
    ]
    return _Grid(label, rows, str(sheet or ""))


def _read_grid(path: Path, sheet: str | int | None, skip: set[str]) -> tuple[_Grid, list[Problem]]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_grid(path, sheet, path.name, skip), []
    if suffix == ".xls":
        return _xls_grid(path, sheet, path.name), []
    rows, problems = _csv_rows(read_input_bytes(path), path.name, "\t" if suffix == ".tsv" else None)
    return _Grid(path.name, rows), problems


# ---------------------------------------------------------------------------
# the item map
# ---------------------------------------------------------------------------
def _grid_table(grid: _Grid, name: str) -> RawTable:
    """A grid whose first non-blank row is the header, as a RawTable (lines = sheet rows)."""
    filled = [(n, cells) for n, cells in grid.rows if any(c.strip() for c in cells)]
    if not filled:
        return RawTable(
            name,
            pd.DataFrame({LINE: pd.Series([], dtype="int64")}),
            [Problem(grid.label, None, None, None, "item map is empty (no header row)")],
            "",
            grid.label,
        )
    _, header = filled[0]
    header = [h.strip() for h in header]
    width = len(header)
    body = [(n, (cells + [""] * width)[:width]) for n, cells in filled[1:]]
    frame = (
        pd.DataFrame([cells for _, cells in body], columns=header, dtype="str")
        if body
        else pd.DataFrame({c: pd.Series([], dtype="str") for c in header})
    )
    frame = frame.loc[:, [c for c in frame.columns if c]]
    frame[LINE] = pd.Series([n for n, _ in body], dtype="int64", index=frame.index)
    return RawTable(name, frame, [], "utf-8", grid.label)


def _frame_table(frame: pd.DataFrame, label: str) -> RawTable:
    text = pd.DataFrame(index=range(len(frame)))
    for column in frame.columns:
        text[str(column).strip()] = [
            "" if v is None or (not isinstance(v, str) and pd.isna(v)) else _cell_text(v) for v in frame[column]
        ]
    text = text.astype("str")
    text[LINE] = pd.Series(range(2, len(frame) + 2), dtype="int64")
    return RawTable("item_map", text, [], "dataframe", label)


def _load_item_map(item_map: str | Path | pd.DataFrame | None, path: Path, workbook_sheets: list[str]) -> RawTable:
    if isinstance(item_map, pd.DataFrame):
        return _frame_table(item_map, "item_map (DataFrame)")
    if item_map is None:
        for name in workbook_sheets:
            if _fold(name) in _ITEM_SHEETS or name.strip().lower() in ("item map", "items"):
                grid = _xlsx_grid(path, name, f"{path.name} (sheet {name!r})", set())
                return _grid_table(grid, "item_map")
        for candidate in (path.with_name(f"{path.stem}_items.csv"), path.with_name(f"{path.stem}_items.xlsx")):
            if candidate.exists():
                return _load_item_map(candidate, path, [])
        raise PLCDataError(
            [
                Problem(
                    path.name,
                    None,
                    None,
                    None,
                    "no item map: pass item_map= (a CSV/XLSX or DataFrame with item_id, skill_id, "
                    f"max_points), add a sheet named 'items', or put {path.stem}_items.csv "
                    "beside the file",
                )
            ],
            source=str(path),
        )
    map_path = Path(item_map)
    if not map_path.exists():
        raise FileNotFoundError(f"no such item map: {map_path}")
    if map_path.suffix.lower() in (".xlsx", ".xlsm"):
        sheets = workbook_sheet_names(map_path)
        preferred = [n for n in sheets if _fold(n) in _ITEM_SHEETS]
        grid = _xlsx_grid(map_path, preferred[0] if preferred else 0, map_path.name, set())
        return _grid_table(grid, "item_map")
    table = read_raw_csv(map_path, name="item_map")
    table.frame.columns = [str(c) for c in table.frame.columns]
    return table


def _item_key(text: str) -> str:
    """Loose item name: 'Q1', 'Item 1', '1', 'Question 1 (2 pts)' all give '1'."""
    text = re.sub(r"\(.*?\)\s*$", "", str(text).strip().lower())
    text = re.sub(r"^(question|item|ques|qu|q|no\.?|number|#)\s*", "", text.strip())
    return re.sub(r"[^0-9a-z]+", "", text)


# ---------------------------------------------------------------------------
# the loader
# ---------------------------------------------------------------------------
class _Sheet:
    """Turns a score sheet grid and an item map into canonical raw tables."""

    def __init__(
        self,
        grid: _Grid,
        item_map: RawTable,
        *,
        team_id: str,
        school_id: str,
        assessment_id: str,
        title: str | None,
        date: str | None,
        kind: str,
        grade: str | None,
        stem: str,
        names_only: bool = False,
    ) -> None:
        self.grid = grid
        #: whether a sheet with names and no student ids may load (students matched to a roster later)
        self.names_only = names_only
        self.people: list[dict] = []
        self.label = grid.label
        self.map = item_map
        self.map_label = item_map.label or "item map"
        self.team_id, self.school_id, self.assessment_id = team_id, school_id, assessment_id
        self.title, self.date, self.kind, self.grade, self.stem = title, date, kind, grade, stem
        self.problems: list[Problem] = list(item_map.problems)
        self.rejected: list[dict] = []
        self.notes: list[str] = []
        self.rows_json: dict[tuple[str, int], str] = {}
        self.column_at: dict[tuple[str, int, str], str] = {}
        self.tables: dict[str, list[dict]] = {name: [] for name in TABLES}

    # -- reporting ---------------------------------------------------------------
    def problem(
        self,
        line: int | None,
        column: str | None,
        value: str | None,
        reason: str,
        severity: str = "error",
        file: str | None = None,
    ) -> None:
        self.problems.append(Problem(file or self.label, line, column, value, reason, severity))

    def reject(
        self,
        line: int,
        column: str | None,
        value: str | None,
        reason: str,
        severity: str = "error",
        file: str | None = None,
        row: str | None = None,
    ) -> None:
        file = file or self.label
        self.problem(line, column, value, reason, severity, file)
        self.rejected.append(
            {
                "file": file,
                "line": int(line),
                "severity": severity,
                "reason": f"{column}: {reason}" if column else reason,
                "row": row if row is not None else self.rows_json.get((file, int(line)), ""),
            }
        )

    # -- steps -------------------------------------------------------------------
    def find_header(self) -> None:
        for index, (number, cells) in enumerate(self.grid.rows):
            folded = [_fold(c) for c in cells]
            ids = [i for i, f in enumerate(folded) if f in ID_HEADERS]
            if ids and sum(1 for c in cells if c.strip()) >= 2:
                self.header_index = index
                self.header_line = number
                self.header = [c.strip() for c in cells]
                self.id_col = min(ids, key=lambda i: ID_HEADERS.index(folded[i]))
                self.names_only = False
                return
        if self.names_only and self.find_name_header():
            return
        raise PLCDataError(
            [
                Problem(
                    self.label,
                    None,
                    None,
                    None,
                    "no header row with a student id column (e.g. 'Student ID', 'ID', "
                    "'student_id' or 'Student Number') and at least one other column"
                    + ("" if self.names_only else " (a sheet with names only loads with a roster: pass roster=)"),
                )
            ],
            source=self.label,
        )

    def find_name_header(self) -> bool:
        """A header with a name column (or first and last name columns) stands in for the id column."""
        for index, (number, cells) in enumerate(self.grid.rows):
            folded = [_fold(c) for c in cells]
            names = [i for i, f in enumerate(folded) if f in _NAME_ONE or f in _LAST]
            if names and sum(1 for c in cells if c.strip()) >= 2:
                self.header_index, self.header_line = index, number
                self.header = [c.strip() for c in cells]
                self.id_col = names[0]
                self.notes.append(
                    f"{self.label}: no student id column; students are matched to the roster by name "
                    f"(column {self.header[self.id_col]!r})"
                )
                return True
        return False

    def read_map(self) -> None:
        frame = self.map.frame
        if list(frame.columns) == [LINE]:
            raise PLCDataError(
                self.problems or [Problem(self.map_label, None, None, None, "item map is empty")], source=self.map_label
            )
        frame.columns = [str(c).strip() if c != LINE else c for c in frame.columns]
        lowered = {str(c).lower(): c for c in frame.columns}
        frame = frame.rename(
            columns={
                lowered[k]: k
                for k in (
                    "item_id",
                    "skill_id",
                    "max_points",
                    "skill_description",
                    "proficiency_cut",
                    "essential",
                    "kind",
                    "key",
                    "standard",
                    "description",
                )
                if k in lowered
            }
        )
        if "skill_description" not in frame and "description" in frame:
            frame = frame.rename(columns={"description": "skill_description"})
        missing = [c for c in ("item_id", "skill_id") if c not in frame]
        if missing:
            raise PLCDataError(
                [Problem(self.map_label, 1, c, None, "required column is missing from the item map") for c in missing],
                source=self.map_label,
            )
        for column in frame.columns:
            if column != LINE:
                frame[column] = frame[column].fillna("").astype("str").str.strip()
        self.map_frame = frame.reset_index(drop=True)
        for position in range(len(frame)):
            row = frame.iloc[position]
            self.rows_json[(self.map_label, int(row[LINE]))] = json.dumps(
                {k: str(v) for k, v in row.drop(LINE).items()}, ensure_ascii=False
            )
        blank = frame["item_id"] == ""
        for line in frame.loc[blank, LINE]:
            self.reject(int(line), "item_id", None, "blank, but this column needs a value", file=self.map_label)
        self.map_frame = self.map_frame.loc[~blank.to_numpy()].reset_index(drop=True)

    def classify_columns(self) -> None:
        header = self.header
        self.roles: dict[str, int] = {}
        folded = [_fold(h) for h in header]
        for index, f in enumerate(folded):
            if (index == self.id_col and not self.names_only) or not header[index]:
                continue
            for role, names in (
                ("name", _NAME_ONE),
                ("first", _FIRST),
                ("last", _LAST),
                ("teacher", _TEACHER),
                ("section", _SECTION),
                ("grade", _GRADE),
            ):
                if f in names and role not in self.roles:
                    self.roles[role] = index
                    break
        claimed = {self.id_col, *self.roles.values()}
        exact = {" ".join(i.lower().split()): i for i in self.map_frame["item_id"]}
        loose: dict[str, str | None] = {}
        for item in self.map_frame["item_id"]:
            key = _item_key(item)
            loose[key] = None if key in loose and loose[key] != item else item
        self.item_cols: dict[str, int] = {}
        ignored_summary: list[tuple[int, str]] = []
        ignored: list[tuple[int, str]] = []
        for index, name in enumerate(header):
            if index in claimed or not name:
                continue
            item = exact.get(" ".join(name.lower().split())) or loose.get(_item_key(name))
            if item is None:
                other_id = folded[index] in ID_HEADERS
                (ignored_summary if folded[index] in _SUMMARY_COLUMNS or other_id else ignored).append((index, name))
                continue
            if item in self.item_cols:
                first = header[self.item_cols[item]]
                self.problem(
                    self.header_line,
                    name,
                    name,
                    f"column matches item {item!r}, like column {first!r}; only {first!r} was read",
                )
                continue
            self.item_cols[item] = index
        for index, name in ignored:
            self.problem(
                self.header_line,
                name,
                None,
                "column is not an item of the item map, nor a student, name, teacher, section or grade "
                "column; it was not read",
                "warning",
            )
        if ignored_summary:
            self.notes.append(
                f"{self.label}: column(s) {', '.join(repr(n) for _, n in ignored_summary)} not read "
                "(totals and other summaries are recomputed from the items)"
            )
        for position in range(len(self.map_frame)):
            item, line = self.map_frame["item_id"].iat[position], int(self.map_frame[LINE].iat[position])
            if item not in self.item_cols:
                self.reject(
                    line,
                    "item_id",
                    item,
                    f"item has no column in {self.label} (header row {self.header_line})",
                    file=self.map_label,
                )
        if not self.item_cols:
            raise PLCDataError(
                [p for p in self.problems if p.severity == "error"]
                or [Problem(self.label, self.header_line, None, None, "no column matches an item_id of the item map")],
                source=self.label,
            )
        keep = self.map_frame["item_id"].isin(list(self.item_cols))
        self.map_frame = self.map_frame.loc[keep.to_numpy()].reset_index(drop=True)

    def row_json(self, number: int, cells: list[str]) -> str:
        private = {self.roles.get(r) for r in ("name", "first", "last")} - {None}
        row = {}
        for index, name in enumerate(self.header):
            if not name:
                continue
            value = cells[index] if index < len(cells) else ""
            row[name] = REDACTED if index in private and value.strip() else value
        return json.dumps(row, ensure_ascii=False)

    def title_rows(self) -> None:
        """Title and date from the rows above the header (or the parameters, or the file name)."""
        texts = [
            (number, c.strip()) for number, cells in self.grid.rows[: self.header_index] for c in cells if c.strip()
        ]
        date_line = title_line = self.header_line
        if self.date is None:
            for number, text in [*texts, (None, self.stem)]:
                found = _find_date(text)
                if found:
                    self.date, date_line = found, number or self.header_line
                    source = f"row {number} of {self.label}" if number else "the file name"
                    self.notes.append(f"assessment date {found} read from {source}")
                    break
        if self.title is None:
            for number, text in texts:
                if not _find_date(text) or len(text) > 24:
                    self.title, title_line = text, number
                    break
            else:
                self.title = self.stem
        self.title_line, self.date_line = title_line, date_line
        if self.grade is None and "grade" not in self.roles:
            for text in [t for _, t in texts] + [self.grid.title, self.title, self.stem]:
                match = _GRADE_IN_TEXT.search(text or "")
                if match:
                    self.grade = match.group(1).upper()
                    self.notes.append(f"students' grade {self.grade} read from {text!r}")
                    break
            else:
                self.grade = "unknown"
                self.problem(
                    self.header_line,
                    None,
                    None,
                    "no grade column and no grade= given: students' grade recorded as 'unknown'",
                    "warning",
                )
                self.notes.append("students' grade recorded as 'unknown' (no grade column; pass grade=)")

    def points_row(self, rows: list[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
        """Find a 'Points possible' row; check it against the item map.  Returns the other rows."""
        label_cols = [i for i in range(len(self.header)) if i not in self.item_cols.values()]
        self.max_from_sheet: dict[str, tuple[str, int]] = {}
        for position, (number, cells) in enumerate(rows):
            cells = cells + [""] * (len(self.header) - len(cells))
            if any(_POINTS_ROW.match(cells[i].strip()) for i in label_cols if cells[i].strip()):
                for item, index in self.item_cols.items():
                    text = cells[index].strip()
                    if text:
                        self.max_from_sheet[item] = (text, number)
                self.notes.append(f"points possible read from row {number} of {self.label}")
                return rows[:position] + rows[position + 1 :]
        return rows

    def items_and_skills(self) -> None:
        frame = self.map_frame
        if "max_points" not in frame:
            frame["max_points"] = ""
        self.max_points: dict[str, float | None] = {}
        self.keys: dict[str, str] = {}
        skills: dict[str, dict] = {}
        for position in range(len(frame)):
            row = frame.iloc[position]
            item, line = row["item_id"], int(row[LINE])
            maximum = row["max_points"]
            sheet_max = self.max_from_sheet.get(item)
            header = self.header[self.item_cols[item]]
            if sheet_max is not None:
                sheet_value = _to_float(sheet_max[0])
                if sheet_value is None:
                    self.problem(sheet_max[1], header, sheet_max[0], "points possible is not a number")
                elif maximum == "":
                    maximum = sheet_max[0]
                elif (listed := _to_float(maximum)) is not None and abs(listed - sheet_value) > TOLERANCE:
                    self.problem(
                        sheet_max[1],
                        header,
                        sheet_max[0],
                        f"points possible differs from the item map's max_points {maximum} "
                        f"({self.map_label} line {line}); item {item!r} is not loaded",
                    )
                    self.reject(
                        line,
                        "max_points",
                        maximum,
                        f"differs from the points possible {sheet_max[0]} in row {sheet_max[1]} of {self.label}",
                        file=self.map_label,
                    )
                    continue
            self.max_points[item] = _to_float(maximum)
            if row.get("key", ""):
                self.keys[item] = row["key"]
            self.tables["items"].append(
                {
                    "assessment_id": self.assessment_id,
                    "item_id": item,
                    "skill_id": row["skill_id"],
                    "max_points": maximum,
                    "kind": row.get("kind", ""),
                    "key": row.get("key", ""),
                    LINE: line,
                }
            )
            skill = row["skill_id"]
            if skill == "":
                continue  # the validator reports the blank skill_id on this line
            description = row.get("skill_description", "")
            if skill not in skills:
                skills[skill] = {
                    "skill_id": skill,
                    "description": description,
                    "team_id": self.team_id,
                    "essential": row.get("essential", ""),
                    "proficiency_cut": row.get("proficiency_cut", ""),
                    "standard": row.get("standard", ""),
                    LINE: line,
                }
                continue
            known = skills[skill]
            if not known["description"] and description:
                known["description"] = description
            for column in ("proficiency_cut", "essential", "standard"):
                value = row.get(column, "")
                if value and known[column] and value != known[column]:
                    self.problem(
                        line,
                        column,
                        value,
                        f"skill {skill!r} has {column} {known[column]} on line {known[LINE]}; that value is used",
                        "warning",
                        self.map_label,
                    )
                elif value and not known[column]:
                    known[column] = value
        undescribed = [s for s, row in skills.items() if not row["description"]]
        for skill in undescribed:
            skills[skill]["description"] = skill
        if undescribed:
            self.notes.append(f"no skill_description for {', '.join(undescribed)}: the skill id is used")
        for row in skills.values():
            self.column_at[(self.map_label, row[LINE], "description")] = "skill_description"
        self.tables["skills"] = list(skills.values())
        self.item_cols = {i: c for i, c in self.item_cols.items() if i in self.max_points}

    def students_and_scores(self, rows: list[tuple[int, list[str]]]) -> None:
        roles = self.roles
        width = len(self.header)
        teacher_col, section_col = roles.get("teacher"), roles.get("section")
        section_teacher: dict[str, tuple[str, int]] = {}
        teachers: dict[str, dict] = {}
        absent: list[str] = []
        excused: list[str] = []
        blank_rows: list[str] = []
        for number, cells in rows:
            cells = (cells + [""] * width)[:width] if len(cells) < width else cells
            if not any(c.strip() for c in cells):
                continue
            key = (self.label, number)
            self.rows_json[key] = self.row_json(number, cells)
            names = [cells[roles[r]].strip() for r in ("name", "first", "last") if r in roles]
            if self.names_only:
                student = f"row-{number}" if any(names) else ""
            else:
                student = cells[self.id_col].strip()
            items = {item: cells[index].strip() for item, index in self.item_cols.items()}
            id_header = self.header[self.id_col]
            if _SUMMARY_ROWS.match(student) or any(_SUMMARY_ROWS.match(n) for n in names if n):
                self.reject(
                    number,
                    id_header,
                    student or None,
                    "a summary or answer-key row (average, total, key ...), not a student; not read",
                    "warning",
                )
                continue
            if not student:
                self.reject(number, id_header, None, "row has no student id; not read", "warning")
                continue
            if any(n.lower() in ("student, test", "test student", "test, student") for n in names):
                self.reject(
                    number, id_header, student, "a test student (e.g. Canvas 'Student, Test'); not read", "warning"
                )
                continue
            teacher = cells[teacher_col].strip() if teacher_col is not None else ""
            section = cells[section_col].strip() if section_col is not None else ""
            if teacher_col is not None and not teacher:
                self.reject(
                    number,
                    self.header[teacher_col],
                    None,
                    "teacher is blank: the student cannot be placed in a section; the row is not loaded",
                )
                continue
            if section_col is not None and not section:
                self.reject(
                    number,
                    self.header[section_col],
                    None,
                    "section is blank: the student cannot be placed in a section; the row is not loaded",
                )
                continue
            section_id, teacher_id = self._placement(teacher, section, number, section_teacher)
            if teacher_id not in teachers:
                name = teacher if teacher_col is not None and _fold(self.header[teacher_col]) != "teacherid" else ""
                teachers[teacher_id] = {"teacher_id": teacher_id, "team_id": self.team_id, "name": name, LINE: number}
                self.column_at[(self.label, number, "teacher_id")] = self._header_of("teacher", "section")
            first, last = self._names(cells)
            person: dict[str, object] = {"student_id": student, "first_name": first, "last_name": last}
            person.update(file=self.label, line=number, column=self.header[self.id_col], row=self.rows_json[key])
            if "name" in roles:
                person["name"] = cells[roles["name"]]
            self.people.append(person)
            grade = cells[roles["grade"]].strip() if "grade" in roles else self.grade
            self.tables["students"].append(
                {"student_id": student, "grade": grade, "first_name": first, "last_name": last, LINE: number}
            )
            self.tables["enrollments"].append({"student_id": student, "section_id": section_id, LINE: number})
            # Absent: marks (abs, absent, ex ...) and blanks only.
            marks = {i for i, v in items.items() if v.lower() in ABSENT_MARKS}
            if marks and all(v == "" or i in marks for i, v in items.items()):
                if all(items[i].lower() in EXCUSED_MARKS for i in marks):
                    excused.append(student)
                    self.tables["excused"].append(
                        {
                            "student_id": student,
                            "assessment_id": self.assessment_id,
                            "reason": "marked excused on the score sheet",
                            LINE: number,
                        }
                    )
                else:
                    absent.append(student)
                continue
            # In a scored row, 'A' on an item with an answer key is the student's answer.
            marks = {i for i in marks if not (items[i].lower() == "a" and i in self.keys)}
            if not marks and all(v == "" for v in items.values()):
                blank_rows.append(student)
                self.problem(
                    number,
                    id_header,
                    student,
                    "no item has a score: the student is treated as absent (enter 0 for work not attempted, or 'abs')",
                    "warning",
                )
                continue
            for item, value in items.items():
                self._score(number, student, item, value, item in marks)
        self.tables["teachers"] = list(teachers.values())
        if absent:
            self.notes.append(f"{len(absent)} student(s) absent (marked absent in every item): {', '.join(absent)}")
        if excused:
            self.notes.append(
                f"{len(excused)} student(s) excused (marked ex / excused / exempt in every item): out of the "
                f"denominators, not absent: {', '.join(excused)}"
            )
        if blank_rows:
            self.notes.append(
                f"{len(blank_rows)} student(s) with no score in any item treated as absent: {', '.join(blank_rows)}"
            )

    def _header_of(self, *roles: str) -> str:
        for role in roles:
            if role in self.roles:
                return self.header[self.roles[role]]
        return self.header[self.id_col]

    def _placement(
        self, teacher: str, section: str, number: int, section_teacher: dict[str, tuple[str, int]]
    ) -> tuple[str, str]:
        if teacher and section:
            section_id, teacher_id = section, teacher
        elif teacher:
            section_id, teacher_id = f"{self.team_id}-{teacher}", teacher
        elif section:
            section_id, teacher_id = section, f"{section}-teacher"
        else:
            section_id, teacher_id = f"{self.team_id}-all", f"{self.team_id}-teacher"
        if section_id in section_teacher:
            known, line = section_teacher[section_id]
            if known != teacher_id:
                self.problem(
                    number,
                    self._header_of("teacher"),
                    teacher,
                    f"section {section!r} has teacher {known!r} on row {line}; the student is placed in that section",
                    "warning",
                )
            return section_id, known
        section_teacher[section_id] = (teacher_id, number)
        period = section if "section" in self.roles and _fold(self.header[self.roles["section"]]) in _PERIOD else ""
        self.tables["sections"].append(
            {
                "section_id": section_id,
                "teacher_id": teacher_id,
                "team_id": self.team_id,
                "period": period,
                "term": "",
                LINE: number,
            }
        )
        self.column_at[(self.label, number, "section_id")] = self._header_of("section", "teacher")
        return section_id, teacher_id

    def _names(self, cells: list[str]) -> tuple[str, str]:
        if "first" in self.roles or "last" in self.roles:
            return (
                cells[self.roles["first"]].strip() if "first" in self.roles else "",
                cells[self.roles["last"]].strip() if "last" in self.roles else "",
            )
        if "name" in self.roles:
            name = " ".join(cells[self.roles["name"]].split())
            if "," in name:
                last, first = (p.strip() for p in name.split(",", 1))
                return first, last
            parts = name.rsplit(" ", 1)
            return (parts[0], parts[1]) if len(parts) == 2 else ("", name)
        return "", ""

    def _score(self, number: int, student: str, item: str, value: str, is_mark: bool) -> None:
        index = self.item_cols[item]
        header = self.header[index]
        key = self.keys.get(item)
        response = ""
        if (number, index) in self.grid.formulas:
            self.reject(
                number,
                header,
                None,
                "the cell holds a formula with no saved value (open the file in "
                "Excel or LibreOffice and save it, so the value is stored)",
            )
            return
        if is_mark:
            self.reject(
                number,
                header,
                value,
                "marked absent on this item, but the student has scores on other "
                "items; enter 0, leave blank for not attempted, or mark every item absent",
            )
            return
        if value == "":
            points = ""
        else:
            number_value = _to_float(value)
            if number_value is None and key and re.fullmatch(r"[A-Za-z]{1,2}", value):
                response = value.upper()
                key_points = self.max_points.get(item) or 1.0
                number_value = key_points if response == key.strip().upper() else 0.0
            if number_value is None:
                self.reject(
                    number, header, value, "not a number (points), a blank (not attempted) or an absence mark (abs)"
                )
                return
            maximum = self.max_points.get(item)
            if number_value < 0:
                self.reject(number, header, value, "points must be at least 0")
                return
            if maximum is not None and number_value > maximum + TOLERANCE:
                self.reject(number, header, value, f"more than the item's max_points ({maximum:g})")
                return
            points = f"{number_value:.15g}"
        self.tables["scores"].append(
            {
                "student_id": student,
                "assessment_id": self.assessment_id,
                "item_id": item,
                "points": points,
                "response": response,
                LINE: number,
            }
        )

    def fixed_rows(self) -> None:
        self.tables["schools"] = [{"school_id": self.school_id, "name": self.school_id, LINE: self.header_line}]
        self.tables["teams"] = [
            {
                "team_id": self.team_id,
                "school_id": self.school_id,
                "name": self.team_id,
                "grade": self.grade if self.grade not in (None, "unknown") else "",
                "subject": "",
                LINE: self.header_line,
            }
        ]
        self.tables["assessments"] = [
            {
                "assessment_id": self.assessment_id,
                "team_id": self.team_id,
                "title": self.title,
                "kind": self.kind,
                "date": self.date or "",
                LINE: self.title_line,
            }
        ]

    def raw_tables(self) -> dict[str, RawTable]:
        labels = {"items": self.map_label, "skills": self.map_label}
        names = (*CFA_TABLES, "excused")
        return {name: _raw_table(name, self.tables[name], labels.get(name, self.label)) for name in names}


def _find_date(text: str) -> str | None:
    match = _ISO.search(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _US_DATE.search(text)
        if not match:
            return None
        month, day, year = (int(g) for g in match.groups())
    try:
        return _dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _to_float(text: str) -> float | None:
    try:
        value = float(str(text).strip())
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _raw_table(name: str, rows: list[dict], label: str) -> RawTable:
    columns = list(TABLES[name].column_names)
    data = {c: pd.Series([str(r.get(c, "") or "") for r in rows], dtype="str") for c in columns}
    frame = pd.DataFrame(data, columns=columns)
    frame[LINE] = pd.Series([int(r[LINE]) for r in rows], dtype="int64")
    return RawTable(name, frame, [], "utf-8", label)


def _finish(sheet: _Sheet, result: ValidationResult) -> ValidationResult:
    """Point validation problems at sheet headers and files; add the loader's own rejected rows."""
    names = {
        "students": sheet.label,
        "teachers": sheet.label,
        "sections": sheet.label,
        "teams": sheet.label,
        "schools": sheet.label,
        "assessments": sheet.label,
        "items": sheet.map_label,
        "skills": sheet.map_label,
    }
    pattern = re.compile(r"\b(" + "|".join(names) + r")\.csv\b")

    def relabel(text: str) -> str:
        return pattern.sub(lambda m: f"{names[m.group(1)]} ({m.group(1)})", text)

    role_headers = {"student_id": sheet.header[sheet.id_col]}
    for table_column, role in (("first_name", "first"), ("last_name", "last"), ("grade", "grade")):
        if role in sheet.roles:
            role_headers[table_column] = sheet.header[sheet.roles[role]]
    if "name" in sheet.roles:
        role_headers.update(first_name=sheet.header[sheet.roles["name"]], last_name=sheet.header[sheet.roles["name"]])
    problems = []
    for problem in result.problems:
        column = problem.column
        if column and problem.line is not None:
            column = sheet.column_at.get((problem.file, int(problem.line), column), column)
            if problem.file == sheet.label:
                column = role_headers.get(column, column)
        reason = relabel(problem.reason)
        if column != problem.column or reason != problem.reason:
            # a name header is not a sensitive column name: keep the value out of messages
            value = REDACTED if problem.column in ("first_name", "last_name") and problem.value else problem.value
            problem = replace(problem, column=column, reason=reason, value=value)
        problems.append(problem)
    rejected = result.rejected.copy()
    if len(rejected):
        rejected["reason"] = rejected["reason"].map(relabel)
        rejected["row"] = [
            sheet.rows_json.get((f, int(l)), r) for f, l, r in zip(rejected["file"], rejected["line"], rejected["row"])
        ]
    own = pd.DataFrame(sheet.rejected, columns=REJECTED_COLUMNS)
    rejected = pd.concat([f for f in (own, rejected) if len(f)] or [own], ignore_index=True)
    rejected["line"] = rejected["line"].astype("Int64")
    rejected = rejected.sort_values(["file", "line"], kind="stable").reset_index(drop=True)
    return ValidationResult(result.tables, problems, rejected[REJECTED_COLUMNS])


def _iso_date(date: str | _dt.date | None) -> str | None:
    if date is None:
        return None
    if isinstance(date, (_dt.date, pd.Timestamp)):
        return pd.Timestamp(date).date().isoformat()
    try:
        return pd.Timestamp(str(date)).date().isoformat()
    except (ValueError, TypeError) as exc:
        raise ValueError(f"date must be an ISO date such as 2025-10-03, not {date!r}") from exc


def load_score_sheet(
    path: str | Path,
    *,
    item_map: str | Path | pd.DataFrame | None = None,
    team_id: str | None = None,
    assessment_id: str | None = None,
    title: str | None = None,
    date: str | _dt.date | None = None,
    kind: str = "cfa",
    sheet: str | int | None = None,
    errors: Errors = "raise",
    school_id: str | None = None,
    grade: str | None = None,
    roster: Dataset | None = None,
) -> Dataset:
    """Load a wide CFA score sheet (one row per student, one column per item).

    Parameters
    ----------
    path : str or Path
        The sheet: ``.xlsx``/``.xlsm`` (cell values are read, not formulas;
        a formula with no saved value is reported), ``.csv`` or ``.tsv``
        (``.xls`` needs the ``xlrd`` package).  Title rows above the header
        are allowed; the header is the first row with a student-id column
        (``Student ID``, ``ID``, ``student_id``, ``Student Number``, ``SIS
        User ID`` ...) and at least one other filled cell.  Recognised
        columns: one ``Name`` column (``"Last, First"``) or first/last name
        columns, a ``Teacher`` and/or ``Section``/``Period`` column, a
        ``Grade`` column; every other column must be an item of the item map
        (matched by name, or loosely: ``Q1``, ``Item 1`` and ``1`` are the
        same item), or it is reported and not read.  A row labelled
        ``Points possible`` / ``Max points`` under the header gives (or is
        checked against) each item's ``max_points``.
    item_map : str, Path or DataFrame, optional
        Columns ``item_id, skill_id, max_points`` and optionally
        ``skill_description, proficiency_cut, essential, kind, key,
        standard``.  When None: a sheet named ``items`` / ``item map`` in the
        same workbook, else ``<stem>_items.csv`` (or ``.xlsx``) beside the
        file; else :class:`~plc_analysis.PLCDataError`.
    team_id, assessment_id : str, optional
        Ids (default: the file name stem).
    title : str, optional
        Assessment title (default: the first title row, else the file stem).
    date : str or date, optional
        Assessment date (default: the first date in the title rows or the
        file name; an error when none is found).
    kind : str
        Assessment kind: one of ``cfa, unit, cumulative, practice, state,
        reassessment``.
    sheet : str or int, optional
        Worksheet with the scores (default: the first sheet that is not the
        item map).
    errors : {"raise", "quarantine"}
        See :func:`plc_analysis.load_dataset`.
    school_id : str, optional
        School id (default: ``<team_id>-school``).
    grade : str, optional
        Students' grade when the sheet has no grade column (default: a
        "Grade N" in the title rows or file name, else ``"unknown"`` with a
        warning).
    roster : Dataset, optional
        Students, sections and teams from another system (see
        :func:`plc_analysis.loading.load_roster`): each row's student is matched to it by id,
        else by name (see :func:`plc_analysis.roster_match.join_roster`), and a sheet with a
        name column and no id column loads (an unmatched or ambiguous name is reported with its
        row number, never guessed).

    Returns
    -------
    Dataset
        Canonical tables:

        - ``schools`` (``school_id, name``) and ``teams`` (``team_id,
          school_id, name, grade, subject``): one row each;
        - ``teachers`` (``teacher_id, team_id, name``) and ``sections``
          (``section_id, teacher_id, team_id, period, term``): from the
          teacher / section columns (one section per teacher when there is no
          section column; one section for everyone when there is neither);
        - ``students`` (``student_id, grade, first_name, last_name``) and
          ``enrollments`` (``student_id, section_id``): one per student row;
        - ``skills`` (``skill_id, description, team_id, essential,
          proficiency_cut, standard``) and ``items`` (``assessment_id,
          item_id, skill_id, max_points, kind, key``): from the item map;
        - ``assessments`` (``assessment_id, team_id, title, kind, date``):
          one row;
        - ``scores`` (``student_id, assessment_id, item_id, points,
          response``): one per student and item; ``points`` blank (NaN) for a
          blank cell (not attempted); for an item with a ``key``, a letter
          answer is scored (``response`` keeps the letter).  Students marked
          absent (``abs``, ``absent``, ``A`` ...) in every item, or
          with no score in any item, have no score rows (a note lists them);
        - ``excused`` (``student_id, assessment_id, reason``): students marked
          ``ex`` / ``excused`` / ``exempt`` in every item (out of the
          denominators, not absent).

        Problems name the sheet file, the spreadsheet row number and the
        item column header.

    Raises
    ------
    PLCDataError
        With ``errors="raise"`` when any cell or row is wrong (every problem
        listed at once); in either mode when the sheet has no header row or
        no item map, or no column matches the item map.
    ValueError
        For a bad ``kind`` or ``date``.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if errors not in ("raise", "quarantine"):
        raise ValueError(f"errors must be 'raise' or 'quarantine', not {errors!r}")
    if kind not in ASSESSMENT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(ASSESSMENT_KINDS)}, not {kind!r}")
    date = _iso_date(date)
    workbook_sheets = workbook_sheet_names(path) if path.suffix.lower() in (".xlsx", ".xlsm") else []
    item_sheets = {n for n in workbook_sheets if _fold(n) in _ITEM_SHEETS}
    grid, read_problems = _read_grid(path, sheet, item_sheets)
    raw_map = _load_item_map(item_map, path, workbook_sheets)
    stem = path.stem
    team = team_id or stem
    loader = _Sheet(
        grid,
        raw_map,
        team_id=team,
        school_id=school_id or f"{team}-school",
        assessment_id=assessment_id or stem,
        title=title,
        date=date,
        kind=kind,
        grade=grade,
        stem=stem,
        names_only=roster is not None,
    )
    loader.problems = read_problems + loader.problems
    if not (team_id and school_id):
        loader.notes.append(
            f"school and team ids {loader.school_id!r} / {team!r} "
            + ("derived from the file name" if not team_id else "given")
            + " (pass team_id= and school_id= to set them)"
        )
    loader.find_header()
    loader.read_map()
    loader.classify_columns()
    loader.title_rows()
    body = loader.points_row(grid.rows[loader.header_index + 1 :])
    loader.items_and_skills()
    loader.students_and_scores(body)
    if not loader.date:
        raise PLCDataError(
            [
                Problem(
                    loader.label,
                    None,
                    None,
                    None,
                    "no assessment date: none in the title rows or the file name; pass date= (e.g. date='2025-10-03')",
                )
            ],
            source=str(path),
        )
    loader.fixed_rows()
    if "teacher" not in loader.roles and "section" not in loader.roles:
        loader.notes.append(
            "no teacher or section column: every student is in one section, so teachers cannot be compared"
        )
    elif "teacher" not in loader.roles:
        loader.notes.append("no teacher column: each section is treated as its own teacher")
    result = validate_tables(loader.raw_tables(), extra_problems=loader.problems)
    result = _finish(loader, result)
    dataset = finish_load(
        result, source=str(path), errors=errors if roster is None else "quarantine", notes=tuple(loader.notes)
    )
    if roster is None:
        return dataset
    people = pd.DataFrame(loader.people)
    people = people.loc[people["student_id"].isin(dataset.students["student_id"])] if len(people) else people
    if not len(people):
        people = pd.DataFrame(columns=["student_id", "first_name", "last_name", "file", "line"])
    return join_roster(dataset, roster, errors=errors, people=people, match_ids=not loader.names_only)
