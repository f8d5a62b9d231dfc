"""Each validation rule, with a small broken file, and the all-at-once guarantee."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from conftest import MINI, write_folder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plc_analysis import PLCDataError, load_dataset
from plc_analysis.cli import main as plc_main


def broken(tmp_path, **changes):
    files = dict(MINI)
    for name, content in changes.items():
        files[name.replace("__", ".")] = content
    return write_folder(tmp_path / "broken", files)


def problems_of(folder) -> pd.DataFrame:
    with pytest.raises(PLCDataError) as info:
        load_dataset(folder)
    return info.value.problems


def only_error(problems: pd.DataFrame) -> pd.Series:
    """The one primary error: in the first file with errors (rows that depend on it follow)."""
    errors = problems[problems["severity"] == "error"]
    errors = errors[errors["file"] == errors["file"].iloc[0]]
    assert len(errors) == 1, errors.to_string()
    return errors.iloc[0]


def test_valid_folder_loads_with_types(mini_folder):
    d = load_dataset(mini_folder)
    assert d.students["student_id"].tolist() == ["007", "008", "009", "010"]  # never 7
    assert str(d.students["ell"].dtype) == "boolean"
    assert d.students["sped"].tolist() == [False, False, True, False]  # N/Y parsed
    assert d.students["frl"].tolist() == [True, False, False, True]  # yes/no/0/1 parsed
    assert d.assessments["date"].dtype == "datetime64[ns]"
    assert d.skills["essential"].dtype == bool
    assert d.items["kind"].dtype == "category"
    assert d.scores["points"].isna().sum() == 1  # not attempted kept as NaN
    assert len(d.rejected) == 0


def test_missing_required_file(tmp_path):
    files = dict(MINI)
    del files["items.csv"]
    problems = problems_of(write_folder(tmp_path / "x", files))
    assert ((problems["file"] == "items.csv") & problems["reason"].str.contains("required file is missing")).any()


def test_missing_required_column(tmp_path):
    folder = broken(tmp_path, skills__csv="skill_id,team_id\nK1,T3\nK2,T3\n")
    problems = problems_of(folder)
    row = only_error(problems[problems["file"] == "skills.csv"])
    assert (row["file"], row["line"], row["column"]) == ("skills.csv", 1, "description")
    assert "required column is missing" in row["reason"]
    # the items that use those skills are rejected too, saying why
    items = problems[problems["file"] == "items.csv"]
    assert items["reason"].str.contains("refers to a row of skills.csv that was rejected").all()
    d = load_dataset(folder, errors="quarantine")
    assert d.rejected["file"].value_counts().to_dict() == {"skills.csv": 2, "items.csv": 3, "scores.csv": 10}


def test_empty_file(tmp_path):
    row = only_error(problems_of(broken(tmp_path, schools__csv="")))
    assert row["file"] == "schools.csv" and "empty" in row["reason"]


def test_unknown_student_in_scores(tmp_path):
    scores = MINI["scores.csv"] + "404,A1,i1,1,B,\n"
    row = only_error(problems_of(broken(tmp_path, scores__csv=scores)))
    assert (row["file"], row["line"], row["column"], row["value"]) == ("scores.csv", 12, "student_id", "404")
    assert "not in students.csv" in row["reason"]


def test_item_not_on_assessment(tmp_path):
    scores = MINI["scores.csv"] + "010,A1,i9,1,,\n"
    row = only_error(problems_of(broken(tmp_path, scores__csv=scores)))
    assert row["line"] == 12 and "not in items.csv" in row["reason"]


def test_score_for_student_not_enrolled(tmp_path):
    students = MINI["students.csv"] + "011,3,Eve,Hu,false,false,false\n"
    scores = MINI["scores.csv"] + "011,A1,i1,1,B,\n"
    row = only_error(problems_of(broken(tmp_path, students__csv=students, scores__csv=scores)))
    assert row["value"] == "011 / T3"
    assert "not enrolled in any section of team 'T3'" in row["reason"]


def test_duplicate_score_without_rater(tmp_path):
    scores = MINI["scores.csv"] + "009,A1,i1,0,A,\n"
    row = only_error(problems_of(broken(tmp_path, scores__csv=scores)))
    assert row["line"] == 12
    assert row["reason"] == "the same student and item scored twice without a rater_id (first seen on line 9)"


def test_double_scoring_with_raters_is_not_a_duplicate(mini_folder):
    d = load_dataset(mini_folder)
    assert len(d.ratings()) == 2
    record = d.scores_of_record()
    # the row of record for double-scored work is the student's own teacher's (t1 scored 3)
    assert record.query("student_id == '007' and item_id == 'i3'")["points"].tolist() == [3.0]


@pytest.mark.parametrize(
    "value, reason",
    [
        ("-1", "must be at least 0"),
        ("x", "not a number"),
        ("inf", "not a number"),
        ("5", "more than the item's max_points"),
    ],
)
def test_bad_points(tmp_path, value, reason):
    scores = MINI["scores.csv"].replace("009,A1,i3,4,,", f"009,A1,i3,{value},,")
    row = only_error(problems_of(broken(tmp_path, scores__csv=scores)))
    assert (row["line"], row["column"], row["value"], row["reason"]) == (11, "points", value, reason)


def test_proficiency_cut_outside_0_1(tmp_path):
    skills = MINI["skills.csv"].replace("true,0.8,", "true,80,")
    row = only_error(problems_of(broken(tmp_path, skills__csv=skills)))
    assert (row["line"], row["column"], row["value"]) == (2, "proficiency_cut", "80")


def test_unparseable_date(tmp_path):
    assessments = MINI["assessments.csv"].replace("2025-09-15", "15/09/2025")
    row = only_error(problems_of(broken(tmp_path, assessments__csv=assessments)))
    assert row["column"] == "date" and "ISO 8601" in row["reason"]


def test_bad_boolean_in_subgroup(tmp_path):
    students = MINI["students.csv"].replace("008,3,Ben,Eto,false", "008,3,Ben,Eto,maybe")
    row = only_error(problems_of(broken(tmp_path, students__csv=students)))
    assert (row["line"], row["column"], row["value"]) == (3, "ell", "maybe")


def test_text_subgroup_column_stays_text(tmp_path):
    students = MINI["students.csv"].replace("frl\n", "frl,home_language\n")
    students = students.replace("yes\n", "yes,Spanish\n").replace("no\n", "no,English\n")
    students = students.replace(",0\n", ",0,English\n").replace(",1\n", ",1,Tagalog\n")
    d = load_dataset(broken(tmp_path, students__csv=students))
    assert d.students["home_language"].tolist() == ["Spanish", "English", "English", "Tagalog"]
    assert "home_language" in d.subgroup_columns


def test_ragged_row(tmp_path):
    folder = broken(tmp_path, schools__csv="school_id,name\nS1,Boones,Mill,extra\n")
    row = only_error(problems_of(folder))
    assert row["line"] == 2 and "fields" in row["reason"]
    d = load_dataset(folder, errors="quarantine")
    assert d.rejected.query("file == 'schools.csv'")["line"].tolist() == [2]


def test_unclosed_quote_is_explained(tmp_path):
    row = only_error(problems_of(broken(tmp_path, enrollments__csv='student_id,section_id\n"007,sec1\n008,sec1\n')))
    assert row["line"] == 2
    assert row["reason"] == "row has 1 fields, the header has 2 (a quoted cell opened on line 2 runs to line 3)"


def test_names_are_redacted_in_messages(tmp_path):
    students = MINI["students.csv"] + "007,3,Secretname,Hidden,false,false,false\n"
    with pytest.raises(PLCDataError) as info:
        load_dataset(broken(tmp_path, students__csv=students))
    assert "Secretname" not in str(info.value)
    students = MINI["students.csv"].replace("Ana,Diaz", "Ana\u00c3\u00a9,Diaz")
    d = load_dataset(broken(tmp_path, students__csv=students))
    mojibake = d.problems[d.problems["reason"].str.contains("mojibake")]
    assert mojibake["value"].tolist() == ["<redacted>"]


def test_encodings(tmp_path):
    text = MINI["students.csv"].replace("Ana,Diaz", "Zoë,Núñez")
    files = dict(MINI, **{"students.csv": b"\xef\xbb\xbf" + text.encode("utf-8")})
    d = load_dataset(write_folder(tmp_path / "bom", files))
    assert d.students["first_name"].iloc[0] == "Zoë" and "student_id" in d.students
    files = dict(MINI, **{"students.csv": text.encode("cp1252")})
    d = load_dataset(write_folder(tmp_path / "cp1252", files))
    assert d.students["last_name"].iloc[0] == "Núñez"
    assert d.problems["reason"].str.contains("read as cp1252").any()


def test_mojibake_reported(tmp_path):
    teachers = MINI["teachers.csv"].replace("Ms. Ames", "Ms. AmÃ©s")
    d = load_dataset(broken(tmp_path, teachers__csv=teachers))
    row = d.problems[d.problems["reason"].str.contains("mojibake")].iloc[0]
    assert (row["file"], row["line"], row["column"], row["severity"]) == ("teachers.csv", 2, "name", "warning")


DOZEN = {
    "students.csv": MINI["students.csv"] + "007,3,Dup,Dup,false,false,false\n",  # 1 duplicate key
    "enrollments.csv": MINI["enrollments.csv"] + "999,sec1\n",  # 2 unknown student
    "skills.csv": MINI["skills.csv"] + "K3,Spelling,T3,true,80,\nK4,Grammar,T3,perhaps,0.8,\n",  # 3 cut, 4 bool
    "assessments.csv": MINI["assessments.csv"] + "A2,T3,CFA 2,quiz,2025-13-01,\n",  # 5 kind, 6 date
    "items.csv": MINI["items.csv"] + "A1,i4,K9,1,mc,A\nA1,i5,K1,zero,mc,A\n",  # 7 skill, 8 max
    "scores.csv": MINI["scores.csv"]
    + "010,A1,i1,2,B,\n010,A1,i2,-1,B,\n009,A1,i1,1,B,\n"  # 9 >max 10 <0 11 dup
    + "010,A1,i7,1,,\nXX,A1,i1,1,B,\n",  # 12 item 13 student
}


def test_dozen_errors_all_reported_at_once(tmp_path):
    folder = broken(tmp_path, **{k.replace(".", "__"): v for k, v in DOZEN.items()})
    (folder / "progress.csv").write_text("student_id,section_id,period_end,percent\n007,sec1,2025-09-20,101\n")
    problems = problems_of(folder)
    expected = {
        ("students.csv", 6),
        ("enrollments.csv", 6),
        ("skills.csv", 4),
        ("skills.csv", 5),
        ("assessments.csv", 3),
        ("items.csv", 5),
        ("items.csv", 6),
        ("scores.csv", 12),
        ("scores.csv", 13),
        ("scores.csv", 14),
        ("scores.csv", 15),
        ("scores.csv", 16),
        ("progress.csv", 2),
    }
    found = set(zip(problems["file"], problems["line"].astype(int)))
    assert expected <= found, expected - found
    assert len(problems) == 14  # assessments line 3 has two problems (kind and date)


def test_quarantine_accounts_for_every_row(tmp_path):
    folder = broken(tmp_path, **{k.replace(".", "__"): v for k, v in DOZEN.items()})
    d = load_dataset(folder, errors="quarantine")
    for name, text in DOZEN.items():
        table = name.removesuffix(".csv")
        input_rows = len(text.strip().splitlines()) - 1
        rejected = int((d.rejected["file"] == name).sum())
        assert len(d.tables[table]) + rejected == input_rows, name
    assert set(d.rejected.columns) == {"file", "line", "severity", "reason", "row"}


def test_rejecting_a_parent_rejects_its_children(tmp_path):
    items = MINI["items.csv"].replace("A1,i1,K1,1,mc,B", "A1,i1,K1,one,mc,B")
    d = load_dataset(broken(tmp_path, items__csv=items), errors="quarantine")
    children = d.rejected[d.rejected["file"] == "scores.csv"]
    assert len(children) == 3
    assert children["reason"].str.contains("refers to a row of items.csv that was rejected \\(line 2\\)").all()


def test_cli_validate_lists_every_problem_and_exits_1(tmp_path, capsys):
    folder = broken(tmp_path, **{k.replace(".", "__"): v for k, v in DOZEN.items()})
    assert plc_main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    for line in ("students.csv, line 6", "scores.csv, line 16", "items.csv, line 6", "assessments.csv, line 3"):
        assert line in out
    rejected = pd.read_csv(folder / "rejected.csv", dtype=str)
    assert len(rejected) == 12


def test_cli_validate_clean_exits_0(mini_folder, capsys):
    assert plc_main(["validate", str(mini_folder)]) == 0
    assert "No errors." in capsys.readouterr().out


def test_cli_runs_as_console_script(mini_folder):
    result = subprocess.run(
        [sys.executable, "-m", "plc_analysis.cli", "validate", str(mini_folder)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


CELL = st.one_of(
    st.text(max_size=6),
    st.sampled_from(["", " ", "007", "-1", "1e309", "nan", "true", "2025-02-30", "\ufeff", '"', "A1", "T3"]),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.sampled_from(sorted(MINI)), row=st.integers(0, 3), column=st.integers(0, 6), cell=CELL)
def test_random_garbage_never_crashes(tmp_path_factory, table, row, column, cell):
    lines = MINI[table].splitlines()
    body = lines[1 + row % (len(lines) - 1)].split(",")
    body[column % len(body)] = cell.replace(",", "").replace("\n", "").replace("\r", "")
    lines[1 + row % (len(lines) - 1)] = ",".join(body)
    folder = write_folder(tmp_path_factory.mktemp("garbage"), dict(MINI, **{table: "\n".join(lines) + "\n"}))
    try:
        load_dataset(folder)
    except PLCDataError as exc:
        assert len(exc.problems) >= 1
    quarantined = load_dataset(folder, errors="quarantine")
    if '"' in cell:
        return  # an open quote may swallow later lines into one record (tested separately)
    assert (
        len(quarantined.tables[table.removesuffix(".csv")]) + int((quarantined.rejected["file"] == table).sum())
        == len(lines) - 1
    )
