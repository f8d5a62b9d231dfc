"""Write the notebooks in plc_analysis/notebooks/ from the cell lists below (outputs empty, kernel python3).

The notebooks are thin on purpose: every cell is one call into plc_analysis.
Edit here and run ``python tools/build_notebooks.py``; tests check that the
committed notebooks are exactly what this file writes (and so carry no outputs).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOKS = Path(__file__).resolve().parent.parent / "plc_analysis" / "notebooks"
SETUP = """\
%matplotlib inline
from plc_analysis import report as R"""


def code(source: str, *tags: str) -> NotebookNode:
    cell = new_code_cell(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def params(source: str) -> NotebookNode:
    return code(source, "parameters")


def build(name: str, title: str, cells: list, folder: Path = NOTEBOOKS) -> Path:
    """Write notebook ``name`` into ``folder`` (by default the package's notebooks) and return its path."""
    nb = new_notebook(cells=[new_markdown_cell(f"<!-- {title} -->"), *cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{name.split('.')[0].replace('_', '-')}-{i:02d}"
    path = folder / name
    nbformat.write(nb, path)
    return path


TEAM_REPORT = [
    params("""\
team_id: str = ""  # team to report on; blank for the first team in the data
assessment_id: str = ""  # one assessment only; blank for every assessment in the period
start: str = ""  # first day of the period, YYYY-MM-DD; blank for from the first assessment
end: str = ""  # last day of the period, YYYY-MM-DD; blank for up to the latest assessment
data_path: str = ""  # canonical data folder, OneRoster export or batch extract; blank for the sample district
rule: str = "most_recent"  # mastery rule: most_recent, highest, mean or decaying_average
min_n: int = 10  # fewest students on each side of a comparison
close_band: float = 0.15  # a score below the cut by less than this is "close"
intensive_below: float = 0.5  # a score below this share of the points is "intensive"
reteach_share: float = 0.5  # reteach to the whole class when more than this share is below the cut
report_dir: str = ""  # folder for <team>.actions_proposed.csv/.xlsx; blank: not written (plc report sets it)
audience: str = "team"  # who reads it: team (its teachers) or school (the school's staff); both see names"""),
    code(
        SETUP + "\nfrom plc_analysis import meeting_report as M\n"
        "ctx = R.team_context(data_path, team_id, assessment_id=assessment_id, start=start, end=end, "
        "rule=rule, min_n=min_n, close_band=close_band, intensive_below=intensive_below, "
        "reteach_share=reteach_share, report_dir=report_dir, audience=audience)\nR.header_html(ctx)"
    ),
    code("R.summary_html(ctx)", "summary"),
    code(
        'R.section(ctx, "Did it work?", "What the team decided at its last meetings (actions.csv), and what the '
        "next evidence on the skill shows: students moved to proficient, against comparable students not in the "
        'action.")'
    ),
    code("M.did_it_work_table(ctx)", "did-it-work"),
    code("M.did_it_work_students_table(ctx)"),
    code("M.meeting_heading(ctx)"),
    code("M.bands_table(ctx)", "bands"),
    code("M.band_names_table(ctx)"),
    code(
        'R.section(ctx, "What we propose", "A response for each essential skill of this CFA. Edit it in the '
        'meeting, then keep it as actions.csv: the next report says whether it worked.")'
    ),
    code("M.proposals_table(ctx)", "proposals"),
    code("M.write_proposed_actions(ctx)"),
    code(
        'R.section(ctx, "1. What do we want each student to learn?", "The skills the team agreed every student '
        'must learn, and the score that counts as proficient on each.")'
    ),
    code("R.skills_table(ctx)"),
    code(
        'R.section(ctx, "2. How will we know when each student has learned it?", "Counts and shares of students '
        'proficient on each skill under the chosen mastery rule. Bars are shares; lines are 95% intervals.")'
    ),
    code("R.fig_proficiency(ctx)"),
    code("R.team_proficiency_table(ctx)"),
    code('R.team_proficiency_table(ctx, by="teacher")'),
    code(
        'R.section(ctx, "A basis of comparison: each teacher against the rest of the team", "Each teacher\'s '
        "students against the rest of the team, their own students excluded. A signal appears only when the "
        "interval excludes zero; with fewer than 10 students on a side we say so rather than guess. "
        "Teachers are compared over all the assessments of the period (each student's mean score on a skill), "
        'not only the most recent one, so these shares differ from the tables above.")'
    ),
    code("R.fig_teacher_comparison(ctx)"),
    code("R.teacher_skill_table(ctx)"),
    code("R.item_comparison_table(ctx)"),
    code("R.team_comparison_table(ctx)"),
    code(
        'R.section(ctx, "What to talk about", "Weakest essential skills, bright spots whose practice to study, '
        'items everyone found hard, keys to check and scoring to calibrate.")'
    ),
    code("R.talking_points_table(ctx)", "talking-points"),
    code(
        'R.section(ctx, "Items and scoring", "Difficulty is the share of points earned; discrimination is how '
        'well the item separates students who did well on the rest of the test from those who did not.")'
    ),
    code("R.fig_item_map(ctx)"),
    code("R.item_flags_table(ctx)"),
    code("R.reliability_table(ctx)"),
    code("R.calibration_table_view(ctx)"),
    code(
        'R.section(ctx, "3. How will we respond when a student has difficulty?", "Every student below the cut '
        'on an essential skill, grouped by skill so the team can regroup students across classes.")'
    ),
    code("R.support_groups_table(ctx)", "support"),
    code("R.support_students_table(ctx)"),
    code("R.enrichment_note(ctx)"),
    code('R.section(ctx, "Each student on each skill")'),
    code("R.mastery_table(ctx)"),
    code(
        'R.section(ctx, "Growth over the period", "Each student\'s first and latest result on each essential '
        'skill, in Data Teams bands: who moved up, who slipped.")'
    ),
    code("M.growth_table(ctx)"),
    code('M.growth_table(ctx, by="teacher")'),
    code("M.growth_grid(ctx)"),
    code(
        'R.section(ctx, "Our SMART goals", "Each goal from its baseline to its target, with the pace needed and '
        'the pace so far.")'
    ),
    code("R.goals_table(ctx)", "goals"),
    code("R.fig_goals(ctx)"),
]


SCOPE_SETUP = """\
%matplotlib inline
from plc_analysis import report as R, report_scopes as S"""

SUPPORT_PLAN = [
    params("""\
school_id: str = "S03"  # school whose support plan this is; blank to use team_id instead
team_id: str = ""  # one team instead of a whole school
as_of: str = ""  # date of the check, YYYY-MM-DD; blank for the latest data
group_size: int = 10  # largest support group (guided study hall of 10 or fewer)
data_path: str = ""  # canonical data folder or batch extract; blank for the sample district
audience: str = ""  # team, school (names), district or public (counts only); blank: the school's staff"""),
    code(
        SCOPE_SETUP + "\nsc = S.scope_context(data_path, school_id=school_id, team_id=team_id, as_of=as_of, "
        "audience=audience)\n"
        "S.scope_header(sc, 'Support plan: timely, directive, systematic')"
    ),
    code(
        'R.HTML("<h2>Tiers of support</h2><p>Below standard at a progress report starts tier 1; still below '
        'six weeks later, tier 2; six more weeks, tier 3 (daily guided study hall).</p>")'
    ),
    code("S.fig_tiers(sc)"),
    code("S.tier_counts_table(sc)"),
    code("S.escalations_table(sc)", "escalations"),
    code("S.tiers_table(sc)"),
    code('R.HTML("<h2>Regrouping by skill</h2>")'),
    code("S.regroup_table(sc, group_size)"),
    code('R.HTML("<h2>Did the support work?</h2>")'),
    code("S.fig_effectiveness(sc)"),
    code("S.effectiveness_table(sc)"),
]

GOALS = [
    params("""\
school_id: str = ""  # school whose goals to show; blank for every school
as_of: str = ""  # date to judge the goals on, YYYY-MM-DD; blank for the latest data
data_path: str = ""  # canonical data folder or batch extract; blank for the sample district
audience: str = ""  # school, district or public; blank: the school's staff, or the district for every school"""),
    code(
        SCOPE_SETUP + "\nsc = S.scope_context(data_path, school_id=school_id, as_of=as_of, audience=audience)\n"
        "S.scope_header(sc, 'SMART goals: are we making progress on what matters most?')"
    ),
    code("S.goals_overview_table(sc)", "goals"),
    code("S.fig_scope_goals(sc)"),
]

DISTRICT = [
    params("""\
as_of: str = ""  # date of the overview, YYYY-MM-DD; blank for the latest data
data_path: str = ""  # canonical data folder; blank for the sample district
audience: str = "district"  # district (aggregates only) or public (also no teacher names)
engine: str = "auto"  # auto (out of core from 5M score rows), pandas (in memory) or duckdb (out of core)"""),
    code(
        SCOPE_SETUP + "\nsc = S.scope_context(data_path, as_of=as_of, audience=audience, engine=engine)\n"
        "S.scope_header(sc, 'District overview')"
    ),
    code("S.district_summary(sc)", "summary"),
    code('R.HTML("<h2>Essential skills by team</h2>")'),
    code("S.district_proficiency_table(sc)"),
    code('R.HTML("<h2>SMART goals</h2>")'),
    code("S.goals_overview_table(sc)"),
    code("S.fig_scope_goals(sc)"),
    code('R.HTML("<h2>Tiers of support</h2>")'),
    code("S.fig_tiers(sc)"),
    code("S.tier_counts_table(sc)"),
    code('R.HTML("<h2>Equity: each subgroup against the other students</h2>")'),
    code("S.fig_equity(sc)"),
    code("S.equity_table(sc)"),
    code('R.HTML("<h2>Intended, implemented, attained</h2>")'),
    code("S.coverage_gaps_table(sc)"),
]

EXPLORE = [
    params("""\
data_path: str = ""  # canonical data folder, OneRoster export or score sheet; blank for the sample district"""),
    new_markdown_cell(
        "# Explore\n\nPick a school, team, assessment, skill, teacher or subgroup; change the "
        "mastery rule or override the team's cuts. The tables update as you go; the bars in the Share "
        "column are the chart. *Draw figure* makes the same chart as an image, for slides."
    ),
    code(
        "from plc_analysis import report as R\nfrom plc_analysis.widgets import Explorer\n"
        "explorer = Explorer(R.load_data(data_path))\nexplorer.widget()"
    ),
]


#: Every notebook this file writes: (file name, title, cells).
NOTEBOOK_SPECS = [
    ("team_report.ipynb", "Team report", TEAM_REPORT),
    ("support_plan.ipynb", "Support plan", SUPPORT_PLAN),
    ("goals.ipynb", "Goals", GOALS),
    ("district_overview.ipynb", "District overview", DISTRICT),
    ("explore.ipynb", "Explore", EXPLORE),
]


def main(folder: Path = NOTEBOOKS) -> list[Path]:
    """Write every notebook into ``folder``; return their paths."""
    return [build(name, title, cells, folder) for name, title, cells in NOTEBOOK_SPECS]


if __name__ == "__main__":
    main()
