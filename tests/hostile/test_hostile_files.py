"""Hostile and careless files: every unreadable file is one line and exit 1; no row is lost (issue 24, 19.6)."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import MINI, write_folder
from hostile_helpers import assert_conserved, assert_one_line, plc_fixture  # noqa: F401 (the plc fixture)

from plc_analysis import PLCDataError, load_dataset, readers
from plc_analysis.readers import MAX_CELL_CHARS, MAX_COLUMNS

SHEET = Path(__file__).resolve().parent.parent / "data" / "scoresheet_cfa3.csv"


def folder_with(tmp_path: Path, **files: str | bytes) -> Path:
    """The mini district with some files replaced (``scores_csv=...`` names scores.csv)."""
    replaced = {name.replace("_csv", ".csv").replace("_parquet", ".parquet"): v for name, v in files.items()}
    return write_folder(tmp_path / "district", {**MINI, **replaced})


def validate_fails_on(plc, folder: Path, file: str, *phrases: str) -> str:
    """``plc validate`` exits 1 and lists the file's problem on one line; returns that line."""
    ran = plc("validate", folder)
    assert ran.code == 1, ran.out + ran.err
    assert "Traceback" not in ran.out + ran.err
    lines = [line for line in ran.out.splitlines() if line.strip().startswith(f"- {file}")]
    assert lines, ran.out
    for phrase in phrases:
        assert any(phrase in line for line in lines), (phrase, lines)
    return lines[0]


# ---------------------------------------------------------------------------
# a single input that is not what its name says
# ---------------------------------------------------------------------------
def test_an_unsupported_file_is_one_line(plc, tmp_path):
    (tmp_path / "x.txt").write_text("hello")
    assert_one_line(plc("validate", tmp_path / "x.txt"), 1, "x.txt", "not an input the workbook reads")


def test_a_zip_without_a_manifest_is_one_line(plc, tmp_path):
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as archive:
        archive.writestr("notes.txt", "nothing")
    assert_one_line(plc("validate", tmp_path / "export.zip"), 1, "export.zip", "read as a OneRoster export", "neither")


@pytest.mark.parametrize(
    ("name", "content", "phrase"),
    [
        ("sheet.xlsx", b"", "is not a Excel workbook"),
        ("sheet.xlsx", b"Student ID,Q1\n1,1\n", "is not a Excel workbook"),
        ("sheet.xlsx", b"PK\x03\x04" + b"\x00" * 40, "is not a Excel workbook"),
        ("export.zip", b"", "is not a zip archive"),
        ("export.zip", b"this is text", "is not a zip archive"),
        ("export.zip", b"PK\x05\x06" + b"\x00" * 18, "but it has neither"),
    ],
)
def test_an_empty_corrupt_or_non_zip_workbook_or_zip_is_one_line(plc, tmp_path, name, content, phrase):
    (tmp_path / name).write_bytes(content)
    assert_one_line(plc("validate", tmp_path / name), 1, name, phrase)


