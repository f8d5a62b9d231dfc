"""Load a OneRoster 1.1 or 1.2 CSV export (folder or zip) as a canonical :class:`Dataset`.

The converter reads every OneRoster file it uses with
:func:`plc_analysis.readers.read_raw_bytes`, maps the rows onto the canonical
tables as *raw strings* (each canonical row keeps the 1-based line of the
OneRoster row it came from, and the table is labelled with that file's name),
then validates them with :func:`plc_analysis.validation.validate_tables`.  So a
problem always names the file the user has (``results.csv``, line 14, column
``score``), never an intermediate table.

A row is left out only when the analysis cannot use it.  Something optional
that is missing never costs a row: the converter falls back (no course: a team
per course id, or per class title and subject; no teacher: a placeholder
teacher; no grade: the class's, else ``unknown``; no role column: roles from
``roles.csv``, else from enrollments; no due date: the next date the export
gives) and says so in one note per fallback.  The files are found and read by
:mod:`plc_analysis.oneroster_files`; score scales and dates are read by
:mod:`plc_analysis.oneroster_gradebook`.

What is left out, and why, is always reported:

* rows with ``status`` ``tobedeleted`` (or the OneRoster 1.0 ``inactive``)
  are excluded with a warning;
* rows that refer to something not in the export (a user, class, line item,
  org...) or to something that was itself left out are excluded with a
  warning: an interchange file with a dangling reference is common and should
  not refuse the whole export in ``errors="raise"`` mode;
* results submitted but not graded yet are excluded with a warning (exempt
  results are not left out: they are *excused*, see the ``excused`` table);
* rows that break a canonical rule (a non-numeric score, a score above the
  line item's maximum, a text score not on its scale...) are errors, raised
  or quarantined by :func:`plc_analysis.load_steps.finish_load`.

Every excluded row is in ``Dataset.rejected`` (its ``row`` is the OneRoster row
as JSON, with personal fields such as email or password redacted), so for each
converted file the loaded rows (and excused results) plus the rejected rows
account for every input row.  Rows that only give context (district orgs, categories, academic
sessions, enrollments of aides...) are summarised in ``Dataset.notes``.

Mapping (see :func:`load_oneroster` for the details):

========================  =====================================================
OneRoster                 canonical
========================  =====================================================
orgs (type ``school``)    schools
courses (× school)        teams (``team_by="course"``) or grade-level teams
classes                   sections (teacher = the primary teacher enrollment)
users (teacher)           teachers (one row per team they teach in)
users (student)           students (+ demographics.csv as subgroup columns)
enrollments (student)     enrollments
lineItems                 assessments, and one item per line item
learning objectives 1.2   skills; per-objective results become items
categories                skills when no learning objectives exist
results                   scores; exempt results: excused
score scales 1.2          a textScore read as the points its scale gives
========================  =====================================================
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .dataset import Dataset
from .errors import Problem
from .load_steps import Errors, finish_load
from .oneroster_files import (
    KNOWN_COLUMNS,
    ONEROSTER_FILES,
    Source,
    empty_source,
    is_true,
    normalise,
    pad_short_rows,
    read_export,
    split_list,
    true_flags,
)
from .oneroster_gradebook import ScoreScale, parse_score_scale, read_dates
from .oneroster_report import ConversionReport, References
from .readers import LINE, RawTable
from .schema import CFA_TABLES, TABLES, UNKNOWN_GRADE
from .validation import REJECTED_COLUMNS, ValidationResult, parse_bool, validate_tables

__all__ = ["load_oneroster", "TEAM_BY", "ONEROSTER_FILES", "ROSTER_ONLY_NOTE"]

#: Ways of forming teams: one per course and school, or one per grade and school.
TEAM_BY = ("course", "grade")
#: The note a roster-only export (no results) carries.
ROSTER_ONLY_NOTE = "roster only: no assessment results in this export"

_USED_FILES = frozenset(ONEROSTER_FILES[:17])
#: Files without which nothing can be loaded; every other file is optional (the converter falls back).
_REQUIRED_FILES = ("users",)
#: Files a roster is expected to have: a note says what the converter did without them.
_EXPECTED_FILES = ("orgs", "courses", "classes", "enrollments")
#: What the converter does when an expected file is missing or empty.
_WITHOUT_FILE = {
    "orgs": "each school is named by the id the classes give",
    "courses": "a team per course id the classes give (per class title and subject when they give none)",
    "classes": "no sections: students are loaded without a section",
    "enrollments": "no student is in a section and no class has a teacher",
}
#: Columns a file must have for the converter to use it.
_REQUIRED_COLUMNS = {
    "orgs": ("sourcedId", "name", "type"),
    "users": ("sourcedId",),
    "roles": ("userSourcedId", "role"),
    "courses": ("sourcedId",),
    "classes": ("sourcedId",),
    "enrollments": ("classSourcedId", "userSourcedId", "role"),
    "academicSessions": ("sourcedId", "title"),
    "demographics": ("sourcedId",),
    "categories": ("sourcedId", "title"),
    "lineItems": ("sourcedId", "classSourcedId", "title"),
    "results": ("lineItemSourcedId", "studentSourcedId"),
    "lineItemLearningObjectiveIds": ("lineItemSourcedId", "learningObjectiveId"),
    "resultLearningObjectiveIds": ("resultSourcedId", "learningObjectiveId"),
    "scoreScales": ("sourcedId", "scoreScaleValue"),
    "lineItemScoreScales": ("lineItemSourcedId", "scoreScaleSourcedId"),
    "resultScoreScales": ("resultSourcedId", "scoreScaleSourcedId"),
}
#: Files whose rows are entities with a sourcedId that others refer to.
_ENTITY_FILES = (
    "orgs",
    "academicSessions",
    "courses",
    "classes",
    "users",
    "categories",
    "lineItems",
    "results",
    "demographics",
    "scoreScales",
)
#: Demographic columns carried onto students as subgroups (booleans, except sex).
_DEMOGRAPHIC_FLAGS = (
    "americanIndianOrAlaskaNative",
    "asian",
    "blackOrAfricanAmerican",
    "nativeHawaiianOrOtherPacificIslander",
    "white",
    "demographicRaceTwoOrMoreRaces",
    "hispanicOrLatinoEthnicity",
)
_DELETED = ("tobedeleted", "inactive")
#: Assessment kind from words in a category title (checked in this order).
_KIND_WORDS = (
    ("reassessment", re.compile(r"re-?assess|retake|re-?test", re.I)),
    ("state", re.compile(r"\bstate\b", re.I)),
    ("cumulative", re.compile(r"cumulative", re.I)),
    ("practice", re.compile(r"practice", re.I)),
    ("unit", re.compile(r"\bunit\b", re.I)),
)
_OTHER_SKILL = "overall"
#: School id for classes that name none when the export has no single school to give them.
_UNKNOWN_SCHOOL = "unknown-school"
#: Prefix of the placeholder teacher id of a class with no teacher enrollment.
_NO_TEACHER = "no-teacher:"
#: Which OneRoster column a canonical column came from, per source file.
_SOURCE_COLUMNS = {
    "orgs.csv": {"school_id": "sourcedId"},
    "courses.csv": {
        "team_id": "sourcedId",
        "school_id": "orgSourcedId",
        "name": "title",
        "grade": "grades",
        "subject": "subjects",
    },
    "classes.csv": {
        "section_id": "sourcedId",
        "team_id": "courseSourcedId",
        "period": "periods",
        "term": "termSourcedIds",
    },
    "users.csv": {
        "student_id": "sourcedId",
        "teacher_id": "sourcedId",
        "grade": "grades",
        "first_name": "givenName",
        "last_name": "familyName",
    },
    "enrollments.csv": {"student_id": "userSourcedId", "section_id": "classSourcedId"},
    "lineItems.csv": {
        "assessment_id": "sourcedId",
        "item_id": "sourcedId",
        "team_id": "classSourcedId",
        "kind": "categorySourcedId",
        "date": "dueDate",
        "max_points": "resultValueMax",
        "skill_id": "categorySourcedId",
        "common_id": "title",
    },
    "results.csv": {
        "student_id": "studentSourcedId",
        "assessment_id": "lineItemSourcedId",
        "item_id": "lineItemSourcedId",
        "points": "score",
    },
    "resultLearningObjectiveIds.csv": {
        "student_id": "resultSourcedId",
        "assessment_id": "resultSourcedId",
        "item_id": "learningObjectiveId",
        "points": "score",
    },
}
#: Where each canonical table's rows come from, for messages about references.
_TABLE_SOURCES = {
    "schools": "orgs.csv",
    "teams": "courses.csv",
    "teachers": "users.csv",
    "sections": "classes.csv",
    "students": "users.csv",
    "assessments": "lineItems.csv",
    "items": "lineItems.csv",
    "skills": "lineItems.csv",
    "excused": "results.csv",
}


# ---------------------------------------------------------------------------
# the converter
# ---------------------------------------------------------------------------
class _Converter:
    def __init__(self, tables: dict[str, RawTable], others: list[str], *, team_by: str, proficiency_cut: float) -> None:
        self.report = ConversionReport()
        self.refs = References()
        self.team_by = team_by
        self.cut = proficiency_cut
        self.read_problems: list[Problem] = []
        self.src: dict[str, Source] = {}
        for name, raw in tables.items():
            padded = pad_short_rows(raw)
            if padded:
                label = raw.label or f"{name}.csv"
                self.report.notes.append(
                    f"{label}: {len(padded)} row(s) have fewer cells than the header; the missing trailing cells "
                    f"are read as blank (lines {_shown([str(n) for n in padded])})"
                )
            self.read_problems += raw.problems
            source = normalise(raw, name)
            self.src[name] = source
            self.report.add_source(source)
            self.refs.labels[name] = source.label
            self._reader_rejections(raw)
        for other in others:
            self.report.warn(other, None, None, None, "not a OneRoster CSV file; ignored")
        self.version = ""
        self.canonical: dict[str, list[dict]] = {name: [] for name in TABLES}
        self.labels: dict[str, str] = {}
        #: scores from a second file (per-objective results) validated in a second pass
        self.extra_scores: list[dict] = []
        #: what each fallback was applied to (kind -> ids), said in one note per kind at the end
        self.fallbacks: dict = defaultdict(list)
        self.fallbacks["promoted"] = {}

    # -- helpers ------------------------------------------------------------
    def _reader_rejections(self, raw: RawTable) -> None:
        """Rows the reader could not split keep a place in the rejected rows."""
        for problem in raw.problems:
            if problem.severity == "error" and problem.line is not None and problem.reason.startswith("row has"):
                self.report.rejected.append(
                    {
                        "file": problem.file,
                        "line": problem.line,
                        "severity": "error",
                        "reason": problem.reason,
                        "row": "",
                    }
                )

    def source(self, name: str) -> Source:
        if name not in self.src:
            self.src[name] = empty_source(name, f"{name}.csv")
            self.refs.labels.setdefault(name, f"{name}.csv")
        return self.src[name]

    def present(self, name: str) -> bool:
        return name in self.src and len(self.src[name]) > 0

    def exclude_rows(
        self,
        source: Source,
        mask: pd.Series | np.ndarray,
        column: str | None,
        reasons: str | pd.Series,
        values: pd.Series | None = None,
        entity: str | None = None,
        severity: str = "warning",
    ) -> None:
        """Exclude rows of ``source`` where ``mask``; ``reasons`` is a string or per-row Series."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        frame = source.frame
        keep = ~mask
        lines = frame[LINE].to_numpy()[mask]
        cells = (
            values if values is not None else source.col(column) if column else pd.Series("", index=frame.index)
        ).to_numpy()[mask]
        texts = reasons.to_numpy()[mask] if isinstance(reasons, pd.Series) else [reasons] * int(mask.sum())
        ids = source.col("sourcedId").to_numpy()[mask]
        for line, value, text, sid in zip(lines, cells, texts, ids):
            self.report.exclude(source.label, int(line), column, None if value == "" else str(value), text, severity)
            if entity and sid:
                self.refs.excluded[entity].setdefault(sid, f"{source.label} line {int(line)}")
        source.frame = frame.loc[keep].reset_index(drop=True)

    def ref_reasons(
        self,
        source: Source,
        column: str,
        entity: str,
        allowed: set[str] | None = None,
        not_allowed_reason: str = "{column} {value!r} is not one of the allowed values",
    ) -> pd.Series:
        """Per-row reason why ``column`` cannot be followed to ``entity`` ('' when it can)."""
        values = source.col(column)
        cache: dict[str, str] = {}

        def why(value: str) -> str:
            if value not in cache:
                reason = self.refs.problem(entity, value, column)
                if reason is None and allowed is not None and value not in allowed:
                    reason = not_allowed_reason.format(column=column, value=value)
                cache[value] = reason or ""
            return cache[value]

        return pd.Series([why(v) for v in values], index=source.frame.index, dtype="str")

    def drop_unfollowable(self, source: Source, column: str, entity: str, **kwargs: Any) -> None:
        reasons = self.ref_reasons(source, column, entity, **kwargs)
        self.exclude_rows(
            source, reasons != "", column, reasons, entity=source.name if source.name in _ENTITY_FILES else None
        )

    # -- steps ----------------------------------------------------------------
    def check_files(self) -> None:
        manifest = self.src.get("manifest")
        modes: dict[str, str] = {}
        if manifest is not None and len(manifest):
            props = dict(zip(manifest.col("propertyName").str.lower(), manifest.col("value")))
            self.version = props.get("oneroster.version") or props.get("manifest.version", "")
            for key, value in props.items():
                if key.startswith("file."):
                    modes[key[5:]] = value.strip().lower()
        elif manifest is None:
            self.report.notes.append("no manifest.csv: files read as found")
        deltas: list[str] = []
        for name in ONEROSTER_FILES[1:]:
            mode = modes.get(name.lower(), "")
            label = self.src[name].label if name in self.src else f"{name}.csv"
            if name in self.src:
                self.src[name].mode = mode
                if mode == "absent" and len(self.src[name]):
                    self.report.warn(
                        label,
                        None,
                        None,
                        "absent",
                        "manifest.csv says this file is absent, but it has rows; they were read",
                    )
                elif mode == "delta":
                    deltas.append(label)
            elif mode in ("bulk", "delta") and name not in _REQUIRED_FILES:
                self.report.warn(
                    label, None, None, mode, f"manifest.csv lists this file as {mode}, but it is not in the export"
                )
        if deltas:
            self.report.notes.append(
                f"manifest.csv marks {', '.join(deltas)} as delta (changes since an earlier export, not a full "
                "copy): only the rows in them are loaded, and references to rows of the earlier export cannot "
                "be followed"
            )
        for name in _REQUIRED_FILES:
            if name not in self.src:
                self.report.error(f"{name}.csv", None, None, None, "required OneRoster file is missing from the export")
        for name in _EXPECTED_FILES:
            if name not in self.src or not len(self.src[name]):
                mode = modes.get(name.lower(), "")
                said = f" (manifest.csv: {mode})" if mode else ""
                self.report.notes.append(f"no {name} in this export{said}: {_WITHOUT_FILE[name]}")
        unused = sorted(self.src[n].label for n in self.src if n not in _USED_FILES and len(self.src[n]))
        if unused:
            self.report.notes.append(f"OneRoster files not used by PLC Workbook: {', '.join(unused)}")
        renamed = [f"{s.label} {', '.join(s.renamed)}" for s in self.src.values() if s.renamed]
        if renamed:
            self.report.notes.append(f"columns read under their OneRoster names: {'; '.join(renamed)}")
        extra = []
        for source in self.src.values():
            others = [c for c in source.frame.columns if c != LINE and c not in KNOWN_COLUMNS]
            if others:
                shown = ", ".join(others[:4]) + (f" and {len(others) - 4} more" if len(others) > 4 else "")
                extra.append(f"{source.label} {shown}")
        if extra:
            self.report.notes.append(f"extra (vendor) columns not used: {'; '.join(extra)}")
        for name, required in _REQUIRED_COLUMNS.items():
            if name not in self.src:
                continue
            source = self.src[name]
            missing = [c for c in required if c not in source.frame]
            if not missing or list(source.frame.columns) == [LINE]:
                continue
            for column in missing:
                self.report.error(source.label, 1, column, None, "required column is missing from the header")
            self.exclude_rows(
                source,
                np.ones(len(source), dtype=bool),
                None,
                f"file lacks required column(s) {', '.join(missing)}",
                severity="error",
            )

    def check_status_and_ids(self) -> None:
        """Exclude tobedeleted rows and repeated or blank sourcedIds; record known ids."""
        for name in list(self.src):
            source = self.src[name]
            if name == "manifest" or not len(source):
                continue
            if name in _ENTITY_FILES and "sourcedId" in source.frame:
                ids = source.col("sourcedId")
                self.refs.known[name].update(ids[ids != ""])
            status = source.col("status").str.lower()
            deleted = status.isin(_DELETED)
            self.exclude_rows(
                source,
                deleted,
                "status",
                "the row is marked " + status + " and was left out",
                entity=name if name in _ENTITY_FILES else None,
            )
            status = source.col("status").str.lower()
            for line, value in zip(
                source.frame.loc[~status.isin(["", "active"]), LINE], source.col("status")[~status.isin(["", "active"])]
            ):
                self.report.warn(
                    source.label,
                    int(line),
                    "status",
                    value,
                    "unknown status (expected blank, active or tobedeleted); row kept",
                )
            if name not in _ENTITY_FILES or "sourcedId" not in source.frame:
                continue
            if name in ("results",):
                ids = source.col("sourcedId")
                blank = pd.Series(False, index=ids.index)
            else:
                ids = source.col("sourcedId")
                blank = ids == ""
                self.exclude_rows(source, blank, "sourcedId", "sourcedId is blank", severity="error")
                ids = source.col("sourcedId")
            repeated = ids.duplicated(keep="first") & (ids != "")
            if repeated.any():
                first = dict(zip(ids[~repeated & (ids != "")], source.frame.loc[~repeated & (ids != ""), LINE]))
                reasons = ids.map(
                    lambda v, first=first: f"sourcedId repeats line {first.get(v)}; the first row was used"
                )
                self.exclude_rows(source, repeated, "sourcedId", reasons, severity="error")

    def orgs(self) -> None:
        source = self.source("orgs")
        kind = source.col("type").str.lower()
        self.schools: dict[str, str] = {}
        #: every org: id -> (display name, type, line)
        self.org_info: dict[str, tuple[str, str, int]] = {}
        for sid, name, identifier, line, k in zip(
            source.col("sourcedId"), source.col("name"), source.col("identifier"), source.frame[LINE], kind
        ):
            self.org_info[sid] = (name or identifier or sid, k, int(line))
            if k == "school":
                name = self._label_or(name, identifier or sid, source.label, int(line), "name", "school")
                self.schools[sid] = name
                self.canonical["schools"].append({"school_id": sid, "name": name, LINE: line})
        self.labels["schools"] = source.label
        parents = source.col("parentSourcedId")
        for line, parent in zip(source.frame.loc[parents != "", LINE], parents[parents != ""]):
            reason = self.refs.problem("orgs", parent, "parentSourcedId")
            if reason:
                self.report.warn(source.label, int(line), "parentSourcedId", parent, reason + "; row kept")

    def _note_other_orgs(self) -> None:
        """Orgs that are neither schools nor named as a class's school: parents (district, state ...)."""
        source = self.source("orgs")
        others = Counter(k or "(blank type)" for sid, (_, k, _) in self.org_info.items() if sid not in self.schools)
        if others:
            listed = ", ".join(f"{n} {k}" for k, n in sorted(others.items()))
            self.report.notes.append(f"{source.label}: {listed} org(s) are parents, not schools")

    def _add_school(self, school: str, line: int) -> None:
        """A school for an id the classes give that is not an org of type school (the fallback is noted)."""
        if school in self.org_info:
            name, kind, line = self.org_info[school]
            self.fallbacks["promoted"].setdefault(kind or "(blank type)", []).append(school)
        elif school == _UNKNOWN_SCHOOL:
            name = "School not named in this export"
        else:
            name = school
            self.fallbacks["unnamed school"].append(school)
        self.schools[school] = name
        self.canonical["schools"].append({"school_id": school, "name": name, LINE: line})

    def sessions(self) -> None:
        source = self.source("academicSessions")
        self.terms = dict(zip(source.col("sourcedId"), source.col("title")))

    def courses(self) -> None:
        source = self.source("courses")
        self.course: dict[str, dict] = {}
        for sid, title, code, grades, subjects, org, line in zip(
            source.col("sourcedId"),
            source.col("title"),
            source.col("courseCode"),
            source.col("grades"),
            source.col("subjects"),
            source.col("orgSourcedId"),
            source.frame[LINE],
        ):
            title = self._label_or(title, code or sid, source.label, int(line), "title", "course")
            self.course[sid] = {
                "title": title,
                "grades": split_list(grades),
                "subjects": split_list(subjects),
                "org": org,
                "line": int(line),
            }
            if org:
                reason = self.refs.problem("orgs", org, "orgSourcedId")
                if reason:
                    self.report.warn(
                        source.label,
                        int(line),
                        "orgSourcedId",
                        org,
                        reason + "; the course's school is taken from its classes",
                    )

    def classes(self) -> None:
        """Every class is kept; a course or school the export does not describe is made from the class."""
        source = self.source("classes")
        # a class whose course or school was itself left out (tobedeleted ...) goes with it
        for column, entity in (("courseSourcedId", "courses"), ("schoolSourcedId", "orgs")):
            left = source.col(column).isin(list(self.refs.excluded[entity]))
            if left.any():
                reasons = self.ref_reasons(source, column, entity)
                self.exclude_rows(source, left, column, reasons, entity="classes")
        self.klass: dict[str, dict] = {}
        only_school = next(iter(self.schools)) if len(self.schools) == 1 else ""
        for sid, title, course, school, grades, subjects, periods, terms, line in zip(
            source.col("sourcedId"),
            source.col("title"),
            source.col("courseSourcedId"),
            source.col("schoolSourcedId"),
            source.col("grades"),
            source.col("subjects"),
            source.col("periods"),
            source.col("termSourcedIds"),
            source.frame[LINE],
        ):
            line = int(line)
            if not school:
                org = self.course.get(course, {}).get("org", "")
                school = (org if org in self.org_info else "") or only_school or _UNKNOWN_SCHOOL
                self.fallbacks["blank school"].append(sid)
            if school not in self.schools:
                self._add_school(school, line)
            blank_course = not course
            if blank_course:
                subject = ", ".join(split_list(subjects))
                course = f"{title or sid} ({subject})" if subject else title or sid
                self.fallbacks["blank course"].append(sid)
            if course not in self.course:
                self.course[course] = {
                    "title": title or course,
                    "grades": split_list(grades),
                    "subjects": split_list(subjects),
                    "org": school,
                    "line": line,
                    "made_from_classes": True,
                }
                if not blank_course:
                    self.fallbacks["unknown course"].append(course)
            elif self.course[course].get("made_from_classes"):
                made = self.course[course]
                made["grades"] = list(dict.fromkeys(made["grades"] + split_list(grades)))
                made["subjects"] = list(dict.fromkeys(made["subjects"] + split_list(subjects)))
                if title and made["title"] != title:
                    made["title"] = _shared_title(made["title"], title) or course
            labels = []
            for term in split_list(terms):
                reason = self.refs.problem("academicSessions", term, "termSourcedIds")
                if reason and self.present("academicSessions"):
                    self.report.warn(
                        source.label, line, "termSourcedIds", term, reason + "; the term is shown by its id"
                    )
                labels.append(term if reason else self.terms.get(term) or term)
            self.klass[sid] = {
                "course": course,
                "school": school,
                "grades": split_list(grades),
                "period": ", ".join(split_list(periods)),
                "term": ", ".join(labels),
                "line": line,
            }
        self._note_other_orgs()

    def users(self) -> None:
        source = self.source("users")
        self.user: dict[str, dict] = {}
        roles_by_user: dict[str, list[tuple[str, str]]] = defaultdict(list)
        roles = self.src.get("roles")
        if roles is not None and len(roles):
            self.drop_unfollowable(roles, "userSourcedId", "users")
            for user, role, kind in zip(roles.col("userSourcedId"), roles.col("role"), roles.col("roleType")):
                roles_by_user[user].append((role.lower(), kind.lower()))
        for sid, role, given, family, grades, line in zip(
            source.col("sourcedId"),
            source.col("role"),
            source.col("givenName"),
            source.col("familyName"),
            source.col("grades"),
            source.frame[LINE],
        ):
            role = role.lower()
            if not role and roles_by_user.get(sid):
                listed = roles_by_user[sid]
                primary = [r for r, kind in listed if kind == "primary"]
                found = {r for r, _ in listed}
                role = (
                    "student"
                    if "student" in found
                    else "teacher"
                    if "teacher" in found
                    else (primary[0] if primary else listed[0][0])
                )
                self.fallbacks["role from roles"].append(sid)
            self.user[sid] = {
                "role": role,
                "given": given,
                "family": family,
                "grades": split_list(grades),
                "line": int(line),
            }

    def enrollments(self) -> None:
        """Student and teacher enrollments; the enrollment's role says what the user is in that class."""
        source = self.source("enrollments")
        self.drop_unfollowable(source, "classSourcedId", "classes")
        self.drop_unfollowable(source, "userSourcedId", "users")
        role = source.col("role").str.lower()
        # Users without a role (1.2 without roles.csv): the enrollment says what they are.
        for user, r in zip(source.col("userSourcedId"), role):
            if self.user[user]["role"] == "" and r in ("student", "teacher"):
                self.user[user]["role"] = r
                self.fallbacks["role from enrollments"].append(user)
        user_role = source.col("userSourcedId").map(lambda u: self.user[u]["role"])
        self.also_student: set[str] = set(source.col("userSourcedId")[(role == "student") & (user_role != "student")])
        also_teacher = set(source.col("userSourcedId")[(role == "teacher") & (user_role == "student")])
        for user in sorted(self.also_student):
            self.fallbacks[f"{self.user[user]['role'] or '(no role)'} enrolled as student"].append(user)
        for user in sorted(also_teacher):
            self.fallbacks["student enrolled as teacher"].append(user)
        other = Counter(r or "(blank)" for r in role if r not in ("student", "teacher"))
        if other:
            listed = ", ".join(f"{n} {r}" for r, n in sorted(other.items()))
            self.report.notes.append(
                f"{source.label}: {listed} enrollment(s) not used (only students and teachers are)"
            )
        self.teacher_enr: dict[str, list[dict]] = defaultdict(list)
        for cls, user, r, primary, line in zip(
            source.col("classSourcedId"), source.col("userSourcedId"), role, source.col("primary"), source.frame[LINE]
        ):
            if r == "teacher":
                self.teacher_enr[cls].append({"user": user, "primary": is_true(primary), "line": int(line)})

    def sections(self) -> None:
        """Each class becomes a section (one with no teacher enrollment gets a placeholder teacher)."""
        enrollments = self.source("enrollments")
        # Teams.
        schools_of_course: dict[str, set[str]] = defaultdict(set)
        for info in self.klass.values():
            schools_of_course[info["course"]].add(info["school"])
        self.team_of: dict[str, str] = {}
        teams: dict[str, dict] = {}
        for cls, info in self.klass.items():
            course = self.course[info["course"]]
            team_id, row = self._team(
                info["course"], course, info["school"], len(schools_of_course[info["course"]]) > 1
            )
            self.team_of[cls] = team_id
            if team_id not in teams:
                teams[team_id] = row
            elif self.team_by == "grade":
                known = teams[team_id]["subject"].split(", ") if teams[team_id]["subject"] else []
                teams[team_id]["subject"] = ", ".join(dict.fromkeys(known + course["subjects"]))
        self.canonical["teams"] = list(teams.values())
        self.labels["teams"] = self.source("courses").label
        unused = [c for c in self.course if c not in schools_of_course]
        if unused:
            shown = ", ".join(unused[:10]) + (" ..." if len(unused) > 10 else "")
            self.report.notes.append(
                f"{len(unused)} course(s) have no usable classes in this export and form no team: {shown}"
            )
        # Sections.
        self.section_teacher: dict[str, str] = {}
        self.team_members: dict[str, list[str]] = defaultdict(list)
        label = enrollments.label
        self.placeholders: dict[str, dict] = {}
        for cls, info in self.klass.items():
            teachers = self.teacher_enr[cls]
            if not teachers:
                placeholder = f"{_NO_TEACHER}{cls}"
                self.placeholders[placeholder] = {"team": self.team_of[cls], "line": info["line"]}
                teachers = [{"user": placeholder, "primary": True, "line": info["line"]}]
                self.fallbacks["no teacher"].append(cls)
            primaries = [t for t in teachers if t["primary"]]
            chosen = primaries[0] if primaries else teachers[0]
            if len(primaries) > 1:
                self.report.warn(
                    label,
                    chosen["line"],
                    "primary",
                    "true",
                    f"class {cls} has {len(primaries)} primary teachers; the first "
                    f"({chosen['user']}) is the section's teacher, the others are on the team",
                )
            elif not primaries and len(teachers) > 1:
                self.report.warn(
                    label,
                    chosen["line"],
                    "primary",
                    None,
                    f"class {cls} has {len(teachers)} teachers and none is primary; the first "
                    f"({chosen['user']}) is the section's teacher, the others are on the team",
                )
            self.section_teacher[cls] = chosen["user"]
            for t in teachers:
                if t["user"] not in self.placeholders:
                    self.team_members[t["user"]].append(self.team_of[cls])
            self.canonical["sections"].append(
                {
                    "section_id": cls,
                    "teacher_id": chosen["user"],
                    "team_id": self.team_of[cls],
                    "period": info["period"],
                    "term": info["term"],
                    LINE: info["line"],
                }
            )
        self.labels["sections"] = self.source("classes").label

    def _label_or(self, text: str, fallback: str, file: str, line: int, column: str, what: str) -> str:
        """A display name, or ``fallback`` (with a warning) when it is blank."""
        if text:
            return text
        self.report.warn(file, line, column, None, f"the {what} has no {column}; {fallback!r} is shown instead")
        return fallback

    def _once(self, key: str) -> bool:
        seen = self.__dict__.setdefault("_warned", set())
        if key in seen:
            return False
        seen.add(key)
        return True

    def _team(self, course_id: str, course: dict, school: str, several_schools: bool) -> tuple[str, dict]:
        if self.team_by == "grade" and course["grades"]:
            grade = course["grades"][0]
            team_id = f"{school}-grade-{grade}"
            row = {
                "team_id": team_id,
                "school_id": school,
                "name": f"Grade {grade}",
                "grade": grade,
                "subject": ", ".join(course["subjects"]),
                LINE: course["line"],
            }
            if len(course["grades"]) > 1 and self._once(course_id):
                self.report.warn(
                    self.source("courses").label,
                    course["line"],
                    "grades",
                    ",".join(course["grades"]),
                    f"course spans grades {', '.join(course['grades'])}; its classes join the grade {grade} team",
                )
            return team_id, row
        if self.team_by == "grade" and self._once(course_id):
            self.report.warn(
                self.source("courses").label,
                course["line"],
                "grades",
                None,
                "course has no grades, so its classes form a course team instead of a grade team",
            )
        team_id = f"{course_id}@{school}" if several_schools else course_id
        name = f"{course['title']} ({self.schools.get(school, school)})" if several_schools else course["title"]
        return team_id, {
            "team_id": team_id,
            "school_id": school,
            "name": name,
            "grade": ", ".join(course["grades"]),
            "subject": ", ".join(course["subjects"]),
            LINE: course["line"],
        }

    def people(self) -> None:
        users = self.source("users")
        label = users.label
        # Teachers: one row per team they teach in.
        placed: set[str] = set()
        for user, teams in self.team_members.items():
            info = self.user[user]
            for team in dict.fromkeys(teams):
                self.canonical["teachers"].append(
                    {
                        "teacher_id": user,
                        "team_id": team,
                        "name": f"{info['given']} {info['family']}".strip(),
                        LINE: info["line"],
                    }
                )
            placed.add(user)
        for placeholder, where in self.placeholders.items():
            self.canonical["teachers"].append(
                {"teacher_id": placeholder, "team_id": where["team"], "name": "", LINE: where["line"]}
            )
        self.labels["teachers"] = label
        unplaced = users.col("sourcedId").map(
            lambda u: self.user[u]["role"] == "teacher" and u not in placed and u not in self.also_student
        )
        self.exclude_rows(
            users,
            unplaced,
            "sourcedId",
            "teacher has no teacher enrollment in a class of this export, so belongs to no team",
            entity=None,
        )
        # Students.
        enrollments = self.source("enrollments")
        student_rows = enrollments.col("role").str.lower() == "student"
        classes_of: dict[str, list[str]] = defaultdict(list)
        for user, cls, line in zip(
            enrollments.col("userSourcedId")[student_rows],
            enrollments.col("classSourcedId")[student_rows],
            enrollments.frame.loc[student_rows, LINE],
        ):
            classes_of[user].append(cls)
            self.canonical["enrollments"].append({"student_id": user, "section_id": cls, LINE: line})
        self.labels["enrollments"] = enrollments.label
        self.enrolled_teams: dict[str, set[str]] = {
            user: {self.team_of[c] for c in classes} for user, classes in classes_of.items()
        }
        demographics = self._demographics()
        other_roles: Counter = Counter()
        for sid, info in self.user.items():
            if sid in self.refs.excluded["users"]:
                continue
            if info["role"] != "student" and sid not in self.also_student:
                if info["role"] != "teacher":
                    other_roles[info["role"] or "(blank)"] += 1
                continue
            grade = info["grades"][0] if info["grades"] else ""
            if not grade:
                grades = {g for c in classes_of.get(sid, []) for g in self._single_grade(c)}
                grade = grades.pop() if len(grades) == 1 else UNKNOWN_GRADE
                self.fallbacks["grade from classes" if grade != UNKNOWN_GRADE else "grade unknown"].append(sid)
            row = {
                "student_id": sid,
                "grade": grade,
                "first_name": info["given"],
                "last_name": info["family"],
                LINE: info["line"],
            }
            row.update(demographics.get(sid, {}))
            self.canonical["students"].append(row)
        self.labels["students"] = label
        if other_roles:
            listed = ", ".join(f"{n} {r}" for r, n in sorted(other_roles.items()))
            self.report.notes.append(f"{label}: {listed} user(s) are neither students nor teachers and are not used")

    def _single_grade(self, cls: str) -> list[str]:
        """The one grade a class (else its course) is for; empty when it spans several or gives none."""
        info = self.klass[cls]
        grades = info["grades"] or self.course[info["course"]]["grades"]
        return grades if len(grades) == 1 else []

    def _demographics(self) -> dict[str, dict[str, str]]:
        source = self.src.get("demographics")
        if source is None or not len(source):
            return {}
        self.drop_unfollowable(source, "sourcedId", "users")
        columns = [c for c in (*_DEMOGRAPHIC_FLAGS, "sex") if c in source.frame and (source.col(c) != "").any()]
        students = source.col("sourcedId").map(lambda u: self.user[u]["role"] == "student").astype(bool)
        not_students = int((~students).sum())
        frame = source.frame.loc[students.to_numpy()]
        values: dict[str, list[str]] = {}
        for column in columns:
            if column == "sex":
                values[column] = frame[column].str.lower().tolist()
                continue
            parsed, bad = parse_bool(frame[column])
            for line, value in zip(frame.loc[bad, LINE], frame.loc[bad, column]):
                self.report.warn(
                    source.label, int(line), column, value, "not a true/false value; left blank for this student"
                )
            values[column] = ["" if pd.isna(v) else ("true" if v else "false") for v in parsed]
        found = {
            sid: {column: values[column][position] for column in columns}
            for position, sid in enumerate(frame["sourcedId"])
        }
        if not_students:
            self.report.notes.append(
                f"{source.label}: {not_students} row(s) describe users who are not students and are not used"
            )
        return found

    # -- gradebook ----------------------------------------------------------------
    def line_items(self) -> None:
        source = self.source("lineItems")
        self.drop_unfollowable(source, "classSourcedId", "classes")
        categories = self.source("categories")
        self.category = dict(zip(categories.col("sourcedId"), categories.col("title")))
        self.item: dict[str, dict] = {}
        dates = self._line_item_dates(source)
        for sid, title, cls, category, (date, date_column), maximum, minimum, line in zip(
            source.col("sourcedId"),
            source.col("title"),
            source.col("classSourcedId"),
            source.col("categorySourcedId"),
            dates,
            source.col("resultValueMax"),
            source.col("resultValueMin"),
            source.frame[LINE],
        ):
            line = int(line)
            title = self._label_or(title, sid, source.label, line, "title", "line item")
            kind = "cfa"
            if category:
                reason = self.refs.problem("categories", category, "categorySourcedId")
                if reason:
                    self.report.warn(
                        source.label,
                        line,
                        "categorySourcedId",
                        category,
                        reason + "; the line item is read as a cfa with no category",
                    )
                    category = ""
                else:
                    for name, pattern in _KIND_WORDS:
                        if pattern.search(self.category.get(category, "")):
                            kind = name
                            break
            if date_column != "dueDate":
                self.report.column_at[(source.label, line, "date")] = date_column
            if not maximum:
                scale = self.scales.get(self.scale_of_item.get(sid, ""))
                if scale is not None and scale.maximum:
                    maximum = _number_text(scale.maximum)
                    self.fallbacks["maximum from scale"].append(sid)
                else:
                    maximum = "100"
                    self.fallbacks["maximum 100"].append(sid)
            if minimum and _to_float(minimum) not in (None, 0.0):
                self.report.warn(
                    source.label,
                    line,
                    "resultValueMin",
                    minimum,
                    "resultValueMin is not 0; scores are read as points from 0",
                )
            team = self.team_of[cls]
            self.item[sid] = {
                "title": title,
                "class": cls,
                "team": team,
                "category": category,
                "kind": kind,
                "date": date,
                "max": maximum,
                "line": line,
            }
        # Same title in several classes of one team: a common assessment.
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for sid, info in self.item.items():
            groups[(info["team"], " ".join(info["title"].lower().split()))].append(sid)
        for (team, title), members in groups.items():
            first_title = " ".join(self.item[members[0]]["title"].split())
            common = f"{team}/{first_title}" if len(members) > 1 and title else ""
            for sid in members:
                self.item[sid]["common"] = common
        for sid, info in self.item.items():
            self.canonical["assessments"].append(
                {
                    "assessment_id": sid,
                    "team_id": info["team"],
                    "title": info["title"],
                    "kind": info["kind"],
                    "date": info["date"],
                    "unit": "",
                    "common_id": info["common"],
                    LINE: info["line"],
                }
            )
        self.labels["assessments"] = source.label

    def _line_item_dates(self, source: Source) -> list[tuple[str, str]]:
        """Each line item's date and the column it came from: dueDate, else assignDate, else its results'
        first scoreDate, else dateLastModified, else the latest of its class's (else the export's) other
        line items; each read in any readable form (one note per fallback)."""
        readings = {}
        for column in ("dueDate", "assignDate"):
            reading = read_dates(source.col(column))
            readings[column] = reading
            if reading.order != "iso":
                odd = source.col(column)[source.col(column).str.contains("/", regex=False)]
                how = "month/day/year (no day above 12 says otherwise)" if reading.ambiguous else reading.order
                self.report.notes.append(f"{source.label}: {column} dates such as {odd.iloc[0]!r} read as {how}")
        undated = (readings["dueDate"].iso == "") & (readings["assignDate"].iso == "")
        first_scored: dict[str, str] = {}
        if undated.any():  # only then are the results' dates needed (a district's results.csv is long)
            results = self.source("results")
            wanted = results.col("lineItemSourcedId").isin(list(source.col("sourcedId")[undated]))
            score_dates = read_dates(results.col("scoreDate")[wanted]).iso
            first_scored = (
                pd.DataFrame({"item": results.col("lineItemSourcedId")[wanted], "date": score_dates})
                .query("date != ''")
                .groupby("item")["date"]
                .min()
                .to_dict()
            )
        modified = read_dates(source.col("dateLastModified")).iso
        found = []
        for position, sid in enumerate(source.col("sourcedId")):
            line = int(source.frame[LINE].iloc[position])
            for column in ("dueDate", "assignDate"):
                reading = readings[column]
                if reading.unreadable.iloc[position]:
                    self.report.warn(
                        source.label,
                        line,
                        column,
                        source.col(column).iloc[position],
                        "not a date; the next date the export gives is used",
                    )
            due, assign = readings["dueDate"].iso.iloc[position], readings["assignDate"].iso.iloc[position]
            if due:
                found.append((due, "dueDate"))
            elif assign:
                found.append((assign, "assignDate"))
            elif first_scored.get(sid):
                found.append((first_scored[sid], "dueDate"))
                self.fallbacks["date from scoreDate"].append(sid)
            elif modified.iloc[position]:
                found.append((modified.iloc[position], "dueDate"))
                self.fallbacks["date from dateLastModified"].append(sid)
            else:
                found.append(("", "dueDate"))
        # none at all: the latest date of the class's other line items, else of the export's
        by_class: dict[str, str] = {}
        for (date, _), cls in zip(found, source.col("classSourcedId")):
            if date:
                by_class[cls] = max(by_class.get(cls, ""), date)
        latest = max(by_class.values(), default="")
        for position, ((date, _), sid, cls) in enumerate(
            zip(list(found), source.col("sourcedId"), source.col("classSourcedId"))
        ):
            if not date and (by_class.get(cls) or latest):
                found[position] = (by_class.get(cls) or latest, "dueDate")
                self.fallbacks["date from other line items"].append(sid)
        return found

    def objectives(self) -> None:
        """Learning objectives linked to line items (1.2), and per-objective results."""
        links = self.src.get("lineItemLearningObjectiveIds")
        self.links: dict[str, list[str]] = defaultdict(list)
        if links is not None and len(links):
            self.drop_unfollowable(links, "lineItemSourcedId", "lineItems")
            pair = links.col("lineItemSourcedId") + "\x1f" + links.col("learningObjectiveId")
            repeated = pair.duplicated(keep="first")
            self.exclude_rows(
                links, repeated, "learningObjectiveId", "the same line item and learning objective are linked twice"
            )
            blank = links.col("learningObjectiveId") == ""
            self.exclude_rows(links, blank, "learningObjectiveId", "learningObjectiveId is blank", severity="error")
            for item, objective in zip(links.col("lineItemSourcedId"), links.col("learningObjectiveId")):
                self.links[item].append(objective)

    def results(self) -> None:
        source = self.source("results")
        label = source.label
        self.drop_unfollowable(source, "lineItemSourcedId", "lineItems")
        students = {u for u, info in self.user.items() if info["role"] == "student"} | self.also_student
        self.drop_unfollowable(
            source,
            "studentSourcedId",
            "users",
            allowed=students,
            not_allowed_reason="{column} {value!r} is not a student in users.csv",
        )
        item = source.col("lineItemSourcedId")
        student = source.col("studentSourcedId")
        teams = item.map(lambda i: self.item[i]["team"])
        enrolled = pd.Series(
            [t in self.enrolled_teams.get(s, ()) for s, t in zip(student, teams)], index=source.frame.index, dtype=bool
        )
        reasons = (
            "student "
            + student
            + " has no enrollment in a class of team "
            + teams
            + " (line item's class "
            + item.map(lambda i: self.item[i]["class"])
            + ") in this export"
        )
        self.exclude_rows(source, ~enrolled, "studentSourcedId", reasons, entity="results")
        self.exempt_results(source)
        self.text_scores(source, "results")
        rlo = self.src.get("resultLearningObjectiveIds")
        ids_with_objectives = set(rlo.col("resultSourcedId")) - {""} if rlo is not None else set()
        has_objectives = source.col("sourcedId").isin(list(ids_with_objectives))
        status = source.col("scoreStatus").str.lower()
        score = source.col("score")
        ungraded = (
            ~has_objectives
            & (score == "")
            & (
                status.isin(["submitted", "partially graded"])
                | true_flags(source.col("inProgress"))
                | true_flags(source.col("incomplete"))
            )
        )
        self.exclude_rows(
            source,
            ungraded,
            "scoreStatus",
            "submitted but not graded yet (no score); left out until it is graded",
            entity="results",
        )
        has_objectives = source.col("sourcedId").isin(list(ids_with_objectives))
        status = source.col("scoreStatus").str.lower()
        score = source.col("score")
        blank_points = (status == "not submitted") | true_flags(source.col("missing"))
        text_only = ~has_objectives & (score == "") & (source.col("textScore") != "") & ~blank_points
        self.exclude_rows(
            source,
            text_only,
            "textScore",
            "only a text score, no numeric score, and no score scale to read it on; it cannot be counted as points",
            values=source.col("textScore"),
            entity="results",
        )
        self.per_objective_results()
        source = self.source("results")
        status = source.col("scoreStatus").str.lower()
        missing = true_flags(source.col("missing"))
        blank_points = (status == "not submitted") | missing
        ignored = blank_points & (source.col("score") != "") & (source.col("score").map(_to_float) != 0.0)
        for line, value, why in zip(source.frame.loc[ignored, LINE], source.col("score")[ignored], missing[ignored]):
            self.report.warn(
                label,
                int(line),
                "score",
                value,
                ("missing is true" if why else "scoreStatus is 'not submitted'")
                + "; the score is ignored and the work counted as not attempted",
            )
        items_of = self.items_of
        lo_scored = self.lo_scored
        for sid, lineitem, student, points_text, blank, line in zip(
            source.col("sourcedId"),
            source.col("lineItemSourcedId"),
            source.col("studentSourcedId"),
            source.col("score"),
            blank_points,
            source.frame[LINE],
        ):
            points = "" if blank else points_text
            if lineitem in lo_scored:
                if sid and sid in self.lo_rows and not blank:
                    continue  # its per-objective scores stand for it (see resultLearningObjectiveIds.csv)
                for objective in items_of[lineitem]:
                    self.canonical["scores"].append(
                        {
                            "student_id": student,
                            "assessment_id": lineitem,
                            "item_id": f"{lineitem}:{objective}",
                            "points": points,
                            LINE: line,
                        }
                    )
                continue
            self.canonical["scores"].append(
                {"student_id": student, "assessment_id": lineitem, "item_id": lineitem, "points": points, LINE: line}
            )
        self.labels["scores"] = label

    def exempt_results(self, source: Source) -> None:
        """Exempt results are loaded as ``excused`` rows: out of the denominators, never a 0, never absent."""
        exempt = (source.col("scoreStatus").str.lower() == "exempt").to_numpy()
        self.exempt_lines: dict[str, int] = {}
        if not exempt.any():
            return
        frame = source.frame[exempt]
        for sid, lineitem, student, score, line in zip(
            source.col("sourcedId")[exempt],
            source.col("lineItemSourcedId")[exempt],
            source.col("studentSourcedId")[exempt],
            source.col("score")[exempt],
            frame[LINE],
        ):
            self.canonical["excused"].append(
                {"student_id": student, "assessment_id": lineitem, "reason": "scoreStatus exempt", LINE: line}
            )
            if sid:
                self.exempt_lines[sid] = int(line)
            if score:
                self.fallbacks["exempt score ignored"].append(sid or f"line {int(line)}")
        source.frame = source.frame[~exempt].reset_index(drop=True)
        self.labels["excused"] = source.label

    def score_scales(self) -> None:
        """1.2 score scales, and which line items and results they score."""
        source = self.source("scoreScales")
        self.scales: dict[str, ScoreScale] = {}
        by_class: dict[str, set[str]] = defaultdict(set)
        by_course: dict[str, set[str]] = defaultdict(set)
        for sid, value, cls, course, line in zip(
            source.col("sourcedId"),
            source.col("scoreScaleValue"),
            source.col("classSourcedId"),
            source.col("courseSourcedId"),
            source.frame[LINE],
        ):
            scale = parse_score_scale(sid, value)
            self.scales[sid] = scale
            if not scale.points:
                self.report.warn(
                    source.label,
                    int(line),
                    "scoreScaleValue",
                    value,
                    "maps no text score to a number (expected {text:number} pairs); text scores on it cannot count",
                )
            for target, key in ((by_class, cls), (by_course, course)):
                for one in split_list(key):
                    target[one].add(sid)
        self.scale_of_class = {k: next(iter(v)) for k, v in by_class.items() if len(v) == 1}
        self.scale_of_course = {k: next(iter(v)) for k, v in by_course.items() if len(v) == 1}
        self.scale_of_item: dict[str, str] = {}
        self.scale_of_result: dict[str, str] = {}
        for name, column, scale_of in (
            ("lineItemScoreScales", "lineItemSourcedId", self.scale_of_item),
            ("resultScoreScales", "resultSourcedId", self.scale_of_result),
        ):
            links = self.src.get(name)
            if links is None or not len(links):
                continue
            self.drop_unfollowable(links, "scoreScaleSourcedId", "scoreScales")
            for key, scale_id in zip(links.col(column), links.col("scoreScaleSourcedId")):
                scale_of.setdefault(key, scale_id)

    def scale_for(self, result: str, lineitem: str) -> ScoreScale | None:
        """The scale a result's text score is read on: the result's, its line item's, its class's or
        course's, or the export's only scale."""
        scale_id = self.scale_of_result.get(result) or self.scale_of_item.get(lineitem)
        if not scale_id and lineitem in self.item:
            cls = self.item[lineitem]["class"]
            scale_id = self.scale_of_class.get(cls) or self.scale_of_course.get(self.klass[cls]["course"], "")
        if not scale_id and len(self.scales) == 1:
            scale_id = next(iter(self.scales))
        return self.scales.get(scale_id or "")

    def text_scores(self, source: Source, kind: str) -> None:
        """A textScore without a score: its points through the score scale (the row stays when none applies).

        ``kind`` is ``"results"`` (rows of results.csv) or ``"objectives"`` (resultLearningObjectiveIds.csv,
        whose result gives the line item).
        """
        text = source.col("textScore")
        todo = ((source.col("score") == "") & (text != "")).to_numpy()
        if not todo.any():
            return
        if kind == "results":
            results = source.col("sourcedId")
            items = source.col("lineItemSourcedId")
        else:
            results = source.col("resultSourcedId")
            items = results.map(self.item_of_result).fillna("")
        scores = source.frame["score"].copy() if "score" in source.frame else pd.Series("", index=source.frame.index)
        wrong = pd.Series("", index=source.frame.index, dtype="str")
        for position in np.flatnonzero(todo):
            scale = self.scale_for(results.iloc[position], items.iloc[position])
            if scale is None:
                continue
            value = scale.value_of(text.iloc[position])
            line = int(source.frame[LINE].iloc[position])
            if value is None:
                shown = ", ".join(scale.labels) or "none"
                wrong.iloc[position] = f"textScore is not on score scale {scale.scale_id} (its text scores: {shown})"
                continue
            scores.iloc[position] = _number_text(value)
            self.report.column_at[(source.label, line, "points")] = "textScore"
            self.fallbacks["text score"].append(results.iloc[position] or f"line {line}")
        source.frame["score"] = scores.astype(object)
        self.exclude_rows(
            source,
            wrong != "",
            "textScore",
            wrong,
            values=text,
            entity="results" if kind == "results" else None,
            severity="error",
        )

    def per_objective_results(self) -> None:
        """Per-objective scores (1.2 resultLearningObjectiveIds.csv) become items of their line items."""
        source = self.source("results")
        rlo = self.src.get("resultLearningObjectiveIds")
        self.lo_rows: set[str] = set()
        self.lo_scored: set[str] = set()
        self.items_of: dict[str, list[str]] = {}
        if rlo is None or not len(rlo):
            return
        result_ids = source.col("sourcedId")
        live = dict(zip(result_ids[result_ids != ""], source.frame.loc[result_ids != "", "lineItemSourcedId"]))
        self.item_of_result = live
        exempt = rlo.col("resultSourcedId").map(self.exempt_lines).fillna(0).astype(int)
        self.exclude_rows(
            rlo,
            exempt > 0,
            "resultSourcedId",
            "its result is exempt (results.csv line " + exempt.astype(str) + "): the student is excused from the "
            "line item, so its per-objective scores do not count",
        )
        self.drop_unfollowable(
            rlo,
            "resultSourcedId",
            "results",
            allowed=set(live),
            not_allowed_reason="{column} {value!r} has no usable row in results.csv",
        )
        blank = rlo.col("learningObjectiveId") == ""
        self.exclude_rows(rlo, blank, "learningObjectiveId", "learningObjectiveId is blank", severity="error")
        self.text_scores(rlo, "objectives")
        text_only = (rlo.col("score") == "") & (rlo.col("textScore") != "")
        self.exclude_rows(
            rlo,
            text_only,
            "textScore",
            "only a text score, no numeric score, and no score scale to read it on; it cannot be counted as points",
            values=rlo.col("textScore"),
        )
        status = dict(zip(result_ids, source.col("scoreStatus").str.lower()))
        missing = dict(zip(result_ids, true_flags(source.col("missing"))))
        students = dict(zip(result_ids, source.col("studentSourcedId")))
        blank_result = rlo.col("resultSourcedId").map(lambda r: status.get(r) == "not submitted" or missing.get(r))
        self.exclude_rows(
            rlo,
            blank_result,
            "resultSourcedId",
            "its result is missing or not submitted, so the work counts as not attempted (see results.csv)",
        )
        items_of: dict[str, list[str]] = defaultdict(list)
        for lineitem, objectives in self.links.items():
            items_of[lineitem].extend(objectives)
        for result, objective, line in zip(rlo.col("resultSourcedId"), rlo.col("learningObjectiveId"), rlo.frame[LINE]):
            lineitem = live[result]
            self.lo_scored.add(lineitem)
            self.lo_rows.add(result)
            if objective not in items_of[lineitem]:
                if self.links.get(lineitem):
                    self.report.warn(
                        rlo.label,
                        int(line),
                        "learningObjectiveId",
                        objective,
                        f"objective is not linked to line item {lineitem} in "
                        "lineItemLearningObjectiveIds.csv; it is added as an item",
                    )
                items_of[lineitem].append(objective)
        self.items_of = {k: v for k, v in items_of.items() if k in self.lo_scored}
        for result, objective, points, line in zip(
            rlo.col("resultSourcedId"), rlo.col("learningObjectiveId"), rlo.col("score"), rlo.frame[LINE]
        ):
            lineitem = live[result]
            self.extra_scores.append(
                {
                    "student_id": students[result],
                    "assessment_id": lineitem,
                    "item_id": f"{lineitem}:{objective}",
                    "points": points,
                    LINE: line,
                }
            )
        # Results of those line items without per-objective scores.
        has_rows = source.col("sourcedId").isin(list(self.lo_rows))
        lacking = (
            source.col("lineItemSourcedId").isin(list(self.lo_scored))
            & ~has_rows
            & (source.col("score") != "")
            & (source.col("scoreStatus").str.lower() != "not submitted")
            & ~true_flags(source.col("missing"))
        )
        self.exclude_rows(
            source,
            lacking,
            "score",
            "the line item is scored per learning objective, but this result has no "
            "per-objective scores in resultLearningObjectiveIds.csv; its total is not loaded",
            entity="results",
        )

    def skills_and_items(self) -> None:
        teams_of_skill: dict[str, set[str]] = defaultdict(set)
        skills: dict[str, dict] = {}
        fallback = 0
        label = self.source("lineItems").label

        def skill(skill_id: str, description: str, team: str, line: int, standard: str = "") -> None:
            teams_of_skill[skill_id].add(team)
            skills.setdefault(
                skill_id,
                {
                    "skill_id": skill_id,
                    "description": description or skill_id,
                    "essential": "true",
                    "proficiency_cut": _number_text(self.cut),
                    "standard": standard,
                    LINE: line,
                },
            )

        for sid, info in self.item.items():
            team, line = info["team"], info["line"]
            if sid in self.lo_scored:
                for objective in self.items_of[sid]:
                    skill(objective, objective, team, line, objective)
                    self.canonical["items"].append(
                        {
                            "assessment_id": sid,
                            "item_id": f"{sid}:{objective}",
                            "skill_id": objective,
                            "max_points": info["max"],
                            LINE: line,
                        }
                    )
                continue
            objectives = self.links.get(sid, [])
            if objectives:
                skill_id = objectives[0]
                skill(skill_id, skill_id, team, line, skill_id)
                if len(objectives) > 1:
                    self.report.warn(
                        label,
                        line,
                        "sourcedId",
                        sid,
                        f"line item is linked to {len(objectives)} learning objectives but has no "
                        f"per-objective results; its one item counts toward the first, {skill_id}",
                    )
            elif info["category"]:
                skill_id = info["category"]
                skill(skill_id, self.category.get(skill_id, ""), team, line)
                fallback += 1
            else:
                skill_id = f"{team}:{_OTHER_SKILL}"
                skill(skill_id, f"Overall ({team}): no skill detail in this export", team, line)
                fallback += 1
            self.canonical["items"].append(
                {"assessment_id": sid, "item_id": sid, "skill_id": skill_id, "max_points": info["max"], LINE: line}
            )
        for skill_id, row in skills.items():
            teams = teams_of_skill[skill_id]
            row["team_id"] = next(iter(teams)) if len(teams) == 1 else ""
            self.canonical["skills"].append(row)
        self.labels["skills"] = label
        self.labels["items"] = label
        if fallback:
            text = (
                f"no learning objectives for {fallback} line item(s): their skills are gradebook categories "
                f"(or one '{_OTHER_SKILL}' skill per team when a line item has no category)"
            )
            self.report.notes.append(text)
            self.report.warn(label, None, None, None, text)

    def note_fallbacks(self) -> None:
        """One note per fallback: what the export lacked, what was done instead, and for which ids."""
        users, classes, orgs = (self.source(n).label for n in ("users", "classes", "orgs"))
        role_column = "no role column in users.csv" if "role" not in self.source("users").frame else "role blank"
        texts = {
            "blank school": f"{{n}} class(es) in {classes} give no schoolSourcedId: their school is their course's, "
            f"or the export's only school, or '{_UNKNOWN_SCHOOL}'",
            "unnamed school": f"{{n}} school id(s) the classes give are not in {orgs}: "
            "each is a school named by its id",
            "unknown course": "{n} course id(s) the classes give have no row in courses.csv: a team per course id, "
            "named by its classes' title",
            "blank course": f"{{n}} class(es) in {classes} give no courseSourcedId: a team per class title and subject",
            "no teacher": f"{{n}} class(es) have no teacher enrollment: each is a section with a placeholder teacher "
            f"'{_NO_TEACHER}<class id>', so its students are kept",
            "role from roles": f"roles taken from roles.csv for {{n}} user(s) ({role_column})",
            "role from enrollments": f"no role in {users} or roles.csv for {{n}} user(s): roles taken from their "
            "enrollments",
            "student enrolled as teacher": "{n} student(s) hold teacher enrollments: they teach those classes",
            "maximum from scale": "resultValueMax is blank for {n} line item(s): the maximum is the top of "
            "their score scale",
            "maximum 100": "resultValueMax is blank for {n} line item(s) with no score scale: 100 points assumed",
            "date from scoreDate": "no dueDate or assignDate for {n} line item(s): dated by their first scoreDate",
            "date from dateLastModified": "no dueDate, assignDate or scoreDate for {n} line item(s): dated by "
            "their dateLastModified",
            "date from other line items": "no date at all for {n} line item(s): dated by the latest line item of "
            "their class (else of the export)",
            "text score": "{n} result(s) give a textScore and no score: points read through their score scale",
            "exempt score ignored": "{n} exempt result(s) also give a score: the student is excused, the score "
            "is not counted",
            "grade from classes": f"grades is blank or missing in {users} for {{n}} student(s): grade taken from "
            "their classes (each for one grade)",
            "grade unknown": f"grades is blank or missing in {users} for {{n}} student(s) and their classes give no "
            f"single grade: grade recorded as '{UNKNOWN_GRADE}'",
        }
        for kind, ids in self.fallbacks.items():
            if kind == "promoted":
                for org_kind, orgs_promoted in ids.items():
                    self.report.notes.append(
                        f"{len(orgs_promoted)} org(s) of type {org_kind} named as classes' school are read as "
                        f"schools: {_shown(orgs_promoted)}"
                    )
                continue
            if not ids:
                continue
            ids = list(dict.fromkeys(ids))
            if kind.endswith("enrolled as student"):
                role = kind.split(" enrolled")[0]
                text = f"{{n}} user(s) with role {role} hold student enrollments: they are students in those classes"
            else:
                text = texts[kind]
            self.report.notes.append(f"{text.format(n=len(ids))}: {_shown(ids)}")

    # -- run --------------------------------------------------------------------
    def run(self) -> None:
        self.had_results = self.present("results") or self.present("resultLearningObjectiveIds")
        self.check_files()
        self.check_status_and_ids()
        self.orgs()
        self.sessions()
        self.courses()
        self.classes()
        self.users()
        self.enrollments()
        self.sections()
        self.people()
        self.score_scales()
        self.line_items()
        self.objectives()
        self.results()
        self.skills_and_items()
        self.note_fallbacks()
        if not self.had_results:
            self.report.notes.append(ROSTER_ONLY_NOTE)
        elif not self.canonical["scores"] and not self.extra_scores:
            self.report.notes.append("no results could be loaded from this export (see problems)")

    def raw_tables(self, scores: list[dict], scores_label: str) -> dict[str, RawTable]:
        raw: dict[str, RawTable] = {}
        for name in (*CFA_TABLES, "excused"):
            rows = scores if name == "scores" else self.canonical[name]
            label = scores_label if name == "scores" else self.labels.get(name, _TABLE_SOURCES.get(name, ""))
            raw[name] = _raw_table(name, rows, label)
        return raw


