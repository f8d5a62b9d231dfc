"""Audiences: every report says who it is for, and shows that audience what it may see and nothing more.

The reports are rendered from the planted sample by running the bundled notebooks' own cells in this
process (same calls, same parameters as a batch, no kernel), then read as HTML.
"""

from __future__ import annotations

import ast
import re
from functools import cache

import nbformat
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from plc_analysis.audience import (
    AUDIENCES,
    alias_teachers,
    audience_rule,
    check_audience_scope,
    default_audience,
    teacher_aliases,
)
from plc_analysis.bundled import NOTEBOOK_DIR
from plc_analysis.equity import MIN_CELL
from plc_analysis.loading import SAMPLE_PATH, load_sample

#: Columns that count students in the reports' tables (a small number there is a small cell).
COUNT_COLUMNS = re.compile(r"^(Students|Proficient|Not yet|Students in group|Other students|Of enrolled)$")


# -- the rule ----------------------------------------------------------------------------------
def test_every_audience_has_a_rule_and_unknown_ones_are_refused():
    assert [audience_rule(a).name for a in AUDIENCES] == list(AUDIENCES)
    with pytest.raises(ValueError, match="audience must be one of team, school, district, public, not 'beyond'"):
        audience_rule("beyond")
    assert [default_audience(level) for level in ("team", "school", "district")] == ["team", "school", "district"]


def test_names_never_reach_beyond_the_team_or_school_that_owns_them():
    assert check_audience_scope("", "school").name == "school"
    assert check_audience_scope("school", "team").student_names
    for level, audience in (("school", "team"), ("district", "team"), ("district", "school")):
        with pytest.raises(ValueError, match=f"a {level} report cannot be for audience '{audience}'"):
            check_audience_scope(audience, level)
    district, public = audience_rule("district"), audience_rule("public")
    assert not district.student_names and district.suppress_small_cells and district.teacher_names
    assert not public.student_names and public.suppress_small_cells and not public.teacher_names
    assert {audience_rule(a).metric_audience for a in ("team", "school")} == {"team"}


def test_teachers_are_lettered_in_order_of_appearance_and_replaced_everywhere():
    aliases = teacher_aliases(["Ms. Quinn", "Mr. Abe", "Ms. Quinn", "", None, *(f"T{i}" for i in range(30))])
    assert aliases["Ms. Quinn"] == "Teacher A" and aliases["Mr. Abe"] == "Teacher B"  # not alphabetical
    assert aliases["T23"] == "Teacher Z" and aliases["T24"] == "Teacher AA" and len(aliases) == 32
    frame = pd.DataFrame({"Teachers": ["Ms. Quinn; Mr. Abe", None], "n": [3, 4], "Ms. Quinn": ["x", "y"]})
    out = alias_teachers(frame, aliases)
    assert out["Teachers"].tolist()[0] == "Teacher A; Teacher B" and pd.isna(out["Teachers"].iloc[1])
    assert list(out.columns) == ["Teachers", "n", "Teacher A"] and out["n"].tolist() == [3, 4]


# -- rendering the bundled notebooks in-process ------------------------------------------------
@cache
def render(notebook: str, **parameters: str) -> str:
    """The notebook's outputs as HTML: its cells run here with ``parameters`` replacing the defaults."""
    from plc_analysis.figure_output import ReportFigure

    nb = nbformat.read(NOTEBOOK_DIR / f"{notebook}.ipynb", as_version=4)
    namespace: dict = {}
    parts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
        tree = ast.parse(source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, notebook, "exec"), namespace)
        if "parameters" in cell.metadata.get("tags", []):
            namespace.update(parameters)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), notebook, "eval"), namespace)
            if isinstance(value, ReportFigure):
                parts.append(value.to_svg())
            elif value is not None:
                parts.append(value._repr_html_())
    return "\n".join(parts)


@cache
def people() -> dict[str, pd.DataFrame]:
    data = load_sample()
    students = data.students.assign(
        full=data.students["last_name"] + ", " + data.students["first_name"],
        spoken=data.students["first_name"] + " " + data.students["last_name"],
    )
    school_of = data.student_sections().drop_duplicates("student_id").set_index("student_id")["school_id"]
    return {"students": students.assign(school_id=students["student_id"].map(school_of)), "teachers": data.teachers}


def student_names_in(page: str) -> list[str]:
    students = people()["students"]
    return [n for n in pd.concat([students["full"], students["spoken"]]) if n in page]


def small_cells(page: str) -> list[tuple[str, str, str]]:
    """(caption, column, value) of every count of fewer than MIN_CELL students shown in a table."""
    found = []
    for table in BeautifulSoup(page, "html.parser").find_all("table"):
        caption = table.caption.get_text() if table.caption else ""
        headers = [th.get_text() for th in table.thead.find_all("th")] if table.thead else []
        for row in table.tbody.find_all("tr") if table.tbody else []:
            for header, cell in zip(headers, row.find_all("td")):
                text = cell.get_text().replace(",", "")
                if COUNT_COLUMNS.match(header) and text.isdigit() and int(text) < MIN_CELL:
                    found.append((caption, header, text))
    return found


