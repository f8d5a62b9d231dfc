"""A district stored as Parquet partitioned by school: read only the schools you need.

A large district's scores do not need to be read whole to report on one
school.  :func:`write_partitioned` stores a :class:`~plc_analysis.Dataset` as
one folder per school (Hive-style ``school_id=<id>`` names), each a complete
canonical folder for that school; :func:`load_partitioned` reads only the
partitions asked for and validates them with the same rules as
:func:`plc_analysis.load_dataset`.  ``plc batch`` recognises such a folder and
builds each team's extract from its own school's partition only.

Layout::

    district/
      _plc_partitioned.json        format marker: version, schools -> folders, tables
      schools.parquet              every school (shared, small)
      school_id=S01/               one canonical folder per school:
        schools.parquet              that school's row
        teams.parquet  teachers.parquet  sections.parquet  students.parquet
        enrollments.parquet  skills.parquet  assessments.parquet  items.parquet
        scores.parquet  [goals, progress, interventions].parquet
      school_id=S02/ ...
      _shared/                     rows no school's partition reaches (e.g. a student
                                   with no enrollment); read only with schools=None
      rejected.csv                 rows the source dataset had rejected, if any

Each partition holds exactly what ``dataset.filter(school_id=S)`` keeps, so a
student enrolled in two schools and a district-wide skill used by several
schools appear in each partition that needs them; reading several partitions
drops such identical duplicates before validation.  Partition folders may hold
CSV instead of Parquet (``<table>.csv``), as a canonical folder may, so a
partitioned export from another system can be read too; folder names are the
school id, URL-quoted (``school_id=North%2FEast`` for ``North/East``).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

import pandas as pd

from . import readers
from .dataset import Dataset
from .errors import Problem
from .load_steps import Errors, finish_load
from .readers import LINE, RawTable
from .schema import CFA_TABLES, TABLE_ORDER
from .spreadsheet_out import write_people_csv
from .validation import validate_tables

__all__ = [
    "write_partitioned",
    "load_partitioned",
    "is_partitioned",
    "partition_schools",
    "partition_path",
    "unreadable_piece",
    "MARKER_NAME",
    "SHARED_NAME",
]

#: File that marks a folder as a school-partitioned district.
MARKER_NAME = "_plc_partitioned.json"
#: Folder for rows that belong to no school's partition.
SHARED_NAME = "_shared"
PARTITION_KEY = "school_id"
FORMAT_NAME = "plc-partitioned"
FORMAT_VERSION = 1
#: Tables written in every partition even when empty (what a CFA report needs).
_ALWAYS = frozenset(CFA_TABLES)
_ROW = "_plc_row"


def _folder_name(school_id: str) -> str:
    return f"{PARTITION_KEY}={quote(str(school_id), safe='')}"


def is_partitioned(path: str | Path) -> bool:
    """Whether ``path`` is a school-partitioned district folder.

    Parameters
    ----------
    path : str or Path
        A folder.

    Returns
    -------
    bool
        True when the folder has the marker file or at least one
        ``school_id=...`` sub-folder.
    """
    folder = Path(path)
    if not folder.is_dir():
        return False
    if (folder / MARKER_NAME).is_file():
        return True
    return any(child.is_dir() and child.name.startswith(f"{PARTITION_KEY}=") for child in folder.iterdir())


def partition_schools(path: str | Path) -> dict[str, Path]:
    """The schools stored in a partitioned folder and their partition folders.

    Parameters
    ----------
    path : str or Path
        A partitioned district folder.

    Returns
    -------
    dict of str to Path
        School id → partition folder, sorted by school id.
    """
    folder = Path(path)
    found: dict[str, Path] = {}
    for child in folder.iterdir():
        if child.is_dir() and child.name.startswith(f"{PARTITION_KEY}="):
            found[unquote(child.name.split("=", 1)[1])] = child
    return dict(sorted(found.items()))


def partition_path(path: str | Path, school_id: str) -> Path:
    """The folder holding one school's partition (a canonical folder for that school).

    Parameters
    ----------
    path : str or Path
        A partitioned district folder.
    school_id : str
        The school.

    Returns
    -------
    Path
        ``<path>/school_id=<quoted id>``; it may not exist.
    """
    return Path(path) / _folder_name(school_id)


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------
def _write_table(frame: pd.DataFrame, path: Path) -> None:
    frame.drop(columns=[_ROW], errors="ignore").reset_index(drop=True).to_parquet(path, index=False)


def write_partitioned(dataset: Dataset, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a dataset as Parquet partitioned by school (see the module docstring for the layout).

    The folder is written beside ``path`` under a temporary name and moved
    into place at the end, so readers never see half a district.

    Parameters
    ----------
    dataset : Dataset
        The district (typically from :func:`plc_analysis.load_dataset`).
    path : str or Path
        Destination folder; it must not exist (or be empty) unless
        ``overwrite`` is true.
    overwrite : bool
        Replace an existing folder at ``path``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    FileExistsError
        ``path`` exists, is not empty and ``overwrite`` is false.
    """
    target = Path(path)
    if target.exists() and not overwrite and (not target.is_dir() or any(target.iterdir())):
        raise FileExistsError(f"{target} already exists and is not empty (pass overwrite=True to replace it)")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        tagged = Dataset.from_tables(
            {name: dataset.tables[name].assign(**{_ROW: range(len(dataset.tables[name]))}) for name in TABLE_ORDER}
        )
        present = [name for name in TABLE_ORDER if name in _ALWAYS or len(dataset.tables[name])]
        schools = dataset.tables["schools"]
        reached: dict[str, set[int]] = {name: set() for name in TABLE_ORDER}
        folders: dict[str, str] = {}
        for school_id in sorted(schools["school_id"].astype(str)):
            part = tagged.filter(school_id=school_id)
            folder = staging / _folder_name(school_id)
            folder.mkdir()
            folders[school_id] = folder.name
            for name in present:
                frame = part.tables[name]
                if name == "schools":  # the school's own row, even when it has no teams
                    frame = tagged.tables["schools"][tagged.tables["schools"]["school_id"].astype(str) == school_id]
                reached[name].update(frame[_ROW].tolist())
                _write_table(frame, folder / f"{name}.parquet")
        _write_table(schools, staging / "schools.parquet")
        shared = {
            name: tagged.tables[name][~tagged.tables[name][_ROW].isin(reached[name])]
            for name in present
            if name != "schools"
        }
        shared = {name: frame for name, frame in shared.items() if len(frame)}
        if shared:
            (staging / SHARED_NAME).mkdir()
            for name, frame in shared.items():
                _write_table(frame, staging / SHARED_NAME / f"{name}.parquet")
        if len(dataset.rejected):
            write_people_csv(dataset.rejected, staging / "rejected.csv")
        marker = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "partition_by": PARTITION_KEY,
            "schools": folders,
            "tables": present,
            "shared": sorted(shared),
        }
        (staging / MARKER_NAME).write_text(json.dumps(marker, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        old: Path | None = None
        if target.exists():
            old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
            os.replace(target, old)
        os.replace(staging, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


# ---------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------
@dataclass
class _Piece:
    """One file of one table: its label in problems and its raw rows."""

    label: str
    raw: RawTable


def _read_piece(folder: Path, name: str, label_prefix: str, problems: list[Problem]) -> _Piece | None:
    for suffix in (".csv", ".parquet"):
        file = folder / f"{name}{suffix}"
        if not file.exists():
            continue
        label = f"{label_prefix}{file.name}"
        try:
            raw = (
                readers.read_raw_parquet(file, name=name)
                if suffix == ".parquet"
                else readers.read_raw_csv(file, name=name, file_label=label)
            )
        except Exception as exc:  # truncated or corrupt Parquet, unreadable file
            problems.append(unreadable_piece(label, exc))
            return None
        raw.label = label
        return _Piece(label, raw)
    return None


def unreadable_piece(label: str, exc: Exception) -> Problem:
    """The problem for a partition's file that cannot be read (truncated, corrupt): the table is read without it.

    Parameters
    ----------
    label : str
        The file as problems name it (``school_id=S01/scores.parquet``).
    exc : Exception
        What reading it raised.

    Returns
    -------
    Problem
    """
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return Problem(label, None, None, None, f"could not read the file (truncated or corrupt?): {detail}")


def _combine(name: str, label: str, pieces: list[_Piece]) -> tuple[RawTable, list[tuple[int, int, str]]]:
    """One raw table from several files; line numbers are shifted so every row stays traceable.

    Returns the table and ``(first, last, label)`` line ranges to map problems back to files.
    Identical rows (a student enrolled in two schools) are kept once.  Typed tables (Parquet,
    when the reader keeps types) stay typed; if any piece is text, every piece is read as text.
    """
    if len(pieces) == 1:
        return pieces[0].raw, []
    typed = all(getattr(piece.raw, "typed", False) for piece in pieces)
    frames, dropped, ranges, problems = [], [], [], []
    offset = 0
    for piece in pieces:
        raw = piece.raw
        lines = list(raw.frame[LINE]) + [row["line"] for row in raw.dropped] + [1]
        top = max(int(x) for x in lines)
        frame = raw.frame.copy()
        if not typed:
            for column in frame.columns.drop(LINE):
                if not pd.api.types.is_string_dtype(frame[column]):
                    frame[column] = readers.cell_text(frame[column])
        frame[LINE] = frame[LINE] + offset
        frames.append(frame)
        dropped += [{**row, "line": row["line"] + offset} for row in raw.dropped]
        problems += raw.problems
        ranges.append((offset + 1, offset + top, piece.label))
        offset += top
    frame = pd.concat(frames, ignore_index=True)
    columns = [c for c in frame.columns if c != LINE]
    if not typed:  # a column some files lack is blank there, as in a CSV
        frame[columns] = frame[columns].fillna("")
    frame = frame[~frame.duplicated(subset=columns, keep="first")].reset_index(drop=True)
    combined = copy.copy(pieces[0].raw)  # same kind of table (typed or text) as the reader makes
    combined.name, combined.frame, combined.problems, combined.dropped = name, frame, problems, dropped
    combined.label = label
    if hasattr(combined, "typed"):
        combined.typed = typed
    return combined, ranges


def _relocate(label: str, line: int | None, ranges: dict[str, list[tuple[int, int, str]]]) -> tuple[str, int | None]:
    spans = ranges.get(label)
    if not spans or line is None:
        return label, line
    for first, last, piece_label in spans:
        if first <= line <= last:
            return piece_label, line - first + 1
    return label, line


def load_partitioned(
    path: str | Path,
    *,
    schools: str | Sequence[str] | None = None,
    tables: Iterable[str] | None = None,
    errors: Errors = "raise",
) -> Dataset:
    """Read a school-partitioned district, only the partitions asked for.

    Parameters
    ----------
    path : str or Path
        A folder written by :func:`write_partitioned` (or laid out the same way).
    schools : str or sequence of str, optional
        The schools to read; default every school, plus the rows in
        ``_shared``.  Only these schools' folders are opened.
    tables : iterable of str, optional
        Only these tables (e.g. ``("schools", "teams")`` for a quick
        catalogue of the district); default every table.  Only the tables a
        CFA report needs among them are required.
    errors : {"raise", "quarantine"}
        As for :func:`plc_analysis.load_dataset`: raise
        :class:`~plc_analysis.PLCDataError` listing every problem, or keep
        the valid rows and the rejected ones in ``Dataset.rejected``.
        Problems name the partition file (``school_id=S01/scores.parquet``)
        and its row; a file that cannot be read at all (truncated, corrupt)
        is such a problem too.

    Returns
    -------
    Dataset
        A normal dataset of the schools read (``source`` is ``path``).

    Raises
    ------
    FileNotFoundError
        ``path`` is not a folder.
    ValueError
        A requested school has no partition (the message lists those found).
    PLCDataError
        With ``errors="raise"``, when any row or file fails validation.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    available = partition_schools(folder)
    wanted = None if schools is None else ([schools] if isinstance(schools, str) else list(schools))
    if wanted is not None:
        missing = [s for s in wanted if s not in available]
        if missing:
            known = ", ".join(available) or "none"
            raise ValueError(f"{folder}: no partition for school(s) {', '.join(missing)} (schools found: {known})")
        chosen = list(dict.fromkeys(wanted))
    else:
        chosen = list(available)
    names = list(TABLE_ORDER) if tables is None else [n for n in TABLE_ORDER if n in set(tables)]
    unknown = set(tables or ()) - set(TABLE_ORDER)
    if unknown:
        raise ValueError(f"unknown table(s): {', '.join(sorted(unknown))}")
    parts = [(available[s], f"{available[s].name}/") for s in chosen]
    if wanted is None and (folder / SHARED_NAME).is_dir():
        parts.append((folder / SHARED_NAME, f"{SHARED_NAME}/"))

    problems: list[Problem] = []
    raw: dict[str, RawTable] = {}
    ranges: dict[str, list[tuple[int, int, str]]] = {}
    for name in names:
        pieces: list[_Piece] = []
        if name == "schools" and wanted is None:
            top = _read_piece(folder, name, "", problems)  # every school, including any without a partition
            if top is not None:
                pieces.append(top)
        if not pieces:
            for part, prefix in parts:
                piece = _read_piece(part, name, prefix, problems)
                if piece is not None:
                    pieces.append(piece)
        if pieces:
            label = f"{name} ({len(pieces)} partitions)"
            raw[name], spans = _combine(name, label, pieces)
            if spans:
                ranges[label] = spans
    required = tuple(n for n in CFA_TABLES if n in names)
    result = validate_tables(raw, required=required, extra_problems=problems)
    if ranges:
        result.problems = [
            Problem(*_relocate(p.file, p.line, ranges), p.column, p.value, p.reason, p.severity)
            for p in result.problems
        ]
        if len(result.rejected):
            moved = [
                _relocate(f, None if pd.isna(line) else int(line), ranges)
                for f, line in zip(result.rejected["file"], result.rejected["line"])
            ]
            result.rejected["file"] = [m[0] for m in moved]
            result.rejected["line"] = pd.array([m[1] for m in moved], dtype="Int64")
    notes = () if wanted is None else (f"schools read: {', '.join(chosen)}",)
    return finish_load(result, source=str(folder), errors=errors, notes=notes)
