"""A small, realistic synthetic school district with planted, documented effects.

:func:`generate_sample` writes a *canonical data folder* (see ``DESIGN.md``)
for one school year (2025-26, data from late August 2025 to mid-March 2026):

* an elementary school modelled on Boones Mill Elementary (K-5, about 400
  students) whose five-teacher grade-3 language-arts team gives common formative
  assessments (CFAs), one unit assessment and reassessments after reteaching;
* an intermediate school modelled on Freeport Intermediate (grades 5-6) whose
  grade teams give a brief CFA every week (math) or every other week (reading),
  a cumulative exam each quarter and a spring practice state test; grade-6 math
  is split into two "house" teams that give the *same* CFAs (same ``common_id``,
  same item and skill ids);
* a high school modelled on Stevenson High School (600 students by default,
  ``students=4000`` for the full size) with course teams, unit assessments,
  CFAs, progress reports every three weeks and a tiered intervention record
  that escalates by the Stevenson rule.

Scores follow a latent model: ``logit P(correct) = ability + subgroup gaps -
item difficulty + teacher x skill effect + student x skill noise``; multiple
choice items add a guessing floor and record the chosen option, constructed
response and rubric items use a graded (ordinal) model.  The planted effects are
written to ``planted.json`` (machine readable, with exact ids and the values
measured in the generated data) and explained in the folder's ``README.md``.

The output is a pure function of ``seed`` and ``students``: rerunning writes the
same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .rules import TOLERANCE

__all__ = [
    "generate_sample",
    "DEFAULT_SEED",
    "DEFAULT_HS_STUDENTS",
    "MIN_SAMPLE_STUDENTS",
    "SAMPLE_FILES",
    "SUBGROUP_GAPS",
]

#: Default random seed of the committed sample.
DEFAULT_SEED = 2026
#: Default number of high-school students (Stevenson itself has about 4000).
DEFAULT_HS_STUDENTS = 600
#: Fewest high-school students the generator can plant its effects in.
MIN_SAMPLE_STUDENTS = 80
#: CSV files written, in the order of the DESIGN.md table.
SAMPLE_FILES = (
    "schools.csv",
    "teams.csv",
    "teachers.csv",
    "sections.csv",
    "students.csv",
    "enrollments.csv",
    "skills.csv",
    "assessments.csv",
    "items.csv",
    "scores.csv",
    "goals.csv",
    "progress.csv",
    "interventions.csv",
    "actions.csv",
)
#: Planted subgroup gaps, in logits (added to the ability of members).
SUBGROUP_GAPS = {"ell": -0.6, "sped": -0.8, "frl": -0.4}

# --------------------------------------------------------------------------- #
# Calendar and model constants
# --------------------------------------------------------------------------- #
FIRST_DAY = date(2025, 8, 25)
LAST_DATA_DAY = date(2026, 3, 13)
GOAL_START = FIRST_DAY
GOAL_DUE = date(2026, 5, 29)
SCHOOL_YEAR = "2025-26"
BREAK_FRIDAYS = {date(2025, 11, 28), date(2025, 12, 26), date(2026, 1, 2)}
PROGRESS_DATES = (
    date(2025, 9, 12),
    date(2025, 10, 3),
    date(2025, 10, 24),
    date(2025, 11, 14),
    date(2025, 12, 5),
    date(2026, 1, 9),
    date(2026, 1, 30),
    date(2026, 2, 20),
    date(2026, 3, 13),
)

SUBGROUP_RATES = {"ell": 0.12, "sped": 0.12, "frl": 0.45}
ABSENT_RATE = 0.04
NOT_ATTEMPTED_RATE = 0.02
DOUBLE_SCORED_RATE = 0.15
OTHER_TEACHER_SKILL_MAX = 0.2
STRONG_TEACHER_EFFECT = 2.0
WEAK_SKILL_SHIFT = 1.9
RETEACH_BOOST = 1.0
MC_GUESS = 0.2
STANDARD_LINE = 0.7  # whole-test "meets the standard" line used by goals
TIER_LINE = 70.0  # progress-report percent below which support starts/escalates
FAIL_LINE = 60.0  # progress-report percent below which a student is failing
ELL_SMALL_CELL = 7  # planted number of ELL students in the grade-3 team
ELEMENTARY_PER_GRADE = 67
INTERMEDIATE_PER_GRADE = 220
TEAM_LEVEL = 1.8  # logit of an average student on an average item

_OPTIONS = np.array(["A", "B", "C", "D"])
_THRESHOLDS = {
    2: np.array([-0.7, 0.7]),
    3: np.array([-1.1, 0.0, 1.1]),
    4: np.array([-1.2, -0.2, 0.9, 2.1]),
}
_KIND_MAX = {"mc": ("mc", 1), "cr2": ("cr", 2), "cr3": ("cr", 3), "rub": ("rubric", 4)}
_KIND_LETTER = {"cfa": "c", "unit": "u", "cumulative": "q", "practice": "p", "reassessment": "r"}

# --------------------------------------------------------------------------- #
# Names
# --------------------------------------------------------------------------- #
_FIRST = (
    "Aaliyah Aarav Abigail Adrian Aiden Alejandro Amara Amelia Andre Ava Benjamin "
    "Brianna Caleb Camila Carlos Chloe Daniel Deja Diego Elena Elijah Emma Ethan Fatima "
    "Gabriel Grace Hannah Hiroshi Isabella Isaiah Jamal Jasmine Javier Jayden Kai Keisha "
    "Liam Lucia Luis Maya Mia Mohammed Nadia Noah Olivia Omar Priya Rosa Samuel Sofia "
    "Tyrone Valeria William Xavier Yusuf Zoe Mateo Leah Owen Ruby Malik Ines"
).split()
_LAST = (
    "Adams Alvarez Baker Brooks Chen Clark Davis Diaz Edwards Evans Flores Garcia "
    "Gonzalez Green Hall Harris Hernandez Hill Ibrahim Jackson Johnson Kim King Lee "
    "Lewis Lopez Martin Martinez Mitchell Moore Morales Nguyen Nelson Okafor Ortiz "
    "Parker Patel Perez Phillips Ramirez Reed Rivera Robinson Rodriguez Sanchez Scott "
    "Singh Smith Taylor Thomas Torres Turner Walker Washington White Williams Wilson "
    "Wright Young Castillo"
).split()
_TEACHER_LAST = (
    "Alvarez Bennett Carter Delgado Ellis Fischer Gupta Holloway Ingram Jensen Kowalski "
    "Lindqvist Mendoza Nakamura Oduya Pruitt Quinn Rahman Sorensen Tanaka Underwood "
    "Vasquez Whitfield Yamamoto Zimmerman Abbott Beaumont Castellanos Dunbar Easton "
    "Foster Galloway Hartley Iverson Jefferson Kessler Lombardi Monroe Novak Osei "
    "Prescott Reyes Sutton Thornton Valdez Warner Akhtar Brennan Calloway Donovan "
    "Everett Farrow Gillespie Haddad Ishikawa Juarez Keller Lawson Mercer Navarro"
).split()

# --------------------------------------------------------------------------- #
# Skill catalogues: (description, standard, essential, cut, item kinds cycled)
# --------------------------------------------------------------------------- #
_SKILLS: dict[str, list[tuple[str, str, bool, float, tuple[str, ...]]]] = {
    "G3": [
        ("Identify the main idea of a text", "RI.3.2", True, 0.8, ("mc", "mc", "cr2")),
        ("Recount key details that support the main idea", "RI.3.2", True, 0.8, ("mc", "cr2")),
        ("Use context clues to determine word meaning", "L.3.4a", True, 0.8, ("cr2", "mc", "cr2")),
        ("Describe characters' traits, motivations and feelings", "RL.3.3", True, 0.75, ("mc", "cr2")),
        ("Make inferences using evidence from the text", "RL.3.1", True, 0.8, ("mc", "cr2")),
        ("Use text features to locate information", "RI.3.5", True, 0.8, ("mc",)),
        ("Write an opinion paragraph with supporting reasons", "W.3.1", True, 0.75, ("rub",)),
        ("Use prefixes and suffixes to determine word meaning", "L.3.4b", False, 0.7, ("mc",)),
        ("Compare and contrast two texts on the same topic", "RI.3.9", True, 0.8, ("mc", "cr2")),
        ("Spell grade-appropriate high-frequency words", "L.3.2f", False, 0.8, ("mc",)),
    ],
    "5M": [
        ("Multiply multi-digit whole numbers", "5.NBT.5", True, 0.8, ("mc", "mc", "cr2")),
        ("Divide whole numbers with two-digit divisors", "5.NBT.6", True, 0.8, ("mc", "cr2")),
        ("Read, write and compare decimals to thousandths", "5.NBT.3", True, 0.8, ("mc",)),
        ("Add, subtract, multiply and divide decimals", "5.NBT.7", True, 0.8, ("mc", "cr2")),
        ("Add and subtract fractions with unlike denominators", "5.NF.1", True, 0.8, ("mc", "cr2")),
        ("Multiply fractions by whole numbers and fractions", "5.NF.4", True, 0.75, ("mc", "cr3")),
        ("Find the volume of rectangular prisms", "5.MD.5", True, 0.8, ("mc", "cr2")),
        ("Graph and interpret points on the coordinate plane", "5.G.2", True, 0.8, ("mc",)),
        ("Convert among measurement units", "5.MD.1", False, 0.7, ("mc",)),
        ("Write and interpret numerical expressions", "5.OA.2", False, 0.8, ("mc",)),
    ],
    "5R": [
        ("Quote accurately from a text to support inferences", "RL.5.1", True, 0.8, ("mc", "cr2")),
        ("Determine the theme of a story or poem", "RL.5.2", True, 0.8, ("mc", "cr2")),
        ("Compare characters, settings or events", "RL.5.3", True, 0.8, ("mc",)),
        ("Interpret figurative language", "L.5.5a", True, 0.8, ("mc",)),
        ("Summarize an informational text", "RI.5.2", True, 0.75, ("cr2", "mc")),
        ("Explain relationships between ideas in a text", "RI.5.3", True, 0.8, ("mc",)),
        ("Write a constructed response supported by evidence", "W.5.9", True, 0.75, ("rub",)),
        ("Analyze multiple accounts of the same event", "RI.5.6", False, 0.7, ("mc",)),
    ],
    "6M": [
        ("Understand ratio concepts and use ratio language", "6.RP.1", True, 0.8, ("mc",)),
        ("Find unit rates and solve rate problems", "6.RP.3b", True, 0.8, ("mc", "cr2")),
        ("Find a percent of a quantity", "6.RP.3c", True, 0.8, ("mc", "cr2")),
        ("Divide fractions by fractions", "6.NS.1", True, 0.8, ("mc", "cr2")),
        ("Compute fluently with multi-digit decimals", "6.NS.3", True, 0.8, ("mc",)),
        ("Place integers and rational numbers on a number line", "6.NS.6", True, 0.75, ("mc",)),
        ("Write and evaluate expressions with variables", "6.EE.2", True, 0.8, ("mc", "cr2")),
        ("Solve one-step equations", "6.EE.7", True, 0.8, ("mc", "cr3")),
        ("Find the area of triangles and polygons", "6.G.1", True, 0.8, ("mc", "cr2")),
        ("Describe the variability of a data set", "6.SP.3", False, 0.7, ("mc",)),
    ],
    "ALG1": [
        ("Solve multi-step linear equations", "A-REI.3", True, 0.8, ("mc", "cr2")),
        ("Solve and graph linear inequalities", "A-REI.3", True, 0.8, ("mc", "cr2")),
        ("Interpret functions using function notation", "F-IF.2", True, 0.8, ("mc",)),
        ("Find and interpret slope as a rate of change", "F-IF.6", True, 0.8, ("mc", "cr2")),
        ("Write and graph linear functions", "F-LE.2", True, 0.8, ("mc", "cr3")),
        ("Solve systems of linear equations", "A-REI.6", True, 0.8, ("mc", "cr3")),
        ("Apply the properties of exponents", "N-RN.2", True, 0.75, ("mc",)),
        ("Add, subtract and multiply polynomials", "A-APR.1", True, 0.8, ("mc", "cr2")),
        ("Factor quadratic expressions", "A-SSE.2", True, 0.8, ("mc", "cr2")),
        ("Summarize data with scatter plots and lines of fit", "S-ID.6", False, 0.7, ("mc",)),
    ],
    "ENG9": [
        ("Cite strong and thorough textual evidence", "RL.9-10.1", True, 0.8, ("mc", "rub")),
        ("Analyze the development of a theme", "RL.9-10.2", True, 0.8, ("mc",)),
        ("Analyze how complex characters develop", "RL.9-10.3", True, 0.8, ("mc",)),
        ("Analyze the impact of word choice on tone", "RL.9-10.4", True, 0.75, ("mc",)),
        ("Delineate and evaluate an argument", "RI.9-10.8", True, 0.8, ("mc",)),
        ("Write an argument with a precise claim", "W.9-10.1", True, 0.75, ("rub",)),
        ("Write an informative essay that develops the topic", "W.9-10.2", True, 0.75, ("rub",)),
        ("Demonstrate command of conventions", "L.9-10.2", False, 0.8, ("mc",)),
    ],
    "BIO": [
        ("Design and analyze a controlled experiment", "HS-LS1-3", True, 0.8, ("mc", "cr3")),
        ("Relate cell structures to their functions", "HS-LS1-2", True, 0.8, ("mc",)),
        ("Explain how enzymes regulate chemical reactions", "HS-LS1-6", True, 0.8, ("mc", "cr2")),
        ("Model photosynthesis and cellular respiration", "HS-LS1-5", True, 0.8, ("mc", "cr3")),
        ("Explain how DNA codes for proteins", "HS-LS1-1", True, 0.8, ("mc", "cr2")),
        ("Predict inheritance with Punnett squares", "HS-LS3-3", True, 0.8, ("mc", "cr2")),
        ("Explain evidence for evolution by natural selection", "HS-LS4-4", True, 0.75, ("mc", "cr3")),
        ("Follow laboratory safety procedures", "LAB-1", False, 0.8, ("mc",)),
    ],
    "USH": [
        ("Source a document (author, purpose, audience)", "HIST-1", True, 0.8, ("mc",)),
        ("Contextualize a historical event", "HIST-2", True, 0.8, ("mc", "cr2")),
        ("Corroborate evidence across sources", "HIST-3", True, 0.75, ("mc", "cr2")),
        ("Explain the causes of the American Revolution", "USH-1", True, 0.8, ("mc",)),
        ("Explain the principles of the Constitution", "USH-2", True, 0.8, ("mc",)),
        ("Analyze the causes and consequences of the Civil War", "USH-3", True, 0.8, ("mc", "cr2")),
        ("Evaluate the successes and failures of Reconstruction", "USH-4", False, 0.7, ("mc",)),
        ("Write a document-based argument", "HIST-W", True, 0.75, ("rub",)),
    ],
}

# Planted choices (local skill indices inside a catalogue)
_G3_STRONG_SKILL = 2  # Use context clues
_G3_STRONG_TEACHER = 2  # third grade-3 teacher
_G3_WEAK_SKILL = 4  # Make inferences
_G3_MISKEY_SKILL = 5  # Use text features (first MC item of G3-c04)
_BIO_GAP_SKILL = 2  # Enzymes, only in BIO-c02
_BIO_GAP_TEACHER = 1
_ENG9_DISAGREE = (0, 1)  # record teacher index, second rater index


# --------------------------------------------------------------------------- #
# Internal containers
# --------------------------------------------------------------------------- #
@dataclass
class _Team:
    team_id: str
    code: str
    school_id: str
    name: str
    grade: str
    subject: str
    skill_code: str
    teacher_ids: list[str] = field(default_factory=list)
    teacher_g: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    # roster (one row per student in the team)
    stu: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    tch: np.ndarray = field(default_factory=lambda: np.zeros(0, int))  # global teacher idx
    sec: np.ndarray = field(default_factory=lambda: np.zeros(0, object))
    theta: np.ndarray = field(default_factory=lambda: np.zeros(0))  # effective ability


@dataclass
class _Form:
    form_id: str
    item_ids: list[str]
    skill_g: np.ndarray
    kind: np.ndarray  # "mc" | "cr" | "rubric"
    maxp: np.ndarray
    b: np.ndarray
    key_true: np.ndarray  # option index, -1 for non-MC
    key_rec: np.ndarray
    d_opts: np.ndarray  # (I, 3) distractor option indices
    d_cum: np.ndarray  # (I, 3) cumulative distractor weights


@dataclass
class _Assessment:
    assessment_id: str
    team: _Team
    kind: str
    date: date
    title: str
    unit: str
    form: _Form
    common_id: str = ""


@dataclass
class _Draw:
    """Pre-drawn randomness for one administration (so difficulty can be calibrated)."""

    rows: np.ndarray  # roster row indices of present students
    logit: np.ndarray  # (S, I) logits before offset
    u: np.ndarray
    u2: np.ndarray
    na: np.ndarray  # not attempted mask


def _iso(d: date) -> str:
    return d.isoformat()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _fridays(start: date, end: date, skip: set[date]) -> list[date]:
    out = []
    d = start + timedelta(days=(4 - start.weekday()) % 7)
    while d <= end:
        if d not in skip:
            out.append(d)
        d += timedelta(days=7)
    return out


def _school_day_after(d: date, days: int) -> date:
    out = d + timedelta(days=days)
    while out.weekday() >= 5:
        out += timedelta(days=1)
    return out


def _quadratic_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Quadratic-weighted Cohen's kappa over the categories observed."""
    cats = np.unique(np.concatenate([a, b]))
    if len(cats) < 2:
        return float("nan")
    ia = np.searchsorted(cats, a)
    ib = np.searchsorted(cats, b)
    k = len(cats)
    obs = np.zeros((k, k))
    np.add.at(obs, (ia, ib), 1.0)
    obs /= obs.sum()
    exp = np.outer(obs.sum(1), obs.sum(0))
    w = (np.subtract.outer(np.arange(k), np.arange(k)) ** 2) / (k - 1) ** 2
    return float(1.0 - (w * obs).sum() / (w * exp).sum())


