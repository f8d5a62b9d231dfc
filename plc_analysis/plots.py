"""Figures for proficiency, comparisons and items (matplotlib; ``ax=None``; never ``plt.show()``).

Colours are Okabe–Ito, readable by colour-blind readers, and proficiency
levels always use the same three: below (vermillion), approaching (orange),
proficient (blue).  Every bar is labelled with counts so no colour carries
meaning alone.
"""

from __future__ import annotations

from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from .rules import TOLERANCE  # noqa: E402

__all__ = [
    "LEVEL_COLORS",
    "SIGNAL_COLORS",
    "level_of",
    "plot_proficiency",
    "plot_teacher_comparison",
    "plot_item_map",
    "plot_mastery_heatmap",
]

LEVEL_COLORS = {"below": "#D55E00", "approaching": "#E69F00", "proficient": "#0072B2", "no data": "#BBBBBB"}
SIGNAL_COLORS = {
    "stronger than team": "#009E73",
    "weaker than team": "#D55E00",
    "no clear difference": "#777777",
    "too few students": "#BBBBBB",
}


def level_of(share: pd.Series | np.ndarray, *, proficient: float = 0.8, approaching: float = 0.6) -> np.ndarray:
    """Proficiency level words for shares (or scores) 0–1: below / approaching / proficient / no data."""
    share = np.asarray(share, dtype=float)
    return np.select(
        [np.isnan(share), share >= proficient, share >= approaching],
        ["no data", "proficient", "approaching"],
        default="below",
    )


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _legend(ax: Axes, colours: dict[str, str], **kwargs: Any) -> None:
    ax.legend(handles=[Patch(color=c, label=k) for k, c in colours.items()], frameon=False, **kwargs)


