"""Notebooks: committed clean, documented parameters, and rendered reports people can read.

nbval (``pytest --nbval-lax``, configured in pyproject) executes every notebook in
plc_analysis/notebooks/ against the sample; the tests here check what the rendered reports say.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from plc_analysis.batch import run_batch
from plc_analysis.bundled import NOTEBOOK_DIR
from plc_analysis.loading import SAMPLE_PATH

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = {"team_report", "support_plan", "goals", "district_overview", "explore"}


def test_all_notebooks_present():
    assert {p.stem for p in NOTEBOOKS} == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs_and_with_documented_parameters(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: strip outputs"
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    for line in params[0].source.splitlines():
        assert re.match(r"^\w+: (str|int|float|bool) = .+  # \w", line), f"{path.name}: undocumented {line!r}"
    assert "data_path" in params[0].source


def test_committed_notebooks_are_what_build_notebooks_writes(tmp_path):
    """Edit tools/build_notebooks.py, not the notebooks: the two never drift apart."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_notebooks", ROOT / "tools" / "build_notebooks.py")
    assert spec is not None and spec.loader is not None
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    written = builder.main(tmp_path)
    assert {p.name for p in written} == {p.name for p in NOTEBOOKS}
    for path in written:
        committed = (NOTEBOOK_DIR / path.name).read_bytes()
        assert path.read_bytes() == committed, f"{path.name}: run python tools/build_notebooks.py and commit"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_hold_no_analysis_logic(path):
    """Thin notebooks: every code cell is a few calls into plc_analysis, no pandas in sight."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert "import pandas" not in cell.source and ".groupby(" not in cell.source
            if "parameters" not in cell.metadata.get("tags", []):  # declarations, one documented line each
                assert len(cell.source.splitlines()) <= 8


@pytest.fixture(scope="module")
def report_run(tmp_path_factory):
    """Three team reports and the district overview rendered from the sample, as a user gets them.

    ``plc report`` runs in its own process, so that whatever its kernels print
    on the terminal is captured (returns the output folder and the finished process).
    """
    out = tmp_path_factory.mktemp("reports")
    result = run_batch(SAMPLE_PATH, out, teams=["T-G3", "T-ALG1", "T-6MB"], jobs=2, progress=False)
    pdf = ["--pdf"] if _can_print() else []  # one browser prints the three team reports and the overview
    assert result.exit_code == 0, result.reports
    report = subprocess.run(
        [
            sys.executable,
            "-m",
            "plc_analysis.cli",
            "report",
            "--out",
            str(out),
            "--team",
            "T-G3",
            "--only-failed",
            "--quiet",
            *pdf,
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert report.returncode == 0, report.stdout + report.stderr
    return out, report


@pytest.fixture(scope="module")
def rendered(report_run):
    return report_run[0]


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_team_report_answers_the_three_questions(rendered):
    html = _text(rendered / "S01" / "T-G3.html")
    for heading in (
        "In ten seconds",
        "1. What do we want each student to learn?",
        "2. How will we know when each student has learned it?",
        "A basis of comparison",
        "What to talk about",
        "3. How will we respond when a student has difficulty?",
        "Our SMART goals",
    ):
        assert heading in html
    planted = json.loads((SAMPLE_PATH / "planted.json").read_text())
    assert "Weakest essential skill: Make inferences using evidence from the text" in html
    assert planted["miskeyed_item"]["item_id"] in html
    assert "Traceback" not in html and "Warning" not in html and "def " not in html  # code hidden, no warnings
    assert html.count('<img src="data:image/svg+xml;base64,') >= 4  # vector figures, with alt text from their titles
    assert 'alt="Grade 3 Language Arts: students proficient by skill"' in html
    assert 'alt="Each teacher against the rest of the team"' in html and 'alt="Figure"' not in html
    assert (rendered / "S01" / "T-G3.html").stat().st_size < 3_000_000


def test_batch_report_compares_the_team_with_the_other_teams(rendered):
    """A batch hands each report an extract of its own team; the other teams come pooled beside it."""
    from bs4 import BeautifulSoup

    from plc_analysis import compare_teams, load_sample

    page = BeautifulSoup(_text(rendered / "S02" / "T-6MB.html"), "html.parser")
    caption = page.find("caption", string="Our team against the other teams giving the same assessment")
    assert caption is not None, "the team-to-team comparison is missing"
    rows = [[td.get_text() for td in tr.find_all("td")] for tr in caption.find_parent("table").tbody.find_all("tr")]
    expected = compare_teams(load_sample(), "skill").query("team_id == 'T-6MB'")
    assert len(rows) == len(expected) > 0
    assert [int(row[3]) for row in rows] == expected["n"].tolist()  # Students
    assert [int(row[6]) for row in rows] == expected["n_rest"].tolist()  # Other teams' students


def test_team_report_names_only_its_own_students(rendered):
    students = pd.read_csv(SAMPLE_PATH / "students.csv", dtype=str)
    enrollments = pd.read_csv(SAMPLE_PATH / "enrollments.csv", dtype=str)
    sections = pd.read_csv(SAMPLE_PATH / "sections.csv", dtype=str)
    team_of = enrollments.merge(sections, on="section_id").groupby("student_id")["team_id"].agg(set)
    html = _text(rendered / "S01" / "T-G3.html")
    names = students.assign(full=students["last_name"] + ", " + students["first_name"])
    mine = names[names["student_id"].map(lambda s: "T-G3" in team_of.get(s, set()))]
    # names elsewhere in the district (the sample reuses some names: compare names, not ids)
    others = names[~names["student_id"].isin(mine["student_id"]) & ~names["full"].isin(mine["full"])]
    assert sum(n in html for n in mine["full"]) >= 0.9 * len(mine)
    assert not [n for n in others["full"] if n in html]


def test_district_overview_never_names_a_student(rendered):
    html = _text(rendered / "district_overview.html")
    students = pd.read_csv(SAMPLE_PATH / "students.csv", dtype=str)
    forms = pd.concat(
        [students["last_name"] + ", " + students["first_name"], students["first_name"] + " " + students["last_name"]]
    )
    assert not [n for n in forms if n in html]
    assert "fewer than 10" in html  # the small ELL cell of T-G3 is suppressed
    assert "Traceback" not in html


def test_plc_report_links_the_district_overview_and_keeps_kernel_logs_quiet(report_run):
    out, report = report_run
    index = _text(out / "index.html")
    assert 'href="district_overview.html"' in index and "District overview (aggregates only)" in index
    assert index.index("District overview") < index.index('href="S01/')  # at the top, above the team reports
    overview = json.loads(_text(out / "manifest.json"))["overview"]
    assert overview["status"] == "ok" and overview["html"] == "district_overview.html"
    assert (out / "district_overview.ipynb").is_file()
    assert "IPKernelApp" not in report.stdout + report.stderr  # kernels' own logging stays off the terminal
    assert report.stderr.strip() == ""
    index_path, overview_path = out.resolve() / "index.html", out.resolve() / "district_overview.html"
    lines = report.stdout.splitlines()
    assert f"District overview (aggregates only): {overview_path}" in lines
    assert lines[-1] == f"Index: {index_path}"  # absolute paths, the index last


def _can_print() -> bool:
    """Whether ``plc report --pdf`` can print here (Playwright and the system's Chromium)."""
    import importlib.util

    from plc_analysis.print_pdf import find_chromium

    return find_chromium() is not None and importlib.util.find_spec("playwright") is not None


def _pdf_tools() -> None:
    if not _can_print():
        pytest.skip("no Playwright or Chromium to print PDFs (make test installs Chromium with apt when run as root)")
    if not (shutil.which("pdftoppm") and shutil.which("pdftotext") and shutil.which("pdfinfo")):
        pytest.skip("poppler-utils (pdftoppm, pdftotext) not installed: make test installs them with apt as root")


def _pdf_pages(pdf: Path) -> list[str]:
    """The text of each page (pdftotext, layout kept)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def test_every_report_is_also_a_print_ready_pdf(report_run, tmp_path):
    _pdf_tools()
    out, report = report_run
    manifest = json.loads(_text(out / "manifest.json"))
    entries = [*manifest["reports"], manifest["overview"]]
    assert sorted(e["pdf"] for e in entries) == [
        "S01/T-G3.pdf",
        "S02/T-6MB.pdf",
        "S03/T-ALG1.pdf",
        "district_overview.pdf",
    ]
    assert "4 PDF(s) printed" in report.stdout
    pdf = out / "S01" / "T-G3.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    n_pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    pages = _pdf_pages(pdf)
    assert len(pages) == n_pages >= 8  # a section a page at least
    # every page rasterises to a page with ink on it
    subprocess.run(["pdftoppm", "-png", "-r", "20", str(pdf), str(tmp_path / "p")], check=True)
    images = sorted(tmp_path.glob("p-*.png"))
    assert len(images) == n_pages and all(p.stat().st_size > 500 for p in images)
    # running header on every page: team, school, period, audience and the date; page numbers in the footer
    for number, page in enumerate(pages, start=1):
        assert (
            "Grade 3 Language Arts — Maple Hollow Elementary School · all assessments to date · audience: team" in page
        )
        assert f"page {number} of {n_pages}" in page
    assert "Audience: team (the team that teaches these students)" in " ".join(pages[0].split())
    # sections start new pages: each heading is at the top of its page
    for heading in ("1. What do we want each student to learn?", "Our SMART goals"):
        (starts,) = [p for p in pages if heading in p]
        lines = [line for line in starts.splitlines() if line.strip()]
        assert heading in " ".join(lines[1:3]), lines[:4]


def test_no_table_is_split_across_pages_without_its_header(report_run):
    """The per-student table is the longest: every page it runs onto repeats its header row."""
    _pdf_tools()
    pages = _pdf_pages(report_run[0] / "S01" / "T-G3.pdf")
    first = next(i for i, p in enumerate(pages) if "Each student on each skill" in p)
    last = next(i for i, p in enumerate(pages) if "Growth over the period" in p)  # the section after the grid
    table_pages = pages[first:last]
    assert len(table_pages) >= 2, "the table should run over several pages for this test to mean anything"
    for page in table_pages:
        assert re.search(r"Student\s+Teacher", page) and "assessed" in page, page[:400]
    students = pd.read_csv(SAMPLE_PATH / "students.csv", dtype=str)
    rows = [len(re.findall(r"^\s+[A-Z][\w'-]+, [A-Z]", p, flags=re.M)) for p in table_pages]
    assert all(r > 0 for r in rows) and len(students) > sum(rows) >= 60  # rows on every page, none lost


def test_the_index_lists_each_reports_audience_html_and_pdf(report_run):
    from bs4 import BeautifulSoup

    out, _ = report_run
    page = BeautifulSoup(_text(out / "index.html"), "html.parser")
    headers = [th.get_text() for th in page.find("table").thead.find_all("th")]
    assert headers == ["Report", "Audience", "Status", "Seconds", "Files"]
    row = page.find("a", href="S01/T-G3.html").find_parent("tr")
    cells = [td.get_text(" ", strip=True) for td in row.find_all("td")]
    assert cells[1] == "team" and cells[4].startswith("HTML")
    overview = page.find(id="district-overview").get_text(" ", strip=True)
    assert "audience: district" in overview
    if _can_print():
        assert row.find("a", href="S01/T-G3.pdf") and page.find(id="district-overview").find(
            "a", href="district_overview.pdf"
        )


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.browser
def test_reports_render_in_a_real_browser(rendered, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("headless Chromium not installed (make test installs Debian's chromium with apt when run as root)")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    for page in (rendered / "index.html", rendered / "S01" / "T-G3.html"):
        shot = tmp_path / f"{page.stem}.png"
        subprocess.run(
            [browser, *flags, "--window-size=1280,2000", f"--screenshot={shot}", page.as_uri()],
            check=True,
            capture_output=True,
            timeout=120,
        )
        assert shot.stat().st_size > 20_000  # a blank page is a few KB
        dom = subprocess.run(
            [browser, *flags, "--dump-dom", page.as_uri()], check=True, capture_output=True, text=True, timeout=120
        ).stdout
        if page.name == "index.html":
            assert dom.count('href="S0') >= 2 and "failed" not in dom.lower().split("reports:")[-1][:200]
        else:
            assert dom.count("<img") >= 4 and dom.count("<table") >= 5
            assert 'data-mime-type="application/vnd.jupyter.stderr"' not in dom and "Traceback" not in dom