def test_the_school_support_plan_names_its_students_for_its_own_staff_and_hides_nothing():
    page = render("support_plan", school_id="S03")
    assert "Audience: school (the school&#x27;s staff)" in page
    assert not re.search(r"\bst\d{5}\b", page), "a student shown by id instead of by name"
    assert "fewer than 10" not in page.lower()
    students = people()["students"]
    ours, theirs = students[students["school_id"] == "S03"], students[students["school_id"] != "S03"]
    named = student_names_in(page)
    assert len(set(named) & set(ours["full"])) >= 20  # the tier lists name the school's students
    assert not set(named) & (set(theirs["full"]) - set(ours["full"])), "another school's student is named"
    assert small_cells(page), "the school's own staff see its small tier counts"


@pytest.mark.parametrize("audience", ["district", "public"])
def test_the_district_overview_leaks_no_student_no_id_and_no_small_cell(audience):
    page = render("district_overview", audience=audience)
    assert f'data-audience="{audience}"' in page and f"Audience: {audience}" in page
    assert not student_names_in(page)
    assert not re.search(r"\bst\d{5}\b", page)
    assert not small_cells(page)
    assert "fewer than 10" in page  # the planted small ELL cell of T-G3 is there, suppressed
    teachers = people()["teachers"]["name"]
    surnames = teachers.str.split().str[-1]
    if audience == "public":
        assert not [n for n in pd.concat([teachers, surnames]) if re.search(rf"\b{re.escape(n)}\b", page)]
        assert "Teacher A" in page  # the planted coverage gap is still shown, by a lettered teacher
    else:
        assert [n for n in teachers if n in page]  # district staff see who had the coverage gap


@pytest.mark.parametrize("audience", ["district", "public"])
def test_a_support_plan_for_the_district_lists_no_student_and_suppresses_small_cells(audience):
    page = render("support_plan", school_id="S03", audience=audience)
    assert not student_names_in(page) and not re.search(r"\bst\d{5}\b", page)
    assert not small_cells(page)
    assert "counts only" in page


def test_the_team_report_is_for_its_team_and_says_so():
    from plc_analysis.report import header_html, team_context

    ctx = team_context(SAMPLE_PATH, "T-G3")
    assert "Audience: team (the team that teaches these students)" in str(header_html(ctx))
    for audience in ("district", "public"):
        with pytest.raises(
            ValueError, match=f"a team report names its students, so it cannot be for audience '{audience}'"
        ):
            team_context(load_sample(), "T-G3", audience=audience)


def test_a_batch_refuses_an_audience_its_reports_cannot_serve_before_starting(tmp_path):
    from plc_analysis.batch import BatchError, run_batch

    with pytest.raises(BatchError, match="the team report names its students"):
        run_batch(SAMPLE_PATH, tmp_path, audience="public", teams="T-G3", progress=False)
    with pytest.raises(BatchError, match="a school report cannot be for audience 'team'"):
        run_batch(SAMPLE_PATH, tmp_path, audience="team", per="school", progress=False)


# -- the index and the printer's refusals ------------------------------------------------------
def test_the_index_shows_each_reports_audience_and_why_a_pdf_is_missing():
    from plc_analysis.batch import render_index

    entry = {"kind": "team", "school_id": "S01", "team_id": "T-G3", "team_name": "Grade 3", "status": "ok"}
    printed = {**entry, "audience": "team", "html": "S01/T-G3.html", "pdf": "S01/T-G3.pdf"}
    page = BeautifulSoup(render_index({"reports": [printed]}), "html.parser")
    cells = [td.get_text(" ", strip=True) for td in page.tbody.find("tr").find_all("td")]
    assert cells[1] == "team" and cells[4] == "HTML · PDF"
    failed = {**printed, "pdf": None, "pdf_error": "TimeoutError: page did not load"}
    page = BeautifulSoup(render_index({"reports": [failed]}), "html.parser")
    assert page.find("span", title="TimeoutError: page did not load").get_text() == "no PDF"


def test_printing_without_a_browser_says_what_is_missing(tmp_path, monkeypatch):
    from plc_analysis.batch import BatchError, save_manifest
    from plc_analysis.batch.printing import print_batch

    monkeypatch.setenv("PLC_CHROMIUM", str(tmp_path / "no-such-browser"))
    save_manifest(tmp_path, {"reports": []})
    with pytest.raises(BatchError, match="PDFs not written: printing PDFs needs (Chromium|Playwright)"):
        print_batch(tmp_path)
    with pytest.raises(BatchError, match="no manifest.json"):
        print_batch(tmp_path / "elsewhere")
