"""A batch's per-report extract: one team's (or school's) validated rows, handed to its notebook.

The batch driver loads and validates the district once and writes each report
an extract folder of Parquet tables.  Validating the extract again in the
kernel would repeat the driver's work (about a quarter of a second a report),
so the driver also writes ``extract.json`` with the SHA-256 of every table it
wrote, sealed with an HMAC under a secret key only that process and the
kernels it starts know (:func:`extract_key`, handed to kernels in the
``PLC_EXTRACT_KEY`` environment variable, never written to disk).
:func:`plc_analysis.load_dataset` reads an extract as it is only when the seal
verifies and every table matches; anything else (an ``extract.json`` someone
wrote or copied into a folder, a changed, added or missing file, a process
without the key such as ``plc validate``) is validated like any canonical
folder.  A hash alone would not do: anyone can compute one.  ``extract.json``
also records the school and team filters that cut the extract out of the
district, so the notebook asking for that team again gets the extract itself
(and the metrics it has computed) rather than a copy (see
:meth:`Dataset.filter <plc_analysis.Dataset.filter>`).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import secrets
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from .dataset import TEAM_FILTERS, Dataset, filter_ids
from .schema import TABLES
from .validation import empty_table

__all__ = [
    "EXTRACT_MARKER",
    "EXTRACT_KEY_ENV",
    "extract_key",
    "write_extract",
    "write_marker",
    "file_digest",
    "read_extract",
]

#: The file naming the extract's tables and their SHA-256, sealed with an HMAC.
EXTRACT_MARKER = "extract.json"
#: The environment variable through which a batch hands its kernels the key (hex) that seals its extracts.
EXTRACT_KEY_ENV = "PLC_EXTRACT_KEY"
_FORMAT = "plc-extract/2"
_KEY: list[bytes] = []
_KEY_LOCK = threading.Lock()


def extract_key() -> bytes:
    """This process's secret key for sealing extracts (32 random bytes, made on first use, never stored).

    Returns
    -------
    bytes
    """
    with _KEY_LOCK:
        if not _KEY:
            _KEY.append(secrets.token_bytes(32))
        return _KEY[0]


def _verifying_key() -> bytes | None:
    """The key an extract must be sealed with here: the batch's (in its kernels), else this process's own, if any."""
    given = os.environ.get(EXTRACT_KEY_ENV, "")
    if given:
        try:
            return bytes.fromhex(given)
        except ValueError:
            return None
    return _KEY[0] if _KEY else None


def _seal(marker: dict, key: bytes) -> str:
    body = json.dumps({k: v for k, v in marker.items() if k != "seal"}, sort_keys=True, ensure_ascii=True)
    return hmac.new(key, body.encode("utf-8"), hashlib.sha256).hexdigest()


def file_digest(data: bytes) -> str:
    """The SHA-256 (hex) of a table file's bytes, as ``extract.json`` lists it.

    Returns
    -------
    str
    """
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
        f"{name}.parquet": file_digest((folder / f"{name}.parquet").read_bytes())
        for name in TABLES
        if (folder / f"{name}.parquet").is_file()
    }
    return write_marker(folder, tables, source=dataset.source, filters=_team_filters(dataset))


def write_marker(
    folder: str | Path,
    tables: Mapping[str, str],
    *,
    source: str,
    filters: Mapping[str, Any],
    key: bytes | None = None,
) -> Path:
    """Write ``extract.json`` into ``folder``: its tables' SHA-256, the filters that cut it, sealed.

    :func:`write_extract` calls it once the tables are written; so does any
    other writer of extracts (:func:`plc_analysis.outofcore.cut_team_extracts`),
    whose marker must be the same.

    Parameters
    ----------
    folder : str or Path
        The extract folder, its tables already written.
    tables : mapping of str to str
        Every table file of the folder (``scores.parquet`` ...), in
        :data:`~plc_analysis.schema.TABLES` order, to its :func:`file_digest`.
    source : str
        The district the extract was cut from.
    filters : mapping
        The school and team filters that cut it (e.g. ``{"team_id": "T1"}``).
    key : bytes, optional
        The key to seal with (default: this process's :func:`extract_key`).

    Returns
    -------
    Path
        ``folder``.
    """
    folder = Path(folder)
    marker = {"format": _FORMAT, "source": source, "tables": dict(tables), "filters": dict(filters)}
    marker["seal"] = _seal(marker, extract_key() if key is None else key)
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
        None when ``extract.json`` is missing or unreadable, when its seal
        does not verify with this process's key (see :func:`extract_key`),
        or when the folder's tables differ from those it lists (then validate
        the folder).
    """
    folder = Path(folder)
    key = _verifying_key()
    if key is None:
        return None  # nothing here can prove the marker was written by a batch
    try:
        marker = json.loads((folder / EXTRACT_MARKER).read_text(encoding="utf-8"))
        listed: dict[str, str] = dict(marker["tables"])
        if marker.get("format") != _FORMAT or not hmac.compare_digest(str(marker.get("seal")), _seal(marker, key)):
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
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
    if any(file_digest(data) != listed[name] for name, data in contents.items()):
        return None
    try:
        tables = {
            name: (
                pd.read_parquet(io.BytesIO(contents[f"{name}.parquet"]))
                if f"{name}.parquet" in contents
                else empty_table(name)
            )
            for name in TABLES
        }
    except (pa.ArrowException, OSError, ValueError):  # sealed yet unreadable: the folder's validation says why
        return None
    filters = marker.get("filters")
    return Dataset.from_tables(
        tables,
        source=str(folder),
        notes=(f"batch extract of {marker.get('source') or 'a district'}, validated there",),
        filters=dict(filters) if isinstance(filters, dict) else {},
    )
