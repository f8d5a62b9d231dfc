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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..arg_types import parse_iso_date
from ..load_steps import Errors
from .jobs import BatchError
from .settings import SCHOOL_REPORT_STEM

__all__ = [
    "BatchSettings",
    "report_units",
    "largest_first",
    "safe_name",
    "file_names",
    "MAX_NAME_CHARS",
    "check_out_dir",
    "declared_parameters",
    "builtin_parameters",
    "report_stem",
    "has_assessments",
    "date_param",
    "as_list",
]


#: Longest part of a file name that comes from an id; a longer id is shortened and given a hash.
MAX_NAME_CHARS = 64
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", SCHOOL_REPORT_STEM}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def _hashed(value: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", value).strip(".") or "_"
    return f"{cleaned[:MAX_NAME_CHARS]}-{_digest(value)}"


def safe_name(value: str) -> str:
    """The file name an id becomes: the rule every report, folder and extract name follows.

    An id made only of letters, digits, ``.``, ``_`` and ``-``, no longer than
    :data:`MAX_NAME_CHARS`, not starting or ending with a dot and not a name
    the system reserves (``CON``, ``NUL``, ``COM1``..., ``index-school``) is
    its own file name.  Any other id is cleaned (other characters become
    ``_``), cut to :data:`MAX_NAME_CHARS` and given a hash of the whole id,
    so two ids never share a name (see :func:`file_names` for disks that
    ignore case).

    Parameters
    ----------
    value : str
        A team or school id.

    Returns
    -------
    str
        At most ``MAX_NAME_CHARS + 11`` characters.
    """
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", value).strip(".") or "_"
    if cleaned != value or len(value) > MAX_NAME_CHARS or cleaned.split(".")[0].lower() in _RESERVED:
        return _hashed(value)
    return cleaned


def file_names(ids: Iterable[str]) -> dict[str, str]:
    """Each id's file name (:func:`safe_name`), distinct even on a disk that ignores case.

    Ids whose names differ only in case (``T1`` and ``t1``, which macOS and
    Windows take for one file) all get the hashed form.  Computed over every
    id of the district, not a batch's selection, so a report keeps its file
    name from one run to the next.

    Parameters
    ----------
    ids : iterable of str
        Every team (or school) id.

    Returns
    -------
    dict
        id -> file name.
    """
    names = {value: safe_name(value) for value in dict.fromkeys(ids)}
    by_folded: dict[str, list[str]] = {}
    for value, name in names.items():
        by_folded.setdefault(name.casefold(), []).append(value)
    for values in by_folded.values():
        if len(values) > 1:
            names.update({value: _hashed(value) for value in values})
    return names


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
    """A date given as ISO text, date or timestamp as the ISO text a notebook parameter gets (``""`` when none).

    Text must be ISO 8601 (``YYYY-MM-DD``), as in data files: ``1/2/26`` raises :class:`ValueError`.
    """
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return parse_iso_date(value).date().isoformat()
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
    """The reports to produce: one dict per team (or school) with ids, names, ``folder`` and ``stem`` (file names)."""
    units = _units(dataset, per, teams, schools)
    folders = file_names([*map(str, dataset.schools["school_id"]), *map(str, dataset.teams["school_id"].dropna())])
    stems = file_names(map(str, dataset.teams["team_id"]))
    for unit in units:
        unit["folder"] = folders[unit["school_id"]]
        unit["stem"] = SCHOOL_REPORT_STEM if unit["kind"] == "school" else stems[unit["team_id"]]
    return units


def _units(dataset: Any, per: str, teams: list[str] | None, schools: list[str] | None) -> list[dict]:
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
    """File stem of a unit's report inside its school's folder (see :func:`file_names`)."""
    if "stem" in unit:
        return str(unit["stem"])
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
