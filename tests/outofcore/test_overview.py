"""The district overview's tables out of core are the pandas overview's; large districts are recognised by metadata."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from outofcore_agreement import assert_same_table

import plc_analysis as plc
from plc_analysis.bundled import SAMPLE_DIR
from plc_analysis.outofcore import open_district
from plc_analysis.outofcore import overview as ov


def test_overview_tables_are_the_pandas_ones(sample):
    with open_district(SAMPLE_DIR) as district:
        tables = ov.district_overview_tables(district, "mean")
    assert tables.counts == {
        "schools": len(sample.schools),
        "teams": len(sample.teams),
        "assessments": len(sample.assessments),
        "students_assessed": sample.scores["student_id"].nunique(),
        "score_rows": len(sample.scores),
    }
    assert_same_table(tables.by_team, plc.proficiency_by_skill(sample, "team", "mean"))
    assert_same_table(tables.district, plc.proficiency_by_skill(sample, None, "mean"))


def test_stored_rows_from_metadata(sample, sample_partitioned: Path, tmp_path: Path, monkeypatch):
    assert ov.stored_score_rows(sample_partitioned) == len(sample.scores)
    estimate = ov.stored_score_rows(SAMPLE_DIR)  # CSV: estimated from the file's size
    assert 0.5 * len(sample.scores) < estimate < 2 * len(sample.scores)
    assert not ov.large_district(sample_partitioned)
    monkeypatch.setattr(ov, "LARGE_DISTRICT_ROWS", len(sample.scores))
    assert ov.large_district(sample_partitioned)
    assert not ov.large_district(tmp_path / "nowhere")
    pd.DataFrame({"student_id": ["s"]}).to_parquet(tmp_path / "scores.parquet")
    assert ov.stored_score_rows(tmp_path) == 1
