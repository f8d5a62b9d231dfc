"""LMS gradebook exports (Canvas, Google Classroom) loaded as canonical datasets."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plc_analysis import PLCDataError, load_dataset
from plc_analysis.gradebooks import gradebook_kind, load_canvas_gradebook, load_classroom_gradebook

LMS = Path(__file__).parent / "data" / "lms"
CANVAS = LMS / "2025-11-14T1030_Grades-Math_5_Decimals.csv"
CANVAS_ES = LMS / "canvas_es_2025-10-02.csv"
CLASSROOM = LMS / "classroom_grade5_math.csv"
ROSTER = LMS / "roster"
NAMES = ["Adams", "Baker", "Peña", "Brien", "Cruz", "Smith", "Nguyen", "Walker", "Kowals", "Jordan", "Lee,"]


def student_rows(path: Path, first_data_line: int, delimiter: str = ",") -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [r for r in list(csv.reader(handle, delimiter=delimiter))[first_data_line - 1 :] if any(r)]


def test_the_exports_are_recognised_by_their_header(tmp_path):
    assert gradebook_kind(CANVAS) == "canvas"
    assert gradebook_kind(CANVAS_ES) == "canvas"
    assert gradebook_kind(CLASSROOM) == "classroom"
    assert gradebook_kind(Path(__file__).parent / "data" / "scoresheet_cfa3.csv") is None


def test_canvas_errors_name_line_column_and_value_and_nothing_else():
    with pytest.raises(PLCDataError) as caught:
        load_dataset(CANVAS)
    message = str(caught.value)
    assert message.splitlines()[1:] == [
        f"  - {CANVAS.name}, line 11, column 'Rounding Exit Ticket (40212)': value 'incomplete': "
        "not a number (points), a blank (not attempted) or EX (excused)",
        f"  - {CANVAS.name}, line 12, column 'Decimals Quiz 1 (40211)': value '-1': points must be at least 0",
    ]


def test_canvas_gradebook_every_cell_loaded_or_rejected():
    data = load_dataset(CANVAS, errors="quarantine")
    rows = student_rows(CANVAS, first_data_line=4)
    mapped = ["Decimals Quiz 1 (40211)", "Rounding Exit Ticket (40212)", "Decimals Check-in (40215)"]
    # the test student is left out (a warning); everyone else is a student
    assert len(data.students) + 1 == len(rows)
    test_row = data.rejected.loc[data.rejected["reason"].str.contains("test student")]
    assert test_row["line"].tolist() == [13] and (test_row["severity"] == "warning").all()
    # SIS User ID is the student id; the Canvas ID only when it is blank (with a warning)
    assert set(data.students["student_id"]) == {
        "S1001",
        "S1002",
        "S1003",
        "S1004",
        "8805",
        "S1008",
        "S1009",
        "S1010",
        "S1011",
    }
    assert "no SIS User ID; the Canvas 'ID' 8805 is used" in data.problems["reason"].tolist()
    # cells: loaded + excused + rejected = students x mapped assignments
    cells = data.rejected.loc[data.rejected["reason"].str.startswith(tuple(mapped))]
    assert len(data.scores) + len(cells) == len(data.students) * len(mapped)
    excused = cells.loc[cells["reason"].str.contains("excused: not counted")]
    assert len(excused) == 4 and (excused["severity"] == "warning").all()
    # excused is out of the denominator: no score row at all, never a 0
    baker = data.scores.loc[data.scores["student_id"] == "S1002"]
    assert sorted(baker["item_id"]) == ["40211", "40215"]
    assert "S1008" not in set(data.scores["student_id"])
    # a blank is not attempted: a row with no points
    pena = data.scores.set_index(["student_id", "item_id"]).loc[("S1003", "40211"), "points"]
    assert pd.isna(pena)
    # points possible from the export, assignments mapped by id, title and whole header
    items = data.items.set_index("item_id")
    assert items["max_points"].to_dict() == {"40211": 10.0, "40212": 4.0, "40215": 6.0}
    assert items["skill_id"].to_dict() == {"40211": "5.NBT.3", "40212": "5.NBT.4", "40215": "5.NBT.3"}
    # unmapped attendance and the read-only totals are not read, and say so
    assert any("12 read-only total column(s) not read" in n for n in data.notes)
    unmapped = data.problems.loc[data.problems["column"] == "Roll Call Attendance (40199)", "reason"]
    assert unmapped.tolist() == ["assignment is not in the item map; its column was not read"]
    # extra credit above points possible is capped, with a warning
    assert data.scores.set_index(["student_id", "item_id"]).loc[("S1009", "40211"), "points"] == 10.0
    # the date from Canvas's file name; sections from the export
    assert data.assessments["date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-11-14"]
    assert sorted(data.sections["section_id"]) == ["Math 5 - P1", "Math 5 - P2"]
    text = data.problems.to_string() + data.rejected.to_string() + " ".join(data.notes)
    assert not [n for n in NAMES if n.lower() in text.lower()]


def test_canvas_in_spanish_with_decimal_commas_and_semicolons():
    data = load_canvas_gradebook(CANVAS_ES, errors="quarantine")
    assert any("4 read-only total column(s) not read ('Puntuación actual'" in n for n in data.notes)
    points = data.scores.set_index(["student_id", "item_id"])["points"]
    assert points[("S1001", "50101")] == 8.5 and points[("S1002", "50102")] == 3.5
    assert data.items.set_index("item_id")["max_points"].to_dict() == {"50101": 10.0, "50102": 5.0}
    assert len(data.students) == 3  # "Estudiante, Prueba" is the test student
    assert any("each assignment is its own skill" in n for n in data.notes)
    rows = student_rows(CANVAS_ES, first_data_line=3, delimiter=";")
    assert len(data.students) + (data.rejected["reason"].str.contains("test student")).sum() == len(rows)


def test_totals_found_by_position_when_the_points_row_is_missing(tmp_path):
    rows = student_rows(CANVAS, first_data_line=1)
    del rows[1:3]  # no Manual Posting and no Points Possible row
    header = rows[0]
    header[header.index("Current Score")] = "Punteggio attuale"  # a language not listed
    path = tmp_path / "canvas_2025-11-14.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    item_map = pd.DataFrame({"assignment": ["40211", "40212"], "skill_id": ["A", "B"], "max_points": ["10", "4"]})
    data = load_canvas_gradebook(path, item_map=item_map, errors="quarantine")
    assert any("12 read-only total column(s) not read" in n and "Punteggio attuale" in n for n in data.notes)
    assert data.items.set_index("item_id")["max_points"].to_dict() == {"40211": 10.0, "40212": 4.0}


def test_google_classroom_export():
    data = load_dataset(CLASSROOM, errors="quarantine")
    rows = student_rows(CLASSROOM, first_data_line=5)
    assert len(data.students) == len(rows)
    assert data.items.set_index("item_id")["max_points"].to_dict() == {
        "Decimals Quiz 1": 10.0,
        "Rounding Exit Ticket": 4.0,
        "Decimals Check-in": 6.0,
    }
    assert data.assessments["date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-11-14"]  # the latest due date
    rejected = data.rejected.set_index("line")
    assert rejected.loc[6, "severity"] == "warning" and "excused" in rejected.loc[6, "reason"]
    assert rejected.loc[11, "severity"] == "error" and "not a number" in rejected.loc[11, "reason"]
    assert len(data.scores) + len(data.rejected) == len(rows) * 3
    missing = data.scores.loc[data.scores["item_id"] == "Decimals Check-in"].set_index("student_id")["points"]
    assert pd.isna(missing["chloe.obrien@hillview.example.org"])  # "Missing" is not attempted
    assert any("'Overall' not read" in n for n in data.notes)
    # email addresses are personal: never in messages or rejected rows
    text = data.problems.to_string() + data.rejected.to_string() + " ".join(data.notes)
    assert "@" not in text and not [n for n in NAMES if n.lower() in text.lower()]


def test_classroom_on_a_roster_matches_names_and_reports_the_rest():
    with pytest.raises(PLCDataError) as caught:
        load_classroom_gradebook(CLASSROOM, roster=_roster())
    message = str(caught.value)
    assert "line 11, column 'Decimals Quiz 1': value 'A': not a number" in message  # all problems at once
    assert "line 9, column 'Last Name': the name matches 2 roster students (S1006, S1007); not guessed" in message
    assert "line 10, column 'Last Name': the name matches no roster student" in message
    assert "@" not in message and not [n for n in NAMES if n.lower() in message.lower()]
    data = load_dataset(CLASSROOM, roster=ROSTER, errors="quarantine")
    assert sorted(data.scores["student_id"].unique()) == ["S1001", "S1002", "S1003", "S1004", "S1010"]
    assert set(data.assessments["team_id"]) == {"g5-math"}


def test_canvas_on_a_roster_matches_sis_ids_then_names():
    data = load_dataset(CANVAS, roster=ROSTER, errors="quarantine")
    assert data.notes[-1].endswith("8 student(s) matched by id, 1 by name, 0 not matched")
    assert "S1005" in set(data.scores["student_id"])  # no SIS id: matched by name
    assert (data.responses()["section_id"].notna()).all()


def test_item_map_problems_are_reported_with_their_line(tmp_path):
    path = tmp_path / CANVAS.name
    shutil.copy(CANVAS, path)
    item_map = pd.DataFrame(
        {"assignment": ["40211", "Decimals Quiz 1", "Homework 9", ""], "skill_id": ["A", "A", "B", "C"]}
    )
    with pytest.raises(PLCDataError) as caught:
        load_canvas_gradebook(path, item_map=item_map)
    reasons = caught.value.problems.query("file == 'item map'").set_index("line")["reason"].to_dict()
    assert reasons == {
        3: "the assignment is already mapped on line 2",
        4: f"matches no assignment column of {CANVAS.name} (by Canvas id or title)",
        5: "blank, but this column needs a value",
    }


def _roster():
    from plc_analysis.loading import load_roster

    return load_roster(ROSTER)


def test_classroom_without_its_header_rows_needs_the_maxima_from_the_item_map(tmp_path):
    rows = student_rows(CLASSROOM, first_data_line=1)
    path = tmp_path / "classroom_plain.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([rows[0], *rows[4:]])
    assert gradebook_kind(path) == "classroom"
    with pytest.raises(PLCDataError, match="max_points"):
        load_dataset(path, date="2025-11-14")
    item_map = pd.DataFrame(
        {
            "title": ["Decimals Quiz 1", "Rounding Exit Ticket", "Decimals Check-in"],
            "skill_id": ["A", "B", "A"],
            "max_points": ["10", "4", "6"],
        }
    )
    data = load_dataset(path, date="2025-11-14", item_map=item_map, errors="quarantine")
    assert len(data.students) == len(rows) - 4
    assert len(data.scores) + len(data.rejected) == len(data.students) * 3


CELLS = st.sampled_from(["", "EX", "ex", "3", "2.5", "2,5", "4", "-", "abc", "9", "-1"])


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.lists(CELLS, min_size=3, max_size=3), min_size=1, max_size=8),
    st.permutations([0, 1, 2]),
    st.booleans(),
)
def test_every_canvas_cell_is_a_score_or_a_reason(tmp_path_factory, grid, columns, semicolons):
    """Whatever the cells and the column order: loaded + excused + rejected = students x assignments."""
    titles = ["Quiz A (101)", "Quiz B (102)", "Quiz C (103)"]
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] + [titles[c] for c in columns]
    header += ["Current Score", "Final Score"]
    points = ["    Points Possible", "", "", "", ""] + ["4"] * 3 + ["(read only)"] * 2
    rows = [header, points]
    for i, cells in enumerate(grid):
        rows.append([f"Name{i}, Given{i}", str(900 + i), f"S{i:03d}", f"login{i}", "P1", *cells, "50", "50"])
    path = tmp_path_factory.mktemp("canvas") / "canvas_2025-11-14.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";" if semicolons else ",").writerows(rows)
    data = load_canvas_gradebook(path, errors="quarantine")
    assert len(data.students) == len(grid)
    rejected_cells = data.rejected.loc[data.rejected["reason"].str.startswith(tuple(titles))]
    assert len(data.scores) + len(rejected_cells) == 3 * len(grid)
    scores = data.scores.set_index(["student_id", "item_id"])["points"]
    for i, cells in enumerate(grid):
        for position, cell in enumerate(cells):
            item = str(101 + columns[position])
            expected = {"": None, "-": None, "2,5": 2.5}.get(cell, cell)
            if cell.lower() == "ex" or cell in ("abc", "-1"):
                assert (f"S{i:03d}", item) not in scores.index  # excused or an error: no score row
            elif expected is None:
                assert pd.isna(scores[(f"S{i:03d}", item)])  # not attempted
            else:
                assert scores[(f"S{i:03d}", item)] == min(float(expected), 4.0)  # extra credit capped


def test_a_student_excused_from_every_assignment_is_excused_not_absent():
    data = load_dataset(CANVAS, errors="quarantine")
    assert data.excused[["student_id", "assessment_id"]].values.tolist() == [["S1008", CANVAS.stem]]
    roster = data.roster().set_index("student_id")
    assert roster.loc["S1008", "excused"] and not roster.loc["S1008", "present"]
    assert not roster.drop(index="S1008")["excused"].any()  # one EX cell among scores does not excuse
    assert not any("no score in any assignment" in n for n in data.notes)
    # on a roster, the excused student keeps the roster's id
    joined = load_dataset(CANVAS, roster=ROSTER, errors="quarantine")
    assert joined.excused["student_id"].tolist() == ["S1008"]


def test_a_file_that_is_not_csv_text_is_one_clear_error(tmp_path):
    path = tmp_path / "Grades-Math_5.csv"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)  # an xlsx saved under a .csv name
    assert gradebook_kind(path) is None
    with pytest.raises(PLCDataError, match="Grades-Math_5.csv.*not CSV text"):
        load_canvas_gradebook(path)
