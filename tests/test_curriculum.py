"""Intended, implemented and attained curriculum: a hand-worked coverage matrix and the sample's planted gap."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import write_folder  # noqa: E402

from plc_analysis import load_dataset  # noqa: E402
from plc_analysis.coverage_plots import plot_coverage  # noqa: E402
from plc_analysis.curriculum import COVERAGE_STATUSES, coverage_gaps, coverage_matrix  # noqa: E402

# Team T: Ms. Ames (sec1: c1, c2) and Mr. Bell (sec2: c3, c4).  Essential K1, K2, K4; K3 not essential;
# KS shared (no team) and assessed by T; KX shared, never assessed by T.  Team U has its own skill.
#   A1 2025-09-05: K1, K3, KS for everyone        A2 2025-10-10: K2, only Ms. Ames's students sat it
#   K1: c1 1, c2 0 (Ms. Ames 1 of 2 proficient); c3 1, c4 1 (Mr. Bell 2 of 2)
CUR = {
    "schools.csv": "school_id,name\nS,School\n",
    "teams.csv": "team_id,school_id,name\nT,S,Grade 3\nU,S,Grade 4\n",
    "teachers.csv": "teacher_id,team_id,name\nt1,T,Ms. Ames\nt2,T,Mr. Bell\nu1,U,Ms. Cole\n",
    "sections.csv": "section_id,teacher_id,team_id\nsec1,t1,T\nsec2,t2,T\nsec3,u1,U\n",
    "students.csv": "student_id,grade\nc1,3\nc2,3\nc3,3\nc4,3\nc5,4\n",
    "enrollments.csv": "student_id,section_id\nc1,sec1\nc2,sec1\nc3,sec2\nc4,sec2\nc5,sec3\n",
    "skills.csv": (
        "skill_id,description,team_id,essential,proficiency_cut\n"
        "K1,Main idea,T,true,0.8\nK2,Context clues,T,true,0.8\nK3,Spelling,T,false,0.8\n"
        "K4,Compare texts,T,true,0.8\nKS,Shared skill,,true,0.8\nKX,Other shared skill,,true,0.8\n"
        "U1,Fractions,U,true,0.8\n"
    ),
    "assessments.csv": (
        "assessment_id,team_id,title,kind,date\nA1,T,CFA 1,cfa,2025-09-05\n"
        "A2,T,CFA 2,cfa,2025-10-10\nB1,U,CFA 1,cfa,2025-09-05\n"
    ),
    "items.csv": (
        "assessment_id,item_id,skill_id,max_points\nA1,i1,K1,1\nA1,i3,K3,1\nA1,i5,KS,1\nA2,i2,K2,1\nB1,u1,U1,1\n"
    ),
    "scores.csv": "student_id,assessment_id,item_id,points\n"
    + "".join(
        f"{s},{a},{i},{p}\n"
        for s, a, i, p in [
            ("c1", "A1", "i1", 1),
            ("c2", "A1", "i1", 0),
            ("c3", "A1", "i1", 1),
            ("c4", "A1", "i1", 1),
            ("c1", "A1", "i3", 1),
            ("c2", "A1", "i3", 1),
            ("c3", "A1", "i3", 0),
            ("c4", "A1", "i3", 1),
            ("c1", "A1", "i5", 1),
            ("c2", "A1", "i5", 1),
            ("c3", "A1", "i5", 1),
            ("c4", "A1", "i5", 0),
            ("c1", "A2", "i2", 1),
            ("c2", "A2", "i2", 0),
            ("c5", "B1", "u1", 1),
        ]
    ),
}


@pytest.fixture(scope="module")
def cur(tmp_path_factory):
    return load_dataset(write_folder(tmp_path_factory.mktemp("cur"), CUR))


@pytest.fixture(scope="module")
def planted(planted):
    return planted["coverage_gap"]


def cell(matrix, teacher, skill):
    found = matrix[(matrix["teacher_id"] == teacher) & (matrix["skill_id"] == skill)]
    assert len(found) == 1, found
    return found.iloc[0]


def test_matrix_hand_worked(cur):
    matrix = coverage_matrix(cur, team_id="T")
    assert set(zip(matrix["teacher_id"], matrix["skill_id"])) == {
        (t, k) for t in ("t1", "t2") for k in ("K1", "K2", "K3", "K4", "KS")
    }
    k1 = cell(matrix, "t1", "K1")
    assert (k1["intended"], k1["implemented"], k1["n_assessments"], k1["n_assessed"], k1["n_proficient"]) == (
        True,
        True,
        1,
        2,
        1,
    )
    assert k1["share_proficient"] == 0.5 and k1["first_date"] == pd.Timestamp("2025-09-05")
    assert cell(matrix, "t2", "K1")["share_proficient"] == 1.0
    assert cell(matrix, "t1", "K3")["status"] == "assessed, not listed as essential"
    assert cell(matrix, "t1", "KS")["status"] == "intended and assessed"  # shared skill the team assesses
    assert set(matrix["status"]) == set(COVERAGE_STATUSES)
    assert (matrix["n_teachers"] == 2).all() and cell(matrix, "t1", "K2")["n_teachers_assessing"] == 1
    assert cell(matrix, "t1", "K1")["sections"] == "sec1" and cell(matrix, "t2", "K1")["n_students"] == 2


def test_gaps_hand_worked(cur):
    gaps = coverage_gaps(cur, team_id="T")
    assert set(zip(gaps["teacher_id"], gaps["skill_id"])) == {("t2", "K2"), ("t1", "K4"), ("t2", "K4")}
    notes = dict(zip(zip(gaps["teacher_id"], gaps["skill_id"]), gaps["note"]))
    assert notes[("t2", "K2")] == (
        "\u201cContext clues\u201d is intended (essential) but was never assessed in "
        "Mr. Bell's sections (sec2). It was assessed in 1 of 2 teachers' sections."
    )
    assert notes[("t1", "K4")].endswith("No teacher of the team has assessed it.")


def test_date_range_sets_the_implemented_curriculum(cur):
    gaps = coverage_gaps(cur, team_id="T", end="2025-09-30")  # before CFA 2
    assert ("t1", "K2") in set(zip(gaps["teacher_id"], gaps["skill_id"]))
    later = coverage_matrix(cur, team_id="T", start="2025-10-01")
    assert cell(later, "t1", "K2")["implemented"] and not cell(later, "t1", "K1")["implemented"]


def test_every_team_and_beyond_team_suppression(cur):
    both = coverage_matrix(cur)
    assert set(both["team_id"]) == {"T", "U"}
    assert cell(both, "u1", "U1")["status"] == "intended and assessed"
    assert "KX" not in set(both["skill_id"])  # a shared skill no team here assesses
    assert (both["audience"] == "team").all()  # the team's own tool unless told otherwise
    beyond = coverage_matrix(cur, audience="auto")
    assessed = beyond[beyond["implemented"]]
    assert (assessed["n_assessed_shown"] == "fewer than 10").all()
    assert assessed["share_proficient"].isna().all()


def test_sample_coverage_gap_matches_planted(sample, planted):
    matrix = coverage_matrix(sample)
    gaps = coverage_gaps(sample, matrix=matrix)
    assert len(gaps) == 1
    gap = gaps.iloc[0]
    assert (gap["team_id"], gap["teacher_id"], gap["skill_id"]) == (
        planted["team_id"],
        planted["teacher_id"],
        planted["skill_id"],
    )
    assert gap["sections"] == ", ".join(planted["sections"])
    assert (gap["n_teachers_assessing"], gap["n_teachers"]) == (2, 3)
    assert "never assessed in" in gap["note"]
    # the colleagues assessed it on the planted assessment only
    others = matrix[(matrix["skill_id"] == planted["skill_id"]) & matrix["implemented"]]
    date = sample.assessments.set_index("assessment_id").loc[planted["assessment_id"], "date"]
    assert (others["first_date"] == date).all() and (others["n_assessments"] == 1).all()
    # everything else intended in that teacher's sections was assessed
    mine = matrix[(matrix["teacher_id"] == planted["teacher_id"]) & matrix["intended"]]
    assert mine["implemented"].sum() == len(mine) - 1


def test_coverage_plot(sample, cur):
    matrix = coverage_matrix(sample, school_id="S03")
    fig, ax = plt.subplots()
    assert plot_coverage(matrix, ax=ax, team_id="T-BIO") is ax
    assert any(t.get_text() == "never\nassessed" for t in ax.texts)
    with pytest.raises(ValueError, match="team_id"):
        plot_coverage(matrix)
    assert plot_coverage(coverage_matrix(cur, team_id="T")) is not None
    plt.close("all")
