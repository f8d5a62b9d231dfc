"""Load Ed-Fi assessment data (bulk XML interchange or ODS/API JSON) as a canonical :class:`Dataset`.

Ed-Fi is the open data standard many US state and district warehouses use.
Two shapes are read, Data Standard 4 and 5 alike:

* the bulk XML interchange files: ``InterchangeAssessmentMetadata``
  (``Assessment``, ``AssessmentItem``, ``ObjectiveAssessment``) and
  ``InterchangeStudentAssessment`` (``StudentAssessment``), plus, for a roster,
  ``InterchangeStudent`` (``Student``), ``InterchangeEducationOrganization``
  (``School``), ``InterchangeMasterSchedule`` (``Section``),
  ``InterchangeStaffAssociation`` (``Staff``, ``StaffSectionAssociation``) and
  ``InterchangeStudentEnrollment`` (``StudentSectionAssociation``);
* the ODS/API resources saved as JSON arrays, one file each, named after the
  resource: ``assessments.json``, ``assessmentItems.json``,
  ``objectiveAssessments.json``, ``studentAssessments.json`` and, for a
  roster, ``students.json``, ``schools.json``, ``sections.json``, ``staffs.json``,
  ``staffSectionAssociations.json``, ``studentSectionAssociations.json``.

Files sit in a folder or a zip (or one file alone); which is which is read
from each XML file's root element and each JSON file's name.

How Ed-Fi becomes canonical rows (see :func:`load_edfi`):

* an assessment with item results (``StudentAssessmentItem``): one canonical
  item per ``AssessmentItem`` (``item_id`` = its ``IdentificationCode``); a
  score is the item's ``RawScoreResult``, else its ``AssessmentItemResult``
  (``Correct`` / ``Met Standard`` / ``Above Standard`` = the item's maximum,
  ``Incorrect`` / ``Below Standard`` = 0; ``Partially Correct`` needs a raw score);
* an assessment with objective-assessment results only: one item per
  ``ObjectiveAssessment`` (its ``IdentificationCode``), scored by the
  objective's raw score;
* an assessment with overall score results only (ACT, SAT, state scale
  scores): one item per reported score (``AssessmentReportingMethod``, e.g.
  ``Composite Score``), ``points`` = result - the score's minimum and
  ``max_points`` = maximum - minimum; the reported result stays in ``response``;
* skills: an item's learning standard, else its objective assessment, else the
  assessment's subject;
* performance levels: ``scores.performance_level`` (the student's level on the
  assessment, or on the objective for an objective's score) and
  ``assessments.performance_levels`` (the cut scores).

What the source says about itself is checked, never trusted silently: a raw
score that disagrees with the sum of the item results, an objective's raw
score that disagrees with its items, a result that disagrees with the item's
key (``Correct`` for a response that is not the key, or the reverse), a raw
score that disagrees with the result descriptor.  Each is a warning
(``Dataset.problems``: file, line, Ed-Fi field, value, reason); rows are only
rejected when they cannot be scored.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from .dataset import Dataset
from .edfi_read import edfi_files
from .edfi_records import (
    AssessmentMeta,
    AssessmentRef,
    EdFiRecords,
    ItemMeta,
    ItemResult,
    ObjectiveMeta,
    PersonRecord,
    StudentAssessmentRecord,
    read_records,
)
from .edfi_roster import place_students
from .errors import REDACTED, SENSITIVE_COLUMNS, PLCDataError, Problem
from .load_steps import Errors, finish_load
from .readers import LINE, RawTable
from .rules import TOLERANCE
from .schema import CFA_TABLES, TABLES
from .validation import REJECTED_COLUMNS, ValidationResult, validate_tables

__all__ = ["load_edfi", "EDFI_NO_ROSTER_NOTE", "ITEM_RESULT_POINTS"]

#: The note an Ed-Fi source without section associations carries.
EDFI_NO_ROSTER_NOTE = (
    "the Ed-Fi files carry no roster (no StudentSectionAssociation): on their own, every student with results "
    "is in one '<team>:unassigned' section per team, so teachers cannot be compared; load_dataset(..., "
    "roster=) places them in their classes from a roster (e.g. a OneRoster export)"
)
#: Share of an item's maximum an ``AssessmentItemResult`` is worth when there is no ``RawScoreResult``.
ITEM_RESULT_POINTS = {
    "correct": 1.0,
    "incorrect": 0.0,
    "met standard": 1.0,
    "above standard": 1.0,
    "below standard": 0.0,
}
_PARTIAL = "partially correct"
_RAW_SCORE = "raw score"
#: Assessment kind from the AssessmentCategory descriptor (first match wins); otherwise "cfa".
_KIND_BY_CATEGORY = (
    (
        "state",
        re.compile(r"state|college entrance|advanced placement|international baccalaureate|proficiency test", re.I),
    ),
    ("cumulative", re.compile(r"benchmark|interim|achievement", re.I)),
    ("unit", re.compile(r"class test|performance assessment|portfolio", re.I)),
)
_GRADE_WORDS = {
    "kindergarten": "K",
    "first grade": "1",
    "second grade": "2",
    "third grade": "3",
    "fourth grade": "4",
    "fifth grade": "5",
    "sixth grade": "6",
    "seventh grade": "7",
    "eighth grade": "8",
    "ninth grade": "9",
    "tenth grade": "10",
    "eleventh grade": "11",
    "twelfth grade": "12",
    "prekindergarten": "PK",
}
_DISTRICT = "edfi-district"
#: Ed-Fi field each canonical column of a score row comes from, by how the row was made.
_SCORE_FIELDS = {
    "item": {"student_id": "StudentUniqueId", "item_id": "IdentificationCode", "assessment_id": "AssessmentIdentifier"},
    "objective": {
        "student_id": "StudentUniqueId",
        "item_id": "ObjectiveAssessment IdentificationCode",
        "assessment_id": "AssessmentIdentifier",
    },
    "score": {
        "student_id": "StudentUniqueId",
        "item_id": "AssessmentReportingMethod",
        "assessment_id": "AssessmentIdentifier",
    },
}


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if value == value and abs(value) != float("inf") else None


def _fmt(value: float) -> str:
    return f"{value:.10g}"


def _grade(text: str) -> str:
    return _GRADE_WORDS.get(text.strip().lower(), text.strip())


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "-", text.lower()).strip("-") or "x"


def _kind(category: str) -> str:
    for kind, pattern in _KIND_BY_CATEGORY:
        if pattern.search(category):
            return kind
    return "cfa"


@dataclass
class _Origin:
    """Where a canonical row came from, for problems: the Ed-Fi file, line and field names."""

    file: str
    line: int
    fields: dict


class _Converter:
    """Maps Ed-Fi records onto canonical raw tables, keeping each row's origin."""

    def __init__(self, records: EdFiRecords, *, proficiency_cut: float) -> None:
        self.rec = records
        self.cut = proficiency_cut
        self.problems: list[Problem] = []
        self.rejected: list[dict] = []
        self.notes: list[str] = []
        self.rows: dict[str, list[dict]] = {name: [] for name in CFA_TABLES}
        self.origins: dict[str, list[_Origin]] = {name: [] for name in CFA_TABLES}
        self.assessment_ids: dict[AssessmentRef, str] = {}
        self.team_of: dict[str, str] = {}
        self.students_with_results: dict[str, set[str]] = defaultdict(set)
        self.skills: dict[str, dict] = {}
        self.item_rows: dict[tuple[str, str], dict] = {}
        self.counts: Counter = Counter()

    # -- reporting ---------------------------------------------------------
    def warn(self, file: str, line: int | None, field: str | None, value: str | None, reason: str) -> None:
        self.problems.append(Problem(file, line, field, value, reason, "warning"))

    def exclude(
        self,
        file: str,
        line: int,
        field: str | None,
        value: str | None,
        reason: str,
        row: dict,
        severity: str = "warning",
    ) -> None:
        self.problems.append(Problem(file, line, field, value, reason, severity))
        self.rejected.append(
            {
                "file": file,
                "line": int(line),
                "severity": severity,
                "reason": f"{field}: {reason}" if field else reason,
                "row": json.dumps(row, ensure_ascii=False),
            }
        )

    def add(self, table: str, row: dict, file: str, line: int, fields: dict | None = None) -> None:
        row[LINE] = len(self.rows[table]) + 2
        self.rows[table].append(row)
        self.origins[table].append(_Origin(file, line, fields or {}))

    # -- assessments ---------------------------------------------------------
    def index(self) -> None:
        rec = self.rec
        self.meta: dict[AssessmentRef, AssessmentMeta] = {}
        by_identifier: dict[str, list[AssessmentRef]] = defaultdict(list)
        for meta in rec.assessments:
            if not meta.ref[0]:
                self.warn(meta.file, meta.line, "AssessmentIdentifier", "", "assessment without an identifier; ignored")
                continue
            if meta.ref in self.meta:
                first = self.meta[meta.ref]
                self.warn(
                    meta.file,
                    meta.line,
                    "AssessmentIdentifier",
                    meta.ref[0],
                    f"assessment defined twice (first in {first.file}, line {first.line}); the first is used",
                )
                continue
            self.meta[meta.ref] = meta
            by_identifier[meta.ref[0]].append(meta.ref)
        for identifier, refs in by_identifier.items():
            for ref in refs:
                self.assessment_ids[ref] = identifier if len(refs) == 1 else f"{identifier} ({ref[1]})"
        self.by_identifier = by_identifier
        self.items_of: dict[AssessmentRef, dict[str, ItemMeta]] = defaultdict(dict)
        for item in rec.items:
            found = self.resolve(item.ref)
            if found is None:
                self.warn(
                    item.file,
                    item.line,
                    "AssessmentReference",
                    item.ref[0],
                    "item of an assessment not in the files; ignored",
                )
                continue
            if item.code in self.items_of[found]:
                self.warn(
                    item.file, item.line, "IdentificationCode", item.code, "item defined twice; the first is used"
                )
                continue
            self.items_of[found][item.code] = item
        self.objectives_of: dict[AssessmentRef, dict[str, ObjectiveMeta]] = defaultdict(dict)
        self.objective_of_item: dict[tuple[AssessmentRef, str], ObjectiveMeta] = {}
        for objective in rec.objectives:
            found = self.resolve(objective.ref)
            if found is None:
                self.warn(
                    objective.file,
                    objective.line,
                    "AssessmentReference",
                    objective.ref[0],
                    "objective assessment of an assessment not in the files; ignored",
                )
                continue
            self.objectives_of[found].setdefault(objective.code, objective)
            for code in objective.items:
                self.objective_of_item.setdefault((found, code), objective)

    def resolve(self, ref: AssessmentRef) -> AssessmentRef | None:
        """The assessment a reference means (a reference without a namespace matches by identifier alone)."""
        if ref in self.meta:
            return ref
        candidates = self.by_identifier.get(ref[0], [])
        return candidates[0] if len(candidates) == 1 and not ref[1] else None

    @staticmethod
    def mode(results: list[StudentAssessmentRecord]) -> str:
        """How an assessment is scored: by item results, else objective results, else overall scores."""
        if any(r.items for r in results):
            return "item"
        if any(r.objectives for r in results):
            return "objective"
        return "score"

    def without_detail(self, result: StudentAssessmentRecord, detail: str) -> bool:
        """Leave out (with a warning) a result lacking the detail its assessment is scored by."""
        present = result.items if detail == "item" else result.objectives
        if present:
            return False
        self.counts["student assessments rejected"] += 1
        row = {"StudentAssessmentIdentifier": result.ident, "StudentUniqueId": result.student}
        self.exclude(
            result.file,
            result.line,
            result.fields[1],
            result.student,
            f"no {detail} results, while this assessment's other results are scored by {detail}: "
            f"its {len(result.scores)} overall score(s) are not loaded",
            row,
        )
        return True

    # -- skills ------------------------------------------------------------------
    def skill(self, skill_id: str, description: str, team: str, standard: str, file: str, line: int) -> str:
        row = self.skills.get(skill_id)
        if row is None:
            row = {
                "skill_id": skill_id,
                "description": description or skill_id,
                "essential": "true",
                "proficiency_cut": _fmt(self.cut),
                "standard": standard,
                "teams": set(),
                "origin": (file, line),
            }
            self.skills[skill_id] = row
        row["teams"].add(team)
        return skill_id

    def subject_skill(self, meta: AssessmentMeta, assessment_id: str, team: str) -> str:
        subject = meta.subjects[0] if meta.subjects else ""
        if subject:
            return self.skill(f"{_slug(subject)}-overall", f"{subject} (overall score)", team, "", meta.file, meta.line)
        return self.skill(f"{assessment_id}:overall", f"{meta.title} (overall score)", team, "", meta.file, meta.line)

    # -- the assessments, items and scores ----------------------------------------
    def assessments(self) -> None:
        results_of: dict[AssessmentRef, list[StudentAssessmentRecord]] = defaultdict(list)
        for result in self.rec.results:
            self.counts["student assessments"] += 1
            ref = self.resolve(result.ref)
            row = {
                "StudentAssessmentIdentifier": result.ident,
                "AssessmentIdentifier": result.ref[0],
                "StudentUniqueId": result.student,
            }
            if ref is None:
                self.counts["student assessments rejected"] += 1
                self.exclude(
                    result.file,
                    result.line,
                    result.fields[0],
                    result.ref[0],
                    "this assessment is not in the files (add its AssessmentMetadata interchange file or "
                    "assessments.json); the results cannot be scored",
                    row,
                )
                continue
            if not result.student:
                self.counts["student assessments rejected"] += 1
                self.exclude(result.file, result.line, result.fields[1], "", "no student", row, "error")
                continue
            if result.reason_not_tested and not (result.items or result.scores or result.objectives):
                self.counts["student assessments not tested"] += 1
                self.exclude(
                    result.file,
                    result.line,
                    result.fields[2],
                    result.reason_not_tested,
                    "the student was not tested: no scores",
                    row,
                )
                self.students_with_results[result.student]  # noqa: B018 - the student is still a student
                continue
            self.students_with_results[result.student]  # noqa: B018 - a student with results is a student
            results_of[ref].append(result)
        for ref, meta in self.meta.items():
            results = results_of.get(ref, [])
            assessment_id = self.assessment_ids[ref]
            subject = meta.subjects[0] if meta.subjects else ""
            grade = _grade(meta.grades[0]) if meta.grades else ""
            team = _slug(" ".join(p for p in (subject, f"grade {grade}" if grade else "") if p) or "assessments")
            self.team_of[assessment_id] = team
            self.teams.setdefault(team, (subject, grade, meta))
            dates = sorted(r.date[:10] for r in results if r.date)
            date = dates[0] if dates else meta.revision_date[:10]
            levels = "; ".join(
                f"{level} ({method}: {low}-{high})" if (low or high) else level
                for level, method, low, high in meta.levels
            )
            self.add(
                "assessments",
                {
                    "assessment_id": assessment_id,
                    "team_id": team,
                    "title": meta.title or assessment_id,
                    "kind": _kind(meta.category),
                    "date": date,
                    "namespace": ref[1],
                    "performance_levels": levels,
                },
                meta.file,
                meta.line,
                {"title": "AssessmentTitle", "date": "AdministrationDate", "assessment_id": "AssessmentIdentifier"},
            )
            if not results:
                continue
            if len(set(dates)) > 1:
                self.notes.append(
                    f"assessment {assessment_id!r} was given on {len(set(dates))} dates ({dates[0]} to {dates[-1]}); "
                    "its date is the first"
                )
            mode = self.mode(results)
            if mode == "item":
                self.item_assessment(ref, meta, assessment_id, team, results)
            elif mode == "objective":
                self.objective_assessment(ref, meta, assessment_id, team, results)
            else:
                self.score_assessment(meta, assessment_id, team, results)

    def item_row(self, assessment_id: str, code: str, row: dict, file: str, line: int) -> None:
        if (assessment_id, code) not in self.item_rows:
            self.item_rows[(assessment_id, code)] = row
            self.add("items", row, file, line, {"item_id": "IdentificationCode", "max_points": "MaxRawScore"})

    def item_assessment(
        self, ref: AssessmentRef, meta: AssessmentMeta, assessment_id: str, team: str, results: list
    ) -> None:
        metas = self.items_of.get(ref, {})
        maxima: dict[str, float] = {}
        keys: dict[str, list[str]] = {}
        for code, item in metas.items():
            maxima[code], keys[code] = self.define_item(ref, item, assessment_id, team, meta)
        for result in results:
            if self.without_detail(result, "item"):
                continue
            base = {"StudentAssessmentIdentifier": result.ident, "StudentUniqueId": result.student}
            total = 0.0
            counted = 0
            by_objective: dict[str, float] = defaultdict(float)
            for item in result.items:
                self.counts["item results"] += 1
                code = item.code
                row = {
                    **base,
                    "IdentificationCode": code,
                    "result": item.result,
                    "raw": item.raw,
                    "response": item.response,
                }
                if self.resolve(item.ref) not in (ref, None) and item.ref[0]:
                    self.counts["item results rejected"] += 1
                    self.exclude(
                        result.file,
                        item.line,
                        "AssessmentItemReference",
                        item.ref[0],
                        "item of another assessment",
                        row,
                    )
                    continue
                if code not in maxima:
                    maxima[code], keys[code] = self.undefined_item(ref, code, assessment_id, team, meta, result, item)
                points = self.item_points(result, item, maxima[code], keys[code], row)
                if points is None:
                    continue
                total += points
                counted += 1
                objective = self.objective_of_item.get((ref, code))
                if objective is not None:
                    by_objective[objective.code] += points
                self.add(
                    "scores",
                    {
                        "student_id": result.student,
                        "assessment_id": assessment_id,
                        "item_id": code,
                        "points": _fmt(points),
                        "response": item.response,
                        "performance_level": "; ".join(result.levels),
                    },
                    result.file,
                    item.line,
                    {
                        **_SCORE_FIELDS["item"],
                        "points": item.fields[1] if item.raw else item.fields[0],
                        "response": item.fields[2],
                    },
                )
                self.students_with_results[result.student].add(team)
            self.check_totals(result, total, counted, by_objective)
            if result.objectives:
                self.counts["objective results checked"] += len(result.objectives)

    def define_item(
        self, ref: AssessmentRef, item: ItemMeta, assessment_id: str, team: str, meta: AssessmentMeta
    ) -> tuple[float, list[str]]:
        maximum = _number(item.max_raw)
        if maximum is None or maximum <= 0:
            self.warn(
                item.file,
                item.line,
                "MaxRawScore",
                item.max_raw,
                "no usable MaxRawScore: the item is worth 1 point (a Partially Correct result needs a RawScoreResult)",
            )
            maximum = 1.0
        objective = self.objective_of_item.get((ref, item.code))
        if item.standards:
            skill = self.skill(item.standards[0], item.standards[0], team, item.standards[0], item.file, item.line)
            if len(item.standards) > 1:
                self.warn(
                    item.file,
                    item.line,
                    "LearningStandardReference",
                    ", ".join(item.standards),
                    f"item aligned to {len(item.standards)} learning standards; its skill is the first, "
                    f"{item.standards[0]}",
                )
        elif objective is not None:
            skill = self.skill(
                objective.code,
                objective.description or objective.code,
                team,
                ", ".join(objective.standards),
                objective.file,
                objective.line,
            )
        else:
            skill = self.subject_skill(meta, assessment_id, team)
        single_key = item.keys[0] if len(item.keys) == 1 else ""
        self.item_row(
            assessment_id,
            item.code,
            {
                "assessment_id": assessment_id,
                "item_id": item.code,
                "skill_id": skill,
                "max_points": _fmt(maximum),
                "kind": "mc" if item.keys else "",
                "key": single_key,
                "category": item.category,
            },
            item.file,
            item.line,
        )
        return maximum, item.keys

    def undefined_item(
        self,
        ref: AssessmentRef,
        code: str,
        assessment_id: str,
        team: str,
        meta: AssessmentMeta,
        result: StudentAssessmentRecord,
        item: ItemResult,
    ) -> tuple[float, list[str]]:
        self.warn(
            result.file,
            item.line,
            "IdentificationCode",
            code,
            f"item is not in the metadata of assessment {assessment_id!r}: it is worth 1 point and counts toward "
            "the assessment's subject (add its AssessmentItem to the metadata)",
        )
        skill = self.subject_skill(meta, assessment_id, team)
        self.item_row(
            assessment_id,
            code,
            {"assessment_id": assessment_id, "item_id": code, "skill_id": skill, "max_points": "1"},
            result.file,
            item.line,
        )
        return 1.0, []

    def item_points(
        self, result: StudentAssessmentRecord, item: ItemResult, maximum: float, keys: list[str], row: dict
    ) -> float | None:
        result_field, raw_field, response_field = item.fields
        outcome = item.result.strip().lower()
        share = ITEM_RESULT_POINTS.get(outcome)
        raw = _number(item.raw) if item.raw else None
        if item.raw and raw is None:
            self.counts["item results rejected"] += 1
            self.exclude(result.file, item.line, raw_field, item.raw, "not a number", row, "error")
            return None
        if raw is None and share is None:
            self.counts["item results rejected"] += 1
            reason = (
                "Partially Correct without a RawScoreResult: the points are unknown"
                if outcome == _PARTIAL
                else "no RawScoreResult and no AssessmentItemResult the loader can score "
                f"(known: {', '.join(sorted(ITEM_RESULT_POINTS))}, or a raw score)"
            )
            self.exclude(result.file, item.line, result_field, item.result, reason, row, "error")
            return None
        points = raw if raw is not None else (share or 0.0) * maximum
        if raw is not None and share is not None and abs(raw - share * maximum) > TOLERANCE:
            self.warn(
                result.file,
                item.line,
                raw_field,
                item.raw,
                f"the raw score disagrees with the result {item.result!r} (the item is worth {_fmt(maximum)}); "
                "the raw score is used",
            )
        if raw is not None and outcome == _PARTIAL and not 0 < raw < maximum:
            self.warn(
                result.file,
                item.line,
                raw_field,
                item.raw,
                f"the result is Partially Correct but the raw score is {_fmt(raw)} of {_fmt(maximum)}",
            )
        response = item.response.strip()
        if response and keys and outcome in ("correct", "incorrect"):
            matches = response in keys or (len(keys) > 1 and sorted(re.split(r"[,; ]+", response)) == sorted(keys))
            if matches != (outcome == "correct"):
                key_text = ", ".join(keys)
                reason = (
                    f"the result is Correct but the response {response!r} is not the key {key_text!r}"
                    if outcome == "correct"
                    else f"the result is Incorrect but the response {response!r} is the key"
                )
                used = raw_field if raw is not None else result_field
                self.warn(result.file, item.line, response_field, response, f"{reason}; the {used} is used")
        return points

    def check_totals(
        self, result: StudentAssessmentRecord, total: float, counted: int, by_objective: dict[str, float]
    ) -> None:
        if not counted:
            return
        for score in result.scores:
            if score.method.lower() != _RAW_SCORE:
                continue
            reported = _number(score.result)
            if reported is not None and abs(reported - total) > 1e-6:
                self.warn(
                    result.file,
                    score.line,
                    score.field,
                    score.result,
                    f"the raw score disagrees with the item results, which add up to {_fmt(total)} "
                    f"({counted} item(s)); the item results are used",
                )
        for objective in result.objectives:
            if objective.code not in by_objective:
                continue
            for score in objective.scores:
                reported = _number(score.result)
                if score.method.lower() == _RAW_SCORE and reported is not None:
                    if abs(reported - by_objective[objective.code]) > 1e-6:
                        self.warn(
                            result.file,
                            score.line,
                            score.field,
                            score.result,
                            f"objective {objective.code!r}: the raw score disagrees with its item results, "
                            f"which add up to {_fmt(by_objective[objective.code])}",
                        )

    def objective_assessment(
        self, ref: AssessmentRef, meta: AssessmentMeta, assessment_id: str, team: str, results: list
    ) -> None:
        objectives = self.objectives_of.get(ref, {})
        maxima: dict[str, float] = {}
        for code, objective in objectives.items():
            maximum = _number(objective.max_raw)
            if maximum is None:
                ranges = [s for s in objective.scores if s.method.lower() == _RAW_SCORE]
                maximum = _number(ranges[0].maximum) if ranges else None
            if maximum is None or maximum <= 0:
                self.warn(
                    objective.file,
                    objective.line,
                    "MaxRawScore",
                    objective.max_raw,
                    "no usable MaxRawScore: its results cannot be scored",
                )
                continue
            maxima[code] = maximum
            standard = objective.standards[0] if len(objective.standards) == 1 else ""
            skill = self.skill(
                standard or objective.code,
                objective.description or standard or objective.code,
                team,
                ", ".join(objective.standards),
                objective.file,
                objective.line,
            )
            self.item_row(
                assessment_id,
                code,
                {"assessment_id": assessment_id, "item_id": code, "skill_id": skill, "max_points": _fmt(maximum)},
                objective.file,
                objective.line,
            )
        for result in results:
            if self.without_detail(result, "objective"):
                continue
            base = {"StudentAssessmentIdentifier": result.ident, "StudentUniqueId": result.student}
            for objective in result.objectives:
                self.counts["objective results"] += 1
                row = {
                    **base,
                    "ObjectiveAssessment": objective.code,
                    "scores": [(s.method, s.result) for s in objective.scores],
                }
                raw = [s for s in objective.scores if s.method.lower() == _RAW_SCORE]
                if maxima.get(objective.code) is None:
                    self.counts["objective results rejected"] += 1
                    reason = (
                        "objective assessment not in the metadata"
                        if objective.code not in objectives
                        else "the objective has no usable MaxRawScore"
                    )
                    self.exclude(
                        result.file,
                        objective.line,
                        "ObjectiveAssessment IdentificationCode",
                        objective.code,
                        reason + "; not scored",
                        row,
                    )
                    continue
                if not raw:
                    self.counts["objective results rejected"] += 1
                    self.exclude(
                        result.file,
                        objective.line,
                        "ScoreResult",
                        "",
                        "no Raw score result for this objective; not scored",
                        row,
                    )
                    continue
                self.add(
                    "scores",
                    {
                        "student_id": result.student,
                        "assessment_id": assessment_id,
                        "item_id": objective.code,
                        "points": raw[0].result,
                        "response": raw[0].result,
                        "performance_level": "; ".join(objective.levels or result.levels),
                    },
                    result.file,
                    raw[0].line,
                    {**_SCORE_FIELDS["objective"], "points": raw[0].field},
                )
                self.students_with_results[result.student].add(team)
            if result.items:
                self.counts["item results"] += len(result.items)

    def score_assessment(self, meta: AssessmentMeta, assessment_id: str, team: str, results: list) -> None:
        spans = {s.method.lower(): (_number(s.minimum) or 0.0, _number(s.maximum)) for s in meta.scores}
        skill = None
        for result in results:
            base = {"StudentAssessmentIdentifier": result.ident, "StudentUniqueId": result.student}
            for score in result.scores:
                self.counts["score results"] += 1
                row = {**base, "AssessmentReportingMethod": score.method, "Result": score.result}
                raw_maximum = _number(meta.max_raw) if score.method.lower() == _RAW_SCORE else None
                low, high = spans.get(score.method.lower(), (0.0, raw_maximum))
                value = _number(score.result)
                if high is None:
                    self.counts["score results rejected"] += 1
                    self.exclude(
                        result.file,
                        score.line,
                        "AssessmentReportingMethod",
                        score.method,
                        "the assessment declares no MaximumScore for this score, so it cannot be scored",
                        row,
                    )
                    continue
                if value is None:
                    self.counts["score results rejected"] += 1
                    self.exclude(
                        result.file,
                        score.line,
                        score.field,
                        score.result,
                        f"{score.method} is not a number; not scored",
                        row,
                    )
                    continue
                code = _slug(score.method)
                if skill is None:
                    skill = self.subject_skill(meta, assessment_id, team)
                self.item_row(
                    assessment_id,
                    code,
                    {
                        "assessment_id": assessment_id,
                        "item_id": code,
                        "skill_id": skill,
                        "max_points": _fmt(high - low),
                    },
                    meta.file,
                    meta.line,
                )
                self.add(
                    "scores",
                    {
                        "student_id": result.student,
                        "assessment_id": assessment_id,
                        "item_id": code,
                        "points": _fmt(value - low),
                        "response": score.result,
                        "performance_level": "; ".join(result.levels),
                    },
                    result.file,
                    score.line,
                    {**_SCORE_FIELDS["score"], "points": score.field},
                )
                self.students_with_results[result.student].add(team)

    # -- people and the roster ------------------------------------------------------
    def people(self) -> None:
        names: dict[str, PersonRecord] = {}
        for student in self.rec.students:
            self.counts["students"] += 1
            if not student.ident:
                self.exclude(student.file, student.line, "StudentUniqueId", "", "no StudentUniqueId", {}, "error")
                continue
            if student.ident in names:
                first = names[student.ident]
                self.exclude(
                    student.file,
                    student.line,
                    "StudentUniqueId",
                    student.ident,
                    f"student listed twice (first in {first.file}, line {first.line})",
                    {"StudentUniqueId": student.ident},
                )
                continue
            names[student.ident] = student
        grade_of: dict[str, str] = {}
        for result in self.rec.results:
            if result.grade and result.student:
                grade_of[result.student] = _grade(result.grade)
        missing_grade = 0
        for ident in sorted(set(names) | set(self.students_with_results)):
            grade = grade_of.get(ident, "")
            if not grade:
                teams = self.students_with_results.get(ident, set())
                grades = {self.teams[t][1] for t in teams if self.teams[t][1]}
                grade = grades.pop() if len(grades) == 1 else "unknown"
            missing_grade += grade == "unknown"
            person = names.get(ident)
            row = {
                "student_id": ident,
                "grade": grade,
                "first_name": person.first if person else "",
                "last_name": person.last if person else "",
            }
            if person is not None:
                self.add("students", row, person.file, person.line, {"student_id": "StudentUniqueId"})
            else:
                result = next(r for r in self.rec.results if r.student == ident)
                self.add("students", row, result.file, result.line, {"student_id": "StudentUniqueId"})
        if missing_grade:
            self.notes.append(
                f"{missing_grade} student(s) have no grade in the files (WhenAssessedGradeLevel): grade 'unknown'"
            )
        without = len(set(names) - set(self.students_with_results))
        if without:
            self.notes.append(f"{without} student(s) in the Student files have no assessment results here")

    def roster(self) -> None:
        members: dict[str, list[str]] = defaultdict(list)
        for student, teams in sorted(self.students_with_results.items()):
            for team in sorted(teams):
                members[team].append(student)
        placement = place_students(self.rec, members, {team: info[0] for team, info in self.teams.items()})
        if not self.rec.student_sections:
            self.notes.append(EDFI_NO_ROSTER_NOTE)
        self.problems += placement.problems
        self.notes += placement.notes
        names = {s.ident: s for s in self.rec.schools if s.ident}
        for school in sorted({placement.school_of_team.get(team, _DISTRICT) for team in self.teams}):
            record = names.get(school)
            name = record.name if record and record.name else f"School {school}"
            if school == _DISTRICT:
                name = "Ed-Fi source (no school in the files)"
            file, line = (record.file, record.line) if record else ("", 0)
            self.add("schools", {"school_id": school, "name": name}, file, line, {"school_id": "SchoolId"})
        for team, (subject, grade, meta) in sorted(self.teams.items()):
            name = ", ".join(p for p in (subject, f"grade {grade}" if grade else "") if p) or "Ed-Fi assessments"
            school = placement.school_of_team.get(team, _DISTRICT)
            row = {"team_id": team, "school_id": school, "name": name, "grade": grade, "subject": subject}
            self.add("teams", row, meta.file, meta.line)
        fields = {
            "teachers": {"teacher_id": "StaffUniqueId"},
            "sections": {"section_id": "SectionIdentifier"},
            "enrollments": {"student_id": "StudentUniqueId", "section_id": "SectionIdentifier"},
        }
        for table, rows in (
            ("teachers", placement.teachers),
            ("sections", placement.sections),
            ("enrollments", placement.enrollments),
        ):
            for row, file, line in rows:
                self.add(table, row, file, line, fields[table])

    def finish_skills(self) -> None:
        for skill_id, row in self.skills.items():
            teams = row.pop("teams")
            file, line = row.pop("origin")
            row["team_id"] = next(iter(teams)) if len(teams) == 1 else ""
            self.add("skills", row, file, line, {"skill_id": "LearningStandardId"})

    def run(self) -> None:
        self.teams: dict[str, tuple[str, str, AssessmentMeta]] = {}
        self.index()
        self.assessments()
        self.people()
        self.roster()
        self.finish_skills()

    def raw_tables(self) -> dict[str, RawTable]:
        raw = {}
        for name in CFA_TABLES:
            rows = self.rows[name]
            columns = list(TABLES[name].column_names)
            for row in rows:
                columns += [k for k in row if k not in columns and k != LINE]
            frame = pd.DataFrame({c: pd.Series([str(r.get(c, "") or "") for r in rows], dtype="str") for c in columns})
            frame[LINE] = pd.Series([r[LINE] for r in rows], dtype="int64")
            raw[name] = RawTable(name, frame, [], "utf-8", name)
        return raw


