"""Plots for the response to students in difficulty, goals, equity and curriculum coverage.

Every function takes the tidy table computed by :mod:`plc_analysis.support`,
:mod:`~plc_analysis.tiers`, :mod:`~plc_analysis.goals`,
:mod:`~plc_analysis.equity` or :mod:`~plc_analysis.curriculum`, draws on
``ax`` (a new figure, with constrained layout, when None) and returns the
Axes (:func:`plot_goals`, a grid, returns its Figure); none calls
``plt.show()``.  Colours come from the Okabe–Ito palette, which readers with
the common colour-vision deficiencies can tell apart; ordered categories
(proficiency levels, tiers) also differ in lightness or hatching so they
survive greyscale printing.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import PercentFormatter

from .text_format import percent_text

__all__ = [
    "OKABE_ITO",
    "PROFICIENCY_COLORS",
    "TIER_COLORS",
    "STATUS_COLORS",
    "plot_support_groups",
    "plot_tiers",
    "plot_intervention_effectiveness",
    "plot_goal",
    "plot_goals",
    "plot_subgroup_gaps",
    "plot_coverage",
]

#: The Okabe–Ito colour-blind-safe palette.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
    "black": "#000000",
    "grey": "#999999",
}
#: Proficiency levels, ordered from furthest below to proficient.
PROFICIENCY_COLORS = {
    "below": OKABE_ITO["vermillion"],
    "approaching": OKABE_ITO["orange"],
    "proficient": OKABE_ITO["blue"],
}
#: Tiers of support (0 = none), ordered by intensity; hatches add a second cue.
TIER_COLORS = {0: "#DDDDDD", 1: OKABE_ITO["sky blue"], 2: OKABE_ITO["orange"], 3: OKABE_ITO["vermillion"]}
TIER_HATCHES = {0: "", 1: "", 2: "//", 3: "xx"}
#: Goal statuses.
STATUS_COLORS = {
    "met": OKABE_ITO["blue"],
    "on track": OKABE_ITO["bluish green"],
    "at risk": OKABE_ITO["orange"],
    "off track": OKABE_ITO["vermillion"],
    "not enough data": OKABE_ITO["grey"],
}
_SIGNAL_COLORS = {
    "lower than the rest": OKABE_ITO["vermillion"],
    "higher than the rest": OKABE_ITO["blue"],
    "no clear difference": "#555555",
    "too few students": OKABE_ITO["grey"],
}


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _wrap(text: object, width: int = 38) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def _empty(ax: Axes, message: str) -> Axes:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="#555555")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def plot_support_groups(
    groups: pd.DataFrame, ax: Axes | None = None, *, team_id: str | None = None, top: int | None = 12
) -> Axes:
    """Students needing reteaching per skill, split into the support groups.

    Parameters
    ----------
    groups : DataFrame
        A result of :func:`~plc_analysis.support_groups`.
    ax : Axes, optional
    team_id : str, optional
        Only this team (default: all rows; skills are labelled by description).
    top : int or None, default 12
        Show the skills with most students first, at most this many.

    Returns
    -------
    Axes
    """
    frame = groups if team_id is None else groups[groups["team_id"] == team_id]
    skills = frame.drop_duplicates(["team_id", "skill_id"]).sort_values(
        "n_students_skill", ascending=False, kind="stable"
    )
    if top is not None:
        skills = skills.head(top)
    ax = _axes(ax, (8, 0.55 * max(len(skills), 2) + 1.2))
    if skills.empty:
        return _empty(ax, "No student is below the cut on an essential skill")
    y = np.arange(len(skills))[::-1]
    position = dict(zip(zip(skills["team_id"], skills["skill_id"]), y))
    shades = [PROFICIENCY_COLORS["below"], OKABE_ITO["orange"]]
    for row in frame.sort_values("group_number").itertuples(index=False):
        key = (row.team_id, row.skill_id)
        if key not in position:
            continue
        left = frame[
            (frame["team_id"] == row.team_id)
            & (frame["skill_id"] == row.skill_id)
            & (frame["group_number"] < row.group_number)
        ]["n_students"].sum()
        ax.barh(
            position[key],
            row.n_students,
            left=left,
            color=shades[(row.group_number - 1) % 2],
            edgecolor="white",
            linewidth=1.5,
            height=0.7,
        )
    for row in skills.itertuples(index=False):
        ax.text(
            row.n_students_skill + 0.3,
            position[(row.team_id, row.skill_id)],
            f"{row.n_students_skill} students, {row.n_sections_skill} classes, {row.n_groups} group"
            f"{'s' if row.n_groups != 1 else ''}",
            va="center",
            fontsize=8,
        )
    ax.set_yticks(y)
    ax.set_yticklabels([_wrap(d, 42) for d in skills["description"]], fontsize=8)
    ax.set_xlabel("students below the cut (each block is one support group)")
    ax.set_xlim(0, skills["n_students_skill"].max() * 1.45 + 1)
    ax.set_title("Who needs reteaching on which essential skill")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_tiers(counts: pd.DataFrame, ax: Axes | None = None, *, level: str = "team") -> Axes:
    """Students in each tier of support, per team (or school), stacked.

    Parameters
    ----------
    counts : DataFrame
        A result of :func:`~plc_analysis.tier_counts`.
    ax : Axes, optional
    level : {"team", "school"}

    Returns
    -------
    Axes
        Suppressed counts (fewer than 10 students) are left out of the bars
        and flagged in the labels.
    """
    frame = counts[(counts["level"] == level) & (counts["tier"] > 0)]
    groups = frame.drop_duplicates("name")["name"].tolist()
    ax = _axes(ax, (8, 0.6 * max(len(groups), 2) + 1.4))
    if not groups:
        return _empty(ax, "No tier counts")
    y = dict(zip(groups, np.arange(len(groups))[::-1]))
    left = dict.fromkeys(groups, 0.0)
    hidden = set()
    for tier in sorted(frame["tier"].unique()):
        part = frame[frame["tier"] == tier]
        values = pd.to_numeric(part["n_students"], errors="coerce")
        for name, value in zip(part["name"], values):
            if pd.isna(value):
                hidden.add(name)
                continue
            ax.barh(
                y[name],
                value,
                left=left[name],
                color=TIER_COLORS.get(int(tier), OKABE_ITO["grey"]),
                hatch=TIER_HATCHES.get(int(tier), ""),
                edgecolor="white",
                height=0.7,
            )
            if value > 0:
                ax.text(left[name] + value / 2, y[name], f"{int(value)}", ha="center", va="center", fontsize=8)
            left[name] += value
    ax.set_yticks(list(y.values()))
    ax.set_yticklabels([f"{n}\n(some counts: fewer than 10)" if n in hidden else n for n in y], fontsize=8)
    names = frame.drop_duplicates("tier").set_index("tier")["tier_name"]
    ax.legend(
        handles=[
            Patch(
                facecolor=TIER_COLORS.get(int(t), OKABE_ITO["grey"]),
                hatch=TIER_HATCHES.get(int(t), ""),
                edgecolor="white",
                label=_wrap(names[t], 45),
            )
            for t in names.index
        ],
        fontsize=7,
        loc="lower right",
        frameon=False,
    )
    ax.set_xlabel("students")
    ax.set_title("Students in each tier of support")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_intervention_effectiveness(effect: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Share meeting the standard before and after each kind of support, with intervals.

    Parameters
    ----------
    effect : DataFrame
        A result of :func:`~plc_analysis.intervention_effectiveness`.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    frame = effect[effect["n_measured"] > 0].reset_index(drop=True)
    ax = _axes(ax, (8, 0.6 * max(len(frame), 2) + 1.2))
    if frame.empty:
        return _empty(ax, "No intervention with evidence before and after")
    labels = [
        f"{r.kind} (tier {r.tier}), n = {r.n_measured}" if "tier" in frame.columns else f"{r.kind}, n = {r.n_measured}"
        for r in frame.itertuples(index=False)
    ]
    y = np.arange(len(frame))[::-1]
    ax.hlines(y, frame["share_before"], frame["share_after"], color="#999999", linewidth=2)
    ax.errorbar(
        frame["share_before"],
        y,
        xerr=[frame["share_before"] - frame["before_ci_low"], frame["before_ci_high"] - frame["share_before"]],
        fmt="o",
        mfc="white",
        color=PROFICIENCY_COLORS["below"],
        label="before",
        capsize=3,
    )
    ax.errorbar(
        frame["share_after"],
        y,
        xerr=[frame["share_after"] - frame["after_ci_low"], frame["after_ci_high"] - frame["share_after"]],
        fmt="o",
        color=PROFICIENCY_COLORS["proficient"],
        label="after",
        capsize=3,
    )
    ax.set_yticks(y)
    ax.set_yticklabels([_wrap(label, 40) for label in labels], fontsize=8)
    ax.set_xlim(-0.02, 1.02)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("share meeting the standard (95% interval)")
    ax.legend(frameon=False, fontsize=8)
    ax.set_title("Did the support work?")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_goal(goal: pd.Series | pd.DataFrame, series: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """One SMART goal: baseline, target line, actual points and the projection to the due date.

    Parameters
    ----------
    goal : Series or one-row DataFrame
        A row of :func:`~plc_analysis.goal_progress`.
    series : DataFrame
        :func:`~plc_analysis.goal_series` (rows of other goals are ignored).
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    if isinstance(goal, pd.DataFrame):
        if len(goal) != 1:
            raise ValueError("plot_goal draws one goal: pass one row of goal_progress")
        goal = goal.iloc[0]
    ax = _axes(ax, (7, 4))
    points = series[series["goal_id"] == goal["goal_id"]].sort_values("date")
    colour = STATUS_COLORS.get(str(goal["status"]), OKABE_ITO["grey"])
    start, due = pd.Timestamp(goal["start_date"]), pd.Timestamp(goal["due_date"])
    ax.plot(
        [start, due],
        [goal["baseline"], goal["target"]],
        linestyle=":",
        color="#555555",
        linewidth=1.2,
        label="pace needed",
    )
    ax.axhline(goal["target"], linestyle="--", color=OKABE_ITO["black"], linewidth=1, label="target")
    ax.plot(
        [start],
        [goal["baseline"]],
        marker="s",
        mfc="white",
        color="#555555",
        linestyle="none",
        markersize=7,
        label="baseline",
    )
    if len(points):
        ax.plot(points["date"], points["value"], marker="o", color=colour, linewidth=1.5, label="actual")
    if pd.notna(goal.get("projected")) and pd.notna(goal.get("current_date")):
        ax.plot(
            [pd.Timestamp(goal["current_date"]), due],
            [goal["current"], goal["projected"]],
            linestyle="--",
            color=colour,
            linewidth=1.2,
            label="projection",
        )
        ax.plot([due], [goal["projected"]], marker="o", mfc="white", color=colour, linestyle="none")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    values = pd.concat([points["value"], pd.Series([goal["baseline"], goal["target"], goal.get("projected")])])
    values = values.dropna()
    low, high = float(values.min()), float(values.max())
    pad = max(0.05, (high - low) * 0.15)
    ax.set_ylim(max(0.0, low - pad), min(1.0, high + pad))
    ax.set_xlim(start - pd.Timedelta(days=7), due + pd.Timedelta(days=7))
    ax.set_title(_wrap(f"{goal['goal_id']}: {str(goal['status']).upper()} — {goal['statement']}", 80), fontsize=9)
    ax.legend(fontsize=7, frameon=False, loc="best")
    ax.figure.autofmt_xdate()
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_goals(progress: pd.DataFrame, series: pd.DataFrame) -> Figure:
    """Every goal of ``progress`` in a grid of :func:`plot_goal` panels, two a row.

    Parameters
    ----------
    progress : DataFrame
        :func:`~plc_analysis.goal_progress` (one panel per row; not empty).
    series : DataFrame
        :func:`~plc_analysis.goal_series`.

    Returns
    -------
    Figure
    """
    if progress.empty:
        raise ValueError("plot_goals needs at least one goal")
    cols = min(len(progress), 2)
    rows = -(-len(progress) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.5 * cols, 3.8 * rows), layout="constrained", squeeze=False)
    for ax, (_, goal) in zip(axes.flat, progress.iterrows()):
        plot_goal(goal, series, ax=ax)
    for ax in list(axes.flat)[len(progress) :]:
        ax.set_visible(False)
    return fig


