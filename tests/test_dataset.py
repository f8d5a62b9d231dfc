"""Dataset joins and filters: a filtered dataset is itself valid canonical data."""

from __future__ import annotations

import pytest

import plc_analysis as plc


@pytest.fixture(scope="module")
def sample():
    return plc.load_sample()


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
