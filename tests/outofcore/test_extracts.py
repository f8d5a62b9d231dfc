"""cut_team_extracts: every team's extract out of core is the batch's ``write_extract(dataset.filter(team_id=T))``."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from builders import random_district_files
from conftest import MINI, write_folder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plc_analysis import Dataset, load_dataset, load_partitioned
from plc_analysis.batch.plan import file_names
from plc_analysis.bundled import SAMPLE_DIR
from plc_analysis.extract import EXTRACT_KEY_ENV, EXTRACT_MARKER, read_extract, write_extract
from plc_analysis.loading import PEER_COUNTS_FILE
from plc_analysis.outofcore import cut_team_extracts, open_district
from plc_analysis.outofcore.buckets import Buckets
from plc_analysis.outofcore.team_rows import team_rows
from plc_analysis.schema import TABLE_ORDER


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` in one order whatever order its rows came in (every column, nulls last)."""
    return frame.sort_values(list(frame.columns), kind="stable", na_position="last").reset_index(drop=True)


def assert_same_extract(got: Path, expected: Path) -> None:
    """Two extract folders hold the same tables, row for row, and the same marker (bar the seal's key)."""
    tables = sorted(p.name for p in expected.glob("*.parquet"))
    assert sorted(p.name for p in got.glob("*.parquet")) == tables
    for name in tables:
        mine, theirs = pd.read_parquet(got / name), pd.read_parquet(expected / name)
        pd.testing.assert_frame_equal(_canonical(mine), _canonical(theirs), obj=name)
    marker, reference = (json.loads((f / EXTRACT_MARKER).read_text()) for f in (got, expected))
    assert {k: v for k, v in marker.items() if k != "seal"} == {k: v for k, v in reference.items() if k != "seal"}


def _reference(base: Dataset, team_id: str, folder: Path) -> Path:
    return write_extract(base.filter(team_id=team_id), folder)


@pytest.fixture(scope="module")
def parquet_sample(tmp_path_factory: pytest.TempPathFactory, sample: Dataset) -> Path:
    """The sample district as a flat folder of Parquet tables."""
    return sample.write(tmp_path_factory.mktemp("flat") / "district", fmt="parquet")


@pytest.mark.parametrize("layout", ["flat", "partitioned"])
def test_every_team_of_the_sample_gets_the_batch_extract(layout, request, tmp_path, sample):
    folder = SAMPLE_DIR if layout == "flat" else request.getfixturevalue("sample_partitioned")
    with open_district(folder) as district:
        cut = cut_team_extracts(district, tmp_path / "cut")
    whole = load_partitioned(folder) if layout == "partitioned" else sample
    assert whole.source == str(folder)
    assert list(cut["team_id"]) == list(whole.teams["team_id"])
    assert list(cut.columns) == ["team_id", "school_id", "folder", "score_rows", "bytes"]
    schools: dict[str, Dataset] = {}
    for row in cut.itertuples(index=False):
        # the batch reads a partitioned district one school at a time and cuts the team from it
        if layout == "partitioned" and row.school_id not in schools:
            schools[row.school_id] = load_partitioned(folder, schools=[row.school_id])
        base = schools.get(row.school_id, whole)
        expected = _reference(base, row.team_id, tmp_path / "ref" / row.team_id)
        got = Path(row.folder)
        assert got.parent == tmp_path / "cut" and got.name == row.team_id
        assert_same_extract(got, expected)
        assert row.score_rows == len(base.filter(team_id=row.team_id).scores) > 0
        assert row.bytes == sum(p.stat().st_size for p in got.glob("*.parquet"))
        # the same Arrow schema, the same writer, the same row order: the same bytes as the batch's extract
        assert {p.name: p.read_bytes() for p in got.iterdir()} == {p.name: p.read_bytes() for p in expected.iterdir()}
    assert not list((tmp_path / "cut").glob(".*")), "the work folder is removed"


