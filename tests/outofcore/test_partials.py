"""The district aggregates school by school, then combined, are the one-machine tables to the last count.

Locally (in this process, in a pool of processes) and on a Dask ``LocalCluster``;
on the sample, on a sample with students enrolled in two schools (evidence on a
skill shared by both, so a standing that combines both schools' evidence), and
on random two-school districts.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import random_district_files
from conftest import write_folder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from outofcore_agreement import assert_same_table

import plc_analysis as plc
from plc_analysis.errors import PLCDataError
from plc_analysis.outofcore import open_district
from plc_analysis.outofcore.partials import crossing_students
from plc_analysis.outofcore.partition_run import partitioned_overview, partitioned_proficiency_by_skill
from plc_analysis.outofcore.proficiency_sql import district_proficiency_by_skill
from plc_analysis.proficiency import MASTERY_RULES

BYS = ["team", "teacher", "section", "school", None, "ell", ("team", "frl")]


def _by(label: str) -> str | list[str] | None:
    return None if label == "district" else label.split("+") if "+" in label else label


@pytest.fixture(scope="module")
def two_school_students(tmp_path_factory: pytest.TempPathFactory) -> tuple[plc.Dataset, Path]:
    """The sample with Grade 6 Math - House Gold moved to S03 and 25 House Blue students (S02) enrolled there too.

    Both houses assess the same district-wide skills, so these students have
    evidence on one skill in two schools; they sat House Gold's assessments
    (a copy of a Gold student's answers), but for a few absences.
    """
    sample = plc.load_sample()
    teams = sample.teams.copy()
    teams.loc[teams["team_id"] == "T-6MG", "school_id"] = "S03"
    placed = sample.enrollments.merge(sample.sections[["section_id", "team_id"]], on="section_id")
    blue = sorted(placed.loc[placed["team_id"] == "T-6MB", "student_id"].unique())[:25]
    gold_section = sorted(sample.sections.loc[sample.sections["team_id"] == "T-6MG", "section_id"])[0]
    gold_student = sorted(placed.loc[placed["section_id"] == gold_section, "student_id"])[0]
    gold_tests = sample.assessments.loc[sample.assessments["team_id"] == "T-6MG", "assessment_id"]
    answers = sample.scores[
        (sample.scores["student_id"] == gold_student) & sample.scores["assessment_id"].isin(gold_tests)
    ]
    rng = np.random.default_rng(6)
    copies = []
    for student in blue:
        sat = answers[~answers["assessment_id"].isin(rng.choice(gold_tests.to_numpy(), 1))]  # one absence each
        copies.append(sat.assign(student_id=student))
    dataset = dataclasses.replace(
        sample,
        teams=teams,
        enrollments=pd.concat(
            [sample.enrollments, pd.DataFrame({"student_id": blue, "section_id": gold_section})], ignore_index=True
        ),
        scores=pd.concat([sample.scores, *copies], ignore_index=True),
    )
    path = plc.write_partitioned(dataset, tmp_path_factory.mktemp("crossing") / "district")
    return plc.load_partitioned(path), path


def test_sample_school_by_school_is_the_whole_district(sample, sample_partitioned):
    result = partitioned_overview(sample_partitioned, ["team", "school", None, "ell"])
    assert list(result.tables) == ["team", "school", "district", "ell"]
    assert result.schools == ["S01", "S02", "S03"] and result.crossing == 0
    assert result.n_scores == len(sample.scores)
    with open_district(sample_partitioned) as district:
        for label, table in result.tables.items():
            assert_same_table(table, district_proficiency_by_skill(district, _by(label)), label)


def test_crossing_students_are_found(two_school_students):
    dataset, path = two_school_students
    placed = dataset.enrollments.merge(dataset.sections[["section_id", "team_id"]]).merge(
        dataset.teams[["team_id", "school_id"]]
    )
    schools = placed.groupby("student_id")["school_id"].nunique()
    assert crossing_students(path) == frozenset(schools[schools > 1].index)
    assert len(schools[schools > 1]) == 25


@pytest.mark.parametrize(
    ("rule", "bys"),
    [("most_recent", BYS), ("highest", ["team", None]), ("decaying_average", ["section", "ell"]), ("all", [None])],
)
def test_students_in_two_schools_count_once(two_school_students, rule, bys):
    """A standing combining two schools' evidence, placed where the latest is; one student in the district."""
    dataset, path = two_school_students
    result = partitioned_overview(path, bys, rule)
    assert result.crossing == 25
    for label, table in result.tables.items():
        assert_same_table(table, plc.proficiency_by_skill(dataset, _by(label), rule), f"{rule} by {label}")


def test_a_pool_of_processes_gets_the_same_tables(two_school_students):
    dataset, path = two_school_students
    got = partitioned_proficiency_by_skill(path, ["school", "ell"], "mean", cut=0.6, confidence=0.9, jobs=2)
    assert_same_table(got, plc.proficiency_by_skill(dataset, ["school", "ell"], "mean", cut=0.6, confidence=0.9))


def test_a_dask_cluster_gets_the_same_tables(two_school_students):
    distributed = pytest.importorskip("distributed", reason="the Dask runner needs dask[distributed] (the dev extra)")
    dataset, path = two_school_students
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0") as cluster,
        distributed.Client(cluster) as client,
    ):
        result = partitioned_overview(path, ["team", None], scheduler=client)
        assert not client.futures  # every task collected, nothing left on the cluster
    for label, table in result.tables.items():
        assert_same_table(table, plc.proficiency_by_skill(dataset, _by(label)), f"dask by {label}")


