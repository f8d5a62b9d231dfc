"""The district's subgroup gaps, counted in SQL, are the pandas path's to the last count, suppression included."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from builders import random_district_files
from conftest import write_folder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from outofcore_agreement import assert_same_table

import plc_analysis as plc
from plc_analysis import report_scopes
from plc_analysis.bundled import SAMPLE_DIR
from plc_analysis.outofcore import district_subgroup_gaps, open_district
from plc_analysis.proficiency import MASTERY_RULES

BYS = ["team", "teacher", "section", "school", None, ["school", "team"]]


@pytest.fixture(scope="module")
def sample_district():
    with open_district(SAMPLE_DIR) as district:
        yield district


@pytest.mark.parametrize("rule", MASTERY_RULES)
def test_sample_every_rule_and_group(sample, sample_district, rule):
    for by in BYS:
        got = district_subgroup_gaps(sample_district, by, rule)
        assert_same_table(got, plc.subgroup_gaps(sample, by, rule), f"{rule} by {by}")


@pytest.mark.parametrize("audience", ["auto", "team", "beyond_team"])
def test_sample_suppression_is_the_same(sample, sample_district, audience):
    """Small cells hidden, and the cells that would give them away, exactly as in pandas."""
    for min_n in (1, 10, 40):
        got = district_subgroup_gaps(sample_district, "teacher", audience=audience, min_n=min_n)
        expected = plc.subgroup_gaps(sample, "teacher", audience=audience, min_n=min_n)
        assert_same_table(got, expected, f"{audience}, min_n {min_n}")
        if audience != "team" and min_n == 10:  # a district is read beyond the team: there is something to hide
            assert got["suppressed"].any() and not got["suppressed"].all()
            assert (got["suppression"] == "hidden so that a small group cannot be worked out by subtraction").any()


def test_sample_subgroups_and_confidence(sample, sample_district):
    got = district_subgroup_gaps(sample_district, "school", "highest", subgroups=["frl"], confidence=0.8)
    assert_same_table(got, plc.subgroup_gaps(sample, "school", "highest", subgroups=["frl"], confidence=0.8))
    assert set(got["subgroup"]) == {"frl"}


def test_units_of_any_outcome(sample, sample_district):
    """A table of student-level yes/no outcomes in the district's connection, with keys of its own."""
    units = sample.student_sections()[["student_id", "team_id", "school_id"]].drop_duplicates()
    units = units.assign(term="fall", flagged=units["student_id"].str[-1].isin(list("0246")))
    sample_district.con.register("flag_units", units)
    for by, keys in (("team", None), ("school", ["term"])):
        got = district_subgroup_gaps(sample_district, by, units="flag_units", outcome="flagged", keys=keys)
        expected = plc.subgroup_gaps(sample, by, units=units, outcome="flagged", keys=keys)
        assert_same_table(got, expected, f"by {by}")


def test_one_team_is_read_by_the_team(sample_district):
    sample_district.con.register(
        "one_team", pd.DataFrame({"student_id": ["st00001", "st00002"], "team_id": "T-G3", "ok": [True, False]})
    )
    got = district_subgroup_gaps(sample_district, "team", units="one_team", outcome="ok")
    assert set(got["audience"]) == {"team"} and "suppressed" not in got


def test_partitioned_district_is_the_same(sample, sample_partitioned):
    with open_district(sample_partitioned) as district:
        got = district_subgroup_gaps(district, "teacher", "mean")
    assert_same_table(got, plc.subgroup_gaps(sample, "teacher", "mean"))


def test_teams_of_two_schools_sharing_skills(sample, tmp_path):
    """A small cell of one school's team is protected from the other school's counts too, in the overview report.

    Computed school by school, the sixth-grade team moved to another school would show counts
    (e.g. 13 of 110 special-education students) that let the other team's hidden count be worked
    out from the district's total on the shared skill.
    """
    folder = shutil.copytree(SAMPLE_DIR, tmp_path / "district")
    teams = pd.read_csv(folder / "teams.csv", dtype=str, keep_default_na=False)
    moved = teams["team_id"] == "T-6MG"
    teams.loc[moved, "school_id"] = next(s for s in teams["school_id"] if s != teams.loc[moved, "school_id"].iloc[0])
    teams.to_csv(folder / "teams.csv", index=False)
    dataset = plc.load_dataset(folder)
    with open_district(folder) as district:
        got = district_subgroup_gaps(district, "team", audience="beyond_team")
    expected = plc.subgroup_gaps(dataset, "team", audience="beyond_team")
    assert_same_table(got, expected)
    by_school = pd.concat(
        [
            plc.subgroup_gaps(dataset.filter(school_id=s), "team", audience="beyond_team")
            for s in dataset.schools["school_id"]
        ]
    ).sort_values("team_id", kind="stable")
    assert (by_school["n_in_shown"].to_numpy() != expected["n_in_shown"].to_numpy()).any()  # what was at stake
    in_memory = report_scopes.scope_context(str(folder), audience="district", engine="pandas")
    out_of_core = report_scopes.scope_context(str(folder), audience="district", engine="duckdb")
    try:
        for by in ("team", "school"):
            got_html = report_scopes.equity_table(out_of_core, by)._repr_html_()
            assert got_html == report_scopes.equity_table(in_memory, by)._repr_html_(), by
    finally:
        out_of_core.engine.close()


def test_bad_arguments_get_the_pandas_messages(sample, sample_district):
    for kwargs in ({"subgroups": ["race"]}, {"by": "grade"}, {"units": "flagless", "outcome": "nope"}):
        sample_district.con.execute("CREATE OR REPLACE TEMP VIEW flagless AS SELECT 'x' AS student_id, 'T' AS team_id")
        with pytest.raises(ValueError) as got:
            district_subgroup_gaps(sample_district, **kwargs)
        pandas_kwargs = dict(kwargs)
        if "units" in pandas_kwargs:
            pandas_kwargs["units"] = pd.DataFrame({"student_id": ["x"], "team_id": ["T"]})
        with pytest.raises(ValueError) as expected:
            plc.subgroup_gaps(sample, **pandas_kwargs)
        assert str(got.value) == str(expected.value)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.composite(random_district_files)(subgroups=True, common=True),
    st.sampled_from(MASTERY_RULES),
    st.sampled_from(["team", "teacher", None]),
    st.sampled_from([1, 2, 3, 10]),
    st.sampled_from(["auto", "beyond_team"]),
)
def test_random_districts_agree(files, rule, by, min_n, audience):
    """Unknown subgroup values, text and true/false subgroups, skills shared by teams of two schools, double scoring."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_folder(Path(folder), files)
        dataset = plc.load_dataset(path)
        with open_district(path) as district:
            got = district_subgroup_gaps(district, by, rule, min_n=min_n, audience=audience)
    expected = plc.subgroup_gaps(dataset, by, rule, min_n=min_n, audience=audience)
    assert_same_table(got, expected, f"{rule} by {by}, min_n {min_n}, {audience}")
