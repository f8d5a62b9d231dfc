"""The batch runner: one report per team with papermill, HTML export, manifest, index, resume.

The end-to-end tests run the small notebooks in ``tests/batch/notebooks`` over a
district built here from the MINI fixture, copied to six teams in two schools:
two healthy teams, one with no assessments in the period, one whose notebook
raises, one that hangs (killed by the time limit) and one that kills its own
kernel.  Everything about one batch run is checked in a single test so that
pytest-xdist never runs the same (slow) batch twice.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import pytest
from conftest import MINI

from plc_analysis import batch as batch_module
from plc_analysis import export as export_module
from plc_analysis.batch import (
    BatchError,
    add_batch_arguments,
    batch_from_args,
    load_manifest,
    render_index,
    run_batch,
)
from plc_analysis.batch import arguments as batch_arguments
from plc_analysis.batch import plan as batch_plan
from plc_analysis.export import atomic_write, notebook_to_html, remove_stale_temp_files

NOTEBOOKS = Path(__file__).parent / "notebooks"
COUNTS_NB = NOTEBOOKS / "team_counts.ipynb"
MISBEHAVING_NB = NOTEBOOKS / "misbehaving.ipynb"

#: team_id, school_id, date of the team's assessment.  The batch period starts 2025-08-01.
TEAMS = [
    ("T-HANG", "S2", "2025-09-20"),  # first, so its wait for the time limit overlaps the other five
    ("T-OK1", "S1", "2025-09-15"),
    ("T-OK2", "S1", "2025-10-01"),
    ("T-OLD", "S1", "2025-01-10"),  # no assessment in the period -> "no data"
    ("T-RAISE", "S2", "2025-09-20"),
    ("T-DIE", "S2", "2025-09-20"),
]
ID_COLUMNS = ("student_id", "section_id", "teacher_id", "skill_id", "assessment_id", "rater_id")
# Seconds per report once its kernel is up.  The healthy notebook needs about 2 s on an idle machine
# (mostly `import plc_analysis`), but several times that when other test processes share the cores.
TIMEOUT = 15


def build_district(folder: Path, teams: list[tuple[str, str, str]] = TEAMS) -> Path:
    """The MINI district copied once per team (ids prefixed by the team id) into a canonical folder."""
    tables: dict[str, list[pd.DataFrame]] = {}
    for team_id, school_id, date in teams:
        for name, text in MINI.items():
            if name == "schools.csv":
                continue
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
            for column in ID_COLUMNS:
                if column in frame:
                    frame[column] = frame[column].map(lambda v, team_id=team_id: f"{team_id}-{v}" if v else v)
            if "team_id" in frame:
                frame["team_id"] = team_id
            if name == "teams.csv":
                frame["school_id"] = school_id
                frame["name"] = f"Team {team_id}"
            if name == "assessments.csv":
                frame["date"] = date
            tables.setdefault(name, []).append(frame)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frames in tables.items():
        pd.concat(frames).to_csv(folder / name, index=False)
    pd.DataFrame({"school_id": ["S1", "S2"], "name": ["North Elementary", "South Middle"]}).to_csv(
        folder / "schools.csv", index=False
    )
    return folder


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_district(tmp_path_factory.mktemp("district") / "data")


def cli(argv: list[str]) -> tuple[int, str, str]:
    """Run ``plc batch`` through the two functions cli.py wires up; return (code, stdout, stderr)."""
    parser = add_batch_arguments(argparse.ArgumentParser(prog="plc batch"))
    args = parser.parse_args(argv)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = batch_from_args(args)
    return code, out.getvalue(), err.getvalue()


def by_team(manifest: dict) -> dict[str, dict]:
    return {e["team_id"]: e for e in manifest["reports"] if e["kind"] == "team"}


def temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


# ---------------------------------------------------------------------------
# end to end
# ---------------------------------------------------------------------------
@pytest.mark.slow
def test_batch_end_to_end_with_failures_and_resume(district: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = cli(
        [
            "--data",
            str(district),
            "--out",
            str(out),
            "--notebook",
            str(MISBEHAVING_NB),
            "--jobs",
            "2",
            "--timeout",
            str(TIMEOUT),
            "--start",
            "2025-08-01",
            "--quiet",
            "-p",
            "raise_for",
            "T-RAISE",
            "-p",
            "hang_for",
            "T-HANG",
            "-p",
            "die_for",
            "T-DIE",
        ]
    )
    assert code == 1, (stdout, stderr)

    # -- manifest: one entry per team with the right status -----------------------------
    manifest = load_manifest(out)
    assert manifest is not None and manifest["complete"] is True
    entries = by_team(manifest)
    assert set(entries) == {t for t, _, _ in TEAMS}
    statuses = {t: e["status"] for t, e in entries.items()}
    assert statuses == {
        "T-OK1": "ok",
        "T-OK2": "ok",
        "T-OLD": "no data",
        "T-RAISE": "failed",
        "T-HANG": "timeout",
        "T-DIE": "failed",
    }
    assert entries["T-RAISE"]["error_name"] == "ValueError"
    assert "planted failure for team T-RAISE" in entries["T-RAISE"]["error_value"]
    assert entries["T-DIE"]["error_name"] == "DeadKernelError"
    assert entries["T-HANG"]["error_name"] in ("NotebookTimeout", "CellTimeoutError")
    assert TIMEOUT <= entries["T-HANG"]["seconds"] < TIMEOUT + 20
    for team_id, school_id, _ in TEAMS:
        entry = entries[team_id]
        assert entry["school_id"] == school_id
        assert entry["html"] == f"{school_id}/{team_id}.html"
        assert entry["ipynb"] == f"{school_id}/{team_id}.ipynb"
        assert entry["notebook"] == str(MISBEHAVING_NB.resolve())
        assert isinstance(entry["seconds"], float) and entry["seconds"] > 0
        if entry["status"] in ("ok", "no data"):
            assert entry["error_name"] is None and entry["error_value"] is None

    # -- every team has its HTML; code hidden; failures show the error -----------------
    pages = {t: (out / e["html"]).read_text(encoding="utf-8") for t, e in entries.items()}
    for team_id, page in pages.items():
        assert page.lstrip().lower().startswith("<!doctype html"), team_id
        assert "plc_analysis.load_dataset" not in page, f"{team_id}: code is visible"
        assert f"Team {team_id}" in page
    for team_id in ("T-OK1", "T-OK2", "T-RAISE", "T-HANG", "T-DIE"):
        assert "scores: 10 rows" in pages[team_id], team_id  # the cells before the failure ran
    assert "report complete" in pages["T-OK1"]
    assert "No assessments in this period" in pages["T-OLD"]
    assert "planted failure for team T-RAISE" in pages["T-RAISE"]
    assert "An Exception was encountered" in pages["T-RAISE"]  # papermill's marker
    assert "DeadKernelError" in pages["T-DIE"]
    assert entries["T-HANG"]["error_name"] in pages["T-HANG"]
    for team_id in ("T-RAISE", "T-HANG", "T-DIE"):
        assert "report complete" not in pages[team_id]
    executed = json.loads((out / entries["T-RAISE"]["ipynb"]).read_text(encoding="utf-8"))
    assert executed["metadata"]["papermill"]["exception"] is True

    # -- index: a link to every report, with its status and the errors ------------------
    index = (out / "index.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="([^"]+\.html)"', index))
    assert {e["html"] for e in entries.values()} <= links
    for status in ("ok", "no data", "failed", "timeout"):
        assert f">{status}</span>" in index
    assert "planted failure for team T-RAISE" in index and "DeadKernelError" in index
    assert "North Elementary" in index and "South Middle" in index

    # -- atomic writes: nothing half-written left behind ----------------------------------
    assert temp_files(out) == []
    assert "2 ok, 1 no data, 2 failed, 1 timeout" in stdout
    assert "T-RAISE: ValueError: planted failure" in stdout

    # -- resume: --only-failed re-runs failures and teams missing from the manifest --------
    resumed = tmp_path / "resumed"
    shutil.copytree(out, resumed)  # copy2 keeps the modification times
    interrupted = load_manifest(resumed)
    interrupted["reports"] = [e for e in interrupted["reports"] if e["team_id"] != "T-OK2"]  # as if Ctrl-C'd
    interrupted["complete"] = False
    (resumed / "manifest.json").write_text(json.dumps(interrupted), encoding="utf-8")
    untouched = [resumed / "S1" / f"{t}.{ext}" for t in ("T-OK1", "T-OLD") for ext in ("html", "ipynb")]
    mtimes = {p: p.stat().st_mtime_ns for p in untouched}
    # data, notebook, period and timeout come from the manifest; the planted failures are switched off
    code, stdout, stderr = cli(
        [
            "--out",
            str(resumed),
            "--only-failed",
            "--jobs",
            "2",
            "--quiet",
            "-p",
            "raise_for",
            "",
            "-p",
            "hang_for",
            "",
            "-p",
            "die_for",
            "",
        ]
    )
    assert code == 0, (stdout, stderr)
    assert stdout.startswith("4 report(s)"), stdout
    assert {p: p.stat().st_mtime_ns for p in untouched} == mtimes
    again = by_team(load_manifest(resumed))
    assert {t: e["status"] for t, e in again.items()} == {
        "T-OK1": "ok",
        "T-OK2": "ok",
        "T-OLD": "no data",
        "T-RAISE": "ok",
        "T-HANG": "ok",
        "T-DIE": "ok",
    }
    assert again["T-OK1"] == entries["T-OK1"]  # kept verbatim
    assert "report complete" in (resumed / "S2" / "T-DIE.html").read_text(encoding="utf-8")
    assert temp_files(resumed) == []

    # nothing left to do
    code, stdout, _ = cli(["--out", str(resumed), "--only-failed", "--quiet"])
    assert code == 0 and stdout.startswith("Nothing to run"), stdout


@pytest.mark.slow
def test_per_school_reports(district: Path, tmp_path: Path) -> None:
    # also covers the worker-process executor (forkserver workers)
    result = run_batch(
        district,
        tmp_path / "out",
        notebook=COUNTS_NB,
        per="school",
        jobs=2,
        timeout=60,
        progress=False,
        executor="process",
    )
    assert result.exit_code == 0
    assert [(r["kind"], r["school_id"], r["status"]) for r in result.manifest["reports"]] == [
        ("school", "S1", "ok"),
        ("school", "S2", "ok"),
    ]
    page = (tmp_path / "out" / "S1" / "index-school.html").read_text(encoding="utf-8")
    assert "School S1" in page and "teams: 3 rows" in page
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert 'href="S1/index-school.html"' in index and 'href="S2/index-school.html"' in index


@pytest.mark.slow
def test_failed_export_leaves_no_partial_file(district: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    report = out / "S1" / "T-OK1.html"
    report.parent.mkdir(parents=True)
    report.write_text("<html>last week's report</html>", encoding="utf-8")

    class ExplodingExporter:
        def from_notebook_node(self, nb, resources=None):
            raise RuntimeError("exporter exploded")

    monkeypatch.setattr(export_module, "html_exporter", lambda: ExplodingExporter())
    # jobs=1 runs in a thread of this process, so the patched exporter is the one used
    result = run_batch(district, out, notebook=COUNTS_NB, teams=["T-OK1"], jobs=1, timeout=60, progress=False)
    entry = result.reports[0]
    assert entry["status"] == "failed" and entry["error_name"] == "RuntimeError"
    assert "exporter exploded" in entry["error_value"]
    page = report.read_text(encoding="utf-8")  # replaced whole by an error page, never half written
    assert "last week" not in page and "exporter exploded" in page and page.rstrip().endswith("</html>")
    assert (out / "S1" / "T-OK1.ipynb").exists()
    assert temp_files(out) == []
    assert result.exit_code == 1


# ---------------------------------------------------------------------------
# atomic writes
# ---------------------------------------------------------------------------
def test_atomic_write_failure_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old report", encoding="utf-8")
    with pytest.raises(RuntimeError, match="crash"):
        with atomic_write(target) as handle:
            handle.write("<html>half a new rep")
            raise RuntimeError("crash while writing")
    assert target.read_text(encoding="utf-8") == "old report"
    assert temp_files(tmp_path) == []


def test_atomic_write_failure_creates_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "new.html"

    def no_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(export_module.os, "replace", no_replace)
    with pytest.raises(OSError, match="disk full"):
        export_module.write_text_atomic(target, "<html></html>")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_stale_temp_files_are_removed(tmp_path: Path) -> None:
    (tmp_path / "S1").mkdir()
    stale = tmp_path / "S1" / ".T1.html.abc123.tmp"
    stale.write_text("half", encoding="utf-8")
    keep = tmp_path / "S1" / "T1.html"
    keep.write_text("whole", encoding="utf-8")
    assert remove_stale_temp_files(tmp_path) == 1
    assert not stale.exists() and keep.exists()


# ---------------------------------------------------------------------------
# errors before the batch starts
# ---------------------------------------------------------------------------
def test_output_folder_that_cannot_be_created(district: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    code, _, stderr = cli(
        ["--data", str(district), "--out", str(blocker / "out"), "--notebook", str(COUNTS_NB), "--quiet"]
    )
    assert code == 2
    assert "cannot create the output folder" in stderr and str(blocker / "out") in stderr


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_output_folder(district: Path, tmp_path: Path) -> None:
    out = tmp_path / "read-only"
    out.mkdir()
    out.chmod(0o500)
    try:
        code, _, stderr = cli(["--data", str(district), "--out", str(out), "--notebook", str(COUNTS_NB)])
    finally:
        out.chmod(0o700)
    assert code == 2
    assert "cannot write to the output folder" in stderr and "ermission denied" in stderr


def test_unknown_team_missing_notebook_and_bad_data(district: Path, tmp_path: Path) -> None:
    code, _, stderr = cli(
        [
            "--data",
            str(district),
            "--out",
            str(tmp_path / "o1"),
            "--notebook",
            str(COUNTS_NB),
            "--team",
            "T-OK1",
            "--team",
            "T-NOPE",
        ]
    )
    assert code == 2 and "no such team(s) in the data: T-NOPE" in stderr
    code, _, stderr = cli(
        ["--data", str(district), "--out", str(tmp_path / "o2"), "--notebook", str(tmp_path / "missing.ipynb")]
    )
    assert code == 2 and "notebook not found" in stderr
    broken = tmp_path / "broken"
    shutil.copytree(district, broken)
    scores = (broken / "scores.csv").read_text(encoding="utf-8")
    (broken / "scores.csv").write_text(
        scores.replace("T-OK1-007,T-OK1-A1,i1,1", "T-OK1-007,T-OK1-A1,i1,lots"), encoding="utf-8"
    )
    code, _, stderr = cli(["--data", str(broken), "--out", str(tmp_path / "o3"), "--notebook", str(COUNTS_NB)])
    assert code == 2 and "scores" in stderr and "lots" in stderr
    with pytest.raises(BatchError, match="cannot be combined"):
        run_batch(district, tmp_path / "o4", notebook=COUNTS_NB, per="school", teams=["T-OK1"])


# ---------------------------------------------------------------------------
# small pieces
# ---------------------------------------------------------------------------
def test_cli_defaults_and_parameter_types() -> None:
    parser = add_batch_arguments(argparse.ArgumentParser())
    args = parser.parse_args([])
    assert args.data is None and args.out == "out" and args.jobs is None and args.notebook is None
    assert args.team is None and args.per is None and args.only_failed is False
    assert args.executor == "thread" and args.quiet is False
    args = parser.parse_args(
        [
            "-p",
            "n",
            "3",
            "-p",
            "x",
            "0.5",
            "-p",
            "flag",
            "true",
            "-p",
            "s",
            "007",
            "--team",
            "A",
            "--team",
            "B",
            "-j",
            "2",
        ]
    )
    assert args.team == ["A", "B"] and args.jobs == 2
    parse = batch_arguments._parse_value
    assert [parse(v) for _, v in args.parameter] == [3, 0.5, True, 7]
    assert parse("Grade 3") == "Grade 3" and parse("") == "" and parse("None") is None
    assert batch_module.DEFAULT_NOTEBOOK.name == "team_report.ipynb"
    assert batch_module.DEFAULT_NOTEBOOK.parent.name == "notebooks"


def test_safe_names_do_not_collide() -> None:
    safe = batch_plan.safe_name
    assert safe("T-G3") == "T-G3" and safe("team_1.a") == "team_1.a"
    assert safe("a/b") != safe("a_b") and "/" not in safe("a/b")
    assert not safe("../x").startswith(".")


def test_index_escapes_and_groups(tmp_path: Path) -> None:
    manifest = {
        "generated": "2026-03-01T10:00:00+00:00",
        "start": "2025-08-01",
        "end": "",
        "notebook": "/x/r.ipynb",
        "complete": False,
        "reports": [
            {
                "kind": "team",
                "team_id": "T2",
                "team_name": "Grade 5 <b>bold</b>",
                "school_id": "S1",
                "school_name": "North & Co",
                "status": "failed",
                "seconds": 2.25,
                "error_name": "ValueError",
                "error_value": "bad <value>",
                "html": "S1/T2.html",
                "ipynb": "S1/T2.ipynb",
            },
            {
                "kind": "team",
                "team_id": "T1",
                "team_name": "Algebra",
                "school_id": "S1",
                "school_name": "North & Co",
                "status": "ok",
                "seconds": 1.0,
                "error_name": None,
                "error_value": None,
                "html": "S1/T1.html",
                "ipynb": "S1/T1.ipynb",
            },
        ],
    }
    page = render_index(manifest)
    assert "Grade 5 &lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold" not in page
    assert "North &amp; Co" in page and "bad &lt;value&gt;" in page
    assert page.index("Algebra") < page.index("Grade 5")  # sorted by team name within the school
    assert "2.2" in page and "batch incomplete" in page and "r.ipynb" in page


def test_index_links_the_district_overview_at_the_top() -> None:
    entry = {
        "kind": "team",
        "team_id": "T1",
        "team_name": "Algebra",
        "school_id": "S1",
        "school_name": "North",
        "status": "ok",
        "seconds": 1.0,
        "html": "S1/T1.html",
        "ipynb": "S1/T1.ipynb",
    }
    overview = {
        "kind": "district",
        "status": "ok",
        "html": "district_overview.html",
        "ipynb": "district_overview.ipynb",
        "error_name": None,
        "error_value": None,
    }
    page = render_index({"reports": [entry], "overview": overview})
    assert '<a href="district_overview.html"><strong>District overview (aggregates only)</strong></a>' in page
    assert page.index("district_overview.html") < page.index("S1/T1.html")
    assert "1 report:" in page  # the overview is not counted among the team reports
    failed = render_index(
        {
            "reports": [entry],
            "overview": {**overview, "status": "failed", "ipynb": None, "error_name": "KeyError", "error_value": "<x>"},
        }
    )
    assert 'class="badge failed"' in failed and "KeyError: &lt;x&gt;" in failed
    assert "district_overview.ipynb" not in failed
    assert "District overview" not in render_index({"reports": [entry]})


def test_notebook_to_html_hides_code() -> None:
    import nbformat

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Title here"),
            nbformat.v4.new_code_cell(
                "secret_code = 1", execution_count=1, outputs=[nbformat.v4.new_output("stream", text="visible output")]
            ),
        ]
    )
    page = notebook_to_html(nb, title="My team")
    assert "Title here" in page and "visible output" in page and "<title>My team</title>" in page
    assert "secret_code" not in page and "In&nbsp;[1]" not in page


def test_notebook_to_html_matches_nbconvert_with_alt_text() -> None:
    """Our exporter skips nbconvert's BeautifulSoup pass: same page, same focusable outputs, better alt text."""
    import nbformat
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="5" height="5"/></svg>'
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Title & <things>"),
            nbformat.v4.new_code_cell(
                "x",
                execution_count=1,
                outputs=[
                    nbformat.v4.new_output(
                        "execute_result",
                        {"text/html": "<table><tr><td>&lt;div class=&quot;jp-Rendered&quot;</td></tr></table>"},
                        execution_count=1,
                    ),
                    nbformat.v4.new_output(
                        "display_data",
                        {"image/svg+xml": svg},
                        metadata={"image/svg+xml": {"alt": "T-G3: students proficient by skill"}},
                    ),
                    nbformat.v4.new_output("display_data", {"image/svg+xml": svg}),
                    nbformat.v4.new_output("display_data", {"image/png": png}),
                    nbformat.v4.new_output("stream", text="printed <text>"),
                ],
            ),
        ]
    )
    nb.metadata["language_info"] = {"name": "python"}
    ours = BeautifulSoup(notebook_to_html(nb), "html.parser")
    theirs = BeautifulSoup(
        HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True).from_notebook_node(
            nb, resources={"metadata": {"name": "report"}}
        )[0],
        "html.parser",
    )
    assert ours.get_text() == theirs.get_text()

    def focusable(soup):
        return [(el.name, el.get("class")) for el in soup.find_all(tabindex="0")]

    assert focusable(ours) == focusable(theirs) and len(focusable(ours)) == 6  # markdown cell + 5 outputs
    assert [img.get("alt") for img in ours.find_all("img")] == [
        "T-G3: students proficient by skill",
        "Figure",
        "Figure",
    ]
    assert [img["src"][:40] for img in ours.find_all("img")] == [img["src"][:40] for img in theirs.find_all("img")]


