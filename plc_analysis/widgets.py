"""An interactive explorer for instructional coaches (ipywidgets in JupyterLab).

Dropdowns for school, team, assessment, skill, teacher and subgroup, a
mastery-rule selector and a cut slider update the tables and chart live.
The computation (:meth:`Explorer.compute`) is separate from the widgets so it
can be tested and timed without a browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pandas as pd

from .comparison import compare_to_team, teacher_names
from .dataset import Dataset
from .proficiency import MASTERY_RULES, MasteryRule, proficiency_by_skill

if TYPE_CHECKING:  # imported where used: ipywidgets and pyplot cost time at import
    from ipywidgets import VBox
    from matplotlib.figure import Figure

__all__ = ["Explorer", "ExplorerState", "explore"]

ALL = "(all)"


@dataclass(frozen=True)
class ExplorerState:
    """The explorer's selections; ``"(all)"`` means no filter."""

    team_id: str
    assessment_id: str = ALL
    skill_id: str = ALL
    teacher_id: str = ALL
    subgroup: str = ALL
    rule: MasteryRule = "most_recent"
    cut: float | None = None


class Explorer:
    """Compute (and, with :meth:`widget`, display) proficiency views for one selection at a time.

    Parameters
    ----------
    dataset : Dataset
        The district (or any part of it).
    """

    def __init__(self, dataset: Dataset):
        self.dataset = dataset
        self._team = lru_cache(maxsize=32)(lambda team_id: dataset.filter(team_id=team_id))

    # -- choices ----------------------------------------------------------
    def schools(self) -> list[tuple[str, str]]:
        """(label, school_id) pairs."""
        s = self.dataset.schools
        return list(zip(s["name"], s["school_id"]))

    def teams(self, school_id: str) -> list[tuple[str, str]]:
        """(label, team_id) pairs for a school."""
        t = self.dataset.teams[self.dataset.teams["school_id"] == school_id]
        return list(zip(t["name"], t["team_id"]))

    def choices(self, team_id: str) -> dict[str, list[tuple[str, str]]]:
        """Assessment, skill, teacher and subgroup options for a team (each starting with "(all)")."""
        team = self._team(team_id)
        a = team.assessments.sort_values("date")
        names = teacher_names(team)
        teachers = team.sections["teacher_id"].drop_duplicates().sort_values()
        return {
            "assessment_id": [(ALL, ALL)]
            + [(f"{d:%d %b} · {t}", i) for d, t, i in zip(a["date"], a["title"], a["assessment_id"])],
            "skill_id": [(ALL, ALL)] + list(zip(team.skills["description"], team.skills["skill_id"])),
            "teacher_id": [(ALL, ALL)] + [(names.get(t, t), t) for t in teachers],
            "subgroup": [(ALL, ALL)]
            + [(c, c) for c in self.dataset.subgroup_columns if c not in ("first_name", "last_name")],
        }

    # -- computation --------------------------------------------------------
    def compute(self, state: ExplorerState) -> dict[str, pd.DataFrame]:
        """Tables for a selection.

        Returns
        -------
        dict
            ``"skills"``: :func:`proficiency_by_skill` by team (or by the
            chosen subgroup); ``"teachers"``: :func:`compare_to_team` by skill
            (restricted to the chosen teacher if any).
        """
        team = self._team(state.team_id)
        filters = {
            k: v for k, v in dict(assessment_id=state.assessment_id, skill_id=state.skill_id).items() if v != ALL
        }
        view = team.filter(**filters) if filters else team
        if state.teacher_id != ALL:
            view_teacher = view.filter(teacher_id=state.teacher_id)
        else:
            view_teacher = view
        by = state.subgroup if state.subgroup != ALL else "team"
        skills = proficiency_by_skill(view_teacher, by=by, rule=state.rule, cut=state.cut)
        teachers = compare_to_team(view, "skill", state.rule, cut=state.cut)
        if state.teacher_id != ALL:
            teachers = teachers[teachers["teacher_id"] == state.teacher_id]
        return {"skills": skills, "teachers": teachers}

    def render(self, state: ExplorerState) -> list:
        """What the explorer shows for a selection, ready to display.

        The proficiency table carries the chart: each skill's share proficient
        is a bar in its cell, so an update needs no image rendering (the
        matplotlib figure is drawn only on request, see :meth:`figure`).

        Returns
        -------
        list of ReportTable
            Proficiency by skill (by subgroup when one is chosen) with share
            bars, then each teacher against the rest of the team by skill.
        """
        from .report import proficiency_table, teacher_table

        tables = self.compute(state)
        group = None if state.subgroup == ALL else state.subgroup
        caption = "Students proficient on each skill" + (f", by {group}" if group else "")
        return [
            proficiency_table(tables["skills"], caption, group, bars=True),
            teacher_table(tables["teachers"], "Each teacher against the rest of the team"),
        ]

    def figure(self, state: ExplorerState) -> Figure | None:
        """The proficiency chart for a selection (matplotlib Figure), or None with a subgroup or no data."""
        import matplotlib.pyplot as plt

        from .plots import plot_proficiency

        skills = self.compute(state)["skills"]
        if state.subgroup != ALL or skills.empty:
            return None
        fig, ax = plt.subplots(figsize=(8, 0.4 * max(len(skills), 3) + 1.2), layout="constrained")
        plot_proficiency(skills, ax=ax)
        plt.close(fig)
        return fig

    # -- widgets --------------------------------------------------------------
    def widget(self) -> VBox:
        """Build the ipywidgets interface (needs ipywidgets and a live kernel).

        Returns
        -------
        ipywidgets.VBox
        """
        import ipywidgets as w
        from IPython.display import display

        schools = self.schools()
        school = w.Dropdown(options=schools, description="School")
        team = w.Dropdown(options=self.teams(schools[0][1]), description="Team")
        assessment = w.Dropdown(description="Assessment")
        skill = w.Dropdown(description="Skill")
        teacher = w.Dropdown(description="Teacher")
        subgroup = w.Dropdown(description="Subgroup")
        rule = w.Dropdown(options=[r for r in MASTERY_RULES if r != "all"], value="most_recent", description="Mastery")
        override = w.Checkbox(value=False, description="Override team cuts")
        cut = w.FloatSlider(value=0.8, min=0.5, max=1.0, step=0.05, description="Cut", readout_format=".0%")
        draw = w.Button(description="Draw figure", tooltip="the proficiency chart as an image, for slides")
        out, figure_out = w.Output(), w.Output()
        busy = {"updating": False}

        def state() -> ExplorerState:
            return ExplorerState(
                team.value,
                assessment.value,
                skill.value,
                teacher.value,
                subgroup.value,
                rule.value,
                cut.value if override.value else None,
            )

        def set_choices(*_: object) -> None:
            busy["updating"] = True
            options = self.choices(team.value)
            for control, key in (
                (assessment, "assessment_id"),
                (skill, "skill_id"),
                (teacher, "teacher_id"),
                (subgroup, "subgroup"),
            ):
                control.options = options[key]
                control.value = ALL
            busy["updating"] = False

        def on_school(change: dict[str, Any]) -> None:
            team.options = self.teams(change["new"])

        def refresh(*_: object) -> None:
            if busy["updating"] or team.value is None:
                return
            shown = self.render(state())
            figure_out.clear_output()
            with out:
                out.clear_output(wait=True)
                for item in shown:
                    display(item)

        def on_draw(_: object) -> None:
            fig = self.figure(state())
            with figure_out:
                figure_out.clear_output(wait=True)
                if fig is not None:
                    display(fig)

        def on_team(*_: object) -> None:
            set_choices()
            refresh()

        school.observe(on_school, names="value")
        team.observe(on_team, names="value")
        for control in (assessment, skill, teacher, subgroup, rule, override, cut):
            control.observe(refresh, names="value")
        draw.on_click(on_draw)
        set_choices()
        refresh()
        controls = w.VBox(
            [
                w.HBox([school, team]),
                w.HBox([assessment, skill]),
                w.HBox([teacher, subgroup]),
                w.HBox([rule, override, cut]),
                draw,
            ]
        )
        return w.VBox([controls, out, figure_out])


def explore(dataset: Dataset) -> VBox:
    """Show the explorer for ``dataset`` (in a notebook cell)."""
    return Explorer(dataset).widget()
