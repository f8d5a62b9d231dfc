"""Plots of SMART goals: one goal's progress against its target, or a grid of every goal.

They take :func:`~plc_analysis.goal_progress` and :func:`~plc_analysis.goal_series`;
:func:`plot_goal` draws on ``ax`` (new when None) and returns it, :func:`plot_goals`
returns its Figure; neither calls ``plt.show()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from .plot_style import (
    OKABE_ITO,
    STATUS_COLORS,
    new_axes,
    wrap_label,
)

__all__ = [
    "plot_goal",
    "plot_goals",
]


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
    ax = new_axes(ax, (7, 4))
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
    ax.set_title(wrap_label(f"{goal['goal_id']}: {str(goal['status']).upper()} — {goal['statement']}", 80), fontsize=9)
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
