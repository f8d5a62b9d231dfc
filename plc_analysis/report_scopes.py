"""Report blocks for a school or the district: support plans, goals, equity and overviews.

A :class:`ScopeContext` is one team, one school or the whole district.  Its
``audience`` decides privacy: a single team's report may name its students;
anything wider shows identifiers at most and suppresses cells of fewer than
10 students (with complementary suppression), as the equity helpers do.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from .dataset import Dataset
from .equity import MIN_CELL, suppress_small_cells
from .figure_output import ReportFigure, report_figure
from .proficiency import MasteryRule, mastery_rule
from .report import load_data
from .report_style import HTML, goal_status_tint, note_html, style_table
from .tables import ReportTable

__all__ = [
    "ScopeContext",
    "scope_context",
    "scope_header",
    "tiers_table",
    "escalations_table",
    "tier_counts_table",
    "fig_tiers",
    "regroup_table",
    "effectiveness_table",
    "fig_effectiveness",
    "goals_overview_table",
    "fig_scope_goals",
    "coverage_gaps_table",
    "fig_coverage",
    "equity_table",
    "fig_equity",
    "district_proficiency_table",
    "district_summary",
]


@dataclass
class ScopeContext:
    """A team, a school or the district, with the privacy rule that follows from it."""

    district: Dataset
    data: Dataset
    label: str
    level: str  # "team", "school" or "district"
    as_of: str = ""
    rule: MasteryRule = "most_recent"
    _memo: dict = field(default_factory=dict, repr=False)

    @property
    def audience(self) -> Literal["team", "beyond_team"]:
        """``"team"`` when the scope is one team (names allowed), else ``"beyond_team"``."""
        return "team" if self.level == "team" else "beyond_team"

    @property
    def names(self) -> bool:
        return self.audience == "team"

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


def scope_context(
    data_path: str | Dataset = "", *, school_id: str = "", team_id: str = "", as_of: str = "", rule: str = "most_recent"
) -> ScopeContext:
    """Load the data and cut out a team (``team_id``), a school (``school_id``) or the district (neither).

    Returns
    -------
    ScopeContext
    """
    checked_rule = mastery_rule(rule)  # before loading: a misspelt rule fails at once
    district = data_path if isinstance(data_path, Dataset) else load_data(data_path)
    if team_id:
        teams = district.teams.set_index("team_id")
        if team_id not in teams.index:
            raise ValueError(f"team_id {team_id!r} is not in this data")
        return ScopeContext(
            district, district.filter(team_id=team_id), str(teams.loc[team_id, "name"]), "team", as_of, checked_rule
        )
    if school_id:
        schools = district.schools.set_index("school_id")
        if school_id not in schools.index:
            raise ValueError(f"school_id {school_id!r} is not in this data (schools: {', '.join(schools.index)})")
        return ScopeContext(
            district,
            district.filter(school_id=school_id),
            str(schools.loc[school_id, "name"]),
            "school",
            as_of,
            checked_rule,
        )
    return ScopeContext(district, district, "the whole district", "district", as_of, checked_rule)


def scope_header(sc: ScopeContext, title: str) -> HTML:
    """Title block saying what the report covers and who may read it."""
    privacy = (
        "Student names are shown: this report is for the team that teaches these students."
        if sc.names
        else f"No student names; groups of fewer than {MIN_CELL} students are suppressed."
    )
    return HTML(
        f'<h1 style="margin-bottom:0">{html.escape(title)}</h1><p style="color:#555;margin-top:4px">'
        f"{html.escape(sc.label)}{' · as of ' + html.escape(sc.as_of) if sc.as_of else ''} · "
        f"{html.escape(privacy)}</p>"
    )


# -- tiers ------------------------------------------------------------------------
def _tiers(sc: ScopeContext) -> pd.DataFrame:
    from .tiers import support_tiers

    return sc.memo("tiers", lambda: support_tiers(sc.data, as_of=sc.as_of or None, names=sc.names))


def _student_column(frame: pd.DataFrame) -> pd.Series:
    return frame["student"] if "student" in frame else frame["student_id"]


def tiers_table(sc: ScopeContext) -> ReportTable | HTML:
    """Every student in a tier now: why, since when, next action and owner."""
    tiers = _tiers(sc)
    current = tiers[tiers["tier"] > 0]
    if current.empty:
        return note_html("No student is in a tier of support.", "good")
    view = pd.DataFrame(
        {
            "Student": _student_column(current),
            "Tier": current["tier_name"],
            "Change": current["change"],
            "Since": current["since"].dt.strftime("%d %b %Y"),
            "Weeks in support": current["weeks_in_support"],
            "Why": current["reason"],
            "Next action": current["next_action"],
            "Owner": current["owner"],
            "Next review": current["next_review"].dt.strftime("%d %b %Y"),
        }
    )
    return style_table(view, decimals={"Weeks in support": 0}, caption="Students in a tier of support now")


def escalations_table(sc: ScopeContext) -> ReportTable | HTML:
    """Students who should move up a tier, start support, or can exit."""
    tiers = _tiers(sc)
    moving = tiers[tiers["change"].str.startswith(("move up", "start", "can exit"))]
    if moving.empty:
        return note_html("Nobody moves between tiers at this check.")
    view = pd.DataFrame(
        {
            "Student": _student_column(moving),
            "Change": moving["change"],
            "Tier now": moving["tier_name"],
            "Why": moving["reason"],
            "Next action": moving["next_action"],
            "Owner": moving["owner"],
        }
    )
    return style_table(view, caption="Changes at this check: who starts, moves up or can exit")


def tier_counts_table(sc: ScopeContext) -> ReportTable:
    """Students per tier per team and school (suppressed beyond a team)."""
    from .tiers import tier_counts

    counts = sc.memo(
        "tier_counts", lambda: tier_counts(sc.data, as_of=sc.as_of or None, tiers=_tiers(sc), audience=sc.audience)
    )
    counts = counts[counts["tier"] > 0]
    shown = counts["n_students_shown"] if "n_students_shown" in counts else counts["n_students"]
    view = pd.DataFrame(
        {
            "Level": counts["level"],
            "Name": counts["name"],
            "Tier": counts["tier_name"],
            "Students": shown.astype(str),
            "Of enrolled": counts["n_enrolled"],
            "Share": counts["share"],
        }
    )
    return style_table(view, percent=("Share",), caption="Students in each tier")


def fig_tiers(sc: ScopeContext) -> ReportFigure | None:
    """Figure: students per tier for each team."""
    from .support_plots import plot_tiers
    from .tiers import tier_counts

    counts = sc.memo(
        "tier_counts", lambda: tier_counts(sc.data, as_of=sc.as_of or None, tiers=_tiers(sc), audience=sc.audience)
    )
    ax = plot_tiers(counts, level="team")
    return report_figure(ax.figure)


# -- regrouping and effectiveness -------------------------------------------------
def regroup_table(sc: ScopeContext, group_size: int = 10) -> ReportTable | HTML:
    """Support groups by skill for every team in scope (counts and classes, no names)."""
    from .support import support_groups

    groups = support_groups(sc.data, sc.rule, group_size)
    if groups.empty:
        return note_html("Every assessed student is proficient on every essential skill.", "good")
    teams = sc.district.teams.set_index("team_id")["name"]
    view = pd.DataFrame(
        {
            "Team": groups["team_id"].map(teams),
            "Skill": groups["description"],
            "Group": groups["group"],
            "Students": groups["n_students"],
            "From classes": groups["n_sections"],
            "Teachers": groups["teachers"],
            "In short": groups["summary"],
        }
    )
    return style_table(view, caption=f"Regrouping by skill (at most {group_size} students a group)")


def _effect(sc: ScopeContext) -> pd.DataFrame:
    from .support import intervention_effectiveness

    return sc.memo("effect", lambda: intervention_effectiveness(sc.data, audience=sc.audience))


def effectiveness_table(sc: ScopeContext) -> ReportTable | HTML:
    """Did the support work? Share meeting the standard before and after, per kind and tier."""
    effect = _effect(sc)
    if effect.empty:
        return note_html("No intervention with evidence before and after it in this period.")
    by = [c for c in ("evidence", "kind", "tier") if c in effect]
    view = effect[by].rename(columns=str.capitalize)
    n = effect["n_measured_shown"] if "n_measured_shown" in effect else effect["n_measured"]
    view = view.assign(
        **{
            "Students": n.astype(str),
            "Before": effect["share_before"],
            "After": effect["share_after"],
            "Change": effect["change"],
            "In short": effect["summary"],
        }
    )
    return style_table(
        view,
        percent=("Before", "After", "Change"),
        level=("After",),
        caption="Did the support work? (same students before and after)",
    )


def fig_effectiveness(sc: ScopeContext) -> ReportFigure | None:
    """Figure: share meeting the standard before and after each kind of support."""
    from .support_plots import plot_intervention_effectiveness

    effect = _effect(sc)
    if effect.empty:
        return None
    ax = plot_intervention_effectiveness(effect)
    return report_figure(ax.figure)


# -- goals ----------------------------------------------------------------------------
def _goals(sc: ScopeContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    from .goals import goal_progress, goal_series

    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        series = goal_series(sc.data, as_of=sc.as_of or None)
        return goal_progress(sc.data, as_of=sc.as_of or None, series=series, audience=sc.audience), series

    return sc.memo("goals", compute)


def goals_overview_table(sc: ScopeContext) -> ReportTable | HTML:
    """Every goal in scope with baseline, target, current value, projection and status."""
    progress, _ = _goals(sc)
    if progress.empty:
        return note_html("No SMART goals are recorded for this scope.")
    teams = sc.district.teams.set_index("team_id")["name"]
    view = pd.DataFrame(
        {
            "Team": progress["team_id"].map(teams),
            "Goal": progress["statement"],
            "Baseline": progress["baseline"],
            "Target": progress["target"],
            "Now": progress["current"],
            "Projected": progress["projected"],
            "Due": progress["due_date"].dt.strftime("%d %b %Y"),
            "Status": progress["status"],
            "In short": progress["summary"],
        }
    )
    table = style_table(view, percent=("Baseline", "Target", "Now", "Projected"), caption="SMART goals")
    return table.map(goal_status_tint, subset=["Status"])


def fig_scope_goals(sc: ScopeContext) -> ReportFigure | None:
    """Figure: one panel per goal (baseline, target, actual points, projection)."""
    from .goal_plots import plot_goals

    progress, series = _goals(sc)
    if progress.empty:
        return None
    return report_figure(plot_goals(progress, series))


# -- curriculum and equity --------------------------------------------------------
def coverage_gaps_table(sc: ScopeContext) -> ReportTable | HTML:
    """Essential skills intended by a team but never assessed in a teacher's sections."""
    from .curriculum import coverage_gaps

    gaps = coverage_gaps(sc.data, sc.rule)
    if gaps.empty:
        return note_html("Every essential skill was assessed in every teacher's sections.", "good")
    teams = sc.district.teams.set_index("team_id")["name"]
    view = pd.DataFrame(
        {
            "Team": gaps["team_id"].map(teams),
            "Teacher": gaps["teacher"],
            "Skill": gaps["description"],
            "Teachers assessing it": gaps["n_teachers_assessing"],
            "Of": gaps["n_teachers"],
            "In short": gaps["note"],
        }
    )
    return style_table(view, caption="Intended but not implemented: essential skills never assessed")