# --------------------------------------------------------------------------- #
# The generator
# --------------------------------------------------------------------------- #
class _District:
    def __init__(self, seed: int, hs_students: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.hs_students = hs_students
        self.teams: list[_Team] = []
        self.team_by_code: dict[str, _Team] = {}
        self.teacher_rows: list[dict[str, str]] = []
        self.section_rows: list[dict[str, str]] = []
        self.enroll_stu: list[np.ndarray] = []
        self.enroll_sec: list[np.ndarray] = []
        self.skill_rows: list[dict[str, Any]] = []
        self.skill_index: dict[str, int] = {}
        self.skill_ids_by_code: dict[str, list[str]] = {}
        self.assessments: list[_Assessment] = []
        self.score_parts: list[dict[str, Any]] = []  # arrays per score row, and the assessment's id
        self.intervention_rows: list[dict[str, Any]] = []
        self.reassessments: list[dict[str, Any]] = []
        self.action_rows: list[dict[str, Any]] = []
        self.single_scored: set[str] = set()  # assessments left out of the double scoring
        self.planted: dict[str, Any] = {}
        self._teacher_names = list(self.rng.permutation(_TEACHER_LAST))
        self._last_pts: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._goal_rows: list[dict[str, Any]] = []
        self._next_teacher = {"S01": 101, "S02": 201, "S03": 301}

    # ----------------------------------------------------------------- people
    def make_students(self) -> None:
        rng = self.rng
        grades: list[str] = []
        school: list[str] = []
        for g in ["K", "1", "2", "3", "4", "5"]:
            n = ELEMENTARY_PER_GRADE
            grades += [g] * n
            school += ["S01"] * n
        for g, n in (("5", INTERMEDIATE_PER_GRADE), ("6", INTERMEDIATE_PER_GRADE)):
            grades += [g] * n
            school += ["S02"] * n
        per = self.hs_students // 4
        hs_counts = [self.hs_students - 3 * per, per, per, per]
        for g, n in zip(["9", "10", "11", "12"], hs_counts):
            grades += [g] * n
            school += ["S03"] * n
        n = len(grades)
        self.n_students = n
        self.grade = np.array(grades, dtype=object)
        self.school = np.array(school, dtype=object)
        self.student_ids = np.array([f"st{i + 1:05d}" for i in range(n)], dtype=object)
        self.first = np.array(_FIRST, dtype=object)[rng.integers(0, len(_FIRST), n)]
        self.last = np.array(_LAST, dtype=object)[rng.integers(0, len(_LAST), n)]
        ell = rng.random(n) < SUBGROUP_RATES["ell"]
        sped = rng.random(n) < SUBGROUP_RATES["sped"]
        # English learners are more often from low-income families
        frl_p = np.where(ell, 0.7, (SUBGROUP_RATES["frl"] - 0.7 * SUBGROUP_RATES["ell"]) / 0.88)
        frl = rng.random(n) < frl_p
        # planted small cell: exactly ELL_SMALL_CELL English learners in grade 3
        g3 = np.flatnonzero((self.grade == "3") & (self.school == "S01"))
        ell[g3] = False
        ell[rng.choice(g3, ELL_SMALL_CELL, replace=False)] = True
        self.ell, self.sped, self.frl = ell, sped, frl
        self.ability = rng.normal(0.0, 1.0, n)
        self.gap = SUBGROUP_GAPS["ell"] * ell + SUBGROUP_GAPS["sped"] * sped + SUBGROUP_GAPS["frl"] * frl

    def _teacher(self, team: _Team) -> str:
        num = self._next_teacher[team.school_id]
        self._next_teacher[team.school_id] += 1
        tid = f"t{num}"
        last = self._teacher_names[len(self.teacher_rows) % len(self._teacher_names)]
        title = "Ms." if self.rng.random() < 0.62 else "Mr."
        self.teacher_rows.append({"teacher_id": tid, "team_id": team.team_id, "name": f"{title} {last}"})
        return tid

    def make_team(
        self,
        team_id: str,
        code: str,
        school_id: str,
        name: str,
        grade: str,
        subject: str,
        n_teachers: int,
        sections_per_teacher: int,
        students: np.ndarray,
        skill_code: str,
        period_base: int = 0,
        alpha: float = TEAM_LEVEL,
        balanced: bool = False,
    ) -> _Team:
        rng = self.rng
        team = _Team(team_id, code, school_id, name, grade, subject, skill_code)
        team.teacher_ids = [self._teacher(team) for _ in range(n_teachers)]
        team.teacher_g = np.array([len(self.teacher_rows) - n_teachers + i for i in range(n_teachers)], dtype=int)
        n_sec = n_teachers * sections_per_teacher
        sec_ids, sec_tch = [], []
        for j in range(n_sec):
            ti = j % n_teachers
            k = j // n_teachers
            sid = f"{code}-s{j + 1:02d}"
            period = "" if school_id == "S01" else str((k * 2 + ti + period_base) % 7 + 1)
            self.section_rows.append(
                {
                    "section_id": sid,
                    "teacher_id": team.teacher_ids[ti],
                    "team_id": team_id,
                    "period": period,
                    "term": SCHOOL_YEAR,
                }
            )
            sec_ids.append(sid)
            sec_tch.append(team.teacher_g[ti])
        if balanced:
            # homerooms balanced by prior achievement: deal students out by ability, in
            # random order within each band of n_sec students
            ranked = students[np.argsort(self.ability[students] + self.gap[students], kind="stable")]
            parts_l: list[list[int]] = [[] for _ in range(n_sec)]
            for start in range(0, len(ranked), n_sec):
                band = ranked[start : start + n_sec]
                for j, who in zip(rng.permutation(n_sec)[: len(band)], band):
                    parts_l[j].append(int(who))
            parts = [np.array(sorted(p), dtype=int) for p in parts_l]
        else:
            order = rng.permutation(students)
            parts = np.array_split(order, n_sec)
        stu, tch, sec = [], [], []
        for j, part in enumerate(parts):
            stu.append(part)
            tch.append(np.full(len(part), sec_tch[j]))
            sec.append(np.full(len(part), sec_ids[j], dtype=object))
        team.stu = np.concatenate(stu)
        team.tch = np.concatenate(tch)
        team.sec = np.concatenate(sec)
        team.theta = (
            self.ability[team.stu]
            + rng.normal(0.0, 0.5, len(team.stu))
            + self.gap[team.stu]
            + alpha
            + rng.normal(0.0, 0.1)
        )
        self.enroll_stu.append(team.stu)
        self.enroll_sec.append(team.sec)
        self.teams.append(team)
        self.team_by_code[code] = team
        return team

    def make_skills(self, skill_code: str, team_id: str) -> None:
        ids = []
        for k, (desc, std, ess, cut, _kinds) in enumerate(_SKILLS[skill_code]):
            sid = f"{skill_code}-k{k + 1:02d}"
            self.skill_index[sid] = len(self.skill_rows)
            self.skill_rows.append(
                {
                    "skill_id": sid,
                    "description": desc,
                    "team_id": team_id,
                    "essential": "true" if ess else "false",
                    "proficiency_cut": cut,
                    "standard": std,
                }
            )
            ids.append(sid)
        self.skill_ids_by_code[skill_code] = ids

    def skill_g(self, code: str, k: int) -> int:
        return self.skill_index[self.skill_ids_by_code[code][k]]

    def make_effects(self) -> None:
        rng = self.rng
        n_sk = len(self.skill_rows)
        self.skill_b = rng.normal(0.0, 0.35, n_sk)
        self.tau = rng.uniform(-OTHER_TEACHER_SKILL_MAX, OTHER_TEACHER_SKILL_MAX, (len(self.teacher_rows), n_sk))
        self.delta = rng.normal(0.0, 0.35, (self.n_students, n_sk))
        g3 = self.team_by_code["G3"]
        self.strong_teacher = int(g3.teacher_g[_G3_STRONG_TEACHER])
        self.strong_skill = self.skill_g("G3", _G3_STRONG_SKILL)
        self.weak_skill = self.skill_g("G3", _G3_WEAK_SKILL)
        self.tau[self.strong_teacher, self.strong_skill] = STRONG_TEACHER_EFFECT
        self.skill_b[self.weak_skill] += WEAK_SKILL_SHIFT
        # keep the strong-teacher skill of moderate difficulty so the contrast shows
        self.skill_b[self.strong_skill] = 0.6

    # ----------------------------------------------------------------- forms
    def make_form(self, form_id: str, skill_code: str, spec: list[tuple[int, int]], shift: float = 0.0) -> _Form:
        rng = self.rng
        item_ids: list[str] = []
        skill_g, kinds, maxp = [], [], []
        for local, n in spec:
            cycle = _SKILLS[skill_code][local][4]
            for j in range(n):
                kind, m = _KIND_MAX[cycle[j % len(cycle)]]
                item_ids.append(f"{form_id}-{len(item_ids) + 1:02d}")
                skill_g.append(self.skill_g(skill_code, local))
                kinds.append(kind)
                maxp.append(m)
        n_i = len(item_ids)
        skill_g_a = np.array(skill_g, dtype=int)
        kind_a = np.array(kinds, dtype=object)
        # items on the planted skills vary less, so the planted contrast does not hinge on luck
        planted = np.isin(skill_g_a, [self.strong_skill, self.weak_skill])
        b = self.skill_b[skill_g_a] + rng.normal(0.0, 1.0, n_i) * np.where(planted, 0.2, 0.45) + shift
        key = rng.integers(0, 4, n_i)
        d_opts = np.array([[o for o in range(4) if o != k] for k in key], dtype=int)
        w = rng.dirichlet(np.full(3, 0.9), n_i)
        d_cum = np.cumsum(w, axis=1)
        is_mc = kind_a == "mc"
        key = np.where(is_mc, key, -1)
        return _Form(form_id, item_ids, skill_g_a, kind_a, np.array(maxp, dtype=int), b, key, key.copy(), d_opts, d_cum)

    def add_assessment(
        self,
        team: _Team,
        kind: str,
        n: int,
        when: date,
        title: str,
        unit: str,
        form: _Form | None = None,
        spec: list[tuple[int, int]] | None = None,
        common_id: str = "",
        shift: float = 0.0,
    ) -> _Assessment:
        aid = f"{team.code}-{_KIND_LETTER[kind]}{n:02d}"
        if form is None:
            assert spec is not None
            form = self.make_form(aid, team.skill_code, spec, shift)
        a = _Assessment(aid, team, kind, when, title, unit, form, common_id)
        self.assessments.append(a)
        return a

    # ----------------------------------------------------------------- scoring
    def draw(self, a: _Assessment, rows: np.ndarray | None = None, boost: float = 0.0, absent: bool = True) -> _Draw:
        rng = self.rng
        team = a.team
        if rows is None:
            rows = np.arange(len(team.stu))
        if absent:
            rows = rows[rng.random(len(rows)) >= ABSENT_RATE]
        f = a.form
        stu = team.stu[rows]
        logit = (
            team.theta[rows][:, None]
            - f.b[None, :]
            + self.tau[team.tch[rows][:, None], f.skill_g[None, :]]
            + self.delta[stu[:, None], f.skill_g[None, :]]
            + boost
        )
        shape = logit.shape
        return _Draw(rows, logit, rng.random(shape), rng.random(shape), rng.random(shape) < NOT_ATTEMPTED_RATE)

    @staticmethod
    def respond(f: _Form, d: _Draw, offset: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """Return (points float with NaN for not attempted, response option index or -1)."""
        L = d.logit + offset
        S, I = L.shape
        pts = np.zeros((S, I))
        resp = np.full((S, I), -1, dtype=int)
        mc = np.flatnonzero(f.kind == "mc")
        if len(mc):
            p = MC_GUESS + (1 - MC_GUESS) * _sigmoid(L[:, mc])
            correct = d.u[:, mc] < p
            which = (d.u2[:, mc][:, :, None] > f.d_cum[mc][None, :, :]).sum(-1)
            which = np.minimum(which, 2)
            distractor = np.take_along_axis(
                np.broadcast_to(f.d_opts[mc][None], (S, len(mc), 3)), which[:, :, None], axis=2
            )[:, :, 0]
            r = np.where(correct, f.key_true[mc][None, :], distractor)
            resp[:, mc] = r
            pts[:, mc] = (r == f.key_rec[mc][None, :]).astype(float)
        for m, tau in _THRESHOLDS.items():
            cols = np.flatnonzero((f.kind != "mc") & (f.maxp == m))
            if len(cols):
                pk = _sigmoid(L[:, cols][:, :, None] - tau[None, None, :])
                pts[:, cols] = (d.u[:, cols][:, :, None] < pk).sum(-1)
        pts[d.na] = np.nan
        resp[d.na] = -1
        return pts, resp

    def record(self, a: _Assessment, d: _Draw, pts: np.ndarray, resp: np.ndarray) -> None:
        S, I = pts.shape
        team = a.team
        self.score_parts.append(
            {
                "stu": np.repeat(team.stu[d.rows], I),
                "tch": np.repeat(team.tch[d.rows], I),
                "aid": a.assessment_id,
                "item": np.tile(np.arange(I), S),
                "pts": pts.ravel(),
                "resp": resp.ravel(),
            }
        )
        self._last_pts[a.assessment_id] = (d.rows, pts)

    def administer(
        self, a: _Assessment, rows: np.ndarray | None = None, boost: float = 0.0, calibrate: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        d = self.draw(a, rows, boost)
        offset = 0.0
        if calibrate is not None:
            offset = calibrate(a, d)
            a_offsets = self.planted.setdefault("_offsets", {})
            a_offsets[a.assessment_id] = offset
        pts, resp = self.respond(a.form, d, offset)
        self.record(a, d, pts, resp)
        return d.rows, pts

    # ----------------------------------------------------------------- reteach
    def reteach(self, src: _Assessment, locals_: list[int], n: int, when: date, n_items: int = 4) -> None:
        """Students below the cut on the retaught skill(s) get reteaching, then a reassessment."""
        team = src.team
        rows, pts = self._last_pts[src.assessment_id]
        f = src.form
        below_any = np.zeros(len(rows), dtype=bool)
        below_by_skill = {}
        for loc in locals_:
            sg = self.skill_g(team.skill_code, loc)
            cols = np.flatnonzero(f.skill_g == sg)
            share = np.nan_to_num(pts[:, cols]).sum(1) / f.maxp[cols].sum()
            cut = float(self.skill_rows[sg]["proficiency_cut"])
            below = share < cut - TOLERANCE
            below_by_skill[loc] = below
            below_any |= below
        spec = [(loc, n_items if len(locals_) == 1 else max(2, n_items // len(locals_) + 1)) for loc in locals_]
        names = "; ".join(_SKILLS[team.skill_code][loc][0] for loc in locals_)
        a = self.add_assessment(
            team, "reassessment", n, when, f"Reassessment: {names} (after {src.assessment_id})", src.unit, spec=spec
        )
        start = _school_day_after(src.date, 3)
        target = rows[below_any]
        r_rows, r_pts = self.administer(a, target, boost=RETEACH_BOOST)
        # outcomes per student x skill
        present = {int(r): i for i, r in enumerate(r_rows)}
        improved = 0
        assessed = 0
        for loc in locals_:
            sg = self.skill_g(team.skill_code, loc)
            cut = float(self.skill_rows[sg]["proficiency_cut"])
            rcols = np.flatnonzero(a.form.skill_g == sg)
            r_share = np.nan_to_num(r_pts[:, rcols]).sum(1) / a.form.maxp[rcols].sum()
            scols = np.flatnonzero(f.skill_g == sg)
            s_share = np.nan_to_num(pts[:, scols]).sum(1) / f.maxp[scols].sum()
            for i in np.flatnonzero(below_by_skill[loc]):
                row = int(rows[i])
                j = present.get(row)
                if j is None:
                    outcome = "not reassessed"
                else:
                    assessed += 1
                    improved += int(r_share[j] > s_share[i])
                    outcome = "met" if r_share[j] >= cut - TOLERANCE else "not met"
                self.intervention_rows.append(
                    {
                        "student_id": self.student_ids[team.stu[row]],
                        "tier": 1,
                        "kind": "reteach",
                        "start_date": _iso(start),
                        "skill_id": self.skill_rows[sg]["skill_id"],
                        "end_date": _iso(when),
                        "outcome": outcome,
                    }
                )
        self.reassessments.append(
            {
                "assessment_id": a.assessment_id,
                "team_id": team.team_id,
                "source_assessment_id": src.assessment_id,
                "skill_ids": [self.skill_ids_by_code[team.skill_code][loc] for loc in locals_],
                "students_below_cut": int(below_any.sum()),
                "students_reassessed": int(len(r_rows)),
                "share_improved": round(improved / max(assessed, 1), 4),
            }
        )


# --------------------------------------------------------------------------- #
# The team's decisions (actions.csv) with planted outcomes
# --------------------------------------------------------------------------- #
_ACTION_FIELDS = (
    "action_id",
    "team_id",
    "skill_id",
    "kind",
    "start_date",
    "assessment_id",
    "teacher_id",
    "student_ids",
    "reassess_assessment_id",
    "reassess_by",
    "note",
)
#: Planted logit boost on the reassessed skill for the students of the action that worked.
ACTION_WORKED_BOOST = 3.0
#: Planted logit shift on the reassessed skill for the students of the action that did not work.
ACTION_NOT_YET_SHIFT = -2.0
_G3_ACTION_WORKED_SKILL = 8  # Compare and contrast two texts (on G3-c06)
_G3_ACTION_NOT_YET_SKILL = 3  # Describe characters (on G3-c06)
_ACTION_GROUP_SIZE = 10


def _planted_actions(d: _District) -> None:
    """T-G3's decisions after CFA 6 and CFA 7, with known outcomes (issue 21).

    After ``G3-c06`` the team forms two small groups: the ten lowest students
    below the cut on "Compare and contrast two texts", led by the teacher whose
    students did best on it (+3 logits on that skill at the reassessment: it
    **worked**), and the students below the cut on "Describe characters", led by
    another teacher (-2 logits: **not yet**).  Every student below the cut on
    either skill sits the reassessment ``G3-r03``; those in no group are the
    comparison.  After ``G3-c07`` the team plans a whole-class reteach of "Make
    inferences", to reassess by the last data date: **no evidence yet**.  Drawn
    from a random stream of its own, so the rest of the district is the same as
    without it.
    """
    main_rng, d.rng = d.rng, np.random.default_rng([d.planted["seed"], 21])
    try:
        team = d.team_by_code["G3"]
        src = next(a for a in d.assessments if a.assessment_id == "G3-c06")
        rows, pts = d._last_pts[src.assessment_id]
        f = src.form
        shares, cuts, skill_ids = {}, {}, {}
        for loc in (_G3_ACTION_WORKED_SKILL, _G3_ACTION_NOT_YET_SKILL):
            sg = d.skill_g("G3", loc)
            cols = np.flatnonzero(f.skill_g == sg)
            shares[loc] = np.nan_to_num(pts[:, cols]).sum(1) / f.maxp[cols].sum()
            cuts[loc] = float(d.skill_rows[sg]["proficiency_cut"])
            skill_ids[loc] = d.skill_rows[sg]["skill_id"]
        below = {loc: shares[loc] < cuts[loc] - TOLERANCE for loc in shares}
        # the worked group: the lowest ten below the cut; its owner: the teacher whose students did best
        w = _G3_ACTION_WORKED_SKILL
        order = np.argsort(shares[w] + np.where(below[w], 0.0, 9.0), kind="stable")
        worked = order[: min(_ACTION_GROUP_SIZE, int(below[w].sum()))]
        local_of = {int(g): i for i, g in enumerate(team.teacher_g)}
        tch = np.array([local_of[int(t)] for t in team.tch[rows]])
        by_teacher = pd.Series(shares[w] >= cuts[w] - TOLERANCE).groupby(tch).mean()
        owner_worked = int(by_teacher.sort_values(ascending=False, kind="stable").index[0])
        # the group that did not work: under half the points on the other skill, another owner
        n = _G3_ACTION_NOT_YET_SKILL
        not_yet = np.flatnonzero(below[n])[:_ACTION_GROUP_SIZE]
        ranked = pd.Series(shares[n] >= cuts[n] - TOLERANCE).groupby(tch).mean().sort_values(ascending=False)
        owner_not_yet = int(next(t for t in ranked.index if int(t) != owner_worked))
        when = date(2026, 2, 20)
        spec = [(w, 3), (n, 3)]
        names = "; ".join(_SKILLS["G3"][loc][0] for loc, _ in spec)
        a = d.add_assessment(
            team, "reassessment", 3, when, f"Reassessment: {names} (after G3-c06)", src.unit, spec=spec
        )
        d.single_scored.add(a.assessment_id)
        sitting = rows[below[w] | below[n]]
        draw = d.draw(a, sitting)
        boosted = np.isin(draw.rows, rows[worked])
        w_cols = np.flatnonzero(a.form.skill_g == d.skill_g("G3", w))
        draw.logit[np.ix_(boosted, w_cols)] += ACTION_WORKED_BOOST
        held = np.isin(draw.rows, rows[not_yet])
        n_cols = np.flatnonzero(a.form.skill_g == d.skill_g("G3", n))
        draw.logit[np.ix_(held, n_cols)] += ACTION_NOT_YET_SHIFT
        r_pts, r_resp = d.respond(a.form, draw)
        d.record(a, draw, r_pts, r_resp)
        start = _school_day_after(src.date, 3)
        student = lambda idx: ";".join(sorted(d.student_ids[team.stu[rows[idx]]]))  # noqa: E731
        descriptions = {loc: _SKILLS["G3"][loc][0] for loc in (w, n, _G3_WEAK_SKILL)}
        d.action_rows += [
            {
                "action_id": "G3-c06-worked",
                "team_id": team.team_id,
                "skill_id": skill_ids[w],
                "kind": "small_group",
                "start_date": _iso(start),
                "assessment_id": src.assessment_id,
                "teacher_id": team.teacher_ids[owner_worked],
                "student_ids": student(worked),
                "reassess_assessment_id": a.assessment_id,
                "reassess_by": _iso(when),
                "note": f"Small group on {descriptions[w]}: Venn diagrams with text evidence, daily for two weeks.",
            },
            {
                "action_id": "G3-c06-not-yet",
                "team_id": team.team_id,
                "skill_id": skill_ids[n],
                "kind": "small_group",
                "start_date": _iso(start),
                "assessment_id": src.assessment_id,
                "teacher_id": team.teacher_ids[owner_not_yet],
                "student_ids": student(not_yet),
                "reassess_assessment_id": a.assessment_id,
                "reassess_by": _iso(when),
                "note": f"Small group on {descriptions[n]}: a character-traits worksheet, twice a week.",
            },
        ]
        last = next(a for a in d.assessments if a.assessment_id == "G3-c07")
        no_evidence_start = _school_day_after(last.date, 1)
        d.action_rows.append(
            {
                "action_id": "G3-c07-no-evidence",
                "team_id": team.team_id,
                "skill_id": d.skill_ids_by_code["G3"][_G3_WEAK_SKILL],
                "kind": "whole_class",
                "start_date": _iso(no_evidence_start),
                "assessment_id": last.assessment_id,
                "teacher_id": team.teacher_ids[owner_worked],
                "student_ids": "",
                "reassess_assessment_id": "",
                "reassess_by": _iso(LAST_DATA_DAY),
                "note": f"Reteach {descriptions[_G3_WEAK_SKILL]} to every class; reassess before the break.",
            }
        )
        d.planted["actions"] = {
            "team_id": team.team_id,
            "reassessment_id": a.assessment_id,
            "worked_boost_logits": ACTION_WORKED_BOOST,
            "not_yet_shift_logits": ACTION_NOT_YET_SHIFT,
            "expected_verdicts": {
                "G3-c06-worked": "worked",
                "G3-c06-not-yet": "not yet",
                "G3-c07-no-evidence": "no evidence yet",
            },
        }
    finally:
        d.rng = main_rng


# --------------------------------------------------------------------------- #
# School builders
# --------------------------------------------------------------------------- #
def _build_elementary(d: _District) -> None:
    g3 = np.flatnonzero((d.grade == "3") & (d.school == "S01"))
    team = d.make_team(
        "T-G3", "G3", "S01", "Grade 3 Language Arts", "3", "language arts", 5, 1, g3, "G3", balanced=True
    )
    d.make_skills("G3", team.team_id)


def _elementary_assessments(d: _District) -> None:
    t = d.team_by_code["G3"]
    plan = [
        (date(2025, 9, 12), "Unit 1", [(0, 4), (1, 3), (5, 3)]),
        (date(2025, 10, 3), "Unit 1", [(2, 4), (3, 3), (6, 2)]),
        (date(2025, 10, 24), "Unit 2", [(4, 4), (0, 3), (7, 3)]),
        (date(2025, 11, 14), "Unit 2", [(5, 3), (8, 4), (6, 2), (9, 2)]),
        (date(2026, 1, 16), "Unit 3", [(2, 3), (4, 4), (1, 3)]),
        (date(2026, 2, 6), "Unit 3", [(3, 3), (8, 3), (6, 2), (9, 2)]),
        (date(2026, 2, 27), "Unit 4", [(4, 4), (5, 3), (2, 4)]),
    ]
    skills = _SKILLS["G3"]
    cfas = []
    for n, (when, unit, spec) in enumerate(plan, 1):
        title = f"CFA {n}: " + "; ".join(skills[k][0] for k, _ in spec[:2])
        cfas.append(d.add_assessment(t, "cfa", n, when, title, unit, spec=spec))
    # miskey the first MC item on "text features" in CFA 4
    f = cfas[3].form
    col = int(np.flatnonzero((f.skill_g == d.skill_g("G3", _G3_MISKEY_SKILL)) & (f.kind == "mc"))[0])
    # recorded key = the most attractive distractor
    w = np.diff(np.concatenate([[0.0], f.d_cum[col]]))
    f.key_rec[col] = f.d_opts[col][int(np.argmax(w))]
    d.planted["miskeyed_item"] = {
        "team_id": t.team_id,
        "assessment_id": cfas[3].assessment_id,
        "item_id": f.item_ids[col],
        "skill_id": d.skill_rows[int(f.skill_g[col])]["skill_id"],
        "recorded_key": str(_OPTIONS[f.key_rec[col]]),
        "true_key": str(_OPTIONS[f.key_true[col]]),
    }
    unit_test = d.add_assessment(
        t,
        "unit",
        1,
        date(2025, 12, 12),
        "Unit 1-2 assessment: reading and writing",
        "Units 1-2",
        spec=[(0, 2), (1, 2), (2, 2), (3, 2), (4, 2), (5, 1), (6, 2), (8, 2)],
    )
    for i, a in enumerate(cfas):
        d.administer(a)
        if i == 2:
            d.reteach(a, [_G3_WEAK_SKILL], 1, date(2025, 11, 5))
        if i == 3:
            d.administer(unit_test)
        if i == 4:
            d.reteach(a, [_G3_WEAK_SKILL], 2, date(2026, 1, 29))


def _build_intermediate(d: _District) -> None:
    g5 = np.flatnonzero((d.grade == "5") & (d.school == "S02"))
    g6 = np.flatnonzero((d.grade == "6") & (d.school == "S02"))
    rng = d.rng
    d.make_team("T-5M", "5M", "S02", "Grade 5 Math", "5", "math", 4, 2, g5, "5M", 0)
    d.make_skills("5M", "T-5M")
    d.make_team("T-5R", "5R", "S02", "Grade 5 Reading", "5", "reading", 4, 2, g5, "5R", 3)
    d.make_skills("5R", "T-5R")
    houses = rng.permutation(g6)
    half = len(houses) // 2
    d.make_team("T-6MB", "6MB", "S02", "Grade 6 Math - House Blue", "6", "math", 3, 2, np.sort(houses[:half]), "6M", 1)
    d.make_team("T-6MG", "6MG", "S02", "Grade 6 Math - House Gold", "6", "math", 3, 2, np.sort(houses[half:]), "6M", 4)
    d.make_skills("6M", "")  # shared by both house teams: team_id left empty


def _weekly_specs(code: str, n: int, items: tuple[int, int]) -> list[list[tuple[int, int]]]:
    skills = _SKILLS[code]
    order = [k for k in range(len(skills)) if skills[k][2]] + [k for k in range(len(skills)) if not skills[k][2]]
    specs = []
    for j in range(n):
        a = order[j % len(order)]
        b = order[(j + 1) % len(order)]
        specs.append([(a, items[0]), (b, items[1])])
    return specs


def _spread_spec(code: str, skills_used: list[int], n_items: int) -> list[tuple[int, int]]:
    counts = dict.fromkeys(skills_used, 0)
    for j in range(n_items):
        counts[skills_used[j % len(skills_used)]] += 1
    return [(k, c) for k, c in counts.items() if c > 0]


def _intermediate_assessments(d: _District) -> None:
    q_dates = (date(2025, 10, 16), date(2025, 12, 18))
    practice_date = date(2026, 3, 4)
    # no CFA in exam weeks, the first week back from winter break or the practice-test week
    skip = set(BREAK_FRIDAYS) | {date(2025, 10, 17), date(2025, 12, 19), date(2026, 1, 9), date(2026, 3, 6)}
    math_weeks = _fridays(date(2025, 9, 12), date(2026, 2, 27), skip)
    read_weeks = math_weeks[1::2]

    def schedule(code: str, weeks: list[date], items: tuple[int, int]) -> list[tuple]:
        specs = _weekly_specs(code, len(weeks), items)
        events: list[tuple] = [("cfa", w, s) for w, s in zip(weeks, specs)]
        return events

    def cumulative_spec(code: str, before: date, events: list[tuple], n_items: int) -> list[tuple[int, int]]:
        taught: list[int] = []
        for kind, w, spec in events:
            if kind == "cfa" and w < before:
                for k, _ in spec:
                    if k not in taught and _SKILLS[code][k][2]:
                        taught.append(k)
        return _spread_spec(code, taught, n_items)

    def practice_spec(code: str, n_items: int) -> list[tuple[int, int]]:
        ess = [k for k, s in enumerate(_SKILLS[code]) if s[2]]
        return _spread_spec(code, ess, n_items)

    # --- Grade 5 math (weekly CFAs of 4 items) and Grade 5 reading (every other week, 5 items)
    for code, weeks, items, subject in (("5M", math_weeks, (2, 2), "math"), ("5R", read_weeks, (3, 2), "reading")):
        t = d.team_by_code[code]
        events = schedule(code, weeks, items)
        cfas = []
        for n, (kind, w, spec) in enumerate(events, 1):
            title = f"Week of {w:%b %d} CFA: " + "; ".join(_SKILLS[code][k][0] for k, _ in spec)
            unit = f"Quarter {1 if w < q_dates[0] else 2 if w < q_dates[1] else 3}"
            cfas.append(d.add_assessment(t, "cfa", n, w, title, unit, spec=spec))
        quarters = []
        for qn, qd in enumerate(q_dates, 1):
            quarters.append(
                d.add_assessment(
                    t,
                    "cumulative",
                    qn,
                    qd,
                    f"Quarter {qn} cumulative exam ({subject})",
                    f"Quarter {qn}",
                    spec=cumulative_spec(code, qd, events, 8),
                )
            )
        practice = d.add_assessment(
            t,
            "practice",
            1,
            practice_date,
            f"Spring practice state test ({subject})",
            "Quarter 3",
            spec=practice_spec(code, 12),
        )
        timeline = sorted(
            [(a.date, i, a) for i, a in enumerate(cfas + quarters + [practice])], key=lambda x: (x[0], x[1])
        )
        for _, _, a in timeline:
            if code == "5M" and a.kind == "cumulative" and a.unit == "Quarter 2":
                # below target whether "passing" means 60% or 70%
                d.administer(a, calibrate=_calibrate_share(d, target=0.45, subgroup="sped", line=0.6))
            elif code == "5R" and a.kind == "practice":
                d.administer(a, calibrate=_calibrate_share(d, target=0.93))
            else:
                d.administer(a)
            if code == "5M" and a.kind == "cfa" and a.assessment_id == "5M-c06":
                first = a.form.skill_g[0]
                loc = d.skill_ids_by_code["5M"].index(d.skill_rows[int(first)]["skill_id"])
                d.reteach(a, [loc], 1, _school_day_after(a.date, 10))

    # --- Grade 6 math: two house teams share the same CFAs, exams and practice test
    blue, gold = d.team_by_code["6MB"], d.team_by_code["6MG"]
    events = schedule("6M", math_weeks, (2, 2))
    shared: list[tuple[str, str, int, date, str, str, _Form]] = []
    for n, (kind, w, spec) in enumerate(events, 1):
        cid = f"6M-c{n:02d}"
        title = f"Week of {w:%b %d} CFA: " + "; ".join(_SKILLS["6M"][k][0] for k, _ in spec)
        unit = f"Quarter {1 if w < q_dates[0] else 2 if w < q_dates[1] else 3}"
        shared.append(("cfa", cid, n, w, title, unit, d.make_form(cid, "6M", spec)))
    for qn, qd in enumerate(q_dates, 1):
        cid = f"6M-q{qn:02d}"
        shared.append(
            (
                "cumulative",
                cid,
                qn,
                qd,
                f"Quarter {qn} cumulative exam (math)",
                f"Quarter {qn}",
                d.make_form(cid, "6M", cumulative_spec("6M", qd, events, 8)),
            )
        )
    cid = "6M-p01"
    shared.append(
        (
            "practice",
            cid,
            1,
            practice_date,
            "Spring practice state test (math)",
            "Quarter 3",
            d.make_form(cid, "6M", practice_spec("6M", 12)),
        )
    )
    shared.sort(key=lambda s: (s[3], s[1]))
    common: dict[str, list[str]] = {}
    for kind, cid, n, w, title, unit, form in shared:
        for team in (blue, gold):
            a = d.add_assessment(team, kind, n, w, title, unit, form=form, common_id=cid)
            common.setdefault(cid, []).append(a.assessment_id)
            d.administer(a)
            if kind == "cfa" and n == 8:
                first = form.skill_g[0]
                loc = d.skill_ids_by_code["6M"].index(d.skill_rows[int(first)]["skill_id"])
                d.reteach(a, [loc], 1, _school_day_after(w, 10))
    d.planted["common_assessments"] = {
        "teams": [blue.team_id, gold.team_id],
        "n_common": len(common),
        "example": {"common_id": "6M-c01", "assessment_ids": common["6M-c01"]},
        "note": "each house team has its own assessment_id; common_id and item_ids are shared",
    }


def _calibrate_share(
    d: _District, target: float, subgroup: str | None = None, line: float = STANDARD_LINE
) -> Callable[[_Assessment, _Draw], float]:
    """Return a calibration callback: the smallest test offset whose share of (sub)group
    students at or above the standard line reaches ``target``."""

    def cal(a: _Assessment, draw: _Draw) -> float:
        stu = a.team.stu[draw.rows]
        mask = np.ones(len(stu), dtype=bool) if subgroup is None else getattr(d, subgroup)[stu]
        total = a.form.maxp.sum()

        def share(off: float) -> float:
            pts, _ = d.respond(a.form, draw, off)
            pct = np.nan_to_num(pts).sum(1) / total
            return float((pct[mask] >= line - TOLERANCE).mean())

        lo, hi = -6.0, 6.0
        for _ in range(40):
            mid = (lo + hi) / 2
            if share(mid) >= target:
                hi = mid
            else:
                lo = mid
        return hi

    return cal


_HS_TEAMS = (
    # team_id, code, name, grade, subject, base teachers, progress (top, median shortfall, skew):
    # percent = top - shortfall * exp(-skew * z), z = standardised ability: a long lower tail
    ("T-ALG1", "ALG1", "Algebra 1", "9", "math", 3, (95.0, 13.0, 1.08)),
    ("T-ENG9", "ENG9", "English 9", "9", "English", 4, (96.0, 11.0, 0.6)),
    ("T-BIO", "BIO", "Biology", "10", "science", 3, (95.0, 12.0, 0.7)),
    ("T-USH", "USH", "U.S. History", "11", "social studies", 2, (96.0, 11.0, 0.6)),
)


def _build_high(d: _District) -> None:
    scale = (d.hs_students / DEFAULT_HS_STUDENTS) ** 0.5
    for k, (tid, code, name, grade, subject, base_t, _shape) in enumerate(_HS_TEAMS):
        studs = np.flatnonzero((d.grade == grade) & (d.school == "S03"))
        n_t = int(np.clip(round(base_t * scale), 2, 5))
        per_t = int(np.clip(np.ceil(len(studs) / (28 * n_t)), 1, 6))
        d.make_team(tid, code, "S03", name, grade, subject, n_t, per_t, studs, code, k)
        d.make_skills(code, tid)


def _high_assessments(d: _District) -> None:
    unit_dates = (date(2025, 9, 26), date(2025, 10, 31), date(2025, 12, 12), date(2026, 2, 20))
    cfa_dates = (date(2025, 9, 12), date(2025, 10, 10), date(2025, 11, 14), date(2026, 1, 23), date(2026, 3, 6))
    for k, (tid, code, name, grade, subject, *_rest) in enumerate(_HS_TEAMS):
        t = d.team_by_code[code]
        skills = _SKILLS[code]
        ess = [i for i, s in enumerate(skills) if s[2]]
        non = [i for i, s in enumerate(skills) if not s[2]]
        order = ess + non
        if code == "BIO":
            # the enzyme skill is taught in unit 2 and checked by one CFA only
            order = [i for i in order if i != _BIO_GAP_SKILL]
        blocks = np.array_split(np.array(order), 4)
        shift_days = timedelta(days=-(k % 2))  # some teams test on Thursday
        events = []
        for u, (ud, block) in enumerate(zip(unit_dates, blocks), 1):
            prev = list(blocks[u - 2][:1]) if u > 1 else []
            used = [int(x) for x in block] + [int(x) for x in prev]
            events.append(
                ("unit", u, ud + shift_days, f"Unit {u} assessment", f"Unit {u}", _spread_spec(code, used, 8))
            )
        for c, cd in enumerate(cfa_dates, 1):
            u = min(sum(cd > ud for ud in unit_dates) + 1, 4)
            unit_skills = [int(x) for x in blocks[u - 1]]
            spec = (
                [(unit_skills[0], 3), (unit_skills[1 % len(unit_skills)], 2)]
                if len(unit_skills) > 1
                else [(unit_skills[0], 5)]
            )
            if code == "BIO" and c == 2:
                spec = [(_BIO_GAP_SKILL, 3), (unit_skills[0], 2)]
            title = f"CFA {c}: " + "; ".join(skills[s][0] for s, _ in spec)
            events.append(("cfa", c, cd + shift_days, title, f"Unit {u}", spec))
        events.sort(key=lambda e: (e[2], e[0]))
        for kind, n, when, title, unit, spec in events:
            a = d.add_assessment(t, kind, n, when, title, unit, spec=spec)
            rows = None
            if code == "BIO" and kind == "cfa" and n == 2:
                gap_t = t.teacher_g[_BIO_GAP_TEACHER]
                rows = np.flatnonzero(t.tch != gap_t)
                gap_skill = d.skill_ids_by_code["BIO"][_BIO_GAP_SKILL]
                d.planted["coverage_gap"] = {
                    "team_id": t.team_id,
                    "teacher_id": t.teacher_ids[_BIO_GAP_TEACHER],
                    "skill_id": gap_skill,
                    "assessment_id": a.assessment_id,
                    "sections": sorted({str(s) for s in t.sec[t.tch == gap_t]}),
                    "status": "intended but not implemented",
                    "note": "the skill is essential and appears on this CFA only; the teacher's "
                    "students have no score rows for it",
                }
            d.administer(a, rows)
            if code == "ALG1" and kind == "unit" and n == 2:
                locs = [int(x) for x in blocks[1][:2]]
                d.reteach(a, locs, 1, _school_day_after(when, 10), n_items=4)
            if code == "ENG9" and kind == "cfa" and n == 3:
                d.reteach(a, [spec[0][0]], 1, _school_day_after(when, 9))


# --------------------------------------------------------------------------- #
# Progress reports and Stevenson escalation
# --------------------------------------------------------------------------- #
_TIER_KIND = {
    1: "check-in and tutoring pass",
    2: "required tutoring",
    3: "guided study hall",
}


def _progress(d: _District, fail_target: float = 0.10) -> pd.DataFrame:
    rng = d.rng
    hs = [d.team_by_code[x[1]] for x in _HS_TEAMS]
    shape = {x[1]: x[6] for x in _HS_TEAMS}
    stu = np.concatenate([t.stu for t in hs])
    sec = np.concatenate([t.sec for t in hs])
    team_code = np.concatenate([np.full(len(t.stu), t.code, dtype=object) for t in hs])
    z = np.concatenate([(t.theta - t.theta.mean()) / t.theta.std() for t in hs])
    top, short, skew = (np.array([shape[c][i] for c in team_code]) for i in range(3))
    base = top - short * np.exp(-skew * z) + rng.normal(0, 2.0, len(stu))
    T = len(PROGRESS_DATES)
    eps = rng.normal(0, 3.0, (len(stu), T))
    for t in range(1, T):
        eps[:, t] = 0.6 * eps[:, t - 1] + eps[:, t]
    responsive = rng.random(d.n_students) < 0.75
    gain_rate = np.where(responsive, rng.uniform(3.0, 6.0, d.n_students), rng.uniform(-0.5, 1.0, d.n_students))
    is_alg = team_code == "ALG1"
    trend_shape = np.arange(T) / (T - 1)

    def simulate(c_alg: float) -> tuple[np.ndarray, list[tuple[int, int, str, int]]]:
        gain = np.zeros(d.n_students)
        tier = np.zeros(d.n_students, dtype=int)
        check = np.full(d.n_students, -1)
        pct = np.zeros((len(stu), T))
        events: list[tuple[int, int, str, int]] = []  # (student, report, event, tier)
        for t in range(T):
            p = base + eps[:, t] + gain[stu] + np.where(is_alg, c_alg * trend_shape[t], 0.0)
            p = np.clip(np.round(p, 1), 0.0, 100.0)
            pct[:, t] = p
            low = np.full(d.n_students, np.inf)
            np.minimum.at(low, stu, p)
            enrolled = np.isfinite(low)
            below = enrolled & (low < TIER_LINE)
            start = (tier == 0) & below
            at_check = (tier > 0) & (check == t)
            exit_ = at_check & ~below
            esc = at_check & below & (tier < 3)
            stay3 = at_check & below & (tier == 3)
            for s in np.flatnonzero(exit_):
                events.append((int(s), t, "exit", int(tier[s])))
            for s in np.flatnonzero(esc):
                events.append((int(s), t, "escalate", int(tier[s]) + 1))
            for s in np.flatnonzero(start):
                events.append((int(s), t, "start", 1))
            tier[exit_] = 0
            check[exit_] = -1
            tier[esc] += 1
            check[esc] = t + 2
            check[stay3] = t + 2
            tier[start] = 1
            check[start] = t + 2
            gain += np.where(tier > 0, gain_rate, 0.0)
        return pct, events

    def fail_rate(c: float) -> float:
        pct, _ = simulate(c)
        return float((pct[is_alg, T - 1] < FAIL_LINE).mean())

    lo, hi = -20.0, 30.0
    for _ in range(40):
        mid = (lo + hi) / 2
        if fail_rate(mid) <= fail_target:
            hi = mid
        else:
            lo = mid
    pct, events = simulate(hi)
    d.planted["_alg_trend"] = hi

    # episodes
    open_ep: dict[int, dict[str, Any]] = {}
    episodes: list[dict[str, Any]] = []
    for s, t, ev, tr in sorted(events, key=lambda e: (e[1], e[0])):
        when = _school_day_after(PROGRESS_DATES[t], 3)
        if ev == "start":
            open_ep[s] = {"s": s, "tier": 1, "start": when, "end": None, "outcome": ""}
        elif ev in ("exit", "escalate"):
            ep = open_ep.pop(s)
            ep["end"] = when
            ep["outcome"] = "exited" if ev == "exit" else "escalated"
            episodes.append(ep)
            if ev == "escalate":
                open_ep[s] = {"s": s, "tier": tr, "start": when, "end": None, "outcome": ""}
    episodes.extend(open_ep.values())
    episodes.sort(key=lambda e: (e["start"], e["s"], e["tier"]))
    for ep in episodes:
        d.intervention_rows.append(
            {
                "student_id": d.student_ids[ep["s"]],
                "tier": ep["tier"],
                "kind": _TIER_KIND[ep["tier"]],
                "start_date": _iso(ep["start"]),
                "skill_id": "",
                "end_date": _iso(ep["end"]) if ep["end"] else "",
                "outcome": ep["outcome"],
            }
        )
    tier3 = sorted({d.student_ids[e["s"]] for e in episodes if e["tier"] == 3})
    exited = sorted({d.student_ids[e["s"]] for e in episodes if e["outcome"] == "exited"})
    exited_by_tier = {
        str(k): sorted({d.student_ids[e["s"]] for e in episodes if e["outcome"] == "exited" and e["tier"] == k})
        for k in (1, 2, 3)
    }
    current = {
        str(k): sorted({d.student_ids[e["s"]] for e in episodes if e["end"] is None and e["tier"] == k})
        for k in (1, 2, 3)
    }
    d.planted["tiers"] = {
        "rule": (
            "At each progress report (every 3 weeks) take each high-school student's lowest percent "
            f"across their sections. Below {TIER_LINE:g} with no open support -> tier 1 (starts the "
            "Monday after the report). Six weeks (two reports) later: still below -> next tier "
            f"(tier 1 -> 2 -> 3; tier 3 continues), at or above {TIER_LINE:g} -> exit. A student "
            "may start again at tier 1 later."
        ),
        "tier_line": TIER_LINE,
        "reached_tier_3": tier3,
        "exited": exited,
        "exited_by_tier": exited_by_tier,
        "open_at_last_report_by_tier": current,
        "n_students_with_support": len({e["s"] for e in episodes}),
    }
    rows = []
    for t, pd_ in enumerate(PROGRESS_DATES):
        rows.append(
            pd.DataFrame(
                {"student_id": d.student_ids[stu], "section_id": sec, "period_end": _iso(pd_), "percent": pct[:, t]}
            )
        )
    prog = pd.concat(rows, ignore_index=True)
    return prog


# --------------------------------------------------------------------------- #
# Assembling tables
# --------------------------------------------------------------------------- #
def _double_score(d: _District, scores: pd.DataFrame) -> pd.DataFrame:
    """Add second-rater rows for ~15% of rubric responses in each team that has rubrics."""
    rng = d.rng
    is_rub = scores["_rub"].to_numpy(dtype=bool) & scores["points"].notna().to_numpy()
    chosen = is_rub & (rng.random(len(scores)) < DOUBLE_SCORED_RATE)
    team_of_a = {a.assessment_id: a.team for a in d.assessments}
    teacher_ids = np.array([r["teacher_id"] for r in d.teacher_rows], dtype=object)
    idx = np.flatnonzero(chosen)
    sub = scores.iloc[idx]
    own_g = sub["_tch"].to_numpy()
    second_g = np.empty(len(idx), dtype=int)
    for i, (aid, g) in enumerate(zip(sub["assessment_id"].to_numpy(), own_g)):
        team = team_of_a[aid]
        pos = int(np.flatnonzero(team.teacher_g == g)[0])
        second_g[i] = team.teacher_g[(pos + 1) % len(team.teacher_g)]
    first = sub["points"].to_numpy()
    eng = d.team_by_code["ENG9"]
    bad_own, bad_second = eng.teacher_g[_ENG9_DISAGREE[0]], eng.teacher_g[_ENG9_DISAGREE[1]]
    bad = (own_g == bad_own) & (second_g == bad_second)
    agree_noise = np.where(rng.random(len(idx)) < 0.88, 0, rng.choice([-1, 1], len(idx)))
    # the disagreeing colleague is harsher, and half the time scores as if reading other work
    unrelated = first[rng.permutation(len(idx))]
    bad_noise = np.where(rng.random(len(idx)) < 0.65, unrelated - first, rng.choice([-1, 0], len(idx)))
    second = np.clip(first + np.where(bad, bad_noise, agree_noise), 0, 4)
    rater = np.full(len(scores), "", dtype=object)
    rater[idx] = teacher_ids[own_g]
    out = scores.copy()
    out["rater_id"] = rater
    out["_order"] = np.arange(len(out)) * 2
    extra = out.iloc[idx].copy()
    extra["points"] = second
    extra["rater_id"] = teacher_ids[second_g]
    extra["_order"] = idx * 2 + 1
    out = pd.concat([out, extra], ignore_index=True).sort_values("_order", kind="stable")
    # kappa per pair (record teacher -> second rater)
    pairs = []
    for o, s in sorted(set(zip(teacher_ids[own_g].tolist(), teacher_ids[second_g].tolist()))):
        m = (teacher_ids[own_g] == o) & (teacher_ids[second_g] == s)
        team = team_of_a[sub["assessment_id"].to_numpy()[m][0]]
        pairs.append(
            {
                "team_id": team.team_id,
                "pair": [o, s],
                "n": int(m.sum()),
                "quadratic_kappa": round(_quadratic_kappa(first[m], second[m]), 4),
            }
        )
    bad_pair = [str(teacher_ids[bad_own]), str(teacher_ids[bad_second])]
    d.planted["rater_disagreement"] = {
        "team_id": eng.team_id,
        "pair": bad_pair,
        "quadratic_kappa": next(p["quadratic_kappa"] for p in pairs if p["pair"] == bad_pair),
        "n": next(p["n"] for p in pairs if p["pair"] == bad_pair),
        "other_pairs": [p for p in pairs if p["pair"] != bad_pair],
        "how": "the row of record has rater_id = the student's own teacher (pair[0] for this pair); "
        "the second row has rater_id = the colleague (pair[1]); work_id = "
        "(student_id, assessment_id, item_id)",
    }
    d.planted["double_scoring"] = {
        "share_of_rubric_responses": DOUBLE_SCORED_RATE,
        "n_double_scored": int(len(idx)),
        "teams": sorted({p["team_id"] for p in pairs}),
        "rotation": "each teacher's students' work is second-scored by the next teacher of the team",
    }
    return out.drop(columns=["_order"]).reset_index(drop=True)


def _proficiency_pairs(scores: pd.DataFrame, items: pd.DataFrame, skills: pd.DataFrame) -> pd.DataFrame:
    """Per (student, assessment, skill): share of points and proficiency (record rows only)."""
    it = items[["assessment_id", "item_id", "skill_id", "max_points"]]
    s = scores.merge(it, on=["assessment_id", "item_id"], how="left")
    s["pts0"] = s["points"].fillna(0.0)
    g = s.groupby(["student_id", "assessment_id", "skill_id", "_tch"], sort=True)[["pts0", "max_points"]].sum()
    g = g.reset_index()
    g["share"] = g["pts0"] / g["max_points"]
    cut = skills.set_index("skill_id")["proficiency_cut"]
    g["proficient"] = g["share"] >= g["skill_id"].map(cut) - TOLERANCE
    return g


def _goal_status(
    baseline: float, target: float, current: float, start: date, as_of: date, due: date
) -> tuple[str, float]:
    up = target >= baseline
    met = current >= target if up else current <= target
    span = (as_of - start).days
    slope = (current - baseline) / span if span > 0 else 0.0
    projected = current + slope * (due - as_of).days
    if met:
        return "met", projected
    on = projected >= target if up else projected <= target
    return ("on track" if on else "off track"), projected


def generate_sample(out: str | Path, *, seed: int = DEFAULT_SEED, students: int | None = None) -> dict:
    """Write a synthetic district as a canonical data folder and return the planted truth.

    Parameters
    ----------
    out : str or pathlib.Path
        Folder to write (created if needed). Existing files of the same names are
        overwritten; other files are left alone.
    seed : int, default 2026
        Seed of :func:`numpy.random.default_rng`. The same seed and size give the
        same bytes.
    students : int, optional
        Number of high-school students (default 600; 4000 is the size of Stevenson
        High School). The elementary (402 students) and intermediate (440 students)
        schools have fixed sizes.

    Returns
    -------
    dict
        The planted truth, also written to ``planted.json``: ids of the planted
        effects and the values measured in the generated data (see the folder's
        ``README.md`` for the meaning of each key).

    Raises
    ------
    ValueError
        If ``students`` is smaller than :data:`MIN_SAMPLE_STUDENTS` (80).

    Examples
    --------
    >>> truth = generate_sample("data/sample")  # doctest: +SKIP
    >>> truth["miskeyed_item"]["item_id"]  # doctest: +SKIP
    'G3-c04-01'
    """
    hs = DEFAULT_HS_STUDENTS if students is None else int(students)
    if hs < MIN_SAMPLE_STUDENTS:
        raise ValueError(f"students must be at least {MIN_SAMPLE_STUDENTS} (got {hs})")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    d = _District(int(seed), hs)
    d.planted.update(
        {
            "generator": "plc_analysis.sample.generate_sample",
            "seed": int(seed),
            "hs_students": hs,
            "school_year": SCHOOL_YEAR,
            "first_day": _iso(FIRST_DAY),
            "last_data_date": _iso(LAST_DATA_DAY),
            "goal_due_date": _iso(GOAL_DUE),
            "keys": {
                "items": ["assessment_id", "item_id"],
                "scores_record_row": ["student_id", "assessment_id", "item_id"],
                "note": "item_id is unique district-wide except on common assessments (common_id), where "
                "both house teams' assessments carry the same items; a second-rater score row "
                "repeats (student_id, assessment_id, item_id) with another rater_id",
            },
            "rates": {
                "absent": ABSENT_RATE,
                "not_attempted": NOT_ATTEMPTED_RATE,
                "double_scored_rubric": DOUBLE_SCORED_RATE,
            },
        }
    )
    d.make_students()
    _build_elementary(d)
    _build_intermediate(d)
    _build_high(d)
    d.make_effects()
    _elementary_assessments(d)
    _intermediate_assessments(d)
    _high_assessments(d)
    _planted_actions(d)
    progress = _progress(d)
    tables = _assemble(d, progress)
    _measure(d, tables)
    _write(out, tables, d.planted)
    return d.planted


def _assemble(d: _District, progress: pd.DataFrame) -> dict[str, pd.DataFrame]:
    schools = pd.DataFrame(
        {
            "school_id": ["S01", "S02", "S03"],
            "name": ["Maple Hollow Elementary School", "Harbor Point Intermediate School", "Lakeview High School"],
        }
    )
    teams = pd.DataFrame(
        [
            {"team_id": t.team_id, "school_id": t.school_id, "name": t.name, "grade": t.grade, "subject": t.subject}
            for t in d.teams
        ]
    )
    teachers = pd.DataFrame(d.teacher_rows)
    sections = pd.DataFrame(d.section_rows)
    tf = lambda x: np.where(x, "true", "false")  # noqa: E731
    students = pd.DataFrame(
        {
            "student_id": d.student_ids,
            "grade": d.grade,
            "first_name": d.first,
            "last_name": d.last,
            "ell": tf(d.ell),
            "sped": tf(d.sped),
            "frl": tf(d.frl),
        }
    )
    enroll = pd.DataFrame(
        {
            "student_id": d.student_ids[np.concatenate(d.enroll_stu)],
            "section_id": np.concatenate(d.enroll_sec),
        }
    )
    skills = pd.DataFrame(d.skill_rows)
    d.assessments.sort(key=lambda a: (a.date, a.team.team_id, a.assessment_id))
    assessments = pd.DataFrame(
        [
            {
                "assessment_id": a.assessment_id,
                "team_id": a.team.team_id,
                "title": a.title,
                "kind": a.kind,
                "date": _iso(a.date),
                "unit": a.unit,
                "common_id": a.common_id,
            }
            for a in d.assessments
        ]
    )
    item_rows = []
    for a in d.assessments:
        f = a.form
        for i, iid in enumerate(f.item_ids):
            item_rows.append(
                {
                    "assessment_id": a.assessment_id,
                    "item_id": iid,
                    "skill_id": d.skill_rows[int(f.skill_g[i])]["skill_id"],
                    "max_points": int(f.maxp[i]),
                    "kind": f.kind[i],
                    "key": str(_OPTIONS[f.key_rec[i]]) if f.kind[i] == "mc" else "",
                }
            )
    items = pd.DataFrame(item_rows)
    # scores: parts were recorded in administration order; index assessments by id
    a_by_id = {a.assessment_id: a for a in d.assessments}
    order_of = {a.assessment_id: i for i, a in enumerate(d.assessments)}
    frames = []
    for p in d.score_parts:
        aid = p["aid"]
        a = a_by_id[aid]
        f = a.form
        resp = np.where(p["resp"] >= 0, _OPTIONS[np.maximum(p["resp"], 0)], "")
        frames.append(
            pd.DataFrame(
                {
                    "student_id": d.student_ids[p["stu"]],
                    "assessment_id": aid,
                    "item_id": np.array(f.item_ids, dtype=object)[p["item"]],
                    "points": p["pts"],
                    "response": resp.astype(object),
                    "_tch": p["tch"],
                    "_ord": order_of[aid],
                    "_item": p["item"],
                    "_rub": f.kind[p["item"]] == "rubric",
                }
            )
        )
    scores = pd.concat(frames, ignore_index=True)
    scores = scores.sort_values(["_ord", "student_id", "_item"], kind="stable").reset_index(drop=True)
    # the planted actions' reassessment is scored once, after the double scoring, so that adding it
    # leaves the rest of the district (double scoring included) as it was
    late = scores["assessment_id"].isin(d.single_scored).to_numpy()
    scores = pd.concat(
        [_double_score(d, scores[~late].reset_index(drop=True)), scores[late].assign(rater_id="")],
        ignore_index=True,
    )
    scores = scores.drop(columns=["_ord", "_item", "_rub"])
    goals = _goals(d)
    interventions = pd.DataFrame(d.intervention_rows)
    interventions = interventions.sort_values(
        ["start_date", "student_id", "tier", "skill_id"], kind="stable"
    ).reset_index(drop=True)
    return {
        "schools.csv": schools,
        "teams.csv": teams,
        "teachers.csv": teachers,
        "sections.csv": sections,
        "students.csv": students,
        "enrollments.csv": enroll,
        "skills.csv": skills,
        "assessments.csv": assessments,
        "items.csv": items,
        "scores.csv": scores,
        "goals.csv": goals,
        "progress.csv": progress,
        "interventions.csv": interventions,
        "actions.csv": pd.DataFrame(d.action_rows, columns=list(_ACTION_FIELDS)),
    }


def _goals(d: _District) -> pd.DataFrame:
    weak = d.skill_ids_by_code["G3"][_G3_WEAK_SKILL]
    rows = [
        {
            "goal_id": "G-01",
            "team_id": "T-5R",
            "statement": "We will increase the percentage of students who meet the standard on the spring "
            "practice state reading test from 83% to 90% by May 2026.",
            "metric": "share_passing",
            "baseline": 0.83,
            "target": 0.90,
            "start_date": _iso(GOAL_START),
            "due_date": _iso(GOAL_DUE),
            "skill_id": "",
            "assessment_kind": "practice",
            "subgroup": "",
            "_expected": "met",
        },
        {
            "goal_id": "G-02",
            "team_id": "T-ALG1",
            "statement": "We will reduce the failure rate in Algebra 1 by 50%, from 18% to 9% of students "
            "failing at the progress report, by May 2026.",
            "metric": "failure_rate",
            "baseline": 0.18,
            "target": 0.09,
            "start_date": _iso(GOAL_START),
            "due_date": _iso(GOAL_DUE),
            "skill_id": "",
            "assessment_kind": "",
            "subgroup": "",
            "_expected": "on track",
        },
        {
            "goal_id": "G-03",
            "team_id": "T-5M",
            "statement": "We will increase the percentage of students receiving special education services "
            "who meet the standard on the quarterly cumulative math exam from 40% to 65% by May 2026.",
            "metric": "share_passing",
            "baseline": 0.40,
            "target": 0.65,
            "start_date": _iso(GOAL_START),
            "due_date": _iso(GOAL_DUE),
            "skill_id": "",
            "assessment_kind": "cumulative",
            "subgroup": "sped",
            "_expected": "off track",
        },
        {
            "goal_id": "G-04",
            "team_id": "T-G3",
            "statement": "We will increase the percentage of third graders proficient at making inferences "
            "using text evidence on our common formative assessments from 35% to 70% by May 2026.",
            "metric": "share_proficient",
            "baseline": 0.35,
            "target": 0.70,
            "start_date": _iso(GOAL_START),
            "due_date": _iso(GOAL_DUE),
            "skill_id": weak,
            "assessment_kind": "cfa",
            "subgroup": "",
            "_expected": "off track",
        },
    ]
    d._goal_rows = rows
    return pd.DataFrame([{k: v for k, v in r.items() if not k.startswith("_")} for r in rows])


def _measure(d: _District, tables: dict[str, pd.DataFrame]) -> None:
    """Measure the planted effects in the generated tables and store them in ``d.planted``."""
    scores = tables["scores.csv"]
    items = tables["items.csv"]
    skills = tables["skills.csv"]
    assessments = tables["assessments.csv"]
    students = tables["students.csv"]
    teacher_ids = np.array([r["teacher_id"] for r in d.teacher_rows], dtype=object)
    record = scores[(scores["rater_id"] == "") | (scores["rater_id"] == teacher_ids[scores["_tch"].to_numpy()])]
    kind_of = assessments.set_index("assessment_id")["kind"]
    prof = _proficiency_pairs(record, items, skills)
    prof["kind"] = prof["assessment_id"].map(kind_of)
    prof["teacher_id"] = teacher_ids[prof["_tch"].to_numpy()]
    cfa_unit = prof[prof["kind"].isin(["cfa", "unit"])]
    g3 = d.team_by_code["G3"]
    g3_ids = set(d.skill_ids_by_code["G3"])
    g3p = cfa_unit[cfa_unit["skill_id"].isin(g3_ids)]

    # strong teacher
    strong_t = str(teacher_ids[d.strong_teacher])
    strong_s = d.skill_rows[d.strong_skill]["skill_id"]
    on = g3p[g3p["skill_id"] == strong_s]
    sp_t = float(on.loc[on["teacher_id"] == strong_t, "proficient"].mean())
    sp_r = float(on.loc[on["teacher_id"] != strong_t, "proficient"].mean())
    it = items[["assessment_id", "item_id", "skill_id", "max_points"]]
    rs = record.merge(it, on=["assessment_id", "item_id"])
    rs = rs[rs["assessment_id"].map(kind_of).isin(["cfa", "unit"])]
    rs_s = rs[rs["skill_id"] == strong_s]
    share = rs_s["points"].fillna(0) / rs_s["max_points"]
    is_t = teacher_ids[rs_s["_tch"].to_numpy()] == strong_t
    d.planted["strong_teacher"] = {
        "team_id": g3.team_id,
        "teacher_id": strong_t,
        "skill_id": strong_s,
        "effect_logits": STRONG_TEACHER_EFFECT,
        "share_proficient_teacher": round(sp_t, 4),
        "share_proficient_rest_of_team": round(sp_r, 4),
        "share_of_points_teacher": round(float(share[is_t].mean()), 4),
        "share_of_points_rest_of_team": round(float(share[~is_t].mean()), 4),
        "measured_on": "cfa and unit assessments; proficiency per (student, assessment) on the skill's items",
    }
    # weak skill
    weak_s = d.skill_rows[d.weak_skill]["skill_id"]
    by_skill = g3p.groupby("skill_id")["proficient"].mean()
    ess = set(skills.loc[skills["essential"] == "true", "skill_id"])
    others = by_skill[[s for s in by_skill.index if s != weak_s and s in ess]]
    d.planted["weak_skill"] = {
        "team_id": g3.team_id,
        "skill_id": weak_s,
        "essential": True,
        "difficulty_shift_logits": WEAK_SKILL_SHIFT,
        "share_proficient": round(float(by_skill[weak_s]), 4),
        "share_proficient_other_essential_skills": {k: round(float(v), 4) for k, v in others.items()},
    }
    # subgroup gaps (district-wide share of points, record rows of cfa/unit/cumulative/practice)
    stu_flags = students.set_index("student_id")
    allr = record.merge(it, on=["assessment_id", "item_id"])
    allr = allr[allr["assessment_id"].map(kind_of) != "reassessment"]
    allr["share"] = allr["points"].fillna(0) / allr["max_points"]
    gaps = {}
    for g in ("ell", "sped", "frl"):
        flag = allr["student_id"].map(stu_flags[g]) == "true"
        gaps[g] = {
            "logits": SUBGROUP_GAPS[g],
            "share_of_points_in": round(float(allr.loc[flag, "share"].mean()), 4),
            "share_of_points_out": round(float(allr.loc[~flag, "share"].mean()), 4),
        }
        gaps[g]["difference"] = round(gaps[g]["share_of_points_in"] - gaps[g]["share_of_points_out"], 4)
    d.planted["subgroup_gaps"] = {
        "model": "logit P(correct) adds these gaps for members (additive when a student is in several)",
        "rates": SUBGROUP_RATES,
        "gaps": gaps,
    }
    g3_students = set(d.student_ids[g3.stu])
    n_ell = int((students["student_id"].isin(g3_students) & (students["ell"] == "true")).sum())
    d.planted["small_subgroup_cell"] = {
        "team_id": g3.team_id,
        "subgroup": "ell",
        "n_students": n_ell,
        "n_team_students": len(g3_students),
    }
    # goals
    goals_out = []
    progress = tables["progress.csv"]
    sections = tables["sections.csv"]
    for r in d._goal_rows:
        team_a = assessments[(assessments["team_id"] == r["team_id"])]
        if r["metric"] == "failure_rate":
            secs = set(sections.loc[sections["team_id"] == r["team_id"], "section_id"])
            pr = progress[progress["section_id"].isin(secs)]
            as_of = pr["period_end"].max()
            last = pr[pr["period_end"] == as_of]
            current = float((last["percent"] < FAIL_LINE).mean())
            first_val = float((pr[pr["period_end"] == pr["period_end"].min()]["percent"] < FAIL_LINE).mean())
            detail: dict[str, object] = {"first_report_value": round(first_val, 4), "n_students": int(len(last))}
        else:
            cand = team_a[team_a["kind"] == r["assessment_kind"]]
            if r["skill_id"]:
                ids = set(items.loc[items["skill_id"] == r["skill_id"], "assessment_id"])
                cand = cand[cand["assessment_id"].isin(ids)]
            latest = cand.sort_values(["date", "assessment_id"]).iloc[-1]
            as_of = latest["date"]
            sub = record[record["assessment_id"] == latest["assessment_id"]]
            if r["subgroup"]:
                sub = sub[sub["student_id"].map(stu_flags[r["subgroup"]]) == "true"]
            sub = sub.merge(it, on=["assessment_id", "item_id"])
            if r["skill_id"]:
                sub = sub[sub["skill_id"] == r["skill_id"]]
                cut = float(skills.set_index("skill_id").loc[r["skill_id"], "proficiency_cut"])
            else:
                cut = STANDARD_LINE
            per = sub.assign(p0=sub["points"].fillna(0)).groupby("student_id")[["p0", "max_points"]].sum()
            pct = per["p0"] / per["max_points"]
            current = float((pct >= cut - TOLERANCE).mean())
            detail = {"assessment_id": latest["assessment_id"], "cut": cut, "n_students": int(len(per))}
            if not r["skill_id"]:
                # the status does not depend on whether "passing" means 60% or 70%
                alt = {}
                for line in (0.6, 0.7):
                    v = float((pct >= line - TOLERANCE).mean())
                    st_, _ = _goal_status(
                        r["baseline"], r["target"], v, GOAL_START, date.fromisoformat(as_of), GOAL_DUE
                    )
                    alt[f"{line:.1f}"] = {"current": round(v, 4), "status": st_}
                detail["by_passing_line"] = alt
        as_of_d = date.fromisoformat(as_of)
        status, projected = _goal_status(r["baseline"], r["target"], current, GOAL_START, as_of_d, GOAL_DUE)
        goals_out.append(
            {
                "goal_id": r["goal_id"],
                "team_id": r["team_id"],
                "metric": r["metric"],
                "baseline": r["baseline"],
                "target": r["target"],
                "current": round(current, 4),
                "as_of": as_of,
                "projected_at_due_date": round(projected, 4),
                "expected_status": status,
                "intended_status": r["_expected"],
                **detail,
            }
        )
    d.planted["goals"] = goals_out

    # reassessments: share of reassessed students who improved
    d.planted["reassessments"] = d.reassessments
    _measure_actions(d, tables, prof)
    # teacher x skill effects other than the planted one
    tau = d.tau.copy()
    tau[d.strong_teacher, d.strong_skill] = 0.0
    d.planted["teacher_skill_effects"] = {
        "planted": {"teacher_id": strong_t, "skill_id": strong_s, "effect_logits": STRONG_TEACHER_EFFECT},
        "others_max_abs_logits": round(float(np.abs(tau).max()), 4),
    }


def _measure_actions(d: _District, tables: dict[str, pd.DataFrame], prof: pd.DataFrame) -> None:
    """Per planted action: its students below the cut before, how many are proficient after, and the others'."""
    actions = tables["actions.csv"]
    measured = {}
    for a in actions.itertuples(index=False):
        members = set(filter(None, a.student_ids.split(";")))
        on_skill = prof[prof["skill_id"] == a.skill_id].set_index(["assessment_id", "student_id"])["proficient"]
        before = on_skill.loc[a.assessment_id] if a.assessment_id in on_skill.index.get_level_values(0) else None
        after_id = a.reassess_assessment_id
        after = on_skill.loc[after_id] if after_id and after_id in on_skill.index.get_level_values(0) else None
        entry: dict[str, Any] = {"skill_id": a.skill_id, "kind": a.kind, "n_students": len(members)}
        for group, ids in (("action", members), ("comparison", None)):
            if before is None or after is None:
                entry[group] = {"n_below_before_measured": 0, "n_moved_to_proficient": 0}
                continue
            below = set(before[~before].index)
            chosen = (below & set(after.index)) & (
                ids
                if ids is not None
                else below
                - set().union(
                    *(
                        set(filter(None, b.student_ids.split(";")))
                        for b in actions.itertuples(index=False)
                        if b.skill_id == a.skill_id
                    )
                )
            )
            moved = int(after.reindex(sorted(chosen)).sum())
            entry[group] = {
                "n_below_before_measured": len(chosen),
                "n_moved_to_proficient": moved,
                "share_moved": round(moved / len(chosen), 4) if chosen else None,
            }
        measured[a.action_id] = entry
    d.planted["actions"]["measured"] = measured


def _write(out: Path, tables: dict[str, pd.DataFrame], planted: dict[str, Any]) -> None:
    tables = dict(tables)
    sc = tables["scores.csv"].drop(columns=["_tch"]).copy()
    sc["points"] = sc["points"].astype("Int64")
    tables["scores.csv"] = sc
    pr = tables["progress.csv"].copy()
    pr["percent"] = [f"{v:.1f}" for v in pr["percent"].to_numpy()]
    tables["progress.csv"] = pr
    for name in SAMPLE_FILES:
        tables[name].to_csv(out / name, index=False, lineterminator="\n", na_rep="")
    public = {k: v for k, v in planted.items() if not k.startswith("_")}
    (out / "planted.json").write_text(json.dumps(public, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "README.md").write_text(_readme(public, tables), encoding="utf-8")
    planted.clear()
    planted.update(public)


def _readme(p: dict[str, Any], tables: dict[str, pd.DataFrame]) -> str:
    """Render the folder's README.md from the planted truth and the tables."""
    teams = tables["teams.csv"]
    teachers = tables["teachers.csv"]
    sections = tables["sections.csv"]
    enroll = tables["enrollments.csv"]
    assessments = tables["assessments.csv"]
    skills = tables["skills.csv"]
    sec_team = sections.set_index("section_id")["team_id"]
    n_stu = enroll.assign(team_id=enroll["section_id"].map(sec_team)).groupby("team_id")["student_id"].nunique()
    lines_t = [
        "| team | school | name | teachers | sections | students | assessments (by kind) |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in teams.itertuples(index=False):
        ak = assessments[assessments["team_id"] == t.team_id]["kind"].value_counts()
        kinds = ", ".join(
            f"{k} {int(ak[k])}" for k in ("cfa", "unit", "cumulative", "practice", "reassessment") if k in ak
        )
        lines_t.append(
            f"| `{t.team_id}` | {t.school_id} | {t.name} | {int((teachers['team_id'] == t.team_id).sum())} "
            f"| {int((sections['team_id'] == t.team_id).sum())} | {int(n_stu.get(t.team_id, 0))} | {kinds} |"
        )
    rows = "\n".join(f"| `{name}` | {len(tables[name]):,} |" for name in SAMPLE_FILES)
    st = p["strong_teacher"]
    wk = p["weak_skill"]
    mk = p["miskeyed_item"]
    rd = p["rater_disagreement"]
    cg = p["coverage_gap"]
    sc = p["small_subgroup_cell"]
    tiers = p["tiers"]
    gaps = p["subgroup_gaps"]["gaps"]
    skill_desc = skills.set_index("skill_id")["description"]
    others = ", ".join(f"{v:.0%}" for v in wk["share_proficient_other_essential_skills"].values())
    other_k = [q["quadratic_kappa"] for q in rd["other_pairs"] if q["n"] >= 20]
    gap_lines = "\n".join(
        f"| {g} | {v['logits']:+.1f} | {p['subgroup_gaps']['rates'][g]:.0%} | {v['share_of_points_in']:.1%} "
        f"| {v['share_of_points_out']:.1%} | {v['difference'] * 100:+.1f} points |"
        for g, v in gaps.items()
    )
    goal_lines = "\n".join(
        f"| `{g['goal_id']}` | `{g['team_id']}` | {g['metric']} | {g['baseline']:.0%} | {g['target']:.0%} "
        f"| {g['current']:.1%} ({g['as_of']}) | {g['projected_at_due_date']:.1%} | **{g['expected_status']}** |"
        for g in p["goals"]
    )
    reas = "\n".join(
        f"| `{r['assessment_id']}` | `{r['source_assessment_id']}` "
        f"| {', '.join('`' + s + '`' for s in r['skill_ids'])} "
        f"| {r['students_below_cut']} | {r['students_reassessed']} | {r['share_improved']:.0%} |"
        for r in p["reassessments"]
    )
    act = p["actions"]
    verdicts = act["expected_verdicts"]
    action_lines = []
    for a in tables["actions.csv"].itertuples(index=False):
        m = act["measured"][a.action_id]
        mine, other = m["action"], m["comparison"]
        moved = f"{mine['n_moved_to_proficient']} of {mine['n_below_before_measured']}"
        others = (
            f"{other['n_moved_to_proficient']} of {other['n_below_before_measured']}"
            if other["n_below_before_measured"]
            else "none"
        )
        action_lines.append(
            f"| `{a.action_id}` | `{a.skill_id}` | {a.kind} | `{a.teacher_id}` "
            f"| {m['n_students'] or 'blank (all below the cut)'} | {a.reassess_assessment_id or '-'} "
            f"| {moved} | {others} | **{verdicts[a.action_id]}** |"
        )
    action_table = "\n".join(action_lines)
    return f"""# Sample district: synthetic data with planted effects

Everything in this folder is **synthetic**: the students, teachers and schools are invented
(names are drawn at random from short lists) and no row describes a real person. The
district is modelled on the three schools described in DuFour's *What Is a "Professional
Learning Community"?* (Boones Mill Elementary, Freeport Intermediate, Stevenson High School)
so that every analysis in `plc_analysis` has something realistic to find, and it contains
**planted effects** with known answers so that tests and notebooks can check that the
analyses find them. The machine-readable truth is in [`planted.json`](planted.json).

## Regenerate

```bash
plc sample --out data/sample                    # seed {p["seed"]}, {p["hs_students"]} high-school students
plc sample --out /tmp/big --students 4000       # full Stevenson size (not committed)
python -c "from plc_analysis.sample import generate_sample; generate_sample('data/sample')"
```

`generate_sample(out, seed={p["seed"]}, students=None)` is deterministic: the same seed and size
write the same bytes. A different seed gives a different district with the same structure, the
same ids (schools, teams, teachers, sections, skills, assessments, items, goals) and the same
planted effects; the students' data, the MC keys and therefore the ids listed in `planted.json`
for tiers (and the measured values) change.

## How the district is built

School year {p["school_year"]}; data run from {p["first_day"]} to {p["last_data_date"]} (the last
data date); goals are due {p["goal_due_date"]}.

- **S01 Maple Hollow Elementary** (modelled on Boones Mill): {6 * ELEMENTARY_PER_GRADE} students in grades K-5. Only the
  five-teacher grade-3 language-arts team (`T-G3`) uses the workbook: seven CFAs of 9-11 items,
  one unit assessment, two reassessments. Students in other grades are in `students.csv` only.
- **S02 Harbor Point Intermediate** (modelled on Freeport): {2 * INTERMEDIATE_PER_GRADE} students in grades 5-6. Grade
  teams give a brief CFA roughly every week (math, 4 items; no CFA in holiday and exam weeks)
  or every other week (reading, 5 items), a cumulative exam each quarter (8 items; quarters 1
  and 2 so far) and a spring practice state test (kind `practice`, 12 items, 2026-03-04).
  Grade-6 math is split into two "house" teams,
  `T-6MB` (House Blue) and `T-6MG` (House Gold), that give the **same** assessments: each team
  has its own `assessment_id` rows, with the same `common_id` and the same `item_id`s and
  `skill_id`s (the shared grade-6 math skills have an empty `team_id` in `skills.csv`).
- **S03 Lakeview High School** (modelled on Stevenson): {p["hs_students"]} students in grades 9-12.
  Course teams (Algebra 1, English 9 in grade 9; Biology in grade 10; U.S. History in grade 11)
  give four unit assessments (8 items) and five CFAs (5 items) each, and every student gets a progress-report grade
  (`progress.csv`, percent per student x section) every three weeks. Grade-12 students are in
  `students.csv` only.

{chr(10).join(lines_t)}

Row counts:

| file | rows |
|---|---|
{rows}

### Conventions

- Identifiers are strings: schools `S01`-`S03`, teams `T-G3`, `T-5M`, ..., teachers `t101`
  (elementary), `t201` (intermediate), `t301` (high school), students `st00001`, sections
  `G3-s01`, skills `G3-k01`, assessments `<team code>-<kind letter><n>` (`c` CFA, `u` unit, `q`
  quarterly cumulative, `p` practice, `r` reassessment, e.g. `G3-c04`), items `<assessment or
  common id>-<nn>` (e.g. `G3-c04-01`, `6M-c03-02`).
- An item is identified by (`assessment_id`, `item_id`). `item_id` is unique across the district
  except on the grade-6 common assessments, where both house teams' rows carry the same items.
- `grade` is text (`K`, `1`, ..., `12`); booleans are `true` / `false`; dates are ISO 8601.
- `period` is empty for the self-contained elementary classes; `term` is `{SCHOOL_YEAR}` (year-long).
- Students in grades with no team using the workbook (elementary K-2, 4, 5; high-school grade
  12) appear in `students.csv` without enrollments.
- The planted numbers in `planted.json` are measured on the generated rows of record (second-
  rater rows excluded), with not-attempted items counted as 0.

### Scores: the latent model

For student *s* (taught by teacher *t*) answering item *i* on skill *k*:

    logit = ability[s] + subject ability[s] + subgroup gaps[s] + team level
            - difficulty[i] + teacher x skill[t, k] + student x skill[s, k]

with ability ~ N(0, 1), subject ability ~ N(0, 0.5), team level {TEAM_LEVEL} (+ N(0, 0.1)), item
difficulty = skill difficulty (~N(0, 0.35)) + N(0, 0.45) (N(0, 0.2) on the two planted grade-3
skills), student x skill ~ N(0, 0.35), and teacher x skill effects drawn uniformly in
[-0.2, 0.2] except the one planted effect below. Grade-3 homerooms are balanced by prior
achievement; other sections are filled at random.

- **Multiple choice** (`kind` mc, 1 point, options A-D): P(correct) = 0.2 + 0.8 * logistic(logit).
  A wrong answer picks a distractor with item-specific, uneven weights, so some distractors
  attract many more students than others. `response` holds the chosen option; `points` is
  scored against the `key` in `items.csv`.
- **Constructed response** (`cr`, 0-2 or 0-3) and **rubric** (`rubric`, 0-4) items follow a graded
  (ordinal) model: P(points >= j) = logistic(logit - threshold_j).
- **Absences**: about {p["rates"]["absent"]:.0%} of students have no rows at all for a given
  assessment (absent: excluded from that assessment's denominators).
- **Not attempted**: about {p["rates"]["not_attempted"]:.0%} of responses have an empty `points`
  (and empty `response`): not attempted, counts as 0 for proficiency.
- **Double scoring**: about {p["rates"]["double_scored_rubric"]:.0%} of rubric responses in every team
  that uses rubrics are scored twice. The row of record has `rater_id` = the student's own
  teacher; a second row for the same (student, assessment, item) has `rater_id` = a colleague
  (each teacher's work goes to the next teacher of the team). All other rows have an empty
  `rater_id`.
- **Reassessments** (kind `reassessment`): after a CFA, students below the cut on the retaught
  skill(s) get reteaching (an `interventions.csv` row: tier 1, kind `reteach`, with the skill,
  the reassessment date as `end_date` and outcome `met` / `not met` / `not reassessed`) and,
  one to two weeks later, a short reassessment on that skill only (+1.0 logit for reteaching).

| reassessment | after | skill(s) | below cut | reassessed | improved |
|---|---|---|---|---|---|
{reas}

### Progress reports and tiers (high school)

Progress percent = course level + ability + noise (autocorrelated over reports) + gains from
support; Algebra 1 also improves over the year (that is how its goal comes out on track).
Support follows the Stevenson escalation: {tiers["rule"]}
Tier rows have kinds "{_TIER_KIND[1]}" (1), "{_TIER_KIND[2]}" (2) and "{_TIER_KIND[3]}" (3);
`outcome` is `escalated` or `exited`, and open support has an empty `end_date` and `outcome`.
{tiers["n_students_with_support"]} high-school students received support;
{len(tiers["reached_tier_3"])} reached tier 3 and {len(tiers["exited"])} exited at least once (ids in
`planted.json` under `tiers`).

### The team's decisions (`actions.csv`)

`T-G3` recorded what it decided after two CFAs, with planted outcomes (`actions` in
`planted.json`). After `G3-c06` it formed two small groups: the ten lowest students below the
cut on "Compare and contrast two texts", led by the teacher whose students did best on it
({act["worked_boost_logits"]:+.1f} logits on that skill at the reassessment `{act["reassessment_id"]}`),
and the students below the cut on "Describe characters", led by another teacher
({act["not_yet_shift_logits"]:+.1f} logits: the strategy did not help). Every student below the cut
on either skill sat `{act["reassessment_id"]}`; those in no group are the comparison. After
`G3-c07` it planned a whole-class reteach of "Make inferences" (blank `student_ids`: every student
below the cut), to reassess by {p["last_data_date"]}; no evidence on that skill follows. Counts
below are students below the cut at the CFA with a result on the reassessment, measured on the
rows of record.

| action | skill | kind | owner | students | reassessment | moved to proficient | comparable students moved | verdict |
|---|---|---|---|---|---|---|---|---|
{action_table}

## Planted effects

1. **A teacher stronger on one skill** (`strong_teacher`): in `{st["team_id"]}`, `{st["teacher_id"]}` has
   +{st["effect_logits"]} logits on `{st["skill_id"]}` ({skill_desc[st["skill_id"]]}). On CFAs and the unit
   assessment {st["share_proficient_teacher"]:.0%} of that teacher's students are proficient on the skill
   versus {st["share_proficient_rest_of_team"]:.0%} for the rest of the team (share of points
   {st["share_of_points_teacher"]:.0%} vs {st["share_of_points_rest_of_team"]:.0%}). Every other teacher x skill
   effect is at most {p["teacher_skill_effects"]["others_max_abs_logits"]:.2f} logits in size.
2. **A miskeyed item** (`miskeyed_item`): `{mk["item_id"]}` on `{mk["assessment_id"]}` has key
   `{mk["recorded_key"]}` in `items.csv`, but students answered as if the key were `{mk["true_key"]}`: the
   strongest students choose `{mk["true_key"]}` and score 0, so the item discriminates negatively.
3. **A weak essential skill** (`weak_skill`): `{wk["skill_id"]}` ({skill_desc[wk["skill_id"]]}) is
   {wk["difficulty_shift_logits"]} logits harder for the whole grade-3 team: {wk["share_proficient"]:.0%} proficient
   versus {others} on the other essential skills.
4. **A rater pair who disagree** (`rater_disagreement`): in `{rd["team_id"]}`, work of `{rd["pair"][0]}`'s
   students second-scored by `{rd["pair"][1]}` has quadratic kappa {rd["quadratic_kappa"]:.2f} (n = {rd["n"]});
   the other pairs with at least 20 double-scored responses range from
   {min(other_k):.2f} to {max(other_k):.2f}.
5. **Subgroup gaps** (`subgroup_gaps`), share of points on all non-reassessment items:

   | subgroup | gap (logits) | rate | members | others | difference |
   |---|---|---|---|---|---|
{chr(10).join("   " + x for x in gap_lines.splitlines())}

   The gaps add up for students in several subgroups.
   **Small cell** (`small_subgroup_cell`): `{sc["team_id"]}` has exactly {sc["n_students"]} English learners
   (of {sc["n_team_students"]} students): anything aggregated beyond the team must suppress it.
6. **A coverage gap** (`coverage_gap`): essential skill `{cg["skill_id"]}` ({skill_desc[cg["skill_id"]]}) of
   `{cg["team_id"]}` appears only on `{cg["assessment_id"]}`, and `{cg["teacher_id"]}`'s students
   (sections {", ".join("`" + s + "`" for s in cg["sections"])}) have no rows for it: intended but not implemented.
7. **Tier escalation** (`tiers`): the ids of students who reached tier 3 and who exited support.
8. **Goals** (`goals`), status as of the last data date:

   | goal | team | metric | baseline | target | current (as of) | projected at due date | status |
   |---|---|---|---|---|---|---|---|
{chr(10).join("   " + x for x in goal_lines.splitlines())}

   Metrics: `share_passing` = share of present students (in `subgroup`, if given) whose
   percent score on the latest assessment of `assessment_kind` is at least {STANDARD_LINE:.0%} (the
   state's "meets standard" line; `by_passing_line` in `planted.json` shows the status is the same
   with a 60% line); `share_proficient` = share of present students at or above
   the skill's `proficiency_cut` on `skill_id`'s items of the latest assessment of
   `assessment_kind` that covers the skill; `failure_rate` = share of the team's enrollments
   with a progress-report percent below {FAIL_LINE:g} at the latest report. Status: **met** when the
   current value has reached the target; otherwise **on track** when the straight line from the
   baseline (at `start_date`) through the current value (at its date) reaches the target by
   `due_date`; otherwise **off track**.

Nothing else large is planted: teacher x skill effects other than (1) are within +/-0.2 logits,
and the two grade-6 house teams share the same items and model.
"""
