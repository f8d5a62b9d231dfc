"""open_district: the small tables validated in pandas, the scores as views over their files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from plc_analysis import PLCDataError, load_dataset, load_partitioned
from plc_analysis.bundled import SAMPLE_DIR
from plc_analysis.outofcore import open_district, table_files


def test_flat_csv_sample_scores_are_the_loaded_ones(sample):
    with open_district(SAMPLE_DIR) as district:
        assert district.count() == len(sample.scores)
        assert district.count("students") == len(sample.students)
        assert len(district.small.scores) == 0
        got = district.sql("SELECT student_id, item_id, points, _file, _line FROM scores ORDER BY _line LIMIT 3")
    expected = pd.read_csv(SAMPLE_DIR / "scores.csv", dtype=str, nrows=3)
    assert list(got["student_id"]) == list(expected["student_id"])
    assert list(got["item_id"]) == list(expected["item_id"])
    assert list(got["_line"]) == [2, 3, 4]
    assert set(got["_file"]) == {"scores.csv"}


def test_partitioned_files_are_labelled_as_the_pandas_loader_labels_them(sample_partitioned: Path):
    files = table_files(sample_partitioned, "scores")
    assert files and all(f.label == f"school_id={f.school_id}/scores.parquet" for f in files)
    whole = load_partitioned(sample_partitioned)
    with open_district(sample_partitioned) as district:
        assert district.count() == len(whole.scores)
        first = district.sql(
            f"SELECT student_id, item_id, _line FROM scores WHERE _file = '{files[0].label}' ORDER BY _line LIMIT 2"
        )
    stored = pd.read_parquet(files[0].path).head(2)
    assert list(first["student_id"]) == list(stored["student_id"])
    assert list(first["_line"]) == [2, 3]


def test_a_broken_small_table_is_reported_with_every_problem(mini_folder: Path):
    students = mini_folder / "students.csv"
    students.write_text(students.read_text() + "st-x,\n", encoding="utf-8")  # a student without a grade
    with pytest.raises(PLCDataError) as caught:
        open_district(mini_folder)
    pandas_problems = {str(p) for p in _problems(mini_folder)}
    assert {str(p) for p in caught.value.problem_list} == pandas_problems
    with open_district(mini_folder, errors="quarantine") as district:
        assert len(district.rejected) == 1 and district.rejected["file"].iloc[0] == "students.csv"


def _problems(folder: Path) -> list:
    try:
        load_dataset(folder)
    except PLCDataError as exc:
        return exc.problem_list
    return []


def test_not_a_folder(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        open_district(tmp_path / "nowhere")
