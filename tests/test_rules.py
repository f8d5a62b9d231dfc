"""The shared rules (plc_analysis.rules) and text formats (plc_analysis.text_format): one home each."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from plc_analysis import proficiency_by_skill, subgroup_gaps
from plc_analysis.rules import GROUP_COLUMNS, TOLERANCE, at_least, chronological, group_columns
from plc_analysis.text_format import MISSING_TEXT, percent_text, percent_texts


def test_at_least_forgives_floating_point_and_nothing_more():
    assert at_least(0.1 + 0.7, 0.8)  # 0.7999999999999999
    assert not at_least(0.8 - 10 * TOLERANCE, 0.8)
    got = at_least(pd.Series([0.79, 0.8, np.nan]), pd.Series([0.8, 0.8, 0.8]))
    assert got.tolist() == [False, True, False]


def test_chronological_puts_a_same_day_reassessment_after_its_original():
    ev = pd.DataFrame(
        {
            "student_id": ["s1"] * 4,
            "skill_id": ["k"] * 4,
            "date": pd.to_datetime(["2025-10-01", "2025-09-01", "2025-10-01", "2025-10-01"]),
            "assessment_kind": ["reassessment", "cfa", "cfa", "unit"],
            "assessment_id": ["A0", "A9", "B1", "A2"],
        }
    )
    got = chronological(ev)["assessment_id"].tolist()
    assert got == ["A9", "A2", "B1", "A0"]


@given(st.lists(st.tuples(st.integers(0, 3), st.booleans(), st.integers(0, 5)), min_size=1, max_size=12))
def test_chronological_orders_date_then_reassessment_then_id(rows):
    ev = pd.DataFrame(
        {
            "student_id": "s",
            "skill_id": "k",
            "date": pd.to_datetime([f"2025-10-0{d + 1}" for d, _, _ in rows]),
            "assessment_kind": ["reassessment" if r else "cfa" for _, r, _ in rows],
            "assessment_id": [f"A{i}" for _, _, i in rows],
        }
    )
    got = chronological(ev)
    keys = list(zip(got["date"], got["assessment_kind"] == "reassessment", got["assessment_id"]))
    assert keys == sorted(keys)


def test_group_levels_mean_the_same_columns_everywhere(sample):
    """`by="teacher"` is team and teacher in proficiency_by_skill and in subgroup_gaps alike."""
    assert group_columns("teacher", [], "") == list(GROUP_COLUMNS["teacher"])
    assert group_columns(["section", "team"], [], "") == ["team_id", "teacher_id", "section_id"]
    table = proficiency_by_skill(sample, by="teacher")
    gaps = subgroup_gaps(sample, by="teacher", audience="team")
    for frame in (table, gaps):
        assert {"team_id", "teacher_id"} <= set(frame.columns)
        assert "section_id" not in frame.columns


def test_an_unknown_group_level_is_refused_at_once_with_what_would_do(sample):
    with pytest.raises(
        ValueError, match=r"by='teachr': use one of team, school, teacher, section or a column of units"
    ):
        subgroup_gaps(sample, by="teachr")
    with pytest.raises(
        ValueError, match=r"by='teachr': use one of team, school, teacher, section or a subgroup column"
    ):
        proficiency_by_skill(sample, by="teachr")


def test_subgroup_gaps_by_teacher_where_a_class_has_no_member_of_a_subgroup(sample):
    """Bug fixed: an empty side (no ELL student in a class) crashed the interval with 'x2 must lie between 0 and n2'."""
    gaps = subgroup_gaps(sample, by="teacher", audience="team")
    empty = (gaps["n_in"] == 0) | (gaps["n_rest"] == 0)
    assert empty.any()
    assert gaps.loc[empty, ["ci_low", "ci_high"]].isna().all().all()
    assert gaps.loc[~empty, "ci_low"].notna().all()


@pytest.mark.parametrize(
    ("share", "decimals", "text"),
    [
        (0.734, 0, "73%"),
        (1.0, 0, "100%"),
        (0.0, 0, "0%"),
        (0.699, 2, "69.9%"),
        (0.72, 2, "72%"),
        (0.6999, 2, "69.99%"),
        (0.725, 1, "72.5%"),
        (0.7204, 1, "72%"),
        (None, 0, MISSING_TEXT),
        (float("nan"), 1, MISSING_TEXT),
        (pd.NA, 0, MISSING_TEXT),
    ],
)
def test_percent_text(share, decimals, text):
    assert percent_text(share, decimals) == text


@given(st.lists(st.one_of(st.none(), st.floats(0, 1)), max_size=20))
def test_percent_texts_is_percent_text_of_each_value(values):
    series = pd.Series(values, dtype="float64")
    assert percent_texts(series).tolist() == [percent_text(v) for v in series]
    assert all(t == MISSING_TEXT or t.endswith("%") for t in percent_texts(series))
    assert all(
        math.isclose(float(t[:-1]), round(v * 100), abs_tol=1)
        for t, v in zip(percent_texts(series), series)
        if t != MISSING_TEXT
    )
