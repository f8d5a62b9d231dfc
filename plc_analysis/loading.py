"""Load a district's data from any supported source into a :class:`Dataset`.

Sources: a canonical folder (CSV or Parquet per table), a OneRoster 1.1/1.2
CSV export (folder or zip), Ed-Fi assessment data (XML interchange or ODS/API
JSON; folder, zip or file), a Canvas or Google Classroom gradebook export (CSV), or a
wide score sheet (CSV/XLSX, one row per student and one column per item, plus an item map).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from .bundled import SAMPLE_DIR
from .dataset import Dataset
from .errors import PLCDataError, Problem
from .load_steps import Errors, finish_load
from .readers import LINE, RawTable, check_input_file, check_zip, read_raw_csv, read_raw_parquet, unreadable
from .roster_match import ROSTER_TABLES, join_roster
from .schema import CFA_TABLES, TABLES
from .validation import validate_tables

__all__ = ["load_dataset", "load_roster", "load_sample", "load_canonical", "finish_load", "SAMPLE_PATH"]

#: The synthetic sample district shipped inside the package (``plc_analysis/data/sample``).
SAMPLE_PATH = SAMPLE_DIR
#: Other teams' pooled counts a batch puts beside a team's extract (see plc_analysis.comparison.peer_counts).
PEER_COUNTS_FILE = "peer_counts.parquet"
#: Files a canonical folder may hold besides its tables (``problems.csv``: written by ``plc convert``).
IGNORED_FILES = {"rejected.csv", "problems.csv", "manifest.json", "planted.json", PEER_COUNTS_FILE}


def load_canonical(
    path: str | Path,
    *,
    errors: Errors = "raise",
    required: tuple[str, ...] = CFA_TABLES,
    tables: Iterable[str] | None = None,
) -> Dataset:
    """Load a canonical data folder (one CSV or Parquet file per table).

    Parameters
    ----------
    path : str or Path
        The folder.
    errors : {"raise", "quarantine"}
        See :func:`finish_load`.
    required : tuple of str
        Tables that must be present (those not read are never required).
    tables : iterable of str, optional
        Read only these tables (the others are empty); default every table.

    Returns
    -------
    Dataset
    """
    folder = Path(path)
    raw: dict[str, RawTable] = {}
    problems: list[Problem] = []
    wanted = set(TABLES) if tables is None else set(tables)
    required = tuple(n for n in required if n in wanted)
    for name in TABLES:
        if name not in wanted:
            continue
        csv_path, parquet_path = folder / f"{name}.csv", folder / f"{name}.parquet"
        # a link that leads nowhere (broken, or a loop such as goals.csv -> goals.csv) is there, not absent
        found = next((p for p in (csv_path, parquet_path) if p.exists() or p.is_symlink()), None)
        if found is None:
            continue
        try:
            raw[name] = read_raw_csv(found) if found.suffix == ".csv" else read_raw_parquet(found)
        except PLCDataError as exc:  # an unreadable file: its problem, and the table read as empty
            problems += exc.problem_list
            raw[name] = RawTable(name, pd.DataFrame({LINE: pd.Series([], dtype="int64")}), [], "", found.name)
    known = {f"{n}.csv" for n in TABLES} | {f"{n}.parquet" for n in TABLES} | IGNORED_FILES
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise unreadable(folder.name or str(folder), f"the folder cannot be listed: {exc.strerror or exc}") from None
    for extra in entries:
        if extra.is_file() and extra.suffix.lower() in (".csv", ".parquet") and extra.name not in known:
            problems.append(Problem(extra.name, None, None, None, "not a canonical table; ignored", "warning"))
    result = validate_tables(raw, required=required, extra_problems=problems)
    return finish_load(result, source=str(folder), errors=errors)


def _has_canonical_tables(folder: Path) -> bool:
    return any((folder / f"{n}.csv").exists() or (folder / f"{n}.parquet").exists() for n in CFA_TABLES)


def _is_oneroster_folder(folder: Path) -> bool:
    return (folder / "manifest.csv").exists() or (folder / "orgs.csv").exists() or (folder / "users.csv").exists()


#: Loaders that match students to a roster themselves (they know each student's line).
ROSTER_AWARE_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".tsv")


def load_roster(roster: str | Path | Dataset, *, errors: Errors = "raise") -> Dataset:
    """Load a roster: a OneRoster export (folder or zip) or a canonical folder of people tables.

    Parameters
    ----------
    roster : str, Path or Dataset
        A canonical folder needs only ``schools, teams, teachers, sections, students,
        enrollments``; a Dataset is returned as it is.
    errors : {"raise", "quarantine"}
        See :func:`load_dataset`.

    Returns
    -------
    Dataset
    """
    if isinstance(roster, Dataset):
        return roster
    path = Path(roster)
    if path.is_dir() and not _is_oneroster_folder(path):
        return load_canonical(path, errors=errors, required=ROSTER_TABLES)
    return load_dataset(path, errors=errors)


def load_dataset(
    path: str | Path, *, errors: Errors = "raise", roster: str | Path | Dataset | None = None, **options: Any
) -> Dataset:
    """Load a district's data, validating every row.

    Parameters
    ----------
    path : str or Path
        A canonical data folder (a batch's extract, unchanged since the batch
        validated it, is read without validating again: see
        :mod:`plc_analysis.extract`); a school-partitioned Parquet folder (see
        :func:`plc_analysis.write_partitioned`); a OneRoster 1.1 or 1.2 CSV export (folder or
        ``.zip`` with ``manifest.csv``); Ed-Fi assessment data (XML interchange
        files or saved ODS/API JSON arrays: a folder, ``.zip``, ``.xml`` or
        ``.json``; see :func:`plc_analysis.load_edfi`); or a wide score sheet (``.csv`` or
        ``.xlsx``), in which case pass ``item_map=`` (see
        :func:`plc_analysis.load_score_sheet`); or a Canvas / Google Classroom gradebook
        export (``.csv``, recognised by its header: see
        :func:`plc_analysis.load_canvas_gradebook`).
    errors : {"raise", "quarantine"}
        ``"raise"`` (default): raise :class:`PLCDataError` listing every
        problem (file, line, column, value, reason).  ``"quarantine"``: load
        the valid rows and keep the rejected ones, with reasons, in
        ``Dataset.rejected``.
    roster : str, Path or Dataset, optional
        Students, sections and teams from another system (a OneRoster export or a canonical
        folder, see :func:`load_roster`): the results' students are matched to it by id, else by
        name, and placed in its sections (see :func:`plc_analysis.roster_match.join_roster`);
        a score sheet may then carry names and no ids.
    **options
        Passed to the format's loader (e.g. ``item_map`` for score sheets).

    Returns
    -------
    Dataset

    Raises
    ------
    PLCDataError
        When ``errors="raise"`` and any row fails validation.
    FileNotFoundError
        When ``path`` does not exist.
    """
    path = Path(path)
    if not path.exists():
        if path.is_symlink():
            check_input_file(path)  # a broken link or a loop of links: says which
        raise FileNotFoundError(f"no such file or folder: {path}")
    if roster is not None:
        people = load_roster(roster, errors=errors)
        if path.is_file() and path.suffix.lower() in ROSTER_AWARE_SUFFIXES:
            return _load_file(path, errors=errors, roster=people, **options)
        results = load_dataset(path, errors=errors, **options)
        return join_roster(results, people, errors=errors)
    if path.is_dir():
        try:
            os.listdir(path)
        except OSError as exc:
            raise unreadable(path.name or str(path), f"the folder cannot be listed: {exc.strerror or exc}") from None
        from .partitioned import is_partitioned, load_partitioned

        if is_partitioned(path):
            return load_partitioned(path, errors=errors, **options)
        if _is_oneroster_folder(path) and not (path / "scores.csv").exists():
            from .oneroster import load_oneroster

            return load_oneroster(path, errors=errors, **options)
        if not _has_canonical_tables(path):
            from .edfi_read import is_edfi_source

            if is_edfi_source(path):
                from .edfi import load_edfi

                return load_edfi(path, errors=errors, **options)
        from .extract import EXTRACT_MARKER, read_extract

        trusted = read_extract(path) if (path / EXTRACT_MARKER).is_file() and not options else None
        return trusted if trusted is not None else load_canonical(path, errors=errors, **options)
    suffix = path.suffix.lower()
    if suffix == ".zip":
        names = {Path(n).name for n in check_zip(path)}  # a corrupt zip or a zip bomb is refused here
        if {"orgs.csv", "users.csv", "manifest.csv"} & names:
            from .oneroster import load_oneroster

            return load_oneroster(path, errors=errors, **options)
        from .edfi_read import is_edfi_source

        if is_edfi_source(path):
            from .edfi import load_edfi

            return load_edfi(path, errors=errors, **options)
        raise unreadable(
            path.name,
            "a zip is read as a OneRoster export (manifest.csv, orgs.csv or users.csv) or as Ed-Fi files "
            "(XML interchange files or ODS/API JSON arrays such as studentAssessments.json), but it has neither",
        )
    if suffix in (".xml", ".json"):
        from .edfi import load_edfi

        return load_edfi(path, errors=errors, **options)
    if suffix in ROSTER_AWARE_SUFFIXES:
        return _load_file(path, errors=errors, **options)
    raise unreadable(
        path.name,
        "is not an input the workbook reads; give a canonical folder, a OneRoster folder or zip, Ed-Fi files, "
        "or a score sheet (.csv/.xlsx; save an old .xls workbook as .xlsx)",
    )


def _load_file(path: Path, *, errors: Errors, **options: Any) -> Dataset:
    """A spreadsheet or CSV of results: a Canvas or Google Classroom gradebook export, else a score sheet."""
    from .gradebooks import gradebook_kind, load_canvas_gradebook, load_classroom_gradebook

    kind = gradebook_kind(path)
    if kind == "canvas":
        return load_canvas_gradebook(path, errors=errors, **options)
    if kind == "classroom":
        return load_classroom_gradebook(path, errors=errors, **options)
    from .scoresheet import load_score_sheet

    return load_score_sheet(path, errors=errors, **options)


def load_sample() -> Dataset:
    """Load the synthetic sample district shipped with the package (:data:`SAMPLE_PATH`).

    Returns
    -------
    Dataset
    """
    if not SAMPLE_PATH.exists():
        raise FileNotFoundError(f"sample district not found at {SAMPLE_PATH}; run `plc sample --out {SAMPLE_PATH}`")
    return load_canonical(SAMPLE_PATH)