def fig_coverage(sc: ScopeContext, team_id: str) -> ReportFigure | None:
    """Figure: teacher × skill coverage for one team."""
    from .coverage_plots import plot_coverage
    from .curriculum import coverage_matrix

    matrix = coverage_matrix(sc.data.filter(team_id=team_id), sc.rule, audience=sc.audience)
    if matrix.empty:
        return None
    ax = plot_coverage(matrix, team_id=team_id)
    return report_figure(ax.figure)


def _gaps(sc: ScopeContext, by: str) -> pd.DataFrame:
    from .equity import subgroup_gaps

    return sc.memo(f"gaps-{by}", lambda: subgroup_gaps(sc.data, by=by, rule=sc.rule, audience=sc.audience))


def equity_table(sc: ScopeContext, by: str = "team") -> ReportTable | HTML:
    """Gaps between each subgroup and the rest, per team and skill (suppressed beyond a team)."""
    gaps = _gaps(sc, by)
    if gaps.empty:
        return note_html("No subgroup columns in students.csv, so no equity view.")
    descriptions = sc.district.skills.set_index("skill_id")["description"]
    teams = sc.district.teams.set_index("team_id")["name"]
    n_in = gaps["n_in_shown"] if "n_in_shown" in gaps else gaps["n_in"].astype(str)
    n_rest = gaps["n_rest_shown"] if "n_rest_shown" in gaps else gaps["n_rest"].astype(str)
    view = pd.DataFrame(
        {
            **({"Team": gaps["team_id"].map(teams)} if "team_id" in gaps else {}),
            "Skill": gaps["skill_id"].map(descriptions),
            "Subgroup": gaps["group"],
            "Students in group": n_in,
            "Share in group": gaps["share_in"],
            "Other students": n_rest,
            "Share of others": gaps["share_rest"],
            "Gap": gaps["gap"],
            "95% low": gaps["ci_low"],
            "95% high": gaps["ci_high"],
            "Signal": gaps["signal"],
        }
    )
    return style_table(
        view,
        percent=("Share in group", "Share of others", "Gap", "95% low", "95% high"),
        level=("Share in group", "Share of others"),
        caption="Each subgroup against the other students (share proficient)",
    )