def _number_text(value: float) -> str:
    return f"{value:g}"


def _shared_title(first: str, second: str) -> str:
    """What two class titles of one course share ("Biology - 1", "Biology - 3" -> "Biology"); '' if little."""
    words = []
    for a, b in zip(first.split(), second.split()):
        if a != b:
            break
        words.append(a)
    shared = " ".join(words).rstrip(" -–:,/(")
    return shared if len(shared) >= 3 else ""


def _shown(ids: list[str], limit: int = 8) -> str:
    """Up to ``limit`` ids, then how many more."""
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return ", ".join(ids[:limit]) + more


def _to_float(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _raw_table(name: str, rows: list[dict], label: str) -> RawTable:
    """A canonical raw table of strings (blank for missing) with ``_line`` from the source."""
    columns = list(TABLES[name].column_names)
    for row in rows:
        for key in row:
            if key not in columns and key != LINE:
                columns.append(key)
    data = {c: pd.Series([str(r.get(c, "") or "") for r in rows], dtype="str") for c in columns}
    frame = pd.DataFrame(data, columns=columns)
    frame[LINE] = pd.Series([int(r[LINE]) for r in rows], dtype="int64")
    return RawTable(name, frame, [], "utf-8", label)


# ---------------------------------------------------------------------------
# validation and the final report
# ---------------------------------------------------------------------------
_TABLE_FILE = re.compile(r"\b(" + "|".join(_TABLE_SOURCES) + r")\.csv\b")


def _relabel(text: str, labels: dict[str, str]) -> str:
    """Name OneRoster files, not intermediate canonical tables, in a reason."""
    return _TABLE_FILE.sub(lambda m: f"{labels.get(m.group(1), m.group(0))} ({m.group(1)})", text)


def _source_column(report: ConversionReport, problem: Problem) -> str | None:
    column = problem.column
    if column is None or problem.line is None:
        return column
    override = report.column_at.get((problem.file, int(problem.line), column))
    if override:
        return override
    return _SOURCE_COLUMNS.get(problem.file, {}).get(column, column)


def _validate_parts(converter: _Converter) -> ValidationResult:
    """Validate the canonical tables; scores from two files are validated in two passes."""
    report = converter.report
    main_scores = converter.canonical["scores"]
    results_label = converter.source("results").label
    rlo = converter.src.get("resultLearningObjectiveIds")
    rlo_label = rlo.label if rlo is not None else "resultLearningObjectiveIds.csv"
    extra = converter.extra_scores
    upstream = converter.read_problems + report.problems
    if extra and not main_scores:
        return validate_tables(converter.raw_tables(extra, rlo_label), extra_problems=upstream)
    result = validate_tables(converter.raw_tables(main_scores, results_label), extra_problems=upstream)
    if not extra:
        return result
    second = validate_tables(converter.raw_tables(extra, rlo_label))
    tables = dict(result.tables)
    tables["scores"] = pd.concat([result.tables["scores"], second.tables["scores"]], ignore_index=True)
    problems = result.problems + [p for p in second.problems if p.file == rlo_label]
    rejected = pd.concat([result.rejected, second.rejected[second.rejected["file"] == rlo_label]], ignore_index=True)
    return ValidationResult(tables, problems, rejected)


def _finish(converter: _Converter, result: ValidationResult) -> ValidationResult:
    """Name OneRoster columns and files in problems; add the converter's own rejected rows."""
    report = converter.report
    labels = {name: converter.labels.get(name, file) for name, file in _TABLE_SOURCES.items()}
    problems = []
    for problem in result.problems:
        column = _source_column(report, problem)
        reason = _relabel(problem.reason, labels)
        if column != problem.column or reason != problem.reason:
            problem = replace(problem, column=column, reason=reason)
        problems.append(problem)
    validation_rejected = result.rejected.copy()
    if len(validation_rejected):
        validation_rejected["reason"] = validation_rejected["reason"].map(lambda r: _relabel(r, labels))
        rows = [
            report.row_json(f, int(l)) or r
            for f, l, r in zip(validation_rejected["file"], validation_rejected["line"], validation_rejected["row"])
        ]
        validation_rejected["row"] = rows
    own = pd.DataFrame(report.rejected, columns=REJECTED_COLUMNS)
    rejected = pd.concat([frame for frame in (own, validation_rejected) if len(frame)] or [own], ignore_index=True)
    rejected["line"] = rejected["line"].astype("Int64")
    rejected = rejected.sort_values(["file", "line"], kind="stable").reset_index(drop=True)
    return ValidationResult(result.tables, problems, rejected[REJECTED_COLUMNS])


def load_oneroster(
    path: str | Path, *, errors: Errors = "raise", team_by: str = "course", proficiency_cut: float = 0.8
) -> Dataset:
    """Load a OneRoster 1.1 or 1.2 CSV export (a folder, or a zip) as a canonical dataset.

    Parameters
    ----------
    path : str or Path
        The export: a folder, or a ``.zip`` whose files may sit in a
        subfolder.  ``manifest.csv`` is read when present (``file.X`` =
        ``bulk``/``delta``/``absent``, ``oneroster.version``); column order,
        extra columns, header case, quoted comma-separated lists, a missing
        final newline and cp1252 / UTF-8-with-BOM encodings are all handled.
    errors : {"raise", "quarantine"}
        ``"raise"`` (default): raise :class:`~plc_analysis.PLCDataError`
        when any row breaks a canonical rule (warnings, such as
        ``tobedeleted`` rows or dangling references, never raise).
        ``"quarantine"``: load the valid rows and keep every left-out row in
        ``Dataset.rejected``.
    team_by : {"course", "grade"}
        ``"course"`` (default): one team per course and school, ``team_id`` =
        the course ``sourcedId`` (``course@school`` when a course's classes
        span schools), named by the course title.  ``"grade"``: one team per
        school and grade (the course's first grade), ``team_id`` =
        ``<school>-grade-<grade>``.
    proficiency_cut : float
        Proficiency cut (share of points, 0-1) given to every skill made from
        the export.

    Returns
    -------
    Dataset
        Canonical tables built from the export:

        - ``schools`` (``school_id, name``): orgs of type ``school``, and any
          org (or id) the classes name as their school;
        - ``teams`` (``team_id, school_id, name, grade, subject``): see
          ``team_by``; grade and subject are the course's lists, comma-joined;
        - ``teachers`` (``teacher_id, team_id, name``): teacher users, one row
          per team they have a teacher enrollment in, name "givenName
          familyName";
        - ``sections`` (``section_id, teacher_id, team_id, period, term``):
          classes; the teacher is the ``primary`` teacher enrollment (the
          first, with a warning, when several or none are primary; a
          placeholder ``no-teacher:<class>`` when there is none); periods
          comma-joined; term = academic session titles;
        - ``students`` (``student_id, grade, first_name, last_name`` and, when
          ``demographics.csv`` is present, the subgroup columns it fills:
          ``americanIndianOrAlaskaNative, asian, blackOrAfricanAmerican,
          nativeHawaiianOrOtherPacificIslander, white,
          demographicRaceTwoOrMoreRaces, hispanicOrLatinoEthnicity`` as
          booleans and ``sex``); grade = the first of ``grades``, else the
          class's single grade, else ``unknown``; a user of another role with
          a student enrollment is a student too;
        - ``enrollments`` (``student_id, section_id``): student enrollments;
        - ``assessments`` (``assessment_id, team_id, title, kind, date, unit,
          common_id``): one per line item; kind ``cfa`` unless the category
          title says unit, cumulative, practice, state or reassessment; date
          = ``dueDate`` else ``assignDate`` else the first ``scoreDate`` else
          ``dateLastModified`` (any readable form); ``common_id`` links line items of
          one team with the same title (the same CFA given in several classes);
        - ``skills`` (``skill_id, description, team_id, essential,
          proficiency_cut, standard``): 1.2 learning objectives (the CASE id as
          description and standard); else one per gradebook category, or one
          ``<team>:overall`` skill per team (a warning says so);
        - ``items`` (``assessment_id, item_id, skill_id, max_points``): one
          per line item (``item_id`` = its sourcedId; ``max_points`` =
          ``resultValueMax``, else the top of its score scale, else 100); when
          ``resultLearningObjectiveIds.csv`` scores a line item per
          objective, one item per objective, ``item_id`` =
          ``<lineItem>:<learningObjectiveId>``;
        - ``scores`` (``student_id, assessment_id, item_id, points``): one per
          result (or per-objective result); ``points`` blank (not attempted)
          for ``not submitted`` and 1.2 ``missing=true``; a ``textScore``
          without a score is read through its score scale;
        - ``excused`` (``student_id, assessment_id, reason``): ``exempt``
          results (out of the denominators, never a 0, not absent).

        ``Dataset.notes`` summarise what was used and what was not
        (``"roster only: no assessment results in this export"`` when there
        are no results); ``Dataset.problems`` lists every problem and warning
        with the OneRoster file, line and column; ``Dataset.rejected`` holds
        every left-out row.

    Raises
    ------
    PLCDataError
        With ``errors="raise"``, when any row breaks a canonical rule (all
        problems are listed at once).
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        For a bad ``team_by`` or ``proficiency_cut``, or a zip without
        OneRoster files.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {path}")
    if errors not in ("raise", "quarantine"):
        raise ValueError(f"errors must be 'raise' or 'quarantine', not {errors!r}")
    if team_by not in TEAM_BY:
        raise ValueError(f"team_by must be one of {', '.join(TEAM_BY)}, not {team_by!r}")
    if not 0 < float(proficiency_cut) <= 1:
        raise ValueError(f"proficiency_cut must be a share between 0 and 1, not {proficiency_cut!r}")
    tables, others = read_export(path)
    if not tables:
        raise ValueError(f"{path.name}: no OneRoster files (manifest.csv, orgs.csv, users.csv ...) found")
    converter = _Converter(tables, others, team_by=team_by, proficiency_cut=float(proficiency_cut))
    converter.run()
    result = _finish(converter, _validate_parts(converter))
    notes = list(converter.report.notes)
    if converter.version:
        notes.insert(0, f"OneRoster {converter.version} export")
    return finish_load(result, source=str(path), errors=errors, notes=tuple(notes))