def plot_proficiency(
    table: pd.DataFrame, ax: Axes | None = None, *, title: str | None = None, label: str = "description"
) -> Axes:
    """Share of students proficient per skill, with Wilson intervals and "x of n" labels.

    Parameters
    ----------
    table : DataFrame
        One row per skill, as from :func:`plc_analysis.proficiency_by_skill` with ``by="team"``
        (``share_proficient, ci_low, ci_high, n_proficient, n_assessed``, and ``essential``).
    ax : Axes, optional
    title : str, optional
    label : str
        Column naming each bar.

    Returns
    -------
    Axes
    """
    table = table.reset_index(drop=True)
    ax = _axes(ax, (8, 0.45 * len(table) + 1.2))
    y = np.arange(len(table))[::-1]
    share = table["share_proficient"].to_numpy(float)
    colours = [LEVEL_COLORS[level] for level in level_of(share)]
    ax.barh(y, np.nan_to_num(share), color=colours, height=0.7)
    err = np.vstack([share - table["ci_low"], table["ci_high"] - share])
    ax.errorbar(share, y, xerr=np.nan_to_num(err), fmt="none", ecolor="#333333", capsize=3, lw=1)
    names = table[label].astype(str)
    if "essential" in table:
        names = np.where(table["essential"], names + " ★", names)
    ax.set_yticks(y, names)
    for yi, s, x, n in zip(y, share, table["n_proficient"], table["n_assessed"]):
        ax.text(1.01, yi, f"{x} of {n}", va="center", fontsize=9, transform=ax.get_yaxis_transform())
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel("Students proficient (bar), 95% interval (line)")
    ax.set_title(title or "Proficiency by skill (★ essential)", loc="left")
    _legend(
        ax,
        {
            f"{k} (≥80%)" if k == "proficient" else (f"{k} (60–79%)" if k == "approaching" else f"{k} (<60%)"): v
            for k, v in LEVEL_COLORS.items()
            if k != "no data"
        },
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12 - 0.3 / max(len(table), 1)),
        ncols=3,
        fontsize=8,
    )
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_teacher_comparison(compared: pd.DataFrame, ax: Axes | None = None, *, title: str | None = None) -> Axes:
    """Each teacher minus the rest of the team, per skill: difference and 95% interval.

    Parameters
    ----------
    compared : DataFrame
        From :func:`plc_analysis.compare_to_team` (one team), columns
        ``description`` (or ``item_id``), ``teacher``, ``difference``, ``ci_low``, ``ci_high``, ``signal``.

    Returns
    -------
    Axes
    """
    frame = compared.reset_index(drop=True)
    what = frame["description"] if "description" in frame else frame["item_id"]
    labels = what.astype(str) + " — " + frame["teacher"].astype(str)
    ax = _axes(ax, (8, 0.3 * len(frame) + 1.2))
    y = np.arange(len(frame))[::-1]
    colours = [SIGNAL_COLORS.get(s, "#777777") for s in frame["signal"]]
    diff = frame["difference"].to_numpy(float)
    # one collection for all the intervals and one for all the points (two artists, not two per row)
    ax.hlines(y, frame["ci_low"].to_numpy(float), frame["ci_high"].to_numpy(float), colors=colours, lw=2)
    ax.scatter(diff, y, c=colours, s=36, zorder=3)
    ax.axvline(0, color="#333333", lw=1)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(-1, 1)
    ax.set_xticks([-1, -0.5, 0, 0.5, 1])  # the default eight labels run into each other at this width
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel("Teacher's share proficient minus the rest of the team (95% interval)")
    ax.set_title(title or "Each teacher against the rest of the team", loc="left")
    _legend(ax, SIGNAL_COLORS, loc="lower right", fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_item_map(items: pd.DataFrame, ax: Axes | None = None, *, title: str | None = None) -> Axes:
    """Difficulty against discrimination for each item; flagged items labelled.

    Parameters
    ----------
    items : DataFrame
        From :func:`plc_analysis.item_analysis`: ``item_id, difficulty, discrimination, flags``.

    Returns
    -------
    Axes
    """
    ax = _axes(ax, (7, 4.5))
    flagged = items["flags"].fillna("") != ""
    ax.axhspan(-1, 0, color="#D55E00", alpha=0.08)
    ax.axhline(0.2, color="#999999", lw=1, ls="--")
    ax.scatter(
        items.loc[~flagged, "difficulty"], items.loc[~flagged, "discrimination"], color="#0072B2", label="no flag", s=30
    )
    ax.scatter(
        items.loc[flagged, "difficulty"],
        items.loc[flagged, "discrimination"],
        color="#D55E00",
        marker="D",
        label="flagged",
        s=40,
    )
    for row in items[flagged].itertuples():
        ax.annotate(
            str(row.item_id),
            (row.difficulty, row.discrimination),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=8,
        )
    ax.set_xlim(0, 1.02)
    ax.set_ylim(min(-0.4, float(np.nanmin(items["discrimination"], initial=0)) - 0.05), 1)
    ax.set_xlabel("Difficulty (share of points earned; higher = easier)")
    ax.set_ylabel("Discrimination (item–rest r)")
    ax.set_title(title or "Items: difficulty and discrimination", loc="left")
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_mastery_heatmap(
    matrix: pd.DataFrame,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    label: str = "student",
    skill_names: dict[str, str] | None = None,
) -> Axes:
    """Student × skill grid coloured by level against each skill's cut.

    Parameters
    ----------
    matrix : DataFrame
        From :func:`plc_analysis.mastery_matrix` (``.attrs["cuts"]`` gives the skill columns and cuts).
    label : str
        Column naming each row (``"student"`` for names in a team's own report, else ``"student_id"``).
    skill_names : dict, optional
        Skill id → short label for the columns.

    Returns
    -------
    Axes
    """
    cuts = pd.Series(matrix.attrs["cuts"])
    scores = matrix[list(cuts.index)].to_numpy(float)
    approaching = cuts.to_numpy() - 0.2
    codes = np.where(
        np.isnan(scores), 0, np.where(scores >= cuts.to_numpy() - TOLERANCE, 3, np.where(scores >= approaching, 2, 1))
    )
    cmap = matplotlib.colors.ListedColormap(
        [LEVEL_COLORS[k] for k in ("no data", "below", "approaching", "proficient")]
    )
    ax = _axes(ax, (1.0 + 0.6 * len(cuts), 0.22 * len(matrix) + 1.5))
    ax.imshow(codes, aspect="auto", cmap=cmap, vmin=-0.5, vmax=3.5, interpolation="none")
    ax.set_xticks(
        range(len(cuts)), [(skill_names or {}).get(s, s) for s in cuts.index], rotation=45, ha="right", fontsize=8
    )
    ax.set_yticks(range(len(matrix)), matrix[label if label in matrix else "student_id"].astype(str), fontsize=7)
    ax.set_title(title or "Each student on each skill", loc="left")
    _legend(
        ax,
        {
            "proficient": LEVEL_COLORS["proficient"],
            "within 20 points of the cut": LEVEL_COLORS["approaching"],
            "below": LEVEL_COLORS["below"],
            "no evidence": LEVEL_COLORS["no data"],
        },
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        fontsize=8,
    )
    return ax
