"""Did it work?  Action outcomes on a hand-worked example, against statsmodels, and the planted sample actions."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from plc_analysis import action_members, action_outcomes, action_results, load_sample, skill_evidence
from plc_analysis.bundled import bundled_path


def evidence(rows):
    frame = pd.DataFrame(rows, columns=["student_id", "assessment_id", "date", "score"])
    kinds = {"A": "cfa", "R": "reassessment", "C": "cfa"}
    return frame.assign(
        skill_id="K",
        proficiency_cut=0.8,
        date=pd.to_datetime(frame["date"]),
        assessment_kind=frame["assessment_id"].map(kinds),
        teacher_id="t1",
    )


ACTION = dict(
    team_id="T",
    skill_id="K",
    kind="small_group",
    start_date=pd.Timestamp("2025-10-06"),
    assessment_id="A",
    teacher_id="t1",
    reassess_assessment_id=None,
    reassess_by=pd.NaT,
    note=None,
)


def actions(*rows):
    return pd.DataFrame([{**ACTION, **r} for r in rows])


# students a-d below on A; a, b in the group; c, d comparable; e proficient
EVIDENCE = evidence(
    [
        ("a", "A", "2025-10-03", 0.4),
        ("b", "A", "2025-10-03", 0.6),
        ("c", "A", "2025-10-03", 0.5),
        ("d", "A", "2025-10-03", 0.7),
        ("e", "A", "2025-10-03", 0.9),
        ("a", "R", "2025-10-17", 0.9),  # moved
        ("b", "R", "2025-10-17", 0.85),  # moved
        ("c", "R", "2025-10-17", 0.6),
        ("d", "R", "2025-10-17", 0.8),  # moved
        ("e", "R", "2025-10-17", 0.9),
        ("a", "C", "2025-10-24", 0.2),  # later evidence: not the named reassessment
    ]
)


def test_hand_worked_group_against_comparable_students():
    acts = actions({"action_id": "g", "student_ids": "a;b", "reassess_assessment_id": "R"})
    outcomes = action_outcomes(acts, EVIDENCE)
    mine = outcomes[outcomes["group"] == "action"].set_index("student_id")
    assert mine["after_assessment_id"].tolist() == ["R", "R"]
    assert mine["moved"].tolist() == [True, True]
    other = outcomes[outcomes["group"] == "comparison"]
    assert sorted(other["student_id"]) == ["c", "d"]  # e was proficient: not comparable
    r = action_results(acts, outcomes).iloc[0]
    assert (r.n_students, r.n_target, r.n_moved, r.n_comparison, r.n_comparison_moved) == (2, 2, 2, 2, 1)
    assert r.share_moved == 1.0 and r.share_comparison == 0.5
    assert r.verdict == "worked"
    assert r.mean_before == pytest.approx(0.5) and r.mean_after == pytest.approx(0.875)


def test_without_a_named_reassessment_the_first_evidence_after_the_start_counts():
    acts = actions({"action_id": "g", "student_ids": "a", "start_date": pd.Timestamp("2025-10-20")})
    outcomes = action_outcomes(acts, EVIDENCE)
    mine = outcomes[outcomes["group"] == "action"].iloc[0]
    assert mine["after_assessment_id"] == "C" and not mine["moved"]
    assert action_results(acts, outcomes).iloc[0]["verdict"] == "not yet"


def test_blank_student_ids_mean_everyone_below_the_cut_and_enrichment_the_proficient():
    acts = actions(
        {"action_id": "w", "kind": "whole_class", "student_ids": None},
        {"action_id": "e", "kind": "enrichment", "student_ids": ""},
    )
    members = action_members(acts, EVIDENCE)
    assert members.groupby("action_id")["student_id"].apply(list).to_dict() == {"e": ["e"], "w": ["a", "b", "c", "d"]}
    assert not members["listed"].any()
    results = action_results(acts, action_outcomes(acts, EVIDENCE)).set_index("action_id")
    assert results.loc["w", "n_moved"] == 3 and results.loc["w", "n_comparison"] == 0  # everyone is in it
    assert results.loc["e", "n_target"] == 1 and results.loc["e", "verdict"] == "worked"  # still proficient


def test_no_evidence_after_the_start():
    acts = actions({"action_id": "late", "student_ids": "a;b", "start_date": pd.Timestamp("2025-11-01")})
    r = action_results(acts, action_outcomes(acts, EVIDENCE)).iloc[0]
    assert r.verdict == "no evidence yet" and r.n_measured == 0 and np.isnan(r.share_moved)
    assert r.summary == "No result yet after the action for its 2 students."


def test_partly_and_as_of():
    acts = actions({"action_id": "g", "student_ids": "a;c", "reassess_assessment_id": "R"})
    r = action_results(acts, action_outcomes(acts, EVIDENCE)).iloc[0]
    assert (r.n_moved, r.n_target, r.verdict) == (1, 2, "partly")  # half moved, comparison (b, d): 2 of 2
    early = action_results(acts, action_outcomes(acts, EVIDENCE, as_of="2025-10-10")).iloc[0]
    assert early.verdict == "no evidence yet"


@pytest.mark.parametrize(("x", "n"), [(9, 10), (2, 7), (0, 5), (8, 16)])
def test_intervals_match_statsmodels(x, n):
    students = [f"s{i}" for i in range(n)]
    rows = [(s, "A", "2025-10-03", 0.5) for s in students]
    rows += [(s, "R", "2025-10-17", 0.9 if i < x else 0.5) for i, s in enumerate(students)]
    acts = actions({"action_id": "g", "student_ids": ";".join(students), "reassess_assessment_id": "R"})
    r = action_results(acts, action_outcomes(acts, evidence(rows))).iloc[0]
    low, high = proportion_confint(x, n, alpha=0.05, method="wilson")
    assert r.n_moved == x and r.ci_low == pytest.approx(low) and r.ci_high == pytest.approx(high)


def test_planted_sample_actions_are_recovered():
    planted = json.loads((bundled_path("data", "sample") / "planted.json").read_text(encoding="utf-8"))["actions"]
    team = load_sample().filter(team_id=planted["team_id"])
    results = action_results(team.actions, action_outcomes(team.actions, skill_evidence(team))).set_index("action_id")
    assert results["verdict"].to_dict() == planted["expected_verdicts"]
    for action_id, truth in planted["measured"].items():
        row = results.loc[action_id]
        if truth["action"]["n_below_before_measured"]:  # counted independently by the generator
            assert row["n_target"] == truth["action"]["n_below_before_measured"]
            assert row["n_moved"] == truth["action"]["n_moved_to_proficient"]
            assert row["n_comparison"] == truth["comparison"]["n_below_before_measured"]
            assert row["n_comparison_moved"] == truth["comparison"]["n_moved_to_proficient"]
    worked = results.loc["G3-c06-worked"]
    assert worked["share_moved"] > worked["share_comparison"]
