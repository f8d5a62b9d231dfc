"""The meeting pack in the T-G3 report: bands, proposals written beside the report, and the loop closed."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from openpyxl import load_workbook

from plc_analysis import load_dataset
from plc_analysis import meeting_report as M
from plc_analysis import report as R
from plc_analysis.actions import ACTION_COLUMNS
from plc_analysis.figure_output import ReportFigure
from plc_analysis.loading import SAMPLE_PATH
from plc_analysis.tables import ReportTable


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    return R.team_context("", "T-G3", report_dir=str(tmp_path_factory.mktemp("report")))


def test_the_meeting_is_about_the_latest_cfa(ctx):
    cfa = M.meeting_assessment(ctx)
    team = ctx.team.assessments
    assert cfa["date"] == team.loc[team["kind"] == "cfa", "date"].max()
    bands = M.meeting_bands(ctx)
    assert set(bands["assessment_id"]) == {cfa["assessment_id"]}
    one = R.team_context("", "T-G3", assessment_id="G3-c03")
    assert M.meeting_assessment(one)["assessment_id"] == "G3-c03"


def test_proposals_cover_every_student_and_are_written_as_csv_and_xlsx(ctx, tmp_path):
    proposals = M.proposed_actions(ctx)
    bands = M.meeting_bands(ctx)
    assert set(proposals["skill_id"]) == set(bands["skill_id"])
    assert proposals["teacher_id"].notna().all()
    assert proposals["teacher_id"].value_counts().max() < len(proposals)  # nobody gets every group
    assert (proposals["why"].str.len() > 0).all()
    note = M.write_proposed_actions(ctx)
    assert note is not None and "actions_proposed.csv" in note.data
    csv = pd.read_csv(f"{ctx.report_dir}/T-G3.actions_proposed.csv", dtype=str, keep_default_na=False)
    assert list(csv.columns) == list(ACTION_COLUMNS) and len(csv) == len(proposals)
    sheet = load_workbook(f"{ctx.report_dir}/T-G3.actions_proposed.xlsx").active
    rows = [[c.value or "" for c in row] for row in sheet.iter_rows()]
    assert rows[0] == list(ACTION_COLUMNS)
    assert rows[1:] == csv.to_numpy().tolist()  # every cell text, ids and dates as in the CSV
    # the team keeps the proposals as actions.csv: the next report shows them, not yet measured
    data = shutil.copytree(SAMPLE_PATH, tmp_path / "data")
    shutil.copy(f"{ctx.report_dir}/T-G3.actions_proposed.csv", data / "actions.csv")
    again = R.team_context(load_dataset(data), "T-G3")
    results, _ = M.last_actions(again)
    assert set(results["action_id"]) == set(proposals["action_id"])
    assert set(results["verdict"]) == {"no evidence yet"}


def test_did_it_work_opens_with_the_planted_actions(ctx):
    results, outcomes = M.last_actions(ctx)
    assert results.set_index("action_id")["verdict"].to_dict() == {
        "G3-c07-no-evidence": "no evidence yet",
        "G3-c06-worked": "worked",
        "G3-c06-not-yet": "not yet",
    }
    assert results["action_id"].iloc[0] == "G3-c07-no-evidence"  # the latest meeting first
    html = M.did_it_work_table(ctx).to_html()
    assert "worked" in html and "How to read this" in html


def test_every_table_and_figure_says_how_to_read_it(ctx):
    blocks = [
        R.skills_table,
        R.fig_proficiency,
        R.team_proficiency_table,
        R.fig_teacher_comparison,
        R.teacher_skill_table,
        R.item_comparison_table,
        R.team_comparison_table,
        R.talking_points_table,
        R.fig_item_map,
        R.item_flags_table,
        R.reliability_table,
        R.calibration_table_view,
        R.support_groups_table,
        R.support_students_table,
        R.mastery_table,
        R.goals_table,
        R.fig_goals,
        M.did_it_work_table,
        M.did_it_work_students_table,
        M.bands_table,
        M.band_names_table,
        M.proposals_table,
        M.growth_table,
        M.growth_grid,
    ]
    shown = 0
    for block in blocks:
        out = block(ctx)
        if isinstance(out, (ReportTable, ReportFigure)):
            shown += 1
            assert out.guide, block.__name__
    assert shown >= 18
    figure = R.fig_proficiency(ctx)
    assert "How to read this" in figure._repr_html_()
