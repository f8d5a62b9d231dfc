"""Load an LMS gradebook export (Canvas, Google Classroom) as a canonical :class:`Dataset`.

Both are wide CSV files, one row per student and one column per assignment:

* **Canvas** (Grades > Export): ``Student, ID, SIS User ID, SIS Login ID, [Integration ID,]
  Section``, one column per assignment named ``Title (12345)``, then read-only totals
  (``Current Score``, ``Final Grade`` ... in the language of the export: ``Puntuación actual``,
  ``Note actuelle`` ...).  Under the header, an optional ``Manual Posting`` row and the
  ``    Points Possible`` row (each assignment's maximum; ``(read only)`` under the totals).
  ``EX`` is an excused assignment; a ``Student, Test`` row is Canvas's test student.
* **Google Classroom** (Grades > Download these grades as CSV): ``Last Name, First Name,
  Email Address``, optionally an overall-grade column, then one column per assignment; rows
  labelled ``Date`` / ``Points`` / ``Class average`` between the header and the students.

An *item map* (CSV or DataFrame) names each assignment by its Canvas id or its title and gives
``skill_id`` and optionally ``max_points``, ``skill_description``, ``proficiency_cut``,
``essential``, ``kind``, ``standard`` and ``assessment_id`` / ``date`` (several assignments may
form one assessment).  Assignments not in the map are reported and not read; without a map every
assignment is its own skill (a note says so).

Cells: a number (``8.5`` or ``8,5``) is the points; a blank is *not attempted*; ``EX`` /
``Excused`` is *excused*: no score row (out of the denominator, never a 0) and a warning in
``Dataset.rejected`` naming the cell; a student excused from every assignment of an assessment
is in the ``excused`` table (as OneRoster ``exempt`` results are), not absent.  Anything else is an
error naming the file, line, column and value.  Student names never appear in messages.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .dataset import Dataset
from .errors import REDACTED, PLCDataError, Problem
from .load_steps import Errors, finish_load
from .readers import (
    LINE,
    RawTable,
    csv_records,
    decode_bytes,
    not_csv_text,
    read_input_bytes,
    read_raw_csv,
    unreadable,
)
from .roster_match import join_roster
from .rules import TOLERANCE
from .schema import ASSESSMENT_KINDS, CFA_TABLES, TABLES
from .validation import REJECTED_COLUMNS, ValidationResult, validate_tables

__all__ = [
    "load_canvas_gradebook",
    "load_classroom_gradebook",
    "gradebook_kind",
    "EXCUSED_MARKS",
    "NOT_ATTEMPTED",
    "CANVAS_TOTAL_COLUMNS",
]

#: Cell marks meaning the student is excused from the assignment (any case).
EXCUSED_MARKS = frozenset({"ex", "excused", "exempt", "dispensado", "exento", "dispensé", "befreit", "isento"})
#: Cell marks meaning not attempted (like a blank): no points, counted as 0 earned.
NOT_ATTEMPTED = frozenset({"", "-", "missing"})
#: Canvas read-only totals by name, in the export languages seen (used when the points row is missing).
CANVAS_TOTAL_COLUMNS = frozenset(
    {
        # English
        "current score",
        "unposted current score",
        "final score",
        "unposted final score",
        "current grade",
        "unposted current grade",
        "final grade",
        "unposted final grade",
        "current points",
        "final points",
        "override score",
        "override grade",
        # Spanish
        "puntuación actual",
        "puntuación actual no publicada",
        "puntuación final",
        "puntuación final no publicada",
        "calificación actual",
        "calificación final",
        "calificación actual no publicada",
        "calificación final no publicada",
        # French
        "note actuelle",
        "note actuelle non publiée",
        "note finale",
        "note finale non publiée",
        "score actuel",
        "score final",
        # German
        "aktuelle punktzahl",
        "endpunktzahl",
        "aktuelle note",
        "endnote",
        # Portuguese
        "pontuação atual",
        "pontuação final",
        "nota atual",
        "nota final",
    }
)
_CANVAS_ASSIGNMENT = re.compile(r"^(?P<title>.*\S)\s*\((?P<id>\d+)\)$")
_CANVAS_TEST = {"student, test", "test student", "estudiante, prueba", "étudiant, test", "student, test-"}
_CANVAS_SECTION = {"section", "sección", "seccion", "section(s)", "abschnitt", "seção", "secao", "sections"}
_CLASSROOM_META = re.compile(r"^(date|due date|points|out of|points possible|max points|class average|average)$", re.I)
_CLASSROOM_TOTALS = {"overall", "overall grade", "average", "average grade", "total"}
_READ_ONLY = re.compile(r"^\(.*\)$")
_FILE_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})")
_CLASSROOM_DATE_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%b %d", "%B %d")
_ITEM_MAP_KEYS = ("assignment", "assignment_id", "item_id", "title", "id")


@dataclass
class _Assignment:
    column: int
    header: str
    title: str
    lms_id: str
    max_points: float | None = None
    date: str | None = None


@dataclass
class _Gradebook:
    """A gradebook as read: where things are, and what was set aside."""

    kind: str
    label: str
    header_line: int
    header: list[str]
    rows: list[tuple[int, list[str]]]
    assignments: list[_Assignment] = field(default_factory=list)
    name_cols: dict[str, int] = field(default_factory=dict)
    #: the student id column (Canvas SIS User ID, else ID; Classroom email address)
    id_col: int = 0
    fallback_id_col: int | None = None
    section_col: int | None = None
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    rows_json: dict[int, str] = field(default_factory=dict)
    #: other columns whose values stay out of rejected rows (login ids)
    private_cols: set = field(default_factory=set)
    #: whether the student ids are personal data (email addresses) to keep out of messages
    private_ids: bool = False

    def problem(
        self, line: int | None, column: str | None, value: str | None, reason: str, severity: str = "error"
    ) -> None:
        self.problems.append(Problem(self.label, line, column, value, reason, severity))

    def reject(self, line: int, column: str | None, value: str | None, reason: str, severity: str = "error") -> None:
        self.problem(line, column, value, reason, severity)
        self.rejected.append(
            {
                "file": self.label,
                "line": int(line),
                "severity": severity,
                "reason": f"{column}: {reason}" if column else reason,
                "row": self.rows_json.get(int(line), ""),
            }
        )

    def row_json(self, cells: list[str]) -> str:
        private = set(self.name_cols.values()) | self.private_cols | ({self.id_col} if self.private_ids else set())
        return json.dumps(
            {
                h: (REDACTED if i in private and cells[i].strip() else cells[i])
                for i, h in enumerate(self.header)
                if h and i < len(cells)
            },
            ensure_ascii=False,
        )


def _grid(path: Path) -> tuple[list[tuple[int, list[str]]], list[Problem]]:
    """The file's records with the line each starts on (the delimiter guessed: , ; or tab)."""
    data = read_input_bytes(path)
    if (why := not_csv_text(data)) is not None:
        raise unreadable(path.name, why)
    text, _encoding, problems = decode_bytes(data, path.name)
    counts = {d: text.split("\n", 1)[0].count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=lambda d: (counts[d], d == ","))
    rows = [(start, [c.strip() for c in record]) for start, _end, record in csv_records(text, path.name, delimiter)]
    return rows, problems