def plot_subgroup_gaps(
    gaps: pd.DataFrame, ax: Axes | None = None, *, label_columns: list[str] | None = None, top: int | None = 30
) -> Axes:
    """Gap between each subgroup and the rest (share in − share of the rest), with intervals.

    Parameters
    ----------
    gaps : DataFrame
        A result of :func:`~plc_analysis.subgroup_gaps`.  Suppressed rows are
        drawn as the words "fewer than 10" instead of a point.
    ax : Axes, optional
    label_columns : list of str, optional
        Columns naming each row (default: ``skill_id`` when present, the
        group columns and ``group``).
    top : int or None, default 30
        At most this many rows.

    Returns
    -------
    Axes
    """
    frame = gaps.reset_index(drop=True)
    if top is not None:
        frame = frame.head(top)
    if label_columns is None:
        label_columns = [c for c in ("team_id", "school_id", "teacher_id", "skill_id") if c in frame.columns]
        label_columns.append("group")
    ax = _axes(ax, (8, 0.35 * max(len(frame), 3) + 1.2))
    if frame.empty:
        return _empty(ax, "No subgroup comparison")
    labels = frame[label_columns].astype("str").agg(" · ".join, axis=1)
    y = np.arange(len(frame))[::-1]
    suppressed = (
        frame["suppressed"].astype(bool) if "suppressed" in frame.columns else pd.Series(False, index=frame.index)
    )
    gap = pd.to_numeric(frame["gap"], errors="coerce")
    low = pd.to_numeric(frame["ci_low"], errors="coerce")
    high = pd.to_numeric(frame["ci_high"], errors="coerce")
    ax.axvline(0, color="#555555", linewidth=1)
    for i, row in frame.iterrows():
        if suppressed[i] or pd.isna(gap[i]):
            ax.text(
                0,
                y[i],
                "fewer than 10" if suppressed[i] else "no data",
                ha="center",
                va="center",
                fontsize=7,
                color="#555555",
                bbox=dict(facecolor="white", edgecolor="none", pad=0.5),
            )
            continue
        colour = _SIGNAL_COLORS.get(str(row["signal"]), "#555555")
        ax.errorbar(
            gap[i], y[i], xerr=[[gap[i] - low[i]], [high[i] - gap[i]]], fmt="o", color=colour, capsize=2, markersize=4
        )
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=7)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("subgroup share minus the rest (95% interval)")
    ax.legend(
        handles=[Patch(color=c, label=s) for s, c in _SIGNAL_COLORS.items()],
        fontsize=7,
        frameon=False,
        loc="lower right",
    )
    ax.set_title("Gaps between each subgroup and the rest")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_coverage(
    matrix: pd.DataFrame, ax: Axes | None = None, *, team_id: str | None = None, cmap: str = "cividis"
) -> Axes:
    """Teacher × skill grid: share proficient where assessed, gaps marked where intended but never assessed.

    Parameters
    ----------
    matrix : DataFrame
        A result of :func:`~plc_analysis.coverage_matrix`.
    ax : Axes, optional
    team_id : str, optional
        The team to draw (required when the matrix holds several teams).
    cmap : str, default "cividis"
        A colour-blind-safe sequential colour map for the attained share.

    Returns
    -------
    Axes
    """
    teams = matrix["team_id"].unique()
    if team_id is None:
        if len(teams) != 1:
            raise ValueError("the coverage matrix holds several teams: pass team_id")
        team_id = teams[0]
    frame = matrix[matrix["team_id"] == team_id]
    skills = frame.drop_duplicates("skill_id").sort_values(["essential", "skill_id"], ascending=[False, True])
    teachers = frame.drop_duplicates("teacher_id").sort_values("teacher_id")
    ax = _axes(ax, (1.0 + 0.7 * max(len(skills), 3), 1.2 + 0.5 * max(len(teachers), 2)))
    if frame.empty:
        return _empty(ax, "No skills or teachers")
    share = frame.pivot_table(index="teacher_id", columns="skill_id", values="share_proficient", aggfunc="first")
    share = share.reindex(index=teachers["teacher_id"], columns=skills["skill_id"])
    status = frame.pivot_table(index="teacher_id", columns="skill_id", values="status", aggfunc="first")
    status = status.reindex(index=teachers["teacher_id"], columns=skills["skill_id"])
    image = ax.imshow(np.ma.masked_invalid(share.to_numpy(dtype=float)), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    for i in range(share.shape[0]):
        for j in range(share.shape[1]):
            value, state = share.iat[i, j], status.iat[i, j]
            if state == "intended, never assessed":
                ax.add_patch(
                    Rectangle(
                        (j - 0.5, i - 0.5),
                        1,
                        1,
                        facecolor="white",
                        edgecolor=OKABE_ITO["vermillion"],
                        hatch="xx",
                        linewidth=1.5,
                    )
                )
                ax.text(
                    j,
                    i,
                    "never\nassessed",
                    ha="center",
                    va="center",
                    fontsize=6,
                    color=OKABE_ITO["black"],
                    bbox=dict(facecolor="white", edgecolor="none", pad=0.3),
                )
            elif pd.notna(value):
                ax.text(
                    j,
                    i,
                    percent_text(value),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if value < 0.55 else "black",
                )
    ax.set_xticks(range(len(skills)))
    ax.set_xticklabels(
        [f"{s}{'' if e else ' (not essential)'}" for s, e in zip(skills["skill_id"], skills["essential"])],
        rotation=45,
        ha="right",
        fontsize=7,
    )
    ax.set_yticks(range(len(teachers)))
    ax.set_yticklabels(teachers["teacher"], fontsize=8)
    ax.figure.colorbar(
        image, ax=ax, fraction=0.03, pad=0.02, format=PercentFormatter(1.0), label="share proficient (attained)"
    )
    ax.set_title(f"{team_id}: intended, implemented and attained curriculum", fontsize=9)
    return ax
