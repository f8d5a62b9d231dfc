"""Build small canonical datasets in code, for tests that need more than the MINI fixture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from plc_analysis import Dataset, load_dataset


def synthetic_team(
    folder: Path,
    *,
    teachers: int = 4,
    students_per_teacher: int = 25,
    skills: int = 3,
    items_per_skill: int = 4,
    effect: dict | None = None,
    seed: int = 0,
    assessments: int = 1,
) -> Dataset:
    """One school, one team, 0/1 items; ``effect`` maps (teacher index, skill index) → logit shift."""
    rng = np.random.default_rng(seed)
    effect = effect or {}
    teacher_ids = [f"t{i}" for i in range(teachers)]
    rows = {
        name: []
        for name in ["teachers", "sections", "students", "enrollments", "skills", "assessments", "items", "scores"]
    }
    for i, t in enumerate(teacher_ids):
        rows["teachers"].append({"teacher_id": t, "team_id": "T", "name": f"Teacher {i}"})
        rows["sections"].append({"section_id": f"sec{i}", "teacher_id": t, "team_id": "T"})
    for k in range(skills):
        rows["skills"].append(
            {
                "skill_id": f"K{k}",
                "description": f"Skill {k}",
                "team_id": "T",
                "essential": "true",
                "proficiency_cut": "0.75",
            }
        )
    for a in range(assessments):
        rows["assessments"].append(
            {
                "assessment_id": f"A{a}",
                "team_id": "T",
                "title": f"CFA {a}",
                "kind": "cfa",
                "date": f"2025-10-{a + 1:02d}",
            }
        )
        for k in range(skills):
            for j in range(items_per_skill):
                rows["items"].append(
                    {"assessment_id": f"A{a}", "item_id": f"i{k}_{j}", "skill_id": f"K{k}", "max_points": "1"}
                )
    s = 0
    for i, t in enumerate(teacher_ids):
        for _ in range(students_per_teacher):
            sid = f"{s:05d}"
            s += 1
            ability = rng.normal(0.8, 1.0)
            rows["students"].append({"student_id": sid, "grade": "3", "ell": str(rng.random() < 0.3).lower()})
            rows["enrollments"].append({"student_id": sid, "section_id": f"sec{i}"})
            for a in range(assessments):
                for k in range(skills):
                    logit = ability + effect.get((i, k), 0.0)
                    p = 1 / (1 + np.exp(-logit))
                    for j in range(items_per_skill):
                        rows["scores"].append(
                            {
                                "student_id": sid,
                                "assessment_id": f"A{a}",
                                "item_id": f"i{k}_{j}",
                                "points": str(int(rng.random() < p)),
                            }
                        )
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame([{"school_id": "S", "name": "School"}]).to_csv(folder / "schools.csv", index=False)
    pd.DataFrame([{"team_id": "T", "school_id": "S", "name": "Team"}]).to_csv(folder / "teams.csv", index=False)
    for name, table in rows.items():
        pd.DataFrame(table).to_csv(folder / f"{name}.csv", index=False)
    return load_dataset(folder)
