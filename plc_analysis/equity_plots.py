"""Plot of subgroup gaps: each subgroup's share against the rest, with its interval and signal.

Takes :func:`~plc_analysis.subgroup_gaps`; draws on ``ax`` (new when None) and
returns it; never calls ``plt.show()``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from .plot_style import (
    GAP_SIGNAL_COLORS,
    empty_axes,
    new_axes,
)

__all__ = [
    "plot_subgroup_gaps",
]


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
    ax = new_axes(ax, (8, 0.35 * max(len(frame), 3) + 1.2))
    if frame.empty:
        return empty_axes(ax, "No subgroup comparison")
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
        colour = GAP_SIGNAL_COLORS.get(str(row["signal"]), "#555555")
        ax.errorbar(
            gap[i], y[i], xerr=[[gap[i] - low[i]], [high[i] - gap[i]]], fmt="o", color=colour, capsize=2, markersize=4
        )
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=7)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("subgroup share minus the rest (95% interval)")
    ax.legend(
        handles=[Patch(color=c, label=s) for s, c in GAP_SIGNAL_COLORS.items()],
        fontsize=7,
        frameon=False,
        loc="lower right",
    )
    ax.set_title("Gaps between each subgroup and the rest")
    ax.spines[["top", "right"]].set_visible(False)
    return ax
