"""Wide CFA score sheets (CSV and XLSX) converted to the canonical dataset."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from plc_analysis import PLCDataError, load_dataset
from plc_analysis.scoresheet import load_score_sheet

DATA = Path(__file__).parent / "data"
SHEET = DATA / "scoresheet_cfa3.csv"
ITEMS = DATA / "scoresheet_cfa3_items.csv"
KEY = ["student_id", "assessment_id", "item_id"]
HEADER_ROW = 4  # two title rows and a blank row above the header


def read_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)
    return path


def _typed(text: str):
    """What a teacher typing into Excel gets: numbers as numbers, the rest as text."""
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


def make_xlsx(target: Path, sheet_rows: list[list[str]] | None = None, *, items_sheet: bool = True) -> Path:
    """The CSV score sheet as a teacher's workbook: merged title, numbers, a SUM formula, an Items sheet."""
    rows = sheet_rows if sheet_rows is not None else read_rows(SHEET)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "CFA 3 scores"
    for r, row in enumerate(rows, start=1):
        for c, text in enumerate(row, start=1):
            if text == "":
                continue
            header = rows[HEADER_ROW - 1]
            if r > HEADER_ROW and header[c - 1] == "Student ID":
                sheet.cell(r, c, text)  # ids typed as text keep their leading zero
            elif r > HEADER_ROW + 1 and header[c - 1] == "Total" and text:
                sheet.cell(r, c, f"=SUM(D{r}:H{r})")  # never calculated: no saved value
            else:
                sheet.cell(r, c, _typed(text))
    sheet.merge_cells("A1:I1")
    if items_sheet:
        items = workbook.create_sheet("Items")
        for r, row in enumerate(read_rows(ITEMS), start=1):
            for c, text in enumerate(row, start=1):
                if text != "":
                    items.cell(r, c, _typed(text) if r > 1 and c in (3, 5) else text)
    workbook.save(target)
    return target


@pytest.fixture(scope="module")
def csv_sheet():
    return load_score_sheet(SHEET)


def problems_at(ds_or_error, line: int, column: str) -> pd.DataFrame:
    frame = ds_or_error.problems
    return frame[(frame["line"] == line) & (frame["column"] == column)]


# -- a clean sheet -----------------------------------------------------------------------
def test_csv_sheet_builds_the_canonical_tables(csv_sheet):
    ds = csv_sheet
    counts = {
        n: len(ds[n])
        for n in (
            "schools",
            "teams",
            "teachers",
            "sections",
            "students",
            "enrollments",
            "skills",
            "assessments",
            "items",
            "scores",
        )
    }
    assert counts == {
        "schools": 1,
        "teams": 1,
        "teachers": 2,
        "sections": 2,
        "students": 12,
        "enrollments": 12,
        "skills": 3,
        "assessments": 1,
        "items": 5,
        "scores": 50,
    }
    assessment = ds.assessments.iloc[0]
    assert assessment["assessment_id"] == "scoresheet_cfa3"
    assert assessment["title"] == "Grade 3 Math - CFA 3: Fractions on a Number Line"  # the first title row
    assert assessment["date"] == pd.Timestamp("2025-10-03")  # "Given 2025-10-03" in a title row
    assert assessment["kind"] == "cfa"
    assert set(ds.students["grade"]) == {"3"}  # "Grade 3" in the title
    assert set(ds.teachers["teacher_id"]) == {"Ames", "Bell"}
    assert not (ds.problems["severity"] == "error").any()


def test_student_names_and_ids(csv_sheet):
    students = csv_sheet.students.set_index("student_id")
    assert students.loc["0103", "first_name"] == "José"  # "Peña, José": Last, First
    assert students.loc["0103", "last_name"] == "Peña"
    assert students.index.str.startswith("0").all()


def test_items_skills_and_points_possible(csv_sheet):
    items = csv_sheet.items.set_index("item_id")
    assert items["max_points"].to_dict() == {"Q1": 1, "Q2": 1, "Q3": 2, "Q4": 2, "Q5": 4}
    assert items.loc["Q1", "kind"] == "mc" and items.loc["Q1", "key"] == "B"
    skills = csv_sheet.skills.set_index("skill_id")
    assert skills.loc["3.NF.2b", "proficiency_cut"] == 0.75
    assert bool(skills.loc["3.NF.3a", "essential"]) is False
    assert skills.loc["3.NF.2a", "description"] == "Represent a unit fraction on a number line"
    assert (csv_sheet.skills["team_id"] == "scoresheet_cfa3").all()
    assert any("points possible read from row 5" in note for note in csv_sheet.notes)


