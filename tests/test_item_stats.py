"""Tests for plc_analysis.item_stats: item statistics, reliability, distractor analysis."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats as sps

from plc_analysis.item_stats import (
    BLANK_OPTION,
    FLAG_LOW_DISCRIMINATION,
    FLAG_NEGATIVE_DISCRIMINATION,
    FLAG_VERY_EASY,
    FLAG_VERY_HARD,
    distractor_analysis,
    item_statistics,
    reliability,
    reliability_summary,
)
from plc_analysis.stats import cronbach_alpha_interval

# ---------------------------------------------------------------- helpers


def to_long(matrix, item_ids=None, student_ids=None) -> pd.DataFrame:
    """Students × items array → long scores frame (NaN cells become missing *rows*)."""
    m = np.asarray(matrix, dtype=float)
    n, k = m.shape
    item_ids = item_ids or [f"Q{j + 1}" for j in range(k)]
    student_ids = student_ids or [f"s{i + 1:03d}" for i in range(n)]
    df = pd.DataFrame(m, index=pd.Index(student_ids, name="student_id"), columns=item_ids)
    df.columns.name = "item_id"
    out = df.stack().rename("points").reset_index()
    return out[out["points"].notna()].reset_index(drop=True)


def alpha_reference(m: np.ndarray) -> float:
    """Cronbach's alpha written out from item and total variances (ddof=1)."""
    m = np.asarray(m, dtype=float)
    k = m.shape[1]
    item_vars = sum(np.var(m[:, j], ddof=1) for j in range(k))
    total_var = np.var(m.sum(axis=1), ddof=1)
    return k / (k - 1) * (1 - item_vars / total_var)


def kr20(m: np.ndarray) -> float:
    """Kuder-Richardson formula 20 for 0/1 items: k/(k-1) (1 - sum(p q) / var_X)."""
    m = np.asarray(m, dtype=float)
    k = m.shape[1]
    p = m.mean(axis=0)
    return k / (k - 1) * (1 - np.sum(p * (1 - p)) / m.sum(axis=1).var(ddof=0))


# a fixed 0/1 response matrix: 10 students × 6 items
BINARY = np.array(
    [
        [1, 1, 1, 1, 1, 0],
        [1, 1, 1, 1, 0, 1],
        [1, 1, 1, 0, 1, 0],
        [1, 1, 0, 1, 0, 0],
        [1, 0, 1, 1, 0, 0],
        [1, 1, 0, 0, 0, 1],
        [1, 0, 1, 0, 0, 0],
        [1, 0, 0, 0, 1, 0],
        [0, 1, 0, 0, 0, 0],
        [1, 0, 0, 0, 0, 1],
    ]
)

# Shrout & Fleiss (1979) Table 2: 6 targets rated by 4 judges.  Read as 6 students × 4
# items, Cronbach's alpha equals their ICC(3,k), published as 0.91.
SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])


# ---------------------------------------------------------------- item statistics


def test_item_statistics_against_scipy_pearsonr():
    scores = to_long(BINARY)
    out = item_statistics(scores)
    assert list(out.index) == [f"Q{j}" for j in range(1, 7)]
    assert out.index.name == "item_id"
    for col in [
        "n",
        "max_points",
        "mean_points",
        "difficulty",
        "discrimination",
        "item_total_r",
        "alpha_if_deleted",
        "flags",
    ]:
        assert col in out.columns
    total = BINARY.sum(axis=1)
    for j, item in enumerate(out.index):
        x = BINARY[:, j]
        assert out.loc[item, "n"] == 10
        assert out.loc[item, "difficulty"] == pytest.approx(x.mean())
        if x.std() == 0:
            continue
        assert out.loc[item, "discrimination"] == pytest.approx(sps.pearsonr(x, total - x)[0])
        assert out.loc[item, "item_total_r"] == pytest.approx(sps.pearsonr(x, total)[0])
        rest = np.delete(BINARY, j, axis=1)
        assert out.loc[item, "alpha_if_deleted"] == pytest.approx(alpha_reference(rest))


