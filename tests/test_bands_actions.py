"""Data Teams bands, student priority and the proposed response to a CFA, on hand-worked examples."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plc_analysis import (
    BandThresholds,
    assign_bands,
    band_counts,
    priority_counts,
    propose_actions,
    skill_why,
    student_priority,
)
from plc_analysis.actions import ACTION_COLUMNS, next_school_day


def standing(rows):
    return pd.DataFrame(rows, columns=["student_id", "skill_id", "score", "proficiency_cut", "teacher_id"])


def test_bands_at_the_documented_edges():
    # cut 0.8, close 0.15, intensive below 0.5: 0.8 proficient, 0.65 close, 0.649 far, 0.5 far, 0.49 intensive
    frame = standing(
        [
            ("a", "K", 0.8, 0.8, "t"),
            ("b", "K", 0.65, 0.8, "t"),
            ("c", "K", 0.649, 0.8, "t"),
            ("d", "K", 0.5, 0.8, "t"),
            ("e", "K", 0.49, 0.8, "t"),
            ("f", "K", None, 0.8, "t"),  # absent: no band
        ]
    )
    bands = assign_bands(frame)
    assert bands["band"].astype(str).tolist() == [
        "proficient",
        "close",
        "far but likely",
        "far but likely",
        "intensive",
    ]
    assert bands["shortfall"].round(3).tolist() == [0.0, 0.15, 0.151, 0.3, 0.31]
    wider = assign_bands(frame, BandThresholds(close=0.2, intensive_below=0.6))
    assert wider["band"].astype(str).tolist() == ["proficient", "close", "close", "intensive", "intensive"]


def test_band_counts_include_empty_bands():
    bands = assign_bands(standing([("a", "K", 0.9, 0.8, "t"), ("b", "K", 0.1, 0.8, "t")]))
    counts = band_counts(bands).set_index("band")
    assert counts["n"].tolist() == [1, 0, 0, 1]
    assert counts["share"].tolist() == [0.5, 0.0, 0.0, 0.5]


def test_priority_rules():
    rows = []
    for skill, score in zip("ABCD", (0.1, 0.2, 0.9, 0.9)):  # x: below on 2 of 4 -> intensive
        rows.append(("x", skill, score, 0.8, "t"))
    for skill, score in zip("ABCD", (0.3, 0.9, 0.9, 0.9)):  # y: 1 of 4, far -> targeted
        rows.append(("y", skill, score, 0.8, "t"))
    for skill, score in zip("ABCD", (0.75, 0.9, 0.9, 0.9)):  # z: 1 of 4, close -> watch
        rows.append(("z", skill, score, 0.8, "t"))
    for skill in "ABCD":
        rows.append(("w", skill, 0.85, 0.8, "t"))  # on track
    priority = student_priority(assign_bands(standing(rows))).set_index("student_id")["priority"].astype(str)
    assert priority.to_dict() == {"w": "on track", "x": "intensive", "y": "targeted", "z": "watch"}
    assert priority_counts(student_priority(assign_bands(standing(rows)))) == {
        "intensive": 1,
        "targeted": 1,
        "watch": 1,
        "on track": 1,
    }


def cfa(shares_below: dict[str, list[float]], teachers=("t1", "t2", "t3")) -> pd.DataFrame:
    """Students s<k>_<i>, each teacher's scores per skill given in order."""
    rows = []
    for skill, scores in shares_below.items():
        for i, score in enumerate(scores):
            rows.append((f"s{i:02d}", skill, score, 0.8, teachers[i % len(teachers)]))
    return assign_bands(standing(rows))


