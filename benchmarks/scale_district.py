"""A big synthetic district written straight into the school-partitioned layout, school by school.

Run from the repository root::

    .venv/bin/python benchmarks/scale_district.py --rows 1e8            # cached in benchmarks/.cache/
    .venv/bin/python benchmarks/scale_district.py --rows 1e6 --flat     # also a flat canonical folder

The default target is a large urban district's year of weekly CFAs: 100M
score rows, about 300,000 students and 2,000 teams.  The layout is
:mod:`plc_analysis.partitioned`'s (``_plc_partitioned.json``,
``schools.parquet``, one ``school_id=<id>/`` canonical folder per school,
``_shared/`` for the students no school's partition reaches), and each
partition holds exactly what ``dataset.filter(school_id=S)`` keeps, so
:func:`plc_analysis.partitioned.load_partitioned` and ``plc batch`` read it.

What makes it realistic:

* schools of three levels (elementary K–5 math and ELA teams; middle 6–8
  math, ELA and science; high 9–12 math and ELA), of different sizes;
* every team gives a weekly CFA (34 by default, a unit test every sixth
  week and a cumulative one at the end), 10 items each (multiple choice with
  keys and responses, constructed response, rubric);
* teams of the same grade and subject share their course's skills
  (district-wide skills, ``team_id`` blank, as in the sample district) and
  most assessments (``common_id``: the same items, the same difficulty), so
  the team-to-team peer counts are meaningful; about one assessment in
  seven is the team's own (no ``common_id``);
* absences (a student × assessment without any row), students excused from
  an assessment (``excused``), not-attempted items (blank points), a little
  double scoring of rubric items (``rater_id``), subgroups ``ell``, ``sped``
  and ``frl`` with planted gaps, teachers that differ, growth over the year,
  students who move mid-year to the same course in another school (enrolled
  in both, so on both partitions' rosters, as ``filter`` keeps them), a few
  students on the roster without any section (``_shared``).

Generation goes school by school with bounded memory (one school's rows at a
time; the whole plan of schools, teams and students is a few arrays), every
school from its own seed, so the same ``seed`` and ``rows`` give the same
files and an interrupted run resumes with the schools not yet written.
Districts are cached in ``benchmarks/.cache/scale-v<VERSION>-<rows>-seed<seed>``;
bump :data:`GENERATOR_VERSION` when the output changes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from synthetic import LETTERS, ids, indexed_labels, score_table  # noqa: E402

__all__ = [
    "GENERATOR_VERSION",
    "CACHE",
    "Shape",
    "DistrictPlan",
    "plan_district",
    "generate_partitioned",
    "write_flat",
    "cached_partitioned",
    "cached_flat",
]

CACHE = HERE / ".cache"
#: Bump when the generator's output changes, so cached districts are rebuilt.
GENERATOR_VERSION = 2
#: plc_analysis.partitioned's format marker, name and version (a test checks they match the package's).
MARKER_NAME = "_plc_partitioned.json"
FORMAT = {"format": "plc-partitioned", "version": 1, "partition_by": "school_id"}
SHARED_NAME = "_shared"
COMPLETE = ".complete"

LEVELS = {  # level → (grades, subjects)
    "elementary": (("K", "1", "2", "3", "4", "5"), ("math", "ela")),
    "middle": (("6", "7", "8"), ("math", "ela", "science")),
    "high": (("9", "10", "11", "12"), ("math", "ela")),
}
LEVEL_NAMES = tuple(LEVELS)
LEVEL_SHARES = (0.6, 0.2, 0.2)
COURSES = tuple((grade, subject) for grades, subjects in LEVELS.values() for grade in grades for subject in subjects)
ITEM_KINDS = np.array(["mc", "cr", "rubric"], dtype=object)
ITEM_POINTS = np.array([1.0, 2.0, 4.0])
FIRST_NAMES = np.array(["Ana", "Ben", "Cy", "Di", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jo", "Kai", "Lu"], dtype=object)
LAST_NAMES = np.array(["Diaz", "Eto", "Fox", "Gao", "Hall", "Ito", "Jones", "Khan", "Lee", "Moss", "Nu"], dtype=object)
EXCUSE_REASONS = np.array(["medical", "new to the school", "testing accommodation"], dtype=object)
FIRST_WEEK = np.datetime64("2025-09-08")


@dataclass(frozen=True)
class Shape:
    """The district's shape: team sizes, the CFA blueprint, and how often each quirk happens."""

    students_per_team: int = 150  # mean; each school's teams are 0.6–1.4× this
    students_per_section: int = 26
    sections_per_secondary_teacher: int = 2  # elementary teachers have one class
    assessments_per_team: int = 34  # weekly CFAs
    items_per_assessment: int = 10
    skills_per_course: int = 12
    essential_per_course: int = 8
    unit_every: int = 6  # every sixth assessment is a unit test; the last one is cumulative
    team_made_rate: float = 0.15  # assessments that are the team's own (no common_id)
    absent_rate: float = 0.04  # student × assessment with no rows at all
    excused_rate: float = 0.003  # student × assessment excused (an ``excused`` row, no scores)
    not_attempted_rate: float = 0.01  # blank points
    double_scored_rate: float = 0.002  # rows that are rubric items scored again by a colleague
    unenrolled_rate: float = 0.001  # students on the roster in no section (``_shared``)
    mover_rate: float = 0.01  # students who move mid-year to the same course in another school

    @property
    def items_per_team(self) -> int:
        return self.assessments_per_team * self.items_per_assessment

    def rows_per_student(self) -> float:
        """Expected score rows per student."""
        sat = 1 - self.absent_rate - self.excused_rate
        return self.items_per_team * sat * (1 + self.double_scored_rate)


