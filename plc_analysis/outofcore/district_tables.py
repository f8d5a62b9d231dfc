"""The district's proficiency-by-skill tables out of core, on one machine or school by school, as CSV files.

What ``plc overview-tables`` runs: :func:`proficiency_tables` computes the
tables in one DuckDB over the whole district (the default: fastest on one
machine), or school by school (:mod:`plc_analysis.outofcore.partition_run`)
when given ``jobs`` or a Dask ``scheduler``, which bounds memory to one school
per process and spreads the schools over processes or a cluster; the tables
are the same either way.  :func:`write_tables` writes them for a spreadsheet.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..export import atomic_write
from ..load_steps import Errors
from ..proficiency import MasteryRule
from ..spreadsheet_out import neutralise_formulas
from .district import DEFAULT_MEMORY_LIMIT, open_district
from .partition_run import CombinedTables, by_label, partitioned_overview
from .proficiency_sql import district_proficiency_by_skill

__all__ = ["proficiency_tables", "write_tables", "table_file_name"]


def proficiency_tables(
    path: str | Path,
    bys: Sequence[str | Sequence[str] | None] = ("team", "school", None),
    rule: MasteryRule = "most_recent",
    *,
    jobs: int | None = None,
    scheduler: Any = None,
    errors: Errors = "raise",
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    progress: bool = False,
) -> CombinedTables:
    """The district's :func:`plc_analysis.proficiency_by_skill` tables, out of core.

    Parameters
    ----------
    path : str or Path
        A canonical data folder or a school-partitioned district.
    bys : sequence
        One table per entry (None: the whole district).
    rule : str
        The mastery rule.
    jobs : int, optional
        Work school by school, this many schools at once in their own
        processes (1: one after another); needs a school-partitioned district.
        Default: the whole district in one DuckDB.
    scheduler : optional
        Work school by school on a Dask cluster (see
        :func:`~plc_analysis.outofcore.partition_run.partitioned_overview`).
    errors, memory_limit, progress
        As :func:`~plc_analysis.outofcore.partition_run.partitioned_overview`.

    Returns
    -------
    CombinedTables
        ``crossing`` is None on the whole-district path (every student is counted once there).
    """
    from tqdm import tqdm

    if jobs is not None or scheduler is not None:
        return partitioned_overview(
            path,
            bys,
            rule,
            errors=errors,
            jobs=jobs or 1,
            scheduler=scheduler,
            memory_limit=memory_limit,
            progress=progress,
        )
    levels = [b if b is None or isinstance(b, str) else list(b) for b in bys]
    labels = [by_label(b if b is None or isinstance(b, str) else tuple(b)) for b in levels]
    if len(set(labels)) != len(labels):
        raise ValueError(f"each table once: {', '.join(labels)}")
    with open_district(path, errors=errors, memory_limit=memory_limit) as district:
        tables = {}
        for label, by in tqdm(
            list(zip(labels, levels)), desc="tables", unit="table", file=sys.stderr, disable=not progress
        ):
            tables[label] = district_proficiency_by_skill(district, by, rule)
        return CombinedTables(
            tables=tables,
            schools=sorted(district.small.schools["school_id"].astype(str)),
            n_scores=district.count(),
            crossing=None,
            problems=list(district.problems),
            rejected=district.rejected,
        )


def table_file_name(label: str) -> str:
    """The CSV file of a table: ``proficiency_by_team.csv``, ``proficiency_by_district.csv`` …

    Returns
    -------
    str
    """
    return f"proficiency_by_{label}.csv"


def write_tables(tables: dict[str, Any], out: str | Path) -> list[Path]:
    """Write each table as CSV in ``out`` (created), atomically, formula starts neutralised for spreadsheets.

    Parameters
    ----------
    tables : dict of str to DataFrame
        As :attr:`CombinedTables.tables`.
    out : str or Path
        The folder.

    Returns
    -------
    list of Path
        The files written, in the order of ``tables``.
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for label, frame in tables.items():
        path = folder / table_file_name(label)
        with atomic_write(path, "w") as handle:
            neutralise_formulas(frame).to_csv(handle, index=False)
        written.append(path)
    return written
