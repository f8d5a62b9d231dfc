"""Each group's values joined into one text: the "who is in this group" columns of the support tables.

Internal API shared by :mod:`plc_analysis.support` and :mod:`plc_analysis.tiers`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["joined_by_group"]


def joined_by_group(
    codes: pd.Series, values: pd.Series, n_groups: int, sep: str, *, distinct_sorted: bool = False
) -> list[str]:
    """Each group's ``values`` as text joined by ``sep``: what ``groupby(...).agg`` with a joining lambda gives.

    One sort instead of a Python call per group.

    Parameters
    ----------
    codes : Series
        ``GroupBy.ngroup()`` of the rows (NaN for rows in no group).
    values : Series
        The values to join, aligned with ``codes``.
    n_groups : int
        How many groups (the length of the result).
    sep : str
    distinct_sorted : bool
        Missing values dropped, each value once, in sorted order; else every
        value in row order.

    Returns
    -------
    list of str
        One string per group, in group-number order (``""`` for a group with
        nothing to join).
    """
    frame = pd.DataFrame({"group": codes.to_numpy(dtype=float), "value": values.to_numpy()})
    frame = frame[frame["group"].notna()]
    if distinct_sorted:
        frame = frame[frame["value"].notna()]
    frame = frame.assign(value=frame["value"].astype("str"))
    if distinct_sorted:
        frame = frame.drop_duplicates().sort_values(["group", "value"], kind="stable")
    else:
        frame = frame.sort_values("group", kind="stable")
    group, text = frame["group"].to_numpy(dtype=np.int64), frame["value"].tolist()
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(group) else np.zeros(0, dtype=np.int64)
    ends = np.append(starts[1:], len(group))
    joined = [""] * n_groups
    for start, end in zip(starts.tolist(), ends.tolist()):
        joined[group[start]] = sep.join(text[start:end])
    return joined