def _number(text: str) -> float | None:
    """Points as written: ``8.5``, ``8,5`` (decimal comma), ``10`` ; None when not a number."""
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    if re.fullmatch(r"[-+]?\d+,\d+", text):
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _fold(text: str) -> str:
    return " ".join(str(text).lower().split())


def gradebook_kind(path: str | Path) -> str | None:
    """``"canvas"``, ``"classroom"`` or None: which LMS export a CSV file is, from its header.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` file.

    Returns
    -------
    str or None
    """
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".tsv"):
        return None
    try:
        rows, _ = _grid(path)
    except (OSError, UnicodeError, csv.Error, PLCDataError):
        return None  # not readable as CSV text: the score-sheet loader says why
    if not rows:
        return None
    header = [_fold(c) for c in rows[0][1]]
    if any("sis user id" in h or "sis login id" in h or h.startswith("id de usuario de sis") for h in header):
        return "canvas"
    if len(header) > 2 and header[1] == "id" and any(_CANVAS_ASSIGNMENT.match(c) for c in rows[0][1]):
        return "canvas"
    ids = {re.sub(r"[^a-z0-9]", "", h) for h in header} & {"id", "studentid", "studentnumber", "localid", "sisid"}
    if {"last name", "first name"} <= set(header) and not ids:
        emails = {"email address", "email", "e-mail"} & set(header)
        meta = any(_CLASSROOM_META.match(cells[0].strip()) for _, cells in rows[1:4] if cells)
        if emails or meta:
            return "classroom"
    return None


