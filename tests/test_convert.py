"""plc convert: any supported source written as a canonical folder, with what was left out beside it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from plc_analysis import load_dataset
from plc_analysis.cli import main
from plc_analysis.conversion import convert_to_canonical
from plc_analysis.schema import TABLE_ORDER

DATA = Path(__file__).parent / "data"
LMS = DATA / "lms"
CANVAS = LMS / "2025-11-14T1030_Grades-Math_5_Decimals.csv"


def assert_same_tables(a, b) -> None:
    for name in TABLE_ORDER:
        left, right = a.tables[name], b.tables[name]
        assert list(left.columns) == list(right.columns), name
        pd.testing.assert_frame_equal(
            left.reset_index(drop=True), right.reset_index(drop=True), check_dtype=False, obj=name
        )


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize(
    ("source", "options"),
    [
        (CANVAS, {"roster": LMS / "roster"}),
        (LMS / "scoresheet_names.csv", {"roster": LMS / "roster"}),
        (DATA / "oneroster11", {}),
    ],
    ids=["canvas+roster", "names+roster", "oneroster11"],
)
def test_the_folder_loads_back_to_the_same_tables(tmp_path, source, options, fmt):
    result = convert_to_canonical(source, tmp_path / "out", fmt=fmt, **options)
    back = load_dataset(result.folder)
    assert_same_tables(result.dataset, back)
    assert len(back.rejected) == 0 and (back.problems["severity"] != "error").all()
    rejected = pd.read_csv(result.rejected_path)
    assert len(rejected) == len(result.dataset.rejected)
    assert list(rejected.columns) == ["file", "line", "severity", "reason", "row"]
    assert len(pd.read_csv(result.problems_path)) == len(result.dataset.problems)
    notes = result.notes_path.read_text(encoding="utf-8")
    assert all(note in notes for note in result.dataset.notes)
    assert f"Left out: {len(rejected)} row(s) or cell(s)" in notes


def test_cli_convert_writes_the_folder_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "canvas"
    code = main(["convert", str(CANVAS), "--out", str(out), "--roster", str(LMS / "roster"), "--format", "parquet"])
    printed = capsys.readouterr().out
    assert code == 1  # two cells were errors (left out, in rejected.csv)
    assert "7 row(s) or cell(s) left out (2 error(s), 5 by design)" in printed
    assert (out / "scores.parquet").exists() and (out / "rejected.csv").exists() and (out / "notes.txt").exists()
    assert main(["convert", str(CANVAS), "--out", str(out)]) == 2
    assert "already holds" in capsys.readouterr().err
    # --force replaces the tables, and no table of the other format is left behind
    assert main(["convert", str(DATA / "oneroster11"), "--out", str(out), "--force"]) == 0
    assert not list(out.glob("*.parquet"))
    assert len(load_dataset(out).students) == len(load_dataset(DATA / "oneroster11", errors="quarantine").students)


def test_cli_convert_passes_the_item_map_and_refuses_its_own_source(tmp_path, capsys):
    sheet = DATA / "scoresheet_cfa3.csv"
    out = tmp_path / "sheet"
    code = main(["convert", str(sheet), "--out", str(out), "--item-map", str(DATA / "scoresheet_cfa3_items.csv")])
    assert code in (0, 1) and (out / "scores.csv").exists()
    assert main(["convert", str(out), "--out", str(out)]) == 2
    assert "the output folder is the source itself" in capsys.readouterr().err


def test_validate_a_name_only_sheet_against_a_roster(tmp_path, capsys):
    sheet = LMS / "scoresheet_names.csv"
    code = main(["validate", str(sheet), "--roster", str(LMS / "roster"), "--rejected", str(tmp_path / "r.csv")])
    out = capsys.readouterr().out
    assert code == 1
    assert "line 10, column 'Name': the name matches 2 roster students (S1006, S1007); not guessed" in out
    assert "Jordan" not in out and "Kowals" not in out
    assert len(pd.read_csv(tmp_path / "r.csv")) == 3
