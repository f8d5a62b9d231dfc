"""A batch's per-report extract: one team's (or school's) validated rows, handed to its notebook.

The batch driver loads and validates the district once and writes each report
an extract folder of Parquet tables.  Validating the extract again in the
kernel would repeat the driver's work (about a quarter of a second a report),
so the driver also writes ``extract.json`` with the SHA-256 of every table it
wrote.  :func:`plc_analysis.load_dataset` reads an extract whose tables all
match as it is, and validates anything else (a changed, added or missing
file, or no ``extract.json``) like any canonical folder.  ``extract.json``
also records the school and team filters that cut the extract out of the
district, so the notebook asking for that team again gets the extract itself
(and the metrics it has computed) rather than a copy (see
:meth:`Dataset.filter <plc_analysis.Dataset.filter>`).
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pandas as pd

from .dataset import TEAM_FILTERS, Dataset, filter_ids
from .schema import TABLES
from .validation import empty_table

__all__ = ["EXTRACT_MARKER", "write_extract", "read_extract"]

#: The file naming the extract's tables and their SHA-256.
EXTRACT_MARKER = "extract.json"
_FORMAT = "plc-extract/1"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _team_filters(dataset: Dataset) -> dict:
    """``dataset.filters`` when they only choose schools and teams by id (else none: nothing to short-cut)."""
    filters = dataset.filters
    if any(key not in TEAM_FILTERS or filter_ids(value) is None for key, value in filters.items()):
        return {}
    return {key: value if isinstance(value, str) else sorted(value) for key, value in filters.items()}


def write_extract(dataset: Dataset, folder: str | Path) -> Path:
    """Write ``dataset`` (validated) as Parquet tables and ``extract.json``.

    Parameters
    ----------
    dataset : Dataset
        Rows that passed validation (a filtered district).
    folder : str or Path
        Destination folder (created).

    Returns
    -------
    Path
        ``folder``.
    """
    folder = dataset.write(folder, fmt="parquet")
    tables = {
        f"{name}.parquet": _sha256((folder / f"{name}.parquet").read_bytes())
        for name in TABLES
        if (folder / f"{name}.parquet").is_file()
    }
    marker = {"format": _FORMAT, "source": dataset.source, "tables": tables, "filters": _team_filters(dataset)}
    (folder / EXTRACT_MARKER).write_text(json.dumps(marker, indent=1), encoding="utf-8")
    return folder


def read_extract(folder: str | Path) -> Dataset | None:
    """The extract in ``folder`` read without validating again, or None when it cannot be trusted as is.

    Parameters
    ----------
    folder : str or Path
        A folder written by :func:`write_extract`.

    Returns
    -------
    Dataset or None
        None when ``extract.json`` is missing or unreadable, or when the
        folder's tables differ from those it lists (then validate the folder).
    """
    folder = Path(folder)
    try:
        marker = json.loads((folder / EXTRACT_MARKER).read_text(encoding="utf-8"))
        listed: dict[str, str] = dict(marker["tables"])
        if marker.get("format") != _FORMAT:
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    present = {
        f"{name}.{suffix}"
        for name in TABLES
        for suffix in ("parquet", "csv")
        if (folder / f"{name}.{suffix}").is_file()
    }
    if present != set(listed):
        return None
    contents = {name: (folder / name).read_bytes() for name in listed}  # read once: checked, then parsed
    if any(_sha256(data) != listed[name] for name, data in contents.items()):
        return None
    tables = {
        name: (
            pd.read_parquet(io.BytesIO(contents[f"{name}.parquet"]))
            if f"{name}.parquet" in contents
            else empty_table(name)
        )
        for name in TABLES
    }
    filters = marker.get("filters")
    return Dataset.from_tables(
        tables,
        source=str(folder),
        notes=(f"batch extract of {marker.get('source') or 'a district'}, validated there",),
        filters=dict(filters) if isinstance(filters, dict) else {},
    )