def test_item_one_is_very_easy_and_flags_thresholds():
    out = item_statistics(to_long(BINARY))
    # Q1: 9/10 correct → difficulty 0.9, not > 0.9
    assert out.loc["Q1", "difficulty"] == pytest.approx(0.9)
    assert FLAG_VERY_EASY not in out.loc["Q1", "flags"]
    out2 = item_statistics(to_long(BINARY), easy_threshold=0.85)
    assert FLAG_VERY_EASY in out2.loc["Q1", "flags"]
    for item, row in out.iterrows():
        words = [w for w in row["flags"].split(", ") if w]
        assert (FLAG_VERY_EASY in words) == (row["difficulty"] > 0.9)
        assert (FLAG_VERY_HARD in words) == (row["difficulty"] < 0.2)
        d = row["discrimination"]
        assert (FLAG_LOW_DISCRIMINATION in words) == bool(0 <= d < 0.2)
        assert (FLAG_NEGATIVE_DISCRIMINATION in words) == bool(d < 0)
    # Q6 is answered mostly by low scorers → negative discrimination
    assert out.loc["Q6", "discrimination"] < 0
    assert FLAG_NEGATIVE_DISCRIMINATION in out.loc["Q6", "flags"]


def test_max_points_and_not_attempted_count_as_zero():
    scores = pd.DataFrame(
        {
            "student_id": ["a", "a", "b", "b", "c", "c", "d"],
            "item_id": ["Q1", "Q2", "Q1", "Q2", "Q1", "Q2", "Q1"],
            "points": [4, 1, 2, np.nan, 0, 1, 3],
        }
    )
    items = pd.DataFrame({"item_id": ["Q1", "Q2", "Q3"], "max_points": [4, 1, 2]})
    out = item_statistics(scores, items)
    assert list(out.index) == ["Q1", "Q2"]  # Q3 has no scores
    assert out.loc["Q1", "n"] == 4 and out.loc["Q2", "n"] == 3
    assert out.loc["Q2", "n_not_attempted"] == 1
    assert out.loc["Q1", "mean_points"] == pytest.approx((4 + 2 + 0 + 3) / 4)
    assert out.loc["Q1", "difficulty"] == pytest.approx(9 / 16)
    assert out.loc["Q2", "difficulty"] == pytest.approx(2 / 3)  # NaN counted as 0
    # d has no Q2 row → excluded from correlations: complete cases a, b, c
    assert (out["n_complete"] == 3).all()
    q1, q2 = np.array([4, 2, 0.0]), np.array([1, 0, 1.0])
    assert out.loc["Q1", "item_total_r"] == pytest.approx(sps.pearsonr(q1, q1 + q2)[0])
    assert out.loc["Q1", "discrimination"] == pytest.approx(sps.pearsonr(q1, q2)[0])
    assert np.isnan(out.loc["Q1", "alpha_if_deleted"])  # one item left


def test_double_scored_rows_are_averaged_per_student():
    scores = to_long(BINARY)
    extra = pd.DataFrame(
        {"student_id": ["s001", "s002"], "item_id": ["Q1", "Q6"], "points": [0.0, 0.0]}
    )  # second raters on two works
    out = item_statistics(pd.concat([scores, extra], ignore_index=True))
    assert out.loc["Q1", "n"] == 10 and out.loc["Q6", "n"] == 10
    m = BINARY.astype(float)
    m[0, 0], m[1, 5] = 0.5, 0.5
    assert out.loc["Q1", "difficulty"] == pytest.approx(m[:, 0].mean())
    assert out.loc["Q6", "discrimination"] == pytest.approx(sps.pearsonr(m[:, 5], m.sum(axis=1) - m[:, 5])[0])


def test_correlations_use_complete_cases_against_pearsonr():
    rng = np.random.default_rng(7)
    m = (rng.random((40, 5)) < np.linspace(0.3, 0.8, 5)).astype(float)
    m[[3, 11, 25], [0, 2, 4]] = np.nan  # three students each miss one item row
    out = item_statistics(to_long(m))
    cc = m[~np.isnan(m).any(axis=1)]
    assert (out["n_complete"] == 37).all()
    assert out.loc["Q1", "n"] == 39
    total = cc.sum(axis=1)
    for j in range(5):
        r = sps.pearsonr(cc[:, j], total - cc[:, j])[0]
        assert out.iloc[j]["discrimination"] == pytest.approx(r)


