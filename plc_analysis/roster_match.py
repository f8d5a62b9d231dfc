"""Join results from one system to a roster from another: students matched by ID, else by name.

A district's roster (students, sections, teachers, teams: e.g. a OneRoster export or a canonical
folder) and its results (a Canvas gradebook, a Google Classroom export, a score sheet, an Ed-Fi file)
rarely come from the same system.  :func:`join_roster` keeps the roster's people and placement and
the results' assessments, items, skills and scores, with every results student replaced by the roster
student they are:

1. the same student id (when the results carry ids from the roster's system), else
2. the same name, compared without case, accents, punctuation or middle names / initials, written
   ``"Last, First"``, ``"First Last"`` or as separate first / last names.

A name that matches no roster student, or more than one, is never guessed: the student's row is
rejected with its file and line, naming the candidate roster ids (never the name: names stay out of
messages and logs).  Two results rows that match one roster student are both reported.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict

import pandas as pd

from .dataset import Dataset
from .errors import PLCDataError, Problem, problems_frame
from .load_steps import Errors
from .oneroster import ROSTER_ONLY_NOTE
from .validation import REJECTED_COLUMNS

__all__ = [
    "ROSTER_TABLES",
    "MATCH_COLUMNS",
    "name_tokens",
    "match_students",
    "join_roster",
]

#: The tables a roster contributes (people and placement); results contribute the rest.
ROSTER_TABLES = ("schools", "teams", "teachers", "sections", "students", "enrollments")
#: Columns of :func:`match_students`.
MATCH_COLUMNS = ["student_id", "roster_id", "matched_by", "file", "line", "column", "row", "reason"]

_TOKEN = re.compile(r"[a-z0-9]+")
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


def name_tokens(text: object) -> list[str]:
    """The comparable words of a name: no case, accents, punctuation; ``O'Brien`` is one word.

    Parameters
    ----------
    text : object
        A name or part of one (``None`` / NaN give no words).

    Returns
    -------
    list of str
        Lower-case ASCII words, generational suffixes (Jr, III ...) left out.
    """
    if text is None or (isinstance(text, float) and text != text):
        return []
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    folded = re.sub(r"['\u2019`]", "", folded)
    return [t for t in _TOKEN.findall(folded) if t not in _SUFFIXES]


def _given(tokens: list[str]) -> str:
    """The first given name: middle names and initials left out."""
    return tokens[0] if tokens else ""


def _family(tokens: list[str]) -> str:
    """A family name as one string: ``De La Cruz`` and ``Smith-Jones`` compare as one word."""
    return "".join(tokens)


def _keys(first: object, last: object, *, free: bool = False) -> list[tuple[str, str]]:
    """Ways a results name may be read, best first, as (first given name, family name) keys.

    Given and family names as written come first; then the words read as ``First [Middle] Last``
    with the family name starting at each later word (``Maria De La Cruz``); a name written as one
    free string without a comma (``free``) is also read as ``Last First [Middle]``.
    """
    given, family = name_tokens(first), name_tokens(last)
    keys = [(_given(given), _family(family))] if given and family else []
    words = given + family
    keys += [(words[0], _family(words[cut:])) for cut in range(1, len(words))]
    if free:
        keys += [(words[cut], _family(words[:cut])) for cut in range(1, len(words))]
    return list(dict.fromkeys(keys))


def _split_full(name: str) -> tuple[str, str]:
    """``"Last, First M."`` -> ("First M.", "Last"); ``"First Last"`` -> ("First", "Last")."""
    name = " ".join(str(name).split())
    if "," in name:
        last, first = (p.strip() for p in name.split(",", 1))
        return first, last
    parts = name.rsplit(" ", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else ("", name)


def match_students(people: pd.DataFrame, roster_students: pd.DataFrame, *, match_ids: bool = True) -> pd.DataFrame:
    """Match results students to roster students, by id and then by name.

    Parameters
    ----------
    people : DataFrame
        One row per results student: ``student_id`` and any of ``first_name``, ``last_name``
        (or one ``name`` column: ``"Last, First"`` or ``"First Last"``, read before the
        others), optionally ``file``, ``line`` and ``column`` (where the student is, for messages)
        and ``row`` (the input row as JSON, names redacted, for ``Dataset.rejected``).
    roster_students : DataFrame
        The roster's ``students`` table (``student_id, first_name, last_name``).
    match_ids : bool
        Whether a results ``student_id`` equal to a roster id is a match (False when the
        results ids are placeholders, e.g. a score sheet with names only).

    Returns
    -------
    DataFrame
        Columns ``student_id, roster_id, matched_by, file, line, column, row, reason``: ``matched_by`` is
        ``"id"``, ``"name"`` or ``""`` (no match; ``roster_id`` blank and ``reason`` says why,
        naming candidate roster ids but never a name).  A name that matches several roster
        students, and two results rows matching one roster student, are not matches.
    """
    roster_ids = roster_students["student_id"].astype(str).tolist()
    known = set(roster_ids)
    exact: dict[tuple[str, str], set[str]] = defaultdict(set)
    for sid, first, last in zip(roster_ids, roster_students["first_name"], roster_students["last_name"]):
        given, family = name_tokens(first), name_tokens(last)
        if given or family:
            exact[(_given(given), _family(family))].add(sid)
    rows = []
    for record in people.to_dict("records"):
        sid = str(record["student_id"])
        first, last = record.get("first_name"), record.get("last_name")
        free = False
        full = " ".join(str(record.get("name") or "").split())
        if name_tokens(full):
            free = "," not in full
            first, last = _split_full(full)
        where = {key: record.get(key) for key in ("file", "line", "column", "row")}
        if match_ids and sid in known:
            rows.append({"student_id": sid, "roster_id": sid, "matched_by": "id", **where, "reason": ""})
            continue
        keys = _keys(first, last, free=free)
        if not keys:
            reason = "no student id in the roster and no name to match"
            rows.append({"student_id": sid, "roster_id": "", "matched_by": "", **where, "reason": reason})
            continue
        found: set[str] = set()
        for key in keys:
            found = exact.get(key, set())
            if found:
                break
        if len(found) == 1:
            rows.append(
                {"student_id": sid, "roster_id": next(iter(found)), "matched_by": "name", **where, "reason": ""}
            )
            continue
        if found:
            reason = f"the name matches {len(found)} roster students ({', '.join(sorted(found))}); not guessed"
        else:
            reason = "the name matches no roster student" + (" and the id is not in the roster" if match_ids else "")
        rows.append({"student_id": sid, "roster_id": "", "matched_by": "", **where, "reason": reason})
    frame = pd.DataFrame(rows, columns=MATCH_COLUMNS)
    taken = frame.loc[frame["roster_id"] != ""].groupby("roster_id")["student_id"].agg(list)
    for roster_id, students in taken.items():
        if len(students) < 2:
            continue
        rows_of = frame["roster_id"] == roster_id
        places = ", ".join(_where(f, l, s) for f, l, s in frame.loc[rows_of, ["file", "line", "student_id"]].to_numpy())
        frame.loc[rows_of, "reason"] = f"{len(students)} results rows ({places}) match roster student {roster_id}"
        frame.loc[rows_of, ["roster_id", "matched_by"]] = ""
    frame["line"] = pd.array(frame["line"].tolist(), dtype="Int64")
    return frame


def _where(file: object, line: float | None, student_id: str) -> str:
    if line is not None and not pd.isna(line):
        return f"line {int(line)}"
    return f"student {student_id}"


def _majority_team(student_ids: pd.Series, placement: pd.DataFrame) -> str | None:
    """The roster team most of these students are enrolled in (ties: the first id)."""
    teams = placement.loc[placement["student_id"].isin(student_ids.unique()), ["student_id", "team_id"]]
    counts = Counter(teams.drop_duplicates()["team_id"])
    if not counts:
        return None
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def join_roster(
    results: Dataset,
    roster: Dataset,
    *,
    errors: Errors = "raise",
    people: pd.DataFrame | None = None,
    match_ids: bool = True,
    source: str | None = None,
) -> Dataset:
    """Put ``results`` on ``roster``'s students, sections and teams.

    Parameters
    ----------
    results : Dataset
        Assessments, items, skills and scores (its own students, sections and teams are replaced);
        when it was loaded in quarantine mode, its errors are raised here with the match's
        (``errors="raise"``), so that every problem is listed at once.
    roster : Dataset
        Schools, teams, teachers, sections, students and enrollments (anything else is ignored).
    errors : {"raise", "quarantine"}
        ``"raise"``: a results student who matches no roster student, or several, raises
        :class:`~plc_analysis.PLCDataError` listing every one (file, line, reason).
        ``"quarantine"``: those students and their scores are left out and their rows kept in
        ``Dataset.rejected``.
    people : DataFrame, optional
        The results students as :func:`match_students` takes them (``student_id``, names,
        ``file``, ``line``); default: ``results.students`` (no line numbers).
    match_ids : bool
        See :func:`match_students`.
    source : str, optional
        Shown in messages (default: both datasets' sources).

    Returns
    -------
    Dataset
        ``schools, teams, teachers, sections, students, enrollments`` from the roster;
        ``skills, assessments, items, scores, goals, progress, interventions, excused`` from the
        results, with ``student_id`` the roster's.  An assessment (and its skills) whose team is
        not a roster team moves to the roster team most of its scored students are enrolled in
        (a note says so); a rater who is not a roster teacher is added to that team.  ``notes``
        say how many students matched by id and by name; ``problems`` and ``rejected`` hold both
        inputs' and the match's.
    """
    if errors not in ("raise", "quarantine"):
        raise ValueError(f"errors must be 'raise' or 'quarantine', not {errors!r}")
    source = source or f"{results.source} with roster {roster.source}"
    if people is None:
        people = results.students[["student_id", "first_name", "last_name"]].assign(file="students", line=pd.NA)
    matches = match_students(people, roster.students, match_ids=match_ids)
    problems: list[Problem] = []
    rejected_rows = []
    unmatched = matches.loc[matches["roster_id"] == ""]
    scored = results.scores["student_id"].value_counts()
    for record in unmatched.to_dict("records"):
        count = int(scored.get(record["student_id"], 0))
        if count:
            record["reason"] += f"; the student's {count} score(s) are not loaded"
        line = None if pd.isna(record["line"]) else int(record["line"])
        file = record["file"] if isinstance(record["file"], str) else "students"
        column = record["column"] if isinstance(record["column"], str) else "student_id"
        value = record["student_id"] if match_ids else None
        problems.append(Problem(file, line, column, value, record["reason"]))
        rejected_rows.append(
            {
                "file": file,
                "line": line,
                "severity": "error",
                "reason": f"{column}: {record['reason']}",
                "row": record["row"] if isinstance(record["row"], str) else json.dumps({"student_id": value}),
            }
        )
    if errors == "raise":
        found = [
            Problem(
                str(r.file),
                None if pd.isna(r.line) else int(r.line),
                None if pd.isna(r.column) else str(r.column),
                None if pd.isna(r.value) else str(r.value),
                str(r.reason),
            )
            for frame in (roster.problems, results.problems)
            for r in frame.itertuples(index=False)
            if r.severity == "error"
        ]
        if found or problems:
            raise PLCDataError(found + problems, source=source)

    to_roster = dict(zip(matches["student_id"], matches["roster_id"]))
    tables = {name: roster.tables[name].copy() for name in ROSTER_TABLES}
    for name in (
        "skills",
        "assessments",
        "items",
        "scores",
        "goals",
        "progress",
        "interventions",
        "excused",
        "actions",
    ):
        tables[name] = results.tables[name].copy()
    for name in ("scores", "progress", "interventions", "excused"):
        frame = tables[name]
        if len(frame):
            mapped = frame["student_id"].map(to_roster).fillna("")
            tables[name] = (
                frame.loc[mapped.to_numpy() != ""].assign(student_id=mapped[mapped != ""]).reset_index(drop=True)
            )
    progress = tables["progress"]
    if len(progress):
        tables["progress"] = progress.loc[progress["section_id"].isin(tables["sections"]["section_id"])].reset_index(
            drop=True
        )

    # a roster-only export's "no results" note is not true of the joined data
    notes = [n for n in roster.notes if n != ROSTER_ONLY_NOTE] + [n for n in results.notes if n not in roster.notes]
    placement = tables["enrollments"].merge(tables["sections"][["section_id", "team_id"]], on="section_id")
    roster_teams = set(tables["teams"]["team_id"])
    moved: dict[str, str] = {}
    for assessment_id, team_id in zip(tables["assessments"]["assessment_id"], tables["assessments"]["team_id"]):
        if team_id in roster_teams:
            continue
        scored = tables["scores"].loc[tables["scores"]["assessment_id"] == assessment_id, "student_id"]
        target = _majority_team(scored, placement)
        if target is None:
            continue
        moved[team_id] = moved.get(team_id, target)
        notes.append(
            f"assessment {assessment_id}: team {team_id!r} is not in the roster; it belongs to roster team "
            f"{target!r}, where most of its scored students are enrolled"
        )
    missing_teams = set(tables["assessments"]["team_id"]) - roster_teams - set(moved)
    for name in ("assessments", "skills", "goals"):
        frame = tables[name]
        if len(frame) and "team_id" in frame:
            tables[name] = frame.assign(team_id=frame["team_id"].map(lambda t: moved.get(t, t)))
    if missing_teams:
        keep = results.teams.loc[results.teams["team_id"].isin(missing_teams)]
        schools = results.schools.loc[
            results.schools["school_id"].isin(keep["school_id"])
            & ~results.schools["school_id"].isin(tables["schools"]["school_id"])
        ]
        tables["teams"] = pd.concat([tables["teams"], keep], ignore_index=True)
        tables["schools"] = pd.concat([tables["schools"], schools], ignore_index=True)
        notes.append(
            f"no scored student of team(s) {', '.join(sorted(missing_teams))} is enrolled in the roster: "
            "their assessments keep their own team, with no sections"
        )
    _add_raters(tables)

    notes.append(
        "schools, teams, teachers, sections, students (and their grade) and enrollments are the roster's; "
        "the results' own are replaced"
    )
    by = matches.loc[matches["roster_id"] != "", "matched_by"].value_counts()
    notes.append(
        f"roster {roster.source or 'given'}: {int(by.get('id', 0))} student(s) matched by id, "
        f"{int(by.get('name', 0))} by name, {len(unmatched)} not matched"
    )
    own = pd.DataFrame(rejected_rows, columns=REJECTED_COLUMNS)
    rejected = pd.concat([f for f in (roster.rejected, results.rejected, own) if len(f)] or [own], ignore_index=True)
    rejected["line"] = rejected["line"].astype("Int64")
    all_problems = pd.concat(
        [f for f in (roster.problems, results.problems, problems_frame(problems)) if len(f)] or [problems_frame([])],
        ignore_index=True,
    )
    all_problems["line"] = all_problems["line"].astype("Int64")
    return Dataset.from_tables(
        tables,
        problems=all_problems,
        rejected=rejected[REJECTED_COLUMNS],
        source=source,
        notes=tuple(dict.fromkeys(notes)),
    )


def _add_raters(tables: dict[str, pd.DataFrame]) -> None:
    """A rater who is not a roster teacher joins the team of the assessment they rated."""
    scores = tables["scores"]
    if not len(scores) or scores["rater_id"].isna().all():
        return
    rated = scores.dropna(subset=["rater_id"])[["rater_id", "assessment_id"]].merge(
        tables["assessments"][["assessment_id", "team_id"]], on="assessment_id"
    )
    known = set(zip(tables["teachers"]["teacher_id"], tables["teachers"]["team_id"]))
    new = [
        {"teacher_id": r, "team_id": t, "name": ""}
        for r, t in sorted(set(zip(rated["rater_id"], rated["team_id"])))
        if (r, t) not in known
    ]
    if new:
        teachers = tables["teachers"]
        added = pd.DataFrame(new).astype({c: teachers[c].dtype for c in ("teacher_id", "team_id", "name")})
        tables["teachers"] = pd.concat([teachers, added], ignore_index=True)
