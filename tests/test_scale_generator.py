"""The scale benchmark's district generator, at a tiny size: the layout it writes is the one the package reads.

``benchmarks/scale_district.py`` writes a school-partitioned district
directly, without going through :func:`plc_analysis.write_partitioned`; these
tests hold it to the same contract (each partition is what
``dataset.filter(school_id=S)`` keeps; everything validates; the same seed
gives the same files) and check that the engines of
``benchmarks/core_aggregation.py`` agree with the library on it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import plc_analysis as plc
from plc_analysis import partitioned
from plc_analysis.cli import main as plc_main

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import core_aggregation  # noqa: E402
import scale_district  # noqa: E402

TINY = scale_district.Shape(
    students_per_team=14,
    students_per_section=5,
    assessments_per_team=6,
    items_per_assessment=5,
    skills_per_course=5,
    essential_per_course=3,
    excused_rate=0.03,
    double_scored_rate=0.02,
    unenrolled_rate=0.05,
    mover_rate=0.05,
)
ROWS = 12_000


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scale_district.generate_partitioned(
        tmp_path_factory.mktemp("scale") / "district", ROWS, seed=5, shape=TINY, quiet=True
    )


@pytest.fixture(scope="module")
def flat(district: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scale_district.write_flat(district, tmp_path_factory.mktemp("flat") / "flat")


def _same(a: plc.Dataset, b: plc.Dataset, label: str) -> None:
    """The same rows in every table (in any order: a student who moved is listed where their schools' rows meet)."""

    def rows(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.sort_values(list(frame.columns), kind="stable", na_position="first").reset_index(drop=True)

    for name in a.tables:
        pd.testing.assert_frame_equal(rows(a.tables[name]), rows(b.tables[name]), obj=f"{label} {name}")


def test_markers_match_the_package():
    assert scale_district.MARKER_NAME == partitioned.MARKER_NAME == core_aggregation.PARTITION_MARKER
    assert scale_district.SHARED_NAME == partitioned.SHARED_NAME
    assert scale_district.FORMAT["format"] == partitioned.FORMAT_NAME
    assert scale_district.FORMAT["version"] == partitioned.FORMAT_VERSION


def test_district_loads_with_no_problem_and_has_its_quirks(district):
    assert partitioned.is_partitioned(district)
    d = partitioned.load_partitioned(district)  # raises on any invalid row
    assert len(d.problems) == 0 and len(d.rejected) == 0
    per_team = TINY.items_per_team * TINY.students_per_team * 1.4  # the largest team's rows, at most
    assert ROWS <= len(d.scores) < ROWS + per_team
    assert d.schools["school_id"].nunique() >= 2
    assert d.scores["points"].isna().any()  # not attempted
    assert d.scores["rater_id"].notna().any()  # double scored
    assert len(d.scores_of_record()) < len(d.scores)
    assert len(d.excused) > 0
    assert d.skills["team_id"].isna().all()  # district-wide skills, shared by the teams of a course
    assert {"ell", "sped", "frl"} <= set(d.students.columns)
    enrolled = set(d.enrollments["student_id"])
    assert not set(d.students["student_id"]) <= enrolled  # some students are in no section (_shared)
    common = d.assessments.dropna(subset=["common_id"]).groupby("common_id")["team_id"].nunique()
    assert (common >= 2).any()  # common assessments given by several teams
    assert d.assessments["common_id"].isna().any()  # and some of a team's own
    assert len(plc.compare_teams(d)) > 0
    # students who moved mid-year: enrolled in two schools, on both partitions' rosters
    schools_of = d.enrollments.merge(d.sections, on="section_id").groupby("student_id")["team_id"].nunique()
    movers = set(schools_of[schools_of == 2].index)
    assert movers
    rosters = [
        set(pq.read_table(part / "students.parquet")["student_id"].to_pylist())
        for part in partitioned.partition_schools(district).values()
    ]
    assert all(sum(m in roster for roster in rosters) == 2 for m in movers)


def test_each_partition_is_what_filter_keeps(district, flat):
    whole = plc.load_dataset(flat)
    _same(partitioned.load_partitioned(district), whole, "whole district")
    for school in partitioned.partition_schools(district):
        _same(partitioned.load_partitioned(district, schools=[school]), whole.filter(school_id=school), school)


def test_plc_validate_accepts_it(district, capsys):
    assert plc_main(["validate", str(district)]) == 0
    assert "No errors" in capsys.readouterr().out


def test_same_seed_same_files_other_seed_other_rows(district, tmp_path):
    again = scale_district.generate_partitioned(tmp_path / "again", ROWS, seed=5, shape=TINY, quiet=True)
    other = scale_district.generate_partitioned(tmp_path / "other", ROWS, seed=6, shape=TINY, quiet=True)
    files = sorted(p.relative_to(district) for p in district.rglob("*.parquet"))
    assert files == sorted(p.relative_to(again) for p in again.rglob("*.parquet"))
    for file in files:
        assert pq.read_table(district / file).equals(pq.read_table(again / file)), file
    first = next(f for f in files if f.name == "scores.parquet")
    assert not pq.read_table(district / first).equals(pq.read_table(other / first))


def test_an_interrupted_generation_resumes_with_the_same_files(district, tmp_path):
    target = tmp_path / "resumed"
    plan = scale_district.plan_district(ROWS, seed=5, shape=TINY)
    staging = target.with_name("resumed.partial")
    staging.mkdir()
    (staging / "school_id=S0000.tmp").mkdir()  # a school half written when the run stopped
    scale_district.generate_partitioned(target, ROWS, seed=5, shape=TINY, quiet=True)
    assert plan.n_schools == len(partitioned.partition_schools(target))
    _same(partitioned.load_partitioned(target), partitioned.load_partitioned(district), "resumed")


def test_engines_agree_with_the_library(district, flat):
    pytest.importorskip("duckdb")
    ours = core_aggregation.pandas_core(plc.load_dataset(flat))
    assert len(ours) > 0 and ours["x"].sum() > 0
    for folder in (district, flat):
        assert core_aggregation.core_difference(ours, core_aggregation.duckdb_core(folder, threads=1)) == ""
    pytest.importorskip("polars")
    assert core_aggregation.core_difference(ours, core_aggregation.polars_core(district)) == ""
