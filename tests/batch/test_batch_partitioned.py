"""A district partitioned by school: write, read only what is needed, and batch over it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_batch import COUNTS_NB, build_district, by_team, cli, temp_files

import plc_analysis
from plc_analysis import PLCDataError, load_dataset, load_partitioned, write_partitioned
from plc_analysis import readers as readers_module
from plc_analysis.batch import load_manifest, run_batch
from plc_analysis.partitioned import MARKER_NAME, SHARED_NAME, is_partitioned, partition_schools

TEAMS = [("T-A", "S1", "2025-09-15"), ("T-B", "S1", "2025-09-20"), ("T-C", "S2", "2025-10-01")]


@pytest.fixture(scope="module")
def canonical(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three teams in two schools, plus a student enrolled in both schools and one in none."""
    folder = build_district(tmp_path_factory.mktemp("partitioned") / "canonical", TEAMS)
    enrollments = pd.read_csv(folder / "enrollments.csv", dtype=str)
    both = pd.DataFrame({"student_id": ["T-A-007"], "section_id": ["T-C-sec1"]})  # T-A is in S1, T-C in S2
    pd.concat([enrollments, both]).to_csv(folder / "enrollments.csv", index=False)
    students = pd.read_csv(folder / "students.csv", dtype=str, keep_default_na=False)
    alone = students.iloc[[0]].assign(student_id="NEW-001", first_name="Nia")  # enrolled nowhere yet
    pd.concat([students, alone]).to_csv(folder / "students.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def partitioned(canonical: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_partitioned(load_dataset(canonical), tmp_path_factory.mktemp("partitioned") / "district")


def sorted_table(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)[:4]).reset_index(drop=True)