@dataclass(frozen=True)
class DistrictPlan:
    """Who is where, decided before any row is generated (a few small arrays).

    Attributes
    ----------
    team_school, team_course, team_students, team_first_student : ndarray of int
        Per team: its school, its course (position in ``COURSES``), its
        number of students, and its first student's number (students are
        numbered team after team; a team's students are contiguous).
    team_first_section, team_sections, team_first_teacher, team_teachers : ndarray of int
        The same for sections and teachers.
    school_level : ndarray of int
        Per school: position in ``LEVEL_NAMES``.
    unenrolled : int
        Students after the last team's, on the roster in no section.
    mover_student, mover_team, mover_section, mover_week : ndarray of int
        Students who move mid-year (sorted): the team of the same course in
        another school they join, their section there (within that team), and
        the first week they sit that team's assessments instead of their own.
        Both schools' partitions hold them (as ``filter(school_id=...)`` keeps
        a student enrolled in two schools).
    """

    seed: int
    shape: Shape
    school_level: np.ndarray
    team_school: np.ndarray
    team_course: np.ndarray
    team_students: np.ndarray
    team_first_student: np.ndarray
    team_sections: np.ndarray
    team_first_section: np.ndarray
    team_teachers: np.ndarray
    team_first_teacher: np.ndarray
    unenrolled: int
    mover_student: np.ndarray
    mover_team: np.ndarray
    mover_section: np.ndarray
    mover_week: np.ndarray

    @property
    def n_schools(self) -> int:
        return len(self.school_level)

    @property
    def n_teams(self) -> int:
        return len(self.team_school)

    @property
    def n_students(self) -> int:
        """Enrolled students (the unenrolled ones come after them)."""
        return int(self.team_students.sum())

    def expected_rows(self) -> float:
        return self.n_students * self.shape.rows_per_student()


# --------------------------------------------------------------------------- #
# Identifiers (one function each, so partitions and the flat copy agree)
# --------------------------------------------------------------------------- #
def school_label(school: int) -> str:
    return f"S{school:04d}"


def team_label(team: int) -> str:
    return f"T{team:05d}"


def course_code(course: int) -> str:
    grade, subject = COURSES[course]
    return f"G{grade.zfill(2)}-{subject.upper()}"


def _folder(school: int) -> str:
    return f"school_id={quote(school_label(school), safe='')}"