def test_report_only_failed_renders_the_overview_from_the_batch_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``plc report --only-failed`` without --data: the overview comes from the data the batch recorded."""
    from plc_analysis import cli

    district = build_district(tmp_path / "district")
    out = tmp_path / "out"
    assert run_batch(district, out, notebook=COUNTS_NB, jobs=1, timeout=60, progress=False).exit_code == 0
    seen: dict[str, object] = {}

    def overview(out_dir, data_path=None, **kwargs):
        seen["data_path"] = data_path
        return {"status": "ok", "html": None, "error_name": None, "error_value": None}

    monkeypatch.setattr(batch_module, "run_district_overview", overview)
    with redirect_stdout(io.StringIO()):
        assert cli.main(["report", "--out", str(out), "--only-failed", "--quiet"]) == 0
    assert Path(str(seen["data_path"])) == district.resolve()


def test_the_largest_teams_reports_start_first():
    from plc_analysis.batch.plan import largest_first, report_units
    from plc_analysis.loading import SAMPLE_PATH, load_dataset

    dataset = load_dataset(SAMPLE_PATH)
    team_of = dict(zip(dataset.assessments["assessment_id"], dataset.assessments["team_id"]))
    rows = dataset.scores["assessment_id"].map(team_of).value_counts().to_dict()
    ordered = largest_first(dataset, report_units(dataset, "team", None, None))
    sizes = [rows.get(unit["team_id"], 0) for unit in ordered]
    assert sizes == sorted(sizes, reverse=True) and len(ordered) == len(dataset.teams)
    schools = largest_first(dataset, report_units(dataset, "school", None, None))
    school_rows = [
        sum(rows.get(t, 0) for t in dataset.teams.loc[dataset.teams["school_id"] == unit["school_id"], "team_id"])
        for unit in schools
    ]
    assert school_rows == sorted(school_rows, reverse=True)
    # equal sizes keep the district's order
    same = [dict(kind="team", team_id="nobody", school_id="S01"), dict(kind="team", team_id="none", school_id="S01")]
    assert largest_first(dataset, same) == same
