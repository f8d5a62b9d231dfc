"""Where a district's tables are on disk: one file per table, or one per table and school partition.

The out-of-core engine reads the large table (``scores``) straight from its
files and never loads it whole; this module finds those files in a canonical
folder (``scores.parquet`` or ``scores.csv``) or in a school-partitioned one
(:mod:`plc_analysis.partitioned`: ``school_id=<id>/scores.parquet`` …, then
``_shared/``), with the label each is named by in problems, as the pandas
loaders name them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..partitioned import SHARED_NAME, is_partitioned, partition_schools

__all__ = ["LARGE_TABLES", "TableFile", "table_files"]

#: Tables read by the engine from their files, never loaded whole; every other table is small and loaded.
LARGE_TABLES: tuple[str, ...] = ("scores",)


@dataclass(frozen=True)
class TableFile:
    """One file of one table.

    Attributes
    ----------
    path : Path
        The file.
    label : str
        How problems name it: ``scores.parquet``, or ``school_id=S01/scores.parquet``
        in a partitioned district (as :func:`plc_analysis.load_partitioned` names it).
    school_id : str or None
        The partition's school (None: a flat folder, or ``_shared``).
    fmt : {"parquet", "csv"}
    """

    path: Path
    label: str
    school_id: str | None
    fmt: str


def _in_folder(folder: Path, name: str, prefix: str, school_id: str | None) -> TableFile | None:
    # the same preference as the pandas loaders: a table's CSV before its Parquet
    for fmt in ("csv", "parquet"):
        path = folder / f"{name}.{fmt}"
        if path.exists() or path.is_symlink():
            return TableFile(path, f"{prefix}{path.name}", school_id, fmt)
    return None


def table_files(path: str | Path, name: str, *, schools: list[str] | None = None) -> list[TableFile]:
    """The files holding table ``name`` in a canonical or school-partitioned folder.

    Parameters
    ----------
    path : str or Path
        A canonical data folder or a school-partitioned district.
    name : str
        A canonical table name.
    schools : list of str, optional
        In a partitioned district, only these schools' partitions (default:
        every school and ``_shared``).

    Returns
    -------
    list of TableFile
        In school order, ``_shared`` last; empty when the table is absent.
    """
    folder = Path(path)
    if not is_partitioned(folder):
        found = _in_folder(folder, name, "", None)
        return [found] if found else []
    files = []
    for school_id, part in partition_schools(folder).items():
        if schools is not None and school_id not in schools:
            continue
        found = _in_folder(part, name, f"{part.name}/", school_id)
        if found:
            files.append(found)
    shared = folder / SHARED_NAME
    if schools is None and shared.is_dir():
        found = _in_folder(shared, name, f"{SHARED_NAME}/", None)
        if found:
            files.append(found)
    return files
