"""Tiers of support that escalate by rule (the Stevenson High School model, configurable).

DuFour describes Adlai Stevenson High School's systematic, timely and directive
intervention: every three weeks every student gets a progress report; a
student not doing well gets tier 1 at once (teacher, counselor and advisor
conferences, parents notified, a tutoring-center pass, an older student
mentor); a student still short of expectations six weeks later is *required*
to attend tutoring with weekly counselor checks (tier 2); if that fails within
the next six weeks, a daily guided study hall of 10 or fewer students and a
parent–student–counselor–teacher contract (tier 3).

:data:`DEFAULT_POLICY` encodes that rule; :func:`load_policy` reads another from
a dict or a YAML file (both live in :mod:`plc_analysis.tier_policy` and are
re-exported here).  :func:`tier_history` replays the rule over every check
(progress reports, or CFA results for teams without progress reports),
:func:`support_tiers` says where each student stands now — tier, why, since
when, the next action and who owns it, and who should move up or can exit —
against the support recorded in ``interventions.csv``, and :func:`tier_counts`
counts students per tier for each team and school.

The rule is replayed check date by check date (a state machine), vectorised
over students: each step is a handful of array operations, so a district of
thousands of students with a few dozen check dates takes milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .comparison import teacher_names
from .dataset import Dataset
from .equity import MIN_CELL, Audience, names_allowed, resolve_audience, student_names, suppress_small_cells
from .group_text import joined_by_group
from .proficiency import skill_evidence
from .rules import TOLERANCE, same_day_later
from .support import latest_data_date
from .text_format import percent_text, percent_texts
from .tier_policy import DEFAULT_POLICY, load_policy

__all__ = [
    "DEFAULT_POLICY",
    "load_policy",
    "tier_checks",
    "tier_history",
    "support_tiers",
    "tier_counts",
]


def _grade_text(percent: float) -> str:
    """A progress-report grade (0-100): 69.9 → "69.9%", 72.0 → "72%"; just under the line must not read as the line."""
    return percent_text(percent / 100, decimals=2)


_EVENT_START, _EVENT_UP, _EVENT_EXIT, _EVENT_CONTINUE = "start", "move up", "exit", "continue"


# --------------------------------------------------------------------------- #
# Checks: is the student below standard at each check date?
# --------------------------------------------------------------------------- #
_CHECK_COLUMNS = ["student_id", "date", "source", "below", "value", "detail"]


def _progress_checks(dataset: Dataset, line: float) -> pd.DataFrame:
    progress = dataset.progress
    if progress.empty:
        return pd.DataFrame(
            {
                c: pd.Series(dtype=t)
                for c, t in zip(_CHECK_COLUMNS, ["str", "datetime64[ns]", "str", "bool", "float64", "str"])
            }
        )
    course = dataset.sections[["section_id", "team_id"]].merge(
        dataset.teams[["team_id", "name"]], on="team_id", how="left"
    )
    course = course.set_index("section_id")["name"].fillna(course.set_index("section_id")["team_id"])
    p = progress.assign(course=progress["section_id"].map(course).fillna(progress["section_id"]).astype("str"))
    p = p.sort_values(["student_id", "period_end", "percent"], kind="stable")
    low = p.groupby(["student_id", "period_end"], sort=False)["percent"].min().rename("value")
    under = p[p["percent"] < line]
    under_text = under["course"] + " " + under["percent"].map(_grade_text)
    courses = under_text.groupby([under["student_id"], under["period_end"]], sort=False).agg("; ".join)
    checks = low.reset_index().rename(columns={"period_end": "date"})
    checks["below"] = checks["value"] < line
    courses = courses.rename("courses").reset_index().rename(columns={"period_end": "date"})
    checks = checks.merge(courses, on=["student_id", "date"], how="left")
    checks["detail"] = np.where(
        checks["below"],
        "lowest progress-report grade "
        + checks["value"].map(_grade_text)
        + ", below "
        + f"{line:g}% ("
        + checks["courses"].fillna("").astype("str")
        + ")",
        "every progress-report grade at or above " + f"{line:g}% (lowest " + checks["value"].map(_grade_text) + ")",
    )
    checks["source"] = "progress report"
    return checks[_CHECK_COLUMNS]


def _cfa_checks(dataset: Dataset, share: float, students: pd.Index | None = None) -> pd.DataFrame:
    """Below at a check date = proficient on fewer than ``share`` of the essential skills assessed so far."""
    empty = pd.DataFrame(
        {
            c: pd.Series(dtype=t)
            for c, t in zip(_CHECK_COLUMNS, ["str", "datetime64[ns]", "str", "bool", "float64", "str"])
        }
    )
    ev = skill_evidence(dataset)
    essential = dataset.skills.loc[dataset.skills["essential"].fillna(True).astype(bool), ["skill_id", "description"]]
    ev = ev.merge(essential, on="skill_id", how="inner")
    if students is not None:
        ev = ev[ev["student_id"].isin(students)]
    if ev.empty:
        return empty
    assessments = dataset.assessments[dataset.assessments["kind"].astype("str") != "reassessment"]
    team_dates = assessments[["team_id", "date"]].drop_duplicates()
    placement = dataset.student_sections()[["student_id", "team_id"]].drop_duplicates()
    placement = placement[placement["student_id"].isin(ev["student_id"])]
    grid = placement.merge(team_dates, on="team_id")[["student_id", "date"]].drop_duplicates()
    pairs = ev[["student_id", "skill_id"]].drop_duplicates().merge(grid, on="student_id")
    ev = ev.assign(_later=same_day_later(ev["assessment_kind"]))
    ev = ev.sort_values(["date", "_later"], kind="stable").rename(columns={"date": "ev_date"})
    latest = pd.merge_asof(
        pairs.sort_values("date", kind="stable"),
        ev[["student_id", "skill_id", "ev_date", "score", "proficiency_cut", "description"]],
        left_on="date",
        right_on="ev_date",
        by=["student_id", "skill_id"],
        direction="backward",
    )
    latest = latest[latest["ev_date"].notna()]
    latest["is_below"] = latest["score"] < latest["proficiency_cut"] - TOLERANCE
    under = latest[latest["is_below"]].sort_values(["student_id", "date", "skill_id"])
    text = (
        under["description"].astype("str")
        + " "
        + percent_texts(under["score"])
        + " vs "
        + percent_texts(under["proficiency_cut"])
    )
    skills = text.groupby([under["student_id"], under["date"]], sort=False).agg("; ".join).rename("skills")
    checks = (
        latest.assign(ok=~latest["is_below"])
        .groupby(["student_id", "date"], sort=True)
        .agg(n_ok=("ok", "sum"), n=("ok", "size"))
        .reset_index()
    )
    checks = checks.merge(skills.reset_index(), on=["student_id", "date"], how="left")
    checks["value"] = checks["n_ok"] / checks["n"]
    checks["below"] = checks["value"] < share - TOLERANCE
    proficient = (
        "proficient on "
        + checks["n_ok"].astype("str")
        + " of "
        + checks["n"].astype("str")
        + " essential skills assessed"
    )
    checks["detail"] = np.where(
        checks["below"],
        proficient
        + ", under "
        + percent_text(share)
        + " (below the cut: "
        + checks["skills"].fillna("").astype("str")
        + ")",
        proficient + ", at least " + percent_text(share),
    )
    checks["source"] = "CFA results"
    return checks[_CHECK_COLUMNS]


def tier_checks(dataset: Dataset, policy: str | Path | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Each student's standing at each check date under a policy's source.

    Parameters
    ----------
    dataset : Dataset
    policy : dict, str, Path or None
        See :func:`load_policy`.  ``source="progress"``: a check is a progress
        report and the student is below when their lowest percent across
        sections is under ``below``.  ``source="cfa"``: a check is each date
        the student's team gave an assessment (reassessments excluded) and the
        student is below when, on their latest evidence, they are proficient
        on fewer than ``cfa_share_proficient`` of the essential skills
        assessed so far.  ``"auto"``: progress reports for students who have
        them, CFA results for the others.

    Returns
    -------
    DataFrame
        One row per student × check date, columns ``student_id, date,
        source`` (``"progress report"`` or ``"CFA results"``), ``below``
        (bool), ``value`` (lowest percent, or share of essential skills proficient),
        ``detail`` (plain text: the grades or skills below).
    """
    policy = load_policy(policy)
    parts = []
    if policy["source"] in ("auto", "progress"):
        parts.append(_progress_checks(dataset, policy["below"]))
    if policy["source"] == "cfa":
        parts.append(_cfa_checks(dataset, policy["cfa_share_proficient"]))
    elif policy["source"] == "auto":
        with_progress = pd.Index(dataset.progress["student_id"].unique())
        others = pd.Index(dataset.students["student_id"]).difference(with_progress)
        parts.append(_cfa_checks(dataset, policy["cfa_share_proficient"], others))
    checks = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else parts[0]
    return checks.sort_values(["student_id", "date"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- #
# The rule, replayed over the check dates
# --------------------------------------------------------------------------- #
def _replay(checks: pd.DataFrame, policy: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the escalation rule; return (events, final state per student)."""
    top = max(policy["tiers"])
    wait = pd.Timedelta(days=7 * policy["review_after_weeks"] - policy["grace_days"])
    students = pd.Index(checks["student_id"].unique())
    n = len(students)
    tier = np.zeros(n, dtype=int)
    due = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    since = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    episode = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    position = students.get_indexer(checks["student_id"])
    events = []
    for date, rows in checks.groupby("date", sort=True).indices.items():
        idx = position[rows]
        below = checks["below"].to_numpy()[rows]
        current = tier[idx]
        at_review = (current > 0) & (np.datetime64(date, "ns") >= due[idx])
        start = (current == 0) & below
        leave = at_review & ~below
        up = at_review & below & (current < top)
        stay = at_review & below & (current == top)
        for mask, event, new in (
            (start, _EVENT_START, np.ones_like(current)),
            (up, _EVENT_UP, current + 1),
            (leave, _EVENT_EXIT, np.zeros_like(current)),
            (stay, _EVENT_CONTINUE, current),
        ):
            if mask.any():
                events.append(
                    pd.DataFrame({"_row": rows[mask], "event": event, "tier_from": current[mask], "tier_to": new[mask]})
                )
        moved = start | up
        d64 = np.datetime64(pd.Timestamp(date).to_datetime64(), "ns")
        tier[idx[start]] = 1
        tier[idx[up]] += 1
        tier[idx[leave]] = 0
        since[idx[moved]] = d64
        episode[idx[start]] = d64
        due[idx[moved | stay]] = d64 + wait.to_timedelta64()
        due[idx[leave]] = np.datetime64("NaT")
        since[idx[leave]] = d64
        episode[idx[leave]] = np.datetime64("NaT")
    if events:
        ev = pd.concat(events, ignore_index=True)
        ev = pd.concat([checks.iloc[ev["_row"].to_numpy()].reset_index(drop=True), ev.drop(columns="_row")], axis=1)
    else:
        ev = checks.iloc[:0].assign(
            event=pd.Series(dtype="str"), tier_from=pd.Series(dtype="int64"), tier_to=pd.Series(dtype="int64")
        )
    state = pd.DataFrame(
        {"student_id": students, "tier": tier, "since": since, "episode_start": episode, "review_due": due}
    )
    return ev, state


def tier_history(
    dataset: Dataset,
    policy: str | Path | Mapping[str, Any] | None = None,
    *,
    as_of: str | pd.Timestamp | None = None,
    checks: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every tier decision the rule makes, check by check, up to ``as_of``.

    At each check: a student in no tier who is below standard starts tier 1;
    a student in a tier is *reviewed* at the first check at least
    ``review_after_weeks`` after entering it (less ``grace_days``): still
    below → the next tier (the top tier continues, reviewed again after the
    same wait), at or above → exit.  Between reviews nothing changes.  A
    student who exits may start again at tier 1 at a later check.

    Parameters
    ----------
    dataset : Dataset
    policy : dict, str, Path or None
        See :func:`load_policy`.
    as_of : date, optional
        Ignore checks after this date.
    checks : DataFrame, optional
        A result of :func:`tier_checks` (computed otherwise).

    Returns
    -------
    DataFrame
        One row per decision, in date order, columns ``student_id, date``
        (of the check), ``source, below, value, detail`` (the check),
        ``event`` (``"start"``, ``"move up"``, ``"exit"``, ``"continue"``),
        ``tier_from, tier_to``.
    """
    policy = load_policy(policy)
    if checks is None:
        checks = tier_checks(dataset, policy)
    if as_of is not None:
        checks = checks[checks["date"] <= pd.Timestamp(as_of)]
    events, _ = _replay(checks.reset_index(drop=True), policy)
    return events.sort_values(["date", "student_id"], kind="stable").reset_index(drop=True)


def _recorded(dataset: Dataset, as_of: pd.Timestamp | None) -> pd.DataFrame:
    """Highest open tier per student in ``interventions.csv`` as of a date."""
    iv = dataset.interventions
    if as_of is not None:
        iv = iv[(iv["start_date"] <= as_of) & (iv["end_date"].isna() | (iv["end_date"] > as_of))]
    else:
        iv = iv[iv["end_date"].isna()]
    iv = iv.assign(tier=iv["tier"].astype("int64")).sort_values(["student_id", "tier", "start_date"])
    top = iv.drop_duplicates("student_id", keep="last")
    return top[["student_id", "tier", "kind", "start_date"]].rename(
        columns={"tier": "recorded_tier", "kind": "recorded_kind", "start_date": "recorded_since"}
    )


def support_tiers(
    dataset: Dataset,
    policy: str | Path | Mapping[str, Any] | None = None,
    as_of: str | pd.Timestamp | None = None,
    *,
    names: bool | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """Each student's tier of support now: why, since when, the next action and who owns it.

    The rule (see :func:`tier_history`) is replayed on ``dataset`` as given,
    so a student's standing counts every course (Stevenson takes the lowest
    grade across a student's classes); ``filters`` then choose whose rows to
    show (students enrolled in the filtered teams, sections …).

    Parameters
    ----------
    dataset : Dataset
    policy : dict, str, Path or None
        See :func:`load_policy` (default: :data:`DEFAULT_POLICY`, Stevenson).
    as_of : date, optional
        Decide with the checks up to this date (default: the latest data
        date).  Support recorded in ``interventions.csv`` is read as of the
        same date.
    names : bool or None
        Include ``student`` (``"Last, First"``); ``None`` shows names only when
        the filtered dataset holds a single team; ``True`` raises otherwise.
    **filters
        Passed to :meth:`Dataset.filter` to choose the students shown.

    Returns
    -------
    DataFrame
        One row per student in a tier now, who can exit now, or whom
        ``interventions.csv`` shows in support; highest tier first.  Columns
        ``student_id``, ``student`` (if shown), ``school_id, team_ids,
        teachers`` (``"; "``-separated), ``tier`` (0 = no tier: exits),
        ``tier_name, previous_tier, change`` (``"start tier 1"``, ``"move up to
        tier k"``, ``"can exit"``, ``"continue tier k"``, ``"stay in tier
        k"``), ``since`` (check at which the student entered this tier, or
        left support), ``episode_start`` (check that began this run of
        support), ``weeks_in_support, latest_check, source, latest_value,
        reason`` (plain text), ``next_review`` (date of the next review:
        the first check on or after it decides), ``next_action, owner,
        study_hall`` (tier-top students split into groups of at most the
        policy's ``group_size`` per school), ``recorded_tier`` (highest open
        tier in ``interventions.csv``, 0 when none), ``recorded_kind,
        recorded_since, matches_record`` (bool) and ``record_note``.
    """
    policy = load_policy(policy)
    scope = dataset.filter(**filters) if filters else dataset
    show = names_allowed(scope, names)
    as_of_ts = pd.Timestamp(as_of) if as_of is not None else latest_data_date(dataset)
    checks = tier_checks(dataset, policy)
    if as_of_ts is not None:
        checks = checks[checks["date"] <= as_of_ts]
    checks = checks[checks["student_id"].isin(scope.students["student_id"])].reset_index(drop=True)
    events, state = _replay(checks, policy)
    last_check = checks.sort_values("date").drop_duplicates("student_id", keep="last").set_index("student_id")
    state = state.set_index("student_id")
    state["latest_check"] = last_check["date"]
    state["source"] = last_check["source"]
    state["latest_value"] = last_check["value"]
    state["latest_detail"] = last_check["detail"]
    at_last = events.merge(last_check[["date"]].reset_index(), on=["student_id", "date"], how="inner")
    at_last = at_last.drop_duplicates("student_id", keep="last").set_index("student_id")
    state["event"] = at_last["event"]
    state["previous_tier"] = (
        at_last["tier_from"].reindex(state.index).fillna(pd.Series(state["tier"], index=state.index)).astype(int)
    )
    recorded = _recorded(scope, as_of_ts).set_index("student_id")
    state = state.join(recorded, how="outer")
    state["tier"] = state["tier"].fillna(0).astype(int)
    state["previous_tier"] = state["previous_tier"].fillna(state["tier"]).astype(int)
    state["recorded_tier"] = state["recorded_tier"].fillna(0).astype(int)
    keep = (state["tier"] > 0) | (state["event"] == _EVENT_EXIT) | (state["recorded_tier"] > 0)
    out = state[keep].reset_index().rename(columns={"index": "student_id"})

    top = max(policy["tiers"])
    tier_s = out["tier"].astype(int)
    exiting = tier_s == 0
    event = out["event"].astype("object")
    out["change"] = np.select(
        [exiting, event == _EVENT_START, event == _EVENT_UP, event == _EVENT_CONTINUE],
        [
            "can exit",
            "start tier 1",
            "move up to tier " + tier_s.astype("str"),
            "continue tier " + tier_s.astype("str"),
        ],
        default="stay in tier " + tier_s.astype("str"),
    )
    names_by_tier = {k: v["name"] for k, v in policy["tiers"].items()}
    out["tier_name"] = tier_s.map(names_by_tier).fillna("no tier").astype("str")
    actions = {k: "; ".join(v["actions"]) for k, v in policy["tiers"].items()}
    owners = {k: v["owner"] for k, v in policy["tiers"].items()}
    out["next_action"] = np.where(exiting, policy["exit_action"], tier_s.map(actions).fillna("").astype("str"))
    out["owner"] = np.where(exiting, "counselor and classroom teacher", tier_s.map(owners).fillna("").astype("str"))
    # nominal review date: the last decision + review_after_weeks (the first check on or after it decides)
    out["next_review"] = (out["review_due"] + pd.Timedelta(days=policy["grace_days"])).where(~exiting)
    in_support = out["episode_start"].notna()
    out["weeks_in_support"] = ((as_of_ts - out["episode_start"]).dt.days / 7).round(1).where(in_support)
    when = out["latest_check"].dt.strftime("%Y-%m-%d").fillna("")
    since_txt = out["since"].dt.strftime("%Y-%m-%d").fillna("")
    review_txt = out["next_review"].dt.strftime("%Y-%m-%d").fillna("")
    detail = out["latest_detail"].fillna("no check yet").astype("str")
    weeks = f"{policy['review_after_weeks']:g} weeks"
    change = out["change"]
    tier_txt = tier_s.astype("str")
    out["reason"] = np.select(
        [
            change == "start tier 1",
            change.str.startswith("move up"),
            exiting & (event == _EVENT_EXIT),
            exiting & out["since"].notna(),
            change.str.startswith("continue"),
            tier_s > 0,
        ],
        [
            "Below standard at the "
            + when
            + " check: "
            + detail
            + ". Starts tier 1; review on or after "
            + review_txt
            + ".",
            "Still below at the "
            + weeks
            + " review on "
            + when
            + ": "
            + detail
            + ". Moves up to tier "
            + tier_txt
            + "; review on or after "
            + review_txt
            + ".",
            "At the " + weeks + " review on " + when + ": " + detail + ". Can leave support.",
            "Left support by the rule at the review on "
            + since_txt
            + ", but interventions.csv still shows tier "
            + out["recorded_tier"].astype(int).astype("str")
            + " open (latest check "
            + when
            + ": "
            + detail
            + ").",
            "Still below at the "
            + weeks
            + " review on "
            + when
            + ": "
            + detail
            + ". Tier "
            + tier_txt
            + " continues; review on or after "
            + review_txt
            + ".",
            "In tier "
            + tier_txt
            + " since "
            + since_txt
            + "; latest check "
            + when
            + ": "
            + detail
            + ". Review on or after "
            + review_txt
            + ".",
        ],
        default="interventions.csv shows open support, but the rule finds no reason for it (latest check "
        + when
        + ": "
        + detail
        + ").",
    )
    out["reason"] = out["reason"].astype("str")
    out["matches_record"] = out["recorded_tier"] == tier_s
    rec = out["recorded_tier"].astype(int)
    rec_text = np.where(rec == 0, "no open support", "tier " + rec.astype("str"))
    rule_text = np.where(exiting, "exit", "tier " + tier_s.astype("str"))
    out["record_note"] = np.where(
        out["matches_record"],
        "",
        "interventions.csv shows "
        + pd.Series(rec_text, index=out.index)
        + (f" as of {as_of_ts:%Y-%m-%d}" if as_of_ts is not None else "")
        + "; the rule says "
        + pd.Series(rule_text, index=out.index)
        + ": update the record.",
    )
    out["record_note"] = out["record_note"].astype("str")

    placement = scope.student_sections()
    placement = placement[placement["student_id"].isin(out["student_id"])].merge(
        teacher_names(scope).rename("teacher").reset_index(), on="teacher_id", how="left"
    )

    by_student = placement.groupby("student_id")
    who = by_student.agg(school_id=("school_id", "first"))
    codes = by_student.ngroup()
    for name, column in (("team_ids", "team_id"), ("teachers", "teacher")):
        who[name] = joined_by_group(codes, placement[column], len(who), "; ", distinct_sorted=True)
    out = out.join(who, on="student_id")
    # guided study hall groups for the top tier, per school
    top_rows = out[tier_s == top].sort_values(["school_id", "student_id"])
    position = top_rows.groupby("school_id", dropna=False).cumcount()
    count = top_rows.groupby("school_id", dropna=False)["student_id"].transform("size")
    halls = np.ceil(count / policy["group_size"]).astype(int)
    number = position * halls // count + 1
    out["study_hall"] = pd.Series("", index=out.index, dtype="str")
    out.loc[top_rows.index, "study_hall"] = (
        "study hall " + number.astype("str") + " of " + halls.astype("str")
    ).to_numpy()
    out = out.sort_values(["tier", "change", "student_id"], ascending=[False, True, True], kind="stable")
    columns = [
        "student_id",
        "school_id",
        "team_ids",
        "teachers",
        "tier",
        "tier_name",
        "previous_tier",
        "change",
        "since",
        "episode_start",
        "weeks_in_support",
        "latest_check",
        "source",
        "latest_value",
        "reason",
        "next_review",
        "next_action",
        "owner",
        "study_hall",
        "recorded_tier",
        "recorded_kind",
        "recorded_since",
        "matches_record",
        "record_note",
    ]
    out = out[columns].reset_index(drop=True)
    if show:
        out.insert(1, "student", out["student_id"].map(student_names(scope)).fillna("").astype("str"))
    return out


def tier_counts(
    dataset: Dataset,
    policy: str | Path | Mapping[str, Any] | None = None,
    as_of: str | pd.Timestamp | None = None,
    *,
    tiers: pd.DataFrame | None = None,
    audience: Audience = "auto",
    min_n: int = MIN_CELL,
    **filters: Any,
) -> pd.DataFrame:
    """Students per tier for each team and each school, with this check's moves.

    Parameters
    ----------
    dataset : Dataset
    policy, as_of
        See :func:`support_tiers`.
    tiers : DataFrame, optional
        A result of :func:`support_tiers` (computed otherwise).
    audience : {"auto", "team", "beyond_team"}
        Beyond the team (``"auto"``: when more than one team is counted),
        cells under ``min_n`` students are suppressed, with complementary
        suppression across the tiers of a team or school and across the
        teams of a school.
    min_n : int, default 10
    **filters
        Passed to :meth:`Dataset.filter`.

    Returns
    -------
    DataFrame
        One row per level × group × tier (0 = not in a tier), columns
        ``level`` (``"team"`` or ``"school"``), ``school_id, team_id`` (empty
        for school rows), ``name, tier, tier_name, n_students, n_moving_in``
        (students whose latest check moves them into this tier: starts,
        moves up, exits for tier 0), ``n_enrolled, share`` and ``audience``;
        beyond the team also ``n_students_shown, n_moving_in_shown,
        suppressed, suppression``.  A student in several teams counts in
        each team and once in the school.
    """
    policy = load_policy(policy)
    scope = dataset.filter(**filters) if filters else dataset
    if tiers is None:
        tiers = support_tiers(dataset, policy, as_of, names=False, **filters)
    placement = scope.student_sections()[["student_id", "team_id", "school_id"]].drop_duplicates()
    status = tiers.set_index("student_id")
    placement = placement.assign(
        tier=placement["student_id"].map(status["tier"]).fillna(0).astype(int),
        moving=placement["student_id"]
        .map(~status["change"].str.startswith(("stay", "continue")) & (status["tier"] != status["previous_tier"]))
        .fillna(False)
        .astype(bool),
    )
    levels = list(policy["tiers"])
    frames = []
    for level, keys in (("team", ["school_id", "team_id"]), ("school", ["school_id"])):
        units = placement.drop_duplicates(["student_id", *keys])
        grid = units[keys].drop_duplicates().merge(pd.DataFrame({"tier": [0, *levels]}), how="cross")
        counted = (
            units.groupby([*keys, "tier"])
            .agg(n_students=("student_id", "nunique"), n_moving_in=("moving", "sum"))
            .reset_index()
        )
        enrolled = units.groupby(keys)["student_id"].nunique().rename("n_enrolled").reset_index()
        table = grid.merge(counted, on=[*keys, "tier"], how="left").merge(enrolled, on=keys, how="left")
        table["level"] = level
        frames.append(table)
    out = pd.concat(frames, ignore_index=True)
    for c in ("n_students", "n_moving_in"):
        out[c] = out[c].fillna(0).astype("int64")
    out["share"] = out["n_students"] / out["n_enrolled"]
    team_names = scope.teams.set_index("team_id")["name"]
    school_names = scope.schools.set_index("school_id")["name"]
    out["name"] = np.where(out["level"] == "team", out["team_id"].map(team_names), out["school_id"].map(school_names))
    out["name"] = out["name"].astype("str")
    out["tier_name"] = out["tier"].map({0: "not in a tier", **{k: v["name"] for k, v in policy["tiers"].items()}})
    who = resolve_audience(scope, audience, team_ids=placement["team_id"].unique())
    out["audience"] = who
    out = out.sort_values(
        ["level", "school_id", "team_id", "tier"],
        ascending=[False, True, True, True],
        kind="stable",
        na_position="first",
    )
    columns = [
        "level",
        "school_id",
        "team_id",
        "name",
        "tier",
        "tier_name",
        "n_students",
        "n_moving_in",
        "n_enrolled",
        "share",
        "audience",
    ]
    out = out[columns].reset_index(drop=True)
    if who == "beyond_team":
        out = suppress_small_cells(
            out,
            ["n_students", "n_moving_in"],
            min_n,
            within_row=False,
            families=[["level", "school_id", "team_id"], ["level", "school_id", "tier"]],
            value_columns={"n_students": ["share"], "n_moving_in": []},
        )
    return out
