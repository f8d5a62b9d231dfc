"""The team report's blocks: its context, summaries, tables and figures, one function a cell.

Notebooks stay thin: each cell calls one function here, and every function is
testable without a notebook.  Tables are
:class:`~plc_analysis.tables.ReportTable` with proficiency colours (written as
HTML in one pass; ``to_styler()`` for a pandas Styler); text is plain HTML.
How tables and notes look lives in :mod:`plc_analysis.report_style` (``HTML``,
``note_html`` and ``style_table`` are re-exported here for the notebooks).
Names of students appear only in a team's own report (:class:`TeamContext` is always exactly one team).

Figures are returned as :class:`~plc_analysis.figure_output.ReportFigure`:
shown once, as SVG, with alt text.

Every block returns None when the team has no scores in the period: the summary
says so once and the rest of the report stays empty rather than repeating it.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .audience import AudienceRule, check_audience_scope
from .bands import DEFAULT_BANDS, BandThresholds, assign_bands, priority_sentence, student_priority
from .comparison import PEER_COLUMNS, compare_teams, compare_to_team, teacher_names
from .dataset import Dataset
from .dataset_items import assessment_reliability, item_analysis, rater_calibration
from .figure_output import ReportFigure, report_figure
from .loading import PEER_COUNTS_FILE, load_dataset, load_sample
from .proficiency import MasteryRule, mastery_matrix, mastery_rule, proficiency_by_skill
from .report_style import (
    HTML,
    SHARE_BAR_COLOUR,
    audience_banner,
    goal_status_tint,
    level_tints,
    note_html,
    style_table,
)
from .rules import TOLERANCE
from .tables import ReportTable
from .talking_points import talking_points
from .text_format import percent_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure, SubFigure

__all__ = [
    "TeamContext",
    "team_context",
    "load_data",
    "HTML",
    "header_html",
    "principal_summary",
    "summary_html",
    "note_html",
    "style_table",
    "skills_table",
    "proficiency_table",
    "teacher_table",
    "item_comparison_table",
    "team_comparison_table",
    "talking_points_table",
    "item_flags_table",
    "reliability_table",
    "calibration_table_view",
    "mastery_table",
    "section",
    "fig_proficiency",
    "fig_teacher_comparison",
    "fig_item_map",
    "team_proficiency_table",
    "teacher_skill_table",
    "support_groups_table",
    "support_students_table",
    "enrichment_note",
    "goals_table",
    "fig_goals",
]


def load_data(data_path: str = "") -> Dataset:
    """Load ``data_path`` (empty = the sample district)."""
    return load_dataset(data_path) if data_path else load_sample()


@dataclass
class TeamContext:
    """Everything a team report needs: the district (for comparisons) and the team's slice.

    ``peers`` holds the other teams' pooled counts
    (:func:`~plc_analysis.comparison.peer_counts`) when ``district`` is one
    team's batch extract rather than the whole district.
    """

    district: Dataset
    team: Dataset
    team_id: str
    team_name: str
    school_id: str
    school_name: str
    period: str
    rule: MasteryRule = "most_recent"
    min_n: int = 10
    filters: dict = field(default_factory=dict)
    peers: pd.DataFrame | None = None
    bands: BandThresholds = DEFAULT_BANDS
    reteach_share: float = 0.5
    report_dir: str = ""
    _memo: dict = field(default_factory=dict, repr=False)
    who: AudienceRule = field(default_factory=lambda: check_audience_scope("team", "team"))

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """Compute once per report (several sections share talking points, item statistics…)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def team_call(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``func(self.team, *args, **kwargs)``, computed once per report for the same arguments."""
        key = (func.__name__, args, tuple(sorted(kwargs.items())))
        return self.memo(key, lambda: func(self.team, *args, **kwargs))

    @property
    def has_data(self) -> bool:
        """True when the team has scores in the period."""
        return len(self.team.scores) > 0


def team_context(
    data_path: str | Dataset = "",
    team_id: str = "",
    *,
    assessment_id: str = "",
    start: str = "",
    end: str = "",
    rule: str = "most_recent",
    min_n: int = 10,
    close_band: float = DEFAULT_BANDS.close,
    intensive_below: float = DEFAULT_BANDS.intensive_below,
    reteach_share: float = 0.5,
    report_dir: str = "",
    audience: str = "team",
) -> TeamContext:
    """Load the data and cut out one team for its report.

    Parameters
    ----------
    data_path : str or Dataset
        Data folder (empty = the sample district) or an already loaded dataset.
    team_id : str
        The team (empty = the first team in the data).
    assessment_id : str
        One assessment, or empty for all assessments in the period.
    start, end : str
        ISO dates bounding the period (empty = open).
    rule : str
        Mastery rule (see :func:`plc_analysis.student_skill_mastery`).
    min_n : int
        Minimum students on each side of a comparison.
    close_band, intensive_below : float
        Data Teams band thresholds (see :class:`plc_analysis.BandThresholds`).
    reteach_share : float
        Propose a whole-class reteach when more than this share of students is
        below the cut on a skill (see :func:`plc_analysis.propose_actions`).
    report_dir : str
        Folder where the meeting pack writes ``<team>.actions_proposed.csv``
        and ``.xlsx`` (empty = not written).
    audience : {"team", "school"}
        Who reads the report (:mod:`plc_analysis.audience`): the team, or the
        school's staff; empty = ``"team"``.  The team report lists its
        students by name, so it is never for the district or the public
        (render the district overview or the goals report for them).

    Returns
    -------
    TeamContext

    Raises
    ------
    ValueError
        Unknown rule, team or audience, or audience ``district`` / ``public``.
    """
    checked_rule = mastery_rule(rule)  # before loading: a misspelt rule fails at once
    who = check_audience_scope(audience or "team", "team")
    if not who.student_names:
        raise ValueError(
            f"a team report names its students, so it cannot be for audience {who.name!r}: "
            "render the district overview or the goals report for the district or the public"
        )
    district = data_path if isinstance(data_path, Dataset) else load_data(data_path)
    peers = None if isinstance(data_path, Dataset) or not data_path else _peers_beside(Path(data_path))
    if not team_id:
        team_id = str(district.teams["team_id"].iloc[0])
    teams = district.teams.set_index("team_id")
    if team_id not in teams.index:
        raise ValueError(f"team_id {team_id!r} is not in this data (teams: {', '.join(teams.index[:20])})")
    filters = {
        k: v
        for k, v in dict(assessment_id=assessment_id or None, start=start or None, end=end or None).items()
        if v is not None
    }
    team = district.filter(team_id=team_id, **filters)
    school_id = str(teams.loc[team_id, "school_id"])
    school_name = str(district.schools.set_index("school_id")["name"].get(school_id, school_id))
    if assessment_id:
        title = team.assessments["title"].iloc[0] if len(team.assessments) else assessment_id
        period = f"assessment {title}"
    elif start or end:
        period = f"{start or 'start of the data'} to {end or 'latest data'}"
    else:
        dates = team.assessments["date"]
        period = f"{dates.min():%d %b %Y} to {dates.max():%d %b %Y}" if len(dates) else "all dates"
    return TeamContext(
        district,
        team,
        team_id,
        str(teams.loc[team_id, "name"]),
        school_id,
        school_name,
        period,
        checked_rule,
        min_n,
        filters,
        peers,
        BandThresholds(close=close_band, intensive_below=intensive_below),
        reteach_share,
        report_dir,
        who=who,
    )


def _peers_beside(folder: Path) -> pd.DataFrame | None:
    """Other teams' pooled counts a batch put beside a team's extract (:data:`PEER_COUNTS_FILE`), if any."""
    path = folder / PEER_COUNTS_FILE
    if not path.is_file():
        return None
    peers = pd.read_parquet(path)
    missing = [c for c in PEER_COLUMNS if c not in peers]
    if missing:
        raise ValueError(
            f"{path}: not peer counts (missing columns {', '.join(missing)}); "
            f"delete it or write it with plc_analysis.comparison.peer_counts"
        )
    return peers


def header_html(ctx: TeamContext, subtitle: str = "Team meeting pack") -> HTML:
    """The report's title block."""
    return HTML(
        f'<h1 style="margin-bottom:0">{html.escape(ctx.team_name)}</h1>'
        f'<p style="color:#555;margin-top:4px">{html.escape(subtitle)} · {html.escape(ctx.school_name)} · '
        f"{html.escape(ctx.period)} · prepared {date.today():%d %b %Y}</p>{audience_banner(ctx.who)}"
    )


def principal_summary(ctx: TeamContext) -> list[str]:
    """Five plain sentences a principal can read in ten seconds.

    Returns
    -------
    list of str
        Students and skills assessed with the share proficient on essential
        skills; the weakest essential skill; the clearest bright spot; how
        many students need intensive or targeted help, or are to watch
        (:func:`plc_analysis.student_priority`); and the item or scoring
        issue to check (or that none was found).
    """
    if not ctx.has_data:
        return [f"No assessments for {ctx.team_name} in this period ({ctx.period})."]
    table = ctx.team_call(proficiency_by_skill, by="team", rule=ctx.rule)
    essential = table[table["essential"] & (table["n_assessed"] > 0)]
    points = _talking_points(ctx)
    n_students = ctx.team.scores["student_id"].nunique()
    x, n = int(essential["n_proficient"].sum()), int(essential["n_assessed"].sum())
    lines = [
        f"{n_students} students assessed on {len(essential)} essential skills: {x} of {n} student-skill "
        f"results proficient ({percent_text(x / n if n else float('nan'))})."
    ]
    if len(essential):
        weakest = essential.nsmallest(1, "share_proficient").iloc[0]
        lines.append(
            f"Weakest essential skill: {weakest['description']} — {weakest['n_proficient']} of "
            f"{weakest['n_assessed']} proficient ({percent_text(weakest['share_proficient'])})."
        )
    bright = points[points["kind"] == "bright spot"]
    lines.append(
        f"Bright spot: {bright['detail'].iloc[0]}"
        if len(bright)
        else "No teacher is clearly ahead of the rest of the team on any skill."
    )
    from .proficiency import student_skill_mastery

    mastery = ctx.team_call(student_skill_mastery, ctx.rule)
    essential_ids = set(ctx.team.skills.loc[ctx.team.skills["essential"], "skill_id"])
    lines.append(
        priority_sentence(student_priority(assign_bands(mastery[mastery["skill_id"].isin(essential_ids)], ctx.bands)))
    )
    checks = points[points["kind"].isin(["check the key", "calibrate scoring"])]
    lines.append(
        "To check: " + " ".join(checks["detail"].head(2))
        if len(checks)
        else "No miskeyed item or scoring disagreement found."
    )
    return lines[:5]


def _talking_points(ctx: TeamContext) -> pd.DataFrame:
    return ctx.memo("talking_points", lambda: talking_points(ctx.team, ctx.rule, min_n=ctx.min_n))


def _items(ctx: TeamContext) -> pd.DataFrame:
    return ctx.memo("items", lambda: item_analysis(ctx.team))


def summary_html(ctx: TeamContext) -> HTML:
    """The five-line summary as a highlighted box."""
    items = "".join(f"<li>{html.escape(line)}</li>" for line in principal_summary(ctx))
    return HTML(
        f'<div style="border-left:5px solid #0072B2;background:#F3F8FC;padding:8px 16px;margin:8px 0">'
        f'<strong>In ten seconds</strong><ol style="margin:4px 0">{items}</ol></div>'
    )


def skills_table(ctx: TeamContext) -> ReportTable | None:
    """Question 1: the team's skills, essential first, with the agreed cuts."""
    if not ctx.has_data:
        return None
    skills = ctx.team.skills.sort_values(["essential", "skill_id"], ascending=[False, True])
    view = pd.DataFrame(
        {
            "Skill": skills["skill_id"],
            "Description": skills["description"],
            "Essential": skills["essential"].map({True: "yes", False: "no"}),
            "Proficient at": skills["proficiency_cut"],
            "Standard": skills["standard"] if "standard" in skills else "",
        }
    )
    return style_table(
        view,
        percent=("Proficient at",),
        caption="What we want each student to learn",
        guide="Check the cuts first: every count below depends on them.",
    )


def proficiency_table(
    table: pd.DataFrame, caption: str, group: str | None = None, *, bars: bool = False
) -> ReportTable:
    """A proficiency_by_skill frame for reading: counts first, then share with its interval.

    With ``bars`` the share is drawn as a bar in its cell (0–100%): a chart that
    costs no image rendering, for views that must update instantly.
    """
    columns = {
        "description": "Skill",
        **({group: group.replace("_", " ").title()} if group else {}),
        "n_proficient": "Proficient",
        "n_assessed": "Assessed",
        "share_proficient": "Share",
        "ci_low": "95% low",
        "ci_high": "95% high",
        "n_absent": "Absent",
        "n_not_attempted": "Skipped items",
        "mean_score": "Mean score",
    }
    view = table[[c for c in columns if c in table]].rename(columns=columns)
    if "essential" in table:
        view.insert(0, "", table["essential"].map({True: "★", False: ""}).to_numpy())
    table = style_table(
        view,
        percent=("Share", "95% low", "95% high", "Mean score"),
        level=() if bars else ("Share",),
        caption=caption,
        guide="Start with the lowest share on a starred (essential) skill, and read the counts, not only the share.",
    )
    return table.bar(["Share"], vmin=0, vmax=1, color=SHARE_BAR_COLOUR, height=70, width="9em") if bars else table


def teacher_table(compared: pd.DataFrame, caption: str) -> ReportTable:
    """compare_to_team output for reading."""
    first = "description" if "description" in compared else "item_id"
    columns = {
        first: "Skill" if first == "description" else "Item",
        "teacher": "Teacher",
        "x": "Proficient",
        "n": "Students",
        "share": "Share",
        "x_rest": "Rest proficient",
        "n_rest": "Rest students",
        "share_rest": "Rest share",
        "difference": "Difference",
        "ci_low": "95% low",
        "ci_high": "95% high",
        "signal": "Signal",
    }
    view = compared[[c for c in columns if c in compared]].rename(columns=columns)
    return style_table(
        view,
        percent=("Share", "Rest share", "Difference", "95% low", "95% high"),
        level=("Share", "Rest share"),
        signal="Signal",
        caption=caption,
        guide="Look at the Signal column first: a word appears only where the difference is clear.",
    )


def item_comparison_table(ctx: TeamContext) -> ReportTable | HTML | None:
    """Per item, the teachers whose students did clearly better or worse than the rest of the team."""
    if not ctx.has_data:
        return None
    compared = ctx.team_call(compare_to_team, "item", min_n=ctx.min_n)
    notable = compared[compared["signal"].isin(["stronger than team", "weaker than team"])]
    if notable.empty:
        return note_html(
            "On every item, no teacher's students did clearly better or worse than the rest of "
            "the team (or there were too few students to compare)."
        )
    titles = ctx.team.assessments.set_index("assessment_id")["title"]
    notable = notable.assign(item_id=notable["assessment_id"].map(titles) + " · " + notable["item_id"])
    return teacher_table(notable, "Items where a teacher's students differ clearly from the rest of the team")


def team_comparison_table(ctx: TeamContext) -> ReportTable | HTML | None:
    """This team against other teams giving the same common assessments (aggregates only)."""
    if not ctx.has_data:
        return None
    compared = compare_teams(ctx.district, "skill", min_n=ctx.min_n, peers=ctx.peers)
    # the team's common assessments in the period, against every other team's version of them
    mine = compared[
        (compared["team_id"] == ctx.team_id) & compared["common_id"].isin(ctx.team.assessments["common_id"].dropna())
    ]
    if mine.empty:
        return note_html("No other team gave the same common assessments, so there is no team-to-team comparison.")
    descriptions = ctx.district.skills.set_index("skill_id")["description"]
    view = pd.DataFrame(
        {
            "Assessment": mine["title"],
            "Skill": mine["skill_id"].map(descriptions),
            "Proficient": mine["x"],
            "Students": mine["n"],
            "Share": mine["share"],
            "Other teams' share": mine["share_rest"],
            "Other teams' students": mine["n_rest"],
            "Difference": mine["difference"],
            "95% low": mine["ci_low"],
            "95% high": mine["ci_high"],
            "Signal": mine["signal"],
        }
    )
    return style_table(
        view,
        percent=("Share", "Other teams' share", "Difference", "95% low", "95% high"),
        level=("Share", "Other teams' share"),
        signal="Signal",
        caption="Our team against the other teams giving the same assessment",
        guide="Look at the Signal column: only a clear difference is worth a question to the other team.",
    )


def talking_points_table(ctx: TeamContext) -> ReportTable | HTML | None:
    """The ranked "what to talk about" list."""
    if not ctx.has_data:
        return None
    points = _talking_points(ctx)
    if points.empty:
        return note_html("Nothing stands out: no weak skill, bright spot or item problem was found.")
    view = pd.DataFrame(
        {"Topic": points["kind"].str.capitalize(), "#": points["rank"], "What we see": points["detail"]}
    )
    return style_table(
        view, caption="What to talk about", guide="Take the topics in order; #1 of each kind is the strongest."
    )


def item_flags_table(ctx: TeamContext) -> ReportTable | HTML | None:
    """Items with a flag (very easy/hard, low or negative discrimination, likely miskey)."""
    if not ctx.has_data:
        return None
    items = _items(ctx)
    flagged = items[items["flags"].fillna("") != ""]
    if flagged.empty:
        return note_html("No item was flagged.")
    view = pd.DataFrame(
        {
            "Assessment": flagged["title"],
            "Item": flagged["item_id"],
            "Skill": flagged["skill_id"],
            "Kind": flagged["item_kind"].astype("str"),
            "Students": flagged["n"],
            "Difficulty": flagged["difficulty"],
            "Discrimination": flagged["discrimination"],
            "Flags": flagged["flags"],
        }
    )
    return style_table(
        view,
        percent=("Difficulty",),
        decimals={"Discrimination": 2},
        caption="Items to look at (difficulty = share of points earned)",
        guide="Check any item flagged for the key first: a miskeyed item makes every result on it wrong.",
    )


def reliability_table(ctx: TeamContext) -> ReportTable | HTML | None:
    """Cronbach's alpha per assessment."""
    if not ctx.has_data:
        return None
    table = ctx.team_call(assessment_reliability)
    if table.empty:
        return note_html("Too few students or items to estimate reliability.")
    view = pd.DataFrame(
        {
            "Assessment": table["title"],
            "Date": table["date"].dt.strftime("%d %b %Y"),
            "Students": table["n_students"],
            "Items": table["n_items"],
            "Alpha": table["alpha"],
            "95% low": table["ci_low"],
            "95% high": table["ci_high"],
        }
    )
    return style_table(
        view,
        decimals={"Alpha": 2, "95% low": 2, "95% high": 2},
        caption="Reliability (Cronbach's alpha; KR-20 for right/wrong items)",
        guide="Below about 0.7, read a student's total on that assessment with care; short CFAs are often lower.",
    )


def calibration_table_view(ctx: TeamContext) -> ReportTable | HTML | None:
    """Rater agreement on double-scored rubric work."""
    if not ctx.has_data:
        return None
    table = ctx.team_call(rater_calibration)
    if table.empty:
        return note_html("No rubric work was double-scored in this period.")
    view = pd.DataFrame(
        {
            "Rater": table["rater_a_name"],
            "Second rater": table["rater_b_name"],
            "Shared works": table["n_works"],
            "Exact": table["exact"],
            "Within one": table["adjacent"],
            "Quadratic kappa": table["kappa_quadratic"],
            "ICC": table["icc"],
            "Verdict": table["note"],
        }
    )
    return style_table(
        view,
        percent=("Exact", "Within one"),
        decimals={"Quadratic kappa": 2, "ICC": 2},
        caption="Scoring calibration between pairs of teachers",
        guide="Start with the pair whose verdict says they disagree: score some work together before the next CFA.",
    )


def mastery_table(ctx: TeamContext) -> ReportTable | HTML | None:
    """Every student on every skill, names shown (the team's own report only)."""
    if not ctx.has_data:
        return None
    matrix = mastery_matrix(ctx.team, ctx.rule, names=True)
    if matrix.empty:
        return note_html("No student results in this period.")
    names = teacher_names(ctx.team)
    skills = list(matrix.attrs["cuts"])
    view = matrix.assign(teacher=matrix["teacher_id"].map(names))[
        ["student", "teacher", *skills, "n_proficient", "n_skills"]
    ]
    view = view.rename(
        columns={
            "student": "Student",
            "teacher": "Teacher",
            "n_proficient": "Proficient",
            "n_skills": "Skills assessed",
        }
    )
    cuts = matrix.attrs["cuts"]

    table = style_table(
        view,
        percent=tuple(skills),
        caption="Each student on each skill (score against the cut)",
        guide="Read across a row for one student, down a column for one skill; unshaded cells are below the cut.",
    )
    for skill in skills:  # proficient at the skill's cut, approaching within 20 points of it
        cut = cuts[skill]
        table = table.style_columns(partial(level_tints, proficient=cut - TOLERANCE, approaching=cut - 0.2), [skill])
    return table


def section(ctx: TeamContext, title: str, text: str = "") -> HTML | None:
    """A section heading with a line of explanation; nothing when the team has no data."""
    if not ctx.has_data:
        return None
    intro = f'<p style="color:#444;max-width:60em">{html.escape(text)}</p>' if text else ""
    return HTML(f"<h2>{html.escape(title)}</h2>{intro}")


def _figure(draw: Callable[[], Figure | SubFigure], ctx: TeamContext) -> ReportFigure | None:
    """``draw()``'s figure as a report figure; None without data."""
    return report_figure(draw()) if ctx.has_data else None


def fig_proficiency(ctx: TeamContext) -> ReportFigure | None:
    """Figure: share proficient per skill with intervals."""
    from .plots import plot_proficiency

    table = ctx.team_call(proficiency_by_skill, by="team", rule=ctx.rule)
    figure = _figure(
        lambda: plot_proficiency(table, title=f"{ctx.team_name}: students proficient by skill").figure, ctx
    )
    return (
        figure.with_guide("Look for the shortest bars; where two lines overlap, the skills may not really differ.")
        if figure
        else None
    )


def fig_teacher_comparison(ctx: TeamContext, essential_only: bool = True) -> ReportFigure | None:
    """Figure: each teacher minus the rest of the team per skill."""
    from .plots import plot_teacher_comparison

    compared = ctx.team_call(compare_to_team, "skill", min_n=ctx.min_n)
    if essential_only:
        compared = compared[compared["essential"]]
    figure = _figure(lambda: plot_teacher_comparison(compared).figure, ctx)
    guide = (
        "Look for an interval that does not cross the zero line: that teacher's students clearly differ on that skill."
    )
    return figure.with_guide(guide) if figure else None


def fig_item_map(ctx: TeamContext) -> ReportFigure | None:
    """Figure: item difficulty against discrimination."""
    from .plots import plot_item_map

    items = _items(ctx)
    if items.empty:
        return None
    figure = _figure(lambda: plot_item_map(items).figure, ctx)
    return (
        figure.with_guide(
            "Look first at items below the dashed line (low or negative discrimination), "
            "then at items far to the left (hard)."
        )
        if figure
        else None
    )


def team_proficiency_table(ctx: TeamContext, by: str | None = None) -> ReportTable | None:
    """Proficiency by skill for the team (or per teacher / subgroup with ``by``)."""
    if not ctx.has_data:
        return None
    table = ctx.team_call(proficiency_by_skill, by=by or "team", rule=ctx.rule)
    group = None
    if by == "teacher":
        table = table.assign(teacher=table["teacher_id"].map(teacher_names(ctx.team)))
        group = "teacher"
    elif by and by not in ("team", "school"):
        group = by
    caption = (
        "Students proficient on each skill"
        + (f", by {group}" if group else "")
        + " (★ essential; absent students are not in the denominator)"
    )
    return proficiency_table(table, caption, group)


def teacher_skill_table(ctx: TeamContext) -> ReportTable | None:
    """Each teacher against the rest of the team on every skill (table)."""
    if not ctx.has_data:
        return None
    return teacher_table(
        ctx.team_call(compare_to_team, "skill", min_n=ctx.min_n),
        "Each teacher's students against the rest of the team (their own students excluded)",
    )


# -- question 3 and goals (team report) ------------------------------------------


def _needing(ctx: TeamContext, group_size: int = 10) -> pd.DataFrame:
    """Every student below the cut on an essential skill (names shown: the team's own report), once per report."""
    from .support import students_needing_support

    return ctx.team_call(students_needing_support, ctx.rule, group_size, names=True)


def support_groups_table(ctx: TeamContext, group_size: int = 10) -> ReportTable | HTML | None:
    """Flexible regrouping: for each essential skill, the groups of students who need reteaching."""
    if not ctx.has_data:
        return None
    from .support import support_groups

    groups = ctx.memo(
        ("support_groups", group_size),
        lambda: support_groups(ctx.team, ctx.rule, group_size, needing=_needing(ctx, group_size)),
    )
    if groups.empty:
        return note_html("Every assessed student is proficient on every essential skill.", "good")
    view = pd.DataFrame(
        {
            "Skill": groups["description"],
            "Group": groups["group"],
            "Students": groups["n_students"],
            "From classes": groups["n_sections"],
            "Teachers": groups["teachers"],
            "Lowest score": groups["lowest_score"],
            "Highest score": groups["highest_score"],
            "In short": groups["summary"],
        }
    )
    return style_table(
        view,
        percent=("Lowest score", "Highest score"),
        caption=f"Who needs time and support, by skill (groups of at most {group_size})",
        guide="Start with the skill with the most students: that is where a regrouped intervention helps most.",
    )


def support_students_table(ctx: TeamContext) -> ReportTable | HTML | None:
    """The support list by student (names: the team's own report only)."""
    if not ctx.has_data:
        return None
    from .support import support_by_student

    table = support_by_student(ctx.team, ctx.rule, names=True, needing=_needing(ctx))
    if table.empty:
        return None
    view = pd.DataFrame(
        {
            "Student": table.get("student", table["student_id"]),
            "Teacher": table["teacher"],
            "Skills below": table["n_skills_below"],
            "Which": table["skills"],
            "Lowest score": table["lowest_score"],
            "Below since": table["below_since"].dt.strftime("%d %b %Y"),
            "Weeks below": table["weeks_below"],
            "Group(s)": table["groups"],
        }
    )
    return style_table(
        view,
        percent=("Lowest score",),
        decimals={"Weeks below": 0},
        caption="Each student below the cut on an essential skill",
        guide="Look first at students below on several skills for many weeks: they need more than a reteach.",
    )


def enrichment_note(ctx: TeamContext) -> HTML | None:
    """Students proficient on every essential skill assessed: ready for enrichment."""
    if not ctx.has_data:
        return None
    from .support import enrichment_list

    table = enrichment_list(ctx.team, ctx.rule, names=True)
    if table.empty:
        return note_html("No student is yet proficient on every essential skill assessed.")
    names = table.get("student", table["student_id"]).astype(str)
    return note_html(
        f"Ready for enrichment ({len(table)} students proficient on every essential skill "
        f"assessed): " + ", ".join(names),
        "good",
    )


def _goals(ctx: TeamContext, dataset: Dataset | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Goal progress and series: of ``dataset``, or (once per report) of the team over all its data."""
    from .goals import goal_progress, goal_series

    def compute(data: Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
        series = goal_series(data)
        return goal_progress(data, series=series), series

    if dataset is not None:  # a caller's own data: not memoised
        return compute(dataset)
    # goals run over the whole year, whatever the report's period or assessment
    return ctx.memo("goals", lambda: compute(ctx.district.filter(team_id=ctx.team_id)))


def goals_table(ctx: TeamContext, dataset: Dataset | None = None) -> ReportTable | HTML | None:
    """SMART goals: baseline, target, current, pace and projection, with a plain status."""
    if dataset is ctx.team and not ctx.has_data:
        return None
    progress, _ = _goals(ctx, dataset)
    if progress.empty:
        return note_html("This team has no SMART goal recorded in goals.csv.")
    view = pd.DataFrame(
        {
            "Goal": progress["statement"],
            "Baseline": progress["baseline"],
            "Target": progress["target"],
            "Now": progress["current"],
            "Due": progress["due_date"].dt.strftime("%d %b %Y"),
            "Pace needed / week": progress["required_pace"],
            "Pace so far / week": progress["actual_pace"],
            "Projected": progress["projected"],
            "Status": progress["status"],
            "In short": progress["summary"],
        }
    )
    table = style_table(
        view,
        percent=("Baseline", "Target", "Now", "Projected"),
        decimals={"Pace needed / week": 3, "Pace so far / week": 3},
        caption="SMART goals",
        guide="Read the Status first; for a goal at risk, compare the pace needed with the pace so far.",
    )
    return table.map(goal_status_tint, subset=["Status"])


def fig_goals(ctx: TeamContext, dataset: Dataset | None = None) -> ReportFigure | None:
    """Figure: one panel per goal with baseline, target line, actual points and projection."""
    from .goal_plots import plot_goals

    progress, series = _goals(ctx, dataset)
    if progress.empty:
        return None
    figure = report_figure(plot_goals(progress, series))
    return (
        figure.with_guide("Compare the latest point with the dashed target line, and the projection with the due date.")
        if figure
        else None
    )
