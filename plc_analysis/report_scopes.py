"""Report blocks for a school or the district: support plans, goals, equity and overviews.

A :class:`ScopeContext` is one team, one school or the whole district, read
by one audience (:mod:`plc_analysis.audience`): ``team`` and ``school`` name
the students in scope and suppress nothing among them; ``district`` shows
aggregates only (no student listed, cells of fewer than 10 students suppressed
with complementary suppression); ``public`` also shows teachers as "Teacher A,
B, …".  Every block asks the context's :class:`~plc_analysis.audience.AudienceRule`.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from .audience import AudienceRule, alias_teachers, check_audience_scope, teacher_aliases
from .dataset import Dataset
from .equity import student_names, suppress_small_cells
from .figure_output import ReportFigure, report_figure
from .proficiency import MasteryRule, mastery_rule
from .report import load_data
from .report_style import HTML, audience_banner, goal_status_tint, note_html, style_table
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
    "ENGINES",
]

#: How a district-wide report computes: ``auto`` chooses by the district's size.
ENGINES = ("auto", "pandas", "duckdb")


@dataclass
class ScopeContext:
    """A team, a school or the district, and the audience reading about it (``who``)."""

    district: Dataset
    data: Dataset
    label: str
    level: str  # "team", "school" or "district"
    as_of: str = ""
    rule: MasteryRule = "most_recent"
    who: AudienceRule = field(default_factory=lambda: check_audience_scope("", "district"))
    #: the district opened out of core (:class:`plc_analysis.outofcore.District`) when it is too big for pandas:
    #: then ``district`` and ``data`` hold every table but the scores, and the blocks ask the engine
    engine: Any = None
    _memo: dict = field(default_factory=dict, repr=False)

    @property
    def audience(self) -> Literal["team", "beyond_team"]:
        """The privacy level passed to the metric functions: ``"beyond_team"`` suppresses small cells."""
        return self.who.metric_audience

    @property
    def names(self) -> bool:
        """Whether students may be named and listed one by one."""
        return self.who.student_names

    def readable(self, view: pd.DataFrame) -> pd.DataFrame:
        """``view`` as this audience may read it: teachers as "Teacher A, B, …" for the public."""
        if self.who.teacher_names:
            return view
        # lettered in the order of the scope's own teachers first: a school's report starts at Teacher A
        everyone = pd.concat([self.data.teachers["name"], self.district.teachers["name"]])
        aliases = self.memo("teacher_aliases", lambda: teacher_aliases(everyone))
        return alias_teachers(view, aliases)

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


def scope_context(
    data_path: str | Dataset = "",
    *,
    school_id: str = "",
    team_id: str = "",
    as_of: str = "",
    rule: str = "most_recent",
    audience: str = "",
    engine: str = "auto",
) -> ScopeContext:
    """Load the data and cut out a team (``team_id``), a school (``school_id``) or the district (neither).

    Parameters
    ----------
    data_path : str or Dataset
        Data folder (empty = the sample district) or an already loaded dataset.
    school_id, team_id : str
        The scope (neither: the district).
    as_of : str
        Date of the check (ISO, empty = the latest data).
    rule : str
        Mastery rule.
    audience : {"", "team", "school", "district", "public"}
        Who reads the report (see :mod:`plc_analysis.audience`); empty = the
        scope's own (a team's report is for the team, a school's for its
        staff, the district's for the district).

    Returns
    -------
    ScopeContext

    Raises
    ------
    ValueError
        Unknown rule, team, school or audience, or an audience that would see
        names beyond its own team or school.
    engine : {"auto", "pandas", "duckdb"}
        How the whole district is computed: in memory (``pandas``), or out of
        core (``duckdb``: :mod:`plc_analysis.outofcore`, the scores never
        loaded); ``auto`` takes ``duckdb`` for a district folder of
        :data:`~plc_analysis.outofcore.overview.LARGE_DISTRICT_ROWS` score
        rows or more.  A team or a school is always computed in pandas.
    """
    checked_rule = mastery_rule(rule)  # before loading: a misspelt rule fails at once
    level = "team" if team_id else "school" if school_id else "district"
    who = check_audience_scope(audience, level)  # before loading too
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if level == "district" and isinstance(data_path, str) and data_path and engine != "pandas":
        from .outofcore import open_district
        from .outofcore.overview import large_district

        if engine == "duckdb" or large_district(data_path):
            opened = open_district(data_path)
            return ScopeContext(
                opened.small, opened.small, "the whole district", level, as_of, checked_rule, who, opened
            )
    district = data_path if isinstance(data_path, Dataset) else load_data(data_path)
    if team_id:
        teams = district.teams.set_index("team_id")
        if team_id not in teams.index:
            raise ValueError(f"team_id {team_id!r} is not in this data")
        data, label = district.filter(team_id=team_id), str(teams.loc[team_id, "name"])
    elif school_id:
        schools = district.schools.set_index("school_id")
        if school_id not in schools.index:
            raise ValueError(f"school_id {school_id!r} is not in this data (schools: {', '.join(schools.index)})")
        data, label = district.filter(school_id=school_id), str(schools.loc[school_id, "name"])
    else:
        data, label = district, "the whole district"
    return ScopeContext(district, data, label, level, as_of, checked_rule, who)


def scope_header(sc: ScopeContext, title: str) -> HTML:
    """Title block saying what the report covers and who it is for (its audience, at the top)."""
    return HTML(
        f'<h1 style="margin-bottom:0">{html.escape(title)}</h1><p style="color:#555;margin-top:4px">'
        f"{html.escape(sc.label)}{' · as of ' + html.escape(sc.as_of) if sc.as_of else ''}</p>"
        f"{audience_banner(sc.who)}"
    )


# -- a district computed out of core: team-scoped tables school by school ----------
def _in_memory_only(sc: ScopeContext, what: str) -> None:
    if sc.engine is not None:
        raise ValueError(
            f"{what} is computed in memory: for a district this big (opened out of core), report on it "
            "school by school (school_id=...), or pass engine='pandas' if the district fits in memory"
        )


def _by_school(sc: ScopeContext) -> dict[str, pd.DataFrame]:
    """Goals, tiers, tier counts and coverage gaps of a district opened out of core.

    Each is computed team by team, and a team lies in one school: so they are
    computed on one school's data at a time (:func:`plc_analysis.outofcore.each_school`)
    and put together, which gives what the whole district in pandas gives
    (a student enrolled in two schools is counted in each, as in ``tier_counts``).
    """

    def compute() -> dict[str, pd.DataFrame]:
        from .curriculum import coverage_gaps
        from .goals import goal_progress, goal_series
        from .outofcore import each_school
        from .support import latest_data_date
        from .tiers import support_tiers, tier_counts

        parts: dict[str, list[pd.DataFrame]] = {}
        as_of = sc.as_of or latest_data_date(sc.district)  # the district's date, not each school's own latest
        for _, data in each_school(sc.engine):
            series = goal_series(data, as_of=as_of)
            tiers = support_tiers(data, as_of=as_of, names=False)
            found = {
                "goal_series": series,
                "goal_progress": goal_progress(data, as_of=as_of, series=series, audience=sc.audience),
                "tiers": tiers,
                "tier_counts": tier_counts(data, as_of=as_of, tiers=tiers, audience=sc.audience),
                "coverage_gaps": coverage_gaps(data, sc.rule),
            }
            for key, frame in found.items():
                parts.setdefault(key, []).append(frame)
        joined = {key: pd.concat(frames, ignore_index=True) for key, frames in parts.items()}
        # rows in the order the whole district's tables have them
        goal_order = {g: i for i, g in enumerate(sc.district.goals["goal_id"])}
        joined["goal_progress"] = joined["goal_progress"].sort_values(
            "goal_id", key=lambda ids: ids.map(goal_order), kind="stable"
        )
        joined["goal_series"] = joined["goal_series"].sort_values(["goal_id", "date", "assessment_id"], kind="stable")
        joined["tiers"] = joined["tiers"].sort_values(
            ["tier", "change", "student_id"], ascending=[False, True, True], kind="stable"
        )
        joined["tier_counts"] = joined["tier_counts"].sort_values(
            ["level", "school_id", "team_id", "tier"],
            ascending=[False, True, True, True],
            kind="stable",
            na_position="first",
        )
        joined["coverage_gaps"] = joined["coverage_gaps"].sort_values("team_id", kind="stable")
        return {key: frame.reset_index(drop=True) for key, frame in joined.items()}

    return sc.memo("by_school", compute)


# -- tiers ------------------------------------------------------------------------
def _tiers(sc: ScopeContext) -> pd.DataFrame:
    """Every student's tier, with a ``student`` name column when the audience may read names."""
    from .tiers import support_tiers

    def compute() -> pd.DataFrame:
        if sc.engine is not None:
            return _by_school(sc)["tiers"]
        tiers = support_tiers(sc.data, as_of=sc.as_of or None, names=False)
        if sc.names:  # a school's staff read the school's students by name, across its teams
            named = tiers["student_id"].map(student_names(sc.data)).fillna("").astype("str")
            tiers.insert(1, "student", named.where(named != "", tiers["student_id"]))
        return tiers

    return sc.memo("tiers", compute)


