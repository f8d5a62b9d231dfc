"""OneRoster 1.1 / 1.2 CSV exports (folder and zip) converted to the canonical dataset."""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plc_analysis import PLCDataError, load_dataset
from plc_analysis.oneroster import ROSTER_ONLY_NOTE, load_oneroster

DATA = Path(__file__).parent / "data"
OR11 = DATA / "oneroster11"
OR12 = DATA / "oneroster12"
ROSTER_ONLY = DATA / "oneroster_roster_only"


def data_rows(path: Path, encoding: str = "utf-8") -> int:
    """Number of data rows (records after the header) in a CSV file."""
    with open(path, encoding=encoding, newline="") as handle:
        return sum(1 for row in csv.reader(handle) if any(cell.strip() for cell in row)) - 1


def copy_export(tmp_path: Path, source: Path = OR11) -> Path:
    return Path(shutil.copytree(source, tmp_path / source.name))


def edit_csv(path: Path, change, encoding: str = "utf-8") -> None:
    """Rewrite a CSV file: ``change(rows)`` edits the list of dict rows in place (header kept)."""
    with open(path, encoding=encoding, newline="") as handle:
        reader = csv.DictReader(handle)
        header, rows = reader.fieldnames, list(reader)
    change(rows)
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def problem(ds_or_frame, file: str, line: int | None = None, column: str | None = None) -> pd.DataFrame:
    frame = ds_or_frame.problems if hasattr(ds_or_frame, "problems") else ds_or_frame
    hit = frame["file"] == file
    if line is not None:
        hit &= frame["line"] == line
    if column is not None:
        hit &= frame["column"] == column
    return frame[hit]


@pytest.fixture(scope="module")
def or11():
    return load_dataset(OR11)  # a folder with manifest.csv and no scores.csv: read as OneRoster


