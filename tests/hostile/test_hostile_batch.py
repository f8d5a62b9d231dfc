"""Batch outputs that must not lie, and options that must not be misread (issue 24 classes 4 and 7)."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
from conftest import MINI, write_folder
from hostile_helpers import assert_one_line, plc_fixture  # noqa: F401 (the plc fixture)

from plc_analysis.batch import BatchError, load_manifest, run_batch
from plc_analysis.batch import driver as batch_driver
from plc_analysis.batch.out_lock import out_folder_lock
from plc_analysis.batch.plan import MAX_NAME_CHARS, file_names, safe_name

NOTEBOOK = Path(__file__).resolve().parent.parent / "batch" / "notebooks" / "team_counts.ipynb"
LONG_TEAM = "T" + "x" * 299  # a 300-character team id


def two_team_district(folder: Path, second: str = LONG_TEAM) -> Path:
    """The mini district plus a copy of its team under the id ``second`` (own teachers, sections, assessment)."""
    renames = {"T3": second, "sec1": "secB1", "sec2": "secB2", "t1": "tB1", "t2": "tB2", "A1": "AB1", "K1": "KB1"}
    renames["K2"] = "KB2"

    def copy(text: str) -> str:
        lines = text.splitlines()
        body = []
        for line in lines[1:]:
            cells = line.split(",")
            body.append(",".join(renames.get(c, c) for c in cells))
        return "\n".join(body) + "\n"

    files = dict(MINI)
    for name in ("teams.csv", "teachers.csv", "sections.csv", "skills.csv", "assessments.csv", "items.csv"):
        files[name] = MINI[name] + copy(MINI[name])
    files["enrollments.csv"] = MINI["enrollments.csv"] + copy(MINI["enrollments.csv"])
    files["scores.csv"] = MINI["scores.csv"] + copy(MINI["scores.csv"])
    return write_folder(folder, files)


# ---------------------------------------------------------------------------
# an id becomes a file name
# ---------------------------------------------------------------------------
def test_safe_names_are_short_distinct_and_plain():
    ids = [LONG_TEAM, LONG_TEAM + "y", "a/b", "a_b", "../x", "CON", "index-school", "T-G3", "é", "e"]
    names = file_names(ids)
    assert len(set(names.values())) == len(ids)
    assert all(len(n) <= MAX_NAME_CHARS + 11 for n in names.values())
    assert all(n.isascii() and "/" not in n and not n.startswith(".") for n in names.values())
    assert names["T-G3"] == "T-G3" and names["a_b"] == "a_b"
    assert names["CON"] != "CON" and names["index-school"] != "index-school"


def test_ids_differing_only_in_case_get_distinct_names_on_any_disk():
    names = file_names(["T1", "t1", "T2"])
    assert names["T1"].casefold() != names["t1"].casefold()
    assert names["T2"] == "T2"
    assert safe_name("T1") == "T1"  # alone, an id keeps its own name


@pytest.mark.slow
def test_a_300_character_team_id_gets_its_report_and_a_refused_name_fails_that_team_only(tmp_path, monkeypatch, plc):
    data = two_team_district(tmp_path / "data")
    out = tmp_path / "out"
    result = run_batch(data, out, notebook=NOTEBOOK, jobs=1, progress=False)
    by_team = {r["team_id"]: r for r in result.reports}
    assert {by_team[t]["status"] for t in ("T3", LONG_TEAM)} == {"ok"}
    long_html = out / by_team[LONG_TEAM]["html"]
    assert long_html.is_file() and len(long_html.stem) <= MAX_NAME_CHARS + 11

    real = batch_driver.write_extract

    def refusing(subset, folder):
        if LONG_TEAM in set(subset.teams["team_id"]):
            raise OSError(errno.ENAMETOOLONG, "File name too long", str(folder))
        return real(subset, folder)

    monkeypatch.setattr(batch_driver, "write_extract", refusing)
    ran = plc("batch", "--data", data, "--out", tmp_path / "out2", "--notebook", NOTEBOOK, "-j", "1", "-q")
    assert ran.code == 1 and "Traceback" not in ran.err
    manifest = load_manifest(tmp_path / "out2")
    statuses = {r["team_id"]: r for r in manifest["reports"]}
    assert statuses["T3"]["status"] == "ok" and manifest["complete"]
    assert statuses[LONG_TEAM]["status"] == "failed"
    assert "File name too long" in statuses[LONG_TEAM]["error_value"]
    assert "\n" not in statuses[LONG_TEAM]["error_value"]


# ---------------------------------------------------------------------------
# one batch at a time per output folder; a manifest that cannot be trusted is not guessed at
# ---------------------------------------------------------------------------
def test_a_second_batch_on_a_busy_output_folder_is_refused(plc, tmp_path):
    data = write_folder(tmp_path / "data", MINI)
    out = tmp_path / "out"
    out.mkdir()
    with out_folder_lock(out):
        with pytest.raises(BatchError, match="another plc batch is writing"):
            run_batch(data, out, notebook=NOTEBOOK, progress=False)
        ran = plc("batch", "--data", data, "--out", out, "--notebook", NOTEBOOK, "-q")
        line = assert_one_line(ran, 2, "another plc batch is writing")
        assert str(out) in line
        assert_one_line(plc("report", "--data", data, "--out", out, "-q"), 2, "another plc batch")
    assert list(out.iterdir()) == []  # nothing written, and the lock leaves no file behind


@pytest.mark.parametrize(
    "manifest",
    [
        "{not json",
        json.dumps({"reports": "none"}),
        json.dumps({"data_path": "x", "reports": [{"team_id": "T3", "status": "ok"}]}),
        json.dumps(["a", "list"]),
    ],
)
def test_a_corrupt_manifest_with_only_failed_renders_nothing(plc, tmp_path, manifest):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text(manifest, encoding="utf-8")
    ran = plc("report", "--out", out, "--only-failed", "-q")
    assert_one_line(ran, 2, "manifest.json", "cannot say which reports are done")
    assert [p.name for p in out.iterdir()] == ["manifest.json"]


def test_a_manifest_without_its_data_path_with_only_failed_asks_for_data(plc, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"reports": []}), encoding="utf-8")
    assert_one_line(plc("report", "--out", out, "--only-failed", "-q"), 2, "give --data")
    assert [p.name for p in out.iterdir()] == ["manifest.json"]


# ---------------------------------------------------------------------------
# options read as written, or refused
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "phrase"),
    [
        (["--start", "1/2/26"], "not a date in ISO 8601 form"),
        (["--end", "2026-02-30"], "not a date in ISO 8601 form"),
        (["--jobs", "-3"], "must be at least 1"),
        (["--jobs", "0"], "must be at least 1"),
        (["--timeout", "-5"], "greater than 0"),
        (["--timeout", "nan"], "greater than 0"),
        (["--timeout", "soon"], "not a number"),
    ],
)
def test_bad_batch_options_are_usage_errors(plc, tmp_path, argv, phrase):
    for command in ("batch", "report"):
        ran = plc(command, "--out", tmp_path / "out", *argv)
        assert ran.code == 2 and phrase in ran.err and "Traceback" not in ran.err
        assert not (tmp_path / "out").exists()


def test_the_library_refuses_the_same_values(tmp_path):
    data = write_folder(tmp_path / "data", MINI)
    for kwargs, phrase in (
        ({"start": "1/2/26"}, "ISO 8601"),
        ({"jobs": -3}, "at least 1"),
        ({"timeout": -5}, "greater than 0"),
    ):
        with pytest.raises(ValueError, match=phrase):
            run_batch(data, tmp_path / "out", notebook=NOTEBOOK, progress=False, **kwargs)


def test_iso_dates_are_still_read(tmp_path):
    from plc_analysis.batch.plan import date_param

    assert date_param("2026-01-02") == "2026-01-02"
    assert date_param(" 2026-01-02 ") == "2026-01-02"
    assert date_param("") == ""


def test_too_few_sample_students_is_a_usage_error(plc, tmp_path):
    ran = plc("sample", "--students", "60", "--out", tmp_path / "s")
    assert ran.code == 2 and "must be at least 80" in ran.err and "Traceback" not in ran.err
    assert not (tmp_path / "s").exists()
