"""Band transitions and growth between two windows: hand-worked and invariants."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from plc_analysis import (
    assign_bands,
    band_transitions,
    paired_bands,
    student_growth,
    transition_summary,
    window_standing,
)


def banded(scores: dict[tuple[str, str], float], teacher: str = "t1") -> pd.DataFrame:
    rows = [(s, k, v, 0.8, teacher) for (s, k), v in scores.items()]
    columns = ["student_id", "skill_id", "score", "proficiency_cut", "teacher_id"]
    return assign_bands(pd.DataFrame(rows, columns=columns))


def test_hand_worked_transitions():
    before = banded({("a", "K"): 0.3, ("b", "K"): 0.7, ("c", "K"): 0.9, ("d", "K"): 0.55, ("e", "K"): 0.5})
    after = banded({("a", "K"): 0.85, ("b", "K"): 0.7, ("c", "K"): 0.6, ("d", "K"): 0.4})  # e absent after
    pairs = paired_bands(before, after).set_index("student_id")
    assert pairs["step"].to_dict() == {"a": 3, "b": 0, "c": -2, "d": -1}  # intensive->proficient, ..., far->intensive
    assert pairs.loc["a", "growth"] == 0.85 - 0.3
    summary = transition_summary(pairs.reset_index()).iloc[0]
    assert (summary.n, summary.n_up, summary.n_same, summary.n_down) == (4, 1, 1, 2)
    assert (summary.n_to_proficient, summary.n_from_proficient) == (1, 1)
    assert summary.share_down == 0.5
    counts = band_transitions(pairs.reset_index()).set_index(["from_band", "to_band"])["n"]
    assert len(counts) == 16 and counts.sum() == 4
    assert counts[("intensive", "proficient")] == 1 and counts[("proficient", "far but likely")] == 1
    grid = student_growth(pairs.reset_index()).set_index("student_id")
    assert grid.loc["c", "K"] == 0.6 - 0.9


def test_window_standing_picks_first_and_latest_with_a_same_day_reassessment_later():
    evidence = pd.DataFrame(
        {
            "student_id": ["a"] * 3,
            "skill_id": ["K"] * 3,
            "assessment_id": ["R", "A", "B"],
            "assessment_kind": ["reassessment", "cfa", "cfa"],
            "date": pd.to_datetime(["2025-10-01", "2025-10-01", "2025-09-01"]),
            "score": [0.9, 0.4, 0.5],
        }
    )
    assert window_standing(evidence)["assessment_id"].tolist() == ["R"]
    assert window_standing(evidence, pick="earliest")["assessment_id"].tolist() == ["B"]
    assert window_standing(evidence, end="2025-09-30")["assessment_id"].tolist() == ["B"]
    assert window_standing(evidence, start="2025-10-02").empty


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 1), st.floats(0, 1), st.sampled_from(["K1", "K2"]), st.sampled_from(["t1", "t2"])),
        min_size=1,
        max_size=40,
    )
)
def test_counts_add_up_whichever_way_they_are_cut(rows):
    before = banded({(f"s{i}", k): b for i, (b, _, k, _) in enumerate(rows)})
    after = banded({(f"s{i}", k): a for i, (_, a, k, _) in enumerate(rows)})
    after["teacher_id"] = [t for _, _, _, t in rows]
    pairs = paired_bands(before, after)
    for by in (("skill_id",), ("teacher_id",), ()):
        summary = transition_summary(pairs, by=by)
        assert (summary["n_up"] + summary["n_same"] + summary["n_down"] == summary["n"]).all()
        assert summary["n"].sum() == len(pairs)
        transitions = band_transitions(pairs, by=by)
        assert transitions["n"].sum() == len(pairs)
        up = transitions[transitions["from_band"].cat.codes > transitions["to_band"].cat.codes]["n"].sum()
        assert up == summary["n_up"].sum()
        assert (
            summary["n_proficient_after"] - summary["n_proficient_before"]
            == summary["n_to_proficient"] - summary["n_from_proficient"]
        ).all()