# -- OneRoster 1.1 folder -------------------------------------------------------------
def test_oneroster11_counts(or11):
    counts = {
        name: len(or11[name])
        for name in (
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
        "teams": 2,
        "teachers": 5,
        "sections": 4,
        "students": 29,
        "enrollments": 58,
        "skills": 2,
        "assessments": 3,
        "items": 3,
        "scores": 43,
    }
    assert or11.schools.to_dict("records") == [{"school_id": "s1", "name": "Boones Mill Elementary"}]
    assert "OneRoster 1.1 export" in or11.notes
    assert any("district" in note and "not schools" in note for note in or11.notes)
    # nothing here breaks a canonical rule: warnings only
    assert set(or11.problems["severity"]) == {"warning"}


def test_identifiers_stay_strings(or11):
    assert "0101" in set(or11.students["student_id"])
    assert or11.students["student_id"].str.len().eq(4).all()


def test_teams_sections_and_teachers(or11):
    teams = or11.teams.set_index("team_id")
    assert teams.loc["c-m3", "name"] == "Grade 3 Math"
    assert teams.loc["c-ela34", "grade"] == "3, 4"  # quoted list "3,4"
    assert teams.loc["c-ela34", "subject"] == "English Language Arts, Reading"
    sections = or11.sections.set_index("section_id")
    assert sections.loc["k-ela-cruz", "teacher_id"] == "t-cruz"  # the primary teacher, not the co-teacher
    assert sections.loc["k-ela-ames", "period"] == "3, 4"
    assert sections.loc["k-m3-ames", "term"] == "Fall Semester, Spring Semester"  # "T1,T2" -> titles
    members = set(zip(or11.teachers["teacher_id"], or11.teachers["team_id"]))
    assert members == {
        ("t-ames", "c-m3"),
        ("t-ames", "c-ela34"),
        ("t-bell", "c-m3"),
        ("t-bell", "c-ela34"),
        ("t-cruz", "c-ela34"),
    }
    assert or11.teachers.set_index(["teacher_id", "team_id"]).loc[("t-ames", "c-m3"), "name"] == "Alice Ames"


def test_assessments_items_and_skills(or11):
    assessments = or11.assessments.set_index("assessment_id")
    assert assessments.loc["li-ela-unit1", "kind"] == "unit"  # category "Unit Test"
    assert assessments.loc["li-m3-cfa1-ames", "kind"] == "cfa"
    assert assessments.loc["li-ela-unit1", "date"] == pd.Timestamp("2025-10-06")  # assignDate: dueDate blank
    assert assessments.loc["li-m3-cfa1-bell", "date"] == pd.Timestamp("2025-09-26")  # "2025-09-26T00:00:00Z"
    common = assessments.loc[["li-m3-cfa1-ames", "li-m3-cfa1-bell"], "common_id"]
    assert common.nunique() == 1 and common.notna().all()
    items = or11.items.set_index("item_id")
    assert items.loc["li-ela-unit1", "max_points"] == 20
    assert items.loc["li-m3-cfa1-ames", "skill_id"] == "cat-cfa"
    # no learning objectives in 1.1: one skill per category, said plainly
    assert set(or11.skills["skill_id"]) == {"cat-cfa", "cat-unit"}
    assert any("no learning objectives" in note for note in or11.notes)


def test_scores_not_submitted_and_exempt(or11):
    scores = or11.scores.set_index(["student_id", "assessment_id"])
    assert pd.isna(scores.loc[("0108", "li-m3-cfa1-ames"), "points"])  # not submitted = not attempted
    # exempt = excused: no score (never a 0), a row in `excused`, and not a rejection
    assert ("0105", "li-m3-cfa1-ames") not in scores.index
    assert or11.excused[["student_id", "assessment_id"]].values.tolist() == [["0105", "li-m3-cfa1-ames"]]
    assert not ((or11.rejected["file"] == "results.csv") & (or11.rejected["line"] == 6)).any()
    roster = or11.roster(["li-m3-cfa1-ames"]).set_index("student_id")
    assert bool(roster.loc["0105", "excused"]) and not bool(roster.loc["0105", "present"])


def test_tobedeleted_rows_reported(or11):
    user = problem(or11, "users.csv", 35, "status")
    enrollment = problem(or11, "enrollments.csv", 65, "status")
    for found in (user, enrollment):
        assert len(found) == 1
        assert found["severity"].iloc[0] == "warning"
        assert found["value"].iloc[0] == "tobedeleted"
    rejected = or11.rejected.set_index(["file", "line"])
    assert rejected.loc[("users.csv", 35), "severity"] == "warning"
    assert rejected.loc[("enrollments.csv", 65), "severity"] == "warning"
    assert "0130" not in set(or11.students["student_id"])
    # what pointed at the deleted user is left out too, and says why
    cascade = problem(or11, "results.csv", 31, "studentSourcedId")
    assert "users.csv line 35" in cascade["reason"].iloc[0]
    assert len(problem(or11, "demographics.csv", 31)) == 1


def test_dangling_references_reported_with_file_and_line(or11):
    enrollment = problem(or11, "enrollments.csv", 66, "userSourcedId")
    assert enrollment["value"].iloc[0] == "0999"
    assert "not in users.csv" in enrollment["reason"].iloc[0]
    assert enrollment["severity"].iloc[0] == "warning"
    # the last row of results.csv (no final newline) is read, and its line item does not exist
    result = problem(or11, "results.csv", 47, "lineItemSourcedId")
    assert result["value"].iloc[0] == "li-m3-cfa2"
    assert "not in lineItems.csv" in result["reason"].iloc[0]
    rejected = or11.rejected.set_index(["file", "line"])
    assert rejected.loc[("enrollments.csv", 66), "severity"] == "warning"
    assert json.loads(rejected.loc[("results.csv", 47), "row"])["lineItemSourcedId"] == "li-m3-cfa2"


def test_encodings_cp1252_and_bom(or11):
    students = or11.students.set_index("student_id")
    assert students.loc["0103", "first_name"] == "José"
    assert students.loc["0103", "last_name"] == "Peña"
    assert students.loc["0106", "first_name"] == "Zoë"
    decoded = problem(or11, "users.csv")
    assert decoded["reason"].str.contains("cp1252").any()
    # demographics.csv starts with a UTF-8 BOM: its first column is still sourcedId
    assert str(or11.students["hispanicOrLatinoEthnicity"].dtype) == "boolean"
    assert bool(students.loc["0101", "hispanicOrLatinoEthnicity"]) is True
    assert bool(students.loc["0102", "hispanicOrLatinoEthnicity"]) is False
    assert students.loc["0102", "sex"] == "female"
    assert "hispanicOrLatinoEthnicity" in or11.subgroup_columns


def test_blank_grade_taken_from_classes(or11):
    assert or11.students.set_index("student_id").loc["0112", "grade"] == "3"
    # a fallback is said once, in a note naming the students, never as a rejection
    notes = [n for n in or11.notes if "grade taken from their classes" in n]
    assert len(notes) == 1 and "0112" in notes[0]
    assert problem(or11, "users.csv", 17, "grades").empty


def test_rejected_rows_are_the_oneroster_rows_without_personal_data(or11):
    row = json.loads(or11.rejected.set_index(["file", "line"]).loc[("users.csv", 35), "row"])
    assert row["sourcedId"] == "0130"
    assert row["password"] == "<redacted>" and row["givenName"] == "<redacted>"
    assert "hunter2" not in or11.rejected["row"].str.cat()


def test_accounting_for_results(or11):
    loaded = len(or11.scores) + len(or11.excused)  # one score per result in 1.1; exempt results are excused
    rejected = or11.rejected.loc[or11.rejected["file"] == "results.csv", "line"].nunique()
    assert loaded + rejected == data_rows(OR11 / "results.csv") == 46


# -- errors: raise lists everything, quarantine keeps everything -----------------------------
def broken_results(tmp_path: Path) -> Path:
    folder = copy_export(tmp_path)

    def change(rows):
        rows[1]["score"] = "12"  # line 3: above resultValueMax 10
        rows[2]["score"] = "eight"  # line 4: not a number

    edit_csv(folder / "results.csv", change)
    return folder


def test_raise_lists_every_error_with_oneroster_file_line_and_column(tmp_path):
    folder = broken_results(tmp_path)
    with pytest.raises(PLCDataError) as caught:
        load_oneroster(folder)
    errors = caught.value.problems[caught.value.problems["severity"] == "error"]
    found = set(zip(errors["file"], errors["line"], errors["column"], errors["value"]))
    assert ("results.csv", 3, "score", "12") in found
    assert ("results.csv", 4, "score", "eight") in found
    assert len(errors) == 2
    assert "results.csv, line 3, column 'score'" in str(caught.value)


def test_quarantine_accounts_for_every_results_row(tmp_path):
    folder = broken_results(tmp_path)
    ds = load_oneroster(folder, errors="quarantine")
    assert len(ds.scores) == 41
    rejected = ds.rejected[ds.rejected["file"] == "results.csv"]
    assert len(ds.scores) + len(ds.excused) + rejected["line"].nunique() == data_rows(folder / "results.csv")
    assert set(rejected.loc[rejected["severity"] == "error", "line"]) == {3, 4}
    assert set(rejected.loc[rejected["severity"] == "warning", "line"]) == {31, 47}
    # enrollments.csv: student rows loaded + rejected + teacher rows = every row
    enrolled = ds.rejected[ds.rejected["file"] == "enrollments.csv"]["line"].nunique()
    teacher_rows = 5
    assert len(ds.enrollments) + enrolled + teacher_rows == data_rows(folder / "enrollments.csv")


def test_class_without_teacher_keeps_its_students_under_a_placeholder_teacher(tmp_path):
    folder = copy_export(tmp_path)
    edit_csv(
        folder / "enrollments.csv",
        lambda rows: rows.__setitem__(slice(None), [r for r in rows if r["userSourcedId"] != "t-bell"]),
    )
    ds = load_oneroster(folder, errors="raise")  # warnings only
    sections = ds.sections.set_index("section_id")
    assert sections.loc["k-m3-bell", "teacher_id"] == "no-teacher:k-m3-bell"
    assert ("no-teacher:k-m3-bell", "c-m3") in set(zip(ds.teachers["teacher_id"], ds.teachers["team_id"]))
    assert any("no teacher enrollment" in n and "k-m3-bell" in n for n in ds.notes)
    # its students, line item and results all load
    assert "li-m3-cfa1-bell" in set(ds.assessments["assessment_id"])
    assert len(ds.scores) == 43


def test_no_primary_teacher_first_is_used_with_a_warning(tmp_path):
    folder = copy_export(tmp_path)

    def change(rows):
        for row in rows:
            if row["classSourcedId"] == "k-ela-cruz" and row["role"] == "teacher":
                row["primary"] = ""

    edit_csv(folder / "enrollments.csv", change)
    ds = load_oneroster(folder)
    assert ds.sections.set_index("section_id").loc["k-ela-cruz", "teacher_id"] == "t-cruz"
    assert problem(ds, "enrollments.csv", 5, "primary")["reason"].str.contains("none is primary").any()


def test_missing_required_file_and_duplicate_ids_are_errors(tmp_path):
    folder = copy_export(tmp_path)
    (folder / "users.csv").unlink()
    with pytest.raises(PLCDataError) as caught:
        load_oneroster(folder)
    assert "users.csv" in str(caught.value)
    folder = copy_export(tmp_path / "dup")
    edit_csv(folder / "lineItems.csv", lambda rows: rows.append(dict(rows[0])))
    with pytest.raises(PLCDataError) as caught:
        load_oneroster(folder)
    assert "sourcedId repeats line 2" in str(caught.value)


def test_team_by_grade_and_proficiency_cut():
    ds = load_oneroster(OR11, team_by="grade", proficiency_cut=0.7)
    assert list(ds.teams["team_id"]) == ["s1-grade-3"]
    assert set(ds.sections["team_id"]) == {"s1-grade-3"}
    assert len(ds.scores) == 43
    assert (ds.skills["proficiency_cut"] == 0.7).all()
    with pytest.raises(ValueError, match="team_by"):
        load_oneroster(OR11, team_by="department")
    with pytest.raises(ValueError, match="errors"):
        load_oneroster(OR11, errors="ignore")


# -- OneRoster 1.2, zipped in a subfolder ------------------------------------------------
def zip_export(folder: Path, target: Path, subfolder: str = "export_2025-10-20") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, f"{subfolder}/{file.name}")
    return target