def test_constant_item_gives_nan_without_warnings():
    m = BINARY.copy()
    m[:, 2] = 1  # everyone right
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = item_statistics(to_long(m))
    assert np.isnan(out.loc["Q3", "discrimination"])
    assert np.isnan(out.loc["Q3", "item_total_r"])
    assert out.loc["Q3", "difficulty"] == 1.0
    assert FLAG_VERY_EASY in out.loc["Q3", "flags"]
    assert not np.isnan(out.loc["Q1", "discrimination"])


def test_ids_are_strings_and_leading_zeros_kept():
    scores = to_long(BINARY, item_ids=["007", "010", "011", "012", "013", "014"])
    out = item_statistics(scores)
    assert list(out.index) == ["007", "010", "011", "012", "013", "014"]
    scores_int = scores.assign(item_id=scores["item_id"].astype(int))
    out_int = item_statistics(scores_int)
    assert list(out_int.index) == ["7", "10", "11", "12", "13", "14"]


@pytest.mark.parametrize(
    ("scores", "items", "match"),
    [
        (pd.DataFrame({"student_id": ["a"], "points": [1]}), None, "item_id"),
        (pd.DataFrame({"student_id": ["a"], "item_id": ["Q1"], "points": ["x"]}), None, "numeric"),
        (pd.DataFrame({"student_id": ["a"], "item_id": ["Q1"], "points": [2]}), None, "max_points"),
        (pd.DataFrame({"student_id": ["a"], "item_id": ["Q1"], "points": [-1]}), None, "negative"),
        (
            pd.DataFrame({"student_id": ["a"], "item_id": ["Q9"], "points": [1]}),
            pd.DataFrame({"item_id": ["Q1"], "max_points": [1]}),
            "not in the items table",
        ),
        (
            pd.DataFrame(
                {"student_id": ["a", "a"], "item_id": ["Q1", "Q1"], "points": [1, 1], "assessment_id": ["A1", "A2"]}
            ),
            None,
            "per assessment",
        ),
    ],
)
def test_item_statistics_bad_input(scores, items, match):
    with pytest.raises(ValueError, match=match):
        item_statistics(scores, items)


def test_items_table_filtered_to_the_assessment():
    scores = to_long(BINARY).assign(assessment_id="A2")
    items = pd.DataFrame(
        {
            "assessment_id": ["A1"] * 6 + ["A2"] * 6,
            "item_id": [f"Q{j}" for j in range(1, 7)] * 2,
            "max_points": [5] * 6 + [1] * 6,
        }
    )
    out = item_statistics(scores, items)
    assert (out["max_points"] == 1).all()


# ---------------------------------------------------------------- reliability


def test_reliability_equals_covariance_formula_and_kr20():
    alpha = reliability(to_long(BINARY))
    cov = np.cov(BINARY.astype(float), rowvar=False)
    k = BINARY.shape[1]
    from_cov = k / (k - 1) * (1 - np.trace(cov) / cov.sum())
    assert alpha == pytest.approx(from_cov)
    assert alpha == pytest.approx(alpha_reference(BINARY))
    assert alpha == pytest.approx(kr20(BINARY))


def test_reliability_shrout_fleiss_icc3k():
    scores = to_long(SHROUT_FLEISS)
    items = pd.DataFrame({"item_id": ["Q1", "Q2", "Q3", "Q4"], "max_points": [10] * 4})
    alpha = reliability(scores, items)
    assert alpha == pytest.approx(0.91, abs=0.005)
    # and exactly (MS_targets - MS_error) / MS_targets from the two-way ANOVA
    x = SHROUT_FLEISS.astype(float)
    n, k = x.shape
    g = x.mean()
    ms_rows = k * ((x.mean(axis=1) - g) ** 2).sum() / (n - 1)
    ss_err = ((x - x.mean(axis=1, keepdims=True) - x.mean(axis=0) + g) ** 2).sum()
    ms_err = ss_err / ((n - 1) * (k - 1))
    assert alpha == pytest.approx((ms_rows - ms_err) / ms_rows)


