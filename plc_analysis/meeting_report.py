"""The meeting pack inside the team report: the latest CFA, its bands, what to do, and whether last time's plan worked.

One function per notebook cell, like :mod:`plc_analysis.report`; the metrics
live in :mod:`plc_analysis.bands`, :mod:`plc_analysis.actions`,
:mod:`plc_analysis.action_review` and :mod:`plc_analysis.transitions`.  The
CFA is the report's ``assessment_id`` when one is given, else the team's latest
CFA in the period (the rest of the report gives the period as context).
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from .action_files import write_actions
from .action_review import action_outcomes, action_results
from .actions import ACTION_COLUMNS, propose_actions, skill_why
from .bands import BANDS, assign_bands, band_counts
from .comparison import teacher_names
from .dataset_items import item_analysis, option_analysis
from .equity import student_names
from .proficiency import skill_evidence
from .report import TeamContext
from .report_style import HTML, note_html, style_table
from .tables import ReportTable
from .transitions import paired_bands, student_growth, transition_summary, window_standing

__all__ = [
    "period_pairs",
    "growth_table",
    "growth_grid",
    "last_actions",
    "did_it_work_table",
    "did_it_work_students_table",
    "meeting_assessment",
    "meeting_bands",
    "proposed_actions",
    "meeting_heading",
    "bands_table",
    "band_names_table",
    "proposals_table",
    "write_proposed_actions",
]


def meeting_assessment(ctx: TeamContext) -> pd.Series | None:
    """The CFA this meeting is about: the report's assessment, else the team's latest CFA (any kind if none).

    Returns
    -------
    Series or None
        The row of ``assessments`` (``assessment_id, title, kind, date`` …);
        None when the team has no assessment in the period.
    """
    assessments = ctx.team.assessments
    if not len(assessments):
        return None
    cfas = assessments[assessments["kind"].astype(str) == "cfa"]
    pool = cfas if len(cfas) else assessments
    return pool.sort_values(["date", "assessment_id"], kind="stable").iloc[-1]


def _essential(ctx: TeamContext) -> set[str]:
    skills = ctx.team.skills
    return set(skills.loc[skills["essential"].astype(bool), "skill_id"])


def meeting_bands(ctx: TeamContext) -> pd.DataFrame:
    """Each student on each essential skill of the meeting's CFA, in its Data Teams band (once per report).

    Returns
    -------
    DataFrame
        :func:`plc_analysis.assign_bands` of the CFA's skill evidence
        (``student_id, skill_id, assessment_id, teacher_id, score,
        proficiency_cut, band, proficient, shortfall`` …); empty without a CFA.
    """

    def compute() -> pd.DataFrame:
        cfa = meeting_assessment(ctx)
        if cfa is None:
            return assign_bands(pd.DataFrame(columns=["student_id", "skill_id", "score", "proficiency_cut"]))
        evidence = skill_evidence(ctx.team)
        evidence = evidence[
            (evidence["assessment_id"] == cfa["assessment_id"]) & evidence["skill_id"].isin(_essential(ctx))
        ]
        return assign_bands(evidence, ctx.bands)

    return ctx.memo("meeting_bands", compute)


def _reassessments(ctx: TeamContext, cfa: pd.Series) -> dict[str, str]:
    """Skill → the first reassessment after the CFA that assesses it, in the team's data."""
    district = ctx.district.filter(team_id=ctx.team_id)
    later = district.assessments[
        (district.assessments["kind"].astype(str) == "reassessment") & (district.assessments["date"] > cfa["date"])
    ].sort_values("date")
    items = district.items.merge(later[["assessment_id", "date"]], on="assessment_id").sort_values("date")
    return dict(items.drop_duplicates("skill_id")[["skill_id", "assessment_id"]].itertuples(index=False))


