"""Convert any supported source into a canonical folder an analyst can open (``plc convert``).

The folder holds the canonical tables the source became (CSV or Parquet), and beside them what
was *not* understood: ``rejected.csv`` (every row or cell left out, with its file, line and
reason), ``problems.csv`` (every problem, warnings included) and ``notes.txt`` (the loader's
notes: fallbacks taken, columns not read, how students were matched to a roster).  The folder
loads back with :func:`plc_analysis.load_dataset` to the same tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .dataset import Dataset
from .export import write_text_atomic
from .loading import load_dataset
from .schema import TABLE_ORDER
from .spreadsheet_out import write_people_csv

__all__ = ["Conversion", "convert_to_canonical", "CONVERSION_FILES"]

#: Files written beside the tables (a canonical folder's loader ignores them).
CONVERSION_FILES = ("rejected.csv", "problems.csv", "notes.txt")


@dataclass(frozen=True)
class Conversion:
    """What :func:`convert_to_canonical` wrote."""

    dataset: Dataset
    folder: Path
    rejected_path: Path
    problems_path: Path
    notes_path: Path


def _notes_text(dataset: Dataset, source: str, roster: str | None) -> str:
    rejected = dataset.rejected
    errors = int((rejected["severity"] == "error").sum())
    lines = [f"Converted from: {source}"]
    if roster:
        lines.append(f"Roster: {roster}")
    lines += ["", "Rows loaded per table (and rejected per input file):", dataset.summary().to_string(index=False)]
    lines += ["", "Notes:"] + [f"- {note}" for note in dataset.notes] if dataset.notes else ["", "Notes: none"]
    lines += [
        "",
        f"Left out: {len(rejected)} row(s) or cell(s), {errors} of them errors and {len(rejected) - errors} by "
        "design (an excused score, a test student, a row marked to be deleted ...): see rejected.csv; "
        "every problem, warnings included: problems.csv.",
    ]
    return "\n".join(lines) + "\n"


def convert_to_canonical(
    source: str | Path,
    out: str | Path,
    *,
    roster: str | Path | Dataset | None = None,
    fmt: str = "csv",
    force: bool = False,
    **options: Any,
) -> Conversion:
    """Load ``source`` (any format :func:`plc_analysis.load_dataset` reads) and write it as a canonical folder.

    Parameters
    ----------
    source : str or Path
        A canonical or OneRoster folder, a OneRoster zip, a Canvas / Google Classroom export,
        or a score sheet.
    out : str or Path
        The folder to write (created).
    roster : str, Path or Dataset, optional
        Students and sections from another system (see :func:`plc_analysis.load_roster`).
    fmt : {"csv", "parquet"}
        Format of the table files.
    force : bool
        Replace the tables of a folder that already holds canonical tables (the other
        format's table files are removed too, so no stale table is left).
    **options
        Passed to the source's loader (``item_map=``, ``date=``, ``grade=`` ...).

    Returns
    -------
    Conversion
        ``dataset`` (loaded in quarantine mode: every valid row, the rest in
        ``dataset.rejected``), ``folder``, and the paths of ``rejected.csv`` (columns ``file,
        line, severity, reason, row``; header only when nothing was left out),
        ``problems.csv`` (``file, line, column, value, reason, severity``) and ``notes.txt``.

    Raises
    ------
    FileExistsError
        ``out`` already holds canonical tables and ``force`` is false.
    ValueError
        ``out`` is the source itself, or a bad ``fmt``.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    source_path, folder = Path(source), Path(out)
    if folder.resolve() == source_path.resolve():
        raise ValueError(f"{folder}: the output folder is the source itself; choose another --out")
    tables = [folder / f"{name}.{ext}" for name in TABLE_ORDER for ext in ("csv", "parquet")]
    existing = [p for p in [*tables, *(folder / f for f in CONVERSION_FILES)] if p.exists()]
    if existing and not force:
        raise FileExistsError(
            f"{folder} already holds {existing[0].name} (and {len(existing) - 1} more); "
            "pass force=True (plc convert --force) to replace them"
        )
    dataset = load_dataset(source_path, errors="quarantine", roster=roster, **options)
    for path in existing:
        path.unlink()
    dataset.write(folder, fmt=fmt)
    rejected_path = folder / "rejected.csv"
    if not rejected_path.exists():
        write_people_csv(dataset.rejected, rejected_path)
    problems_path = folder / "problems.csv"
    write_people_csv(dataset.problems, problems_path)
    roster_text = None if roster is None else (roster.source if isinstance(roster, Dataset) else str(roster))
    notes_path = write_text_atomic(folder / "notes.txt", _notes_text(dataset, str(source), roster_text))
    return Conversion(dataset, folder, rejected_path, problems_path, notes_path)
