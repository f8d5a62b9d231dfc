"""Teacher vs rest of team: own students excluded, counts and intervals checked independently."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from builders import synthetic_team
from scipy import stats

from plc_analysis import compare_teams, compare_to_team, student_skill_mastery, talking_points


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    # teacher t2 much stronger on skill K1; nothing else planted
    return synthetic_team(tmp_path_factory.mktemp("syn"), effect={(2, 1): 3.0}, seed=11)


def newcombe_reference(x1, n1, x2, n2, conf=0.95):
    """Newcombe (1998) method 10, written independently from the paper's formulas."""
    z = stats.norm.ppf(1 - (1 - conf) / 2)

    def wilson(x, n):
        p = x / n
        a = 2 * n * p + z**2
        b = z * math.sqrt(z**2 + 4 * n * p * (1 - p))
        return (a - b) / (2 * (n + z**2)), (a + b) / (2 * (n + z**2))

    (l1, u1), (l2, u2) = wilson(x1, n1), wilson(x2, n2)
    p1, p2 = x1 / n1, x2 / n2
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def test_own_students_excluded_and_counts_match_manual(planted):
    compared = compare_to_team(planted, "skill")
    mastery = student_skill_mastery(planted)
    for row in compared.itertuples():
        mine = mastery[(mastery["skill_id"] == row.skill_id) & (mastery["teacher_id"] == row.teacher_id)]
        rest = mastery[(mastery["skill_id"] == row.skill_id) & (mastery["teacher_id"] != row.teacher_id)]
        assert (row.n, row.x) == (len(mine), int(mine["proficient"].sum()))
        assert (row.n_rest, row.x_rest) == (len(rest), int(rest["proficient"].sum()))
        low, high = newcombe_reference(row.x, row.n, row.x_rest, row.n_rest)
        assert math.isclose(row.ci_low, low, abs_tol=1e-9) and math.isclose(row.ci_high, high, abs_tol=1e-9)


def test_planted_strong_teacher_is_the_only_large_bright_spot(planted):
    compared = compare_to_team(planted, "skill")
    strong = compared[(compared["teacher_id"] == "t2") & (compared["skill_id"] == "K1")].iloc[0]
    assert strong["signal"] == "stronger than team" and strong["difference"] > 0.3
    others = compared.drop(index=strong.name)
    assert not ((others["signal"] == "stronger than team") & (others["difference"] > 0.3)).any()
    points = talking_points(planted)
    bright = points[points["kind"] == "bright spot"]
    assert (bright.iloc[0]["teacher_id"], bright.iloc[0]["skill_id"]) == ("t2", "K1")


def test_too_few_students(tmp_path):
    d = synthetic_team(tmp_path / "small", teachers=3, students_per_teacher=6, seed=2)
    compared = compare_to_team(d, "skill")
    assert (compared["signal"] == "too few students").all()
    assert (compare_to_team(d, "skill", min_n=5)["signal"] != "too few students").all()


def test_by_item_success_rule(planted):
    by_item = compare_to_team(planted, "item")
    assert set(by_item.columns) >= {"assessment_id", "item_id", "skill_id", "teacher", "signal"}
    assert (by_item["n"] + by_item["n_rest"]).eq(100).all()  # 0/1 items: every student scored on every item


def test_team_vs_other_teams_uses_common_id(tmp_path):
    a = synthetic_team(tmp_path / "a", seed=1)
    folder = tmp_path / "a"
    # a second team giving the same common assessment: copy every table under new ids
    tables = {
        n: pd.read_csv(folder / f"{n}.csv", dtype=str)
        for n in ["teachers", "sections", "students", "enrollments", "assessments", "items", "scores"]
    }
    twin = {}
    for name, frame in tables.items():
        frame = frame.copy()
        for column in ("team_id",):
            if column in frame:
                frame[column] = "U"
        for column in ("teacher_id", "section_id", "student_id", "assessment_id"):
            if column in frame:
                frame[column] = "u" + frame[column]
        twin[name] = frame
    twin["assessments"]["common_id"] = "C0"
    tables["assessments"]["common_id"] = "C0"
    for name in tables:
        pd.concat([tables[name], twin[name]]).to_csv(folder / f"{name}.csv", index=False)
    pd.DataFrame({"team_id": ["T", "U"], "school_id": ["S", "S"], "name": ["Team", "Twin"]}).to_csv(
        folder / "teams.csv", index=False
    )
    from plc_analysis import load_dataset

    both = load_dataset(folder)
    compared = compare_teams(both, "skill")
    assert set(compared["team_id"]) == {"T", "U"}
    # identical data: each team equals the other exactly
    assert np.allclose(compared["difference"], 0) and (compared["signal"] == "no clear difference").all()
    assert compare_teams(a).empty


def test_one_team_with_peer_counts_equals_the_whole_district(sample):
    """A batch extract holds one team; with the district's peer counts it compares exactly as the district does."""
    from plc_analysis.comparison import PEER_COLUMNS, peer_counts

    whole = compare_teams(sample, "skill")
    peers = peer_counts(sample)
    assert list(peers.columns) == PEER_COLUMNS and len(peers) == len(whole)
    assert "student_id" not in peers and (peers["n_teams"] >= 2).all()  # pooled counts, never students
    # pooled by school partition (teams never span schools): the same counts
    by_school = peer_counts(sample.filter(school_id=s) for s in sample.schools["school_id"])
    pd.testing.assert_frame_equal(by_school, peers)
    shared = set(whole["team_id"])
    assert {"T-6MB", "T-6MG"} <= shared
    for team in sample.teams["team_id"]:
        alone = sample.filter(team_id=team)
        assert compare_teams(alone, "skill").empty and compare_teams(alone, "item").empty  # no other team
        got, expected = compare_teams(alone, "skill", peers=peers), whole[whole["team_id"] == team]
        assert got.empty == expected.empty == (team not in shared)
        if len(expected):
            pd.testing.assert_frame_equal(got, expected.reset_index(drop=True))
    with pytest.raises(ValueError, match="by='skill'"):
        compare_teams(sample, "item", peers=peers)
