"""Tiers that escalate by rule: a hand-worked progress-report history, policies, counts, and the
sample district's planted Stevenson escalation."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import write_folder  # noqa: E402

from plc_analysis import load_dataset  # noqa: E402
from plc_analysis.support_plots import plot_tiers  # noqa: E402
from plc_analysis.tiers import (
    DEFAULT_POLICY,
    load_policy,
    support_tiers,
    tier_checks,
    tier_counts,  # noqa: E402
    tier_history,
)

# Reports every three weeks, with a five-week winter break between D4 and D5.
D = ["2025-09-12", "2025-10-03", "2025-10-24", "2025-11-14", "2025-12-05", "2026-01-09", "2026-01-30"]
# Lowest grade per report.  Reviews come at the first report >= 6 weeks (less 3 days) after a decision.
#   p1: below at D0 → tier 1; D2 still below → tier 2; D4 still below → tier 3; D5 is only five weeks
#       later (no review); D6 at 72 → exit.
#   p2: below at D1 → tier 1; D2 back up but no review yet; D3 review at 72 → exit.
#   p3: fine in course A, 69 in course B every time (the lowest counts) → 1, 2, 3, then tier 3 continues.
#   p4: never below.
GRADES = {
    ("p1", "a1"): [65, 60, 62, 68, 61, 66, 72],
    ("p2", "a1"): [80, 65, 75, 72, 80, 80, 80],
    ("p3", "a1"): [85, 85, 85, 85, 85, 85, 85],
    ("p3", "b1"): [69, 69, 69, 69, 69, 69, 69],
    ("p4", "a1"): [90, 90, 90, 90, 90, 90, 90],
}
PROG = {
    "schools.csv": "school_id,name\nS,Stevenson\n",
    "teams.csv": "team_id,school_id,name\nTA,S,Algebra\nTB,S,Biology\n",
    "teachers.csv": "teacher_id,team_id,name\nta,TA,Ms. Ames\ntb,TB,Mr. Bell\n",
    "sections.csv": "section_id,teacher_id,team_id\na1,ta,TA\nb1,tb,TB\n",
    "students.csv": "student_id,grade,first_name,last_name\np1,9,Ann,Lee\np2,9,Bo,Ng\np3,9,Cal,Ode\np4,9,Dee,Poe\n",
    "enrollments.csv": "student_id,section_id\np1,a1\np2,a1\np3,a1\np3,b1\np4,a1\n",
    "skills.csv": "skill_id,description,team_id\nK1,Equations,TA\n",
    "assessments.csv": "assessment_id,team_id,title,kind,date\nA1,TA,Unit 1,unit,2025-09-10\n",
    "items.csv": "assessment_id,item_id,skill_id,max_points\nA1,i1,K1,1\n",
    "scores.csv": "student_id,assessment_id,item_id,points\np1,A1,i1,1\n",
    "progress.csv": "student_id,section_id,period_end,percent\n"
    + "".join(f"{s},{sec},{d},{g}\n" for (s, sec), grades in GRADES.items() for d, g in zip(D, grades)),
    # the record: p1 followed the rule up to tier 2 (the move to tier 3 is not recorded yet);
    # p2's tier 1 was never closed
    "interventions.csv": (
        "student_id,tier,kind,start_date,skill_id,end_date,outcome\n"
        "p1,1,check-in,2025-09-15,,2025-10-27,escalated\n"
        "p1,2,required tutoring,2025-10-27,,,\n"
        "p2,1,check-in,2025-10-06,,,\n"
    ),
}
EXPECTED_EVENTS = [
    ("p1", D[0], "start", 0, 1),
    ("p3", D[0], "start", 0, 1),
    ("p2", D[1], "start", 0, 1),
    ("p1", D[2], "move up", 1, 2),
    ("p3", D[2], "move up", 1, 2),
    ("p2", D[3], "exit", 1, 0),
    ("p1", D[4], "move up", 2, 3),
    ("p3", D[4], "move up", 2, 3),
    ("p1", D[6], "exit", 3, 0),
    ("p3", D[6], "continue", 3, 3),
]


@pytest.fixture(scope="module")
def prog(tmp_path_factory):
    return load_dataset(write_folder(tmp_path_factory.mktemp("prog"), PROG))


@pytest.fixture(scope="module")
def planted(planted):
    return planted["tiers"]


@pytest.fixture(scope="module")
def sample_checks(sample):
    return tier_checks(sample, {"source": "progress"})


def events(history):
    return [
        (r.student_id, f"{r.date:%Y-%m-%d}", r.event, r.tier_from, r.tier_to) for r in history.itertuples(index=False)
    ]


# --------------------------------------------------------------------------- hand-worked
def test_checks_take_the_lowest_grade_across_sections(prog):
    checks = tier_checks(prog)
    p3 = checks[(checks["student_id"] == "p3") & (checks["date"] == D[0])].iloc[0]
    assert p3["value"] == 69 and p3["below"] and p3["source"] == "progress report"
    assert p3["detail"] == "lowest progress-report grade 69%, below 70% (Biology 69%)"


def test_history_hand_worked(prog):
    assert events(tier_history(prog)) == EXPECTED_EVENTS


def test_history_as_of(prog):
    assert events(tier_history(prog, as_of=D[3])) == EXPECTED_EVENTS[:6]


def test_current_tiers_hand_worked(prog):
    tiers = support_tiers(prog, as_of=D[6]).set_index("student_id")
    # p1 exits now; p3 continues in tier 3; p2 left at D3 but the record still shows tier 1
    assert set(tiers.index) == {"p1", "p2", "p3"}
    p3 = tiers.loc["p3"]
    assert (p3["tier"], p3["change"], p3["since"]) == (3, "continue tier 3", pd.Timestamp(D[4]))
    assert p3["episode_start"] == pd.Timestamp(D[0])
    assert p3["next_review"] == pd.Timestamp(D[6]) + pd.Timedelta(weeks=6)
    assert p3["owner"] == DEFAULT_POLICY["tiers"][3]["owner"]
    assert "guided study hall" in p3["next_action"] and p3["study_hall"] == "study hall 1 of 1"
    assert p3["reason"].startswith("Still below at the 6 weeks review on 2026-01-30: lowest progress-report grade 69%")
    assert p3["team_ids"] == "TA; TB" and p3["teachers"] == "Mr. Bell; Ms. Ames"
    assert p3["recorded_tier"] == 0 and not p3["matches_record"]
    p1 = tiers.loc["p1"]
    assert (p1["tier"], p1["previous_tier"], p1["change"]) == (0, 3, "can exit")
    assert p1["recorded_tier"] == 2 and "shows tier 2" in p1["record_note"]
    p2 = tiers.loc["p2"]
    assert (p2["tier"], p2["change"], p2["recorded_tier"]) == (0, "can exit", 1)
    assert p2["reason"].startswith(
        "Left support by the rule at the review on 2025-11-14, but interventions.csv still shows tier 1 open"
    )
    assert p1["reason"].startswith("At the 6 weeks review on 2026-01-30: every progress-report grade at or above")


def test_who_moves_up_now(prog):
    tiers = support_tiers(prog, as_of=D[4]).set_index("student_id")
    assert tiers.loc["p1", "change"] == "move up to tier 3" and tiers.loc["p1", "previous_tier"] == 2
    assert tiers.loc["p1", "recorded_tier"] == 2 and not tiers.loc["p1", "matches_record"]
    assert tiers.loc["p3", "change"] == "move up to tier 3"
    assert "p4" not in tiers.index
    at_d1 = support_tiers(prog, as_of=D[1]).set_index("student_id")
    assert at_d1.loc["p2", "change"] == "start tier 1"
    assert at_d1.loc["p1", "change"] == "stay in tier 1" and at_d1.loc["p1", "matches_record"]
    assert at_d1.loc["p1", "next_review"] == pd.Timestamp(D[0]) + pd.Timedelta(weeks=6)


def test_names_only_for_one_team(prog):
    assert "student" in support_tiers(prog, team_id="TA").columns
    assert "student" not in support_tiers(prog).columns
    with pytest.raises(ValueError, match="one team"):
        support_tiers(prog, names=True)


def test_filters_choose_rows_but_the_rule_sees_every_course(prog):
    only_b = support_tiers(prog, team_id="TB", as_of=D[6])
    assert list(only_b["student_id"]) == ["p3"]
    assert only_b.iloc[0]["student"] == "Ode, Cal"


def test_policy_from_yaml_changes_the_rule(prog, tmp_path):
    text = "below: 62\nreview_after_weeks: 3\ngrace_days: 0\n"
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    policy = load_policy(path)
    assert policy["below"] == 62 and policy["tiers"] == DEFAULT_POLICY["tiers"]
    assert load_policy(text) == policy
    history = events(tier_history(prog, policy))
    # below 62 only at p1's D1 (60) and D4 (61): start at D1, exit at the next report
    assert history == [
        ("p1", D[1], "start", 0, 1),
        ("p1", D[2], "exit", 1, 0),
        ("p1", D[4], "start", 0, 1),
        ("p1", D[5], "exit", 1, 0),
    ]


def test_custom_tiers_and_bad_policies():
    two = load_policy(
        {"tiers": {1: {"name": "Check-in", "actions": "call home", "owner": "advisor"}, 2: {"name": "Study hall"}}}
    )
    assert list(two["tiers"]) == [1, 2] and two["tiers"][1]["actions"] == ["call home"]
    with pytest.raises(ValueError, match="unknown tier policy key"):
        load_policy({"below_line": 70})
    with pytest.raises(ValueError, match="without gaps"):
        load_policy({"tiers": {1: {}, 3: {}}})
    with pytest.raises(ValueError, match="source"):
        load_policy({"source": "rumour"})


def test_two_tier_policy_continues_at_the_top(prog):
    policy = {"tiers": {1: {"name": "One"}, 2: {"name": "Two"}}}
    history = events(tier_history(prog, policy))
    assert ("p3", D[4], "continue", 2, 2) in history and ("p1", D[6], "exit", 2, 0) in history


def test_cfa_source(tmp_path):
    # two essential skills; c1 proficient on neither at first (0 of 2 < 50%), on both after W3
    files = {
        **PROG,
        "progress.csv": "student_id,section_id,period_end,percent\n",
        "interventions.csv": "student_id,tier,kind,start_date\n",
        "skills.csv": "skill_id,description,team_id\nK1,Equations,TA\nK2,Graphs,TA\n",
        "assessments.csv": (
            "assessment_id,team_id,title,kind,date\nW1,TA,Week 1,cfa,2025-09-05\n"
            "W3,TA,Week 3,cfa,2025-09-19\nW7,TA,Week 7,cfa,2025-10-17\n"
        ),
        "items.csv": "assessment_id,item_id,skill_id,max_points\nW1,a,K1,1\nW1,b,K2,1\nW3,c,K1,1\nW7,d,K2,1\n",
        "scores.csv": "student_id,assessment_id,item_id,points\np1,W1,a,0\np1,W1,b,0\np1,W3,c,1\np1,W7,d,1\n",
    }
    data = load_dataset(write_folder(tmp_path / "cfa", files))
    checks = tier_checks(data, {"source": "cfa"})
    p1 = checks[checks["student_id"] == "p1"].set_index("date")
    assert list(p1["value"]) == [0.0, 0.5, 1.0] and list(p1["below"]) == [True, False, False]
    assert p1.iloc[0]["detail"].startswith("proficient on 0 of 2 essential skills assessed, under 50%")
    assert events(tier_history(data, {"source": "cfa"})) == [
        ("p1", "2025-09-05", "start", 0, 1),
        ("p1", "2025-10-17", "exit", 1, 0),
    ]


def test_tier_counts_team_and_school(prog):
    counts = tier_counts(prog, as_of=D[6], audience="team")
    team_a = counts[(counts["level"] == "team") & (counts["team_id"] == "TA")].set_index("tier")
    assert team_a["n_students"].to_dict() == {0: 3, 1: 0, 2: 0, 3: 1}
    assert team_a.loc[0, "n_moving_in"] == 1  # p1 exits now
    school = counts[counts["level"] == "school"].set_index("tier")
    assert school["n_enrolled"].iloc[0] == 4 and school.loc[3, "n_students"] == 1


def test_tier_counts_beyond_team_are_suppressed(prog):
    counts = tier_counts(prog, as_of=D[6])  # two teams: read beyond a team
    assert (counts["audience"] == "beyond_team").all()
    assert counts["n_students"].isna().all()  # every cell holds fewer than 10 students
    assert set(counts["n_students_shown"]) == {"fewer than 10"}


# --------------------------------------------------------------------------- sample district
def test_sample_escalation_matches_planted(sample, sample_checks, planted):
    history = tier_history(sample, checks=sample_checks)
    assert sorted(history.loc[history["tier_to"] == 3, "student_id"].unique()) == planted["reached_tier_3"]
    for tier, students in planted["exited_by_tier"].items():
        exited = history[(history["event"] == "exit") & (history["tier_from"] == int(tier))]
        assert sorted(exited["student_id"].unique()) == students, tier
    assert sorted(history.loc[history["event"] == "exit", "student_id"].unique()) == planted["exited"]
    assert history["student_id"].nunique() == planted["n_students_with_support"]


def test_sample_current_tiers_match_planted(sample, planted):
    tiers = support_tiers(sample, {"source": "progress"})
    for tier, students in planted["open_at_last_report_by_tier"].items():
        assert sorted(tiers.loc[tiers["tier"] == int(tier), "student_id"]) == students, tier
    assert (tiers["latest_check"] == pd.Timestamp(sample.progress["period_end"].max())).all()
    # top tier: guided study halls of 10 or fewer
    halls = tiers.loc[tiers["tier"] == 3, "study_hall"].value_counts()
    assert halls.max() <= 10 and len(halls) == -(-len(planted["open_at_last_report_by_tier"]["3"]) // 10)


def test_sample_moves_agree_with_the_support_started_after_the_last_report(sample):
    """The decisions taken at the last report appear in interventions.csv only after it."""
    tiers = support_tiers(sample, {"source": "progress"}).set_index("student_id")
    last = sample.progress["period_end"].max()
    iv = sample.interventions
    iv = iv[iv["skill_id"].isna()]
    started = iv[iv["start_date"] > last]
    ended = iv[(iv["end_date"] > last) & (iv["outcome"] == "exited")]
    for tier, part in started.groupby("tier"):
        expected = "start tier 1" if tier == 1 else f"move up to tier {int(tier)}"
        assert sorted(tiers.index[tiers["change"] == expected]) == sorted(part["student_id"]), expected
    assert sorted(tiers.index[tiers["change"] == "can exit"]) == sorted(ended["student_id"])
    # every other student's recorded tier agrees with the rule
    moved = tiers["change"].str.startswith(("start", "move", "can"))
    assert tiers.loc[~moved, "matches_record"].all()
    assert not tiers.loc[moved, "matches_record"].any()


def test_sample_tier_counts_and_plot(sample):
    counts = tier_counts(sample, {"source": "progress"}, school_id="S03")
    assert counts["suppressed"].any()
    shown = counts[~counts["suppressed"]]
    assert (shown["n_students"].astype(float) >= 10).all()
    visible = tier_counts(sample, {"source": "progress"}, school_id="S03", audience="team")
    ax = plot_tiers(visible)
    assert ax.get_title() == "Students in each tier of support" and len(ax.patches) > 0
    plt.close("all")