def test_refused_when_no_school_could_count_some_rows(tmp_path, mini_folder, sample_partitioned):
    with pytest.raises(ValueError, match="not partitioned by school"):
        partitioned_overview(mini_folder)
    with pytest.raises(ValueError, match="needs a school-partitioned district|is not one"):
        open_district(mini_folder, schools=["S1"])
    # a copy of the partitioned sample with a score row no school's partition holds
    import shutil

    copy = Path(shutil.copytree(sample_partitioned, tmp_path / "district"))
    (copy / "_shared").mkdir(exist_ok=True)
    pd.DataFrame(
        {
            "student_id": ["st99999"],
            "assessment_id": ["X"],
            "item_id": ["X-1"],
            "points": [1.0],
            "response": [None],
            "rater_id": [None],
        }
    ).to_parquet(copy / "_shared" / "scores.parquet")
    with pytest.raises(ValueError, match=r"1 score row\(s\) in _shared/ belong to no school's partition"):
        partitioned_overview(copy)
    with pytest.raises(ValueError, match="each table once"):
        partitioned_overview(sample_partitioned, ["team", "team"])
    with pytest.raises(ValueError, match="subgroup"):
        partitioned_overview(sample_partitioned, ["nonsense"])


def test_every_schools_problems_at_once(tmp_path, sample_partitioned):
    import shutil

    copy = Path(shutil.copytree(sample_partitioned, tmp_path / "district"))
    for school in ("S01", "S03"):
        part = copy / f"school_id={school}" / "skills.parquet"
        skills = pd.read_parquet(part)
        skills.loc[0, "proficiency_cut"] = 7.0
        skills.to_parquet(part, index=False)
    with pytest.raises(PLCDataError) as raised:
        partitioned_overview(copy, ["school"])
    files = set(raised.value.problems["file"])
    assert {"school_id=S01/skills.parquet", "school_id=S03/skills.parquet"} <= files  # (and the items using them)
    assert {f.split("/")[0] for f in files} == {"school_id=S01", "school_id=S03"}
    kept = partitioned_overview(copy, ["school"], errors="quarantine")
    assert set(kept.rejected["file"]) == files
    assert kept.tables["school"]["school_id"].tolist()


def _two_schools(files: dict[str, str], shared_skills: bool) -> dict[str, str]:
    """A random district's second team moved to a second school; optionally both teams assess the same skills."""
    files = dict(files)
    files["schools.csv"] += "S2,Second School\n"
    files["teams.csv"] = files["teams.csv"].replace("T10,S1,", "T10,S2,")
    if shared_skills and "T10" in files["teams.csv"]:
        skills = [line.split(",") for line in files["skills.csv"].splitlines()[1:]]
        first = [s for s in skills if s[2] == "T2"]
        rows = [[s[0], s[1], "", *s[3:]] for s in first]
        files["skills.csv"] = files["skills.csv"].splitlines()[0] + "\n" + "".join(",".join(r) + "\n" for r in rows)
        items = [line.split(",") for line in files["items.csv"].splitlines()[1:]]
        for item in items:
            if item[2].startswith("T10K"):
                item[2] = first[int(item[2][4:]) % len(first)][0]
        files["items.csv"] = files["items.csv"].splitlines()[0] + "\n" + "".join(",".join(i) + "\n" for i in items)
    return files


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.composite(random_district_files)(),
    st.booleans(),
    st.sampled_from(MASTERY_RULES),
    st.sampled_from(["team", "teacher", "school", None]),
)
def test_random_two_school_districts_agree(files, shared_skills, rule, by):
    """Shared students across two schools, shared skills, absences, reassessments, double scoring."""
    with tempfile.TemporaryDirectory() as folder:
        canonical = write_folder(Path(folder) / "flat", _two_schools(files, shared_skills))
        dataset = plc.load_dataset(canonical)
        path = plc.write_partitioned(dataset, Path(folder) / "district")
        got = partitioned_proficiency_by_skill(path, by, rule)
    assert_same_table(got, plc.proficiency_by_skill(dataset, by, rule), f"{rule} by {by}")
