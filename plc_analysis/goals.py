"""SMART goals tracked from baseline to target, with the pace and a projection.

DuFour's results-oriented team sets goals such as "increase the percentage of
students who meet the state standard in language arts from 83 percent to 90
percent" or "reduce the failure rate in our course by 50 percent", then
provides periodic evidence of progress.  :func:`goal_series` computes a goal's
metric at every assessment date (or progress report) since its start;
:func:`goal_progress` compares the latest value with the target, the pace
needed with the pace achieved, projects the value at the due date and says
plainly whether the goal is met, on track, at risk or off track.

Metrics (``goals.csv`` ``metric``), all shares 0–1:

* ``share_proficient`` — share of the students present whose score on the
  assessment's items of ``skill_id`` is at or above the skill's cut (without a
  skill: proficient on every skill of the assessment);
* ``share_passing`` — share of the students present whose percent score on the
  whole assessment is at least ``passing`` (default 0.70, "meets the
  standard"); on progress reports, a grade at or above ``failing_percent``;
* ``failure_rate`` — on progress reports, the share of the team's enrollments
  with a grade below ``failing_percent`` (default 60); on assessments, the
  share below ``passing``;
* ``mean_percent`` — the mean percent score (or progress grade) / 100.

An ``assessment_kind`` or ``skill_id`` on the goal means assessments (of that
kind; otherwise every kind but reassessments, which only some students sit);
otherwise ``failure_rate``, ``share_passing`` and ``mean_percent`` use the
team's progress reports when it has any.  ``subgroup`` restricts the students
to a subgroup: a true/false column of ``students.csv`` (``"ell"``) or
``"column=value"`` for a text column.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from .dataset import Dataset
from .equity import MIN_CELL, Audience, resolve_audience
from .proficiency import skill_evidence
from .rules import TOLERANCE
from .support import latest_data_date
from .text_format import percent_text

__all__ = [
    "goal_series",
    "goal_progress",
    "GOAL_STATUSES",
    "PASSING",
    "FAILING_PERCENT",
]

#: Statuses of :func:`goal_progress`, best first.
GOAL_STATUSES: tuple[str, ...] = ("met", "on track", "at risk", "off track", "not enough data")
#: Whole-assessment percent score (0–1) that meets the standard.
PASSING = 0.70
#: Progress-report grade (percent) below which a student is failing.
FAILING_PERCENT = 60.0
_SERIES_COLUMNS = [
    "goal_id",
    "team_id",
    "metric",
    "date",
    "source",
    "assessment_id",
    "title",
    "n_students",
    "n_counted",
    "value",
]


def _subgroup_members(dataset: Dataset, subgroup: object) -> pd.Index | None:
    if subgroup is None or pd.isna(subgroup) or str(subgroup).strip() == "":
        return None
    text = str(subgroup).strip()
    students = dataset.students
    if "=" in text:
        column, value = (part.strip() for part in text.split("=", 1))
    else:
        column, value = text, None
    if column not in students.columns:
        raise ValueError(
            f"goal subgroup {text!r}: no column {column!r} in students.csv "
            f"(found: {', '.join(dataset.subgroup_columns) or 'none'})"
        )
    values = students[column]
    if value is None:
        if not (pd.api.types.is_bool_dtype(values) or str(values.dtype) == "boolean"):
            raise ValueError(f"goal subgroup {text!r}: {column!r} is not a true/false column; write '{column}=<value>'")
        mask = values.fillna(False).astype(bool)
    else:
        mask = values.astype("str").str.strip().str.casefold() == value.casefold()
    return pd.Index(students.loc[mask.to_numpy(), "student_id"])


def _assessment_percent(dataset: Dataset) -> pd.DataFrame:
    """Whole-assessment percent score (0–1) per student present, not attempted = 0."""
    r = dataset.responses()
    earned = r.groupby(["student_id", "assessment_id"], sort=False)["earned"].sum().rename("earned").reset_index()
    possible = dataset.items.groupby("assessment_id")["max_points"].sum().rename("possible")
    earned["percent"] = earned["earned"] / earned["assessment_id"].map(possible)
    return earned


def goal_series(
    dataset: Dataset,
    goal_id: str | list[str] | None = None,
    *,
    passing: float = PASSING,
    failing_percent: float = FAILING_PERCENT,
    as_of: str | pd.Timestamp | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """Each goal's metric at every assessment date (or progress report) from its start.

    Parameters
    ----------
    dataset : Dataset
    goal_id : str or list of str, optional
        Only these goals (default: every goal of the dataset).
    passing : float, default 0.70
        Whole-assessment percent score (0–1) that meets the standard.
    failing_percent : float, default 60
        Progress-report grade below which a student is failing.
    as_of : date, optional
        Ignore data after this date (default: none ignored).
    **filters
        Passed to :meth:`Dataset.filter` (e.g. ``team_id``).

    Returns
    -------
    DataFrame
        One row per goal × data point between ``start_date`` and
        ``due_date``, in date order, columns ``goal_id, team_id, metric,
        date, source`` (``"assessment"`` or ``"progress report"``),
        ``assessment_id, title`` (missing for progress reports),
        ``n_students`` (students present, or enrollments reported),
        ``n_counted`` (students meeting the metric's condition; missing for
        ``mean_percent``), ``value`` (0–1).
    """
    if filters:
        dataset = dataset.filter(**filters)
    goals = dataset.goals
    if goal_id is not None:
        wanted = [goal_id] if isinstance(goal_id, str) else list(goal_id)
        unknown = sorted(set(wanted) - set(goals["goal_id"]))
        if unknown:
            raise ValueError(f"no goal {', '.join(unknown)} in this dataset")
        goals = goals[goals["goal_id"].isin(wanted)]
    end = pd.Timestamp(as_of) if as_of is not None else None
    cache: dict[str, pd.DataFrame] = {}

    def evidence() -> pd.DataFrame:
        if "evidence" not in cache:
            cache["evidence"] = skill_evidence(dataset)
        return cache["evidence"]

    def percent() -> pd.DataFrame:
        if "percent" not in cache:
            cache["percent"] = _assessment_percent(dataset)
        return cache["percent"]

    sections = dataset.sections[["section_id", "team_id"]]
    titles = dataset.assessments.set_index("assessment_id")["title"]
    frames = []
    # goals are few and each defines its own population and source: one pass per goal
    for goal in goals.itertuples(index=False):
        stop = goal.due_date if end is None else min(goal.due_date, end)
        members = _subgroup_members(dataset, goal.subgroup)
        metric = str(goal.metric)
        kind = None if pd.isna(goal.assessment_kind) else str(goal.assessment_kind)
        skill = None if pd.isna(goal.skill_id) else str(goal.skill_id)
        team_sections = sections.loc[sections["team_id"] == goal.team_id, "section_id"]
        progress = dataset.progress[dataset.progress["section_id"].isin(team_sections)]
        use_progress = kind is None and skill is None and metric != "share_proficient" and not progress.empty
        if use_progress:
            rows = progress[(progress["period_end"] >= goal.start_date) & (progress["period_end"] <= stop)]
            if members is not None:
                rows = rows[rows["student_id"].isin(members)]
            if rows.empty:
                continue
            grade = rows["percent"]
            counted = {
                "failure_rate": grade < failing_percent,
                "share_passing": grade >= failing_percent,
                "mean_percent": grade / 100.0,
            }[metric]
            per = (
                rows.assign(_c=counted.astype("float64"))
                .groupby("period_end")
                .agg(n_students=("student_id", "size"), n_counted=("_c", "sum"), value=("_c", "mean"))
                .reset_index()
                .rename(columns={"period_end": "date"})
            )
            per["source"] = "progress report"
            per["assessment_id"] = pd.Series(pd.NA, index=per.index, dtype="str")
        else:
            a = dataset.assessments
            a = a[(a["team_id"] == goal.team_id) & (a["date"] >= goal.start_date) & (a["date"] <= stop)]
            a = a[a["kind"].astype("str") == kind] if kind is not None else a[a["kind"].astype("str") != "reassessment"]
            if metric == "share_proficient":
                ev = evidence()
                ev = ev[ev["assessment_id"].isin(a["assessment_id"])]
                if skill is not None:
                    ev = ev[ev["skill_id"] == skill]
                ev = ev.assign(_ok=ev["score"] >= ev["proficiency_cut"] - TOLERANCE)
                units = ev.groupby(["assessment_id", "student_id"], sort=False)["_ok"].all().reset_index()
            else:
                units = percent()
                units = units[units["assessment_id"].isin(a["assessment_id"])]
                units = units.assign(
                    _ok={
                        "share_passing": units["percent"] >= passing - TOLERANCE,
                        "failure_rate": units["percent"] < passing - TOLERANCE,
                        "mean_percent": units["percent"],
                    }[metric]
                )
            if members is not None:
                units = units[units["student_id"].isin(members)]
            if units.empty:
                continue
            per = (
                units.assign(_c=units["_ok"].astype("float64"))
                .groupby("assessment_id")
                .agg(n_students=("student_id", "nunique"), n_counted=("_c", "sum"), value=("_c", "mean"))
                .reset_index()
            )
            per["date"] = per["assessment_id"].map(a.set_index("assessment_id")["date"])
            per["source"] = "assessment"
        if metric == "mean_percent":
            per["n_counted"] = np.nan
        per["goal_id"] = goal.goal_id
        per["team_id"] = goal.team_id
        per["metric"] = metric
        frames.append(per)
    if not frames:
        types = {"date": "datetime64[ns]", "n_students": "int64", "n_counted": "float64", "value": "float64"}
        return pd.DataFrame({c: pd.Series(dtype=types.get(c, "str")) for c in _SERIES_COLUMNS})
    series = pd.concat(frames, ignore_index=True)
    series["title"] = series["assessment_id"].map(titles)
    series["n_students"] = series["n_students"].astype("int64")
    series = series.sort_values(["goal_id", "date", "assessment_id"], kind="stable")
    return series[_SERIES_COLUMNS].reset_index(drop=True)


def goal_progress(
    dataset: Dataset,
    as_of: str | pd.Timestamp | None = None,
    *,
    method: Literal["linear", "trend"] = "linear",
    passing: float = PASSING,
    failing_percent: float = FAILING_PERCENT,
    at_risk_within: float = 0.05,
    min_points: int = 3,
    series: pd.DataFrame | None = None,
    audience: Audience = "auto",
    min_n: int = MIN_CELL,
    **filters: Any,
) -> pd.DataFrame:
    """Where each SMART goal stands: baseline, target, current, pace, projection and status.

    Parameters
    ----------
    dataset : Dataset
    as_of : date, optional
        Judge with the data up to this date (default: the latest data date
        in the dataset: the latest assessment or progress report).
    method : {"linear", "trend"}
        How the pace is measured.  ``"linear"`` (default): the straight line
        from the baseline at ``start_date`` through the current value at its
        date.  ``"trend"``: the least-squares line through every data point
        since the start (needs ``min_points`` points).
    passing, failing_percent
        See :func:`goal_series`.
    at_risk_within : float, default 0.05
        A goal not met and not projected to reach its target is ``"at risk"``
        when the projection falls short by no more than this (5 percentage
        points), ``"off track"`` beyond.
    min_points : int, default 3
        Fewest data points for ``method="trend"``.
    series : DataFrame, optional
        A result of :func:`goal_series` (computed otherwise).
    audience : {"auto", "team", "beyond_team"}
        Beyond the team (``"auto"``: when goals of several teams are
        listed), a goal whose current value rests on fewer than ``min_n``
        students (a small subgroup) has its values hidden and its summary
        says so; the status stays.
    min_n : int, default 10
    **filters
        Passed to :meth:`Dataset.filter`.

    Returns
    -------
    DataFrame
        One row per goal, columns ``goal_id, team_id, statement, metric,
        skill_id, assessment_kind, subgroup, direction`` (``"increase"`` or
        ``"decrease"``), ``baseline, target, start_date, due_date, as_of,
        current, current_date, n_students`` (behind the current value),
        ``n_points, method, required_pace`` and ``actual_pace`` (change per
        week, in share units: 0.01 = one percentage point a week),
        ``on_pace_value`` (where the straight path from baseline to target
        stands at the current date), ``projected`` (value at the due date,
        kept within 0–1),
        ``shortfall`` (how far the projection misses the target, 0 when it
        reaches it), ``status`` (``"met"``: the current value has reached the
        target; ``"on track"``: the projection reaches it; ``"at risk"``:
        misses by at most ``at_risk_within``; ``"off track"``; ``"not enough
        data"``: no data point since the start, or too few for a trend),
        ``summary`` (plain sentence) and ``audience``.
    """
    if method not in ("linear", "trend"):
        raise ValueError(f"method must be 'linear' or 'trend', not {method!r}")
    if filters:
        dataset = dataset.filter(**filters)
    as_of_ts = pd.Timestamp(as_of) if as_of is not None else latest_data_date(dataset)
    if series is None:
        series = goal_series(dataset, passing=passing, failing_percent=failing_percent, as_of=as_of_ts)
    elif as_of_ts is not None:
        series = series[series["date"] <= as_of_ts]
    columns = [
        "goal_id",
        "team_id",
        "statement",
        "metric",
        "skill_id",
        "assessment_kind",
        "subgroup",
        "direction",
        "baseline",
        "target",
        "start_date",
        "due_date",
        "as_of",
        "current",
        "current_date",
        "n_students",
        "n_points",
        "method",
        "required_pace",
        "actual_pace",
        "on_pace_value",
        "projected",
        "shortfall",
        "status",
        "summary",
        "audience",
    ]
    goals = dataset.goals.copy()
    if goals.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    goals["as_of"] = as_of_ts
    points = series.sort_values(["goal_id", "date"], kind="stable")
    last = points.drop_duplicates("goal_id", keep="last").set_index("goal_id")
    latest = last.reindex(goals["goal_id"])
    goals["current"] = latest["value"].astype("float64").to_numpy()
    goals["current_date"] = pd.to_datetime(latest["date"]).to_numpy()
    goals["n_students"] = latest["n_students"].astype("Int64").set_axis(goals.index)
    goals["n_points"] = goals["goal_id"].map(points.groupby("goal_id").size()).fillna(0).astype("int64")
    goals["method"] = method
    goals["direction"] = np.where(goals["target"] >= goals["baseline"], "increase", "decrease")
    up = goals["direction"] == "increase"
    span_weeks = (goals["due_date"] - goals["start_date"]).dt.days / 7
    goals["required_pace"] = (goals["target"] - goals["baseline"]) / span_weeks.where(span_weeks > 0)
    elapsed = (goals["current_date"] - goals["start_date"]).dt.days / 7
    remaining = ((goals["due_date"] - goals["current_date"]).dt.days / 7).clip(lower=0)
    goals["on_pace_value"] = goals["baseline"] + goals["required_pace"] * elapsed
    if method == "linear":
        goals["actual_pace"] = (goals["current"] - goals["baseline"]) / elapsed.where(elapsed > 0)
        goals["projected"] = goals["current"] + goals["actual_pace"].fillna(0.0) * remaining
        goals.loc[goals["current"].isna(), "projected"] = np.nan
        enough = goals["current"].notna()
    else:
        x = (points["date"] - points["goal_id"].map(goals.set_index("goal_id")["start_date"])).dt.days / 7
        fit = points.assign(_x=x, _y=points["value"])
        # least squares per goal from grouped sums (no per-row loop)
        sums = (
            fit.assign(_xx=fit["_x"] ** 2, _xy=fit["_x"] * fit["_y"])
            .groupby("goal_id")
            .agg(n=("_x", "size"), sx=("_x", "sum"), sy=("_y", "sum"), sxx=("_xx", "sum"), sxy=("_xy", "sum"))
        )
        denom = sums["n"] * sums["sxx"] - sums["sx"] ** 2
        slope = (sums["n"] * sums["sxy"] - sums["sx"] * sums["sy"]) / denom.where(denom.abs() > TOLERANCE)
        intercept = (sums["sy"] - slope * sums["sx"]) / sums["n"]
        ok = sums["n"] >= max(min_points, 2)
        goals["actual_pace"] = goals["goal_id"].map(slope.where(ok)).astype("float64")
        due_x = span_weeks
        goals["projected"] = goals["goal_id"].map(intercept.where(ok)).astype("float64") + goals["actual_pace"] * due_x
        enough = goals["actual_pace"].notna() & goals["current"].notna()
    # every metric is a share: a projection cannot leave [0, 1]
    goals["projected"] = goals["projected"].clip(0.0, 1.0).where(enough)
    sign = np.where(up, 1.0, -1.0)
    short = (sign * (goals["target"] - goals["projected"])).clip(lower=0)
    goals["shortfall"] = short.where(enough)
    has_current = goals["current"].notna()
    met = has_current & (sign * (goals["current"] - goals["target"]) >= -TOLERANCE)
    goals["status"] = np.select(
        [~has_current, met, ~enough, short <= TOLERANCE, short <= at_risk_within + TOLERANCE],
        ["not enough data", "met", "not enough data", "on track", "at risk"],
        default="off track",
    )
    goals["summary"] = _summaries(goals, series)
    who = resolve_audience(dataset, audience, team_ids=goals["team_id"].unique())
    goals["audience"] = who
    if who == "beyond_team":
        small = goals["n_students"].fillna(min_n).astype(int) < min_n
        for column in ("current", "n_students", "actual_pace", "on_pace_value", "projected", "shortfall"):
            goals[column] = goals[column].mask(small)
        goals["summary"] = goals["summary"].where(
            ~small,
            goals["status"].str.capitalize() + f": measured on fewer than {min_n} students (not shown "
            "beyond the team).",
        )
    out = goals[columns].copy()
    out["assessment_kind"] = out["assessment_kind"].astype("str").where(out["assessment_kind"].notna())
    out["metric"] = out["metric"].astype("str")
    return out.reset_index(drop=True)


_METRIC_WORDS = {
    "share_proficient": "of students proficient",
    "share_passing": "of students meeting the standard",
    "failure_rate": "of students failing",
    "mean_percent": "mean score",
}


def _summaries(goals: pd.DataFrame, series: pd.DataFrame) -> list[str]:
    # one sentence per goal (a handful of rows): formatted in Python for readable numbers
    out = []
    for g in goals.itertuples(index=False):
        words = _METRIC_WORDS.get(str(g.metric), str(g.metric))
        who = f" ({g.subgroup} students)" if isinstance(g.subgroup, str) and g.subgroup else ""
        due = f"{g.due_date:%Y-%m-%d}"
        if g.status == "not enough data" and not pd.isna(g.current):
            out.append(
                f"Not enough data for a trend: {percent_text(g.current, 1)} {words}{who} on "
                f"{g.current_date:%Y-%m-%d} from {g.n_points} data point(s) "
                f"(baseline {percent_text(g.baseline, 1)}, target {percent_text(g.target, 1)} by {due})."
            )
            continue
        if g.status == "not enough data":
            out.append(
                f"Not enough data yet: no {words}{who} measured since {g.start_date:%Y-%m-%d} "
                f"(baseline {percent_text(g.baseline, 1)}, target {percent_text(g.target, 1)} by {due})."
            )
            continue
        head = {"met": "Met", "on track": "On track", "at risk": "At risk", "off track": "Off track"}[g.status]
        pace = (
            ""
            if pd.isna(g.actual_pace)
            else f" Pace needed {100 * g.required_pace:+.2f} points a week; actual {100 * g.actual_pace:+.2f}."
        )
        projection = "" if pd.isna(g.projected) else f" Projected {percent_text(g.projected, 1)} at the due date."
        out.append(
            f"{head}: {percent_text(g.current, 1)} {words}{who} on {g.current_date:%Y-%m-%d} "
            f"(n = {g.n_students}); baseline {percent_text(g.baseline, 1)}, target {percent_text(g.target, 1)} by "
            f"{due}.{pace}{projection}"
        )
    return out
