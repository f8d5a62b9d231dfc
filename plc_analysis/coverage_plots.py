"""Plot of curriculum coverage: which essential skills each teacher's sections have been assessed on.

Takes :func:`~plc_analysis.coverage_matrix`; draws on ``ax`` (new when None) and
returns it; never calls ``plt.show()``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle
from matplotlib.ticker import PercentFormatter

from .plot_style import (
    OKABE_ITO,
    empty_axes,
    new_axes,
)
from .text_format import percent_text

__all__ = [
    "plot_coverage",
]


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
    ax = new_axes(ax, (1.0 + 0.7 * max(len(skills), 3), 1.2 + 0.5 * max(len(teachers), 2)))
    if frame.empty:
        return empty_axes(ax, "No skills or teachers")
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