def test_a_workbook_with_a_damaged_part_is_one_line(plc, tmp_path):
    good = tmp_path / "good.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["Student ID", "Q1"])
    workbook.save(good)
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(tmp_path / "bad.xlsx", "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, data[: len(data) // 2] if info.filename.endswith("sheet1.xml") else data)
    ran = plc("validate", tmp_path / "bad.xlsx")
    assert_one_line(ran, 1, "bad.xlsx")


def test_a_zip_bomb_is_refused_before_it_expands(plc, tmp_path):
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.csv", "propertyName,value\n")
        archive.writestr("users.csv", b"0" * (4 << 20))
    assert_one_line(plc("validate", tmp_path / "bomb.zip"), 1, "bomb.zip", "users.csv", "zip bomb")


def test_an_encrypted_zip_member_is_refused(plc, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("users.csv", "sourcedId\n")
    data = bytearray(buffer.getvalue())
    # set the "encrypted" flag in the local and central headers
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + offset] |= 1
    (tmp_path / "locked.zip").write_bytes(bytes(data))
    assert_one_line(plc("validate", tmp_path / "locked.zip"), 1, "locked.zip", "encrypted")


# ---------------------------------------------------------------------------
# files in a canonical folder
# ---------------------------------------------------------------------------
def test_utf16_with_an_odd_byte_is_a_problem_of_that_file(plc, tmp_path):
    data = b"\xff\xfe" + MINI["scores.csv"].encode("utf-16-le") + b"\x00"
    folder = folder_with(tmp_path, scores_csv=data)
    validate_fails_on(plc, folder, "scores.csv", "UTF-16 byte-order mark but is not UTF-16")


def test_a_bom_on_cp1252_text_is_read_as_cp1252_with_a_warning(tmp_path):
    students = MINI["students.csv"].replace("Ana", "Zoé").encode("cp1252")
    folder = folder_with(tmp_path, students_csv=b"\xef\xbb\xbf" + students)
    dataset = load_dataset(folder, errors="quarantine")
    assert "Zoé" in set(dataset.tables["students"]["first_name"])
    warnings = dataset.problems[dataset.problems["severity"] == "warning"]["reason"]
    assert warnings.str.contains("despite its UTF-8 byte-order mark").any()
    assert_conserved(dataset, folder, "students")


def test_a_quoted_cell_over_the_limit_is_a_problem_naming_its_line(plc, tmp_path):
    big = "x" * (MAX_CELL_CHARS + 10)
    folder = folder_with(tmp_path, teachers_csv=f'teacher_id,team_id,name\nt1,T3,"{big}"\nt2,T3,Mr. Bell\n')
    line = validate_fails_on(plc, folder, "teachers.csv", f"longer than {MAX_CELL_CHARS:,} characters")
    assert "line 2" in line


def test_a_cell_just_under_the_limit_is_read(tmp_path):
    long_name = "x" * (MAX_CELL_CHARS - 1)
    folder = folder_with(tmp_path, teachers_csv=f'teacher_id,team_id,name\nt1,T3,"{long_name}"\nt2,T3,Mr. Bell\n')
    dataset = load_dataset(folder)
    assert set(dataset.tables["teachers"]["name"]) == {long_name, "Mr. Bell"}


def test_a_folder_in_place_of_a_file_is_a_problem(plc, tmp_path):
    folder = folder_with(tmp_path)
    (folder / "goals.csv").mkdir()
    validate_fails_on(plc, folder, "goals.csv", "is a folder, not a file")


def test_a_symlink_to_itself_is_an_error_not_an_absent_file(plc, tmp_path):
    folder = folder_with(tmp_path)
    os.symlink("goals.csv", folder / "goals.csv")
    validate_fails_on(plc, folder, "goals.csv", "loop of links")


def test_a_broken_symlink_is_an_error_not_an_absent_file(plc, tmp_path):
    folder = folder_with(tmp_path)
    os.symlink("nowhere.csv", folder / "goals.csv")
    validate_fails_on(plc, folder, "goals.csv", "does not exist")


def test_a_file_that_cannot_be_opened_is_a_problem(plc, tmp_path, monkeypatch):
    folder = folder_with(tmp_path)
    real_open = open

    def refusing(path, *args, **kwargs):
        if str(path).endswith("teachers.csv"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(readers, "open", refusing, raising=False)
    validate_fails_on(plc, folder, "teachers.csv", "permission denied")


def test_a_pipe_in_place_of_a_file_is_refused_without_blocking(plc, tmp_path):
    folder = folder_with(tmp_path)
    os.mkfifo(folder / "goals.csv")
    validate_fails_on(plc, folder, "goals.csv", "not a regular file")


def test_a_truncated_parquet_table_is_a_problem(plc, tmp_path):
    folder = folder_with(tmp_path)
    pd.read_csv(folder / "scores.csv", dtype=str).to_parquet(tmp_path / "scores.parquet")
    (folder / "scores.csv").unlink()
    data = (tmp_path / "scores.parquet").read_bytes()
    (folder / "scores.parquet").write_bytes(data[: len(data) // 2])
    validate_fails_on(plc, folder, "scores.parquet", "not a readable Parquet file")


def test_csv_text_named_parquet_is_a_problem(plc, tmp_path):
    folder = folder_with(tmp_path)
    shutil.move(folder / "scores.csv", folder / "scores.parquet")
    validate_fails_on(plc, folder, "scores.parquet", "not a readable Parquet file")


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        (b"PK\x03\x04" + bytes(range(256)) * 4, "is a zip archive"),
        (b"PAR1" + bytes(200), "is a Parquet file"),
        (b"\xd0\xcf\x11\xe0" + bytes(200), "old Excel .xls"),
        (bytes(range(256)) * 8, "is binary data"),
        (MINI["scores.csv"].encode("utf-16-le"), "UTF-16 text without a byte-order mark"),
    ],
)
def test_binary_or_another_format_named_csv_is_a_problem(plc, tmp_path, content, phrase):
    folder = folder_with(tmp_path, scores_csv=content)
    validate_fails_on(plc, folder, "scores.csv", phrase)


def test_a_header_over_the_column_limit_is_refused(plc, tmp_path):
    header = ",".join(["student_id", "assessment_id", "item_id", "points"] + [f"x{i}" for i in range(20_000)])
    folder = folder_with(tmp_path, scores_csv=header + "\n" + "007,A1,i1,1" + ",1" * 20_000 + "\n")
    validate_fails_on(plc, folder, "scores.csv", f"over the {MAX_COLUMNS:,}-column limit")


def test_a_wide_header_under_the_limit_loads_every_row(tmp_path):
    extras = [f"x{i}" for i in range(1_500)]
    rows = ["student_id,grade,first_name,last_name," + ",".join(extras)]
    rows += [f"{s},3,A,B," + ",".join("1" for _ in extras) for s in ("007", "008", "009", "010")]
    folder = folder_with(tmp_path, students_csv="\n".join(rows) + "\n")
    dataset = load_dataset(folder, errors="quarantine")
    assert len(dataset.tables["students"]) == 4
    assert set(extras) <= set(dataset.tables["students"].columns)


def test_a_folder_that_cannot_be_listed_is_one_line(plc, tmp_path, monkeypatch):
    folder = folder_with(tmp_path)

    def refuse(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "iterdir", refuse)
    monkeypatch.setattr(os, "listdir", refuse)
    assert_one_line(plc("validate", folder), 1, "cannot be listed")


# ---------------------------------------------------------------------------
# ids with characters a reader cannot see, or letters that only look Latin
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("student_id", "phrase"),
    [
        ("0\x0007", "U+0000"),
        ("00\u200b7", "U+200B ZERO WIDTH SPACE"),
        ("007\u202e", "U+202E"),
        ("00\u00a07", "U+00A0 NO-BREAK SPACE"),
    ],
)
def test_an_id_with_an_invisible_character_is_rejected(tmp_path, student_id, phrase):
    students = MINI["students.csv"].replace("010,3,Di", f"{student_id},3,Di")
    folder = folder_with(tmp_path, students_csv=students)
    dataset = load_dataset(folder, errors="quarantine")
    assert student_id not in set(dataset.tables["students"]["student_id"])
    rejected = dataset.rejected[dataset.rejected["file"] == "students.csv"]
    assert len(rejected) == 1 and phrase in rejected["reason"].iloc[0]
    assert_conserved(dataset, folder, "students")
    with pytest.raises(PLCDataError, match=phrase.replace("+", r"\+")):
        load_dataset(folder)


@pytest.mark.parametrize(
    ("student_id", "phrase"),
    [("\u0405007", "CYRILLIC CAPITAL LETTER DZE"), ("０07", "FULLWIDTH DIGIT ZERO"), ("\u039f07", "GREEK")],
)
def test_an_id_with_a_lookalike_character_is_reported(tmp_path, student_id, phrase):
    students = MINI["students.csv"].replace("010,3,Di", f"{student_id},3,Di")
    folder = folder_with(tmp_path, students_csv=students)
    dataset = load_dataset(folder, errors="quarantine")
    warnings = dataset.problems[
        (dataset.problems["severity"] == "warning") & (dataset.problems["file"] == "students.csv")
    ]
    assert warnings["reason"].str.contains(phrase).any()
    assert (warnings["value"] == student_id).any()
    assert_conserved(dataset, folder, "students")


def test_ids_in_one_script_or_accented_latin_are_not_suspicious(tmp_path):
    students = MINI["students.csv"].replace("010,3,Di", "Иван,3,Di").replace("009,3,Cy", "Zoé-9,3,Cy")
    enrollments = MINI["enrollments.csv"].replace("010,", "Иван,").replace("009,", "Zoé-9,")
    scores = MINI["scores.csv"].replace("009,", "Zoé-9,")
    folder = folder_with(tmp_path, students_csv=students, enrollments_csv=enrollments, scores_csv=scores)
    dataset = load_dataset(folder)
    assert not len(dataset.problems[dataset.problems["severity"] == "warning"])
    assert {"Иван", "Zoé-9"} <= set(dataset.tables["students"]["student_id"])


# ---------------------------------------------------------------------------
# headers a careless export produces
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "header", ["team_id,school_id,name,name,subject", "team_id,school_id,,grade,subject", "team_id,team_id,name"]
)
def test_a_duplicate_or_blank_header_rejects_each_row_with_its_reason(tmp_path, header):
    body = "".join(f"T{i},S1,Team {i},3,ELA\n" for i in range(9))
    folder = folder_with(tmp_path, teams_csv=header + "\n" + body)
    dataset = load_dataset(folder, errors="quarantine")
    rejected = dataset.rejected[dataset.rejected["file"] == "teams.csv"]
    assert len(rejected) == 9
    assert rejected["reason"].str.contains("header is ambiguous").all()
    assert_conserved(dataset, folder, "teams")