def test_the_seal_verifies_and_a_changed_file_is_validated_again(parquet_sample, tmp_path, monkeypatch):
    with open_district(parquet_sample) as district:
        cut = cut_team_extracts(district, tmp_path, teams=["T-5M"])
    folder = Path(cut["folder"].iloc[0])
    trusted = read_extract(folder)
    assert trusted is not None and trusted.filters == {"team_id": "T-5M"}
    loaded = load_dataset(folder)
    assert any("batch extract" in note for note in loaded.notes), loaded.notes
    assert loaded.filter(team_id="T-5M") is loaded  # the notebook's own filter is the extract itself
    for name in TABLE_ORDER:
        pd.testing.assert_frame_equal(loaded[name], trusted[name])
    scores = pd.read_parquet(folder / "scores.parquet")
    scores.iloc[1:].to_parquet(folder / "scores.parquet", index=False)  # one row less, marker unchanged
    assert read_extract(folder) is None
    again = load_dataset(folder)
    assert not any("batch extract" in note for note in again.notes)
    assert len(again.scores) == len(scores) - 1
    monkeypatch.setenv(EXTRACT_KEY_ENV, "00" * 32)  # a process holding another key trusts nothing here
    scores.to_parquet(folder / "scores.parquet", index=False)
    assert read_extract(folder) is None


def test_a_key_given_seals_for_the_processes_holding_it(parquet_sample, tmp_path, monkeypatch):
    key = bytes(range(32))
    with open_district(parquet_sample) as district:
        cut = cut_team_extracts(district, tmp_path, teams=["T-BIO"], key=key)
    folder = Path(cut["folder"].iloc[0])
    monkeypatch.setenv(EXTRACT_KEY_ENV, key.hex())
    assert read_extract(folder) is not None
    monkeypatch.setenv(EXTRACT_KEY_ENV, bytes(32).hex())
    assert read_extract(folder) is None


def test_chosen_teams_peer_counts_and_a_second_cut(parquet_sample, tmp_path, sample):
    peers = pd.DataFrame(
        {"common_id": ["C1", "C1", "C2"], "team_id": ["T-5M", "T-5R", "T-5M"], "n_rest": [3, 4, 5], "x_rest": [1, 2, 3]}
    )
    with open_district(parquet_sample) as district:
        cut = cut_team_extracts(district, tmp_path, teams=["T-5R", "T-5M"], peers=peers)
        assert list(cut["team_id"]) == ["T-5R", "T-5M"]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["T-5M", "T-5R"]
        got = pd.read_parquet(tmp_path / "T-5M" / PEER_COUNTS_FILE)
        pd.testing.assert_frame_equal(got, peers[peers["team_id"] == "T-5M"].reset_index(drop=True))
        assert not (tmp_path / "T-BIO" / PEER_COUNTS_FILE).exists()
        (tmp_path / "T-5R" / "excused.parquet").write_bytes(b"left over")  # a stale table from an older cut
        cut_team_extracts(district, tmp_path, teams=["T-5R"])
        assert not (tmp_path / "T-5R" / "excused.parquet").exists() and read_extract(tmp_path / "T-5R") is not None
        with pytest.raises(ValueError, match="no such team.*T-NOPE"):
            cut_team_extracts(district, tmp_path, teams=["T-5R", "T-NOPE"])
        (tmp_path / "T-BIO").mkdir()
        (tmp_path / "T-BIO" / "notes.txt").write_text("mine", encoding="utf-8")
        with pytest.raises(FileExistsError, match="T-BIO"):
            cut_team_extracts(district, tmp_path, teams=["T-BIO"])
        assert (tmp_path / "T-BIO" / "notes.txt").read_text(encoding="utf-8") == "mine"


HOSTILE = ["../up", "a/b", "CON", "T1", "t1", "é 🚀", "it's'; DROP TABLE scores; --", "x" * 300, ".hidden"]