# ---------------------------------------------------------------------------
# reading each export's layout
# ---------------------------------------------------------------------------
def _read_canvas(path: Path) -> _Gradebook:
    rows, problems = _grid(path)
    if not rows:
        raise PLCDataError([Problem(path.name, None, None, None, "the file is empty")], source=str(path))
    header_line, header = rows[0]
    book = _Gradebook("Canvas", path.name, header_line, header, [], problems=list(problems))
    folded = [_fold(h) for h in header]
    book.name_cols["name"] = 0
    sis = [i for i, h in enumerate(folded) if ("sis" in h and "user" in h) or h.startswith("id de usuario de sis")]
    ids = [i for i, h in enumerate(folded) if h == "id"]
    book.fallback_id_col = ids[0] if sis and ids else None
    if not (sis or ids):
        raise PLCDataError(
            [Problem(path.name, header_line, None, None, "no 'ID' or 'SIS User ID' column: not a Canvas gradebook")],
            source=str(path),
        )
    book.id_col = sis[0] if sis else ids[0]
    sections = [i for i, h in enumerate(folded) if h in _CANVAS_SECTION]
    book.section_col = sections[0] if sections else None
    identity = {0, *sis, *ids, *sections} | {i for i, h in enumerate(folded) if "sis" in h or "integration" in h}
    # login ids are often made of names: kept out of rejected rows like the names
    book.private_cols = {i for i, h in enumerate(folded) if "login" in h or "inicio de sesi" in h}
    body = rows[1:]
    points_row: list[str] | None = None
    id_cols = [c for c in (book.id_col, book.fallback_id_col) if c is not None]
    while body and not any(body[0][1][c].strip() if c < len(body[0][1]) else "" for c in id_cols):
        line, cells = body.pop(0)
        label = next((c.strip() for c in cells if c.strip()), "")
        if not any(c.strip() for c in cells):
            continue
        if points_row is None and any(_number(c) is not None for c in cells[1:]):
            points_row = cells
            book.notes.append(f"{book.label}: points possible read from line {line} ({label or 'unlabelled'})")
        else:
            book.notes.append(f"{book.label}: line {line} ({label}) is a header row, not a student; not read")
    book.rows = body
    totals = []
    canvas_ids = any(_CANVAS_ASSIGNMENT.match(t) for i, t in enumerate(header) if i not in identity)
    for index, text in enumerate(header):
        if index in identity or not text:
            continue
        below = points_row[index].strip() if points_row and index < len(points_row) else ""
        match = _CANVAS_ASSIGNMENT.match(text)
        # a total: "(read only)" under it, a known name, or (when assignments carry Canvas ids) no id
        if _READ_ONLY.match(below) or _fold(text) in CANVAS_TOTAL_COLUMNS or (canvas_ids and not match):
            totals.append(text)
            continue
        title, lms_id = (match["title"], match["id"]) if match else (text, "")
        book.assignments.append(_Assignment(index, text, title, lms_id, _number(below) if below else None))
    if totals:
        book.notes.append(
            f"{book.label}: {len(totals)} read-only total column(s) not read ({', '.join(repr(t) for t in totals)}); "
            "totals are recomputed from the assignments"
        )
    return book


def _read_classroom(path: Path) -> _Gradebook:
    rows, problems = _grid(path)
    if not rows:
        raise PLCDataError([Problem(path.name, None, None, None, "the file is empty")], source=str(path))
    header_line, header = rows[0]
    book = _Gradebook("Google Classroom", path.name, header_line, header, [], problems=list(problems))
    folded = [_fold(h) for h in header]
    for role, names in (("last", ("last name", "surname")), ("first", ("first name", "given name"))):
        found = [i for i, h in enumerate(folded) if h in names]
        if found:
            book.name_cols[role] = found[0]
    email = [i for i, h in enumerate(folded) if h in ("email address", "email", "e-mail")]
    if not email or len(book.name_cols) < 2:
        raise PLCDataError(
            [
                Problem(
                    path.name,
                    header_line,
                    None,
                    None,
                    "not a Google Classroom grades export: it needs 'Last Name', 'First Name' and 'Email Address'",
                )
            ],
            source=str(path),
        )
    book.id_col, book.private_ids = email[0], True
    identity = {book.id_col, *book.name_cols.values()}
    meta: dict[str, list[str]] = {}
    body = rows[1:]
    while body and (not any(body[0][1]) or _CLASSROOM_META.match(body[0][1][0].strip() if body[0][1] else "")):
        line, cells = body.pop(0)
        if not any(cells):
            continue
        label = _fold(cells[0])
        kind = "date" if "date" in label else "points" if label in ("points", "out of", "points possible") else "other"
        meta.setdefault(kind, cells)
        what = f"read as the assignments' {kind} row" if kind != "other" else "a summary row; not read"
        book.notes.append(f"{book.label}: line {line} ({cells[0]}) {what}")
    book.rows = body
    skipped = []
    for index, text in enumerate(header):
        if index in identity or not text:
            continue
        if _fold(text) in _CLASSROOM_TOTALS:
            skipped.append(text)
            continue
        points = meta.get("points", [])
        maximum = _number(points[index]) if index < len(points) and points[index] else None
        dates = meta.get("date", [])
        date = _classroom_date(dates[index]) if index < len(dates) and dates[index] else None
        book.assignments.append(_Assignment(index, text, text, "", maximum, date))
    if skipped:
        book.notes.append(
            f"{book.label}: column(s) {', '.join(repr(s) for s in skipped)} not read (overall grades are recomputed)"
        )
    book.notes.append(f"{book.label}: students are identified by their email address (pass roster= to match ids)")
    return book