def _translate(converter: _Converter, result: ValidationResult) -> ValidationResult:
    """Point validation problems at the Ed-Fi file, line and field each canonical row came from."""
    origins = converter.origins

    def where(table: str, line: float | None) -> _Origin | None:
        if table not in origins or line is None or pd.isna(line):
            return None
        position = int(line) - 2
        return origins[table][position] if 0 <= position < len(origins[table]) else None

    problems = list(converter.problems)
    upstream = len(problems)
    for problem in result.problems[upstream:]:
        origin = where(problem.file, problem.line)
        if origin is None:
            problems.append(problem)
            continue
        field = origin.fields.get(problem.column, problem.column)
        problems.append(replace(problem, file=origin.file or problem.file, line=origin.line or None, column=field))
    rows = []
    for record in result.rejected.to_dict("records"):
        origin = where(record["file"], record["line"])
        if origin is not None:
            row = json.loads(record["row"]) if record["row"] else {}
            row = {k: (REDACTED if k in SENSITIVE_COLUMNS and v else v) for k, v in row.items()}
            record = {
                **record,
                "file": origin.file or record["file"],
                "line": origin.line or None,
                "row": json.dumps(row, ensure_ascii=False),
            }
        rows.append(record)
    rejected = pd.DataFrame(converter.rejected + rows, columns=REJECTED_COLUMNS)
    rejected["line"] = rejected["line"].astype("Int64")
    return ValidationResult(result.tables, problems, rejected, result.hints)


