"""The scores validated in SQL give the pandas path's problems and rejected rows, to the message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import MINI, write_folder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plc_analysis import PLCDataError, load_dataset
from plc_analysis.errors import Problem, problems_from_frame
from plc_analysis.outofcore import open_district, table_files
from plc_analysis.outofcore.score_checks import STRIPPED_CHARACTERS

SCORE_COLUMNS = ["student_id", "assessment_id", "item_id", "points", "response", "rater_id"]


def _pandas(folder: Path) -> tuple[list[Problem], pd.DataFrame, pd.DataFrame]:
    dataset = load_dataset(folder, errors="quarantine")
    return problems_from_frame(dataset.problems), dataset.rejected, dataset.scores[SCORE_COLUMNS]


def _out_of_core(folder: Path) -> tuple[list[Problem], pd.DataFrame, pd.DataFrame]:
    with open_district(folder, errors="quarantine") as district:
        scores = district.sql(f"SELECT {', '.join(SCORE_COLUMNS)} FROM scores")
        return list(district.problems), district.rejected, scores


def _rows(frame: pd.DataFrame) -> list[tuple]:
    cells = frame.astype(object).where(frame.notna(), None)
    return sorted(map(tuple, cells.itertuples(index=False)), key=repr)


def assert_same_as_pandas(folder: Path) -> tuple[list[Problem], pd.DataFrame]:
    """Both engines give the same problems (in order), rejected rows and valid scores; returns them."""
    problems, rejected, scores = _out_of_core(folder)
    expected_problems, expected_rejected, expected_scores = _pandas(folder)
    assert [str(p) for p in problems] == [str(p) for p in expected_problems]
    assert [p.severity for p in problems] == [p.severity for p in expected_problems]
    pd.testing.assert_frame_equal(
        rejected.reset_index(drop=True), expected_rejected.reset_index(drop=True), check_dtype=False
    )
    assert _rows(scores) == _rows(expected_scores)
    return problems, rejected


# ---------------------------------------------------------------------------
# planted errors of every kind
# ---------------------------------------------------------------------------
PLANTED_SCORES = (
    "student_id,assessment_id,item_id,points,response,rater_id,comment\n"
    "007,A1,i1,1,B,,ok\n"  # 2
    ",A1,i2,0,A,,blank student\n"  # 3
    "007,A1,,1,A,,blank item\n"  # 4
    "008,A1,i1,abc,D,,not a number\n"  # 5
    "008,A1,i2,-1,C,,negative\n"  # 6
    "008,A1,i3,5,,,over max_points\n"  # 7
    "009,A1,i1,1,B,,first\n"  # 8
    "009,A1,i1,0,B,,unrated duplicate\n"  # 9
    "009,A1,i3,3,,t1,rated\n"  # 10
    "009,A1,i3,2,,t1,rated duplicate\n"  # 11
    "099,A1,i1,1,B,,unknown student\n"  # 12
    "010,A1,i9,1,B,,unknown item\n"  # 13
    "010,A1,i3,2,,t9,unknown rater\n"  # 14
    "011,A1,i1,1,B,,not enrolled\n"  # 15
    "012,A1,i1,1,B,,rejected student\n"  # 16
    "00\uff17,A1,i2,1,C,,lookalike\n"  # 17
    "008\u200b,A1,i3,1,,,invisible\n"  # 18
    " 010 , A1 , i1 , 1e0 ,  B ,,spaces and odd number\n"  # 19
    "010,A1,i2,inf,C,,infinite\n"  # 20
    "010,A1,i3, ,,,blank points\n"  # 21
    "00\uff17,A1,i3,0,,,lookalike again\n"  # 22
    ",,,x,,t9,everything wrong\n"  # 23
)


@pytest.fixture
def planted_folder(tmp_path: Path) -> Path:
    files = dict(MINI)
    files["students.csv"] = MINI["students.csv"] + "011,3,Eve,Hu,false,false,no\n012,,Flo,Ito,false,false,no\n"
    files["scores.csv"] = PLANTED_SCORES
    return write_folder(tmp_path / "planted", files)


def test_every_planted_error_is_found_as_pandas_finds_it(planted_folder: Path):
    problems, rejected = assert_same_as_pandas(planted_folder)
    by_line = {(p.line, p.column): p for p in problems if p.file == "scores.csv"}
    assert by_line[(3, "student_id")].reason == "blank, but this column needs a value"
    assert by_line[(5, "points")].value == "abc" and by_line[(5, "points")].reason == "not a number"
    assert by_line[(6, "points")].reason == "must be at least 0"
    assert by_line[(7, "points")].reason == "more than the item's max_points"
    assert by_line[(9, "item_id")].reason == (
        "the same student and item scored twice without a rater_id (first seen on line 8)"
    )
    assert by_line[(11, "item_id")].reason == "the same student, item and rater scored twice (first seen on line 10)"
    assert by_line[(12, "student_id")].reason == "student_id '099' is not in students.csv"
    assert by_line[(13, "item_id")].value == "A1 / i9"
    assert by_line[(14, "rater_id")].reason == "rater_id 't9' is not in teachers.csv"
    assert by_line[(15, "student_id")].reason == (
        "student '011' is not enrolled in any section of team 'T3', which gives this assessment"
    )
    assert "refers to a row of students.csv that was rejected (line 7)" in by_line[(16, "student_id")].reason
    (lookalike,) = [p for p in problems if p.severity == "warning"]
    assert (lookalike.line, lookalike.value) == (17, "00\uff17")
    assert "compatibility form of '7'" in lookalike.reason and "(2 row(s); first on this line)" in lookalike.reason
    assert "U+200B" in by_line[(18, "student_id")].reason
    assert by_line[(20, "points")].reason == "not a number"
    assert 19 not in set(rejected["line"]) and 21 not in set(rejected["line"])
    everything = rejected.loc[rejected["line"] == 23, "reason"].item()
    assert everything.startswith("student_id: blank") and "points: not a number" in everything
    assert '"comment": "blank student"' in rejected.loc[rejected["line"] == 3, "row"].item()


def test_raise_mode_lists_the_same_problems(planted_folder: Path):
    with pytest.raises(PLCDataError) as ours:
        open_district(planted_folder)
    with pytest.raises(PLCDataError) as theirs:
        load_dataset(planted_folder)
    assert str(ours.value) == str(theirs.value)


def _as_parquet(folder: Path, *, typed_points: bool) -> Path:
    for csv in folder.glob("*.csv"):
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
        if csv.stem == "scores" and typed_points:
            frame["points"] = pd.to_numeric(frame["points"], errors="coerce")
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), csv.with_suffix(".parquet"))
        csv.unlink()
    return folder


@pytest.mark.parametrize("typed_points", [False, True])
def test_flat_parquet_agrees(planted_folder: Path, typed_points: bool):
    assert_same_as_pandas(_as_parquet(planted_folder, typed_points=typed_points))


def test_a_file_without_a_required_column_rejects_every_row(mini_folder: Path):
    scores = mini_folder / "scores.csv"
    text = scores.read_text().replace("points,", "score,")
    scores.write_text(text)
    problems, rejected = assert_same_as_pandas(mini_folder)
    assert problems[0].reason == "required column is missing from the header" and problems[0].line == 1
    assert len(rejected) == 10 and set(rejected["reason"]) == {"file lacks required column(s) points"}


# ---------------------------------------------------------------------------
# files the CSV reader reads line by line, and files that cannot be read
# ---------------------------------------------------------------------------
HEADER = "student_id,assessment_id,item_id,points,response,rater_id\n"
ODD_FILES = {
    "quoted cells": HEADER + '007,A1,i1,1,"B, then C",\n"008",A1,i1,0,"two\nlines",\n099,A1,i1,1,B,\n',
    "a blank line": HEADER + "007,A1,i1,1,B,\n\n,A1,i2,0,A,\n",
    "rows of the wrong width": HEADER + "007,A1,i1,1,B,\n007,A1,i2,0\n008,A1,i1,0,B,,extra\n099,A1,i1,1,B,\n",
    "a repeated header": "student_id,student_id,item_id,points,response,rater_id\n007,A1,i1,1,B,\n",
    "a blank header": "student_id,,assessment_id,item_id,points\n007,x,A1,i1,1\n",
    "CRLF line ends": HEADER.replace("\n", "\r\n") + "007,A1,i1,1,B,\r\n099,A1,i1,1,B,\r\n",
    "a lone carriage return": HEADER + "007,A1,i1,1,B,\r099,A1,i1,1,B,\n",
    "no data rows": HEADER,
    "an empty file": "",
    "a byte-order mark": "\ufeff" + HEADER + "007,A1,i1,1,B,\n099,A1,i1,1,B,\n",
    "mojibake": HEADER + "007,A1,i1,1,CafÃ©,\n",
}


@pytest.mark.parametrize("content", list(ODD_FILES.values()), ids=list(ODD_FILES))
def test_a_csv_file_read_line_by_line_agrees(mini_folder: Path, content: str):
    (mini_folder / "scores.csv").write_text(content, encoding="utf-8")
    assert_same_as_pandas(mini_folder)


def test_a_csv_file_in_another_encoding_agrees(mini_folder: Path):
    (mini_folder / "scores.csv").write_bytes((HEADER + "007,A1,i1,1,é,\n099,A1,i1,1,B,\n").encode("cp1252"))
    problems, _ = assert_same_as_pandas(mini_folder)
    assert any("not UTF-8" in p.reason for p in problems)


def test_a_quoted_cell_over_two_lines_shifts_the_lines_after_it(mini_folder: Path):
    (mini_folder / "scores.csv").write_text(ODD_FILES["quoted cells"], encoding="utf-8")
    problems, _ = assert_same_as_pandas(mini_folder)
    assert [(p.line, p.value) for p in problems] == [(5, "099")]


@pytest.mark.parametrize("damage", [b"not a parquet file at all", b"PAR1 truncated"])
def test_an_unreadable_scores_file_is_one_problem(mini_folder: Path, damage: bytes):
    (mini_folder / "scores.csv").unlink()
    (mini_folder / "scores.parquet").write_bytes(damage)
    problems, rejected = assert_same_as_pandas(mini_folder)
    assert len(problems) == 1 and problems[0].file == "scores.parquet" and not len(rejected)


def test_no_scores_file_is_a_missing_table(mini_folder: Path):
    (mini_folder / "scores.csv").unlink()
    problems, _ = assert_same_as_pandas(mini_folder)
    assert [p.reason for p in problems] == ["required file is missing"]


# ---------------------------------------------------------------------------
# a partitioned district
# ---------------------------------------------------------------------------
def _edit_partition(path: Path, change) -> None:
    frame = pq.read_table(path).to_pandas()
    pq.write_table(pa.Table.from_pandas(change(frame), preserve_index=False), path)


def test_partitioned_planted_errors_agree(sample_partitioned: Path, tmp_path: Path):
    district = shutil.copytree(sample_partitioned, tmp_path / "district")
    files = table_files(district, "scores")
    first, second = files[0].path, files[1].path
    moved = pq.read_table(first).to_pandas().iloc[[0, 1]]

    def break_first(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame.loc[3, "student_id"] = "nobody"
        frame.loc[4, "points"] = -2.0
        frame.loc[5, "points"] = 99.0
        frame.loc[6, "item_id"] = " "
        frame.loc[7, "rater_id"] = "t\u200b1"
        return pd.concat([frame, frame.iloc[[10]].assign(points=0.0)], ignore_index=True)

    _edit_partition(first, break_first)
    # an identical row in another school's file is read once; a repeated key with other points is a duplicate
    _edit_partition(second, lambda f: pd.concat([f, moved.iloc[[0]], moved.iloc[[1]].assign(points=7.0)]))
    problems, rejected = assert_same_as_pandas(district)
    assert {p.file for p in problems} >= {files[0].label, files[1].label}
    duplicate = [p for p in problems if "scored twice" in p.reason]
    assert len(duplicate) == 2 and any(p.file == files[1].label for p in duplicate)


def test_partitioned_unreadable_and_csv_partitions_agree(sample_partitioned: Path, tmp_path: Path):
    district = shutil.copytree(sample_partitioned, tmp_path / "district")
    files = table_files(district, "scores")
    files[0].path.write_bytes(b"PAR1 cut short")
    frame = pq.read_table(files[1].path).to_pandas()
    frame.loc[2, "student_id"] = "nobody"
    frame.to_csv(files[1].path.with_suffix(".csv"), index=False)
    files[1].path.unlink()
    problems, rejected = assert_same_as_pandas(district)
    assert problems[0].file == files[0].label and "could not read the file" in problems[0].reason
    assert rejected["file"].tolist() == [files[1].label.replace(".parquet", ".csv")]


# ---------------------------------------------------------------------------
# both engines agree on random damage
# ---------------------------------------------------------------------------
IDS = st.sampled_from(["007", "008", "009", "010", "099", "", " 008 ", "00\uff17", "0\u200b08", "S\u0405", "Ѕ07"])
ITEMS = st.sampled_from(["i1", "i2", "i3", "i9", "", "i\u200c1"])
POINTS = st.sampled_from(
    ["0", "1", "2", "4", "5", "-1", "", "x", "1.5", " 3 ", "1e0", "nan", "inf", "0.5e1", "+1", ".5", "5.", "-0"]
    + ["0x10", "1_0", "\u0661", "1,5", "1e400", "00012", "4.0000000001", "4.000000000001"]
)
RATERS = st.sampled_from(["", "t1", "t2", "t9", " t1"])
ROW = st.tuples(IDS, st.sampled_from(["A1", "A1", "A9", ""]), ITEMS, POINTS, st.sampled_from(["", "B", " C "]), RATERS)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, min_size=1, max_size=25), parquet=st.booleans())
def test_random_damage_gives_the_same_verdicts(tmp_path_factory: pytest.TempPathFactory, rows, parquet: bool):
    folder = tmp_path_factory.mktemp("random")
    files = dict(MINI)
    frame = pd.DataFrame(rows, columns=SCORE_COLUMNS)
    files["scores.csv"] = frame.to_csv(index=False)
    write_folder(folder, files)
    if parquet:
        (folder / "scores.csv").unlink()
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / "scores.parquet")
    assert_same_as_pandas(folder)


def test_stripped_characters_are_every_character_python_strips():
    assert STRIPPED_CHARACTERS == "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