def test_reliability_summary():
    s = reliability_summary(to_long(BINARY))
    assert set(s) >= {"alpha", "ci_low", "ci_high", "n_students", "n_items", "sem"}
    assert s["n_students"] == 10 and s["n_items"] == 6
    assert (s["ci_low"], s["ci_high"]) == pytest.approx(cronbach_alpha_interval(s["alpha"], 10, 6))
    sd = BINARY.sum(axis=1).std(ddof=1)
    assert s["sem"] == pytest.approx(sd * np.sqrt(1 - s["alpha"]))
    assert s["ci_low"] < s["alpha"] < s["ci_high"]


def test_reliability_needs_two_items_and_students():
    with pytest.raises(ValueError, match="2 items"):
        reliability(to_long(BINARY[:, :1]))
    with pytest.raises(ValueError, match="2 students"):
        reliability(to_long(BINARY[:1, :]))


# ---------------------------------------------------------------- properties

matrices = st.integers(3, 25).flatmap(
    lambda n: st.integers(3, 7).flatmap(lambda k: hnp.arrays(np.int64, (n, k), elements=st.integers(0, 3)))
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(m=matrices)
def test_difficulty_in_unit_interval(m):
    items = pd.DataFrame({"item_id": [f"Q{j + 1}" for j in range(m.shape[1])], "max_points": 3})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = item_statistics(to_long(m), items)
    assert ((out["difficulty"] >= 0) & (out["difficulty"] <= 1)).all()
    r = out["discrimination"].dropna()
    assert ((r >= -1 - 1e-9) & (r <= 1 + 1e-9)).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(m=matrices)
def test_alpha_if_deleted_matches_reliability_without_the_item(m):
    assume(m.sum(axis=1).std() > 0)
    scores = to_long(m)
    items = pd.DataFrame({"item_id": [f"Q{j + 1}" for j in range(m.shape[1])], "max_points": 3})
    out = item_statistics(scores, items)
    for item in out.index:
        expected = reliability(scores[scores["item_id"] != item], items)
        got = out.loc[item, "alpha_if_deleted"]
        if np.isnan(expected):
            assert np.isnan(got)
        else:
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)


# ---------------------------------------------------------------- distractor analysis


def small_mc_example():
    ids = [f"s{i:02d}" for i in range(1, 11)]
    q1 = ["A", "A", "B", "A", "C", "B", None, "B", "C", "B"]
    q1_pts = [1, 1, 0, 1, 0, 0, np.nan, 0, 0, 0]
    q2 = [2, 2, 2, 1, 1, 1, 1, 0, 0, 0]
    q3 = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    scores = pd.concat(
        [
            pd.DataFrame({"student_id": ids, "item_id": "Q1", "points": q1_pts, "response": q1}),
            pd.DataFrame({"student_id": ids, "item_id": "Q2", "points": q2, "response": None}),
            pd.DataFrame({"student_id": ids, "item_id": "Q3", "points": q3, "response": None}),
        ],
        ignore_index=True,
    )
    items = pd.DataFrame(
        {"item_id": ["Q1", "Q2", "Q3"], "max_points": [1, 2, 1], "kind": ["mc", "cr", "cr"], "key": ["a", None, None]}
    )
    return scores, items


def test_distractor_shares_by_hand():
    scores, items = small_mc_example()
    out = distractor_analysis(scores, items)
    for col in [
        "item_id",
        "option",
        "is_key",
        "n",
        "share",
        "share_upper",
        "share_lower",
        "discrimination_index",
        "likely_miskey",
        "flag",
    ]:
        assert col in out.columns
    assert set(out["item_id"]) == {"Q1"}
    out = out.set_index("option")
    assert list(out.index) == ["A", "B", "C", BLANK_OPTION]
    assert out.loc["A", "is_key"] and not out.loc["B", "is_key"]
    # totals: s01 4, s02 4, s03 3, s04 3, s05 2, s06 1, s07 1, s08-s10 0; groups of 3.
    # upper = s01, s02 and s03 (tie with s04 broken by student_id); lower = s08-s10
    expected = {  # option: (n, share_upper, share_lower)
        "A": (3, 2 / 3, 0.0),
        "B": (4, 1 / 3, 2 / 3),
        "C": (2, 0.0, 1 / 3),
        BLANK_OPTION: (1, 0.0, 0.0),
    }
    for opt, (n, up, lo) in expected.items():
        assert out.loc[opt, "n"] == n
        assert out.loc[opt, "share"] == pytest.approx(n / 10)
        assert out.loc[opt, "share_upper"] == pytest.approx(up)
        assert out.loc[opt, "share_lower"] == pytest.approx(lo)
        assert out.loc[opt, "discrimination_index"] == pytest.approx(up - lo)
    assert not out["likely_miskey"].any()
    assert (out["flag"] == "").all()
    # point-biserial of choosing A against the rest score (total minus Q1 points)
    chose_a = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0])
    rest = np.array([3, 3, 3, 2, 2, 1, 1, 0, 0, 0])
    assert out.loc["A", "point_biserial"] == pytest.approx(sps.pearsonr(chose_a, rest)[0])


