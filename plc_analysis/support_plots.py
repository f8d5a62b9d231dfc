"""Plots of the response to students in difficulty: support groups, tiers, and whether the support worked.

Every function takes the tidy table computed by :mod:`plc_analysis.support` or
:mod:`~plc_analysis.tiers`, draws on ``ax`` (a new figure, with constrained
layout, when None) and returns the Axes; none calls ``plt.show()``.  Colours:
:mod:`plc_analysis.plot_style` (re-exported here).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from .plot_style import (
    OKABE_ITO,
    PROFICIENCY_COLORS,
    STATUS_COLORS,
    TIER_COLORS,
    TIER_HATCHES,
    empty_axes,
    new_axes,
    wrap_label,
)

__all__ = [
    "OKABE_ITO",
    "PROFICIENCY_COLORS",
    "TIER_COLORS",
    "STATUS_COLORS",
    "plot_support_groups",
    "plot_tiers",
    "plot_intervention_effectiveness",
]


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
    ax = new_axes(ax, (8, 0.55 * max(len(skills), 2) + 1.2))
    if skills.empty:
        return empty_axes(ax, "No student is below the cut on an essential skill")
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
    ax.set_yticklabels([wrap_label(d, 42) for d in skills["description"]], fontsize=8)
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
    ax = new_axes(ax, (8, 0.6 * max(len(groups), 2) + 1.4))
    if not groups:
        return empty_axes(ax, "No tier counts")
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
                label=wrap_label(names[t], 45),
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
    ax = new_axes(ax, (8, 0.6 * max(len(frame), 2) + 1.2))
    if frame.empty:
        return empty_axes(ax, "No intervention with evidence before and after")
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
    ax.set_yticklabels([wrap_label(label, 40) for label in labels], fontsize=8)
    ax.set_xlim(-0.02, 1.02)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("share meeting the standard (95% interval)")
    ax.legend(frameon=False, fontsize=8)
    ax.set_title("Did the support work?")
    ax.spines[["top", "right"]].set_visible(False)
    return ax
