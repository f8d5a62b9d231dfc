"""Equity without exposing anyone: suppression (primary and complementary), subgroup gaps, and the
sample district's small cell and planted gaps."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import write_folder  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from plc_analysis import load_dataset, proportion_difference_interval, student_skill_mastery  # noqa: E402
from plc_analysis.equity import (
    names_allowed,
    resolve_audience,
    student_names,
    subgroup_gaps,  # noqa: E402
    suppress_small_cells,
)
from plc_analysis.equity_plots import plot_subgroup_gaps  # noqa: E402

COMPLEMENT = "suppressed (protects a small group)"


# --------------------------------------------------------------------------- suppression, hand-worked
def test_primary_suppression_only():
    table = pd.DataFrame({"team": ["A", "B"], "n": [25, 7], "share": [0.8, 0.5]})
    out = suppress_small_cells(table, "n")
    assert list(out["n_shown"]) == ["25", "fewer than 10"]
    assert out["n"].isna().tolist() == [False, True] and out["share"].isna().tolist() == [False, True]
    assert out["suppressed"].tolist() == [False, True]
    assert out.loc[1, "suppression"] == "fewer than 10 students: hidden"
    assert table["n"].tolist() == [25, 7]  # the input is not changed


def test_complementary_suppression_among_categories():
    # the three categories add up to the team's published total (62): hiding only c (7) would leave
    # 62 - 30 - 25 = 7, so the smallest other category (b, 25) is hidden too
    table = pd.DataFrame(
        {"team": ["T", "T", "T"], "group": ["a", "b", "c"], "n": [30, 25, 7], "share": [0.5, 0.6, 0.7]}
    )
    out = suppress_small_cells(table, "n", families=[["team"]])
    assert list(out["n_shown"]) == ["30", COMPLEMENT, "fewer than 10"]
    assert out["share"].isna().tolist() == [False, True, True]
    assert out.loc[1, "suppression"].startswith("hidden so that a small group cannot be worked out")
    # what stays visible cannot give c back: 62 - 30 = 32 = b + c, any split
    assert out["n"].sum() == 30


def test_complementary_within_a_row():
    # subgroup (7) and the rest (60) add up to the group's total, published elsewhere
    table = pd.DataFrame({"skill": ["K1", "K2"], "n_in": [7, 12], "n_rest": [60, 55], "gap": [-0.1, 0.05]})
    out = suppress_small_cells(table, ["n_in", "n_rest"])
    assert list(out["n_in_shown"]) == ["fewer than 10", "12"]
    assert list(out["n_rest_shown"]) == [COMPLEMENT, "55"]
    assert pd.isna(out.loc[0, "gap"]) and out.loc[1, "gap"] == 0.05


def test_complementary_cascades_across_families():
    # teams x subgroups; each row and each column adds up to a published margin
    table = pd.DataFrame(
        {"team": ["A", "A", "B", "B"], "group": ["ell", "other", "ell", "other"], "n": [4, 40, 30, 50]}
    )
    out = suppress_small_cells(table, "n", families=[["team"], ["group"]])
    hidden = dict(zip(zip(out["team"], out["group"]), out["n"].isna()))
    # A-ell is small → A-other (row) and B-ell (column) are hidden → B-other too (its row and column)
    assert all(hidden.values())


def test_dict_value_columns_and_zero_counts():
    table = pd.DataFrame({"n_in": [0, 20], "n_rest": [20, 0], "share_in": [np.nan, 0.5], "share_rest": [0.4, np.nan]})
    out = suppress_small_cells(
        table, ["n_in", "n_rest"], within_row=False, value_columns={"n_in": ["share_in"], "n_rest": ["share_rest"]}
    )
    assert list(out["n_in_shown"]) == ["fewer than 10", "20"]
    assert out.loc[0, "share_rest"] == 0.4  # only the suppressed cell's own values go
    with pytest.raises(ValueError, match="count columns"):
        suppress_small_cells(table, ["n_all"])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.integers(0, 40), min_size=3, max_size=3), min_size=2, max_size=4))
def test_no_family_is_left_with_a_single_hidden_cell(grid):
    """Whatever the counts: every small cell is hidden and no row or column hides exactly one cell."""
    table = pd.DataFrame([{"row": r, "col": c, "n": n} for r, values in enumerate(grid) for c, n in enumerate(values)])
    out = suppress_small_cells(table, "n", families=[["row"], ["col"]])
    hidden = out["n"].isna()
    assert hidden[table["n"] < 10].all()
    assert (out.loc[~hidden, "n"].astype(int) == table.loc[~hidden, "n"]).all()
    for key in ("row", "col"):
        per_family = hidden.groupby(out[key]).sum()
        assert not (per_family == 1).any()


# --------------------------------------------------------------------------- subgroup gaps, hand-worked
# 24 students in one team: 4 English learners (1 proficient on K1), 20 others (15 proficient);
# a text column "lang" with 14 / 7 / 3 students
N = 24
ELL = {f"e{i:02d}" for i in range(N) if i < 4}
PROFICIENT = {"e00"} | {f"e{i:02d}" for i in range(4, 19)}
LANG = {f"e{i:02d}": ("en" if i < 14 else "es" if i < 21 else "zh") for i in range(N)}
EQ = {
    "schools.csv": "school_id,name\nS,School\n",
    "teams.csv": "team_id,school_id,name\nT,S,Team\n",
    "teachers.csv": "teacher_id,team_id,name\nt1,T,Ms. Ames\n",
    "sections.csv": "section_id,teacher_id,team_id\nsec1,t1,T\n",
    "students.csv": "student_id,grade,first_name,last_name,ell,lang\n"
    + "".join(f"e{i:02d},3,F{i},L{i},{str(f'e{i:02d}' in ELL).lower()},{LANG[f'e{i:02d}']}\n" for i in range(N)),
    "enrollments.csv": "student_id,section_id\n" + "".join(f"e{i:02d},sec1\n" for i in range(N)),
    "skills.csv": "skill_id,description,team_id\nK1,Main idea,T\n",
    "assessments.csv": "assessment_id,team_id,title,kind,date\nA1,T,CFA 1,cfa,2025-09-01\n",
    "items.csv": "assessment_id,item_id,skill_id,max_points\nA1,i1,K1,1\n",
    "scores.csv": "student_id,assessment_id,item_id,points\n"
    + "".join(f"e{i:02d},A1,i1,{int(f'e{i:02d}' in PROFICIENT)}\n" for i in range(N)),
}


@pytest.fixture(scope="module")
def eq(tmp_path_factory):
    return load_dataset(write_folder(tmp_path_factory.mktemp("eq"), EQ))


def test_gap_hand_worked_for_the_team(eq):
    gaps = subgroup_gaps(eq, subgroups=["ell"])
    assert len(gaps) == 1 and (gaps["audience"] == "team").all()  # one team: no suppression
    g = gaps.iloc[0]
    assert (g["n_in"], g["x_in"], g["n_rest"], g["x_rest"]) == (4, 1, 20, 15)
    assert math.isclose(g["gap"], 0.25 - 0.75)
    low, high = proportion_difference_interval(1, 4, 15, 20)
    assert math.isclose(g["ci_low"], low) and math.isclose(g["ci_high"], high)
    assert g["signal"] == "too few students"  # 4 < 10
    assert "n_in_shown" not in gaps.columns


def test_gap_beyond_the_team_suppresses_the_small_group_and_its_complement(eq):
    g = subgroup_gaps(eq, subgroups=["ell"], audience="beyond_team").iloc[0]
    assert (g["n_in_shown"], g["n_rest_shown"]) == ("fewer than 10", COMPLEMENT)
    assert pd.isna(g["n_in"]) and pd.isna(g["n_rest"]) and pd.isna(g["share_rest"]) and pd.isna(g["gap"])
    assert g["signal"] == "fewer than 10"


def test_text_subgroup_categories_and_complementary_suppression(eq):
    gaps = subgroup_gaps(eq, subgroups=["lang"], audience="beyond_team").set_index("value")
    assert list(gaps.index) == ["en", "es", "zh"] and gaps.loc["zh", "group"] == "lang = zh"
    # zh (3) and es (7) are small; en (14) shows, and its rest (10) can be shown: 24 - 14 = es + zh
    assert gaps.loc["zh", "n_in_shown"] == gaps.loc["es", "n_in_shown"] == "fewer than 10"
    assert gaps.loc["en", "n_in"] == 14 and gaps.loc["en", "n_rest"] == 10
    visible = subgroup_gaps(eq, subgroups=["lang"], audience="team").set_index("value")
    assert visible["n_in"].to_dict() == {"en": 14, "es": 7, "zh": 3}


def test_any_student_level_outcome_can_be_split(eq):
    units = pd.DataFrame(
        {
            "student_id": [f"e{i:02d}" for i in range(N)],
            "team_id": "T",
            "needs_support": [f"e{i:02d}" not in PROFICIENT for i in range(N)],
        }
    )
    g = subgroup_gaps(eq, units=units, outcome="needs_support", subgroups=["ell"]).iloc[0]
    assert (g["x_in"], g["x_rest"]) == (3, 5)


def test_audience_and_names(eq, sample):
    assert resolve_audience(eq) == "team" and resolve_audience(sample) == "beyond_team"
    assert resolve_audience(sample, "team") == "team"
    with pytest.raises(ValueError):
        resolve_audience(eq, "everyone")
    assert names_allowed(eq, None) and not names_allowed(sample, None)
    with pytest.raises(ValueError, match="one team"):
        names_allowed(sample, True)
    assert student_names(eq)["e03"] == "L3, F3"


def test_unknown_subgroup(eq):
    with pytest.raises(ValueError, match="frl"):
        subgroup_gaps(eq, subgroups=["frl"])


# --------------------------------------------------------------------------- sample district
def test_sample_small_cell_is_suppressed_beyond_the_team(sample, planted):
    cell = planted["small_subgroup_cell"]
    team = subgroup_gaps(sample, team_id=cell["team_id"], subgroups=[cell["subgroup"]])
    assert (team["audience"] == "team").all()
    assert team["n_in"].max() == cell["n_students"] < 10  # the team itself sees its 7 students
    assert (team["n_in"] + team["n_rest"]).max() <= cell["n_team_students"]
    beyond = subgroup_gaps(sample, school_id="S01", subgroups=[cell["subgroup"]], audience="beyond_team")
    assert len(beyond) == len(team)
    assert (beyond["n_in_shown"] == "fewer than 10").all()
    # complementary: the rest of the team would give the small cell back from the team's total
    assert (beyond["n_rest_shown"] == COMPLEMENT).all() and beyond["n_rest"].isna().all()
    assert beyond[["share_in", "share_rest", "gap", "ci_low", "ci_high"]].isna().all().all()


def test_sample_district_report_hides_every_small_cell(sample):
    gaps = subgroup_gaps(sample)  # many teams: read beyond a team
    assert (gaps["audience"] == "beyond_team").all()
    shown_in = gaps["n_in"].dropna().astype(int)
    shown_rest = gaps["n_rest"].dropna().astype(int)
    assert (shown_in >= 10).all() and (shown_rest >= 10).all()
    # a row never shows one side of a split whose other side is hidden
    assert (gaps["n_in"].isna() == gaps["n_rest"].isna()).all()


def test_sample_planted_gaps_are_found(sample, planted):
    # share of each student's essential-skill evidence that is proficient, then "at least half"
    mastery = student_skill_mastery(sample)
    per = mastery.groupby("student_id")["proficient"].mean().rename("share").reset_index()
    per["mostly_proficient"] = per["share"] >= 0.5
    gaps = subgroup_gaps(sample, by=None, units=per, outcome="mostly_proficient", audience="beyond_team").set_index(
        "subgroup"
    )
    for group, truth in planted["subgroup_gaps"]["gaps"].items():
        assert truth["difference"] < 0
        assert gaps.loc[group, "signal"] == "lower than the rest", group
        assert gaps.loc[group, "ci_high"] < 0
    # the larger planted gaps (ell, sped) come out larger than frl's
    assert max(gaps.loc["ell", "gap"], gaps.loc["sped", "gap"]) < gaps.loc["frl", "gap"]


def test_gap_plot(sample):
    gaps = subgroup_gaps(sample, team_id="T-G3", audience="beyond_team")
    fig, ax = plt.subplots()
    assert plot_subgroup_gaps(gaps, ax=ax) is ax
    texts = [t.get_text() for t in ax.texts]
    assert "fewer than 10" in texts  # suppressed rows say so instead of drawing a point
    plt.close("all")