def proposed_actions(ctx: TeamContext) -> pd.DataFrame:
    """The proposed response to the meeting's CFA (once per report).

    Returns
    -------
    DataFrame
        :func:`plc_analysis.propose_actions` plus ``description`` (of the
        skill), ``owner`` (name), ``students`` (names, for the team's own
        report), ``why`` (the items and wrong answers behind the skill).
    """

    def compute() -> pd.DataFrame:
        cfa = meeting_assessment(ctx)
        bands = meeting_bands(ctx)
        if cfa is None or bands.empty:
            return propose_actions(bands, team_id=ctx.team_id, assessment_id="", date=pd.Timestamp(0))
        descriptions = ctx.team.skills.set_index("skill_id")["description"]
        names = teacher_names(ctx.team)
        proposals = propose_actions(
            bands,
            team_id=ctx.team_id,
            assessment_id=str(cfa["assessment_id"]),
            date=cfa["date"],
            reassessments=_reassessments(ctx, cfa),
            reteach_share=ctx.reteach_share,
            teacher_names=names,
            descriptions=descriptions,
        )
        proposals["description"] = proposals["skill_id"].map(descriptions)
        proposals["owner"] = proposals["teacher_id"].map(names)
        who = student_names(ctx.team)
        proposals["students"] = [
            "; ".join(who.get(i, i) or i for i in str(ids).split(";"))
            if isinstance(ids, str)
            else "everyone below the cut"
            for ids in proposals["student_ids"]
        ]
        proposals["why"] = proposals["skill_id"].map(_why(ctx, str(cfa["assessment_id"]))).fillna("")
        return proposals

    return ctx.memo("proposed_actions", compute)


def _why(ctx: TeamContext, assessment_id: str) -> pd.Series:
    items = item_analysis(ctx.team, assessment_id=assessment_id)
    try:
        options = option_analysis(ctx.team, assessment_id)
    except ValueError:  # no multiple-choice item on this assessment
        options = None
    return skill_why(items, options).set_index("skill_id")["why"]


