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


def random_district_files(draw, *, subgroups: bool = False, common: bool = False) -> dict[str, str]:
    """A small random canonical folder as ``{file name: CSV text}``, for hypothesis (pass ``st.composite``'s draw).

    What the fast paths must get right is drawn on purpose: ids that do not sort
    as numbers, two teams sharing students, same-day assessments and
    reassessments, absences, not-attempted items, MC keys and responses (blank
    ones too), rubric items worth several points, and double-scored work
    (rows with a ``rater_id``, with or without an unrated row of record).

    ``subgroups=True`` adds the subgroup columns ``ell`` (true/false, some
    unknown) and ``lang`` (text, some unknown) to ``students.csv``.
    ``common=True`` draws up to three teams in one or two schools, giving
    assessments a ``common_id`` (shared by several teams, one team's only, or none).
    """
    from hypothesis import strategies as st

    teams = ["T2", "T10", "t3"][: draw(st.integers(1, 3 if common else 2))]
    schools = {t: draw(st.sampled_from(["S1", "S2"])) if common else "S1" for t in teams}
    students = draw(
        st.lists(
            st.sampled_from(["007", "10", "9", "a1", "B2", "c03", "z", "0008"]), min_size=2, max_size=8, unique=True
        )
    )
    dates = ["2025-09-15", "2025-09-15", "2025-10-01", "2025-11-20"]
    files = {
        "schools.csv": "school_id,name\n" + "".join(f"{s},School {s}\n" for s in sorted(set(schools.values()))),
        "teams.csv": "team_id,school_id,name,grade,subject\n"
        + "".join(f"{t},{schools[t]},Team {t},3,ELA\n" for t in teams),
    }
    teachers, sections, enrollments, skills, assessments, items, scores = [], [], [], [], [], [], []
    for t in teams:
        n_teachers = draw(st.integers(1, 2))
        for i in range(n_teachers):
            teachers.append(f"{t}t{i},{t},Teacher {t}{i}")
            sections.append(f"{t}s{i},{t}t{i},{t}")
        members = draw(st.lists(st.sampled_from(students), min_size=1, max_size=len(students), unique=True))
        for s in members:
            enrollments.append((s, f"{t}s{draw(st.integers(0, n_teachers - 1))}"))
        # common assessments of several teams assess the same skills: then skills are shared (no team)
        team_skills = [f"{'' if common else t}K{k}" for k in range(draw(st.integers(1, 3)))]
        for k in team_skills:
            if not any(row.startswith(f"{k},") for row in skills):
                cut = draw(st.sampled_from(["0.5", "0.75", "0.8"]))
                skills.append(f"{k},Skill {k},{'' if common else t},true,{cut}")
        for a in range(draw(st.integers(1, 3))):
            aid = f"{t}A{a}"
            kind = draw(st.sampled_from(["cfa", "cfa", "reassessment", "unit"]))
            common_id = f",{draw(st.sampled_from(['C1', 'C2', '']))}" if common else ""
            assessments.append(f"{aid},{t},Test {aid},{kind},{draw(st.sampled_from(dates))}{common_id}")
            its = []
            for j in range(draw(st.integers(1, 4))):
                mc = draw(st.booleans())
                maximum = 1 if mc else draw(st.integers(1, 4))
                key = draw(st.sampled_from("ABCD")) if mc else ""
                its.append((f"i{j}", maximum, mc))
                items.append(
                    f"{aid},i{j},{draw(st.sampled_from(team_skills))},{maximum},{'mc' if mc else 'rubric'},{key}"
                )
            for s in members:
                if draw(st.integers(0, 5)) == 0:
                    continue  # absent
                for item, maximum, mc in its:
                    points = "" if draw(st.integers(0, 6)) == 0 else str(draw(st.integers(0, maximum)))
                    response = draw(st.sampled_from(["A", "B", "C", "D", ""])) if mc else ""
                    double = [["", f"{t}t0"]] + ([[f"{t}t0", f"{t}t1"]] if n_teachers == 2 else [])
                    raters = draw(st.sampled_from([[""], [""], *double]))
                    for rater in raters:
                        p = points if rater == raters[0] else str(draw(st.integers(0, maximum)))
                        scores.append(f"{s},{aid},{item},{p},{response},{rater}")
    files["teachers.csv"] = "teacher_id,team_id,name\n" + "".join(f"{r}\n" for r in teachers)
    files["sections.csv"] = "section_id,teacher_id,team_id\n" + "".join(f"{r}\n" for r in sections)
    if subgroups:
        known = [
            (draw(st.sampled_from(["true", "false", ""])), draw(st.sampled_from(["es", "en", "vi", ""])))
            for _ in students
        ]
        files["students.csv"] = "student_id,grade,ell,lang\n" + "".join(
            f"{s},3,{ell},{lang}\n" for s, (ell, lang) in zip(students, known)
        )
    else:
        files["students.csv"] = "student_id,grade\n" + "".join(f"{s},3\n" for s in students)
    files["enrollments.csv"] = "student_id,section_id\n" + "".join(f"{s},{sec}\n" for s, sec in enrollments)
    files["skills.csv"] = "skill_id,description,team_id,essential,proficiency_cut\n" + "".join(f"{r}\n" for r in skills)
    files["assessments.csv"] = f"assessment_id,team_id,title,kind,date{',common_id' if common else ''}\n" + "".join(
        f"{r}\n" for r in assessments
    )
    files["items.csv"] = "assessment_id,item_id,skill_id,max_points,kind,key\n" + "".join(f"{r}\n" for r in items)
    files["scores.csv"] = "student_id,assessment_id,item_id,points,response,rater_id\n" + "".join(
        f"{r}\n" for r in scores
    )
    return files