@pytest.fixture(scope="module")
def or12(tmp_path_factory):
    target = zip_export(OR12, tmp_path_factory.mktemp("zip") / "oneroster12.zip")
    return load_dataset(target)


def test_oneroster12_zip_loads(or12):
    assert "OneRoster 1.2 export" in or12.notes
    assert len(or12.students) == 12 and len(or12.sections) == 2
    # users.csv has no role column in 1.2: roles.csv says who is a teacher
    assert set(or12.teachers["teacher_id"]) == {"u-okafor", "u-lindqvist"}
    assert set(or12.problems["severity"]) <= {"warning"}


def test_oneroster12_learning_objectives_become_skills(or12):
    skills = or12.skills.set_index("skill_id")
    assert set(skills.index) == {"MS-PS1-1", "MS-PS1-4"}
    assert skills.loc["MS-PS1-1", "team_id"] == "crs-sci6"
    items = or12.items.set_index("item_id")
    # per-objective results: one item per line item and objective
    assert items.loc["li-cfa2-p1:MS-PS1-1", "skill_id"] == "MS-PS1-1"
    assert items.loc["li-cfa2-p1:MS-PS1-4", "max_points"] == 4
    # a line item with one linked objective and total results only: one item, that skill
    assert items.loc["li-quiz3-p1", "skill_id"] == "MS-PS1-4"
    assert len(or12.items) == 6


