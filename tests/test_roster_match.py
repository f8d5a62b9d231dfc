"""Results from one system on a roster from another: students matched by id, else by name."""

from __future__ import annotations

import csv
import json
import shutil
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plc_analysis import PLCDataError, load_dataset
from plc_analysis.loading import load_roster
from plc_analysis.roster_match import join_roster, match_students, name_tokens

DATA = Path(__file__).parent / "data"
LMS = DATA / "lms"
ROSTER = LMS / "roster"
NAMES_SHEET = LMS / "scoresheet_names.csv"
#: every name in the roster and the sheet: none may appear in a message
NAMES = ["Adams", "Baker", "Peña", "Pena", "Brien", "Cruz", "Jordan", "Smith", "Nguyen", "Walker", "Kowals", "Ferreira"]


def roster_frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["student_id", "first_name", "last_name"])


def data_rows(path: Path, header_line: int) -> int:
    """Non-blank rows below the header and the points-possible row."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[header_line + 1 :]
    return sum(1 for r in rows if any(c.strip() for c in r))


def test_name_tokens_fold_case_accents_and_punctuation():
    assert name_tokens("  CHLOÉ  O'Brien ") == ["chloe", "obrien"]
    assert name_tokens("Smith-Jones, Noah Jr.") == ["smith", "jones", "noah"]
    assert name_tokens(None) == [] and name_tokens(float("nan")) == []


def test_name_sheet_with_roster_matches_by_name_and_reports_the_rest_by_line():
    with pytest.raises(PLCDataError) as caught:
        load_dataset(NAMES_SHEET, roster=ROSTER)
    message = str(caught.value)
    assert "line 10, column 'Name': the name matches 2 roster students (S1006, S1007); not guessed" in message
    assert "line 14, column 'Name': the name matches no roster student" in message
    assert message.count("\n  - ") == 2
    assert not [n for n in NAMES if n.lower() in message.lower()]

    data = load_dataset(NAMES_SHEET, roster=ROSTER, errors="quarantine")
    scored = set(data.scores["student_id"])
    # "Adams, Ava M." / LIAM BAKER / "Pena, Jose" / Chloe OBrien / Maria De La Cruz / Noah Smith Jones /
    # Nguyen Zoë / "Walker, Ethan J": every way of writing a name in the sheet
    assert scored == {"S1001", "S1002", "S1003", "S1004", "S1005", "S1008", "S1009", "S1010"}
    assert data.students.equals(load_roster(ROSTER).students)
    assert set(data.assessments["team_id"]) == {"g5-math"}
    assert any("team 'scoresheet_names' is not in the roster" in n for n in data.notes)
    assert data.notes[-1].endswith("0 student(s) matched by id, 9 by name, 2 not matched")
    # every student row is loaded (scored or absent) or rejected, with its line
    rejected_lines = sorted(data.rejected["line"].tolist())
    assert rejected_lines == [10, 14, 15]
    absent = {"S1012"}  # Lucas Ferreira: abs in every item, matched, no scores
    assert not absent & scored and "S1012" in set(data.students["student_id"])
    assert len(scored) + len(absent) + len(rejected_lines) == data_rows(NAMES_SHEET, header_line=3)
    assert len(data.scores) == 4 * len(scored)
    for row in data.rejected["row"]:
        assert json.loads(row)["Name"] == "<redacted>"
    problems = data.problems.to_string()
    assert not [n for n in NAMES if n.lower() in problems.lower()]


def test_name_sheet_without_roster_says_a_roster_is_needed():
    with pytest.raises(PLCDataError, match="a sheet with names only loads with a roster: pass roster="):
        load_dataset(NAMES_SHEET)


def test_ids_match_first_and_assessments_move_to_the_roster_team(tmp_path):
    roster = tmp_path / "roster"
    shutil.copytree(ROSTER, roster)
    students = pd.read_csv(roster / "students.csv", dtype=str)
    students.loc[0, "student_id"] = "0101"  # Adams, Ava: same id in both systems
    students.loc[1, "last_name"] = "Bakerr"  # Baker, Liam: sheet id 0102 is not in the roster, name differs
    students.to_csv(roster / "students.csv", index=False)
    enrollments = pd.read_csv(roster / "enrollments.csv", dtype=str).replace({"S1001": "0101"})
    enrollments.to_csv(roster / "enrollments.csv", index=False)
    data = load_dataset(DATA / "scoresheet_cfa3.csv", roster=roster, errors="quarantine")
    matched = set(data.scores["student_id"])
    assert matched == {"0101", "S1003"}  # 0101 by id, Peña José by name
    assert data.notes[-1].endswith("1 student(s) matched by id, 1 by name, 10 not matched")
    assert (data.rejected["file"] == "scoresheet_cfa3.csv").sum() >= 10
    baker = data.problems.loc[data.problems["value"] == "0102"]
    assert baker["reason"].str.contains("the name matches no roster student and the id is not in the roster").all()


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ({"name": "Adams, Ava"}, "a"),
        ({"name": "ava adams"}, "a"),
        ({"name": "Adams Ava"}, "a"),
        ({"name": "ADAMS, AVA Q."}, "a"),
        ({"first_name": "Ava Q", "last_name": "Adams"}, "a"),
        ({"first_name": "Jose", "last_name": "Pena"}, "p"),
        ({"name": "José María Peña"}, "p"),
        ({"name": "Maria de la Cruz"}, "c"),
        ({"name": "De La Cruz, Maria"}, "c"),
    ],
)
def test_one_student_in_many_spellings(written, expected):
    roster = roster_frame(
        [("a", "Ava", "Adams"), ("p", "José", "Peña"), ("c", "María", "De La Cruz"), ("x", "Ava", "Adamson")]
    )
    people = pd.DataFrame([{"student_id": "r1", **written}])
    result = match_students(people, roster)
    assert result.loc[0, "roster_id"] == expected and result.loc[0, "matched_by"] == "name"


def test_two_results_rows_for_one_roster_student_are_both_reported():
    roster = roster_frame([("a", "Ava", "Adams"), ("b", "Liam", "Baker")])
    people = pd.DataFrame(
        {"student_id": ["r1", "r2", "r3"], "name": ["Adams, Ava", "Ava Adams", "Liam Baker"], "line": [2, 3, 4]}
    )
    result = match_students(people, roster)
    assert result["roster_id"].tolist() == ["", "", "b"]
    assert result.loc[0, "reason"] == "2 results rows (line 2, line 3) match roster student a"


def test_join_roster_raises_with_every_unmatched_student_and_keeps_roster_people():
    roster = load_roster(ROSTER)
    results = load_dataset(DATA / "scoresheet_cfa3.csv")
    with pytest.raises(PLCDataError) as caught:
        join_roster(results, roster)
    # Adams Ava, Baker Liam and Peña José are in the roster (by name), nobody else
    assert len(caught.value.problems) == len(results.students) - 3
    assert caught.value.problems["line"].isna().all()  # a Dataset alone has no line numbers
    joined = join_roster(results, roster, errors="quarantine")
    for name in ("schools", "teams", "teachers", "sections", "students", "enrollments"):
        assert joined.tables[name].equals(roster.tables[name])
    assert set(joined.scores["student_id"]) == {"S1001", "S1002", "S1003"}
    assert len(joined.responses()) == len(joined.scores)
    assert joined.responses()["section_id"].eq("m5-1").all()


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


given_names = st.sampled_from(["Ava", "Liam", "José", "Zoë", "Mia", "Noah", "Chloé", "Omar", "Ana", "Lucas"])
family_names = st.sampled_from(["Adams", "Peña", "O'Brien", "De La Cruz", "Nguyen", "Smith-Jones", "Müller", "Kim"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(given_names, family_names), min_size=1, max_size=12, unique=True),
    st.data(),
)
def test_any_spelling_of_a_unique_roster_name_finds_that_student(names, data):
    roster = roster_frame([(f"s{i}", first, last) for i, (first, last) in enumerate(names)])
    written = []
    for first, last in names:
        style = data.draw(st.integers(0, 4))
        middle = data.draw(st.sampled_from(["", " Q.", " Quinn"]))
        fold = data.draw(st.sampled_from([str, str.upper, str.lower, _fold]))
        text = [
            f"{last}, {first}{middle}",
            f"{first}{middle} {last}",
            f"{last} {first}",
            f"  {first}   {last} ",
            f"{last},{first}",
        ][style]
        written.append(fold(text))
    people = pd.DataFrame({"student_id": [f"r{i}" for i in range(len(names))], "name": written})
    result = match_students(people, roster)
    assert result["roster_id"].tolist() == [f"s{i}" for i in range(len(names))]
    assert result["matched_by"].eq("name").all()


def test_canvas_results_on_a_oneroster_zip_get_its_sections_and_teachers(tmp_path):
    roster_zip = shutil.make_archive(str(tmp_path / "sis_export"), "zip", LMS / "roster_oneroster")
    canvas = LMS / "2025-11-14T1030_Grades-Math_5_Decimals.csv"
    data = load_dataset(canvas, roster=roster_zip, errors="quarantine")
    assert data.notes[-1].endswith("8 student(s) matched by id, 1 by name, 0 not matched")  # S1005 by name
    assert not any(n.startswith("roster only") for n in data.notes)
    assert set(data.assessments["team_id"]) == {"g5-math"}
    placed = data.responses().drop_duplicates("student_id").set_index("student_id")["teacher_id"]
    assert placed.notna().all() and set(placed) == {"t-ames", "t-bell"}
    assert placed["S1009"] == "t-bell" and placed["S1001"] == "t-ames"


def test_a_sheet_student_marked_excused_everywhere_is_excused_not_absent(tmp_path):
    rows = NAMES_SHEET.read_text(encoding="utf-8").replace(
        "Lucas Ferreira,abs,abs,abs,abs,", "Lucas Ferreira,EX,ex,Excused,exempt,"
    )
    sheet = tmp_path / NAMES_SHEET.name
    sheet.write_text(rows, encoding="utf-8")
    shutil.copy(LMS / "scoresheet_names_items.csv", tmp_path)
    data = load_dataset(sheet, roster=ROSTER, errors="quarantine")
    assert data.excused[["student_id", "reason"]].values.tolist() == [["S1012", "marked excused on the score sheet"]]
    roster = data.roster().set_index("student_id")
    assert roster.loc["S1012", "excused"] and not roster.loc["S1012", "present"]