def test_empty_trailing_header_cells_name_no_column(tmp_path):
    teams = "team_id,school_id,name,grade,subject,,\nT3,S1,Grade 3 ELA,3,ELA,,\n"
    folder = folder_with(tmp_path, teams_csv=teams)
    dataset = load_dataset(folder)
    assert list(dataset.tables["teams"]["team_id"]) == ["T3"]


# ---------------------------------------------------------------------------
# workbooks
# ---------------------------------------------------------------------------
def sheet_workbook(path: Path, stray: str | None = None) -> Path:
    """The test score sheet as an .xlsx with an 'items' sheet; ``stray`` adds a cell there (e.g. 'XFD1048576')."""
    workbook = openpyxl.Workbook()
    scores = workbook.active
    scores.title = "Scores"
    for row in pd.read_csv(SHEET, header=None, dtype=str, keep_default_na=False).itertuples(index=False):
        scores.append(list(row))
    if stray:
        scores[stray] = "x"
    items = workbook.create_sheet("items")
    for row in pd.read_csv(SHEET.with_name("scoresheet_cfa3_items.csv"), header=None, dtype=str).itertuples(
        index=False
    ):
        items.append(["" if pd.isna(v) else v for v in row])
    workbook.save(path)
    return path


def test_a_cell_at_the_last_column_and_row_is_refused_quickly(plc, tmp_path):
    path = sheet_workbook(tmp_path / "cfa.xlsx", stray="XFD1048576")
    assert_one_line(plc("validate", path), 1, "cfa.xlsx", "XFD1048576", f"{MAX_COLUMNS:,}-column limit")


def test_a_stray_cell_far_down_costs_one_row(tmp_path):
    plain = load_dataset(sheet_workbook(tmp_path / "plain.xlsx"), errors="quarantine")
    stray = load_dataset(sheet_workbook(tmp_path / "stray.xlsx", stray="B1048576"), errors="quarantine")
    assert len(stray.tables["scores"]) == len(plain.tables["scores"])
    assert (stray.rejected["line"] == 1048576).any()


ONEROSTER = Path(__file__).resolve().parent.parent / "data" / "oneroster11"


@pytest.mark.parametrize("kind", ["folder", "loop"])
def test_a_oneroster_table_that_is_not_a_file_is_named_not_absent(plc, tmp_path, kind):
    export = tmp_path / "export"
    shutil.copytree(ONEROSTER, export)
    (export / "enrollments.csv").unlink()
    if kind == "folder":
        (export / "enrollments.csv").mkdir()
    else:
        os.symlink("enrollments.csv", export / "enrollments.csv")
    assert_one_line(plc("validate", export), 1, "enrollments.csv", "folder" if kind == "folder" else "loop")
