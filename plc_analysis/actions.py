"""After a CFA, what to do: a proposed response per skill, with owners and the reason why.

The Boones Mill and Freeport practice: after each common formative assessment
the team regroups students by skill, and each group goes to the teacher whose
students did best on that skill.  :func:`propose_actions` turns the Data Teams
bands of one CFA (:func:`plc_analysis.assign_bands`) into rows of
``actions.csv``:

* **whole-class reteach** when more than ``reteach_share`` (default one half) of
  the students are below the cut on a skill: every teacher reteaches in class,
  the owner (the teacher whose students did best) shares the lesson;
* otherwise **small groups** of the students below the cut (at most
  ``group_size``, students of similar scores together);
* **enrichment** for the students already proficient.

Owners are balanced: a teacher gets at most ``ceil(actions / teachers)``
actions, so no one teacher is offered every group.  :func:`skill_why` names the
items and the common wrong answers behind each skill's result, from the item and
distractor analysis (:func:`plc_analysis.item_analysis`,
:func:`plc_analysis.dataset_items.option_analysis`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .schema import LIST_SEPARATOR, TABLES
from .text_format import percent_text

__all__ = [
    "ACTION_COLUMNS",
    "teacher_strengths",
    "propose_actions",
    "skill_why",
    "next_school_day",
]

#: The columns of ``actions.csv``, in order.
ACTION_COLUMNS: tuple[str, ...] = tuple(TABLES["actions"].column_names)


def next_school_day(day: pd.Timestamp) -> pd.Timestamp:
    """The first weekday after ``day`` (Monday after a Friday CFA).

    Returns
    -------
    Timestamp
    """
    following = pd.Timestamp(day).normalize() + pd.Timedelta(days=1)
    while following.weekday() >= 5:
        following += pd.Timedelta(days=1)
    return following


def teacher_strengths(bands: pd.DataFrame, *, min_students: int = 5) -> pd.DataFrame:
    """Each teacher's students on each skill of the CFA, best first.

    Parameters
    ----------
    bands : DataFrame
        A result of :func:`plc_analysis.assign_bands` with ``teacher_id``.
    min_students : int, default 5
        Teachers with fewer students on the skill rank after the others
        (a share of three students says little about a practice).

    Returns
    -------
    DataFrame
        One row per skill × teacher, columns ``skill_id, teacher_id, n``
        (students with a score), ``n_proficient, share_proficient, rank``
        (1 = strongest on the skill: enough students first, then higher
        share, more students, teacher id).
    """
    per = (
        bands[bands["teacher_id"].notna()]
        .groupby(["skill_id", "teacher_id"], sort=True)
        .agg(n=("student_id", "nunique"), n_proficient=("proficient", "sum"))
        .reset_index()
    )
    per["n_proficient"] = per["n_proficient"].astype("int64")
    per["share_proficient"] = per["n_proficient"] / per["n"]
    per["_few"] = per["n"] < min_students
    per = per.sort_values(
        ["skill_id", "_few", "share_proficient", "n", "teacher_id"],
        ascending=[True, True, False, False, True],
        kind="stable",
    )
    per["rank"] = per.groupby("skill_id").cumcount() + 1
    return per.drop(columns="_few").reset_index(drop=True)


def _groups_of(students: pd.DataFrame, group_size: int) -> list[pd.DataFrame]:
    """Students split into ``ceil(n / group_size)`` near-equal groups, lowest scores together."""
    ordered = students.sort_values(["score", "student_id"], kind="stable")
    n_groups = max(1, math.ceil(len(ordered) / group_size))
    return [ordered.iloc[part] for part in np.array_split(np.arange(len(ordered)), n_groups)]


def propose_actions(
    bands: pd.DataFrame,
    *,
    team_id: str,
    assessment_id: str,
    date: pd.Timestamp,
    reassessments: dict[str, str] | None = None,
    reteach_share: float = 0.5,
    group_size: int = 10,
    reassess_after_days: int = 14,
    min_students: int = 5,
    teacher_names: pd.Series | None = None,
    descriptions: pd.Series | None = None,
) -> pd.DataFrame:
    """The proposed response to one CFA: rows ready for ``actions.csv``, with their owners.

    Parameters
    ----------
    bands : DataFrame
        :func:`plc_analysis.assign_bands` of the CFA's essential skills, with
        ``teacher_id`` (one row per student × skill).
    team_id, assessment_id : str
        The team and the CFA.
    date : Timestamp
        The CFA's date; actions start the next school day.
    reassessments : dict, optional
        Skill → the assessment already planned to reassess it (else blank:
        the next evidence on the skill will tell).
    reteach_share : float, default 0.5
        Reteach to the whole class when more than this share of the students
        is below the cut on the skill.
    group_size : int, default 10
        Largest small group.
    reassess_after_days : int, default 14
        ``reassess_by`` = start + this many days.
    min_students : int, default 5
        See :func:`teacher_strengths`.
    teacher_names, descriptions : Series, optional
        Display names by teacher id and skill descriptions by skill id, for
        the ``note``.

    Returns
    -------
    DataFrame
        One row per proposed action: the columns of ``actions.csv``
        (:data:`ACTION_COLUMNS`: ``action_id, team_id, skill_id, kind,
        start_date, assessment_id, teacher_id, student_ids`` (explicit ids,
        ``;``-separated; blank for a whole-class reteach = every student
        below the cut), ``reassess_assessment_id, reassess_by, note``), then
        ``n_students, n_below, n_assessed, share_below, lowest_score,
        highest_score`` (of the action's students), ``owner_share`` (the
        owner's students' share proficient on the skill) and ``owner_rank``
        (1 = the strongest teacher on the skill).
    """
    columns = [
        *ACTION_COLUMNS,
        "n_students",
        "n_below",
        "n_assessed",
        "share_below",
        "lowest_score",
        "highest_score",
        "owner_share",
        "owner_rank",
    ]
    if bands.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    reassessments = reassessments or {}
    names = teacher_names if teacher_names is not None else pd.Series(dtype="str")
    about = descriptions if descriptions is not None else pd.Series(dtype="str")
    start = next_school_day(date)
    strengths = teacher_strengths(bands, min_students=min_students)
    drafts: list[dict] = []
    per_skill = bands.groupby("skill_id", sort=True)
    order = per_skill.apply(lambda rows: int((~rows["proficient"]).sum()), include_groups=False)
    for skill_id in order.sort_values(ascending=False, kind="stable").index:
        rows = per_skill.get_group(skill_id)
        below = rows[~rows["proficient"].astype(bool)]
        n_assessed, n_below = rows["student_id"].nunique(), below["student_id"].nunique()
        share_below = n_below / n_assessed if n_assessed else float("nan")
        common = dict(skill_id=skill_id, n_below=n_below, n_assessed=n_assessed, share_below=share_below)
        if n_below and share_below > reteach_share:
            drafts.append(dict(common, kind="whole_class", members=below, explicit=False, tier=1))
        elif n_below:
            for group in _groups_of(below, group_size):
                drafts.append(dict(common, kind="small_group", members=group, explicit=True, tier=0))
        proficient = rows[rows["proficient"].astype(bool)]
        if len(proficient):
            drafts.append(dict(common, kind="enrichment", members=proficient, explicit=True, tier=2))
    # owners: small groups first (they need the strongest teacher most), then reteach, then enrichment
    teachers = sorted(bands["teacher_id"].dropna().unique())
    cap = math.ceil(len(drafts) / len(teachers)) if teachers else 0
    load = dict.fromkeys(teachers, 0)
    ranked = {str(skill): part for skill, part in strengths.groupby("skill_id")}
    for draft in sorted(drafts, key=lambda d: d["tier"]):
        candidates = ranked.get(draft["skill_id"], pd.DataFrame(columns=strengths.columns))
        chosen = next((r for r in candidates.itertuples() if load[r.teacher_id] < cap), None)
        if chosen is None:  # a teacher with no student on the skill, least loaded
            spare = [t for t in teachers if load[t] < cap] or teachers
            draft.update(owner=min(spare, key=lambda t: (load[t], t)) if spare else None, owner_share=np.nan)
            draft["owner_rank"] = np.nan
        else:
            draft.update(owner=chosen.teacher_id, owner_share=chosen.share_proficient, owner_rank=chosen.rank)
        if draft["owner"] is not None:
            load[draft["owner"]] += 1
    out = []
    counters: dict[tuple[str, str], int] = {}
    short = {"whole_class": "reteach", "small_group": "group", "enrichment": "enrich"}
    for draft in drafts:
        skill_id, kind, members = draft["skill_id"], draft["kind"], draft["members"]
        counters[(skill_id, kind)] = counters.get((skill_id, kind), 0) + 1
        owner = draft["owner"]
        owner_name = str(names.get(owner, owner)) if owner is not None else "a teacher of the team"
        skill = str(about.get(skill_id, skill_id))
        strength = (
            f" (their students: {percent_text(draft['owner_share'])} proficient)"
            if not pd.isna(draft["owner_share"])
            else ""
        )
        if kind == "whole_class":
            note = (
                f"Reteach {skill} to every class: {draft['n_below']} of {draft['n_assessed']} students below the cut. "
                f"{owner_name} leads{strength} and shares the lesson that worked."
            )
        elif kind == "small_group":
            note = f"Small group on {skill}, led by {owner_name}{strength}."
        else:
            note = f"Enrichment on {skill} for students already proficient, led by {owner_name}."
        ids = sorted(members["student_id"].unique())
        out.append(
            dict(
                action_id=f"{assessment_id}-{skill_id}-{short[kind]}{counters[(skill_id, kind)]}",
                team_id=team_id,
                skill_id=skill_id,
                kind=kind,
                start_date=start,
                assessment_id=assessment_id,
                teacher_id=owner,
                student_ids=LIST_SEPARATOR.join(ids) if draft["explicit"] else None,
                reassess_assessment_id=reassessments.get(skill_id),
                reassess_by=start + pd.Timedelta(days=reassess_after_days),
                note=note,
                n_students=len(ids),
                n_below=draft["n_below"],
                n_assessed=draft["n_assessed"],
                share_below=draft["share_below"],
                lowest_score=float(members["score"].min()),
                highest_score=float(members["score"].max()),
                owner_share=draft["owner_share"],
                owner_rank=draft["owner_rank"],
            )
        )
    frame = pd.DataFrame(out, columns=columns)
    frame["owner_rank"] = frame["owner_rank"].astype("Int64")
    return frame


def skill_why(items: pd.DataFrame, options: pd.DataFrame | None = None, *, top: int = 2) -> pd.DataFrame:
    """Per skill, the hardest items of the CFA and the wrong answer most students chose on them.

    Parameters
    ----------
    items : DataFrame
        :func:`plc_analysis.item_analysis` rows of one assessment
        (``item_id, skill_id, difficulty, n, key``).
    options : DataFrame, optional
        :func:`plc_analysis.dataset_items.option_analysis` of the same
        assessment (``item_id, option, is_key, n, share``).
    top : int, default 2
        Items named per skill.

    Returns
    -------
    DataFrame
        One row per skill, columns ``skill_id, items`` (the named item ids,
        ``", "``-joined), ``why`` (plain text, e.g. ``"item 3: 31% of points
        earned, most chose B (45%) instead of D"``).
    """
    if items.empty:
        return pd.DataFrame({"skill_id": pd.Series(dtype="str"), "items": [], "why": []})
    wrong = pd.DataFrame(columns=["item_id", "option", "share", "key"])
    if options is not None and len(options):
        candidates = options[~options["is_key"].astype(bool) & (options["option"] != "(blank)")]
        wrong = candidates.sort_values(["item_id", "n", "option"], ascending=[True, False, True]).drop_duplicates(
            "item_id"
        )
    wrong = wrong.set_index("item_id")
    rows = []
    for skill_id, part in items.groupby("skill_id", sort=True):
        hardest = part.sort_values(["difficulty", "item_id"], kind="stable").head(top)
        texts = []
        for item in hardest.itertuples():
            text = f"item {item.item_id}: {percent_text(item.difficulty)} of points earned"
            if item.item_id in wrong.index:
                w = wrong.loc[item.item_id]
                text += f", most common wrong answer {w['option']} ({percent_text(w['share'])}) instead of {w['key']}"
            texts.append(text)
        rows.append(dict(skill_id=skill_id, items=", ".join(hardest["item_id"].astype(str)), why="; ".join(texts)))
    return pd.DataFrame(rows, columns=["skill_id", "items", "why"])