def test_oneroster12_per_objective_scores_and_missing(or12):
    scores = or12.scores
    cfa = scores[scores["assessment_id"].str.startswith("li-cfa2")]
    assert len(cfa) == 24  # 12 students x 2 objectives
    missing = cfa[cfa["student_id"] == "stu-603"]
    assert len(missing) == 2 and missing["points"].isna().all()  # missing=true: not attempted
    rlo = OR12 / "resultLearningObjectiveIds.csv"
    assert cfa["points"].notna().sum() == data_rows(rlo) == 22


def test_oneroster12_folder_and_zip_agree(or12):
    folder = load_oneroster(OR12)
    key = ["student_id", "assessment_id", "item_id"]
    pd.testing.assert_frame_equal(
        folder.scores.sort_values(key).reset_index(drop=True), or12.scores.sort_values(key).reset_index(drop=True)
    )


def test_per_objective_problems_point_at_that_file(tmp_path):
    folder = copy_export(tmp_path, OR12)

    def change(rows):
        rows[0]["score"] = "9"  # above the line item's 4 points

    edit_csv(folder / "resultLearningObjectiveIds.csv", change)
    with pytest.raises(PLCDataError) as caught:
        load_oneroster(folder)
    errors = caught.value.problems.query("severity == 'error'")
    assert list(zip(errors["file"], errors["line"], errors["column"])) == [
        ("resultLearningObjectiveIds.csv", 2, "score")
    ]


# -- roster only ---------------------------------------------------------------------------
def test_roster_only_export():
    ds = load_dataset(ROSTER_ONLY)
    assert ROSTER_ONLY_NOTE in ds.notes
    assert len(ds.students) == 8 and len(ds.sections) == 2 and len(ds.teachers) == 2
    assert len(ds.scores) == 0 and len(ds.assessments) == 0
    assert not (ds.problems["severity"] == "error").any()


def test_text_only_and_exempt_results_in_1_2(tmp_path):
    folder = copy_export(tmp_path, OR12)
    (folder / "roles.csv").unlink()  # no roles anywhere: roles come from enrollments, with a note

    def change(rows):
        for row in rows:
            if row["sourcedId"] == "res-quiz3-stu-601":
                row["score"], row["textScore"] = "", "Proficient"
            if row["sourcedId"] == "res-cfa2-stu-607":
                row["scoreStatus"] = "exempt"

    edit_csv(folder / "results.csv", change)
    ds = load_oneroster(folder)
    assert any("roles taken from their enrollments" in note for note in ds.notes)
    assert set(ds.teachers["teacher_id"]) == {"u-okafor", "u-lindqvist"}
    assert problem(ds, "results.csv", 5, "textScore")["value"].tolist() == ["Proficient"]
    # the exempt result's per-objective scores are left out with it
    assert set(problem(ds, "resultLearningObjectiveIds.csv", None, "resultSourcedId")["line"]) == {14, 15}
    assert len(ds.scores) == 36 - 1 - 2