def _classroom_date(text: str) -> str | None:
    text = text.strip()
    for form in _CLASSROOM_DATE_FORMATS:
        try:
            parsed = _dt.datetime.strptime(text, form)
        except ValueError:
            continue
        return parsed.date().isoformat() if "%Y" in form else None
    return None


# ---------------------------------------------------------------------------
# from a gradebook to canonical raw tables
# ---------------------------------------------------------------------------
def _read_item_map(item_map: str | Path | pd.DataFrame | None, path: Path) -> RawTable | None:
    if item_map is None:
        beside = path.with_name(f"{path.stem}_items.csv")
        if not beside.exists():
            return None
        item_map = beside
    if isinstance(item_map, pd.DataFrame):
        frame = item_map.astype("str").where(item_map.notna(), "").copy()
        frame[LINE] = range(2, len(frame) + 2)
        return RawTable("item_map", frame.reset_index(drop=True), [], "utf-8", "item map")
    return read_raw_csv(Path(item_map), name="item_map")


@dataclass
class _Item:
    assignment: _Assignment
    item_id: str
    assessment_id: str
    skill_id: str
    max_points: float | None
    line: int | None
    extra: dict


class _Builder:
    """Canonical raw tables from a gradebook and its item map."""

    def __init__(self, book: _Gradebook, options: dict) -> None:
        self.book = book
        self.o = options
        self.map_label = "item map"
        self.tables: dict[str, list[dict]] = {name: [] for name in (*CFA_TABLES, "excused")}
        self.items: list[_Item] = []

    def match_items(self, raw: RawTable | None) -> None:
        book, stem = self.book, self.o["assessment_id"]
        if raw is None:
            for a in book.assignments:
                item_id = a.lms_id or a.title
                self.items.append(_Item(a, item_id, stem, item_id, a.max_points, None, {"description": a.title}))
            book.notes.append(
                f"{book.label}: no item map (pass item_map= or put {Path(book.label).stem}_items.csv beside it): "
                "each assignment is its own skill"
            )
            return
        self.map_label = raw.label or "item map"
        frame = raw.frame.rename(columns={c: str(c).strip().lower() for c in raw.frame.columns if c != LINE})
        book.problems += raw.problems
        key = next((k for k in _ITEM_MAP_KEYS if k in frame.columns), None)
        if key is None or "skill_id" not in frame.columns:
            missing = "skill_id" if key else "assignment (an assignment id or title)"
            raise PLCDataError([Problem(self.map_label, 1, missing, None, "required column is missing")])
        by_id = {a.lms_id: a for a in book.assignments if a.lms_id}
        by_title: dict[str, list[_Assignment]] = {}
        for a in book.assignments:
            by_title.setdefault(_fold(a.title), []).append(a)
            by_title.setdefault(_fold(a.header), []).append(a)
        used: dict[int, int] = {}
        for record in frame.to_dict("records"):
            line, name = int(record[LINE]), str(record[key]).strip()
            found = [by_id[name]] if name in by_id else list({id(a): a for a in by_title.get(_fold(name), [])}.values())
            if not name:
                self.map_reject(line, key, None, "blank, but this column needs a value")
                continue
            if len(found) != 1:
                why = "matches no assignment column" if not found else f"matches {len(found)} assignment columns"
                self.map_reject(line, key, name, f"{why} of {book.label} (by Canvas id or title)")
                continue
            a = found[0]
            if a.column in used:
                self.map_reject(line, key, name, f"the assignment is already mapped on line {used[a.column]}")
                continue
            used[a.column] = line
            given = _number(str(record.get("max_points", "") or ""))
            if given is not None and a.max_points is not None and abs(given - a.max_points) > TOLERANCE:
                book.problem(
                    line,
                    "max_points",
                    record.get("max_points"),
                    f"the gradebook says {a.max_points:g} points for this assignment; the item map's value is used",
                    "warning",
                )
            assessment = str(record.get("assessment_id", "") or "").strip() or self.o["assessment_id"]
            item_id = a.lms_id or a.title
            extra = {
                k: str(record.get(k, "") or "").strip()
                for k in (
                    "skill_description",
                    "description",
                    "proficiency_cut",
                    "essential",
                    "kind",
                    "standard",
                    "date",
                )
            }
            self.items.append(
                _Item(a, item_id, assessment, str(record["skill_id"]).strip(), given or a.max_points, line, extra)
            )
        for a in book.assignments:
            if a.column not in used:
                book.problem(
                    book.header_line,
                    a.header,
                    None,
                    "assignment is not in the item map; its column was not read",
                    "warning",
                )

    def map_reject(self, line: int, column: str, value: str | None, reason: str) -> None:
        self.book.problems.append(Problem(self.map_label, line, column, value, reason))
        self.book.rejected.append(
            {"file": self.map_label, "line": line, "severity": "error", "reason": f"{column}: {reason}", "row": ""}
        )

    def structure(self) -> None:
        book, o = self.book, self.o
        line = book.header_line
        self.tables["schools"] = [{"school_id": o["school_id"], "name": o["school_id"], LINE: line}]
        self.tables["teams"] = [
            {
                "team_id": o["team_id"],
                "school_id": o["school_id"],
                "name": o["team_id"],
                "grade": "" if o["grade"] == "unknown" else o["grade"],
                LINE: line,
            }
        ]
        skills: dict[str, dict] = {}
        for item in self.items:
            description = item.extra.get("skill_description") or item.extra.get("description") or ""
            known = skills.get(item.skill_id)
            if known is None:
                skills[item.skill_id] = {
                    "skill_id": item.skill_id,
                    "description": description or item.skill_id,
                    "team_id": o["team_id"],
                    "essential": item.extra.get("essential", ""),
                    "proficiency_cut": item.extra.get("proficiency_cut", ""),
                    "standard": item.extra.get("standard", ""),
                    LINE: item.line or line,
                }
            elif description and known["description"] == item.skill_id:
                known["description"] = description
        self.tables["skills"] = list(skills.values())
        assessments: dict[str, dict] = {}
        for item in self.items:
            date = item.extra.get("date") or item.assignment.date
            found = assessments.setdefault(
                item.assessment_id,
                {
                    "assessment_id": item.assessment_id,
                    "team_id": o["team_id"],
                    "title": o["title"] if item.assessment_id == o["assessment_id"] else item.assessment_id,
                    "kind": o["kind"],
                    "dates": [],
                    LINE: item.line or line,
                },
            )
            if date:
                found["dates"].append(date)
            self.tables["items"].append(
                {
                    "assessment_id": item.assessment_id,
                    "item_id": item.item_id,
                    "skill_id": item.skill_id,
                    "max_points": "" if item.max_points is None else f"{item.max_points:.15g}",
                    "kind": item.extra.get("kind", ""),
                    LINE: item.line or line,
                }
            )
        for row in assessments.values():
            dates = row.pop("dates")
            row["date"] = o["date"] or (max(dates) if dates else o["file_date"] or "")
            if not row["date"]:
                book.problem(
                    None,
                    None,
                    None,
                    f"assessment {row['assessment_id']}: no date (none in the item map, the export or the file "
                    "name); pass date= (e.g. date='2025-10-03')",
                )
        self.tables["assessments"] = list(assessments.values())

    def students(self) -> list[dict]:
        book, o = self.book, self.o
        width = len(book.header)
        people, sections, absent = [], {}, []
        for number, cells in book.rows:
            cells = (cells + [""] * width)[:width]
            if not any(cells):
                continue
            book.rows_json[number] = book.row_json(cells)
            names = [cells[i] for i in book.name_cols.values()]
            full = ", ".join(n for n in names if n) if "last" in book.name_cols else names[0]
            student = cells[book.id_col].strip()
            id_header = book.header[book.id_col]
            shown = None if book.private_ids else student or None
            if _fold(full) in _CANVAS_TEST or _fold(" ".join(reversed(names))) in _CANVAS_TEST:
                book.reject(number, id_header, shown, "the LMS's test student; not read", "warning")
                continue
            if not student and book.fallback_id_col is not None and cells[book.fallback_id_col].strip():
                student = cells[book.fallback_id_col].strip()
                book.problem(
                    number,
                    id_header,
                    None,
                    f"no SIS User ID; the Canvas {book.header[book.fallback_id_col]!r} {student} is used",
                    "warning",
                )
            if not student:
                book.reject(number, id_header, None, "row has no student id; not read")
                continue
            section = cells[book.section_col].strip() if book.section_col is not None else ""
            section_id = section or f"{o['team_id']}-all"
            if section_id not in sections:
                sections[section_id] = number
                self.tables["sections"].append(
                    {
                        "section_id": section_id,
                        "teacher_id": f"{section_id}-teacher",
                        "team_id": o["team_id"],
                        "period": "",
                        "term": "",
                        LINE: number,
                    }
                )
                self.tables["teachers"].append(
                    {"teacher_id": f"{section_id}-teacher", "team_id": o["team_id"], "name": "", LINE: number}
                )
            first, last = self._names(cells)
            self.tables["students"].append(
                {"student_id": student, "grade": o["grade"], "first_name": first, "last_name": last, LINE: number}
            )
            self.tables["enrollments"].append({"student_id": student, "section_id": section_id, LINE: number})
            person = {"student_id": student, "first_name": first, "last_name": last, "file": book.label}
            people.append({**person, "line": number, "column": book.header[0], "row": book.rows_json[number]})
            scored, excused = 0, set()
            by_assessment: dict[str, list[bool]] = {}
            for item in self.items:
                value = cells[item.assignment.column].strip()
                is_excused = value.lower() in EXCUSED_MARKS
                by_assessment.setdefault(item.assessment_id, []).append(is_excused)
                scored += self._score(number, student, item, value)
            for assessment_id, marks in by_assessment.items():
                if all(marks):  # excused from the whole assessment: out of its denominators, not absent
                    excused.add(assessment_id)
                    reason = "excused (EX) on every assignment of the assessment"
                    self.tables["excused"].append(
                        {"student_id": student, "assessment_id": assessment_id, "reason": reason, LINE: number}
                    )
            if not scored and not excused:
                absent.append(student)
        if absent:
            listed = "" if book.private_ids else f": {', '.join(absent)}"
            book.notes.append(f"{len(absent)} student(s) with no score in any assignment{listed}")
        if book.section_col is None:
            book.notes.append("no section column: every student is in one section, so teachers cannot be compared")
        else:
            book.notes.append("sections come from the export; their teachers are unknown (one per section)")
        return people

    def _names(self, cells: list[str]) -> tuple[str, str]:
        cols = self.book.name_cols
        if "last" in cols:
            return cells[cols.get("first", cols["last"])] if "first" in cols else "", cells[cols["last"]]
        name = " ".join(cells[cols["name"]].split())
        if "," in name:
            last, first = (p.strip() for p in name.split(",", 1))
            return first, last
        parts = name.rsplit(" ", 1)
        return (parts[0], parts[1]) if len(parts) == 2 else ("", name)

    def _score(self, number: int, student: str, item: _Item, value: str) -> int:
        book, header = self.book, item.assignment.header
        value = value.strip()
        if value.lower() in EXCUSED_MARKS:
            book.reject(
                number, header, value, "excused: not counted (out of the denominator, not a 0)", severity="warning"
            )
            return 0
        points = ""
        if value.lower() not in NOT_ATTEMPTED:
            amount = _number(value)
            if amount is None:
                book.reject(number, header, value, "not a number (points), a blank (not attempted) or EX (excused)")
                return 0
            if amount < 0:
                book.reject(number, header, value, "points must be at least 0")
                return 0
            if item.max_points is not None and amount > item.max_points + TOLERANCE:
                book.problem(
                    number,
                    header,
                    value,
                    f"more than the assignment's points possible ({item.max_points:g}): extra credit is capped there",
                    "warning",
                )
                amount = item.max_points
            points = f"{amount:.15g}"
        self.tables["scores"].append(
            {
                "student_id": student,
                "assessment_id": item.assessment_id,
                "item_id": item.item_id,
                "points": points,
                LINE: number,
            }
        )
        return 1

    def raw_tables(self) -> dict[str, RawTable]:
        labels = {"items": self.map_label, "skills": self.map_label}
        out = {}
        for name in (*CFA_TABLES, "excused"):
            rows = self.tables[name]
            columns = list(TABLES[name].column_names)
            data = {c: pd.Series([str(r.get(c, "") or "") for r in rows], dtype="str") for c in columns}
            frame = pd.DataFrame(data, columns=columns)
            frame[LINE] = pd.Series([int(r[LINE]) for r in rows], dtype="int64")
            out[name] = RawTable(name, frame, [], "utf-8", labels.get(name, self.book.label))
        return out