def load_edfi(path: str | Path, *, errors: Errors = "raise", proficiency_cut: float = 0.8) -> Dataset:
    """Load Ed-Fi assessment data (XML interchange files or saved ODS/API JSON) as a canonical dataset.

    Parameters
    ----------
    path : str or Path
        A folder or ``.zip`` of Ed-Fi files, or one file: XML interchange
        files of Data Standard 4 or 5 (``InterchangeAssessmentMetadata``,
        ``InterchangeStudentAssessment``, and optionally ``InterchangeStudent``
        ...), or ODS/API resources saved as JSON arrays, one file per resource,
        named after it (``assessments.json``, ``assessmentItems.json``,
        ``objectiveAssessments.json``, ``studentAssessments.json``, optionally
        ``students.json`` ...).  XML declaring a DTD or entities is refused.
    errors : {"raise", "quarantine"}
        ``"raise"`` (default): raise :class:`~plc_analysis.PLCDataError` when
        any row cannot be loaded as an error; warnings (inconsistencies the
        source reports about itself, results of assessments missing from the
        files, students not tested) never raise.  ``"quarantine"``: load the
        valid rows and keep every left-out row in ``Dataset.rejected``.
    proficiency_cut : float
        Proficiency cut (share of points, 0-1) of every skill made from the files.

    Returns
    -------
    Dataset
        Canonical tables:

        - ``assessments`` (``assessment_id, team_id, title, kind, date`` and
          ``namespace, performance_levels``): one per ``Assessment``;
          ``assessment_id`` = ``AssessmentIdentifier`` (with the namespace in
          brackets when two namespaces use one identifier); kind from
          ``AssessmentCategory`` (state / college entrance / AP / IB /
          proficiency tests: ``state``; benchmark / interim / achievement:
          ``cumulative``; class test / performance / portfolio: ``unit``;
          otherwise ``cfa``); date = the first ``AdministrationDate`` (else
          ``RevisionDate``); ``performance_levels`` lists the cut scores,
          e.g. ``"Met Standard (Raw score: 19-22); ..."``;
        - ``items`` (``assessment_id, item_id, skill_id, max_points, kind, key``
          and ``category``): see the module notes; ``item_id`` = the Ed-Fi
          ``IdentificationCode`` (an item, an objective assessment) or the
          reporting method's slug (``composite-score``); ``key`` = the one
          correct ``PossibleResponse`` (blank for a multi-select item);
        - ``skills`` (``skill_id, description, team_id, essential,
          proficiency_cut, standard``): learning standards (id = the
          ``LearningStandardId``), objective assessments, or
          ``<subject>-overall``;
        - ``scores`` (``student_id, assessment_id, item_id, points, response``
          and ``performance_level``): ``performance_level`` = the
          ``PerformanceLevel`` the source reports for the student on the
          assessment (on the objective, for an objective's score), ``;``-joined
          when several;
        - ``students`` (``student_id, grade, first_name, last_name``):
          ``StudentUniqueId``; grade from ``WhenAssessedGradeLevel`` (``3``,
          ``K`` ...), else the assessment's grade, else ``unknown``; names
          from ``Student`` records when the files have them;
        - ``schools``, ``teams`` (one per assessed subject and grade, e.g.
          ``mathematics-grade-3``), ``teachers``, ``sections``,
          ``enrollments``: without section associations in the files (the
          usual case for assessment extracts), one section per team holds
          every student with results (a note says so); pass ``roster=`` to
          :func:`plc_analysis.load_dataset` for real classes.

        ``Dataset.problems`` name the Ed-Fi file, the line of the element (XML)
        or of the resource object (JSON), and the Ed-Fi field.

    Raises
    ------
    PLCDataError
        With ``errors="raise"`` when a row breaks a canonical rule; in either
        mode when a file is hostile or malformed XML/JSON, or no Ed-Fi
        assessment data is found.
    FileNotFoundError
        When ``path`` does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {path}")
    if errors not in ("raise", "quarantine"):
        raise ValueError(f"errors must be 'raise' or 'quarantine', not {errors!r}")
    if not 0 < float(proficiency_cut) <= 1:
        raise ValueError(f"proficiency_cut must be a share between 0 and 1, not {proficiency_cut!r}")
    files, others = edfi_files(path)
    records = read_records(files)
    if not records.assessments:
        what = "no Ed-Fi files" if not files else "no assessment metadata"
        raise PLCDataError(
            [
                Problem(
                    path.name,
                    None,
                    None,
                    None,
                    f"{what} found: give the AssessmentMetadata interchange file (or assessments.json) with the "
                    "StudentAssessment file (or studentAssessments.json)",
                )
            ],
            source=str(path),
        )
    converter = _Converter(records, proficiency_cut=float(proficiency_cut))
    converter.run()
    for label, tags in sorted(records.unused.items()):
        converter.notes.append(f"{label}: not used: {', '.join(sorted(tags))}")
    if others:
        converter.notes.append(f"not Ed-Fi files, not read: {', '.join(sorted(others))}")
    result = validate_tables(converter.raw_tables(), extra_problems=converter.problems)
    result = _translate(converter, result)
    counts = converter.counts
    kinds = sorted({f.name for f in files})
    notes = [f"Ed-Fi {', '.join(kinds)}", *converter.notes]
    if counts:
        notes.append("read: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    return finish_load(result, source=str(path), errors=errors, notes=tuple(notes))
