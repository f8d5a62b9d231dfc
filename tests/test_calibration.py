"""Tests for plc_analysis.calibration: agreement, Cohen/Fleiss kappa, ICC, calibration table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plc_analysis.calibration import (
    agreement,
    calibration_table,
    cohen_kappa,
    fleiss_kappa,
    icc,
)

# ---------------------------------------------------------------- helpers


def to_ratings(matrix, raters=None, works=None) -> pd.DataFrame:
    """works × raters array → long ratings (NaN cells = not rated, left out)."""
    m = np.asarray(matrix, dtype=float)
    n, k = m.shape
    raters = raters or [f"r{j + 1}" for j in range(k)]
    works = works or [f"w{i + 1:03d}" for i in range(n)]
    df = pd.DataFrame(m, index=pd.Index(works, name="work_id"), columns=raters)
    df.columns.name = "rater_id"
    out = df.stack().rename("score").reset_index()
    return out[out["score"].notna()].reset_index(drop=True)


def from_confusion(table) -> pd.DataFrame:
    """Two-rater ratings from a confusion matrix (rows rater A, columns rater B, categories 0..k-1)."""
    a, b = [], []
    for i, row in enumerate(np.asarray(table)):
        for j, count in enumerate(row):
            a += [i] * int(count)
            b += [j] * int(count)
    return to_ratings(np.column_stack([a, b]), raters=["A", "B"])


def from_counts(counts) -> pd.DataFrame:
    """Fleiss-style subjects × categories count table → long ratings (categories 1..k)."""
    rows = []
    for i, row in enumerate(np.asarray(counts)):
        labels = np.repeat(np.arange(1, len(row) + 1), row)
        rows += [(f"s{i + 1:02d}", f"rater{j + 1}", float(c)) for j, c in enumerate(labels)]
    return pd.DataFrame(rows, columns=["work_id", "rater_id", "score"])


# Shrout & Fleiss (1979), Table 2: 6 targets × 4 judges.
SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])

# Fleiss (1971): 30 patients, 6 psychiatrists each, 5 diagnoses (1 depression,
# 2 personality disorder, 3 schizophrenia, 4 neurosis, 5 other); kappa = 0.430.
# Rater-level layout as distributed with R irr (`diagnoses`).
FLEISS_1971 = np.array(
    [
        [4, 4, 4, 4, 4, 4],
        [2, 2, 2, 5, 5, 5],
        [2, 3, 3, 3, 3, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4],
        [1, 1, 3, 3, 3, 3],
        [3, 3, 3, 3, 5, 5],
        [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4],
        [5, 5, 5, 5, 5, 5],
        [1, 4, 4, 4, 4, 4],
        [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3],
        [1, 4, 4, 4, 4, 4],
        [2, 2, 4, 4, 4, 5],
        [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5],
        [1, 1, 1, 1, 1, 2],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 4, 4, 4, 4, 4],
        [2, 2, 4, 5, 5, 5],
        [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5],
        [2, 2, 2, 2, 2, 4],
        [1, 1, 1, 1, 5, 5],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3],
        [5, 5, 5, 5, 5, 5],
    ]
)

# Wikipedia "Fleiss' kappa" worked example: 10 subjects, 14 raters, 5 categories.
WIKI_FLEISS = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)

# R irr `anxiety` data (20 subjects × 3 raters), used for irr::kappa2 reference values.
ANXIETY = np.array(
    [
        3,
        3,
        3,
        4,
        5,
        5,
        2,
        3,
        5,
        2,
        2,
        6,
        1,
        5,
        2,
        2,
        1,
        2,
        4,
        3,
        3,
        6,
        4,
        6,
        2,
        4,
        2,
        4,
        3,
        3,
        2,
        3,
        3,
        3,
        2,
        2,
        1,
        3,
        3,
        4,
        2,
        1,
        4,
        4,
        3,
        2,
        1,
        6,
        1,
        1,
        1,
        2,
        3,
        3,
        1,
        1,
        3,
        3,
        2,
        2,
    ]
).reshape(20, 3, order="F")


# ---------------------------------------------------------------- ICC


def test_icc_shrout_fleiss_published():
    assert icc(to_ratings(SHROUT_FLEISS)) == pytest.approx(0.29, abs=0.005)


def test_icc_by_hand_from_anova_mean_squares():
    x = SHROUT_FLEISS.astype(float)
    n, k = x.shape
    # sums of squares written out cell by cell
    grand = sum(sum(row) for row in x) / (n * k)
    row_means = [sum(row) / k for row in x]
    col_means = [sum(x[i][j] for i in range(n)) / n for j in range(k)]
    bms = k * sum((m - grand) ** 2 for m in row_means) / (n - 1)
    jms = n * sum((m - grand) ** 2 for m in col_means) / (k - 1)
    ems = sum((x[i][j] - row_means[i] - col_means[j] + grand) ** 2 for i in range(n) for j in range(k)) / (
        (n - 1) * (k - 1)
    )
    # published mean squares (Shrout & Fleiss 1979, Table 3)
    assert (bms, jms, ems) == pytest.approx((11.24, 32.49, 1.02), abs=0.005)
    expected = (bms - ems) / (bms + (k - 1) * ems + k * (jms - ems) / n)
    assert icc(to_ratings(SHROUT_FLEISS)) == pytest.approx(expected, rel=1e-12)


def test_icc_uses_complete_cases_and_rejects_bad_input():
    m = SHROUT_FLEISS.astype(float)
    with_gap = np.vstack([m, [[5, np.nan, 3, 4]]])
    assert icc(to_ratings(with_gap)) == pytest.approx(icc(to_ratings(m)))
    with pytest.raises(ValueError, match="at least 2 raters"):
        icc(to_ratings(m[:, :1]))
    with pytest.raises(ValueError, match="at least 2 works"):
        icc(to_ratings(m[:1, :]))


# ---------------------------------------------------------------- Fleiss kappa


def test_fleiss_1971_published():
    assert np.bincount(FLEISS_1971.ravel())[1:].tolist() == [26, 26, 30, 55, 43]
    kappa = fleiss_kappa(to_ratings(FLEISS_1971))
    assert kappa == pytest.approx(0.430, abs=5e-4)
    assert kappa == pytest.approx(0.4302445, abs=1e-7)  # R irr::kappam.fleiss


def test_fleiss_wikipedia_example():
    assert (WIKI_FLEISS.sum(axis=1) == 14).all()
    assert fleiss_kappa(from_counts(WIKI_FLEISS)) == pytest.approx(0.210, abs=5e-4)


def test_fleiss_matches_statsmodels():
    ir = pytest.importorskip("statsmodels.stats.inter_rater")
    table, _ = ir.aggregate_raters(FLEISS_1971)
    assert fleiss_kappa(to_ratings(FLEISS_1971)) == pytest.approx(ir.fleiss_kappa(table))
    assert fleiss_kappa(from_counts(WIKI_FLEISS)) == pytest.approx(ir.fleiss_kappa(WIKI_FLEISS))


def test_fleiss_requires_equal_raters_per_work():
    m = FLEISS_1971.astype(float)
    m[0, 0] = np.nan
    with pytest.raises(ValueError, match="same number of raters"):
        fleiss_kappa(to_ratings(m))


def test_fleiss_two_raters_close_to_cohen():
    # Fleiss' kappa for two raters is Scott's pi: equal to Cohen's when margins agree
    m = np.array([[1, 1], [2, 2], [3, 3], [1, 2], [2, 1], [3, 3], [1, 1], [2, 3], [3, 2]])
    r = to_ratings(m)
    assert fleiss_kappa(r) == pytest.approx(cohen_kappa(r))


# ---------------------------------------------------------------- Cohen kappa


def test_cohen_textbook_example():
    # Wikipedia "Cohen's kappa": 50 proposals, yes/yes 20, yes/no 5, no/yes 10, no/no 15
    # p_o = 0.7, p_e = 0.5 → kappa = 0.4
    assert cohen_kappa(from_confusion([[20, 5], [10, 15]])) == pytest.approx(0.4)


def test_cohen_sas_example():
    # SAS PROC FREQ example reproduced in statsmodels' tests: simple 0.4842, weighted 0.4701
    r = from_confusion([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    assert cohen_kappa(r) == pytest.approx(0.4842, abs=5e-5)
    assert cohen_kappa(r, weights="linear") == pytest.approx(0.4701, abs=5e-5)


@pytest.mark.parametrize(
    ("weights", "expected"),
    [(None, -0.006289308), ("linear", 0.1459075), ("quadratic", 0.2520325)],
)
def test_cohen_matches_r_irr_kappa2(weights, expected):
    # irr::kappa2(anxiety[, 2:3], weight) — irr also uses the observed categories only
    r = to_ratings(ANXIETY[:, 1:])
    assert cohen_kappa(r, weights=weights) == pytest.approx(expected, abs=1e-7)


def test_cohen_matches_sklearn():
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(5)
    a = rng.integers(0, 5, 60)
    b = np.clip(a + rng.integers(-1, 2, 60), 0, 5)
    b[:3] = 5  # a category only rater B uses
    r = to_ratings(np.column_stack([a, b]))
    for w in (None, "linear", "quadratic"):
        assert cohen_kappa(r, weights=w) == pytest.approx(skm.cohen_kappa_score(a, b, weights=w))


def test_cohen_input_errors():
    with pytest.raises(ValueError, match="exactly 2 raters"):
        cohen_kappa(to_ratings(ANXIETY))
    with pytest.raises(ValueError, match="weights"):
        cohen_kappa(to_ratings(ANXIETY[:, 1:]), weights="cubic")
    with pytest.raises(ValueError, match="at least 2 raters"):
        cohen_kappa(to_ratings(ANXIETY[:, :1]))
    with pytest.raises(ValueError, match="missing required column"):
        cohen_kappa(to_ratings(ANXIETY[:, 1:]).rename(columns={"score": "points"}))
    dup = to_ratings(ANXIETY[:, 1:])
    with pytest.raises(ValueError, match="duplicate"):
        cohen_kappa(pd.concat([dup, dup.iloc[:1]]))


def test_cohen_single_category_is_nan():
    r = to_ratings(np.full((5, 2), 3))
    assert np.isnan(cohen_kappa(r, weights="quadratic"))


@settings(max_examples=60, deadline=None)
@given(
    scores=st.lists(st.integers(0, 6), min_size=2, max_size=40).filter(lambda s: len(set(s)) > 1),
    weights=st.sampled_from([None, "linear", "quadratic"]),
)
def test_identical_raters_have_kappa_one(scores, weights):
    m = np.column_stack([scores, scores])
    r = to_ratings(m)
    assert cohen_kappa(r, weights=weights) == pytest.approx(1.0)
    assert icc(r) == pytest.approx(1.0)
    assert fleiss_kappa(r) == pytest.approx(1.0)


# ---------------------------------------------------------------- agreement


def test_agreement_by_hand():
    m = np.array([[3, 3, 2], [1, 2, 4], [4, 4, 4], [2, np.nan, np.nan]])
    # pairs: w1 (3,3)(3,2)(3,2) → exact 1, adjacent 3;  w2 (1,2)(1,4)(2,4) → 0, 1;
    #        w3 three exact pairs; w4 has one rater → not compared
    out = agreement(to_ratings(m))
    assert out["n_pairs"] == 9
    assert out["n_works"] == 3
    assert out["exact"] == pytest.approx(4 / 9)
    assert out["adjacent"] == pytest.approx(7 / 9)


def test_agreement_needs_shared_work():
    r = pd.DataFrame({"work_id": ["a", "b"], "rater_id": ["x", "y"], "score": [1, 2]})
    with pytest.raises(ValueError, match="two or more raters"):
        agreement(r)


def test_item_id_makes_work_item_the_unit():
    r = pd.DataFrame(
        {
            "work_id": ["w1"] * 4,
            "item_id": ["ideas", "ideas", "voice", "voice"],
            "rater_id": ["x", "y", "x", "y"],
            "score": [3, 3, 2, 4],
        }
    )
    out = agreement(r)
    assert out["n_pairs"] == 2 and out["exact"] == 0.5 and out["adjacent"] == 0.5


# ---------------------------------------------------------------- calibration table


def test_calibration_table_pairs_and_notes():
    rng = np.random.default_rng(11)
    truth = rng.integers(1, 5, 20)
    a = truth
    b = truth.copy()
    b[:2] = np.clip(b[:2] + 1, 1, 4)  # b nearly agrees with a
    c = rng.integers(1, 5, 20)  # c is unrelated
    m = np.column_stack([a, b, c]).astype(float)
    r = to_ratings(m, raters=["ana", "ben", "cal"])
    extra = pd.DataFrame({"work_id": ["x1", "x2", "x3"], "rater_id": "dee", "score": [2, 3, 4]})
    extra2 = extra.assign(rater_id="ana", score=[2, 3, 3])
    table = calibration_table(pd.concat([r, extra, extra2], ignore_index=True))
    assert list(table.columns) == [
        "item_id",
        "rater_a",
        "rater_b",
        "n_works",
        "exact",
        "adjacent",
        "kappa_quadratic",
        "icc",
        "needs_calibration",
        "note",
    ]
    t = table.set_index(["rater_a", "rater_b"])
    assert list(t.index) == [("ana", "ben"), ("ana", "cal"), ("ana", "dee"), ("ben", "cal")]
    assert table["item_id"].isna().all()

    ab = t.loc[("ana", "ben")]
    two = r[r["rater_id"].isin(["ana", "ben"])]
    assert ab["n_works"] == 20
    assert ab["exact"] == pytest.approx(np.mean(a == b))
    assert ab["kappa_quadratic"] == pytest.approx(cohen_kappa(two, weights="quadratic"))
    assert ab["icc"] == pytest.approx(icc(two))
    assert not ab["needs_calibration"]
    assert ab["note"].startswith("calibrated: quadratic kappa")

    ac = t.loc[("ana", "cal")]
    assert ac["needs_calibration"]
    assert ac["kappa_quadratic"] < 0.6
    assert ac["note"].startswith(f"another calibration round recommended: quadratic kappa {ac['kappa_quadratic']:.2f}")
    assert ac["note"].endswith("on 20 shared works")

    ad = t.loc[("ana", "dee")]
    assert ad["n_works"] == 3 and ad["needs_calibration"]
    assert ad["note"] == "too few shared works (n=3)"


def test_calibration_table_note_format_and_threshold():
    # 18 shared works, quadratic kappa computed independently, threshold above it
    rng = np.random.default_rng(3)
    a = rng.integers(1, 5, 18)
    b = np.clip(a + rng.integers(-2, 3, 18), 1, 4)
    r = to_ratings(np.column_stack([a, b]))
    k = cohen_kappa(r, weights="quadratic")
    row = calibration_table(r, threshold=k + 0.01).iloc[0]
    assert row["needs_calibration"]
    assert f"quadratic kappa {k:.2f}" in row["note"] and "on 18 shared works" in row["note"]
    row = calibration_table(r, threshold=k - 0.01, exact_threshold=0.0).iloc[0]
    assert not row["needs_calibration"]


def test_calibration_table_per_item():
    r = pd.DataFrame(
        {
            "work_id": [f"w{i}" for i in range(6)] * 4,
            "item_id": ["ideas"] * 12 + ["voice"] * 12,
            "rater_id": (["x"] * 6 + ["y"] * 6) * 2,
            "score": [
                1,
                2,
                3,
                4,
                1,
                2,
                1,
                2,
                3,
                4,
                1,
                2,  # ideas: perfect agreement
                1,
                2,
                3,
                4,
                1,
                2,
                4,
                3,
                2,
                1,
                4,
                3,
            ],  # voice: reversed
        }
    )
    t = calibration_table(r).set_index("item_id")
    assert list(t.index) == ["ideas", "voice"]
    assert t.loc["ideas", "exact"] == 1.0 and t.loc["ideas", "kappa_quadratic"] == pytest.approx(1)
    assert not t.loc["ideas", "needs_calibration"]
    assert t.loc["voice", "needs_calibration"]
    assert (t["n_works"] == 6).all()


# ---------------------------------------------------------------- labels

#: Fleiss (1971): psychiatric diagnoses, nominal categories written as numbered labels.
DIAGNOSES = ["1. Depression", "2. Personality Disorder", "3. Schizophrenia", "4. Neurosis", "5. Other"]
LEVELS = ["Beginning", "Approaching", "Meets", "Exceeds"]


def as_labels(ratings: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """The same ratings with score k (1-based) written as labels[k - 1]."""
    return ratings.assign(score=[labels[int(v) - 1] for v in ratings["score"]])


def test_fleiss_on_nominal_labels_matches_statsmodels_and_the_numbers():
    ir = pytest.importorskip("statsmodels.stats.inter_rater")
    labelled = as_labels(to_ratings(FLEISS_1971), DIAGNOSES)
    wide = labelled.pivot(index="work_id", columns="rater_id", values="score").to_numpy()
    table, _ = ir.aggregate_raters(wide)  # statsmodels counts the label strings itself
    assert fleiss_kappa(labelled) == pytest.approx(ir.fleiss_kappa(table))
    assert fleiss_kappa(labelled) == pytest.approx(fleiss_kappa(to_ratings(FLEISS_1971)))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=2, max_size=40))
def test_cohen_on_labels_matches_sklearn(pairs):
    skm = pytest.importorskip("sklearn.metrics")
    a = [LEVELS[i] for i, _ in pairs]
    b = [LEVELS[j] for _, j in pairs]
    ratings = pd.DataFrame(
        {
            "work_id": [f"w{i}" for i in range(len(pairs))] * 2,
            "rater_id": ["r1"] * len(pairs) + ["r2"] * len(pairs),
            "score": a + b,
        }
    )
    # unweighted on nominal labels: the labels observed are the categories
    expected = skm.cohen_kappa_score(a, b) if len(set(a + b)) > 1 else float("nan")
    assert cohen_kappa(ratings) == pytest.approx(expected, nan_ok=True)
    for weights in ("linear", "quadratic"):
        # with an order, every level of the scale is a category (sklearn's labels=)
        got = cohen_kappa(ratings, weights=weights, order=LEVELS)
        want = skm.cohen_kappa_score(a, b, labels=LEVELS, weights=weights) if len(set(a + b)) > 1 else np.nan
        assert got == pytest.approx(want, nan_ok=True)
        # the same scale carried by the data, as an ordered Categorical
        ordered = ratings.assign(score=pd.Categorical(ratings["score"], categories=LEVELS, ordered=True))
        assert cohen_kappa(ordered, weights=weights) == pytest.approx(got, nan_ok=True)


def test_icc_and_agreement_on_ordered_labels_equal_their_positions():
    numbers = to_ratings(ANXIETY)
    levels = sorted(numbers["score"].unique())
    words = [f"level {v:g}" for v in levels]
    labelled = numbers.assign(score=numbers["score"].map(dict(zip(levels, words))))
    positions = numbers.assign(score=numbers["score"].map({v: i + 1.0 for i, v in enumerate(levels)}))
    assert icc(labelled, order=words) == pytest.approx(icc(positions))
    assert agreement(labelled, order=words) == pytest.approx(agreement(positions))
    table = calibration_table(labelled, order=words)
    same = ["item_id", "rater_a", "rater_b", "n_works", "exact", "adjacent", "icc"]
    pd.testing.assert_frame_equal(table[same], calibration_table(positions)[same])
    # the pairs' kappas are on the whole scale, as sklearn's labels=
    skm = pytest.importorskip("sklearn.metrics")
    wide = labelled.pivot(index="work_id", columns="rater_id", values="score")
    for row in table.itertuples():
        both = wide[[row.rater_a, row.rater_b]].dropna()
        expected = skm.cohen_kappa_score(both.iloc[:, 0], both.iloc[:, 1], labels=words, weights="quadratic")
        assert row.kappa_quadratic == pytest.approx(expected)


def test_weights_asked_of_unordered_labels_is_a_clear_error():
    labelled = as_labels(to_ratings(FLEISS_1971), DIAGNOSES)
    two = labelled[labelled["rater_id"].isin(["r1", "r2"])]
    message = "needs ordered scores, but ratings.score holds labels with no order"
    with pytest.raises(ValueError, match=f"quadratic-weighted kappa {message}"):
        cohen_kappa(two, weights="quadratic")
    with pytest.raises(ValueError, match=f"icc {message}.*pass order="):
        icc(labelled)
    with pytest.raises(ValueError, match=message):
        calibration_table(labelled)
    assert np.isnan(agreement(labelled)["adjacent"]) and 0 < agreement(labelled)["exact"] < 1
    assert cohen_kappa(two) == pytest.approx(cohen_kappa(to_ratings(FLEISS_1971[:, :2])))
    with pytest.raises(ValueError, match=r"value\(s\) not in order: \['Exceeds'\]"):
        cohen_kappa(as_labels(to_ratings(np.array([[1, 4], [2, 2]])), LEVELS), order=LEVELS[:3])
