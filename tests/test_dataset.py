"""Dataset joins and filters: a filtered dataset is itself valid canonical data."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import plc_analysis as plc


def test_repr_shows_table_sizes(sample):
    text = repr(sample)
    for name in ("schools=3", "teams=9", "scores=", "interventions="):
        assert name in text


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_every_team_extract_round_trips_and_validates(sample, tmp_path, fmt):
    for team_id in sample.teams["team_id"]:
        part = sample.filter(team_id=team_id)
        again = plc.load_dataset(part.write(tmp_path / f"{team_id}-{fmt}", fmt=fmt))  # raises if invalid
        assert len(again.scores) == len(part.scores) > 0
        assert set(again.teams["team_id"]) == {team_id}
        assert len(again.interventions) == len(part.interventions)


def test_filters_combine(sample):
    g3 = sample.filter(team_id="T-G3")
    teacher = g3.teachers["teacher_id"].iloc[0]
    one = sample.filter(team_id="T-G3", teacher_id=teacher, start="2025-10-01", end="2025-12-31")
    responses = one.responses()
    assert set(responses["teacher_id"]) == {teacher}
    assert responses["date"].between("2025-10-01", "2025-12-31").all()
    assert one.filters == {"team_id": "T-G3", "teacher_id": teacher, "start": "2025-10-01", "end": "2025-12-31"}
    skill = g3.skills["skill_id"].iloc[0]
    assert set(sample.filter(team_id="T-G3", skill_id=skill).responses()["skill_id"]) == {skill}


def test_shared_skills_follow_items(sample):
    blue = sample.filter(team_id="T-6MB")
    g3 = sample.filter(team_id="T-G3")
    assert blue.skills["skill_id"].str.startswith("6M").all() and len(blue.skills) > 0
    assert not g3.skills["skill_id"].str.startswith("6M").any()


def test_responses_attribute_each_score_to_the_students_section(sample):
    r = sample.responses()
    assert r["teacher_id"].notna().all() and r["section_id"].notna().all()
    assert len(r) == len(sample.scores_of_record())
    assert (r["earned"] <= r["max_points"]).all()


def test_roster_marks_absences(sample):
    roster = sample.roster()
    assert 0.9 < roster["present"].mean() < 1.0  # the sample plants about 4% absences


def test_batch_extract_is_read_as_validated_until_it_changes(sample, tmp_path):
    """A batch's extract skips validation only while its tables are the ones the batch wrote."""
    import json

    import pandas as pd

    from plc_analysis import PLCDataError, load_dataset
    from plc_analysis.extract import EXTRACT_MARKER, read_extract, write_extract
    from plc_analysis.loading import load_canonical

    folder = write_extract(sample.filter(team_id="T-G3"), tmp_path / "extract")
    trusted, validated = load_dataset(folder), load_canonical(folder)
    assert any("validated there" in note for note in trusted.notes)
    for name, table in validated.tables.items():
        pd.testing.assert_frame_equal(trusted.tables[name], table, obj=name)  # same rows, same dtypes

    scores = pd.read_parquet(folder / "scores.parquet")
    scores.loc[0, "points"] = 99.0  # edited after the batch wrote it: validated again, and refused
    scores.to_parquet(folder / "scores.parquet", index=False)
    assert read_extract(folder) is None
    with pytest.raises(PLCDataError, match="points"):
        load_dataset(folder)

    folder = write_extract(sample.filter(team_id="T-G3"), tmp_path / "extract2")
    (folder / "goals.csv").write_text("goal_id\n", encoding="utf-8")  # a table the marker does not list
    assert read_extract(folder) is None
    (folder / "goals.csv").unlink()
    (folder / EXTRACT_MARKER).write_text(json.dumps({"format": "other"}), encoding="utf-8")
    assert read_extract(folder) is None
    (folder / EXTRACT_MARKER).write_text("{not json", encoding="utf-8")
    assert read_extract(folder) is None and len(load_dataset(folder).scores) == len(trusted.scores)


def test_an_empty_selection_keeps_nothing_rather_than_everything():
    from plc_analysis.loading import SAMPLE_PATH, load_dataset

    ds = load_dataset(SAMPLE_PATH)
    none = ds.filter(team_id=[])
    assert none.teams.empty and none.scores.empty and none.students.empty and none.goals.empty
    no_assessments = ds.filter(team_id="T-G3", assessment_id=[])
    assert list(no_assessments.teams["team_id"]) == ["T-G3"]  # the team is still there, with nothing assessed
    assert no_assessments.assessments.empty and no_assessments.scores.empty
    assert ds.filter(skill_id=[]).scores.empty and ds.filter(teacher_id=[]).sections.empty
    assert len(ds.filter(team_id=None).scores) == len(ds.scores)  # None still means no filter


def _filtered_the_long_way(dataset, **filters):
    """``dataset.filter(**filters)`` computed from its rows, as if it had never been filtered."""
    from dataclasses import replace

    return replace(dataset, filters={}).filter(**filters)


