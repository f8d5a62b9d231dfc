"""The district's pooled team-to-team counts and teacher-to-team comparisons, counted in SQL, are the pandas path's."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from builders import random_district_files
from conftest import write_folder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from outofcore_agreement import assert_same_table

import plc_analysis as plc
from plc_analysis.bundled import SAMPLE_DIR
from plc_analysis.comparison import PEER_COLUMNS, peer_counts
from plc_analysis.outofcore import district_compare_counts, district_peer_counts, open_district
from plc_analysis.proficiency import MASTERY_RULES


@pytest.fixture(scope="module")
def sample_district():
    with open_district(SAMPLE_DIR) as district:
        yield district


@pytest.mark.parametrize("cut", [None, 0.6])
def test_sample_peer_counts(sample, sample_district, cut):
    got = district_peer_counts(sample_district, cut=cut)
    assert list(got.columns) == PEER_COLUMNS and len(got) and (got["n_teams"] >= 2).all()
    assert_same_table(got, peer_counts(sample, cut=cut), f"cut {cut}")


def test_peer_counts_serve_a_team_extract(sample, sample_district):
    """What a batch puts beside a team's extract: the team compares itself with the others as in the whole district."""
    peers = district_peer_counts(sample_district)
    whole = plc.compare_teams(sample, "skill")
    for team in sorted(whole["team_id"].unique()):
        alone = sample.filter(team_id=team)
        got = plc.compare_teams(alone, "skill", peers=peers[peers["team_id"] == team])
        assert_same_table(got, whole[whole["team_id"] == team].reset_index(drop=True), team)


def test_partitioned_peer_counts_are_the_batch_ones(sample, sample_partitioned):
    """The batch reads a partitioned district one school at a time for them; out of core reads it once."""
    schools = plc.load_partitioned(sample_partitioned).schools["school_id"]
    by_school = peer_counts(plc.load_partitioned(sample_partitioned, schools=[s]) for s in schools)
    with open_district(sample_partitioned) as district:
        got = district_peer_counts(district)
        compared = district_compare_counts(district)
    assert_same_table(got, by_school)
    assert_same_table(compared, plc.compare_to_team(sample))


@pytest.mark.parametrize("rule", MASTERY_RULES)
def test_sample_compare_to_team_every_rule(sample, sample_district, rule):
    got = district_compare_counts(sample_district, "skill", rule)
    assert_same_table(got, plc.compare_to_team(sample, "skill", rule), rule)


def test_sample_compare_to_team_options(sample, sample_district):
    options = {"min_n": 25, "confidence": 0.8, "weight": 0.4, "cut": 0.6}
    got = district_compare_counts(sample_district, "skill", "decaying_average", **options)
    expected = plc.compare_to_team(sample, "skill", "decaying_average", **options)
    assert_same_table(got, expected)
    assert set(got["signal"]) >= {"too few students", "no clear difference"}


def test_by_item_is_refused(sample_district):
    with pytest.raises(ValueError, match="per skill only"):
        district_compare_counts(sample_district, "item")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rule must be one of"):
        district_compare_counts(sample_district, "skill", "latest")  # type: ignore[arg-type]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.composite(random_district_files)(common=True),
    st.sampled_from(MASTERY_RULES),
    st.sampled_from([None, 0.5]),
    st.sampled_from([1, 3, 10]),
)
def test_random_districts_agree(files, rule, cut, min_n):
    """Common assessments shared by two or three teams or by none, in one or two schools, double scoring, absences."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_folder(Path(folder), files)
        dataset = plc.load_dataset(path)
        with open_district(path) as district:
            peers = district_peer_counts(district, cut=cut)
            compared = district_compare_counts(district, "skill", rule, cut=cut, min_n=min_n)
    assert_same_table(peers, peer_counts(dataset, cut=cut), f"peers, cut {cut}")
    expected = plc.compare_to_team(dataset, "skill", rule, cut=cut, min_n=min_n)
    assert_same_table(compared, expected, f"{rule}, cut {cut}, min_n {min_n}")