def _student_column(frame: pd.DataFrame) -> pd.Series:
    return frame["student"] if "student" in frame else frame["student_id"]


def _no_student_lists(sc: ScopeContext) -> HTML:
    return note_html(
        f"Students are listed one by one only for the staff who teach and support them (audience team or "
        f"school); for audience {sc.who.name} this report shows counts only."
    )


def tiers_table(sc: ScopeContext) -> ReportTable | HTML:
    """Every student in a tier now: why, since when, next action and owner (named; team and school audiences)."""
    if not sc.names:
        return _no_student_lists(sc)
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
    return style_table(sc.readable(view), decimals={"Weeks in support": 0}, caption="Students in a tier of support now")


def escalations_table(sc: ScopeContext) -> ReportTable | HTML:
    """Students who should move up a tier, start support, or can exit (named; team and school audiences)."""
    if not sc.names:
        return _no_student_lists(sc)
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
    return style_table(sc.readable(view), caption="Changes at this check: who starts, moves up or can exit")


def _tier_counts(sc: ScopeContext) -> pd.DataFrame:
    from .tiers import tier_counts

    if sc.engine is not None:
        return _by_school(sc)["tier_counts"]
    return sc.memo(
        "tier_counts", lambda: tier_counts(sc.data, as_of=sc.as_of or None, tiers=_tiers(sc), audience=sc.audience)
    )


