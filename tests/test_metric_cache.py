"""Metric results cached on their Dataset: computed once, handed out as copies the caller may change."""

from __future__ import annotations

import pandas as pd

from plc_analysis import compare_to_team, proficiency_by_skill, rater_calibration
from plc_analysis.metric_cache import cached_metric


def test_a_metric_is_computed_once_per_dataset_however_it_is_called(sample):
    calls = []

    @cached_metric
    def counted(dataset, by="team", *, rule="most_recent", **filters):
        calls.append((by, rule, filters))
        return pd.DataFrame({"n": [len(dataset.scores)]})

    team = sample.filter(team_id="T-G3")
    first = counted(team)
    assert counted(team, "team").equals(first) and counted(team, by="team", rule="most_recent").equals(first)
    assert len(calls) == 1  # the same call, spelled three ways
    counted(team, by=["team", "teacher"])
    counted(team, by=["team", "teacher"])
    counted(team, school_id="S01")
    assert len(calls) == 3  # lists and **filters are keys too
    counted(sample.filter(team_id="T-G3"))
    assert len(calls) == 4  # a new (filtered) dataset starts with an empty cache
    counted(team, by=pd.Series(["team"]))
    counted(team, by=pd.Series(["team"]))
    assert len(calls) == 6  # unhashable arguments are not cached


def test_changing_a_returned_table_leaves_the_cached_one_alone(sample):
    team = sample.filter(team_id="T-5M")
    table = proficiency_by_skill(team, by="team", rule="mean")
    expected = table.copy(deep=True)
    table["share_proficient"] = -1.0
    table.loc[0, "n_assessed"] = 0
    del table["ci_low"]
    pd.testing.assert_frame_equal(proficiency_by_skill(team, by="team", rule="mean"), expected)


def test_cached_results_equal_fresh_ones(sample):
    cached = sample.filter(team_id="T-ALG1")
    for func, args in ((compare_to_team, ("skill",)), (rater_calibration, ()), (proficiency_by_skill, ("teacher",))):
        once = func(cached, *args)
        pd.testing.assert_frame_equal(func(cached, *args), once)
        pd.testing.assert_frame_equal(func(sample.filter(team_id="T-ALG1"), *args), once)
