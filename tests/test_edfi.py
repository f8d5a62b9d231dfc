"""Ed-Fi assessment data: bulk XML interchange (Data Standard 4/5) and saved ODS/API JSON.

The ``grand_bend_*`` folders are excerpts of the Ed-Fi Alliance's "Grand Bend" sample
interchange files (Ed-Fi Data Standard repository, Apache-2.0; see tests/data/edfi/NOTICE.md),
trimmed but otherwise unchanged, quirks included: the 3rd-grade math benchmark reports raw
scores that disagree with its item results and responses that are not the key although the
result is ``Correct``; the state assessment has a student not tested and an objective raw
score above the objective's maximum.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plc_analysis import PLCDataError, load_dataset, load_edfi
from plc_analysis.edfi import EDFI_NO_ROSTER_NOTE

DATA = Path(__file__).parent / "data" / "edfi"
MATH = DATA / "grand_bend_math"
STATE = DATA / "grand_bend_state"
ACT = DATA / "grand_bend_act"
JSON_DIR = DATA / "ods_api_json"
STUDENT_NAMES = ("Ava", "Adams", "José", "Peña", "Liam", "Baker", "Mia", "Chen")


def _count(path: Path, tag: str) -> int:
    """Elements named ``tag`` in an XML file, counted with a regular expression (not the loader's parser)."""
    return len(re.findall(rf"<{tag}>", path.read_text()))


def _warnings(ds, column: str) -> pd.DataFrame:
    p = ds.problems
    return p[(p["severity"] == "warning") & (p["column"] == column)]


# ---------------------------------------------------------------------------
# XML: Grand Bend excerpts
# ---------------------------------------------------------------------------
def test_grand_bend_benchmark_items_become_scores_with_edfi_item_codes():
    ds = load_dataset(MATH)
    meta = MATH / "AssessmentMetadata-Benchmarks-3rdGradeMath.xml"
    results = MATH / "StudentAssessment-Benchmarks-3rdGradeMath.xml"
    codes = re.findall(r"<AssessmentItem>\s*<IdentificationCode>(\w+)<", meta.read_text())
    assert sorted(ds.items["item_id"]) == sorted(codes)
    # every StudentAssessmentItem is a score (none rejected), every result is Correct: full marks
    assert len(ds.scores) == _count(results, "StudentAssessmentItem")
    assert len(ds.rejected) == 0
    assert (ds.scores["points"] == 1.0).all()
    assert set(ds.scores["student_id"]) == set(re.findall(r"<StudentUniqueId>(\d+)<", results.read_text()))
    # skills are the items' learning standards; the key is the correct PossibleResponse
    first = ds.items.set_index("item_id").loc["9848478"]
    assert first["skill_id"] == "111.15.3.1.A" and first["key"] == "A" and first["max_points"] == 1.0
    assert ds.skills.set_index("skill_id").loc["111.15.3.1.A", "standard"] == "111.15.3.1.A"
    assessment = ds.assessments.iloc[0]
    assert assessment["title"] == "3rd Grade Math 1st Six Weeks 2021-2022"
    assert assessment["kind"] == "cumulative"  # "Benchmark test"
    assert str(assessment["date"].date()) == "2021-09-28"
    assert ds.students["grade"].unique().tolist() == ["3"]  # WhenAssessedGradeLevel "Third grade"
    assert EDFI_NO_ROSTER_NOTE in ds.notes


def test_grand_bend_raw_score_that_disagrees_with_items_is_a_warning():
    ds = load_dataset(MATH)
    results = MATH / "StudentAssessment-Benchmarks-3rdGradeMath.xml"
    text = results.read_text()
    raw = _warnings(ds, "ScoreResult/Result")
    assert len(raw) == _count(results, "StudentAssessment")
    first = raw.iloc[0]
    lines = text.splitlines()
    assert "<ScoreResult>" in lines[first["line"] - 1]
    assert first["file"] == results.name and first["value"] == "4"
    assert first["reason"] == (
        "the raw score disagrees with the item results, which add up to 6 (6 item(s)); the item results are used"
    )


def test_grand_bend_correct_response_that_is_not_the_key_is_a_warning():
    ds = load_dataset(MATH)
    results = MATH / "StudentAssessment-Benchmarks-3rdGradeMath.xml"
    mismatched = _warnings(ds, "AssessmentResponse")
    keys = ds.items.set_index("item_id")["key"]
    expected = (ds.scores["response"] != ds.scores["item_id"].map(keys)).sum()
    assert len(mismatched) == expected > 0
    row = mismatched.iloc[0]
    assert "<StudentAssessmentItem>" in results.read_text().splitlines()[row["line"] - 1]
    assert row["value"] == "G"
    assert re.fullmatch(
        r"the result is Correct but the response 'G' is not the key '[A-D]'; the AssessmentItemResult is used",
        row["reason"],
    )


def test_data_standard_4_and_5_load_alike(tmp_path):
    ds5 = load_edfi(MATH)
    ds4_dir = tmp_path / "ds4"
    ds4_dir.mkdir()
    for file in MATH.iterdir():
        (ds4_dir / file.name).write_text(file.read_text().replace("http://ed-fi.org/5.0.0", "http://ed-fi.org/4.0.0"))
    ds4 = load_edfi(ds4_dir)
    for name in ("items", "scores", "skills", "students", "assessments"):
        pd.testing.assert_frame_equal(ds4[name], ds5[name])


def test_grand_bend_state_assessment_scores_objectives_and_rejects_a_score_above_its_maximum():
    ds = load_dataset(STATE, errors="quarantine")
    meta = STATE / "AssessmentMetadata-StateAssessment.xml"
    results = STATE / "StudentAssessment-StateAssessment.xml"
    objectives = re.findall(r"<ObjectiveAssessment>\s*<IdentificationCode>([^<]+)<", meta.read_text())
    assert sorted(ds.items["item_id"]) == sorted(objectives)
    assert ds.assessments["kind"].tolist() == ["state"]
    # loaded + rejected = the objective results in the file (the not-tested student has none)
    errors = ds.rejected[ds.rejected["severity"] == "error"]
    assert len(ds.scores) + len(errors) == _count(results, "StudentObjectiveAssessment")
    [problem] = ds.problems[ds.problems["severity"] == "error"].itertuples()
    assert problem.file == results.name
    assert problem.column == "StudentObjectiveAssessment/ScoreResult/Result"
    assert problem.value == "8"
    assert problem.reason == "more than the item's max_points"
    assert "<ScoreResult>" in results.read_text().splitlines()[problem.line - 1]
    not_tested = _warnings(ds, "ReasonNotTested")
    assert not_tested["value"].tolist() == ["Absent"] * _count(results, "ReasonNotTested")
    # the objective's own performance level is kept with its score
    assert set(ds.scores["performance_level"]) <= {"Did Not Meet Standard", "Met Standard", "Advanced"}
    assert "Did Not Meet Standard (Raw score: 0-" in ds.assessments["performance_levels"].iloc[0]


def test_state_assessment_error_raises_by_default_with_file_line_and_field():
    with pytest.raises(PLCDataError) as caught:
        load_dataset(STATE)
    message = str(caught.value)
    assert message.startswith("1 problem(s) found in")
    assert "StudentAssessment-StateAssessment.xml, line " in message
    assert (
        "column 'StudentObjectiveAssessment/ScoreResult/Result': value '8': more than the item's max_points" in message
    )


def test_grand_bend_act_score_results_become_one_item_per_reported_score():
    ds = load_dataset(ACT)
    results = ACT / "StudentAssessment-ACT.xml"
    assert len(ds.scores) == _count(results, "ScoreResult")
    methods = set(re.findall(r"ReportingMethodDescriptor#([^<]+)<", results.read_text()))
    assert methods == {"Composite Score", "Scale score"}
    assert set(ds.items["item_id"]) == {"composite-score", "scale-score"}
    assert (ds.items["max_points"] == 35).all()  # ACT: 1 to 36
    # points count from the minimum; the reported score is kept as the response
    assert (ds.scores["points"] == ds.scores["response"].astype(float) - 1).all()
    met = ds.scores[ds.scores["performance_level"].notna()]
    assert set(met["performance_level"]) == {"Met Standard"}
    assert set(ds.assessments["kind"]) == {"state"}  # "College entrance exam"
    assert set(ds.skills["skill_id"]) == {"composite-overall", "english-overall"}


# ---------------------------------------------------------------------------
# JSON: saved ODS/API resources
# ---------------------------------------------------------------------------
def test_ods_api_json_loads_items_objectives_and_score_results():
    ds = load_dataset(JSON_DIR, errors="quarantine")
    items = ds.items.set_index("item_id")
    assert items.loc["CFA3-Q3", "max_points"] == 2 and pd.isna(items.loc["CFA3-Q3", "key"])
    assert items.loc["CFA3-Q1", "key"] == "A" and items.loc["CFA3-Q1", "kind"] == "mc"
    assert pd.isna(items.loc["CFA3-Q5", "key"])  # multi-select: two correct responses
    assert items.loc["CFA3-Q5", "skill_id"] == "CFA3-OBJ-EQUIV"  # no standard: its objective assessment
    scores = ds.scores.set_index(["student_id", "item_id"])["points"]
    assert scores[("1002", "CFA3-Q3")] == 1.0  # Partially Correct, raw score 1 of 2
    assert scores[("1002", "CFA3-Q2")] == 0.0
    assert scores[("1001", "scale-score")] == 214 - 100
    assert ("1003", "CFA3-Q3") not in scores.index
    assert ds.students.set_index("student_id").loc["1002", "last_name"] == "Peña"


def test_ods_api_json_problems_name_file_line_and_field():
    ds = load_dataset(JSON_DIR, errors="quarantine")
    text = (JSON_DIR / "studentAssessments.json").read_text().splitlines()

    def object_line(identifier: str) -> int:
        at = next(i for i, line in enumerate(text) if f'"studentAssessmentIdentifier": "{identifier}"' in line)
        return next(i for i in range(at, -1, -1) if text[i].strip() == "{") + 1

    got = {
        (p.line, p.column, p.value, p.severity) for p in ds.problems.itertuples() if p.file == "studentAssessments.json"
    }
    assert got == {
        (object_line("SA-1002-CFA3"), "items[0].assessmentResponse", "B", "warning"),
        (object_line("SA-1002-CFA3"), "scoreResults[0].result", "5", "warning"),
        (object_line("SA-1002-CFA3"), "studentObjectiveAssessments[0].scoreResults[0].result", "3", "warning"),
        (object_line("SA-1003-CFA3"), "items[1].assessmentResponse", "C", "warning"),
        (object_line("SA-1003-CFA3"), "items[2].assessmentItemResultDescriptor", "Partially Correct", "error"),
        (object_line("SA-1004-CFA3"), "reasonNotTestedDescriptor", "Absent", "warning"),
        (object_line("SA-1001-SCI"), "assessmentReference.assessmentIdentifier", "G5-SCI-CFA1", "warning"),
        (object_line("SA-1001-BOY"), "AssessmentReportingMethod", "Lexile Measure", "warning"),
    }
    reasons = dict(zip(ds.problems["column"], ds.problems["reason"]))
    assert reasons["items[1].assessmentResponse"] == (
        "the result is Incorrect but the response 'C' is the key; the items[1].assessmentItemResultDescriptor is used"
    )
    assert reasons["items[2].assessmentItemResultDescriptor"] == (
        "Partially Correct without a RawScoreResult: the points are unknown"
    )
    assert reasons["studentObjectiveAssessments[0].scoreResults[0].result"] == (
        "objective 'CFA3-OBJ-ADD': the raw score disagrees with its item results, which add up to 2"
    )


def test_ods_api_json_loaded_plus_rejected_equals_input():
    ds = load_dataset(JSON_DIR, errors="quarantine")
    records = json.loads((JSON_DIR / "studentAssessments.json").read_text())
    assessments = {a["assessmentIdentifier"] for a in json.loads((JSON_DIR / "assessments.json").read_text())}
    known = [r for r in records if r["assessmentReference"]["assessmentIdentifier"] in assessments]
    item_results = sum(len(r["items"]) for r in known)
    score_only = [r for r in known if not r["items"]]
    score_results = sum(len(r["scoreResults"]) for r in score_only)
    rejected_scores = ds.rejected[~ds.rejected["reason"].str.startswith(("reasonNotTested", "assessmentReference"))]
    assert len(ds.scores) + len(rejected_scores) == item_results + score_results
    # every student assessment is loaded (has scores) or rejected as a whole
    whole = ds.rejected[ds.rejected["reason"].str.startswith(("reasonNotTested", "assessmentReference"))]
    with_scores = {r["studentAssessmentIdentifier"] for r in records} - {
        json.loads(row)["StudentAssessmentIdentifier"] for row in whole["row"]
    }
    assert len(with_scores) + len(whole) == len(records)


def test_ods_api_json_raises_on_the_one_error_and_never_names_a_student():
    with pytest.raises(PLCDataError) as caught:
        load_dataset(JSON_DIR)
    assert str(caught.value).count("\n  - ") == 1
    ds = load_dataset(JSON_DIR, errors="quarantine")
    shown = " ".join(map(str, ds.problems.to_numpy().ravel())) + " ".join(ds.rejected["row"]) + " ".join(ds.notes)
    for name in STUDENT_NAMES:
        assert name not in shown


def test_a_zip_of_json_resources_loads_like_the_folder(tmp_path):
    archive = tmp_path / "edfi_export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for file in JSON_DIR.iterdir():
            z.write(file, f"export/{file.name}")
    from_zip = load_dataset(archive, errors="quarantine")
    from_folder = load_dataset(JSON_DIR, errors="quarantine")
    pd.testing.assert_frame_equal(from_zip.scores, from_folder.scores)
    pd.testing.assert_frame_equal(from_zip.problems, from_folder.problems)


def test_results_without_metadata_are_refused_with_a_clear_message(tmp_path):
    shutil.copy(MATH / "StudentAssessment-Benchmarks-3rdGradeMath.xml", tmp_path)
    with pytest.raises(PLCDataError, match="no assessment metadata found: give the AssessmentMetadata interchange"):
        load_dataset(tmp_path / "StudentAssessment-Benchmarks-3rdGradeMath.xml")


# ---------------------------------------------------------------------------
# hostile and malformed files
# ---------------------------------------------------------------------------
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<InterchangeAssessmentMetadata xmlns="http://ed-fi.org/5.0.0"><Assessment>
<AssessmentIdentifier>&lol9;</AssessmentIdentifier></Assessment></InterchangeAssessmentMetadata>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE InterchangeStudentAssessment [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<InterchangeStudentAssessment xmlns="http://ed-fi.org/5.0.0"><StudentAssessment>
<StudentAssessmentIdentifier>&secret;</StudentAssessmentIdentifier></StudentAssessment></InterchangeStudentAssessment>
"""


@pytest.mark.parametrize("text", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_hostile_xml_is_refused_not_expanded(tmp_path, text):
    folder = tmp_path / "hostile"
    folder.mkdir()
    shutil.copy(MATH / "AssessmentMetadata-Benchmarks-3rdGradeMath.xml", folder)
    (folder / "Interchange-Evil.xml").write_text(text)
    with pytest.raises(PLCDataError) as caught:
        load_dataset(folder, errors="quarantine")
    [problem] = caught.value.problem_list
    assert problem.file == "Interchange-Evil.xml"
    assert problem.reason.startswith("refused: the file declares a ")
    assert "root:" not in str(caught.value)  # nothing of /etc/passwd


def test_malformed_xml_and_json_name_the_line(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text('<?xml version="1.0"?>\n<InterchangeStudentAssessment>\n<StudentAssessment>\n</Oops>\n')
    with pytest.raises(PLCDataError) as caught:
        load_edfi(broken)
    [problem] = caught.value.problem_list
    assert (problem.file, problem.line) == ("broken.xml", 4)
    assert problem.reason.startswith("not well-formed XML: mismatched tag")
    folder = tmp_path / "json"
    folder.mkdir()
    (folder / "studentAssessments.json").write_text('[\n  {"studentAssessmentIdentifier": "x"},\n  {"oops" 1}\n]\n')
    with pytest.raises(PLCDataError) as caught:
        load_edfi(folder)
    [problem] = caught.value.problem_list
    assert (problem.file, problem.line) == ("studentAssessments.json", 3)
    assert problem.reason == "not valid JSON: Expecting ':' delimiter"


# ---------------------------------------------------------------------------
# the XML and JSON paths agree
# ---------------------------------------------------------------------------
_NS = "uri://district.example.org/Assessment"
_RESULTS = ("Correct", "Incorrect", "Partially Correct")


def _item_xml(code: str, maximum: int, key: str) -> str:
    return (
        f"<AssessmentItem><IdentificationCode>{code}</IdentificationCode><MaxRawScore>{maximum}</MaxRawScore>"
        f"<PossibleResponse><ResponseValue>{key}</ResponseValue><CorrectResponse>true</CorrectResponse>"
        "</PossibleResponse><AssessmentReference><AssessmentIdentity><AssessmentIdentifier>T1</AssessmentIdentifier>"
        f"<Namespace>{_NS}</Namespace></AssessmentIdentity></AssessmentReference></AssessmentItem>"
    )


def _write_both(folder: Path, items: list[tuple[int, str]], students: list[list[tuple[str, str, float | None]]]):
    meta = (
        '<InterchangeAssessmentMetadata xmlns="http://ed-fi.org/5.0.0"><Assessment>'
        "<AssessmentIdentifier>T1</AssessmentIdentifier><AssessmentTitle>Test</AssessmentTitle>"
        "<AcademicSubject>uri://ed-fi.org/AcademicSubjectDescriptor#Science</AcademicSubject>"
        f"<Namespace>{_NS}</Namespace></Assessment>"
        + "".join(_item_xml(f"I{n}", m, k) for n, (m, k) in enumerate(items))
        + "</InterchangeAssessmentMetadata>"
    )
    results = ['<InterchangeStudentAssessment xmlns="http://ed-fi.org/5.0.0">']
    json_results = []
    for s, answers in enumerate(students):
        xml_items, json_items = [], []
        for n, (result, response, raw) in enumerate(answers):
            raw_xml = f"<RawScoreResult>{raw}</RawScoreResult>" if raw is not None else ""
            xml_items.append(
                f"<StudentAssessmentItem><AssessmentResponse>{response}</AssessmentResponse>"
                f"<AssessmentItemResult>uri://ed-fi.org/AssessmentItemResultDescriptor#{result}</AssessmentItemResult>"
                f"{raw_xml}<AssessmentItemReference><AssessmentItemIdentity><IdentificationCode>I{n}"
                "</IdentificationCode></AssessmentItemIdentity></AssessmentItemReference></StudentAssessmentItem>"
            )
            item = {
                "assessmentItemResultDescriptor": f"uri://ed-fi.org/AssessmentItemResultDescriptor#{result}",
                "assessmentResponse": response,
                "assessmentItemReference": {
                    "assessmentIdentifier": "T1",
                    "identificationCode": f"I{n}",
                    "namespace": _NS,
                },
            }
            if raw is not None:
                item["rawScoreResult"] = raw
            json_items.append(item)
        results.append(
            f"<StudentAssessment><StudentAssessmentIdentifier>S{s}</StudentAssessmentIdentifier>"
            "<AdministrationDate>2025-10-01</AdministrationDate><StudentReference><StudentIdentity>"
            f"<StudentUniqueId>{100 + s}</StudentUniqueId></StudentIdentity></StudentReference>"
            "<AssessmentReference><AssessmentIdentity><AssessmentIdentifier>T1</AssessmentIdentifier>"
            f"<Namespace>{_NS}</Namespace></AssessmentIdentity></AssessmentReference>"
            + "".join(xml_items)
            + "</StudentAssessment>"
        )
        json_results.append(
            {
                "studentAssessmentIdentifier": f"S{s}",
                "administrationDate": "2025-10-01",
                "studentReference": {"studentUniqueId": str(100 + s)},
                "assessmentReference": {"assessmentIdentifier": "T1", "namespace": _NS},
                "items": json_items,
            }
        )
    results.append("</InterchangeStudentAssessment>")
    (folder / "xml").mkdir()
    (folder / "xml" / "meta.xml").write_text(meta)
    (folder / "xml" / "results.xml").write_text("".join(results))
    (folder / "json").mkdir()
    assessments = [
        {
            "assessmentIdentifier": "T1",
            "namespace": _NS,
            "assessmentTitle": "Test",
            "academicSubjects": [{"academicSubjectDescriptor": "uri://ed-fi.org/AcademicSubjectDescriptor#Science"}],
        }
    ]
    json_items_meta = [
        {
            "identificationCode": f"I{n}",
            "maxRawScore": m,
            "assessmentReference": {"assessmentIdentifier": "T1", "namespace": _NS},
            "possibleResponses": [{"responseValue": k, "correctResponse": True}],
        }
        for n, (m, k) in enumerate(items)
    ]
    for name, data in (
        ("assessments", assessments),
        ("assessmentItems", json_items_meta),
        ("studentAssessments", json_results),
    ):
        (folder / "json" / f"{name}.json").write_text(json.dumps(data, indent=1))


_answer = st.tuples(st.sampled_from(_RESULTS), st.sampled_from("ABCD"), st.none() | st.sampled_from([0, 0.5, 1, 2]))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_xml_and_json_shapes_of_the_same_results_load_alike(tmp_path_factory, data):
    items = data.draw(st.lists(st.tuples(st.integers(1, 2), st.sampled_from("ABCD")), min_size=1, max_size=4))
    students = data.draw(st.lists(st.lists(_answer, min_size=len(items), max_size=len(items)), min_size=1, max_size=4))
    folder = tmp_path_factory.mktemp("both")
    _write_both(folder, items, students)
    from_xml = load_edfi(folder / "xml", errors="quarantine")
    from_json = load_edfi(folder / "json", errors="quarantine")
    for name in ("items", "scores", "students", "skills"):
        pd.testing.assert_frame_equal(from_xml[name], from_json[name])

    def reasons(ds) -> list[str]:  # field names differ: AssessmentItemResult / items[0].assessmentItemResultDescriptor
        return [re.sub(r"items\[\d+\]\.", "", r).lower().replace("descriptor", "") for r in ds.problems["reason"]]

    assert reasons(from_xml) == reasons(from_json)
    # the scores follow the Ed-Fi rule, worked out here independently
    expected = {}
    for s, answers in enumerate(students):
        for n, (result, _response, raw) in enumerate(answers):
            maximum = items[n][0]
            if raw is not None:
                expected[(str(100 + s), f"I{n}")] = float(raw)
            elif result != "Partially Correct":
                expected[(str(100 + s), f"I{n}")] = float(maximum if result == "Correct" else 0)
    over = {k for k, v in expected.items() if v > items[int(k[1][1:])][0]}
    got = from_xml.scores.set_index(["student_id", "item_id"])["points"].to_dict()
    assert got == {k: v for k, v in expected.items() if k not in over}
    assert len(from_xml.scores) + len(from_xml.rejected) == sum(len(a) for a in students)


# ---------------------------------------------------------------------------
# rosters: the files' own section records, or roster= from another system
# ---------------------------------------------------------------------------
ROSTER = DATA / "grand_bend_roster"


def test_section_associations_in_the_files_place_students_in_their_math_classes(tmp_path):
    for file in [*MATH.iterdir(), *ROSTER.iterdir()]:
        shutil.copy(file, tmp_path)
    ds = load_dataset(tmp_path)
    enrollment = (ROSTER / "StudentEnrollment.xml").read_text()
    pairs = re.findall(
        r"<StudentUniqueId>(\d+)</StudentUniqueId>.*?<SectionIdentifier>(\w+)</SectionIdentifier>", enrollment, re.S
    )
    with_results = set(ds.scores["student_id"])
    math_pairs = {(s, sec) for s, sec in pairs if "MATH" in sec and s in with_results}
    placed_rows = ds.enrollments[~ds.enrollments["section_id"].str.endswith(":unassigned")]
    assert set(zip(placed_rows["student_id"], placed_rows["section_id"])) == math_pairs
    # the student with results but only an ELA section is unassigned in the math team, with a warning
    placed = {s for s, _ in math_pairs}
    unassigned = ds.enrollments[ds.enrollments["section_id"] == "mathematics-grade-3:unassigned"]
    assert set(unassigned["student_id"]) == with_results - placed
    [warning] = ds.problems[ds.problems["file"] == "StudentEnrollment.xml"].itertuples()
    assert warning.reason == (
        f"{len(with_results - placed)} student(s) with results in team 'mathematics-grade-3' are in no section of "
        "its subject in the files: placed in section 'mathematics-grade-3:unassigned'"
    )
    # teachers: each section's Teacher of Record in StaffAssociation.xml
    staff = (ROSTER / "StaffAssociation.xml").read_text()
    records = re.findall(
        r"<StaffSectionAssociation>.*?<StaffUniqueId>(\d+)<.*?<SectionIdentifier>(\w+)<.*?#Teacher of Record<",
        staff,
        re.S,
    )
    teacher_of = {section: teacher for teacher, section in records}
    real = ds.sections[~ds.sections["section_id"].str.endswith(":unassigned")]
    assert dict(zip(real["section_id"], real["teacher_id"])) == {s: teacher_of[s] for s in real["section_id"]}
    assert ds.teams["school_id"].tolist() == ["255901107"]
    assert EDFI_NO_ROSTER_NOTE not in ds.notes
    assert "1 student(s) in the section associations have no results here: not placed" in ds.notes


def test_roster_from_another_system_places_edfi_results_by_name(tmp_path):
    roster = tmp_path / "roster"
    roster.mkdir()
    tables = {
        "schools": "school_id,name\nhves,Hillview Elementary\n",
        "teams": "team_id,school_id,name,grade,subject\ng5-math,hves,Grade 5 Math,5,math\n",
        "teachers": "teacher_id,team_id,name\nt-ames,g5-math,Ms. Ames\nt-bell,g5-math,Mr. Bell\n",
        "sections": "section_id,teacher_id,team_id,period,term\nm5-1,t-ames,g5-math,1,2025-26\n"
        "m5-2,t-bell,g5-math,2,2025-26\n",
        # SIS ids differ from the Ed-Fi StudentUniqueIds; names are written another way
        "students": "student_id,grade,first_name,last_name\nS1,5,Ava Marie,Adams\nS2,5,Jose,Pena\nS3,5,Liam,Baker\n"
        "S4,5,Mia,Chen\n",
        "enrollments": "student_id,section_id\nS1,m5-1\nS2,m5-1\nS3,m5-2\nS4,m5-2\n",
    }
    for name, text in tables.items():
        (roster / f"{name}.csv").write_text(text)
    ds = load_dataset(JSON_DIR, errors="quarantine", roster=roster)
    alone = load_dataset(JSON_DIR, errors="quarantine")
    to_sis = {"1001": "S1", "1002": "S2", "1003": "S3"}
    expected = alone.scores.assign(student_id=alone.scores["student_id"].map(to_sis))
    pd.testing.assert_frame_equal(ds.scores, expected)
    assert set(ds.assessments["team_id"]) == {"g5-math"}
    assert "roster " + str(roster) + ": 0 student(s) matched by id, 4 by name, 0 not matched" in ds.notes


def test_ods_api_roster_resources_place_students(tmp_path):
    for file in JSON_DIR.iterdir():
        shutil.copy(file, tmp_path)
    ns = "uri://ed-fi.org/"

    def section_ref(section: str) -> dict:
        return {
            "localCourseCode": "MATH-05" if "M" in section else "ELA-05",
            "schoolId": 255901044,
            "schoolYear": 2026,
            "sectionIdentifier": section,
            "sessionName": "2025-2026 Fall Semester",
        }

    resources = {
        "courses": [
            {"courseCode": "MATH-05", "academicSubjectDescriptor": ns + "AcademicSubjectDescriptor#Mathematics"},
            {
                "courseCode": "ELA-05",
                "academicSubjectDescriptor": ns + "AcademicSubjectDescriptor#English Language Arts",
            },
        ],
        "courseOfferings": [
            {
                "localCourseCode": code,
                "schoolReference": {"schoolId": 255901044},
                "courseReference": {"courseCode": code, "educationOrganizationId": 255901044},
            }
            for code in ("MATH-05", "ELA-05")
        ],
        "sections": [
            {
                "sectionIdentifier": s,
                "courseOfferingReference": {k: v for k, v in section_ref(s).items() if k != "sectionIdentifier"},
                "classPeriods": [{"classPeriodReference": {"classPeriodName": period, "schoolId": 255901044}}],
            }
            for s, period in (("M5-01", "01 - Traditional"), ("M5-02", "02 - Traditional"), ("E5-01", "03"))
        ],
        "schools": [{"schoolId": 255901044, "nameOfInstitution": "Grand Bend Middle School"}],
        "staffs": [{"staffUniqueId": "207220", "firstName": "Ann", "lastSurname": "Ames"}],
        "staffSectionAssociations": [
            {
                "staffReference": {"staffUniqueId": "207220"},
                "sectionReference": section_ref("M5-01"),
                "classroomPositionDescriptor": ns + "ClassroomPositionDescriptor#Teacher of Record",
            }
        ],
        "studentSectionAssociations": [
            {"studentReference": {"studentUniqueId": student}, "sectionReference": section_ref(section)}
            for student, section in (("1001", "M5-01"), ("1002", "M5-02"), ("1001", "E5-01"), ("1003", "E5-01"))
        ],
    }
    for name, data in resources.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(data, indent=1))
    ds = load_dataset(tmp_path, errors="quarantine")
    enrolled = dict(zip(ds.enrollments["student_id"], ds.enrollments["section_id"]))
    assert enrolled == {"1001": "M5-01", "1002": "M5-02", "1003": "mathematics-grade-5:unassigned"}
    sections = ds.sections.set_index("section_id")
    assert sections.loc["M5-01", "teacher_id"] == "207220"
    assert sections.loc["M5-01", "period"] == "01 - Traditional"
    assert sections.loc["M5-02", "teacher_id"] == "M5-02:teacher"  # no StaffSectionAssociation: a placeholder
    [no_teacher] = ds.problems[ds.problems["value"] == "M5-02"].itertuples()
    assert (no_teacher.file, no_teacher.column, no_teacher.severity) == (
        "sections.json",
        "SectionIdentifier",
        "warning",
    )
    assert ds.schools.set_index("school_id").loc["255901044", "name"] == "Grand Bend Middle School"
    assert ds.teachers.set_index("teacher_id").loc["207220", "name"] == "Ann Ames"


def test_an_assessment_is_scored_by_what_its_results_carry(tmp_path):
    for file in JSON_DIR.iterdir():
        shutil.copy(file, tmp_path)
    results = json.loads((tmp_path / "studentAssessments.json").read_text())
    # a CFA result with an overall raw score only, while the CFA is scored by items
    results.append(
        {
            "studentAssessmentIdentifier": "SA-1004-CFA3-LATE",
            "assessmentReference": {
                "assessmentIdentifier": "G5-MATH-CFA3",
                "namespace": results[0]["assessmentReference"]["namespace"],
            },
            "studentReference": {"studentUniqueId": "1004"},
            "administrationDate": "2025-10-10",
            "scoreResults": [
                {
                    "assessmentReportingMethodDescriptor": "uri://ed-fi.org/"
                    "AssessmentReportingMethodDescriptor#Raw score",
                    "result": "4",
                }
            ],
        }
    )
    (tmp_path / "studentAssessments.json").write_text(json.dumps(results, indent=2))
    # objective metadata for the interim, whose results are overall scores only: still scored by them
    objectives = json.loads((tmp_path / "objectiveAssessments.json").read_text())
    objectives.append(
        {
            "identificationCode": "BOY-FRACTIONS",
            "assessmentReference": {
                "assessmentIdentifier": "G5-MATH-INTERIM-BOY",
                "namespace": objectives[0]["assessmentReference"]["namespace"],
            },
        }
    )
    (tmp_path / "objectiveAssessments.json").write_text(json.dumps(objectives, indent=2))
    ds = load_dataset(tmp_path, errors="quarantine")
    before = load_dataset(JSON_DIR, errors="quarantine")
    pd.testing.assert_frame_equal(ds.scores, before.scores)
    [late] = ds.problems[ds.problems["value"] == "1004"].itertuples()
    assert (late.column, late.severity) == ("studentReference.studentUniqueId", "warning")
    assert late.reason == (
        "no item results, while this assessment's other results are scored by item: "
        "its 1 overall score(s) are not loaded"
    )
    assert len(ds.rejected) == len(before.rejected) + 1


def test_an_edfi_dataset_feeds_the_analyses():
    from plc_analysis import item_statistics, proficiency_by_skill

    ds = load_dataset(JSON_DIR, errors="quarantine")
    by_skill = proficiency_by_skill(ds)
    assert set(by_skill["skill_id"]) == set(ds.items["skill_id"])
    cfa = ds.scores[ds.scores["assessment_id"] == "G5-MATH-CFA3"]
    stats = item_statistics(cfa, ds.items[ds.items["assessment_id"] == "G5-MATH-CFA3"])
    assert set(stats.index) == set(cfa["item_id"])
    assert stats.loc["CFA3-Q3", "max_points"] == 2
