"""Files people open, and markers we must not trust: formula injection, names in rejected.csv, extract.json.

Issue 24 classes 1, 2 and 3 (validation bypass).
"""

from __future__ import annotations

import hashlib
import json
import zipfile

import openpyxl
import pandas as pd
import pytest
from conftest import MINI, write_folder
from hostile_helpers import assert_conserved, plc_fixture  # noqa: F401 (the plc fixture)

from plc_analysis import PLCDataError, ReportTable, load_dataset
from plc_analysis.extract import EXTRACT_KEY_ENV, EXTRACT_MARKER, extract_key, read_extract, write_extract
from plc_analysis.spreadsheet_out import FORMULA_STARTS, neutralise_cell, neutralise_formulas, write_people_csv

EVIL = ['=HYPERLINK("http://evil","x")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", " =1"]


# ---------------------------------------------------------------------------
# the writer for files a person opens in a spreadsheet
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("cell", EVIL)
def test_formula_starts_are_neutralised(cell):
    assert neutralise_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-3", "+2.5", "-1e3", "Ana", "", "a=b", "'=x already quoted"])
def test_numbers_and_plain_text_are_left_alone(cell):
    assert neutralise_cell(cell) == cell


def test_every_text_cell_and_label_of_a_frame_is_neutralised():
    frame = pd.DataFrame({"=name": EVIL, "points": range(len(EVIL))}, index=[f"@{i}" for i in range(len(EVIL))])
    out = neutralise_formulas(frame)
    assert list(out.columns) == ["'=name", "points"]
    assert all(not str(v).startswith(FORMULA_STARTS) for v in [*out["'=name"], *out.index])
    assert list(out["points"]) == list(range(len(EVIL)))
    assert list(frame["=name"]) == EVIL  # the input is not changed


def test_rejected_csv_of_a_score_sheet_cannot_run_a_formula(plc, tmp_path):
    evil = '=HYPERLINK("http://evil","x")'
    sheet = tmp_path / "cfa_2025-10-03.csv"
    sheet.write_text(f'Student ID,"{evil.replace(chr(34), chr(34) * 2)}"\n0101,1\n0102,=1+1\n', encoding="utf-8")
    items = tmp_path / "cfa_2025-10-03_items.csv"
    items.write_text(f'item_id,skill_id,max_points\n"{evil.replace(chr(34), chr(34) * 2)}",K1,1\n', encoding="utf-8")
    ran = plc("validate", sheet, "--rejected", tmp_path / "rejected.csv")
    assert ran.code == 1
    written = (tmp_path / "rejected.csv").read_text(encoding="utf-8")
    cells = pd.read_csv(tmp_path / "rejected.csv", dtype=str, keep_default_na=False).to_numpy().ravel()
    assert any(evil in c for c in cells), written  # the reason names the column ...
    assert len(cells) and all(not c.startswith(FORMULA_STARTS) for c in cells), written  # ... as text


def test_rejected_csv_keeps_student_names_out(plc, tmp_path):
    students = (
        MINI["students.csv"]
        .replace("010,3,Di,Gao,false", "010,3,Di,Gao,maybe")
        .replace("009,3,Cy,Fox", "009,3,Cy,Fox,x")
    )
    folder = write_folder(tmp_path / "d", {**MINI, "students.csv": students})
    ran = plc("validate", folder)
    assert ran.code == 1
    dataset = load_dataset(folder, errors="quarantine")
    rejected = (folder / "rejected.csv").read_text(encoding="utf-8")
    assert len(dataset.rejected[dataset.rejected["file"] == "students.csv"]) == 2
    for name in ("Di", "Gao", "Cy", "Fox"):
        assert name not in rejected and name not in ran.out + ran.err
    assert_conserved(dataset, folder, "students")


def test_report_table_excel_export_writes_text_not_formulas_and_html_is_unchanged(tmp_path):
    frame = pd.DataFrame({"student": EVIL[:3], "score": [0.5, 0.25, 1.0]})
    table = ReportTable(frame)
    styler = table.to_styler()
    html_before = styler.to_html()
    path = tmp_path / "t.xlsx"
    styler.to_excel(path, index=False)
    sheet = openpyxl.load_workbook(path).active
    written = [sheet.cell(row, 1) for row in range(2, 5)]
    assert all(cell.data_type != "f" for cell in written)
    assert [cell.value for cell in written] == ["'" + v for v in EVIL[:3]]
    assert styler.to_html() == html_before and "=cmd|" in html_before
    with zipfile.ZipFile(path) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


def test_write_people_csv_round_trips_plain_cells(tmp_path):
    frame = pd.DataFrame({"a": ["x", "-4", "=y"], "b": [1, 2, 3]})
    read = pd.read_csv(write_people_csv(frame, tmp_path / "p.csv"), dtype=str)
    assert list(read["a"]) == ["x", "-4", "'=y"]


# ---------------------------------------------------------------------------
# extract.json: trusted only when sealed by the batch that wrote it
# ---------------------------------------------------------------------------
def forged_marker(folder, tables: dict[str, str] | None = None) -> None:
    listed = tables
    if listed is None:
        listed = {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.iterdir()
            if p.suffix in (".csv", ".parquet")
        }
    marker = {"format": "plc-extract/2", "source": "x", "tables": listed, "filters": {}, "seal": "0" * 64}
    (folder / EXTRACT_MARKER).write_text(json.dumps(marker), encoding="utf-8")


def test_a_placed_extract_json_does_not_hide_csv_errors(plc, tmp_path):
    bad = MINI["scores.csv"].replace("007,A1,i1,1", "007,A1,i1,9")
    folder = write_folder(tmp_path / "d", {**MINI, "scores.csv": bad})
    forged_marker(folder, tables={})
    ran = plc("validate", folder)
    assert ran.code == 1 and "scores.csv, line 2, column 'points'" in ran.out
    forged_marker(folder)
    assert plc("validate", folder).code == 1


def test_a_placed_extract_json_does_not_let_invalid_parquet_load_unchecked(tmp_path, monkeypatch):
    dataset = load_dataset(write_folder(tmp_path / "d", MINI))
    folder = dataset.write(tmp_path / "pq", fmt="parquet")
    scores = pd.read_parquet(folder / "scores.parquet")
    scores.loc[0, "points"] = 99.0
    scores.to_parquet(folder / "scores.parquet", index=False)
    forged_marker(folder)
    monkeypatch.setenv(EXTRACT_KEY_ENV, extract_key().hex())  # even inside a batch's kernel
    assert read_extract(folder) is None
    with pytest.raises(PLCDataError, match="points"):
        load_dataset(folder)


def test_a_sealed_extract_is_trusted_only_with_the_batch_key(tmp_path, monkeypatch):
    dataset = load_dataset(write_folder(tmp_path / "d", MINI))
    folder = write_extract(dataset, tmp_path / "extract")
    monkeypatch.setenv(EXTRACT_KEY_ENV, extract_key().hex())  # a kernel the batch started
    assert read_extract(folder) is not None
    monkeypatch.setenv(EXTRACT_KEY_ENV, "ab" * 32)  # another batch's kernel
    assert read_extract(folder) is None
    assert len(load_dataset(folder).scores) == len(dataset.scores)  # validated instead
    monkeypatch.setenv(EXTRACT_KEY_ENV, "not hex")
    assert read_extract(folder) is None
    marker = json.loads((folder / EXTRACT_MARKER).read_text(encoding="utf-8"))
    marker["source"] = "edited"  # every field is sealed, not only the table hashes
    (folder / EXTRACT_MARKER).write_text(json.dumps(marker), encoding="utf-8")
    monkeypatch.setenv(EXTRACT_KEY_ENV, extract_key().hex())
    assert read_extract(folder) is None


def test_a_process_without_any_key_never_trusts_a_marker(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    dataset = load_dataset(write_folder(tmp_path / "d", MINI))
    folder = write_extract(dataset, tmp_path / "extract")
    code = f"from plc_analysis.extract import read_extract; print(read_extract({str(folder)!r}) is None)"
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": str(root)}, timeout=300
    )
    assert done.stdout.strip() == "True", done.stderr