def _assert_same_tables(left, right):
    import pandas as pd

    for name, table in left.tables.items():
        pd.testing.assert_frame_equal(table, right.tables[name], obj=name)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_cutting_to_the_same_schools_or_teams_again_returns_the_dataset_unchanged(sample, data):
    """The short cut is sound: the rows a second cut would keep are exactly the dataset's rows."""
    teams = sorted(sample.teams["team_id"])
    schools = sorted(sample.schools["school_id"])
    first = data.draw(
        st.fixed_dictionaries(
            {},
            optional={
                "team_id": st.one_of(st.sampled_from(teams), st.lists(st.sampled_from(teams), unique=True)),
                "school_id": st.one_of(
                    st.sampled_from(schools), st.lists(st.sampled_from(schools), min_size=1, unique=True)
                ),
            },
        ).filter(bool)
    )
    again = data.draw(st.sampled_from([{k: v} for k, v in first.items()] + [first]))
    cut = sample.filter(**first)
    assert cut.filter(**again) is cut
    _assert_same_tables(cut, _filtered_the_long_way(cut, **again))


def test_other_filters_are_applied_again_rather_than_short_cut(sample):
    cut = sample.filter(team_id="T-G3")
    assert cut.filter(team_id="T-5M") is not cut and cut.filter(team_id="T-5M").teams.empty
    assert cut.filter(team_id=["T-G3", "T-5M"]) is not cut  # a different choice, even if it keeps the same rows
    assert cut.filter(team_id="T-G3", start="2025-10-01") is not cut
    dated = sample.filter(team_id="T-G3", start="2025-10-01")
    assert dated.filter(team_id="T-G3") is not dated  # dates cut skills and items: not known to be unchanged
    assert sample.filter(team_id="T-G3") is not sample  # a whole load was never cut


def test_an_extract_remembers_the_team_it_was_cut_to(sample, tmp_path):
    from plc_analysis.extract import read_extract, write_extract
    from plc_analysis.report import team_context

    extract = read_extract(write_extract(sample.filter(team_id="T-G3"), tmp_path / "team"))
    assert extract.filters == {"team_id": "T-G3"}
    assert extract.filter(team_id="T-G3") is extract
    _assert_same_tables(extract, _filtered_the_long_way(extract, team_id="T-G3"))
    # a report over a period still cuts its own dataset, and its goals (over the year) use the extract itself
    context = team_context(str(tmp_path / "team"), "T-G3")
    assert context.team is context.district
    dated = team_context(str(tmp_path / "team"), "T-G3", start="2025-10-01")
    assert dated.team is not dated.district and dated.district.filter(team_id="T-G3") is dated.district
    school = read_extract(write_extract(sample.filter(school_id={"S01"}), tmp_path / "school"))  # any collection
    assert school.filters == {"school_id": ["S01"]} and school.filter(school_id="S01") is school
    # cut by a date too: nothing recorded, so nothing short-cut
    extract = read_extract(write_extract(sample.filter(team_id="T-G3", end="2025-12-31"), tmp_path / "dated"))
    assert extract.filters == {} and extract.filter(team_id="T-G3") is not extract


def test_each_table_is_a_typed_attribute_and_nothing_else_is(sample):
    """No __getattr__: the tables are declared fields, so a typo is an AttributeError and type checkers see them."""
    import dataclasses

    from plc_analysis.schema import TABLE_ORDER

    fields = {f.name: f.type for f in dataclasses.fields(plc.Dataset)}
    for name in TABLE_ORDER:
        assert fields[name] in ("pd.DataFrame", "DataFrame")
        assert sample[name] is getattr(sample, name) is sample.tables[name]
    assert "__getattr__" not in vars(plc.Dataset)
    with pytest.raises(AttributeError):
        sample.score  # noqa: B018
    with pytest.raises(KeyError):
        sample["score"]


def test_frozen_means_frozen(sample):
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        sample.scores = sample.scores.head(0)
    with pytest.raises(TypeError):
        sample.tables["scores"] = sample.scores.head(0)  # a read-only view
    edited = dataclasses.replace(sample, scores=sample.scores.head(10))
    assert len(edited.scores) == 10 and len(sample.scores) > 10
    assert len(edited.responses()) <= 10  # a new dataset computes afresh


def test_from_tables_fills_absent_tables_and_refuses_unknown_ones(sample):
    given = {"schools": sample.schools, "teams": sample.teams}
    built = plc.Dataset.from_tables(given)
    assert list(given) == ["schools", "teams"]  # the caller's mapping is left alone
    assert built.scores.empty and list(built.scores.columns) == list(sample.scores.columns)
    with pytest.raises(ValueError, match="not canonical table.*scorez"):
        plc.Dataset.from_tables({"scorez": sample.scores})


def test_cached_computes_once_per_dataset(sample):
    calls = []
    fresh = sample.uncached()
    assert fresh.cached("k", lambda: calls.append(1) or len(calls)) == 1
    assert fresh.cached("k", lambda: calls.append(1) or len(calls)) == 1
    assert fresh.uncached().cached("k", lambda: calls.append(1) or len(calls)) == 2