def fig_equity(sc: ScopeContext, by: str = "team") -> ReportFigure | None:
    """Figure: subgroup gaps with intervals (suppressed cells left out)."""
    from .equity_plots import plot_subgroup_gaps

    gaps = _gaps(sc, by)
    if gaps.empty:
        return None
    ax = plot_subgroup_gaps(gaps)
    return report_figure(ax.figure)


# -- district overview ------------------------------------------------------------
def district_proficiency_table(sc: ScopeContext) -> ReportTable:
    """Share proficient per team and essential skill; cells under 10 students suppressed, no names."""
    from .proficiency import proficiency_by_skill

    table = proficiency_by_skill(sc.data, by="team", rule=sc.rule)
    table = table[table["essential"]]
    table = table.assign(n_not_proficient=table["n_assessed"] - table["n_proficient"])
    safe = suppress_small_cells(
        table,
        ["n_proficient", "n_not_proficient"],
        value_columns=["share_proficient", "ci_low", "ci_high", "mean_score", "n_assessed"],
    )
    schools = sc.district.schools.set_index("school_id")["name"]
    teams = sc.district.teams.set_index("team_id")
    view = pd.DataFrame(
        {
            "School": safe["team_id"].map(teams["school_id"]).map(schools),
            "Team": safe["team_id"].map(teams["name"]),
            "Skill": safe["description"],
            "Proficient": safe["n_proficient_shown"],
            "Not yet": safe["n_not_proficient_shown"],
            "Share": safe["share_proficient"],
            "95% low": safe["ci_low"],
            "95% high": safe["ci_high"],
            "Note": safe["suppression"],
        }
    )
    return style_table(
        view,
        percent=("Share", "95% low", "95% high"),
        level=("Share",),
        caption="Essential skills: students proficient by team (no names; small groups suppressed)",
    )


def district_summary(sc: ScopeContext) -> HTML:
    """A few sentences on the district: schools, teams, students assessed, share proficient, goals."""
    from .proficiency import proficiency_by_skill

    table = proficiency_by_skill(sc.data, by=None, rule=sc.rule)
    essential = table[table["essential"]]
    x, n = int(essential["n_proficient"].sum()), int(essential["n_assessed"].sum())
    progress, _ = _goals(sc)
    status = progress["status"].value_counts()
    goals = ", ".join(f"{v} {k}" for k, v in status.items()) if len(status) else "none recorded"
    lines = [
        f"{len(sc.data.schools)} schools, {len(sc.data.teams)} teams, "
        f"{sc.data.scores['student_id'].nunique():,} students assessed on {len(sc.data.assessments)} "
        "assessments.",
        f"Essential skills: {x:,} of {n:,} student-skill results proficient ({100 * x / max(n, 1):.0f}%).",
        f"SMART goals: {goals}.",
    ]
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return HTML(
        f'<div style="border-left:5px solid #0072B2;background:#F3F8FC;padding:8px 16px">'
        f'<ol style="margin:4px 0">{items}</ol></div>'
    )