def test_distractor_is_deterministic_under_row_order():
    scores, items = small_mc_example()
    a = distractor_analysis(scores, items)
    b = distractor_analysis(scores.sample(frac=1, random_state=3), items)
    pd.testing.assert_frame_equal(a, b)


def test_distractor_bad_input():
    scores, items = small_mc_example()
    with pytest.raises(ValueError, match="response"):
        distractor_analysis(scores.drop(columns="response"), items)
    with pytest.raises(ValueError, match="kind"):
        distractor_analysis(scores, items.drop(columns=["kind", "key"]))
    with pytest.raises(ValueError, match="multiple-choice"):
        distractor_analysis(scores, items.assign(kind="cr", key=None))


def simulate_miskeyed_test(seed: int = 42, n: int = 300):
    """300 students, 15 right/wrong items and 3 MC items; Q18's key is entered wrong."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n)
    ids = [f"st{i:04d}" for i in range(n)]
    frames = []
    for j, b in enumerate(np.linspace(-1.5, 1.5, 15)):
        p = 1 / (1 + np.exp(-1.5 * (theta - b)))
        frames.append(
            pd.DataFrame({"student_id": ids, "item_id": f"Q{j + 1:02d}", "points": (rng.random(n) < p).astype(float)})
        )
    true_keys = {"Q16": "A", "Q17": "D", "Q18": "C"}
    entered_keys = {"Q16": "A", "Q17": "D", "Q18": "B"}  # Q18 miskeyed: B is a distractor
    for item, right in true_keys.items():
        p_right = 1 / (1 + np.exp(-1.7 * theta))
        wrong = [o for o in "ABCD" if o != right]
        # low scorers are drawn to the first wrong option (for Q18 that is B)
        wrong_pick = rng.choice(wrong, size=n, p=[0.6, 0.2, 0.2])
        resp = np.where(rng.random(n) < p_right, right, wrong_pick)
        frames.append(
            pd.DataFrame(
                {
                    "student_id": ids,
                    "item_id": item,
                    "points": (resp == entered_keys[item]).astype(float),
                    "response": resp,
                }
            )
        )
    scores = pd.concat(frames, ignore_index=True)
    items = pd.DataFrame(
        {
            "item_id": [f"Q{j:02d}" for j in range(1, 16)] + list(true_keys),
            "max_points": 1,
            "kind": ["cr"] * 15 + ["mc"] * 3,
            "key": [None] * 15 + [entered_keys[i] for i in true_keys],
        }
    )
    return scores, items


def test_miskeyed_item_is_flagged():
    scores, items = simulate_miskeyed_test()
    assert items.set_index("item_id").loc["Q18", "key"] == "B"
    stats = item_statistics(scores, items)
    assert stats.loc["Q18", "discrimination"] < 0
    assert FLAG_NEGATIVE_DISCRIMINATION in stats.loc["Q18", "flags"]
    assert (stats.drop(index="Q18")["discrimination"] > 0).all()

    da = distractor_analysis(scores, items)
    q18 = da[da["item_id"] == "Q18"].set_index("option")
    assert q18.loc["C", "likely_miskey"]
    assert q18["likely_miskey"].sum() == 1
    assert q18.loc["C", "share_upper"] > q18.loc["B", "share_upper"]
    assert q18.loc["C", "point_biserial"] > 0
    assert (q18["flag"] == "option C chosen more by high scorers than the key B — check the key").all()
    others = da[da["item_id"] != "Q18"]
    assert not others["likely_miskey"].any()
    assert (others["flag"] == "").all()
    assert set(da["item_id"]) == {"Q16", "Q17", "Q18"}