def _redacted(book: _Gradebook, result: ValidationResult) -> ValidationResult:
    """Rejected rows of the gradebook shown as the gradebook's row (names redacted); own rejections added."""
    rejected = result.rejected.copy()
    if len(rejected):
        rejected["row"] = [
            book.rows_json.get(int(line), "") if file == book.label else row
            for file, line, row in zip(rejected["file"], rejected["line"], rejected["row"])
        ]
    private = {"first_name", "last_name"} | ({"student_id", book.header[book.id_col]} if book.private_ids else set())
    problems = [
        Problem(p.file, p.line, p.column, REDACTED, p.reason, p.severity) if p.column in private and p.value else p
        for p in result.problems
    ]
    own = pd.DataFrame(book.rejected, columns=REJECTED_COLUMNS)
    rejected = pd.concat([f for f in (own, rejected) if len(f)] or [own], ignore_index=True)
    rejected["line"] = rejected["line"].astype("Int64")
    rejected = rejected.sort_values(["file", "line"], kind="stable").reset_index(drop=True)
    return ValidationResult(result.tables, problems, rejected[REJECTED_COLUMNS])


def _load(
    book: _Gradebook,
    path: Path,
    *,
    item_map: str | Path | pd.DataFrame | None,
    team_id: str | None,
    school_id: str | None,
    assessment_id: str | None,
    title: str | None,
    date: str | _dt.date | None,
    kind: str,
    grade: str | None,
    errors: Errors,
    roster: Dataset | None,
) -> Dataset:
    if errors not in ("raise", "quarantine"):
        raise ValueError(f"errors must be 'raise' or 'quarantine', not {errors!r}")
    if kind not in ASSESSMENT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(ASSESSMENT_KINDS)}, not {kind!r}")
    stem = path.stem
    team = team_id or stem
    file_date = _FILE_DATE.search(path.name)
    options = {
        "team_id": team,
        "school_id": school_id or f"{team}-school",
        "assessment_id": assessment_id or stem,
        "title": title or stem,
        "date": None if date is None else pd.Timestamp(str(date)).date().isoformat(),
        "file_date": "-".join(file_date.groups()) if file_date else None,
        "kind": kind,
        "grade": grade or "unknown",
    }
    if not grade:
        book.notes.append("students' grade unknown (pass grade=, or a roster)")
    if not (team_id and school_id):
        book.notes.append(f"school and team ids {options['school_id']!r} / {team!r} (pass team_id= and school_id=)")
    builder = _Builder(book, options)
    builder.match_items(_read_item_map(item_map, path))
    if not builder.items:
        raise PLCDataError(
            [p for p in book.problems if p.severity == "error"]
            or [Problem(book.label, book.header_line, None, None, "no assignment column to read")],
            source=str(path),
        )
    builder.structure()
    people = builder.students()
    result = _redacted(book, validate_tables(builder.raw_tables(), extra_problems=book.problems))
    notes = (f"{book.kind} gradebook export", *book.notes)
    dataset = finish_load(result, source=str(path), errors=errors if roster is None else "quarantine", notes=notes)
    if roster is None:
        return dataset
    people = [p for p in people if p["student_id"] in set(dataset.students["student_id"])]
    frame = pd.DataFrame(people, columns=["student_id", "first_name", "last_name", "file", "line", "column", "row"])
    return join_roster(dataset, roster, errors=errors, people=frame, match_ids=book.kind == "Canvas")


