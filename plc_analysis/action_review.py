"""Did it work?  Each recorded action (``actions.csv``) against the evidence before and after it.

For every action:

* **its students** are those listed in ``student_ids``; a blank list means
  every student below the cut on the skill at the *before* evidence (for
  ``enrichment``: every student at or above it);
* **before** is the student's result on the skill on the action's
  ``assessment_id`` (the CFA the team decided after), else the latest evidence
  on the skill dated before ``start_date``;
* **after** is the result on ``reassess_assessment_id`` when the team named one,
  else the first evidence on the skill dated on or after ``start_date`` (a
  same-day reassessment first);
* **comparable students** are the team's other students below the cut on the
  same skill at the same *before* evidence who are in no action on that skill,
  measured the same way.

:func:`action_results` then counts, per action, the students below the cut
before who are proficient after ("moved to proficient"; for enrichment, the
students still proficient), with a Wilson interval, against the comparable
students, and gives a plain verdict:

* **worked**: at least ``worked`` (default 2/3) moved, and more than among
  comparable students (when there are any);
* **partly**: at least ``partly`` (default 1/3) moved, or more than among
  comparable students;
* **not yet**: fewer;
* **no evidence yet**: none of the action's students has a result after it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .rules import at_least, same_day_later
from .stats import wilson_interval
from .text_format import percent_text
from .validation import split_ids

__all__ = ["VERDICTS", "action_members", "action_outcomes", "action_results"]

#: The verdicts of :func:`action_results`, best first.
VERDICTS = ("worked", "partly", "not yet", "no evidence yet")

_OUTCOME_COLUMNS = [
    "action_id",
    "group",
    "student_id",
    "team_id",
    "skill_id",
    "kind",
    "owner_id",
    "before_assessment_id",
    "before_date",
    "before_score",
    "before_met",
    "after_assessment_id",
    "after_date",
    "after_score",
    "after_met",
    "measured",
    "moved",
    "teacher_id",
]


def _before(evidence: pd.DataFrame, action: pd.Series) -> pd.DataFrame:
    """Per student, the *before* result of ``action`` on its skill."""
    on_skill = evidence[evidence["skill_id"] == action["skill_id"]]
    if pd.notna(action["assessment_id"]):
        return on_skill[on_skill["assessment_id"] == action["assessment_id"]].drop_duplicates("student_id")
    earlier = on_skill[on_skill["date"] < action["start_date"]]
    return earlier.sort_values(["date", "_later", "assessment_id"], kind="stable").drop_duplicates(
        "student_id", keep="last"
    )


def _after(evidence: pd.DataFrame, action: pd.Series) -> pd.DataFrame:
    """Per student, the *after* result of ``action`` on its skill."""
    on_skill = evidence[evidence["skill_id"] == action["skill_id"]]
    if pd.notna(action["reassess_assessment_id"]):
        return on_skill[on_skill["assessment_id"] == action["reassess_assessment_id"]].drop_duplicates("student_id")
    later = on_skill[on_skill["date"] >= action["start_date"]]
    return later.sort_values(["date", "_later", "assessment_id"], ascending=[True, False, True], kind="stable")[
        lambda f: ~f["student_id"].duplicated()
    ]


def action_members(actions: pd.DataFrame, evidence: pd.DataFrame) -> pd.DataFrame:
    """The students of each action: listed, or (blank list) everyone below the cut at the *before* evidence.

    Parameters
    ----------
    actions : DataFrame
        Rows of ``actions.csv`` (:attr:`Dataset.actions`).
    evidence : DataFrame
        :func:`plc_analysis.skill_evidence` of the team (``student_id,
        skill_id, assessment_id, assessment_kind, date, score,
        proficiency_cut``).

    Returns
    -------
    DataFrame
        One row per action × student, columns ``action_id, student_id,
        listed`` (bool: named in ``student_ids`` rather than implied by a
        blank list).
    """
    ev = evidence.assign(_later=same_day_later(evidence["assessment_kind"].astype(str)))
    rows = []
    for _, action in actions.iterrows():
        listed = split_ids(action["student_ids"])
        if listed:
            rows += [(action["action_id"], s, True) for s in listed]
            continue
        before = _before(ev, action)
        met = at_least(before["score"], before["proficiency_cut"])
        chosen = before[met] if str(action["kind"]) == "enrichment" else before[~met]
        rows += [(action["action_id"], s, False) for s in sorted(chosen["student_id"])]
    return pd.DataFrame(rows, columns=["action_id", "student_id", "listed"])


def action_outcomes(
    actions: pd.DataFrame, evidence: pd.DataFrame, *, as_of: str | pd.Timestamp | None = None
) -> pd.DataFrame:
    """Each action's students, and comparable students, with their result before and after.

    Parameters
    ----------
    actions : DataFrame
        Rows of ``actions.csv`` of one team or several.
    evidence : DataFrame
        :func:`plc_analysis.skill_evidence` of the same team(s).
    as_of : date, optional
        Ignore evidence after this date (default: all).

    Returns
    -------
    DataFrame
        One row per action × student, columns ``action_id, group``
        (``"action"`` or ``"comparison"``), ``student_id, team_id,
        skill_id, kind, owner_id`` (the action's ``teacher_id``),
        ``before_assessment_id, before_date, before_score, before_met,
        after_assessment_id, after_date, after_score, after_met, measured``
        (a result both before and after), ``moved`` (below the cut before,
        proficient after; for enrichment: proficient before and after; NA
        when not measured), ``teacher_id`` (the student's teacher).
    """
    ev = evidence.assign(_later=same_day_later(evidence["assessment_kind"].astype(str)))
    if as_of is not None:
        ev = ev[ev["date"] <= pd.Timestamp(as_of)]
    members = action_members(actions, evidence if as_of is None else ev)
    in_skill = members.merge(actions[["action_id", "skill_id"]], on="action_id")
    busy = set(zip(in_skill["skill_id"], in_skill["student_id"]))
    parts = []
    for _, action in actions.iterrows():
        before = _before(ev, action)
        before = before.assign(before_met=at_least(before["score"], before["proficiency_cut"]).astype(bool))
        mine = set(members.loc[members["action_id"] == action["action_id"], "student_id"])
        enrichment = str(action["kind"]) == "enrichment"
        others = before[
            ~before["student_id"].isin(mine)
            & np.array([(action["skill_id"], s) not in busy for s in before["student_id"]], dtype=bool)
            & (before["before_met"] if enrichment else ~before["before_met"])
        ]
        after = _after(ev, action)
        for group, students in (("action", sorted(mine)), ("comparison", sorted(others["student_id"]))):
            frame = pd.DataFrame({"student_id": pd.Series(students, dtype="str")})
            frame = frame.merge(
                before[["student_id", "assessment_id", "date", "score", "before_met", "teacher_id"]].rename(
                    columns={"assessment_id": "before_assessment_id", "date": "before_date", "score": "before_score"}
                ),
                on="student_id",
                how="left",
            )
            frame = frame.merge(
                after[["student_id", "assessment_id", "date", "score", "proficiency_cut", "teacher_id"]].rename(
                    columns={
                        "assessment_id": "after_assessment_id",
                        "date": "after_date",
                        "score": "after_score",
                        "teacher_id": "_teacher_after",
                    }
                ),
                on="student_id",
                how="left",
            )
            frame["teacher_id"] = frame["teacher_id"].fillna(frame.pop("_teacher_after"))
            frame["after_met"] = at_least(frame["after_score"], frame.pop("proficiency_cut")).where(
                frame["after_score"].notna()
            )
            frame = frame.assign(
                action_id=action["action_id"],
                group=group,
                team_id=action["team_id"],
                skill_id=action["skill_id"],
                kind=str(action["kind"]),
                owner_id=action["teacher_id"],
            )
            parts.append(frame)
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in _OUTCOME_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    out["before_met"] = out["before_met"].astype("boolean")
    out["after_met"] = out["after_met"].astype("boolean")
    out["measured"] = (out["before_score"].notna() & out["after_score"].notna()).astype(bool)
    enrichment = out["kind"] == "enrichment"
    moved = np.where(enrichment, out["before_met"] & out["after_met"], ~out["before_met"] & out["after_met"])
    out["moved"] = pd.array(moved, dtype="boolean")
    out.loc[~out["measured"], "moved"] = pd.NA
    return out[_OUTCOME_COLUMNS]


def _verdict(share: float, comparison: float, n: int, worked: float, partly: float) -> str:
    if n == 0:
        return "no evidence yet"
    beats = np.isnan(comparison) or share > comparison
    if share >= worked and beats:
        return "worked"
    if share >= partly or (not np.isnan(comparison) and share > comparison):
        return "partly"
    return "not yet"


def action_results(
    actions: pd.DataFrame,
    outcomes: pd.DataFrame,
    *,
    confidence: float = 0.95,
    worked: float = 2 / 3,
    partly: float = 1 / 3,
) -> pd.DataFrame:
    """Per action: how many of its students moved to proficient, against comparable students, and a verdict.

    Parameters
    ----------
    actions : DataFrame
        Rows of ``actions.csv``.
    outcomes : DataFrame
        :func:`action_outcomes` of the same actions.
    confidence : float, default 0.95
        Level of the Wilson intervals.
    worked, partly : float
        Shares of the action's students moving to proficient for the
        verdicts *worked* (and more than comparable students) and *partly*.

    Returns
    -------
    DataFrame
        One row per action, in the order of ``actions``, columns
        ``action_id, team_id, skill_id, kind, owner_id, start_date,
        n_students`` (in the action), ``n_measured`` (with a result before and
        after), ``n_target`` (measured and below the cut before; for
        enrichment: proficient before), ``n_moved`` (of those, proficient
        after), ``share_moved, ci_low, ci_high`` (Wilson), ``mean_before,
        mean_after`` (of the measured students), ``n_comparison,
        n_comparison_moved, share_comparison, comparison_ci_low,
        comparison_ci_high`` (comparable students not in the action, measured
        the same way), ``after_assessment_id`` (the evidence used), ``verdict``
        (one of :data:`VERDICTS`) and ``summary`` (plain sentence).
    """
    o = outcomes.assign(
        _target=outcomes["measured"]
        & np.where(
            outcomes["kind"] == "enrichment",
            outcomes["before_met"].fillna(False),
            ~outcomes["before_met"].fillna(True),
        ),
        _moved=outcomes["moved"].fillna(False).astype(bool),
        _before=outcomes["before_score"].where(outcomes["measured"]),
        _after=outcomes["after_score"].where(outcomes["measured"]),
    )
    o["_moved"] = o["_moved"] & o["_target"]
    per = (
        o.groupby(["action_id", "group"], sort=False)
        .agg(
            n_students=("student_id", "nunique"),
            n_measured=("measured", "sum"),
            n_target=("_target", "sum"),
            n_moved=("_moved", "sum"),
            mean_before=("_before", "mean"),
            mean_after=("_after", "mean"),
            after_assessment_id=("after_assessment_id", lambda s: ", ".join(sorted(s.dropna().astype(str).unique()))),
        )
        .reset_index()
    )
    mine = per[per["group"] == "action"].drop(columns="group")
    other = per[per["group"] == "comparison"][["action_id", "n_target", "n_moved"]].rename(
        columns={"n_target": "n_comparison", "n_moved": "n_comparison_moved"}
    )
    base = actions[["action_id", "team_id", "skill_id", "kind", "teacher_id", "start_date"]].rename(
        columns={"teacher_id": "owner_id"}
    )
    out = base.merge(mine, on="action_id", how="left").merge(other, on="action_id", how="left")
    counts = ["n_students", "n_measured", "n_target", "n_moved", "n_comparison", "n_comparison_moved"]
    for column in counts:
        out[column] = out[column].fillna(0).astype("int64")
    out["kind"] = out["kind"].astype(str)
    out["after_assessment_id"] = out["after_assessment_id"].fillna("")
    n, x = out["n_target"].to_numpy(float), out["n_moved"].to_numpy(float)
    out["share_moved"] = np.where(n > 0, x / np.where(n > 0, n, 1), np.nan)
    out["ci_low"], out["ci_high"] = wilson_interval(x, n, confidence)
    cn, cx = out["n_comparison"].to_numpy(float), out["n_comparison_moved"].to_numpy(float)
    out["share_comparison"] = np.where(cn > 0, cx / np.where(cn > 0, cn, 1), np.nan)
    out["comparison_ci_low"], out["comparison_ci_high"] = wilson_interval(cx, cn, confidence)
    out["verdict"] = [
        _verdict(s, c, int(t), worked, partly)
        for s, c, t in zip(out["share_moved"], out["share_comparison"], out["n_target"])
    ]
    out["summary"] = [_summary(row) for row in out.itertuples()]
    columns = [
        "action_id",
        "team_id",
        "skill_id",
        "kind",
        "owner_id",
        "start_date",
        *counts[:4],
        "share_moved",
        "ci_low",
        "ci_high",
        "mean_before",
        "mean_after",
        "n_comparison",
        "n_comparison_moved",
        "share_comparison",
        "comparison_ci_low",
        "comparison_ci_high",
        "after_assessment_id",
        "verdict",
        "summary",
    ]
    return out[columns]


def _summary(row: Any) -> str:
    what = "still proficient" if row.kind == "enrichment" else "moved to proficient"
    if row.n_target == 0:
        return f"No result yet after the action for its {row.n_students} students."
    text = (
        f"{row.n_moved} of {row.n_target} {what} ({percent_text(row.share_moved)}, "
        f"95% interval {percent_text(row.ci_low)}–{percent_text(row.ci_high)})"
    )
    if row.n_comparison:
        text += (
            f", against {row.n_comparison_moved} of {row.n_comparison} comparable students not in it "
            f"({percent_text(row.share_comparison)})"
        )
    return text + "."
