"""On the sample district, the analyses recover every planted effect and flag nothing large that was not planted.

The truths come from plc_analysis/data/sample/planted.json, written by the generator.
"""

from __future__ import annotations

import pytest

import plc_analysis as plc


def test_stronger_teacher_is_the_clearest_bright_spot(sample, planted):
    truth = planted["strong_teacher"]
    compared = plc.compare_to_team(sample, "skill")
    stronger = compared[compared["signal"] == "stronger than team"].sort_values("ci_low", ascending=False)
    top = stronger.iloc[0]
    assert (top["team_id"], top["teacher_id"], top["skill_id"]) == (
        truth["team_id"],
        truth["teacher_id"],
        truth["skill_id"],
    )
    # nothing else anywhere in the district is nearly as clear
    assert top["ci_low"] > 0.2
    assert (stronger.iloc[1:]["ci_low"] < 0.2).all()
    points = plc.talking_points(sample, team_id=truth["team_id"])
    bright = points[points["kind"] == "bright spot"].iloc[0]
    assert (bright["teacher_id"], bright["skill_id"]) == (truth["teacher_id"], truth["skill_id"])


def test_miskeyed_item_is_flagged_and_nothing_else(sample, planted):
    truth = planted["miskeyed_item"]
    items = plc.item_analysis(sample)
    miskeyed = items[items["likely_miskey"]]
    assert list(zip(miskeyed["assessment_id"], miskeyed["item_id"])) == [(truth["assessment_id"], truth["item_id"])]
    row = miskeyed.iloc[0]
    assert row["discrimination"] < 0 and "check the key" in row["flags"]
    options = plc.option_analysis(sample, truth["assessment_id"])
    suspect = options[(options["item_id"] == truth["item_id"]) & options["likely_miskey"]]
    assert suspect["option"].tolist() == [truth["true_key"]]
    # no other item has clearly negative discrimination
    others = items.drop(index=miskeyed.index)
    assert (others["discrimination"].dropna() > -0.15).all()


def test_weak_skill_is_the_teams_weakest_essential_skill(sample, planted):
    truth = planted["weak_skill"]
    points = plc.talking_points(sample, team_id=truth["team_id"])
    weakest = points[points["kind"] == "weakest essential skill"].iloc[0]
    assert weakest["skill_id"] == truth["skill_id"]
    table = plc.proficiency_by_skill(sample, team_id=truth["team_id"])
    share = table.set_index("skill_id")["share_proficient"]
    assert share[truth["skill_id"]] == pytest.approx(truth["share_proficient"], abs=0.05)


def test_disagreeing_raters_and_only_them(sample, planted):
    truth = planted["rater_disagreement"]
    table = plc.rater_calibration(sample)
    flagged = table[table["needs_calibration"] & (table["n_works"] >= 20)]
    assert [tuple(sorted((r.rater_a, r.rater_b))) for r in flagged.itertuples()] == [tuple(sorted(truth["pair"]))]
    assert flagged.iloc[0]["kappa_quadratic"] == pytest.approx(truth["quadratic_kappa"], abs=0.02)
    calibrated = table[(table["n_works"] >= 20) & ~table["needs_calibration"]]
    assert (calibrated["kappa_quadratic"] > 0.8).all()


def test_team_vs_other_house_team(sample, planted):
    compared = plc.compare_teams(sample, "skill")
    assert set(compared["team_id"]) == {"T-6MB", "T-6MG"}
    assert (compared["n_teams"] == 2).all()
    # the two houses were generated alike: no large team-level difference
    assert (compared["difference"].abs() < 0.3).all()