_DOC_PARAMETERS = """
    item_map : str, Path or DataFrame, optional
        Columns ``assignment`` (or ``assignment_id`` / ``item_id`` / ``title``: a Canvas id such as
        ``12345``, a title, or the whole column header) and ``skill_id``; optionally
        ``max_points`` (default: the export's points row), ``skill_description``,
        ``proficiency_cut``, ``essential``, ``kind``, ``standard``, ``assessment_id`` (group
        assignments into assessments; default: one assessment for the file) and ``date``.
        Default: ``<stem>_items.csv`` beside the file, else every assignment is its own skill.
    team_id, school_id, assessment_id, title : str, optional
        Ids and the assessment title (default: from the file name stem).
    date : str or date, optional
        Assessment date (default: the item map's ``date``, the latest assignment date in the
        export, or a ``YYYY-MM-DD`` in the file name such as Canvas's
        ``2025-11-14T1030_Grades-Math_5.csv``).
    kind : str
        Assessment kind (``cfa``, ``unit``, ...).
    grade : str, optional
        Students' grade (default ``"unknown"``; a roster gives the real one).
    errors : {"raise", "quarantine"}
        See :func:`plc_analysis.load_dataset`.
    roster : Dataset, optional
        Match the students to a roster from another system (see
        :func:`plc_analysis.roster_match.join_roster`).

    Returns
    -------
    Dataset
        Canonical tables: one school and team; one section per export section (teacher
        unknown); ``students`` (``student_id, grade, first_name, last_name``) and
        ``enrollments``; ``skills`` and ``items`` (``assessment_id, item_id, skill_id,
        max_points, kind, key``; ``item_id`` is the Canvas id, or the title); ``assessments``;
        ``scores`` (``student_id, assessment_id, item_id, points``; NaN = not attempted);
        ``excused`` (``student_id, assessment_id, reason``): students excused (EX) from every
        assignment of an assessment.  Excused cells, the test student, and rows that are not students are in
        ``Dataset.rejected`` as warnings; every other rejected cell or row as an error.

    Raises
    ------
    PLCDataError
        With ``errors="raise"`` for any error (all listed at once); in either mode when the
        file is not such an export, or no assignment can be read.
"""


