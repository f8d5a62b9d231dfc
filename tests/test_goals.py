"""SMART goal tracking: every metric and status on a hand-worked team, then the sample district's goals."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import write_folder  # noqa: E402

from plc_analysis import load_dataset  # noqa: E402
from plc_analysis.goal_plots import plot_goal  # noqa: E402
from plc_analysis.goals import GOAL_STATUSES, goal_progress, goal_series  # noqa: E402

# Four students (g1, g2 English learners).  K1 (cut 0.8) on two CFAs; a practice test of 4 items.
#   share proficient on K1:  A1 2025-09-01: g1 only → 1/4;  A2 2025-10-01: g1, g2 → 2/4
#   practice P1 2025-10-15 (g4 absent): g1 100%, g2 75%, g3 50% → passing (>= 70%) 2/3, ell 2/2
#   progress reports:  2025-09-12  50 55 70 80 → failing (< 60) 2/4;  2025-10-03  58 65 70 80 → 1/4
SCORES = {
    "A1": {"g1": (1, 1), "g2": (1, 0), "g3": (0, 0), "g4": (0, 1)},
    "A2": {"g1": (1, 1), "g2": (1, 1), "g3": (0, 1), "g4": (1, 0)},
    "P1": {"g1": (1, 1, 1, 1), "g2": (1, 1, 1, 0), "g3": (1, 1, 0, 0)},
}
ITEMS = {"A1": ["a1", "a2"], "A2": ["b1", "b2"], "P1": ["p1", "p2", "p3", "p4"]}
GOALS = [
    # goal_id, metric, baseline, target, due_date, skill_id, assessment_kind, subgroup
    ("G-met", "share_proficient", 0.3, 0.5, "2025-11-30", "K1", "cfa", ""),
    ("G-on", "share_proficient", 0.3, 0.7, "2025-11-30", "K1", "cfa", ""),
    ("G-risk", "share_proficient", 0.3, 0.93, "2025-11-30", "K1", "cfa", ""),
    ("G-off", "share_proficient", 0.3, 0.99, "2025-11-30", "K1", "cfa", ""),
    ("G-ned", "share_proficient", 0.3, 0.9, "2025-11-30", "K2", "cfa", ""),
    ("G-fail", "failure_rate", 0.5, 0.1, "2025-12-01", "", "", ""),
    ("G-pass", "share_passing", 0.5, 0.9, "2025-12-01", "", "practice", ""),
    ("G-ell", "share_passing", 0.5, 0.9, "2025-12-01", "", "practice", "ell"),
    ("G-afail", "failure_rate", 0.5, 0.2, "2025-12-01", "", "practice", ""),
    ("G-mean", "mean_percent", 0.6, 0.8, "2025-12-01", "", "", ""),
]
GOALS_FILES = {
    "schools.csv": "school_id,name\nS,School\n",
    "teams.csv": "team_id,school_id,name\nT,S,Grade 3\n",
    "teachers.csv": "teacher_id,team_id,name\nt1,T,Ms. Ames\n",
    "sections.csv": "section_id,teacher_id,team_id\nsec1,t1,T\n",
    "students.csv": "student_id,grade,ell\ng1,3,true\ng2,3,true\ng3,3,false\ng4,3,false\n",
    "enrollments.csv": "student_id,section_id\ng1,sec1\ng2,sec1\ng3,sec1\ng4,sec1\n",
    "skills.csv": (
        "skill_id,description,team_id,essential,proficiency_cut\nK1,Main idea,T,true,0.8\nK2,Inference,T,true,0.8\n"
    ),
    "assessments.csv": (
        "assessment_id,team_id,title,kind,date\nA1,T,CFA 1,cfa,2025-09-01\nA2,T,CFA 2,cfa,2025-10-01\n"
        "P1,T,Practice test,practice,2025-10-15\n"
    ),
    "items.csv": "assessment_id,item_id,skill_id,max_points\n"
    + "".join(f"{a},{i},K1,1\n" for a, items in ITEMS.items() for i in items),
    "scores.csv": "student_id,assessment_id,item_id,points\n"
    + "".join(f"{s},{a},{i},{p}\n" for a, by in SCORES.items() for s, pts in by.items() for i, p in zip(ITEMS[a], pts)),
    "progress.csv": "student_id,section_id,period_end,percent\n"
    + "".join(
        f"{s},sec1,{d},{p}\n"
        for d, grades in (("2025-09-12", (50, 55, 70, 80)), ("2025-10-03", (58, 65, 70, 80)))
        for s, p in zip(("g1", "g2", "g3", "g4"), grades)
    ),
    "goals.csv": (
        "goal_id,team_id,statement,metric,baseline,target,start_date,due_date,skill_id,assessment_kind,subgroup\n"
    )
    + "".join(
        f"{g},T,Goal {g},{m},{b},{t},2025-09-01,{due},{k},{kind},{sub}\n" for g, m, b, t, due, k, kind, sub in GOALS
    ),
}


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    return load_dataset(write_folder(tmp_path_factory.mktemp("goals"), GOALS_FILES))


@pytest.fixture(scope="module")
def progress(team):
    return goal_progress(team).set_index("goal_id")


# --------------------------------------------------------------------------- hand-worked
def test_series_of_each_metric(team):
    series = goal_series(team)
    values = {g: list(part["value"].round(4)) for g, part in series.groupby("goal_id")}
    assert values["G-on"] == [0.25, 0.5]
    assert values["G-fail"] == [0.5, 0.25]
    assert values["G-pass"] == [round(2 / 3, 4)]
    assert values["G-ell"] == [1.0]
    assert values["G-afail"] == [round(1 / 3, 4)]
    assert values["G-mean"] == [round((50 + 55 + 70 + 80) / 400, 4), round((58 + 65 + 70 + 80) / 400, 4)]
    assert "G-ned" not in values
    on = series[series["goal_id"] == "G-on"]
    assert list(on["assessment_id"]) == ["A1", "A2"] and list(on["n_counted"]) == [1, 2]
    assert list(series.loc[series["goal_id"] == "G-ell", "n_students"]) == [2]
    assert set(series.loc[series["goal_id"] == "G-fail", "source"]) == {"progress report"}
    assert series.loc[series["goal_id"] == "G-mean", "n_counted"].isna().all()


def test_every_status_hand_worked(progress):
    status = progress["status"].to_dict()
    assert status == {
        "G-met": "met",
        "G-on": "on track",
        "G-risk": "at risk",
        "G-off": "off track",
        "G-ned": "not enough data",
        "G-fail": "on track",
        "G-pass": "off track",
        "G-ell": "met",
        "G-afail": "on track",
        "G-mean": "on track",
    }
    assert set(status.values()) == set(GOAL_STATUSES)


def test_linear_pace_and_projection_hand_worked(progress):
    on = progress.loc["G-on"]
    # from (2025-09-01, 0.30) to (2025-10-01, 0.50): +0.2 in 30 days; 60 days left
    assert on["current"] == 0.5 and on["current_date"] == pd.Timestamp("2025-10-01") and on["n_students"] == 4
    assert math.isclose(on["actual_pace"], 0.2 / 30 * 7)
    assert math.isclose(on["required_pace"], 0.4 / 90 * 7)
    assert math.isclose(on["projected"], 0.5 + 0.2 / 30 * 60)
    assert math.isclose(on["on_pace_value"], 0.3 + 0.4 / 90 * 30)
    assert on["shortfall"] == 0 and on["direction"] == "increase"
    assert math.isclose(progress.loc["G-risk", "shortfall"], 0.03)
    assert math.isclose(progress.loc["G-off", "shortfall"], 0.09)
    fail = progress.loc["G-fail"]
    assert fail["direction"] == "decrease" and fail["projected"] == 0.0  # a share never goes below 0
    assert fail["summary"].startswith(
        "On track: 25% of students failing on 2025-10-03 (n = 4); baseline 50%, target 10% by 2025-12-01."
    )


def test_at_risk_margin_is_a_parameter(team):
    wider = goal_progress(team, at_risk_within=0.10).set_index("goal_id")
    assert wider.loc["G-off", "status"] == "at risk"
    none = goal_progress(team, at_risk_within=0.0).set_index("goal_id")
    assert none.loc["G-risk", "status"] == "off track"


def test_as_of_cuts_the_data(team):
    early = goal_progress(team, as_of="2025-09-20").set_index("goal_id")
    assert early.loc["G-met", "current"] == 0.25 and early.loc["G-met", "status"] == "off track"
    assert early.loc["G-pass", "status"] == "not enough data"
    assert (early["as_of"] == pd.Timestamp("2025-09-20")).all()
    assert goal_progress(team)["as_of"].iloc[0] == pd.Timestamp("2025-10-15")  # latest data date
    before = goal_progress(team, as_of="2025-08-15")
    assert (before["status"] == "not enough data").all() and before["current"].isna().all()
    assert before["summary"].iloc[0].startswith("Not enough data yet: no ")


def test_trend_method(team):
    trend = goal_progress(team, method="trend", min_points=2).set_index("goal_id")
    fail = trend.loc["G-fail"]
    # least squares through (11 days, 0.50) and (32 days, 0.25)
    assert math.isclose(fail["actual_pace"], -0.25 / 21 * 7)
    assert fail["status"] == "on track"
    mean = trend.loc["G-mean"]
    slope = (0.6825 - 0.6375) / 21
    assert math.isclose(mean["projected"], 0.6375 + slope * (91 - 11))
    strict = goal_progress(team, method="trend").set_index("goal_id")  # needs 3 points
    assert strict.loc["G-fail", "status"] == "not enough data"
    assert strict.loc["G-met", "status"] == "met"  # reaching the target needs no trend
    with pytest.raises(ValueError, match="method"):
        goal_progress(team, method="spline")


def test_small_subgroup_goal_hidden_beyond_the_team(team, progress):
    assert (progress["audience"] == "team").all()
    beyond = goal_progress(team, audience="beyond_team").set_index("goal_id")
    ell = beyond.loc["G-ell"]  # two English learners
    assert pd.isna(ell["current"]) and pd.isna(ell["n_students"]) and pd.isna(ell["projected"])
    assert ell["status"] == "met" and ell["summary"] == (
        "Met: measured on fewer than 10 students (not shown beyond the team)."
    )
    # this team has four students: beyond the team every goal's value is hidden, every status kept
    assert beyond["current"].isna().all() and beyond["projected"].isna().all()
    assert beyond["status"].to_dict() == progress["status"].to_dict()


def test_bad_subgroup(team, tmp_path):
    files = dict(GOALS_FILES)
    files["goals.csv"] = GOALS_FILES["goals.csv"].replace(",practice,ell", ",practice,homeless")
    data = load_dataset(write_folder(tmp_path / "bad", files))
    with pytest.raises(ValueError, match="homeless"):
        goal_series(data)


# --------------------------------------------------------------------------- sample district
def test_sample_goals_match_planted(sample, planted):
    progress = goal_progress(sample).set_index("goal_id")
    assert (progress["as_of"] == pd.Timestamp(planted["last_data_date"])).all()
    for truth in planted["goals"]:
        got = progress.loc[truth["goal_id"]]
        assert got["status"] == truth["expected_status"] == truth["intended_status"], truth["goal_id"]
        assert math.isclose(got["current"], truth["current"], abs_tol=1e-4), truth["goal_id"]
        assert got["current_date"] == pd.Timestamp(truth["as_of"]), truth["goal_id"]
        assert math.isclose(got["projected"], truth["projected_at_due_date"], abs_tol=1e-3), truth["goal_id"]
        assert got["n_students"] == truth["n_students"], truth["goal_id"]


def test_sample_goal_status_with_a_60_percent_passing_line(sample, planted):
    progress = goal_progress(sample, passing=0.6).set_index("goal_id")
    for truth in planted["goals"]:
        for line, expected in truth.get("by_passing_line", {}).items():
            if float(line) == 0.6:
                assert math.isclose(progress.loc[truth["goal_id"], "current"], expected["current"], abs_tol=1e-4)
                assert progress.loc[truth["goal_id"], "status"] == expected["status"]


def test_sample_goal_plot(sample):
    series = goal_series(sample, goal_id="G-02")
    progress = goal_progress(sample, team_id="T-ALG1", series=series)
    fig, ax = plt.subplots()
    assert plot_goal(progress, series, ax=ax) is ax
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert {"target", "actual", "projection", "baseline", "pace needed"} <= set(lines)
    assert np.allclose(lines["target"].get_ydata(), 0.09)
    assert len(lines["actual"].get_xdata()) == len(series)
    assert "ON TRACK" in ax.get_title()
    with pytest.raises(ValueError):
        plot_goal(goal_progress(sample), series)
    plt.close("all")