def tier_counts_table(sc: ScopeContext) -> ReportTable:
    """Students per tier per team and school (small cells suppressed for the district and the public)."""
    counts = _tier_counts(sc)
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
    return style_table(sc.readable(view), percent=("Share",), caption="Students in each tier")


def fig_tiers(sc: ScopeContext) -> ReportFigure | None:
    """Figure: students per tier for each team."""
    from .support_plots import plot_tiers

    ax = plot_tiers(_tier_counts(sc), level="team")
    return report_figure(ax.figure)


# -- regrouping and effectiveness -------------------------------------------------
def regroup_table(sc: ScopeContext, group_size: int = 10) -> ReportTable | HTML:
    """Support groups by skill for every team in scope (team and school audiences: the staff who regroup)."""
    from .support import support_groups

    if not sc.names:  # groups of at most 10 students are small cells by design: the staff's working list
        return note_html(
            f"Regrouping is planned by the staff who teach and support the students; groups of at most "
            f"{group_size} are not shown to audience {sc.who.name}."
        )
    _in_memory_only(sc, "regrouping")
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
    return style_table(sc.readable(view), caption=f"Regrouping by skill (at most {group_size} students a group)")


def _effect(sc: ScopeContext) -> pd.DataFrame:
    from .support import intervention_effectiveness

    _in_memory_only(sc, "intervention effectiveness")
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
        sc.readable(view),
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
        if sc.engine is not None:
            return _by_school(sc)["goal_progress"], _by_school(sc)["goal_series"]
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
    table = style_table(sc.readable(view), percent=("Baseline", "Target", "Now", "Projected"), caption="SMART goals")
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

    gaps = _by_school(sc)["coverage_gaps"] if sc.engine is not None else coverage_gaps(sc.data, sc.rule)
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
    return style_table(sc.readable(view), caption="Intended but not implemented: essential skills never assessed")