def test_blank_absent_and_letter_answers(csv_sheet):
    scores = csv_sheet.scores.set_index(["student_id", "item_id"])
    assert pd.isna(scores.loc[("0103", "Q2"), "points"])  # blank cell: not attempted
    assert scores.loc[("0119", "Q1"), "points"] == 1
    assert scores.loc[("0119", ["Q3", "Q4", "Q5"]), "points"].isna().all()
    # 'abs' and 'A' in every item: absent, no score rows, still on the roster
    assert {"0104", "0120"}.isdisjoint(csv_sheet.scores["student_id"])
    assert {"0104", "0120"} <= set(csv_sheet.students["student_id"])
    assert any("absent" in note and "0104" in note and "0120" in note for note in csv_sheet.notes)
    roster = csv_sheet.roster()
    assert set(roster.loc[~roster["present"], "student_id"]) == {"0104", "0120"}
    # a letter answer on an item with a key is scored against the key
    assert scores.loc[("0106", "Q1"), "points"] == 1 and scores.loc[("0106", "Q1"), "response"] == "B"
    assert scores.loc[("0118", "Q5"), "points"] == 3.5


def test_summary_row_and_summary_column_are_reported(csv_sheet):
    average = problems_at(csv_sheet, 19, "Student ID")
    assert average["severity"].tolist() == ["warning"] and "not a student" in average["reason"].iloc[0]
    assert csv_sheet.rejected["line"].tolist() == [19]
    assert any("'Total'" in note for note in csv_sheet.notes)


def test_every_sheet_row_is_accounted_for(csv_sheet):
    rows = read_rows(SHEET)
    data = [
        r for number, r in enumerate(rows, start=1) if number > HEADER_ROW + 1 and any(cell.strip() for cell in r)
    ]  # after the points-possible row
    loaded = csv_sheet.students["student_id"].nunique()
    assert loaded + len(csv_sheet.rejected) == len(data) == 13


def test_names_stay_out_of_rejected_rows_and_problems(tmp_path):
    rows = read_rows(SHEET)
    rows[6][4] = "1/2"  # 0102 Q2
    ds = load_score_sheet(write_rows(tmp_path / "names.csv", rows), item_map=ITEMS, errors="quarantine")
    row = json.loads(ds.rejected.set_index("line").loc[7, "row"])
    assert row["Name"] == "<redacted>" and row["Student ID"] == "0102"
    assert "Baker" not in ds.rejected["row"].str.cat() + ds.problems["value"].astype(str).str.cat()


# -- xlsx ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def xlsx_sheet(tmp_path_factory):
    path = make_xlsx(tmp_path_factory.mktemp("xlsx") / "scoresheet_cfa3.xlsx")
    return load_score_sheet(path)  # item map from the workbook's "Items" sheet


def test_xlsx_and_csv_load_to_the_same_scores(csv_sheet, xlsx_sheet):
    left = csv_sheet.scores.sort_values(KEY).reset_index(drop=True)
    right = xlsx_sheet.scores.sort_values(KEY).reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right)
    for table in ("students", "items", "skills", "assessments", "sections"):
        pd.testing.assert_frame_equal(csv_sheet[table], xlsx_sheet[table], check_dtype=False)


def test_xlsx_header_detection_and_row_numbers(xlsx_sheet):
    # the same title rows, merged title cell and all: the class-average row is spreadsheet row 19
    assert problems_at(xlsx_sheet, 19, "Student ID")["reason"].str.contains("not a student").all()
    # the uncalculated SUM formulas are in the Total column, which is not read
    assert not (xlsx_sheet.problems["severity"] == "error").any()


def test_xlsx_errors_point_at_the_cell(tmp_path):
    rows = read_rows(SHEET)
    rows[9][5] = "two"  # row 10 (0105), Q3
    rows[13][7] = "6"  # row 14 (0118), Q5, max 4
    path = make_xlsx(tmp_path / "broken.xlsx", rows)
    with pytest.raises(PLCDataError) as caught:
        load_score_sheet(path)
    errors = caught.value.problems.query("severity == 'error'")
    assert set(zip(errors["file"], errors["line"], errors["column"], errors["value"])) == {
        ("broken.xlsx", 10, "Q3", "two"),
        ("broken.xlsx", 14, "Q5", "6"),
    }


# -- errors -----------------------------------------------------------------------------------
def broken_sheet(tmp_path: Path) -> Path:
    rows = read_rows(SHEET)
    rows[6][5] = "two"  # line 7 (0102), Q3: not a number
    rows[11][7] = "5"  # line 12 (0116), Q5: above the 4 points possible
    rows[13][4] = "-1"  # line 14 (0118), Q2: negative
    path = write_rows(tmp_path / "cfa3_broken.csv", rows)
    shutil.copy(ITEMS, tmp_path / "cfa3_broken_items.csv")
    return path


def test_bad_cells_all_reported_at_once(tmp_path):
    with pytest.raises(PLCDataError) as caught:
        load_score_sheet(broken_sheet(tmp_path))
    errors = caught.value.problems.query("severity == 'error'")
    found = set(zip(errors["file"], errors["line"], errors["column"], errors["value"]))
    assert found == {
        ("cfa3_broken.csv", 7, "Q3", "two"),
        ("cfa3_broken.csv", 12, "Q5", "5"),
        ("cfa3_broken.csv", 14, "Q2", "-1"),
    }
    message = str(caught.value)
    assert "3 problem(s)" in message
    assert "cfa3_broken.csv, line 12, column 'Q5': value '5': more than the item's max_points (4)" in message