def load_canvas_gradebook(
    path: str | Path,
    *,
    item_map: str | Path | pd.DataFrame | None = None,
    team_id: str | None = None,
    school_id: str | None = None,
    assessment_id: str | None = None,
    title: str | None = None,
    date: str | _dt.date | None = None,
    kind: str = "cfa",
    grade: str | None = None,
    errors: Errors = "raise",
    roster: Dataset | None = None,
) -> Dataset:
    """Load a Canvas gradebook export (CSV) as a canonical dataset.

    Students are identified by ``SIS User ID`` (the district's id), else by the Canvas ``ID``
    (with a warning); totals columns (detected by ``(read only)`` in the points row, by
    following the assignments, or by name in English, Spanish, French, German or Portuguese)
    are not read; the ``Student, Test`` row is left out with a warning.

    Parameters
    ----------
    path : str or Path
        The export.
    """
    path = Path(path)
    return _load(
        _read_canvas(path),
        path,
        item_map=item_map,
        team_id=team_id,
        school_id=school_id,
        assessment_id=assessment_id,
        title=title,
        date=date,
        kind=kind,
        grade=grade,
        errors=errors,
        roster=roster,
    )


def load_classroom_gradebook(
    path: str | Path,
    *,
    item_map: str | Path | pd.DataFrame | None = None,
    team_id: str | None = None,
    school_id: str | None = None,
    assessment_id: str | None = None,
    title: str | None = None,
    date: str | _dt.date | None = None,
    kind: str = "cfa",
    grade: str | None = None,
    errors: Errors = "raise",
    roster: Dataset | None = None,
) -> Dataset:
    """Load a Google Classroom grades export (CSV) as a canonical dataset.

    Students are identified by their email address (Classroom exports carry no student id;
    with ``roster=`` they are matched to the roster by name); the ``Date`` / ``Points`` /
    ``Class average`` rows under the header give each assignment's date and maximum.

    Parameters
    ----------
    path : str or Path
        The export.
    """
    path = Path(path)
    return _load(
        _read_classroom(path),
        path,
        item_map=item_map,
        team_id=team_id,
        school_id=school_id,
        assessment_id=assessment_id,
        title=title,
        date=date,
        kind=kind,
        grade=grade,
        errors=errors,
        roster=roster,
    )


load_canvas_gradebook.__doc__ = (load_canvas_gradebook.__doc__ or "") + _DOC_PARAMETERS
load_classroom_gradebook.__doc__ = (load_classroom_gradebook.__doc__ or "") + _DOC_PARAMETERS