def test_hostile_team_ids_get_safe_distinct_folders_and_their_extracts(sample, tmp_path):
    rename = dict(zip(sample.teams["team_id"], HOSTILE))
    tables = {
        name: frame.assign(team_id=frame["team_id"].map(rename).where(frame["team_id"].notna()))
        if "team_id" in frame.columns
        else frame
        for name, frame in sample.tables.items()
    }
    district_dir = Dataset.from_tables(tables).write(tmp_path / "district", fmt="parquet")
    whole = load_dataset(district_dir)
    out = tmp_path / "out"
    with open_district(district_dir) as district:
        cut = cut_team_extracts(district, out)
    names = file_names(HOSTILE)
    assert sorted(p.name for p in out.iterdir()) == sorted(names.values())
    assert len({n.casefold() for n in names.values()}) == len(HOSTILE)
    for row in cut.itertuples(index=False):
        assert Path(row.folder) == out / names[row.team_id]
        assert_same_extract(Path(row.folder), _reference(whole, row.team_id, tmp_path / "ref" / names[row.team_id]))
        assert read_extract(row.folder).filters == {"team_id": row.team_id}
    assert not (tmp_path / "up").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["district", "out", "ref"]


# ---------------------------------------------------------------------------
# random districts: the two ways of cutting agree
# ---------------------------------------------------------------------------
@st.composite
def districts(draw) -> dict[str, str]:
    """A random canonical folder (builders.random_district_files) with what a team filter must get right.

    A second school, a district-wide skill used by some teams' items, an item on another team's skill, scores
    of students outside the team, excused students, progress, interventions with and without a skill, goals
    and actions.
    """
    files = random_district_files(draw)
    teams = [line.split(",")[0] for line in files["teams.csv"].splitlines()[1:]]
    if len(teams) == 2 and draw(st.booleans()):
        files["schools.csv"] += "S2,Second school\n"
        files["teams.csv"] = files["teams.csv"].replace(f"{teams[1]},S1,", f"{teams[1]},S2,")
    students = [line.split(",")[0] for line in files["students.csv"].splitlines()[1:]]
    sections = [line.split(",")[0] for line in files["sections.csv"].splitlines()[1:]]
    assessments = [line.split(",")[0] for line in files["assessments.csv"].splitlines()[1:]]
    skills = [line.split(",")[0] for line in files["skills.csv"].splitlines()[1:]]
    files["skills.csv"] += "SH,Shared skill,,true,0.8\n"
    for aid in draw(st.lists(st.sampled_from(assessments), unique=True)):
        skill = draw(st.sampled_from(["SH", *skills]))  # a skill of another team drops the item from both
        files["items.csv"] += f"{aid},x1,{skill},2,rubric,\n"
        for sid in draw(st.lists(st.sampled_from(students), unique=True)):
            files["scores.csv"] += f"{sid},{aid},x1,{draw(st.integers(0, 2))},,\n"
    pick = st.sampled_from
    files["excused.csv"] = "student_id,assessment_id,reason\n" + "".join(
        f"{s},{a},ill\n" for s, a in draw(st.lists(st.tuples(pick(students), pick(assessments)), unique=True))
    )
    files["progress.csv"] = "student_id,section_id,period_end,percent\n" + "".join(
        f"{s},{c},2025-10-31,{draw(st.integers(0, 100))}\n"
        for s, c in draw(st.lists(st.tuples(pick(students), pick(sections)), unique=True))
    )
    files["interventions.csv"] = "student_id,tier,kind,start_date,skill_id\n" + "".join(
        f"{s},2,reading,2025-10-01,{k}\n"
        for s, k in draw(st.lists(st.tuples(pick(students), pick(["", "SH", *skills])), max_size=6))
    )
    files["goals.csv"] = "goal_id,team_id,statement,metric,baseline,target,start_date,due_date,skill_id\n" + "".join(
        f"G{i},{t},Goal,share_proficient,0.4,0.6,2025-09-01,2026-05-01,{k}\n"
        for i, (t, k) in enumerate(draw(st.lists(st.tuples(pick(teams), pick(["", *skills])), max_size=3)))
    )
    files["actions.csv"] = "action_id,team_id,skill_id,kind,start_date\n" + "".join(
        f"X{i},{t},{k},whole_class,2025-10-02\n"
        for i, (t, k) in enumerate(draw(st.lists(st.tuples(pick(teams), pick(["SH", *skills])), max_size=4)))
    )
    return files


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(districts(), st.data())
def test_the_out_of_core_cut_is_dataset_filter_on_random_districts(files, data):
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_folder(Path(tmp) / "d", files)
        whole = load_dataset(folder, errors="quarantine")
        every = list(whole.teams["team_id"])
        asked = data.draw(st.none() | st.lists(st.sampled_from(every), min_size=1, unique=True))
        # the rows of the small tables each team keeps, found for every team at once
        rows = team_rows(whole, [*(asked or every), "nobody"])
        for code, team_id in enumerate(rows.team_ids):
            expected = whole.filter(team_id=team_id)
            for name in TABLE_ORDER:
                if name != "scores":
                    got = whole[name].iloc[rows.rows(name, code)].reset_index(drop=True)
                    pd.testing.assert_frame_equal(got, expected[name], obj=f"{team_id} {name}")
        # and the whole extract, the scores cut by DuckDB
        with open_district(folder, errors="quarantine") as district:
            cut = cut_team_extracts(district, Path(tmp) / "cut", teams=asked, workers=2)
        assert list(cut["team_id"]) == (asked or every)
        for row in cut.itertuples(index=False):
            expected_folder = _reference(whole, row.team_id, Path(tmp) / "ref" / row.team_id)
            assert_same_extract(Path(row.folder), expected_folder)
            assert read_extract(row.folder) is not None