# --------------------------------------------------------------------------- #
# The plan
# --------------------------------------------------------------------------- #
def plan_district(rows: int, *, seed: int = 23, shape: Shape = Shape()) -> DistrictPlan:
    """Schools, teams and their sizes for about ``rows`` score rows (no rows generated).

    Schools are added until the expected rows reach ``rows``; the last
    school keeps only the teams needed (at least one team in all).

    Parameters
    ----------
    rows : int
        Target number of score rows.
    seed : int
        Random seed.
    shape : Shape
        Team sizes, blueprint and quirk rates.

    Returns
    -------
    DistrictPlan
    """
    rng = np.random.default_rng([seed, 0])
    per_student = shape.rows_per_student()
    school_level: list[int] = []
    team_school: list[int] = []
    team_course: list[int] = []
    team_students: list[int] = []
    expected = 0.0
    while expected < rows:
        level = int(rng.choice(len(LEVEL_NAMES), p=LEVEL_SHARES))
        size = rng.uniform(0.6, 1.4)
        grades, subjects = LEVELS[LEVEL_NAMES[level]]
        school = len(school_level)
        school_level.append(level)
        for grade in grades:
            cohort = max(2, int(round(shape.students_per_team * size * rng.uniform(0.9, 1.1))))
            for subject in subjects:
                team_school.append(school)
                team_course.append(COURSES.index((grade, subject)))
                team_students.append(cohort)
                expected += cohort * per_student
                if expected >= rows:
                    break
            if expected >= rows:
                break
    students = np.array(team_students, dtype=np.int64)
    sections = np.maximum(1, np.round(students / shape.students_per_section).astype(np.int64))
    elementary = np.array([school_level[s] == 0 for s in team_school])
    per_teacher = np.where(elementary, 1, shape.sections_per_secondary_teacher)
    teachers = np.maximum(1, np.ceil(sections / per_teacher).astype(np.int64))

    def starts(counts: np.ndarray) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)

    movers = _plan_movers(rng, shape, np.array(team_school), np.array(team_course), students, sections)
    return DistrictPlan(
        seed=seed,
        shape=shape,
        school_level=np.array(school_level, dtype=np.int64),
        team_school=np.array(team_school, dtype=np.int64),
        team_course=np.array(team_course, dtype=np.int64),
        team_students=students,
        team_first_student=starts(students),
        team_sections=sections,
        team_first_section=starts(sections),
        team_teachers=teachers,
        team_first_teacher=starts(teachers),
        unenrolled=int(round(students.sum() * shape.unenrolled_rate)),
        mover_student=movers[0],
        mover_team=movers[1],
        mover_section=movers[2],
        mover_week=movers[3],
    )