def test_whole_class_when_most_are_below_small_groups_otherwise():
    bands = cfa({"K1": [0.2] * 14 + [0.9] * 10, "K2": [0.5] * 6 + [0.9] * 18})
    proposals = propose_actions(bands, team_id="T", assessment_id="A", date=pd.Timestamp("2026-02-27"))  # a Friday
    assert list(proposals.columns[: len(ACTION_COLUMNS)]) == list(ACTION_COLUMNS)
    kinds = proposals.groupby("skill_id")["kind"].apply(list).to_dict()
    assert kinds == {"K1": ["whole_class", "enrichment"], "K2": ["small_group", "enrichment"]}
    reteach = proposals[proposals["kind"] == "whole_class"].iloc[0]
    assert pd.isna(reteach["student_ids"]) and reteach["n_students"] == 14  # blank = everyone below the cut
    group = proposals[proposals["kind"] == "small_group"].iloc[0]
    assert group["student_ids"] == ";".join(f"s{i:02d}" for i in range(6))
    assert (proposals["start_date"] == pd.Timestamp("2026-03-02")).all()  # the Monday after
    assert (proposals["reassess_by"] == pd.Timestamp("2026-03-16")).all()
    # exactly at the threshold is not "most"
    half = cfa({"K": [0.2] * 12 + [0.9] * 12})
    assert "whole_class" not in set(propose_actions(half, team_id="T", assessment_id="A", date=pd.Timestamp(0))["kind"])
    assert "whole_class" in set(
        propose_actions(half, team_id="T", assessment_id="A", date=pd.Timestamp(0), reteach_share=0.4)["kind"]
    )


def test_groups_go_to_the_strongest_teacher_but_never_all_to_one():
    # t1's students all proficient on K; t2 half; t3 none.  30 below -> 3 groups of 10 + enrichment
    rows = []
    for i in range(60):
        teacher = ("t1", "t2", "t3")[i % 3]
        proficient = teacher == "t1" or (teacher == "t2" and i % 2 == 0)
        rows.append((f"s{i:02d}", "K", 0.9 if proficient else 0.3 + i / 1000, 0.8, teacher))
    bands = assign_bands(standing(rows))
    proposals = propose_actions(bands, team_id="T", assessment_id="A", date=pd.Timestamp(0), group_size=10)
    groups = proposals[proposals["kind"] == "small_group"]
    assert len(groups) == 3 and groups["n_students"].tolist() == [10, 10, 10]
    assert groups["teacher_id"].iloc[0] == "t1" and groups["owner_rank"].iloc[0] == 1
    assert proposals["teacher_id"].value_counts().max() <= -(-len(proposals) // 3)  # balanced: ceil(actions / teachers)
    assert proposals["teacher_id"].tolist() == ["t1", "t1", "t2", "t2"]  # the strongest first, two each at most
    # the lowest scores are together in the first group
    first = set(groups["student_ids"].iloc[0].split(";"))
    below = bands[~bands["proficient"]].nsmallest(10, "score")
    assert first == set(below["student_id"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.sampled_from(["t1", "t2", "t3", "t4"])), min_size=1, max_size=60))
def test_every_student_is_in_exactly_one_response_per_skill(results):
    rows = [(f"s{i}", "K", score, 0.7, teacher) for i, (score, teacher) in enumerate(results)]
    bands = assign_bands(standing(rows))
    proposals = propose_actions(bands, team_id="T", assessment_id="A", date=pd.Timestamp(0))
    below = set(bands.loc[~bands["proficient"], "student_id"])
    members: list[str] = []
    for row in proposals.itertuples():
        members += sorted(below) if row.kind == "whole_class" else row.student_ids.split(";")
    assert sorted(members) == sorted(bands["student_id"])
    assert proposals["teacher_id"].value_counts().max() <= -(-len(proposals) // bands["teacher_id"].nunique())


def test_why_names_the_hardest_items_and_the_common_wrong_answer():
    items = pd.DataFrame(
        {"item_id": ["i1", "i2", "i3"], "skill_id": ["K", "K", "K"], "difficulty": [0.9, 0.31, 0.5], "n": [20] * 3}
    )
    options = pd.DataFrame(
        {
            "item_id": ["i2", "i2", "i2", "i2"],
            "option": ["A", "B", "D", "(blank)"],
            "is_key": [False, False, True, False],
            "n": [3, 9, 6, 12],
            "share": [0.1, 0.45, 0.3, 0.6],
        }
    ).assign(key="D")
    why = skill_why(items, options).set_index("skill_id")
    assert why.loc["K", "items"] == "i2, i3"
    assert why.loc["K", "why"] == (
        "item i2: 31% of points earned, most common wrong answer B (45%) instead of D; item i3: 50% of points earned"
    )


def test_next_school_day():
    assert next_school_day(pd.Timestamp("2026-02-27")) == pd.Timestamp("2026-03-02")
    assert next_school_day(pd.Timestamp("2026-02-24")) == pd.Timestamp("2026-02-25")


def test_thresholds_are_checked():
    with pytest.raises(ValueError):
        BandThresholds(close=1.5)