def assert_same_tables(left: plc_analysis.Dataset, right: plc_analysis.Dataset) -> None:
    for name, table in left.tables.items():
        other = right.tables[name]
        assert list(other.columns) == list(table.columns), name
        pd.testing.assert_frame_equal(sorted_table(other), sorted_table(table), check_categorical=False, obj=name)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every table file read, as ``<partition folder>/<file>``."""
    seen: list[str] = []
    for name in ("read_raw_parquet", "read_raw_csv"):
        real = getattr(readers_module, name)

        def spy(path, *args, _real=real, **kwargs):
            seen.append(f"{Path(path).parent.name}/{Path(path).name}")
            return _real(path, *args, **kwargs)

        monkeypatch.setattr(readers_module, name, spy)
    return seen


def test_layout_and_round_trip(canonical: Path, partitioned: Path) -> None:
    whole = load_dataset(canonical)
    assert is_partitioned(partitioned) and not is_partitioned(canonical)
    assert list(partition_schools(partitioned)) == ["S1", "S2"]
    marker = json.loads((partitioned / MARKER_NAME).read_text(encoding="utf-8"))
    assert marker["partition_by"] == "school_id" and marker["schools"] == {"S1": "school_id=S1", "S2": "school_id=S2"}
    assert (partitioned / "schools.parquet").exists() and (partitioned / "school_id=S1" / "scores.parquet").exists()
    assert (partitioned / SHARED_NAME / "students.parquet").exists()  # the student enrolled nowhere

    assert_same_tables(whole, load_partitioned(partitioned))  # nothing lost, nothing doubled
    assert_same_tables(whole, load_dataset(partitioned))  # load_dataset recognises the layout
    for school in ("S1", "S2"):
        assert_same_tables(whole.filter(school_id=school), load_partitioned(partitioned, schools=[school]))
    both = load_partitioned(partitioned, schools=["S1", "S2"])
    assert (both.students["student_id"] == "T-A-007").sum() == 1  # in both partitions, kept once
    assert "NEW-001" not in set(both.students["student_id"])  # _shared is read only for the whole district
    # a partition is itself a canonical folder
    assert_same_tables(whole.filter(school_id="S2"), load_dataset(partitioned / "school_id=S2"))

    with pytest.raises(FileExistsError):
        write_partitioned(whole, partitioned)
    with pytest.raises(ValueError, match="no partition for school.*S9.*schools found: S1, S2"):
        load_partitioned(partitioned, schools=["S9"])


def test_only_the_requested_partition_is_read(partitioned: Path, reads: list[str]) -> None:
    data = load_partitioned(partitioned, schools="S2")
    assert set(data.teams["team_id"]) == {"T-C"}
    assert reads and all(r.startswith("school_id=S2/") for r in reads), reads
    reads.clear()
    catalog = load_partitioned(partitioned, tables=("schools", "teams"))
    assert set(catalog.teams["team_id"]) == {"T-A", "T-B", "T-C"}
    assert sorted(reads) == ["district/schools.parquet", "school_id=S1/teams.parquet", "school_id=S2/teams.parquet"]


def test_problems_name_the_partition_file_and_row(partitioned: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(partitioned, broken)
    scores_path = broken / "school_id=S2" / "scores.parquet"
    scores = pd.read_parquet(scores_path)
    scores["points"] = scores["points"].astype("string")  # as an export that stores text would
    scores.loc[3, "points"] = "lots"
    scores.to_parquet(scores_path, index=False)

    with pytest.raises(PLCDataError) as caught:
        load_partitioned(broken)  # both partitions and _shared, validated together
    problems = caught.value.problems
    assert list(problems["file"]) == ["school_id=S2/scores.parquet"] and list(problems["line"]) == [5]
    assert "school_id=S2/scores.parquet, line 5" in str(caught.value) and "lots" in str(caught.value)

    data = load_partitioned(broken, errors="quarantine")
    assert list(data.rejected["file"]) == ["school_id=S2/scores.parquet"] and list(data.rejected["line"]) == [5]
    assert len(data.scores) == len(load_partitioned(partitioned).scores) - 1
    assert len(load_partitioned(broken, schools=["S1"]).scores) > 0  # S1 does not need S2's file


@pytest.mark.slow
def test_batch_reads_each_school_partition_only(
    canonical: Path, partitioned: Path, tmp_path: Path, reads: list[str]
) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = cli(
        [
            "--data",
            str(partitioned),
            "--out",
            str(out),
            "--notebook",
            str(COUNTS_NB),
            "--team",
            "T-C",
            "--jobs",
            "1",
            "--timeout",
            "60",
            "--quiet",
        ]
    )
    assert code == 0, (stdout, stderr)
    # the catalogue (schools, teams, and assessments to find common assessments shared with other teams)
    # is read everywhere; the rest of the data only in T-C's school: no other team shares its assessments
    catalogue = ("/schools.parquet", "/teams.parquet", "/assessments.parquet")
    data_files = {r for r in reads if not r.endswith(catalogue)}
    assert data_files and all(r.startswith("school_id=S2/") for r in data_files), sorted(reads)
    assert not any(r.startswith("school_id=S1/") and not r.endswith(catalogue) for r in reads)
    entry = by_team(load_manifest(out))["T-C"]
    assert entry["status"] == "ok" and entry["html"] == "S2/T-C.html"

    # the same report as from the canonical folder, and from the partition folder itself (--no-extract)
    reference = run_batch(
        canonical, tmp_path / "ref", notebook=COUNTS_NB, teams=["T-C"], jobs=1, timeout=60, progress=False
    )
    whole = run_batch(
        partitioned,
        tmp_path / "whole",
        notebook=COUNTS_NB,
        teams=["T-C"],
        jobs=1,
        timeout=60,
        progress=False,
        extract=False,
    )
    assert reference.exit_code == 0 and whole.exit_code == 0
    expected = (tmp_path / "ref" / "S2" / "T-C.html").read_text(encoding="utf-8")
    assert "scores: 10 rows" in expected and "students: 5 rows" in expected  # with the student of both schools
    for folder in (out, tmp_path / "whole"):
        page = (folder / "S2" / "T-C.html").read_text(encoding="utf-8")
        for line in ("teams: 1 rows", "students: 5 rows", "assessments: 1 rows", "scores: 10 rows"):
            assert line in page, (folder, line)
    params = json.loads((tmp_path / "whole" / "S2" / "T-C.ipynb").read_text())["metadata"]["papermill"]["parameters"]
    assert params["data_path"] == str((partitioned / "school_id=S2").resolve())


@pytest.mark.slow
def test_batch_over_a_truncated_partition_fails_that_school_only(partitioned: Path, tmp_path: Path) -> None:
    data = tmp_path / "district"
    shutil.copytree(partitioned, data)
    scores = data / "school_id=S1" / "scores.parquet"
    good = scores.read_bytes()
    scores.write_bytes(good[: len(good) // 2])  # a copy that stopped half way
    out = tmp_path / "out"
    result = run_batch(data, out, notebook=COUNTS_NB, jobs=2, timeout=60, progress=False)
    assert result.exit_code == 1
    entries = by_team(result.manifest)
    assert {t: e["status"] for t, e in entries.items()} == {"T-A": "failed", "T-B": "failed", "T-C": "ok"}
    for team in ("T-A", "T-B"):
        assert entries[team]["error_name"] == "PLCDataError"
        assert "school_id=S1/scores.parquet" in entries[team]["error_value"]
        assert "truncated or corrupt" in entries[team]["error_value"]
        page = (out / entries[team]["html"]).read_text(encoding="utf-8")
        assert "could not be produced" in page and "school_id=S1/scores.parquet" in page
    assert entries["T-A"]["ipynb"] is None
    assert temp_files(out) == []

    scores.write_bytes(good)  # the file is copied again
    resumed = run_batch(out_dir=out, only_failed=True, jobs=2, progress=False)
    assert resumed.exit_code == 0 and sorted(e["team_id"] for e in resumed.reports) == ["T-A", "T-B"]
    assert {e["status"] for e in by_team(load_manifest(out)).values()} == {"ok"}


def test_peer_counts_of_a_partitioned_district_read_only_the_sharing_schools(tmp_path: Path, reads: list[str]) -> None:
    """The team-to-team comparison needs other teams' counts: only schools sharing a common assessment are read."""
    from types import SimpleNamespace

    from plc_analysis import load_sample, peer_counts
    from plc_analysis.batch.driver import SchoolData

    sample = load_sample()
    folder = write_partitioned(sample, tmp_path / "district")
    reads.clear()
    peers = SchoolData(SimpleNamespace(data=folder, errors="raise")).peers()
    pd.testing.assert_frame_equal(peers, peer_counts(sample))
    assert set(peers["team_id"]) == {"T-6MB", "T-6MG"}  # the sample's two teams sharing assessments (school S02)
    scores_read = sorted(r for r in reads if r.endswith("/scores.parquet"))
    assert scores_read == ["school_id=S02/scores.parquet"]


def test_peer_counts_of_a_big_partitioned_district_come_from_sql(
    sample_partitioned: Path, monkeypatch: pytest.MonkeyPatch, reads: list[str]
) -> None:
    """From LARGE_DISTRICT_ROWS on, the pooled counts come from one DuckDB pass, equal to reading school by school."""
    from types import SimpleNamespace

    from plc_analysis import load_sample, peer_counts
    from plc_analysis.batch.driver import SchoolData
    from plc_analysis.outofcore import overview

    monkeypatch.setattr(overview, "LARGE_DISTRICT_ROWS", 1)
    reads.clear()
    peers = SchoolData(SimpleNamespace(data=sample_partitioned, errors="raise")).peers()
    pd.testing.assert_frame_equal(peers, peer_counts(load_sample()))
    assert not [r for r in reads if r.endswith("/scores.parquet")]  # no partition read into pandas
