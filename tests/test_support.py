"""Who needs time and support: hand-worked support lists, groups, enrichment and intervention outcomes,
then the sample district's weak skill and reassessments."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from builders import synthetic_team  # noqa: E402
from conftest import write_folder  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from plc_analysis import load_dataset, student_skill_mastery, wilson_interval  # noqa: E402
from plc_analysis.support import (
    enrichment_list,
    intervention_effectiveness,
    intervention_outcomes,  # noqa: E402
    latest_data_date,
    students_needing_support,
    support_by_student,
    support_groups,
)
from plc_analysis.support_plots import plot_intervention_effectiveness, plot_support_groups  # noqa: E402

# One team, two teachers.  K1 (cut 0.8) and K2 (cut 0.5) are essential, K3 is not.
#   A1 2025-09-01: K1 (i1, i2), K3 (i4)      A2 2025-09-15: K1 (j1, j2), K2 (j3)
#   R1 2025-09-22: reassessment of K1 (r1, 2 points)
# s1  K1 .5 → .5 → 1.0 (reassessed): proficient now; K2 1; K3 0 (not essential) → enrichment
# s2  K1 1.0 → 0: below since 09-15;  K2 0: below since 09-15
# s3  K1 0 → .5: below since 09-01 (32 days before the last data date, a progress report on 10-03); K2 1
# s4  everything right → enrichment
# s5  absent from A2: no K2 evidence → neither list
SUP = {
    "schools.csv": "school_id,name\nS,School\n",
    "teams.csv": "team_id,school_id,name\nT,S,Team\n",
    "teachers.csv": "teacher_id,team_id,name\nt1,T,Ms. Ames\nt2,T,Mr. Bell\n",
    "sections.csv": "section_id,teacher_id,team_id\nsec1,t1,T\nsec2,t2,T\n",
    "students.csv": (
        "student_id,grade,first_name,last_name,ell\n"
        "s1,3,Ana,Diaz,true\ns2,3,Ben,Eto,false\ns3,3,Cy,Fox,false\ns4,3,Di,Gao,true\ns5,3,Ed,Hu,false\n"
    ),
    "enrollments.csv": "student_id,section_id\ns1,sec1\ns2,sec1\ns3,sec1\ns4,sec2\ns5,sec2\n",
    "skills.csv": (
        "skill_id,description,team_id,essential,proficiency_cut\n"
        "K1,Main idea,T,true,0.8\nK2,Context clues,T,true,0.5\nK3,Spelling,T,false,0.8\n"
    ),
    "assessments.csv": (
        "assessment_id,team_id,title,kind,date\nA1,T,CFA 1,cfa,2025-09-01\n"
        "A2,T,CFA 2,cfa,2025-09-15\nR1,T,Reassess K1,reassessment,2025-09-22\n"
    ),
    "items.csv": (
        "assessment_id,item_id,skill_id,max_points\nA1,i1,K1,1\nA1,i2,K1,1\nA1,i4,K3,1\n"
        "A2,j1,K1,1\nA2,j2,K1,1\nA2,j3,K2,1\nR1,r1,K1,2\n"
    ),
    "scores.csv": "student_id,assessment_id,item_id,points\n"
    + "".join(
        f"{s},{a},{i},{p}\n"
        for s, a, i, p in [
            ("s1", "A1", "i1", 1),
            ("s1", "A1", "i2", 0),
            ("s1", "A1", "i4", 0),
            ("s1", "A2", "j1", 1),
            ("s1", "A2", "j2", 0),
            ("s1", "A2", "j3", 1),
            ("s1", "R1", "r1", 2),
            ("s2", "A1", "i1", 1),
            ("s2", "A1", "i2", 1),
            ("s2", "A1", "i4", 1),
            ("s2", "A2", "j1", 0),
            ("s2", "A2", "j2", 0),
            ("s2", "A2", "j3", 0),
            ("s3", "A1", "i1", 0),
            ("s3", "A1", "i2", 0),
            ("s3", "A1", "i4", 1),
            ("s3", "A2", "j1", 1),
            ("s3", "A2", "j2", 0),
            ("s3", "A2", "j3", 1),
            ("s4", "A1", "i1", 1),
            ("s4", "A1", "i2", 1),
            ("s4", "A1", "i4", 1),
            ("s4", "A2", "j1", 1),
            ("s4", "A2", "j2", 1),
            ("s4", "A2", "j3", 1),
            ("s5", "A1", "i1", 1),
            ("s5", "A1", "i2", 1),
            ("s5", "A1", "i4", 1),
        ]
    ),
    # s1 and s3 were retaught K1 between A2 and R1 (s3 missed the reassessment); s2 got required tutoring
    "interventions.csv": (
        "student_id,tier,kind,start_date,skill_id,end_date,outcome\n"
        "s1,1,reteach,2025-09-16,K1,2025-09-22,met\n"
        "s3,1,reteach,2025-09-16,K1,2025-09-22,not reassessed\n"
        "s2,2,required tutoring,2025-09-16,,,\n"
    ),
    "progress.csv": ("student_id,section_id,period_end,percent\ns2,sec1,2025-09-12,55\ns2,sec1,2025-10-03,75\n"),
}


@pytest.fixture(scope="module")
def sup(tmp_path_factory):
    return load_dataset(write_folder(tmp_path_factory.mktemp("sup"), SUP))


def row(frame, student, skill):
    found = frame[(frame["student_id"] == student) & (frame["skill_id"] == skill)]
    assert len(found) == 1, found
    return found.iloc[0]


# --------------------------------------------------------------------------- hand-worked
def test_who_needs_support_hand_worked(sup):
    need = students_needing_support(sup)
    assert set(zip(need["student_id"], need["skill_id"])) == {("s2", "K1"), ("s2", "K2"), ("s3", "K1")}
    s2 = row(need, "s2", "K1")
    assert s2["score"] == 0 and s2["assessment_id"] == "A2" and s2["teacher"] == "Ms. Ames"
    assert s2["below_since"] == pd.Timestamp("2025-09-15")  # proficient on A1, below since A2
    assert s2["weeks_below"] == 2.6  # to the latest data date: the progress report of 2025-10-03
    assert s2["n_skills_below"] == 2
    s3 = row(need, "s3", "K1")
    assert s3["below_since"] == pd.Timestamp("2025-09-01") and s3["weeks_below"] == round(32 / 7, 1)
    assert math.isclose(s3["shortfall"], 0.3)
    assert s3["evidence"] == "CFA 2 on 2025-09-15: 50% (cut 80%)"
    # one team: names are shown
    assert row(need, "s3", "K1")["student"] == "Fox, Cy"


def test_reassessment_clears_the_need_under_most_recent_but_not_mean(sup):
    assert "s1" not in set(students_needing_support(sup)["student_id"])
    mean_rule = students_needing_support(sup, rule="mean")
    assert ("s1", "K1") in set(zip(mean_rule["student_id"], mean_rule["skill_id"]))  # (.5 + .5 + 1) / 3


def test_non_essential_skills_only_on_request(sup):
    need = students_needing_support(sup, essential_only=False)
    assert ("s1", "K3") in set(zip(need["student_id"], need["skill_id"]))


def test_as_of_uses_evidence_up_to_that_date(sup):
    need = students_needing_support(sup, as_of="2025-09-10")
    # only A1: s1 (.5) and s3 (0) are below on K1; K2 not assessed yet
    assert set(zip(need["student_id"], need["skill_id"])) == {("s1", "K1"), ("s3", "K1")}
    assert (need["weeks_below"] == round(9 / 7, 1)).all()


def test_support_groups_capped_and_labelled(sup):
    need = students_needing_support(sup, group_size=1)
    k1 = need[need["skill_id"] == "K1"].set_index("student_id")["group"]
    # the student furthest below the cut in the first group
    assert k1.to_dict() == {"s2": "K1 group 1 of 2", "s3": "K1 group 2 of 2"}
    groups = support_groups(sup, group_size=10)
    first = groups.iloc[0]
    assert (first["skill_id"], first["n_students"], first["n_groups"], first["n_sections_skill"]) == ("K1", 2, 1, 1)
    assert first["summary"].startswith("2 students, from 1 class, need reteaching on \u201cMain idea\u201d")


def test_support_groups_near_equal_and_never_over_the_cap(tmp_path):
    data = synthetic_team(tmp_path / "t", teachers=4, students_per_teacher=20, skills=3, seed=3)
    need = students_needing_support(data, group_size=10)
    groups = support_groups(data, group_size=10, needing=need)
    assert (groups["n_students"] <= 10).all()
    for skill, part in groups.groupby("skill_id"):
        n = int((need["skill_id"] == skill).sum())
        assert part["n_students"].sum() == n == part["n_students_skill"].iloc[0]
        assert part["n_groups"].iloc[0] == math.ceil(n / 10) == len(part)
        assert part["n_students"].max() - part["n_students"].min() <= 1


def test_support_by_student(sup):
    by_student = support_by_student(sup)
    s2 = by_student[by_student["student_id"] == "s2"].iloc[0]
    assert s2["n_skills_below"] == 2 and s2["skill_ids"] == "K1; K2"  # K1 shortfall .8 before K2's .5
    assert s2["below_since"] == pd.Timestamp("2025-09-15")
    assert by_student.iloc[0]["student_id"] == "s2"  # most skills below first


def test_enrichment_list(sup):
    ready = enrichment_list(sup)
    assert list(ready["student_id"]) == ["s1", "s4"]  # s5 has no evidence on K2
    assert ready.set_index("student_id").loc["s4", "n_skills"] == 2


def test_intervention_outcomes_hand_worked(sup):
    out = intervention_outcomes(sup)
    s1 = out[out["student_id"] == "s1"].iloc[0]
    assert (s1["before_assessment_id"], s1["before_score"], bool(s1["before_met"])) == ("A2", 0.5, False)
    assert (s1["after_assessment_id"], s1["after_score"], bool(s1["after_met"])) == ("R1", 1.0, True)
    assert bool(s1["improved"])
    s3 = out[out["student_id"] == "s3"].iloc[0]
    assert not s3["measured"] and pd.isna(s3["after_score"])  # missed the reassessment
    s2 = out[out["student_id"] == "s2"].iloc[0]
    assert s2["evidence"] == "progress report"
    assert (s2["before_score"], s2["after_score"], bool(s2["after_met"])) == (55.0, 75.0, True)


def test_intervention_effectiveness_hand_worked(sup):
    eff = intervention_effectiveness(sup).set_index("kind")
    reteach = eff.loc["reteach"]
    assert (reteach["n_interventions"], reteach["n_measured"], reteach["n_not_measured"]) == (2, 1, 1)
    assert (reteach["share_before"], reteach["share_after"], reteach["change"]) == (0.0, 1.0, 1.0)
    low, high = wilson_interval(1, 1)
    assert math.isclose(reteach["after_ci_low"], low) and math.isclose(reteach["after_ci_high"], high)
    assert reteach["summary"].startswith("After reteach: 1 of 1 students (100%) proficient on the reassessment")
    tutoring = eff.loc["required tutoring"]
    assert (tutoring["tier"], tutoring["share_before"], tutoring["share_after"]) == (2, 0.0, 1.0)
    assert (eff["audience"] == "team").all()


def test_intervention_effectiveness_beyond_the_team_is_suppressed(sup, sample):
    hidden = intervention_effectiveness(sup, audience="beyond_team").set_index("kind")
    assert hidden.loc["reteach", "n_measured_shown"] == "fewer than 10"
    assert pd.isna(hidden.loc["reteach", "share_after"]) and pd.isna(hidden.loc["reteach", "n_after_met"])
    assert hidden.loc["reteach", "summary"] == "Fewer than 10 students measured."
    district = intervention_effectiveness(sample)  # many teams: beyond a team
    assert (district["audience"] == "beyond_team").all()
    shown = district[~district["suppressed"]]
    assert (shown["n_measured"].astype(int) >= 10).all() and len(shown) >= 3


def test_names_only_in_one_teams_output(sample):
    with pytest.raises(ValueError, match="one team"):
        students_needing_support(sample, names=True)
    assert "student" not in students_needing_support(sample).columns
    assert "student" in students_needing_support(sample, team_id="T-G3").columns


def test_latest_data_date(sup):
    assert latest_data_date(sup) == pd.Timestamp("2025-10-03")  # a progress report is data too
    assert latest_data_date(sup.filter(end="2025-09-30")) == pd.Timestamp("2025-09-22")


# --------------------------------------------------------------------------- sample district
def test_sample_weak_skill_needs_the_biggest_regrouping(sample, planted):
    weak = planted["weak_skill"]
    need = students_needing_support(sample, team_id=weak["team_id"])
    groups = support_groups(sample, needing=need)
    assert groups.iloc[0]["skill_id"] == weak["skill_id"]
    first = groups[groups["skill_id"] == weak["skill_id"]]
    n = first["n_students_skill"].iloc[0]
    assert n == first["n_students"].sum() == (need["skill_id"] == weak["skill_id"]).sum()
    assert (groups["n_students"] <= 10).all() and first["n_groups"].iloc[0] == math.ceil(n / 10)
    # matches the mastery table: every student not proficient on the weak skill, and no one else
    mastery = student_skill_mastery(sample, team_id=weak["team_id"])
    on = mastery[mastery["skill_id"] == weak["skill_id"]]
    assert n == (~on["proficient"]).sum()
    # about 1 - planted share proficient (26%) of the team needs it
    assert abs(n / len(on) - (1 - weak["share_proficient"])) < 0.1
    assert first["n_sections_skill"].iloc[0] == 5  # from every grade-3 class


def test_sample_reassessments_match_planted(sample, planted):
    outcomes = intervention_outcomes(sample)
    by_reassessment = intervention_effectiveness(sample, by=["after_assessment_id"], outcomes=outcomes)
    by_reassessment = by_reassessment.set_index("after_assessment_id")
    reassessment_dates = sample.assessments.set_index("assessment_id")["date"]
    for truth in planted["reassessments"]:
        cycle = outcomes[
            outcomes["skill_id"].isin(truth["skill_ids"])
            & (outcomes["team_id"] == truth["team_id"])
            & (outcomes["end_date"] == reassessment_dates[truth["assessment_id"]])
        ]
        assert cycle["student_id"].nunique() == truth["students_below_cut"], truth["assessment_id"]
        assert cycle.loc[cycle["measured"], "student_id"].nunique() == truth["students_reassessed"]
        assert (cycle.loc[cycle["measured"], "after_assessment_id"] == truth["assessment_id"]).all()
        assert not cycle["before_met"].any()  # support went to students below the cut
        assert math.isclose(
            by_reassessment.loc[truth["assessment_id"], "share_improved"], truth["share_improved"], abs_tol=1e-4
        )


def test_sample_tier_support_worked_for_most(sample):
    eff = intervention_effectiveness(sample)
    tier1 = eff[(eff["evidence"] == "progress report") & (eff["tier"] == 1)].iloc[0]
    assert tier1["share_before"] == 0  # tier 1 starts below the line by rule
    assert 0.3 < tier1["share_after"] < 1 and tier1["n_measured"] > 50


def test_plots_return_axes(sup, sample):
    ax = plot_support_groups(support_groups(sample, team_id="T-G3"))
    assert ax.get_title() and len(ax.patches) > 0
    ax2 = plot_intervention_effectiveness(intervention_effectiveness(sup))
    assert ax2.get_xlabel().startswith("share")
    fig, axes = plt.subplots(1, 2)
    assert plot_support_groups(support_groups(sup), ax=axes[0]) is axes[0]
    empty = plot_support_groups(support_groups(sup).iloc[:0], ax=axes[1])
    assert empty is axes[1]
    plt.close("all")


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", None]),
            st.one_of(st.none(), st.sampled_from(["Ms. O", "Mr. Z", "é", "b", "B", "10", "9"])),
        ),
        max_size=25,
    ),
    distinct_sorted=st.booleans(),
)
def test_joined_by_group_matches_a_joining_lambda(rows, distinct_sorted):
    """The one-sort join gives what ``groupby(...).agg(lambda)`` gives, group for group."""
    from plc_analysis.group_text import joined_by_group

    frame = pd.DataFrame(rows, columns=["key", "value"]).astype({"key": "str", "value": "str"})
    if not distinct_sorted:  # joining in row order needs every value (a missing one cannot be joined)
        frame = frame[frame["value"].notna()]
    grouped = frame.groupby("key", sort=False)

    def lambda_join(s):
        return ", ".join(sorted(s.dropna().astype("str").unique())) if distinct_sorted else "; ".join(s.astype("str"))

    expected = grouped["value"].agg(lambda_join).tolist() if len(grouped) else []
    got = joined_by_group(
        grouped.ngroup(),
        frame["value"],
        len(expected),
        ", " if distinct_sorted else "; ",
        distinct_sorted=distinct_sorted,
    )
    assert got == expected