def test_quarantine_keeps_the_bad_cells(tmp_path):
    ds = load_score_sheet(broken_sheet(tmp_path), errors="quarantine")
    assert len(ds.scores) == 47
    bad = ds.rejected[ds.rejected["severity"] == "error"]
    assert sorted(bad["line"]) == [7, 12, 14]
    assert bad["reason"].str.startswith(("Q3:", "Q5:", "Q2:")).all()


def test_points_possible_must_agree_with_the_item_map(tmp_path):
    rows = read_rows(SHEET)
    rows[4][7] = "5"  # Q5 possible 5, the item map says 4
    path = write_rows(tmp_path / "cfa3.csv", rows)
    with pytest.raises(PLCDataError) as caught:
        load_score_sheet(path, item_map=ITEMS)
    errors = caught.value.problems.query("severity == 'error'")
    assert ("cfa3.csv", 5, "Q5") in set(zip(errors["file"], errors["line"], errors["column"]))
    assert ("scoresheet_cfa3_items.csv", 6, "max_points") in set(zip(errors["file"], errors["line"], errors["column"]))


def test_item_in_map_without_a_column_is_an_error(tmp_path):
    items = pd.read_csv(ITEMS, dtype=str)
    items.loc[len(items)] = ["Q6", "3.NF.3a", "2", "", "", "", "cr", ""]
    with pytest.raises(PLCDataError, match="Q6"):
        load_score_sheet(SHEET, item_map=items)


def test_no_item_map_is_an_error(tmp_path):
    path = shutil.copy(SHEET, tmp_path / "lonely.csv")
    with pytest.raises(PLCDataError, match="no item map"):
        load_score_sheet(path)


def test_no_date_is_an_error_unless_given(tmp_path):
    rows = read_rows(SHEET)
    rows[1] = ["Team: Ames, Bell"] + [""] * 8
    path = write_rows(tmp_path / "cfa3.csv", rows)
    with pytest.raises(PLCDataError, match="date="):
        load_score_sheet(path, item_map=ITEMS)
    ds = load_score_sheet(
        path, item_map=ITEMS, date="2025-10-03", team_id="g3-math", assessment_id="cfa3", school_id="bme", title="CFA 3"
    )
    assert ds.assessments.iloc[0][["assessment_id", "team_id", "title"]].tolist() == ["cfa3", "g3-math", "CFA 3"]
    assert ds.teams.iloc[0]["school_id"] == "bme"


# -- other shapes -------------------------------------------------------------------------------
def test_plain_sheet_with_first_last_section_and_grade_columns(tmp_path):
    text = (
        "student_number,first_name,last_name,Grade,Section,Teacher,Item 1,Item 2,Item 3\n"
        "5001,Ana,Diaz,4,P1,Ms. Ames,1,2,\n"
        "5002,Ben,Eto,4,P1,Ms. Ames,0,1,3\n"
        "5003,Cy,Fox,4,P2,Mr. Bell,,,\n"
        "5004,Di,Gao,4,P2,Mr. Bell,1,0,2\n"
    )
    path = tmp_path / "unit2_2025-11-14.csv"
    path.write_text(text, encoding="utf-8")
    items = pd.DataFrame({"item_id": ["1", "2", "3"], "skill_id": ["K1", "K1", "K2"], "max_points": [1, 2, 3]})
    ds = load_score_sheet(path, item_map=items, kind="unit")
    assert ds.assessments.iloc[0]["date"] == pd.Timestamp("2025-11-14")  # from the file name
    assert ds.assessments.iloc[0]["kind"] == "unit"
    assert set(ds.items["item_id"]) == {"1", "2", "3"}  # "Item 1" matches item "1"
    assert ds.sections.set_index("section_id")["teacher_id"].to_dict() == {"P1": "Ms. Ames", "P2": "Mr. Bell"}
    assert ds.students.set_index("student_id").loc["5001", ["first_name", "last_name", "grade"]].tolist() == [
        "Ana",
        "Diaz",
        "4",
    ]
    # a row with no score at all is absent, with a warning
    assert "5003" not in set(ds.scores["student_id"])
    assert problems_at(ds, 4, "student_number")["severity"].tolist() == ["warning"]
    assert len(ds.scores) == 9


def test_load_dataset_finds_the_item_map_beside_the_sheet():
    ds = load_dataset(SHEET)
    assert len(ds.scores) == 50


def test_no_header_row_is_an_error(tmp_path):
    path = tmp_path / "noheader.csv"
    path.write_text("Name,Q1,Q2\nAva,1,1\n", encoding="utf-8")
    with pytest.raises(PLCDataError, match="student id column"):
        load_score_sheet(path, item_map=ITEMS)
