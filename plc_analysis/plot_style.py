"""What every plot shares: the Okabe–Ito colours of levels, tiers, statuses and signals, and Axes helpers.

Colours come from the Okabe–Ito palette, which readers with the common
colour-vision deficiencies can tell apart; ordered categories (proficiency
levels, tiers) also differ in lightness or hatching so they survive greyscale
printing.  Internal helpers (:func:`new_axes`, :func:`wrap_label`,
:func:`empty_axes`) are shared by the plot modules.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

__all__ = [
    "OKABE_ITO",
    "PROFICIENCY_COLORS",
    "TIER_COLORS",
    "TIER_HATCHES",
    "STATUS_COLORS",
    "GAP_SIGNAL_COLORS",
    "new_axes",
    "wrap_label",
    "empty_axes",
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
#: Signals of a subgroup against the rest of the students.
GAP_SIGNAL_COLORS = {
    "lower than the rest": OKABE_ITO["vermillion"],
    "higher than the rest": OKABE_ITO["blue"],
    "no clear difference": "#555555",
    "too few students": OKABE_ITO["grey"],
}


def new_axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    """``ax``, or the Axes of a new figure of ``size`` inches with constrained layout."""
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def wrap_label(text: object, width: int = 38) -> str:
    """``text`` wrapped to lines of at most ``width`` characters (a long skill description as a tick label)."""
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def empty_axes(ax: Axes, message: str) -> Axes:
    """``ax`` with ``message`` in its middle and no ticks: what a plot of an empty table shows."""
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="#555555")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax
