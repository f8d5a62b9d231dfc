"""The district's proficiency by skill, counted in SQL, is the pandas path's to the last count."""

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
from plc_analysis.outofcore import open_district
from plc_analysis.outofcore.mastery import MASTERY_COLUMNS, mastery_view
from plc_analysis.outofcore.proficiency_sql import district_proficiency_by_skill
from plc_analysis.proficiency import MASTERY_RULES

BYS = ["team", "teacher", "section", "school", None, "ell", ["team", "frl"]]


@pytest.fixture(scope="module")
def sample_district():
    with open_district(SAMPLE_DIR) as district:
        yield district


@pytest.mark.parametrize("rule", MASTERY_RULES)
def test_sample_every_rule_and_group(sample, sample_district, rule):
    for by in BYS:
        got = district_proficiency_by_skill(sample_district, by, rule)
        assert_same_table(got, plc.proficiency_by_skill(sample, by, rule), f"{rule} by {by}")


def test_sample_cut_weight_and_confidence(sample, sample_district):
    got = district_proficiency_by_skill(sample_district, "teacher", "decaying_average", weight=0.4, cut=0.6)
    expected = plc.proficiency_by_skill(sample, "teacher", "decaying_average", weight=0.4, cut=0.6)
    assert_same_table(got, expected)
    got = district_proficiency_by_skill(sample_district, "team", confidence=0.8)
    assert_same_table(got, plc.proficiency_by_skill(sample, "team", confidence=0.8))


def test_sample_mastery_rows(sample, sample_district):
    """Every student × skill standing, not only the counts (excused students, reassessments, double scoring)."""
    for rule in ("most_recent", "highest", "mean"):
        table = mastery_view(sample_district, rule)
        got = sample_district.sql(f"SELECT {', '.join(MASTERY_COLUMNS)} FROM {table} ORDER BY student_id, skill_id")
        expected = plc.student_skill_mastery(sample, rule).sort_values(["student_id", "skill_id"], kind="stable")
        assert_same_table(got.reset_index(drop=True), expected.reset_index(drop=True), rule)


def test_partitioned_district_is_the_same(sample, sample_partitioned):
    with open_district(sample_partitioned) as district:
        got = district_proficiency_by_skill(district, "teacher")
    assert_same_table(got, plc.proficiency_by_skill(sample, "teacher"))


def test_unknown_rule_and_group_are_refused(sample_district):
    with pytest.raises(ValueError, match="rule must be one of"):
        district_proficiency_by_skill(sample_district, "team", "latest")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="subgroup"):
        district_proficiency_by_skill(sample_district, "nonsense")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.composite(random_district_files)(), st.sampled_from(MASTERY_RULES), st.sampled_from(["team", "teacher", None])
)
def test_random_districts_agree(files, rule, by):
    """Ids that do not sort as numbers, shared students, same-day reassessments, absences, double scoring."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_folder(Path(folder), files)
        dataset = plc.load_dataset(path)
        with open_district(path) as district:
            got = district_proficiency_by_skill(district, by, rule)
    assert_same_table(got, plc.proficiency_by_skill(dataset, by, rule), f"{rule} by {by}")