def test_malformed_row_delta_manifest_and_header_case(tmp_path):
    folder = copy_export(tmp_path)
    lines = (folder / "results.csv").read_text(encoding="utf-8").split("\n")
    lines[0] = lines[0].replace("studentSourcedId", "StudentSourcedID")
    lines[9] += ",one,field,too,many"  # line 10
    (folder / "results.csv").write_text("\n".join(lines), encoding="utf-8")
    manifest = (folder / "manifest.csv").read_text(encoding="utf-8")
    (folder / "manifest.csv").write_text(manifest.replace("file.users,bulk", "file.users,delta"), encoding="utf-8")
    with pytest.raises(PLCDataError, match="results.csv, line 10"):
        load_oneroster(folder)
    ds = load_oneroster(folder, errors="quarantine")
    assert any("users.csv as delta" in note for note in ds.notes)
    rejected = ds.rejected[ds.rejected["file"] == "results.csv"]
    assert 10 in set(rejected["line"])
    assert len(ds.scores) + len(ds.excused) + rejected["line"].nunique() == 46


# -- realistic exports, as districts and vendors write them ------------------------------------
EXPORTS = DATA / "oneroster"


def read_rows(folder: Path, stem: str) -> list[dict]:
    """A OneRoster file's rows as dicts (header case and spelling as written), [] when absent."""
    found = [p for p in folder.iterdir() if p.name.lower() == f"{stem.lower()}.csv"]
    if not found:
        return []
    with open(found[0], encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header = [h.strip() for h in rows[0]]
    while header and header[-1] == "":
        header.pop()
    return [dict(zip(header, row)) for row in rows[1:] if any(c.strip() for c in row)]


def live(row: dict) -> bool:
    return row.get("status", "").strip().lower() not in ("tobedeleted", "inactive")


def kept_by_a_reader(folder: Path) -> dict[str, set]:
    """What a person reading the files keeps: live students, classes, and student enrollments between them.

    Written independently of the converter: a user is a student when users.csv or roles.csv says so, or
    when they hold a student enrollment; an enrollment counts when its class and user are live.
    """
    users = {r["sourcedId"]: r for r in read_rows(folder, "users") if live(r)}
    roles = {r["userSourcedId"]: r["role"].lower() for r in read_rows(folder, "roles") if live(r)}
    classes = {r["sourcedId"] for r in read_rows(folder, "classes") if live(r)}
    enrollments = {
        (r["userSourcedId"], r["classSourcedId"])
        for r in read_rows(folder, "enrollments")
        if live(r) and r["role"].lower() == "student" and r["userSourcedId"] in users and r["classSourcedId"] in classes
    }
    students = {u for u, r in users.items() if (r.get("role") or roles.get(u, "")).lower() == "student"}
    students |= {u for u, _ in enrollments}
    return {"students": students, "sections": classes, "enrollments": enrollments}


def loaded(ds) -> dict[str, set]:
    return {
        "students": set(ds.students["student_id"]),
        "sections": set(ds.sections["section_id"]),
        "enrollments": set(zip(ds.enrollments["student_id"], ds.enrollments["section_id"])),
    }


ALL_EXPORTS = sorted(p.name for p in EXPORTS.iterdir() if p.is_dir())


def test_at_least_six_realistic_exports():
    assert len(ALL_EXPORTS) >= 6


@pytest.mark.parametrize("name", ALL_EXPORTS)
def test_realistic_roster_keeps_what_a_reader_keeps(name):
    ds = load_dataset(EXPORTS / name)  # nothing in these is an error: errors="raise" loads them
    assert loaded(ds) == kept_by_a_reader(EXPORTS / name)
    assert not (ds.problems["severity"] == "error").any()
    # every fallback is one note, never a problem per row
    assert len(ds.notes) == len(set(ds.notes))


def test_courses_absent_department_school_and_teacher_taking_a_class():
    ds = load_dataset(EXPORTS / "sis_11_courses_absent")
    # file.courses=absent: a team per course id, named by what its classes' titles share
    teams = ds.teams.set_index("team_id")
    assert teams.loc["crs-bio-2025", "name"] == "Biology"
    assert teams.loc["crs-bio-2025", "grade"] == "09, 10"
    assert teams.loc["crs-chem-2025", "name"] == "Chemistry - 2"
    assert set(ds.sections.set_index("section_id").loc[["cls-bio-1", "cls-bio-3"], "team_id"]) == {"crs-bio-2025"}
    # the only org is a department, named as the classes' school: it is the school
    assert ds.schools.to_dict("records") == [{"school_id": "org-dept-sci", "name": "Science Department"}]
    assert any("type department" in n and "org-dept-sci" in n for n in ds.notes)
    # a teacher (users.csv) with a student enrollment is a student in that class, and still teaches hers
    assert ("usr-t-503", "cls-chem-2") in set(zip(ds.enrollments["student_id"], ds.enrollments["section_id"]))
    assert "usr-t-503" in set(ds.teachers["teacher_id"])
    assert ds.students.set_index("student_id").loc["usr-t-503", "grade"] == "11"
    # grades: blank -> the class's single grade, else 'unknown' (said once, never a rejection)
    grades = ds.students.set_index("student_id")["grade"]
    assert grades["usr-s-602"] == "10" and grades["usr-s-607"] == "unknown"
    assert set(ds.rejected.loc[ds.rejected["file"] == "users.csv", "line"]) == {14}  # only the tobedeleted user


def test_roles_file_with_blank_trailing_header_cells_and_odd_spellings():
    ds = load_dataset(EXPORTS / "sis_12_roles_file")
    assert set(ds.teachers["teacher_id"]) == {"usr-t-11", "usr-t-12"}
    assert "usr-a-13" not in set(ds.students["student_id"])  # a site administrator is neither
    assert any("roles taken from roles.csv" in n for n in ds.notes)
    assert any("dataLastModified→dateLastModified" in n for n in ds.notes)
    assert any("userprofiles.csv" in n for n in ds.notes)  # lower-case file name, still recognised
    # a class with a blank courseSourcedId: a team per class title (and subject)
    assert ds.sections.set_index("section_id").loc["cls-hr-7", "team_id"] == "Homeroom 7"


def test_vendor_columns_no_grades_no_teachers():
    ds = load_dataset(EXPORTS / "vendor_11_ext_columns")
    assert set(ds.sections["teacher_id"]) == {"no-teacher:class-5a", "no-teacher:class-5b", "no-teacher:class-4c"}
    assert ds.schools.set_index("school_id").loc["31001", "name"] == "Lycée Hamilius"
    # demographics.csv keys rows by userSourcedId: read as sourcedId
    assert ds.students.set_index("student_id").loc["u101", "sex"] == "female"
    assert any("ext_vendor_databaseId" in n for n in ds.notes)
    assert not any(c.startswith("ext_") for c in ds.students.columns)


def test_gradebook_exempt_not_submitted_and_ungraded():
    ds = load_dataset(EXPORTS / "lms_11_gradebook")
    scores = ds.scores.set_index(["student_id", "assessment_id"])["points"]
    # exempt = excused, even when the LMS wrote a 0: no score row, a row in `excused`, not absent
    excused = set(zip(ds.excused["student_id"], ds.excused["assessment_id"]))
    assert excused == {("u-4003", "li-a-frac"), ("u-4008", "li-b-exit")}
    assert ("u-4003", "li-a-frac") not in scores.index
    assert any("also give a score" in n and "r03" in n for n in ds.notes)
    # not submitted = not attempted (a blank score, counted as 0), even with a 0 written
    assert pd.isna(scores[("u-4004", "li-a-frac")]) and pd.isna(scores[("u-4007", "li-b-exit")])
    # submitted, not graded yet: left out with a warning naming the row
    left = problem(ds, "results.csv", 8, "scoreStatus")
    assert left["severity"].tolist() == ["warning"] and "not graded yet" in left["reason"].iloc[0]
    # loaded + excused + rejected = every results.csv row
    rejected = ds.rejected.loc[ds.rejected["file"] == "results.csv", "line"].nunique()
    assert len(ds.scores) + len(ds.excused) + rejected == data_rows(EXPORTS / "lms_11_gradebook" / "results.csv")


def test_excused_students_are_neither_assessed_nor_absent():
    from plc_analysis import proficiency_by_skill

    ds = load_dataset(EXPORTS / "lms_11_gradebook")
    table = proficiency_by_skill(ds, by="section", rule="all")
    frac = table[(table["assessment_id"] == "li-a-frac")].iloc[0]
    # k-4a: 4001 and 4002 scored, 4004 not attempted (assessed), 4003 excused: 3 assessed, 0 absent
    assert (frac["n_assessed"], frac["n_absent"]) == (3, 0)


def test_gradebook_dates_in_other_forms():
    us = load_dataset(EXPORTS / "lms_11_gradebook").assessments.set_index("assessment_id")["date"]
    assert us["li-a-frac"] == pd.Timestamp("2024-10-03")  # 10/03/2024, month first: no day above 12
    assert us["li-a-unit2"] == pd.Timestamp("2024-11-12")  # no dueDate: assignDate
    assert us["li-b-exit"] == pd.Timestamp("2024-10-22")  # neither: the first scoreDate ("10/22/2024")
    eu = load_dataset(EXPORTS / "sis_12_standards_gradebook")
    assert eu.assessments.set_index("assessment_id").loc["li-cfa-p1", "date"] == pd.Timestamp("2024-10-15")
    assert any("15/10/2024" in n and "day/month/year" in n for n in eu.notes)


def test_score_scales_text_scores_and_per_standard_skills():
    ds = load_dataset(EXPORTS / "sis_12_standards_gradebook")
    case = {"6ba6f8a2-d7cc-11e8-824f-0242ac160002", "6ba70a58-d7cc-11e8-824f-0242ac160002"}
    # per-standard scores become skills; the CASE identifier is kept as the standard
    skills = ds.skills.set_index("skill_id")
    assert case <= set(skills.index) and set(skills.loc[list(case), "standard"]) == case
    items = ds.items.set_index("item_id")
    assert items.loc["li-cfa-p1:6ba6f8a2-d7cc-11e8-824f-0242ac160002", "max_points"] == 4  # top of its scale
    points = ds.scores.set_index(["student_id", "item_id"])["points"]
    # textScore through the line item's scale (Meets = 3), the number where one is given
    assert points[("u-s-601", "li-cfa-p1:6ba6f8a2-d7cc-11e8-824f-0242ac160002")] == 3
    assert points[("u-s-601", "li-cfa-p1:6ba70a58-d7cc-11e8-824f-0242ac160002")] == 4
    # a result's own scale (resultScoreScales): letter A = the bottom of 90-100
    assert points[("u-s-601", "li-lab-p1")] == 90 and points[("u-s-602", "li-lab-p1")] == 84
    # 1.2 missing=true: every standard not attempted; exempt: excused
    assert points.loc["u-s-605"].filter(like="li-cfa").isna().all()
    assert set(zip(ds.excused["student_id"], ds.excused["assessment_id"])) == {("u-s-608", "li-cfa-p4")}
    assert not (ds.problems["severity"] == "error").any()


def test_text_score_not_on_its_scale_is_an_error_naming_it(tmp_path):
    folder = copy_export(tmp_path, EXPORTS / "sis_12_standards_gradebook")

    def change(rows):
        rows[0]["textScore"] = "Meeting"

    edit_csv(folder / "resultLearningObjectiveIds.csv", change)
    with pytest.raises(PLCDataError) as caught:
        load_oneroster(folder)
    errors = caught.value.problems.query("severity == 'error'")
    assert list(zip(errors["file"], errors["line"], errors["column"], errors["value"])) == [
        ("resultLearningObjectiveIds.csv", 2, "textScore", "Meeting")
    ]
    assert "ss-prof4" in errors["reason"].iloc[0] and "Meets" in errors["reason"].iloc[0]


def test_delta_export_with_odd_headers_zipped(tmp_path):
    target = zip_export(EXPORTS / "vendor_11_delta_odd_headers", tmp_path / "nightly.zip", "RosterSync/2025-02-03")
    ds = load_dataset(target)
    assert set(ds.schools["school_id"]) == {"sch-5"}  # ORGS.csv, " SourcedId ", type "School"
    assert any("as delta" in n for n in ds.notes)
    assert ds.assessments.set_index("assessment_id").loc["li-q3r-5", "kind"] == "reassessment"
    assert ds.assessments.set_index("assessment_id").loc["li-q3-2", "date"] == pd.Timestamp("2025-01-31")
    # loaded + excused + rejected = every results.csv row
    rejected = ds.rejected.loc[ds.rejected["file"] == "results.csv", "line"].nunique()
    assert len(ds.scores) + len(ds.excused) + rejected == 9


# -- property: what loads never depends on column order or on optional, unused information ------------
#: Columns the analysis does not need: dropping or blanking them never changes who and what loads.
UNUSED = {
    "dateLastModified",
    "enabledUser",
    "username",
    "userIds",
    "middleName",
    "identifier",
    "email",
    "sms",
    "phone",
    "agentSourcedIds",
    "password",
    "orgSourcedIds",
    "classCode",
    "classType",
    "location",
    "subjectCodes",
    "courseCode",
    "schoolYearSourcedId",
    "description",
    "comment",
    "beginDate",
    "endDate",
    "givenName",
    "familyName",
    "preferredGivenName",
    "preferredFamilyName",
    "pronouns",
    "weight",
    "userMasterIdentifier",
    "primaryOrgSourcedId",
    "gradingPeriodSourcedId",
    "academicSessionSourcedId",
    "resultValueMin",
    "late",
    "scoreDate",
    "grades",
    "periods",
    "source",
}


def what_loads(ds) -> dict[str, set]:
    scores = ds.scores
    return {
        **loaded(ds),
        "scores": set(
            zip(scores["student_id"], scores["assessment_id"], scores["item_id"], scores["points"].fillna(-1))
        ),
        "excused": set(zip(ds.excused["student_id"], ds.excused["assessment_id"])),
    }


@pytest.fixture(scope="module")
def baselines():
    return {name: what_loads(load_oneroster(EXPORTS / name, errors="quarantine")) for name in ALL_EXPORTS}


def rewrite_export(source: Path, target: Path, choose) -> Path:
    """Copy an export, each file's columns chosen by ``choose(file, header, n_rows)``.

    ``choose`` returns ``(order, blanked, blank_rows)``: the header positions to write, in order (a
    left-out position is a dropped column), the columns to blank, and the row numbers (1-based) to
    blank them in.  The manifest is copied as it is.
    """
    target.mkdir()
    for path in sorted(source.iterdir()):
        if path.stem.lower() == "manifest":
            (target / path.name).write_bytes(path.read_bytes())
            continue
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = [r for r in csv.reader(handle) if any(c.strip() for c in r)]
        header = [h.strip() for h in rows[0]]
        while header and header[-1] == "":  # empty trailing header cells name no column: not shuffled
            header.pop()
        order, blanked, blank_rows = choose(path.name, header, len(rows) - 1)
        with open(target / path.name, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([header[i] for i in order])
            for number, row in enumerate(rows[1:], start=1):
                row = row + [""] * (len(header) - len(row))
                writer.writerow(["" if header[i] in blanked and number in blank_rows else row[i] for i in order])
    return target


def unused_columns(header: list[str]) -> list[str]:
    return [c for c in header if c in UNUSED or c.startswith(("ext_", "metadata."))]


@settings(max_examples=18, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(ALL_EXPORTS), data=st.data())
def test_shuffled_dropped_or_blanked_optional_columns_change_nothing(baselines, name, data):
    def choose(file, header, n_rows):
        unused = unused_columns(header)
        dropped = set(data.draw(st.lists(st.sampled_from(unused), unique=True), label=file) if unused else [])
        blanked = set(data.draw(st.lists(st.sampled_from(unused), unique=True)) if unused else []) - dropped
        order = data.draw(st.permutations([i for i, c in enumerate(header) if c not in dropped]))
        return order, blanked, data.draw(st.sets(st.integers(1, max(n_rows, 1))))

    with tempfile.TemporaryDirectory() as tmp:
        folder = rewrite_export(EXPORTS / name, Path(tmp) / name, choose)
        assert what_loads(load_oneroster(folder, errors="quarantine")) == baselines[name]


@pytest.mark.parametrize("name", ALL_EXPORTS)
def test_every_unused_column_dropped_changes_nothing(baselines, name, tmp_path):
    def choose(file, header, n_rows):
        unused = set(unused_columns(header))
        return [i for i, c in enumerate(header) if c not in unused][::-1], set(), set()

    folder = rewrite_export(EXPORTS / name, tmp_path / name, choose)
    assert what_loads(load_oneroster(folder, errors="quarantine")) == baselines[name]


def test_plc_validate_prints_the_fallback_notes(tmp_path, capsys):
    from plc_analysis.cli import main

    code = main(["validate", str(EXPORTS / "sis_11_courses_absent"), "--rejected", str(tmp_path / "rejected.csv")])
    out = capsys.readouterr().out
    assert code == 0 and "No errors." in out
    assert "Notes:" in out and "type department named as classes' school" in out
    assert (tmp_path / "rejected.csv").exists()  # the tobedeleted rows, with their reasons


def test_rows_with_fewer_cells_than_the_header_are_read_with_blanks(tmp_path):
    folder = copy_export(tmp_path, EXPORTS / "sis_12_roles_file")
    roles = (folder / "roles.csv").read_bytes().decode()  # header ends in two blank cells, rows have 9
    (folder / "roles.csv").write_bytes(roles.replace("orgSourcedId,,", "orgSourcedId,userProfileSourcedId").encode())
    lines = (folder / "enrollments.csv").read_bytes().decode().split("\r\n")
    lines[3] = lines[3].rsplit(",", 1)[0]  # line 4 stops before endDate
    (folder / "enrollments.csv").write_bytes("\r\n".join(lines).encode())
    ds = load_oneroster(folder)
    assert loaded(ds) == kept_by_a_reader(EXPORTS / "sis_12_roles_file")
    assert set(ds.teachers["teacher_id"]) == {"usr-t-11", "usr-t-12"}  # roles.csv still read
    notes = [n for n in ds.notes if "fewer cells than the header" in n]
    assert len(notes) == 2 and any(n.startswith("enrollments.csv: 1 row(s)") and "lines 4" in n for n in notes)
    assert ds.rejected.empty
