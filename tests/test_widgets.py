"""The coach explorer: its computation, what it displays, and the live widget wiring."""

from __future__ import annotations

import pandas as pd
import pytest

import plc_analysis as plc
from plc_analysis.widgets import ALL, Explorer, ExplorerState


@pytest.fixture(scope="module")
def explorer(sample: plc.Dataset) -> Explorer:
    return Explorer(sample)


def test_choices_list_the_teams_assessments_skills_teachers_and_subgroups(
    explorer: Explorer, sample: plc.Dataset
) -> None:
    assert [t for _, t in explorer.teams("S01")] == list(
        sample.teams.loc[sample.teams["school_id"] == "S01", "team_id"]
    )
    options = explorer.choices("T-G3")
    team = sample.filter(team_id="T-G3")
    assert options["assessment_id"][0] == (ALL, ALL)
    assert {v for _, v in options["assessment_id"][1:]} == set(team.assessments["assessment_id"])
    assert {v for _, v in options["skill_id"][1:]} == set(team.skills["skill_id"])
    assert len(options["teacher_id"]) == 1 + team.sections["teacher_id"].nunique()
    assert {v for _, v in options["subgroup"][1:]} >= {"ell", "sped", "frl"}


def test_compute_matches_the_metrics_on_the_filtered_data(explorer: Explorer, sample: plc.Dataset) -> None:
    team = sample.filter(team_id="T-G3")
    first = team.assessments.sort_values("date")["assessment_id"].iloc[0]
    state = ExplorerState("T-G3", assessment_id=first, rule="highest")
    tables = explorer.compute(state)
    expected = plc.proficiency_by_skill(sample.filter(team_id="T-G3", assessment_id=first), by="team", rule="highest")
    pd.testing.assert_frame_equal(tables["skills"].reset_index(drop=True), expected.reset_index(drop=True))
    assert set(tables["teachers"]["teacher_id"]) == set(team.sections["teacher_id"])


def test_teacher_filter_counts_only_that_teachers_students(explorer: Explorer, sample: plc.Dataset) -> None:
    team = sample.filter(team_id="T-G3")
    teacher = sorted(team.sections["teacher_id"])[0]
    tables = explorer.compute(ExplorerState("T-G3", teacher_id=teacher))
    own = sample.filter(team_id="T-G3", teacher_id=teacher)
    assert tables["skills"]["n_assessed"].max() == own.scores["student_id"].nunique()
    assert set(tables["teachers"]["teacher_id"]) == {teacher}


def test_cut_override_moves_every_share_the_right_way(explorer: Explorer) -> None:
    base = explorer.compute(ExplorerState("T-ALG1"))["skills"].set_index("skill_id")["share_proficient"]
    lenient = explorer.compute(ExplorerState("T-ALG1", cut=0.5))["skills"].set_index("skill_id")["share_proficient"]
    strict = explorer.compute(ExplorerState("T-ALG1", cut=1.0))["skills"].set_index("skill_id")["share_proficient"]
    assert (lenient >= base - 1e-12).all() and (strict <= base + 1e-12).all()
    assert (lenient > strict).any()


def test_subgroup_view_splits_by_the_subgroup(explorer: Explorer) -> None:
    skills = explorer.compute(ExplorerState("T-G3", subgroup="ell"))["skills"]
    assert "ell" in skills and set(skills["ell"].dropna()) <= {True, False}


def test_render_shows_share_bars_and_the_teacher_comparison(explorer: Explorer, sample: plc.Dataset) -> None:
    shown = explorer.render(ExplorerState("T-G3"))
    assert len(shown) == 2
    proficiency, teachers = (s.to_html() for s in shown)
    assert "linear-gradient" in proficiency  # the in-cell bars are the chart
    for description in sample.skills.loc[sample.skills["team_id"] == "T-G3", "description"].head(3):
        assert description in proficiency
    assert "Rest share" in teachers and "Signal" in teachers


def test_figure_on_request(explorer: Explorer) -> None:
    fig = explorer.figure(ExplorerState("T-G3"))
    assert fig is not None and len(fig.axes) == 1 and len(fig.axes[0].patches) > 0
    assert explorer.figure(ExplorerState("T-G3", subgroup="ell")) is None


def test_widget_reacts_to_its_controls(explorer: Explorer, capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("ipywidgets")
    box = explorer.widget()
    controls, out, figure_out = box.children
    school, team = controls.children[0].children
    assessment, skill = controls.children[1].children
    rule = controls.children[3].children[0]
    capsys.readouterr()
    school.value = "S03"  # re-populates the teams; the first high-school team is shown
    assert team.value in {t for _, t in explorer.teams("S03")}
    assert assessment.value == ALL and len(assessment.options) > 1
    rule.value = "highest"
    skill.value = skill.options[1][1]
    shown = capsys.readouterr().out
    assert "ReportTable" in shown or "<table" in shown  # something was displayed on each change