def last_actions(ctx: TeamContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The team's recorded actions up to the report's end, their outcomes and results (once per report).

    Evidence comes from the team's whole data up to the end of the period
    (not only the report's assessment), so a reassessment counts wherever it falls.

    Returns
    -------
    tuple of DataFrame
        :func:`plc_analysis.action_results` (latest actions first) and
        :func:`plc_analysis.action_outcomes`.
    """

    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        end = ctx.filters.get("end")
        team = ctx.district.filter(team_id=ctx.team_id, **({"end": end} if end else {}))
        actions = team.actions.sort_values(["start_date", "action_id"], ascending=[False, True], kind="stable")
        evidence = skill_evidence(team)
        outcomes = action_outcomes(actions, evidence)
        return action_results(actions, outcomes), outcomes

    return ctx.memo("last_actions", compute)


_VERDICT_TINT = {
    "worked": "background-color:#CDEBDF",
    "partly": "background-color:#FBE8C0",
    "not yet": "background-color:#F6D0D0",
    "no evidence yet": "",
}


def did_it_work_table(ctx: TeamContext) -> ReportTable | HTML | None:
    """Last meetings' actions: how many students moved to proficient, against comparable students, and a verdict."""
    if not ctx.has_data:
        return None
    results, _ = last_actions(ctx)
    if results.empty:
        return note_html(
            "No action recorded yet in actions.csv. The proposals below are written as actions_proposed.csv: "
            "keep the ones the team agrees on as actions.csv, and the next report says whether they worked."
        )
    names = teacher_names(ctx.district.filter(team_id=ctx.team_id))
    descriptions = ctx.district.skills.set_index("skill_id")["description"]
    kinds = {"whole_class": "Whole-class reteach", "small_group": "Small group", "enrichment": "Enrichment"}
    view = pd.DataFrame(
        {
            "Action": results["kind"].map(kinds).fillna("Other") + ": " + results["skill_id"].map(descriptions),
            "Owner": results["owner_id"].map(names).fillna("—"),
            "Started": pd.to_datetime(results["start_date"]).dt.strftime("%d %b %Y"),
            "Students": results["n_students"],
            "Mean before": results["mean_before"],
            "Mean after": results["mean_after"],
            "Moved to proficient": results["n_moved"],
            "Of": results["n_target"],
            "Share": results["share_moved"],
            "95% low": results["ci_low"],
            "95% high": results["ci_high"],
            "Comparable students: share": results["share_comparison"],
            "Comparable students": results["n_comparison"],
            "Verdict": results["verdict"],
            "In short": results["summary"],
        }
    )
    table = style_table(
        view,
        percent=("Mean before", "Mean after", "Share", "95% low", "95% high", "Comparable students: share"),
        caption="Did it work? What the team decided, and what the next evidence on the skill shows",
        guide="Read the Verdict first, then compare the share moved with comparable students not in the action.",
    )
    return table.map(lambda v: _VERDICT_TINT.get(str(v), ""), subset=["Verdict"])


def did_it_work_students_table(ctx: TeamContext) -> ReportTable | None:
    """Each student of each recorded action: the result on the skill before and after (named)."""
    if not ctx.has_data:
        return None
    results, outcomes = last_actions(ctx)
    waiting = set(results.loc[results["verdict"] == "no evidence yet", "action_id"])
    mine = outcomes[(outcomes["group"] == "action") & ~outcomes["action_id"].isin(waiting)]  # summed up above
    if mine.empty:
        return None
    who = student_names(ctx.district.filter(team_id=ctx.team_id))
    descriptions = ctx.district.skills.set_index("skill_id")["description"]
    moved = mine["moved"].map({True: "yes", False: "no"}).fillna("no result yet")
    view = pd.DataFrame(
        {
            "Action": mine["action_id"],
            "Skill": mine["skill_id"].map(descriptions),
            "Student": mine["student_id"].map(who).fillna(mine["student_id"]),
            "Before": mine["before_score"],
            "After": mine["after_score"],
            "On": mine["after_assessment_id"].fillna("—"),
            "Moved to proficient": moved.to_numpy(),
        }
    )
    return style_table(
        view,
        percent=("Before", "After"),
        caption="Each student in each action, before and after",
        guide="Look for the students who did not move: they are the first names for the next group.",
    )


def meeting_heading(ctx: TeamContext) -> HTML | None:
    """The heading of the meeting pack: which CFA, when, how many students."""
    cfa = meeting_assessment(ctx)
    if cfa is None or not ctx.has_data:
        return None
    bands = meeting_bands(ctx)
    return HTML(
        f"<h2>This meeting: {html.escape(str(cfa['title']))}</h2>"
        f'<p style="color:#444;max-width:60em">Given {cfa["date"]:%d %b %Y} to '
        f"{bands['student_id'].nunique()} students on {bands['skill_id'].nunique()} essential skills. "
        "The team decides, skill by skill: who is where, what we do next and who leads it. "
        "The rest of the report covers the whole period.</p>"
    )


def bands_table(ctx: TeamContext) -> ReportTable | HTML | None:
    """Students per Data Teams band on each essential skill of the CFA (counts and shares)."""
    if not ctx.has_data or meeting_assessment(ctx) is None:
        return None
    bands = meeting_bands(ctx)
    if bands.empty:
        return note_html("No essential skill was assessed on this CFA.")
    counts = band_counts(bands)
    wide = counts.pivot(index="skill_id", columns="band", values="n").reindex(columns=list(BANDS)).fillna(0)
    assessed = counts.groupby("skill_id")["n_assessed"].first()
    descriptions = ctx.team.skills.set_index("skill_id")["description"]
    cuts = bands.groupby("skill_id")["proficiency_cut"].first()
    view = pd.DataFrame(
        {
            "Skill": wide.index.map(descriptions),
            "Cut": cuts.reindex(wide.index).to_numpy(),
            "Proficient": wide["proficient"].astype(int).to_numpy(),
            "Close": wide["close"].astype(int).to_numpy(),
            "Far but likely": wide["far but likely"].astype(int).to_numpy(),
            "Intensive": wide["intensive"].astype(int).to_numpy(),
            "Students": assessed.reindex(wide.index).to_numpy(),
            "Share proficient": (wide["proficient"] / assessed.reindex(wide.index)).to_numpy(),
        }
    ).sort_values("Share proficient", kind="stable")
    t = ctx.bands
    return style_table(
        view,
        percent=("Cut", "Share proficient"),
        level=("Share proficient",),
        caption=(
            f"Where each student is on each skill (close = less than {t.close:.0%} below the cut; "
            f"intensive = under {t.intensive_below:.0%} of the points)"
        ),
        guide="Start with the skill with the lowest share proficient, then how many are close (quick to move).",
    )


def band_names_table(ctx: TeamContext) -> ReportTable | None:
    """The students of each band below proficient, by skill, named (the team's own report)."""
    if not ctx.has_data or meeting_assessment(ctx) is None:
        return None
    bands = meeting_bands(ctx)
    below = bands[~bands["proficient"].astype(bool)]
    if below.empty:
        return None
    who = student_names(ctx.team)
    descriptions = ctx.team.skills.set_index("skill_id")["description"]
    below = below.assign(name=below["student_id"].map(who).fillna(below["student_id"]))
    grouped = (
        below.sort_values(["skill_id", "band", "score", "name"])
        .groupby(["skill_id", "band"], observed=True, sort=True)
        .agg(n=("student_id", "nunique"), names=("name", "; ".join))
        .reset_index()
    )
    view = pd.DataFrame(
        {
            "Skill": grouped["skill_id"].map(descriptions),
            "Band": grouped["band"].astype(str),
            "Students": grouped["n"],
            "Who": grouped["names"],
        }
    )
    return style_table(
        view,
        caption="Who is below the cut, by skill and band (lowest scores first)",
        guide="Start with the intensive rows: these students need more than a reteach.",
    )


def proposals_table(ctx: TeamContext) -> ReportTable | HTML | None:
    """The proposed response per skill: reteach, small groups, enrichment, each with its owner and the why."""
    if not ctx.has_data or meeting_assessment(ctx) is None:
        return None
    proposals = proposed_actions(ctx)
    if proposals.empty:
        return note_html("No essential skill was assessed on this CFA, so there is nothing to propose.")
    kinds = {"whole_class": "Reteach to the whole class", "small_group": "Small group", "enrichment": "Enrichment"}
    view = pd.DataFrame(
        {
            "Skill": proposals["description"],
            "Response": proposals["kind"].map(kinds),
            "Offered to": proposals["owner"].fillna("—"),
            "Their students proficient": proposals["owner_share"],
            "Students": proposals["n_students"],
            "Who": proposals["students"],
            "Reassess by": pd.to_datetime(proposals["reassess_by"]).dt.strftime("%d %b %Y"),
            "Why (hardest items, common wrong answers)": proposals["why"],
        }
    )
    return style_table(
        view,
        percent=("Their students proficient",),
        caption=(
            f"What we propose (whole-class reteach when more than {ctx.reteach_share:.0%} are below the cut; "
            "each group offered to the teacher whose students did best on the skill, no teacher given every group)"
        ),
        guide="Agree on each owner first, then check the Why column: it says what to reteach.",
    )


def write_proposed_actions(ctx: TeamContext, folder: str | Path | None = None) -> HTML | None:
    """Write the proposals as ``<team>.actions_proposed.csv`` and ``.xlsx`` in ``folder`` (default: the report's).

    Returns
    -------
    HTML or None
        A note saying where the files are and how to use them; None without
        a CFA.  Without a folder, the note says how to get the files.
    """
    if not ctx.has_data or meeting_assessment(ctx) is None:
        return None
    proposals = proposed_actions(ctx)
    if proposals.empty:
        return None
    target = folder if folder is not None else ctx.report_dir
    if not target:
        return note_html(
            "These proposals are written as actions_proposed.csv and .xlsx beside the report when it is made "
            "with plc report; edit them, save them as actions.csv in the data folder, and the next report "
            "shows whether they worked."
        )
    if not Path(target).is_dir():  # e.g. a report rendered on a cluster worker: the folder is the batch's
        return note_html(f"Proposed actions not written: the folder {target} is not on this machine.", "warning")
    stem = Path(target) / f"{ctx.team_id}.actions_proposed"
    written = write_actions(proposals[list(ACTION_COLUMNS)], stem)
    return note_html(
        f"Proposed actions written to {', '.join(p.name for p in written)} beside this report: edit them "
        "(owners, students, dates, the strategy in the note), save them as actions.csv in the data folder, "
        "and the next report opens with whether they worked."
    )


def period_pairs(ctx: TeamContext) -> pd.DataFrame:
    """Each student × essential skill with two results in the period: the first and the latest, banded.

    Returns
    -------
    DataFrame
        :func:`plc_analysis.transitions.paired_bands` of the earliest and the
        latest evidence (on different assessments) per student × skill.
    """

    def compute() -> pd.DataFrame:
        evidence = skill_evidence(ctx.team)
        evidence = evidence[evidence["skill_id"].isin(_essential(ctx))]
        first = window_standing(evidence, pick="earliest")
        last = window_standing(evidence, pick="latest")
        moved_on = last.merge(first[["student_id", "skill_id", "assessment_id"]], on=["student_id", "skill_id"])
        again = moved_on[moved_on["assessment_id_x"] != moved_on["assessment_id_y"]][["student_id", "skill_id"]]
        first = first.merge(again, on=["student_id", "skill_id"])
        last = last.merge(again, on=["student_id", "skill_id"])
        return paired_bands(assign_bands(first, ctx.bands), assign_bands(last, ctx.bands))

    return ctx.memo("period_pairs", compute)


def growth_table(ctx: TeamContext, by: str = "skill") -> ReportTable | HTML | None:
    """Band transitions from each student's first to latest result in the period, by skill or by teacher."""
    if not ctx.has_data:
        return None
    pairs = period_pairs(ctx)
    if pairs.empty:
        return note_html("No student has two results on the same essential skill in this period yet.")
    key = "teacher_id" if by == "teacher" else "skill_id"
    summary = transition_summary(pairs, by=(key,))
    label = (
        summary[key].map(teacher_names(ctx.team))
        if by == "teacher"
        else summary[key].map(ctx.team.skills.set_index("skill_id")["description"])
    )
    view = pd.DataFrame(
        {
            "Teacher" if by == "teacher" else "Skill": label,
            "Students × skills" if by == "teacher" else "Students": summary["n"],
            "Proficient first": summary["n_proficient_before"],
            "Proficient now": summary["n_proficient_after"],
            "Up a band or more": summary["n_up"],
            "Same band": summary["n_same"],
            "Down": summary["n_down"],
            "Share up": summary["share_up"],
            "Share down": summary["share_down"],
            "Reached proficient": summary["n_to_proficient"],
            "Fell below": summary["n_from_proficient"],
            "Mean growth": summary["mean_growth"],
        }
    )
    return style_table(
        view,
        percent=("Share up", "Share down", "Mean growth"),
        caption=f"Growth from each student's first to latest result on each essential skill, by {by} "
        "(bands: proficient, close, far but likely, intensive)",
        guide="Compare Share up with Share down; Fell below names a skill that needs revisiting.",
    )


def growth_grid(ctx: TeamContext) -> ReportTable | None:
    """Growth per student per skill: latest minus first score in the period (named; the team's own report)."""
    if not ctx.has_data:
        return None
    pairs = period_pairs(ctx)
    if pairs.empty:
        return None
    grid = student_growth(pairs)
    skills = [c for c in grid.columns if c != "student_id"]
    who = student_names(ctx.team)
    view = grid.assign(student_id=grid["student_id"].map(who).fillna(grid["student_id"])).rename(
        columns={"student_id": "Student"}
    )
    view = view.sort_values("Student", kind="stable")

    def tint(value: object) -> str:
        if not isinstance(value, float) or pd.isna(value) or abs(value) < 0.1:
            return ""
        return "background-color:#CDEBDF" if value > 0 else "background-color:#F6D0D0"

    table = style_table(
        view,
        percent=tuple(skills),
        caption="Growth per student and skill: latest minus first score in the period (skills by id)",
        guide="Red cells are students who fell back by 10 points or more: start there.",
    )
    return table.map(tint, subset=skills)