def _plan_movers(
    rng: np.random.Generator,
    shape: Shape,
    team_school: np.ndarray,
    team_course: np.ndarray,
    students: np.ndarray,
    sections: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Students who move to a team of the same course in another school, some week of the year."""
    first = np.concatenate([[0], np.cumsum(students)[:-1]])
    moving = np.flatnonzero(rng.random(int(students.sum())) < shape.mover_rate)
    origin = np.searchsorted(first, moving, side="right") - 1
    draws = rng.random((len(moving), 3))
    a = shape.assessments_per_team
    chosen: list[tuple[int, int, int, int]] = []
    for student, team, draw in zip(moving, origin, draws):
        others = np.flatnonzero((team_course == team_course[team]) & (team_school != team_school[team]))
        if not len(others):
            continue
        to = int(others[int(draw[0] * len(others))])
        week = a // 4 + int(draw[2] * max(1, a // 2))
        chosen.append((int(student), to, int(draw[1] * sections[to]), week))
    found = np.array(chosen, dtype=np.int64).reshape(-1, 4)
    return found[:, 0], found[:, 1], found[:, 2], found[:, 3]


@dataclass(frozen=True)
class Blueprint:
    """Per course × assessment × item: skill, points, kind, key and difficulty (shared by the course's teams)."""

    skill: np.ndarray  # (courses, A, I) skill number within the course
    kind: np.ndarray  # (courses, A, I) position in ITEM_KINDS
    key: np.ndarray  # (courses, A, I) position in LETTERS
    difficulty: np.ndarray  # (courses, A, I)
    cut: np.ndarray  # (courses, K) proficiency cut per skill


def make_blueprint(plan: DistrictPlan) -> Blueprint:
    """Each course's CFAs: every assessment covers three skills, round the course's skills in turn."""
    shape = plan.shape
    rng = np.random.default_rng([plan.seed, 1])
    n_courses, a, i, k = len(COURSES), shape.assessments_per_team, shape.items_per_assessment, shape.skills_per_course
    week = np.arange(a)[None, :, None]
    item = np.arange(i)[None, None, :]
    skill = np.broadcast_to((2 * week + item % 3) % k, (n_courses, a, i)).copy()
    kind = np.broadcast_to(np.where(item % 5 < 3, 0, np.where(item % 5 == 3, 1, 2)), (n_courses, a, i)).copy()
    return Blueprint(
        skill=skill,
        kind=kind,
        key=rng.integers(0, len(LETTERS), (n_courses, a, i)),
        difficulty=rng.normal(0.0, 0.7, (n_courses, a, i)) + rng.normal(0.0, 0.3, (n_courses, 1, 1)),
        cut=rng.choice([0.7, 0.75, 0.8], size=(n_courses, k)),
    )


# --------------------------------------------------------------------------- #
# Tables
# --------------------------------------------------------------------------- #
def _write(frame: pd.DataFrame | pa.Table, path: Path) -> None:
    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    for position, field in enumerate(table.schema):
        if pa.types.is_null(field.type):  # an identifier column left blank (skills.team_id) stays text
            table = table.set_column(position, field.name, table.column(position).cast(pa.string()))
    pq.write_table(table, path, row_group_size=1 << 20)


def skills_table(plan: DistrictPlan, courses: np.ndarray, used: bool, blueprint: Blueprint) -> pd.DataFrame:
    """District-wide skills (``team_id`` blank) of ``courses``: those some item uses, or (``used=False``) the rest."""
    k = plan.shape.skills_per_course
    rows = []
    for course in courses:
        covered = np.zeros(k, dtype=bool)
        covered[np.unique(blueprint.skill[course])] = True
        grade, subject = COURSES[course]
        for j in np.flatnonzero(covered if used else ~covered):
            rows.append(
                {
                    "skill_id": f"{course_code(course)}-K{j + 1:02d}",
                    "description": f"Grade {grade} {subject} skill {j + 1}",
                    "team_id": None,
                    "essential": bool(j < plan.shape.essential_per_course),
                    "proficiency_cut": float(blueprint.cut[course, j]),
                    "standard": f"{grade}.{subject[:2].upper()}.{j + 1}",
                }
            )
    columns = ["skill_id", "description", "team_id", "essential", "proficiency_cut", "standard"]
    return pd.DataFrame(rows, columns=columns).sort_values("skill_id", kind="stable").reset_index(drop=True)


def _student_ids(first: int, n: int) -> np.ndarray:
    return ids("st", n, 7, start=first)


@dataclass(frozen=True)
class Cohort:
    """A team's own students as generated once for every school that needs them (movers are in two)."""

    section: np.ndarray  # section within the team
    first_name: np.ndarray
    last_name: np.ndarray
    ell: np.ndarray
    sped: np.ndarray
    frl: np.ndarray
    ability: np.ndarray


def team_cohort(plan: DistrictPlan, team: int) -> Cohort:
    """The students of ``team`` (its own, movers out included), from the team's own seed."""
    school = int(plan.team_school[team])
    rates = np.random.default_rng([plan.seed, 5, school])
    ell_rate, frl_rate = rates.uniform(0.05, 0.35), rates.uniform(0.2, 0.8)
    rng = np.random.default_rng([plan.seed, 4, team])
    n = int(plan.team_students[team])
    ell, sped, frl = rng.random(n) < ell_rate, rng.random(n) < 0.12, rng.random(n) < frl_rate
    return Cohort(
        section=rng.integers(0, int(plan.team_sections[team]), n),
        first_name=FIRST_NAMES[rng.integers(0, len(FIRST_NAMES), n)],
        last_name=LAST_NAMES[rng.integers(0, len(LAST_NAMES), n)],
        ell=ell,
        sped=sped,
        frl=frl,
        # subgroup gaps planted in the ability
        ability=rng.normal(1.2, 1.0, n) - 0.35 * ell - 0.6 * sped - 0.25 * frl,
    )


@dataclass(frozen=True)
class Roster:
    """A school's students: its own and those who move in, sorted by student number."""

    student: np.ndarray  # district-wide student number
    team: np.ndarray  # team within the school
    section: np.ndarray  # section within the school
    first_week: np.ndarray  # the weeks they sit here: first_week <= week < last_week
    last_week: np.ndarray
    cohort_team: np.ndarray  # the team whose cohort they come from (district-wide) ...
    cohort_row: np.ndarray  # ... and their row in it


def school_roster(plan: DistrictPlan, school: int, teams: np.ndarray) -> Roster:
    """Who is on ``school``'s roster, in which section, for which weeks."""
    a = plan.shape.assessments_per_team
    first_section = plan.team_first_section[teams] - plan.team_first_section[teams[0]]
    parts: list[tuple[np.ndarray, ...]] = []
    for position, team in enumerate(teams):
        cohort = team_cohort(plan, int(team))
        n, first = int(plan.team_students[team]), int(plan.team_first_student[team])
        student = np.arange(first, first + n)
        last = np.full(n, a)
        out = np.isin(student, plan.mover_student)
        last[out] = plan.mover_week[np.searchsorted(plan.mover_student, student[out])]
        parts.append(
            (
                student,
                np.full(n, position),
                first_section[position] + cohort.section,
                np.zeros(n, dtype=np.int64),
                last,
                np.full(n, team),
                np.arange(n),
            )
        )
    incoming = np.flatnonzero(np.isin(plan.mover_team, teams))
    if len(incoming):
        student = plan.mover_student[incoming]
        local = np.searchsorted(teams, plan.mover_team[incoming])
        origin = np.searchsorted(plan.team_first_student, student, side="right") - 1
        parts.append(
            (
                student,
                local,
                first_section[local] + plan.mover_section[incoming],
                plan.mover_week[incoming],
                np.full(len(incoming), a),
                origin,
                student - plan.team_first_student[origin],
            )
        )
    columns = [np.concatenate([part[k] for part in parts]).astype(np.int64) for k in range(7)]
    order = np.argsort(columns[0], kind="stable")
    return Roster(*(column[order] for column in columns))


def _school_tables(plan: DistrictPlan, school: int, blueprint: Blueprint) -> dict[str, pd.DataFrame | pa.Table]:
    """Every table of one school's partition (what ``dataset.filter(school_id=S)`` keeps)."""
    shape = plan.shape
    rng = np.random.default_rng([plan.seed, 2, school])
    teams = np.flatnonzero(plan.team_school == school)
    a, i = shape.assessments_per_team, shape.items_per_assessment
    s_label = school_label(school)
    team_ids = np.array([team_label(int(t)) for t in teams], dtype=np.object_)
    out: dict[str, pd.DataFrame | pa.Table] = {}
    out["schools"] = pd.DataFrame({"school_id": [s_label], "name": [f"School {school + 1}"]})
    out["teams"] = pd.DataFrame(
        {
            "team_id": team_ids,
            "school_id": s_label,
            "name": [f"Grade {COURSES[c][0]} {COURSES[c][1]} ({s_label})" for c in plan.team_course[teams]],
            "grade": [COURSES[c][0] for c in plan.team_course[teams]],
            "subject": [COURSES[c][1] for c in plan.team_course[teams]],
        }
    )
    # teachers and sections, numbered district-wide
    n_teachers, first_teacher = plan.team_teachers[teams], plan.team_first_teacher[teams]
    teacher_team = np.repeat(np.arange(len(teams)), n_teachers)
    teacher = np.concatenate([np.arange(f, f + n) for f, n in zip(first_teacher, n_teachers)])
    teacher_labels = ids("t", len(teacher), 5, start=int(teacher[0]))  # contiguous: a school's teams are
    out["teachers"] = pd.DataFrame(
        {"teacher_id": teacher_labels, "team_id": team_ids[teacher_team], "name": [f"Teacher {t + 1}" for t in teacher]}
    )
    n_sections, first_section = plan.team_sections[teams], plan.team_first_section[teams]
    section_team = np.repeat(np.arange(len(teams)), n_sections)
    section_local = np.concatenate([np.arange(n) for n in n_sections])
    section_teacher = (first_teacher - first_teacher[0])[section_team] + section_local % n_teachers[section_team]
    section = np.concatenate([np.arange(f, f + n) for f, n in zip(first_section, n_sections)])
    out["sections"] = pd.DataFrame(
        {
            "section_id": ids("sec", len(section), 6, start=int(section[0])),
            "teacher_id": teacher_labels[section_teacher],
            "team_id": team_ids[section_team],
            "period": (section_local % 7 + 1).astype(str),
            "term": "2025-26",
        }
    )
    # students: each team's cohort, each in one of the team's sections, and the students moving in
    roster = school_roster(plan, school, teams)
    n = len(roster.student)
    student_team, student_section = roster.team, roster.section
    student_labels = np.array([f"st{k:07d}" for k in roster.student], dtype=np.object_)
    attributes: dict[str, list[np.ndarray]] = {
        k: [] for k in ("first_name", "last_name", "ell", "sped", "frl", "ability")
    }
    slots = np.empty(n, dtype=np.int64)
    position = 0
    for team in np.unique(roster.cohort_team):
        cohort, mine = team_cohort(plan, int(team)), np.flatnonzero(roster.cohort_team == team)
        for key in attributes:
            attributes[key].append(getattr(cohort, key)[roster.cohort_row[mine]])
        slots[mine] = np.arange(position, position + len(mine))
        position += len(mine)
    first_name, last_name, ell, sped, frl, ability = (np.concatenate(attributes[k])[slots] for k in attributes)
    out["students"] = pd.DataFrame(
        {
            "student_id": student_labels,
            "grade": [COURSES[c][0] for c in plan.team_course[teams][student_team]],
            "first_name": first_name,
            "last_name": last_name,
            "ell": ell,
            "sped": sped,
            "frl": frl,
        }
    )
    out["enrollments"] = pd.DataFrame(
        {"student_id": student_labels, "section_id": out["sections"]["section_id"].to_numpy()[student_section]}
    )
    courses = np.unique(plan.team_course[teams])
    out["skills"] = skills_table(plan, courses, True, blueprint)
    # assessments: weekly, most of them common to the course
    week = np.tile(np.arange(a), len(teams))
    assessment_team = np.repeat(np.arange(len(teams)), a)
    course = plan.team_course[teams][assessment_team]
    team_made = rng.random(len(week)) < shape.team_made_rate
    kind = np.where(week == a - 1, "cumulative", np.where((week + 1) % shape.unit_every == 0, "unit", "cfa"))
    assessment_labels = np.array([f"{team_ids[t]}-W{w + 1:02d}" for t, w in zip(assessment_team, week)], dtype=object)
    codes = np.array([course_code(c) for c in course], dtype=object)
    out["assessments"] = pd.DataFrame(
        {
            "assessment_id": assessment_labels,
            "team_id": team_ids[assessment_team],
            "title": [f"{'Team quiz' if m else 'CFA'} {w + 1}" for m, w in zip(team_made, week)],
            "kind": kind,
            "date": (FIRST_WEEK + 7 * week).astype("datetime64[ns]"),
            "unit": [f"Unit {w // shape.unit_every + 1}" for w in week],
            "common_id": [None if m else f"{c}-W{w + 1:02d}" for m, c, w in zip(team_made, codes, week)],
        }
    )
    item_labels = indexed_labels("Q", i)
    item_assessment = np.repeat(np.arange(len(week)), i)
    q = np.tile(np.arange(i), len(week))
    item_course, item_week = course[item_assessment], week[item_assessment]
    item_kind = blueprint.kind[item_course, item_week, q]
    item_skill = blueprint.skill[item_course, item_week, q]
    out["items"] = pd.DataFrame(
        {
            "assessment_id": assessment_labels[item_assessment],
            "item_id": item_labels[q],
            "skill_id": [f"{course_code(c)}-K{k + 1:02d}" for c, k in zip(item_course, item_skill)],
            "max_points": ITEM_POINTS[item_kind],
            "kind": ITEM_KINDS[item_kind],
            "key": np.where(item_kind == 0, LETTERS[blueprint.key[item_course, item_week, q]], None),
        }
    )
    # who sat what: absences and excused sittings leave no rows
    draw = rng.random((n, a))
    weeks = np.arange(a)[None, :]
    here = (weeks >= roster.first_week[:, None]) & (weeks < roster.last_week[:, None])
    excused = here & (draw < shape.excused_rate)
    absent = ~here | ((draw >= shape.excused_rate) & (draw < shape.excused_rate + shape.absent_rate))
    ex_student, ex_week = np.nonzero(excused)
    if shape.excused_rate > 0:
        out["excused"] = pd.DataFrame(
            {
                "student_id": student_labels[ex_student],
                "assessment_id": assessment_labels[student_team[ex_student] * a + ex_week],
                "reason": EXCUSE_REASONS[rng.integers(0, len(EXCUSE_REASONS), len(ex_student))],
            }
        )
    # rows in the order a district accumulates them: each week's CFA appended after the last
    sat_week, sat_student = np.nonzero(~(excused | absent).T)
    student = np.repeat(sat_student, i)
    week_of_row = np.repeat(sat_week, i)
    q = np.tile(np.arange(i), len(sat_student))
    team = student_team[student]
    row_course = plan.team_course[teams][team]
    teacher_local = section_teacher[student_section[student]]
    team_teacher0 = (first_teacher - first_teacher[0])[team]
    colleague = team_teacher0 + (teacher_local - team_teacher0 + 1) % n_teachers[team]
    # growth over the year; teachers differ
    teacher_effect = rng.normal(0.0, 0.3, len(teacher))
    growth = 0.6 * week_of_row / max(1, a - 1)
    kind_code = blueprint.kind[row_course, week_of_row, q]
    difficulty = blueprint.difficulty[row_course, week_of_row, q]
    labels = {
        "student": student_labels,
        "assessment": assessment_labels,
        "item": item_labels,
        "teacher": teacher_labels,
    }
    out["scores"] = score_table(
        rng,
        student=student,
        assessment=team * a + week_of_row,
        item=q,
        teacher=teacher_local,
        colleague=colleague,
        logit=ability[student] + teacher_effect[teacher_local] + growth - difficulty,
        max_points=ITEM_POINTS[kind_code],
        key=blueprint.key[row_course, week_of_row, q],
        labels=labels,
        not_attempted_rate=shape.not_attempted_rate,
        double_scored_rate=shape.double_scored_rate,
    )
    return out


def _shared_tables(plan: DistrictPlan, blueprint: Blueprint) -> dict[str, pd.DataFrame]:
    """Rows no school's partition reaches: unenrolled students, skills no item uses."""
    shared: dict[str, pd.DataFrame] = {}
    if plan.unenrolled:
        rng = np.random.default_rng([plan.seed, 3])
        n = plan.unenrolled
        grades = np.array(sorted({g for g, _ in COURSES}), dtype=object)
        shared["students"] = pd.DataFrame(
            {
                "student_id": _student_ids(plan.n_students, n),
                "grade": grades[rng.integers(0, len(grades), n)],
                "first_name": FIRST_NAMES[rng.integers(0, len(FIRST_NAMES), n)],
                "last_name": LAST_NAMES[rng.integers(0, len(LAST_NAMES), n)],
                "ell": rng.random(n) < 0.15,
                "sped": rng.random(n) < 0.12,
                "frl": rng.random(n) < 0.5,
            }
        )
    unused = skills_table(plan, np.unique(plan.team_course), False, blueprint)
    if len(unused):
        shared["skills"] = unused
    return shared


def _progress(iterable: range, *, desc: str, quiet: bool) -> Iterable[int]:
    if quiet:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, unit="school", file=sys.stderr)


def generate_partitioned(
    folder: str | Path, rows: int, *, seed: int = 23, shape: Shape = Shape(), quiet: bool = False
) -> Path:
    """Write a synthetic district of about ``rows`` score rows, partitioned by school.

    The district is written under ``<folder>.partial`` one school folder at a
    time (each moved into place when complete, so an interrupted run resumes
    with the schools not yet written) and moved to ``folder`` at the end.

    Parameters
    ----------
    folder : str or Path
        Destination; must not exist.
    rows : int
        Target number of score rows (reached within about one team's rows).
    seed : int
        Random seed: the same seed, rows and shape give the same files.
    shape : Shape
        Team sizes, blueprint and quirk rates.
    quiet : bool
        No progress bar.

    Returns
    -------
    Path
        ``folder``.
    """
    target = Path(folder)
    if target.exists():
        raise FileExistsError(f"{target} already exists")
    staging = target.with_name(target.name + ".partial")
    staging.mkdir(parents=True, exist_ok=True)
    plan = plan_district(rows, seed=seed, shape=shape)
    blueprint = make_blueprint(plan)
    present: set[str] = set()
    for school in _progress(range(plan.n_schools), desc=f"{rows:,} rows: schools", quiet=quiet):
        done = staging / _folder(school)
        if done.is_dir():
            present.update(p.stem for p in done.glob("*.parquet"))
            continue
        work = staging / (_folder(school) + ".tmp")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        for name, table in _school_tables(plan, school, blueprint).items():
            _write(table, work / f"{name}.parquet")
            present.add(name)
        os.replace(work, done)
    numbers = range(plan.n_schools)
    schools = pd.DataFrame(
        {"school_id": [school_label(s) for s in numbers], "name": [f"School {s + 1}" for s in numbers]}
    )
    _write(schools, staging / "schools.parquet")
    shared = _shared_tables(plan, blueprint)
    if shared:
        (staging / SHARED_NAME).mkdir(exist_ok=True)
        for name, frame in shared.items():
            _write(frame, staging / SHARED_NAME / f"{name}.parquet")
    from plc_analysis.schema import TABLE_ORDER

    marker = {
        **FORMAT,
        "schools": {school_label(s): _folder(s) for s in range(plan.n_schools)},
        "tables": [name for name in TABLE_ORDER if name in present],
        "shared": sorted(shared),
        "generator": {"version": GENERATOR_VERSION, "rows": rows, "seed": seed},
    }
    (staging / MARKER_NAME).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    os.replace(staging, target)
    return target


def write_flat(partitioned: str | Path, folder: str | Path) -> Path:
    """The same district as one flat canonical folder of Parquet files (for the in-memory path).

    Every partition's table concatenated, the rows repeated in several
    partitions (district-wide skills) kept once, plus ``_shared``'s rows.
    Meant for small districts (the tables pass through memory).

    Returns
    -------
    Path
        ``folder``.
    """
    source, target = Path(partitioned), Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    marker = json.loads((source / MARKER_NAME).read_text(encoding="utf-8"))
    parts = [source / name for name in marker["schools"].values()]
    if (source / SHARED_NAME).is_dir():
        parts.append(source / SHARED_NAME)
    for name in marker["tables"]:
        if name == "schools":
            shutil.copyfile(source / "schools.parquet", target / "schools.parquet")
            continue
        tables = [pq.read_table(p / f"{name}.parquet") for p in parts if (p / f"{name}.parquet").is_file()]
        table = pa.concat_tables(tables, promote_options="permissive")
        if name in ("skills", "students"):  # rows repeated in several partitions (movers, shared skills), kept once
            key = f"{name[:-1]}_id"
            table = table.filter(pa.array(~table.to_pandas().duplicated().to_numpy())).sort_by(key)
        _write(table, target / f"{name}.parquet")
    return target


def cache_folder(rows: int, seed: int = 23) -> Path:
    """Where the cached district of ``rows`` rows lives."""
    return CACHE / f"scale-v{GENERATOR_VERSION}-{rows}-seed{seed}"


def cached_partitioned(rows: int, *, seed: int = 23, quiet: bool = False) -> Path:
    """The cached partitioned district of about ``rows`` score rows (generated on first use)."""
    folder = cache_folder(rows, seed) / "district"
    if not (folder.parent / COMPLETE).is_file():
        if folder.exists():
            shutil.rmtree(folder)
        generate_partitioned(folder, rows, seed=seed, quiet=quiet)
        (folder.parent / COMPLETE).write_text("ok\n", encoding="utf-8")
    return folder


def cached_flat(rows: int, *, seed: int = 23, quiet: bool = False) -> Path:
    """The same district as :func:`cached_partitioned`, as one flat canonical folder (small sizes)."""
    district = cached_partitioned(rows, seed=seed, quiet=quiet)
    folder = district.parent / "flat"
    if not (folder / COMPLETE).is_file():
        shutil.rmtree(folder, ignore_errors=True)
        write_flat(district, folder)
        (folder / COMPLETE).write_text("ok\n", encoding="utf-8")
    return folder


def district_summary(folder: str | Path) -> dict[str, int]:
    """Score rows (from Parquet metadata), students (each once, movers and ``_shared`` included), teams, schools."""
    root = Path(folder)
    marker = json.loads((root / MARKER_NAME).read_text(encoding="utf-8"))
    parts = [root / name for name in marker["schools"].values()]

    def rows(name: str) -> int:
        files = [p / f"{name}.parquet" for p in parts]
        return sum(pq.ParquetFile(file).metadata.num_rows for file in files if file.is_file())

    rosters = [p / "students.parquet" for p in [*parts, root / SHARED_NAME]]
    students = set().union(
        *(pq.read_table(f, columns=["student_id"])["student_id"].to_pylist() for f in rosters if f.is_file())
    )
    return {"scores": rows("scores"), "students": len(students), "teams": rows("teams"), "schools": len(parts)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1e8", help="score rows (default 1e8)")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--flat", action="store_true", help="also write the flat canonical copy (small sizes)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    rows = int(float(args.rows))
    start = time.perf_counter()
    folder = cached_partitioned(rows, seed=args.seed, quiet=args.quiet)
    if args.flat:
        cached_flat(rows, seed=args.seed, quiet=args.quiet)
    summary = district_summary(folder)
    print(
        f"{folder}: {summary['scores']:,} score rows, {summary['students']:,} students, {summary['teams']:,} teams, "
        f"{summary['schools']:,} schools ({time.perf_counter() - start:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
