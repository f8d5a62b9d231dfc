"""plc validate --engine duckdb reports what the in-memory validation reports, with the same exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from plc_analysis.cli import main


def _report(folder: Path, engine: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> tuple[int, list[str]]:
    code = main(["validate", str(folder), "--engine", engine, "--rejected", str(tmp_path / f"{engine}.csv")])
    lines = capsys.readouterr().out.splitlines()
    return code, lines[1:]  # the first line says which engine ran


def test_same_report_from_both_engines(mini_folder: Path, capsys, tmp_path: Path):
    students = mini_folder / "students.csv"
    students.write_text(students.read_text() + "st-x,\n", encoding="utf-8")  # no grade: rejected
    by_pandas = _report(mini_folder, "pandas", capsys, tmp_path)
    by_duckdb = _report(mini_folder, "duckdb", capsys, tmp_path)
    assert by_pandas[0] == by_duckdb[0] == 1
    assert [line.replace("pandas.csv", "X") for line in by_pandas[1]] == [
        line.replace("duckdb.csv", "X") for line in by_duckdb[1]
    ]
    assert (tmp_path / "pandas.csv").read_bytes() == (tmp_path / "duckdb.csv").read_bytes()


def test_clean_folder_and_the_first_line(mini_folder: Path, capsys, tmp_path: Path):
    assert main(["validate", str(mini_folder), "--engine", "duckdb"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith(f"Validated {mini_folder} out of core (DuckDB)")
    assert "No errors." in out


def test_duckdb_needs_a_folder(tmp_path: Path, capsys):
    sheet = tmp_path / "scores.csv"
    sheet.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["validate", str(sheet), "--engine", "duckdb"]) == 2
    assert f"{sheet}: --engine duckdb reads a canonical or partitioned data folder" in capsys.readouterr().err
