"""The tier policy: when a student is below standard and how support escalates (Stevenson's rule by default).

:data:`DEFAULT_POLICY` is the rule DuFour describes for Adlai Stevenson High
School; :func:`load_policy` reads another from a dict, a YAML file or YAML text
and checks it.  :mod:`plc_analysis.tiers` replays a policy over the checks;
:mod:`plc_analysis.support` takes its ``below`` line for intervention outcomes.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

__all__ = ["DEFAULT_POLICY", "load_policy"]

#: The Stevenson High School rule (DuFour, "What Is a Professional Learning Community?").
DEFAULT_POLICY: dict[str, Any] = {
    "name": "Stevenson High School: progress report every three weeks, review every six weeks",
    # "progress": progress reports; "cfa": essential-skill evidence; "auto": progress reports for
    # students who have them, CFA evidence for the others
    "source": "auto",
    # a progress-report percent below this is "below standard" (the student's lowest across sections)
    "below": 70.0,
    # on CFA results (students without progress reports) a student is below standard when proficient on
    # fewer than this share of the essential skills assessed so far (latest evidence on each)
    "cfa_share_proficient": 0.5,
    # a student in a tier is reviewed at the first check at least this long after entering it
    "review_after_weeks": 6,
    # a check this many days early still counts as the review (report calendars drift)
    "grace_days": 3,
    # the largest guided study hall
    "group_size": 10,
    "tiers": {
        1: {
            "name": "Tier 1: conferences, parent notice, tutoring pass, mentor",
            "actions": [
                "teacher, counselor and faculty advisor each talk with the student",
                "notify the parents",
                "pass from study hall to the tutoring center",
                "older student mentor helps with homework in daily advisory",
            ],
            "owner": "classroom teacher, counselor and faculty advisor",
        },
        2: {
            "name": "Tier 2: required tutoring, weekly counselor checks",
            "actions": [
                "required (not invited) tutoring during study hall",
                "counselor checks progress weekly",
            ],
            "owner": "counselor",
        },
        3: {
            "name": "Tier 3: daily guided study hall and contract",
            "actions": [
                "daily guided study hall of 10 or fewer students; the supervisor learns from the teachers "
                "what homework is due and monitors its completion",
                "parent, student, counselor and classroom teacher meet and sign a contract",
            ],
            "owner": "guided study hall supervisor and counselor",
        },
    },
    "exit_action": "end the support; keep watching the next progress report",
}

_SOURCES = ("auto", "progress", "cfa")


def load_policy(policy: str | Path | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A complete, checked tier policy from a dict, a YAML file or YAML text.

    Keys not given keep the :data:`DEFAULT_POLICY` value; ``tiers``, when
    given, replaces the default tiers entirely.

    Parameters
    ----------
    policy : dict, str, Path or None
        ``None`` gives a copy of :data:`DEFAULT_POLICY`.  A str is a path to a
        YAML file when such a file exists, else YAML text.

    Returns
    -------
    dict
        Keys ``name, source, below, cfa_share_proficient, review_after_weeks, grace_days,
        group_size, tiers`` (int tier → ``name, actions, owner``),
        ``exit_action``.

    Raises
    ------
    ValueError
        For an unknown key, a bad source, non-positive durations or tiers that
        are not numbered 1, 2, … without gaps.
    """
    base = copy.deepcopy(DEFAULT_POLICY)
    if policy is None:
        return base
    if isinstance(policy, (str, Path)):
        path = Path(policy)
        text = path.read_text(encoding="utf-8") if (len(str(policy)) < 4096 and path.exists()) else str(policy)
        loaded = yaml.safe_load(text)
        if not isinstance(loaded, Mapping):
            raise ValueError("a tier policy in YAML must be a mapping of keys (name, below, tiers, ...)")
        policy = loaded
    unknown = sorted(set(policy) - set(base))
    if unknown:
        raise ValueError(f"unknown tier policy key(s): {', '.join(map(str, unknown))}; known: {', '.join(base)}")
    merged = {**base, **copy.deepcopy(dict(policy))}
    if merged["source"] not in _SOURCES:
        raise ValueError(f"policy source must be one of {', '.join(_SOURCES)}, not {merged['source']!r}")
    for key in ("below", "cfa_share_proficient", "review_after_weeks", "grace_days", "group_size"):
        try:
            merged[key] = (
                float(merged[key])
                if key in ("below", "cfa_share_proficient", "review_after_weeks")
                else int(merged[key])
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"policy {key} must be a number, not {merged[key]!r}") from exc
    if merged["review_after_weeks"] <= 0 or merged["group_size"] < 1 or merged["grace_days"] < 0:
        raise ValueError("policy review_after_weeks and group_size must be positive and grace_days not negative")
    if not 0 < merged["cfa_share_proficient"] <= 1:
        raise ValueError("policy cfa_share_proficient must be in (0, 1]")
    tiers = {}
    for key, spec in dict(merged["tiers"]).items():
        try:
            number = int(key)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"tier keys must be numbers 1, 2, ...; got {key!r}") from exc
        spec = dict(spec or {})
        actions = spec.get("actions", [])
        tiers[number] = {
            "name": str(spec.get("name", f"Tier {number}")),
            "actions": [actions] if isinstance(actions, str) else [str(a) for a in actions],
            "owner": str(spec.get("owner", "")),
        }
    if sorted(tiers) != list(range(1, len(tiers) + 1)):
        raise ValueError(f"tiers must be numbered 1, 2, ... without gaps; got {sorted(tiers)}")
    merged["tiers"] = dict(sorted(tiers.items()))
    return merged