# ---------------------------------------------------------------------------
# Buckets: spilled or not, each bucket's rows in the order they came
# ---------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 4), min_size=0, max_size=40), min_size=1, max_size=6),
    st.sampled_from([0, 64, 10**9]),
)
def test_buckets_keep_each_buckets_rows_in_order_spilled_or_not(batches, budget):
    with tempfile.TemporaryDirectory() as tmp:
        buckets = Buckets(Path(tmp), 5, budget)
        seen = 0
        for codes in batches:
            values = np.arange(seen, seen + len(codes))
            seen += len(codes)
            buckets.add(pa.record_batch({"v": values}), np.array(codes, dtype=np.int64))
        every = np.array([c for codes in batches for c in codes], dtype=np.int64)
        for bucket in range(5):
            table = buckets.table(bucket)
            expected = np.flatnonzero(every == bucket)
            got = np.array([], dtype=np.int64) if table is None else table.column("v").to_numpy()
            assert got.tolist() == expected.tolist()
        if budget == 0 and seen:
            assert buckets.rounds >= 1
        buckets.close()


def test_buckets_refuse_a_number_out_of_range(tmp_path):
    buckets = Buckets(tmp_path, 2)
    with pytest.raises(ValueError, match="0 .. 1"):
        buckets.add(pa.record_batch({"v": [1, 2]}), np.array([0, 2]))


# ---------------------------------------------------------------------------
# plc extracts
# ---------------------------------------------------------------------------
def test_plc_extracts_writes_the_teams_asked_and_says_where(tmp_path, capsys):
    from plc_analysis.cli import main

    data = write_folder(tmp_path / "mini", MINI)
    assert main(["extracts", str(data), "--out", str(tmp_path / "x"), "--team", "T3"]) == 0
    out = capsys.readouterr().out
    assert "1 team" in out and str(tmp_path / "x") in out
    assert read_extract(tmp_path / "x" / "T3") is not None
    assert main(["extracts", str(data), "--out", str(tmp_path / "x"), "--team", "T9"]) == 2
    assert "no such team(s) in the data: T9" in capsys.readouterr().err
    assert main(["extracts", str(tmp_path / "nowhere"), "--out", str(tmp_path / "y")]) == 2