def fig_coverage(sc: ScopeContext, team_id: str) -> ReportFigure | None:
    """Figure: teacher × skill coverage for one team."""
    from .coverage_plots import plot_coverage
    from .curriculum import coverage_matrix

    matrix = coverage_matrix(sc.data.filter(team_id=team_id), sc.rule, audience=sc.audience)
    if matrix.empty:
        return None
    matrix = sc.readable(matrix)
    ax = plot_coverage(matrix, team_id=team_id)
    return report_figure(ax.figure)


def _gaps(sc: ScopeContext, by: str) -> pd.DataFrame:
    from .equity import subgroup_gaps

    if sc.engine is not None:
        # counted over the whole district at once, not school by school: a small cell is hidden, with what
        # would give it away, across the teams of every school assessing the same skill
        from .outofcore import district_subgroup_gaps

        return sc.memo(
            f"gaps-{by}", lambda: district_subgroup_gaps(sc.engine, by=by, rule=sc.rule, audience=sc.audience)
        )
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
        sc.readable(view),
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
def _proficiency(sc: ScopeContext, by: str | None) -> pd.DataFrame:
    """:func:`~plc_analysis.proficiency_by_skill` of the scope, out of core when the district is."""
    from .proficiency import proficiency_by_skill

    if sc.engine is not None:
        tables = _overview_tables(sc)
        return {"team": tables.by_team, None: tables.district}[by]
    return proficiency_by_skill(sc.data, by=by, rule=sc.rule)


def _overview_tables(sc: ScopeContext) -> Any:
    """The district's aggregates computed out of core (:class:`~plc_analysis.outofcore.overview.OverviewTables`)."""
    from .outofcore.overview import district_overview_tables

    return sc.memo("overview", lambda: district_overview_tables(sc.engine, sc.rule))


def _students_assessed(sc: ScopeContext) -> int:
    if sc.engine is not None:
        return int(_overview_tables(sc).counts["students_assessed"])
    return int(sc.data.scores["student_id"].nunique())


def district_proficiency_table(sc: ScopeContext) -> ReportTable:
    """Share proficient per team and essential skill; cells under 10 students suppressed, no names."""
    table = _proficiency(sc, "team")
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
        sc.readable(view),
        percent=("Share", "95% low", "95% high"),
        level=("Share",),
        caption="Essential skills: students proficient by team (no names; small groups suppressed)",
    )


def district_summary(sc: ScopeContext) -> HTML:
    """A few sentences on the district: schools, teams, students assessed, share proficient, goals."""
    table = _proficiency(sc, None)
    essential = table[table["essential"]]
    x, n = int(essential["n_proficient"].sum()), int(essential["n_assessed"].sum())
    progress, _ = _goals(sc)
    status = progress["status"].value_counts()
    goals = ", ".join(f"{v} {k}" for k, v in status.items()) if len(status) else "none recorded"
    lines = [
        f"{len(sc.data.schools)} schools, {len(sc.data.teams)} teams, "
        f"{_students_assessed(sc):,} students assessed on {len(sc.data.assessments)} "
        "assessments.",
        f"Essential skills: {x:,} of {n:,} student-skill results proficient ({100 * x / max(n, 1):.0f}%).",
        f"SMART goals: {goals}.",
    ]
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return HTML(
        f'<div style="border-left:5px solid #0072B2;background:#F3F8FC;padding:8px 16px">'
        f'<ol style="margin:4px 0">{items}</ol></div>'
    )
