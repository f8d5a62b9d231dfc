"""Planning a batch: which reports to produce, where their files go, what parameters they get.

Pure helpers over the district's tables and the notebook's parameters cell;
nothing here runs a kernel or writes a report.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..load_steps import Errors
from .jobs import BatchError
from .settings import SCHOOL_REPORT_STEM

__all__ = [
    "BatchSettings",
    "report_units",
    "largest_first",
    "safe_name",
    "check_out_dir",
    "declared_parameters",
    "builtin_parameters",
    "report_stem",
    "has_assessments",
    "date_param",
    "as_list",
]


def safe_name(value: str) -> str:
    """A file-name-safe version of an id (with a short hash when characters had to change)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", value).lstrip(".") or "_"
    if cleaned != value:
        cleaned = f"{cleaned}-{hashlib.sha1(value.encode('utf-8')).hexdigest()[:6]}"
    return cleaned


def check_out_dir(out_dir: Path) -> None:
    """Create ``out_dir`` if needed and prove it is a writable folder; raise :class:`BatchError` saying why not."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"cannot create the output folder {out_dir}: {exc.strerror or exc}") from exc
    if not out_dir.is_dir():
        raise BatchError(f"the output folder {out_dir} is not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".plc-write-test.", dir=out_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise BatchError(f"cannot write to the output folder {out_dir}: {exc.strerror or exc}") from exc


def as_list(value: str | Sequence[str] | None) -> list[str] | None:
    """``None`` stays ``None`` (no filter); one id becomes a one-item list; a sequence becomes a list."""
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def date_param(value: Any) -> str:
    """A date given as a string, date or timestamp as the ISO text a notebook parameter gets (``""`` when none)."""
    if value is None or value == "":
        return ""
    return pd.Timestamp(value).date().isoformat()


def declared_parameters(notebook: Path) -> set[str]:
    """Names assigned at the top level of the notebook's ``parameters`` cell (Python kernels).

    Read with :mod:`ast` rather than papermill so the parent process never
    pays papermill's multi-second import.  Returns an empty set when the
    notebook has no parameters cell or it cannot be parsed (every built-in
    parameter is then passed, as papermill would inject them anyway).
    """
    import ast

    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return set()
    names: set[str] = set()
    for cell in cells:
        if cell.get("cell_type") != "code" or "parameters" not in cell.get("metadata", {}).get("tags", []):
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return set()
        for node in tree.body:
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else ([node.target] if isinstance(node, ast.AnnAssign) else [])
            )
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        names.add(leaf.id)
        break
    return names


def report_units(dataset: Any, per: str, teams: list[str] | None, schools: list[str] | None) -> list[dict]:
    """The reports to produce: one dict per team (or school) with ids and names."""
    school_names = dict(zip(dataset.schools["school_id"], dataset.schools["name"]))
    if schools is not None:
        unknown = sorted(set(schools) - set(dataset.schools["school_id"]) - set(dataset.teams["school_id"]))
        if unknown:
            raise BatchError(f"no such school(s) in the data: {', '.join(unknown)}")
    if per == "school":
        if teams:
            raise BatchError("--team cannot be combined with --per school")
        ids = sorted(set(dataset.schools["school_id"]) | set(dataset.teams["school_id"].dropna()))
        if schools is not None:
            ids = [s for s in ids if s in set(schools)]
        return [
            dict(kind="school", school_id=s, team_id=None, school_name=str(school_names.get(s, s)), team_name="")
            for s in ids
        ]
    frame = dataset.teams
    if teams is not None:
        unknown = sorted(set(teams) - set(frame["team_id"]))
        if unknown:
            raise BatchError(f"no such team(s) in the data: {', '.join(unknown)}")
        frame = frame[frame["team_id"].isin(teams)]
    if schools is not None:
        frame = frame[frame["school_id"].isin(schools)]
    return [
        dict(
            kind="team",
            school_id=str(row.school_id),
            team_id=str(row.team_id),
            school_name=str(school_names.get(row.school_id, row.school_id)),
            team_name=str(row.name if isinstance(row.name, str) and row.name else row.team_id),
        )
        for row in frame.itertuples(index=False)
    ]


def largest_first(dataset: Any, units: list[dict]) -> list[dict]:
    """``units`` ordered by their number of score rows, largest first (ties keep their order).

    The largest teams' reports take longest.  Started first, they leave the
    short reports for the end of the batch, where a worker with nothing left
    to do waits only for a short report on another worker (longest job first:
    with the district's order, a batch could end with one core idle for a whole
    large report).
    """
    team_of = dataset.assessments.drop_duplicates("assessment_id").set_index("assessment_id")["team_id"]
    per_team = dataset.scores["assessment_id"].map(team_of).value_counts()
    school_of = dataset.teams.drop_duplicates("team_id").set_index("team_id")["school_id"]
    per_school = per_team.groupby(per_team.index.map(school_of)).sum()

    def rows(unit: dict) -> int:
        counts, key = (per_team, unit["team_id"]) if unit["kind"] == "team" else (per_school, unit["school_id"])
        return int(counts.get(key, 0))

    return sorted(units, key=rows, reverse=True)  # stable: equal sizes keep the district's order


def has_assessments(subset: Any, start: str, end: str) -> bool:
    """Whether ``subset`` (a Dataset) has an assessment dated inside ``start``..``end`` (ISO text, ``""`` = open)."""
    dates = pd.to_datetime(subset.assessments["date"])
    mask = pd.Series(True, index=dates.index)
    if start:
        mask &= dates >= pd.Timestamp(start)
    if end:
        mask &= dates <= pd.Timestamp(end)
    return bool(mask.any())


def report_stem(unit: Mapping[str, Any]) -> str:
    """File stem of a unit's report inside its school's folder."""
    return SCHOOL_REPORT_STEM if unit["kind"] == "school" else safe_name(unit["team_id"])


def builtin_parameters(
    unit: Mapping[str, Any], data_param: str, *, start: str, end: str, extract: bool, declared: set[str]
) -> dict[str, Any]:
    """The parameters every report gets: ids, ``data_path``, period, and ``extract_path`` if declared.

    Parameters
    ----------
    unit : mapping
        One of :func:`report_units`.
    data_param : str
        What ``data_path`` points to (the extract, or the district / school partition).
    start, end : str
        The reporting period (ISO dates or ``""``).
    extract : bool
        Whether ``data_param`` is the unit's extract.
    declared : set of str
        Names in the notebook's parameters cell; when not empty, only these are passed
        (no "unknown parameter" noise).

    Returns
    -------
    dict
        Parameter name → value.
    """
    builtin: dict[str, Any] = {"school_id": unit["school_id"]}
    if unit["kind"] == "team":
        builtin["team_id"] = unit["team_id"]
    builtin.update(data_path=data_param, start=start, end=end)
    if "extract_path" in declared:
        builtin["extract_path"] = data_param if extract else ""
    if declared:
        builtin = {k: v for k, v in builtin.items() if k in declared}
    return builtin


@dataclass(frozen=True)
class BatchSettings:
    """The options of one batch, resolved (defaults and a resumed manifest's values applied)."""

    out: Path  # the output folder, absolute
    data: Path  # the district (as given, ``~`` expanded)
    notebook: Path  # absolute
    per: str
    timeout: float
    start: str  # ISO date or ""
    end: str
    parameters: dict  # extra papermill parameters for every report
    extract: bool
    errors: Errors
    kernel_name: str
    partitioned: bool
    reuse_kernels: bool = True  # keep kernels warm between reports (plc_analysis.batch.warm)
