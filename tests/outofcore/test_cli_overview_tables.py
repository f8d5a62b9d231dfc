"""plc overview-tables: the same CSV files whether the district is aggregated at once or school by school."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from outofcore_agreement import assert_same_table

import plc_analysis as plc
from plc_analysis.cli import main


def test_school_by_school_writes_the_same_files(sample, sample_partitioned: Path, tmp_path: Path, capsys):
    whole, schools = tmp_path / "whole", tmp_path / "schools"
    assert (
        main(["overview-tables", str(sample_partitioned), "--out", str(whole), "--by", "team", "--by", "district"]) == 0
    )
    said = capsys.readouterr().out
    assert f"3 school(s), {len(sample.scores):,} score rows; the whole district at once" in said
    code = main(
        [
            "overview-tables",
            str(sample_partitioned),
            "--out",
            str(schools),
            "-j",
            "1",
            "--by",
            "team",
            "--by",
            "district",
        ]
    )
    assert code == 0
    said = capsys.readouterr().out
    assert "school by school, 1 at once" in said and "proficiency_by_team.csv" in said
    names = sorted(p.name for p in whole.iterdir())
    assert names == ["proficiency_by_district.csv", "proficiency_by_team.csv"]
    for name in names:  # counts to the last count; means of scores summed in another order to 1e-12
        assert_same_table(_read(schools / name), _read(whole / name), name)
    expected = plc.proficiency_by_skill(sample, "team")
    assert_same_table(_read(whole / "proficiency_by_team.csv"), expected.astype({"essential": str}))


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"skill_id": str, "team_id": str, "description": str, "essential": str})


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--jobs", "2"], "is not partitioned by school"),
        (["--by", "nonsense"], "subgroup column"),
        (["--by", "team", "--by", "team"], "each table once"),
        (["--jobs", "2", "--scheduler", "local"], "not both"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(mini_folder: Path, tmp_path: Path, capsys, extra, message):
    assert main(["overview-tables", str(mini_folder), "--out", str(tmp_path / "out"), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("plc overview-tables: ") and message in err and "\n" not in err
    assert not (tmp_path / "out").exists()


def test_bad_rows_exit_1_listing_them(mini_folder: Path, tmp_path: Path, capsys):
    skills = mini_folder / "skills.csv"
    skills.write_text(skills.read_text().replace("0.75", "7.5"), encoding="utf-8")
    assert main(["overview-tables", str(mini_folder), "--out", str(tmp_path / "out")]) == 1
    assert "skills.csv" in capsys.readouterr().err
