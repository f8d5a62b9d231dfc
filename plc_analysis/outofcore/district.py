"""A whole district opened out of core: the small tables validated in pandas, the scores left on disk for DuckDB.

A big district has a few hundred thousand students but a hundred million or
more score rows.  :func:`open_district` reads and validates every table but
the scores with the same loaders and rules as :func:`plc_analysis.load_dataset`
(they fit in memory many times over), registers them in an embedded DuckDB
connection, and exposes the scores as views over their Parquet (or CSV)
files, which DuckDB scans in parallel, spilling to disk when an operation
does not fit in its memory limit:

``scores_raw``
    every score row as stored, plus ``_file`` (the file's label, as problems
    name it) and ``_line`` (the row's line: 2 for the first data row, as in a
    CSV file and as :func:`plc_analysis.readers.read_raw_parquet` numbers
    Parquet rows);
``scores``
    the rows that passed validation (:mod:`plc_analysis.outofcore.score_checks`),
    typed: ``student_id, assessment_id, item_id, rater_id, response`` text and
    ``points`` a double (NULL: not attempted), plus ``_file, _line``.

Every small table is a DuckDB view of the same name over its validated pandas
frame.  District-wide work (:mod:`plc_analysis.outofcore.mastery`,
:mod:`plc_analysis.outofcore.aggregates`, team extracts) runs as SQL over these
views; a team's own report stays in pandas on its small extract.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..dataset import Dataset
from ..errors import PLCDataError, Problem, problems_frame, problems_from_frame
from ..load_steps import Errors
from ..partitioned import is_partitioned
from ..schema import TABLE_ORDER, TABLES
from .files import LARGE_TABLES, TableFile, table_files
from .frames import copy_frame, register_frame
from .score_files import LINE_COLUMN, ScoreFiles, prepare_score_files
from .sql import sql_list, sql_text

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "District",
    "open_district",
    "DEFAULT_MEMORY_LIMIT",
    "sql_text",
    "sql_list",
    "sql_names",
    "register_frame",
    "copy_frame",
]

#: DuckDB's memory limit unless told otherwise: it spills to disk beyond it, which keeps the
#: whole process (Python, the small tables, DuckDB) under the 6 GB a district-wide run may use.
DEFAULT_MEMORY_LIMIT = "3GB"

SMALL_TABLES: tuple[str, ...] = tuple(n for n in TABLE_ORDER if n not in LARGE_TABLES)


def sql_names(columns: list[str]) -> list[str]:
    """Column names as SQL identifiers (double-quoted, quotes doubled), e.g. a subgroup column with a space.

    Returns
    -------
    list of str
    """
    return ['"' + c.replace('"', '""') + '"' for c in columns]


@dataclass
class District:
    """A district opened by :func:`open_district`.

    Attributes
    ----------
    path : Path
        The canonical or partitioned folder.
    con : duckdb.DuckDBPyConnection
        The connection holding the views (see the module docstring).
    small : Dataset
        Every table but the scores, validated (its ``scores`` is empty).
    score_files : list of TableFile
        The files the scores are read from.
    problems : list of Problem
        Every problem found, in the small tables and in the scores.
    rejected : DataFrame
        Rejected rows of the small tables and of the scores, columns
        ``file, line, severity, reason, row``.
    """

    path: Path
    con: duckdb.DuckDBPyConnection
    small: Dataset
    score_files: list[TableFile]
    problems: list[Problem] = field(default_factory=list)
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)
    _scratch: tempfile.TemporaryDirectory | None = field(default=None, repr=False)

    def sql(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run ``query`` on the district's connection; the result as a DataFrame.

        Returns
        -------
        DataFrame
            The query's columns.
        """
        return self.con.execute(query, params or []).df()

    def count(self, view: str = "scores") -> int:
        """Rows of ``view`` (``scores`` by default: the valid score rows).

        Returns
        -------
        int
        """
        return int(self.con.execute(f"SELECT count(*) FROM {view}").fetchall()[0][0])

    def summary(self) -> pd.DataFrame:
        """Row counts per table (the scores counted in SQL), and rows rejected per input file.

        Returns
        -------
        DataFrame
            As :meth:`plc_analysis.Dataset.summary`: columns ``table, rows, rejected``.
        """
        frame = Dataset.from_tables(self.small.tables, rejected=self.rejected).summary()
        frame.loc[frame["table"] == "scores", "rows"] = self.count()
        return frame

    @property
    def problems_table(self) -> pd.DataFrame:
        """:attr:`problems` as a DataFrame (``file, line, column, value, reason, severity``)."""
        return problems_frame(self.problems)

    def close(self) -> None:
        """Close the connection and remove DuckDB's spill folder."""
        self.con.close()
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None

    def __enter__(self) -> District:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _load_small(path: Path, schools: list[str] | None) -> Dataset:
    from ..loading import load_canonical
    from ..partitioned import load_partitioned

    if is_partitioned(path):
        return load_partitioned(path, schools=schools, tables=SMALL_TABLES, errors="quarantine")
    if schools is not None:
        raise ValueError(f"schools= reads a school-partitioned district, and {path} is not one")
    return load_canonical(path, tables=SMALL_TABLES, errors="quarantine")


def _register_small(con: duckdb.DuckDBPyConnection, small: Dataset) -> None:
    for name in SMALL_TABLES:
        register_frame(con, name, small[name])


def _file_relation(read: ScoreFiles) -> str:
    """SQL reading every score file (a CSV file as converted to Parquet) as stored, with ``_file`` and ``_line``."""
    sources = [str(read.sources[f.label]) for f in read.files]
    labels = " ".join(f"WHEN {sql_text(path)} THEN {sql_text(f.label)}" for path, f in zip(sources, read.files))
    # a converted CSV file holds each row's line; a Parquet row's line is its position + 2
    line = f"coalesce({LINE_COLUMN}, file_row_number + 2)" if read.converted else "file_row_number + 2"
    exclude = f" EXCLUDE ({LINE_COLUMN})" if read.converted else ""
    # hive_partitioning off: a partition folder's name (school_id=S01) is not a column of its rows
    return (
        f"SELECT *{exclude}, CASE filename {labels} END AS _file, CAST({line} AS BIGINT) AS _line "
        f"FROM read_parquet({sql_list(sources)}, filename = true, file_row_number = true, union_by_name = true, "
        "hive_partitioning = false)"
    )


def _stored_columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [row[0] for row in con.execute(f"DESCRIBE {relation}").fetchall()]


def _register_scores(con: duckdb.DuckDBPyConnection, read: ScoreFiles) -> None:
    spec = TABLES["scores"]
    files = read.files
    if files:
        con.execute(f"CREATE OR REPLACE TEMP VIEW scores_files AS {_file_relation(read)}")
        stored = set(_stored_columns(con, "scores_files"))
    else:
        stored = set()
    columns = []
    for column in spec.columns:
        if column.name in stored:
            columns.append(f"CAST({column.name} AS VARCHAR) AS {column.name}")
        else:
            columns.append(f"CAST(NULL AS VARCHAR) AS {column.name}")
    extras = sorted(stored - set(spec.column_names) - {"filename", "file_row_number", "_file", "_line"})
    if files:
        body = f"SELECT {', '.join(columns)}, _file, _line FROM scores_files"
    else:
        body = f"SELECT {', '.join(columns)}, CAST(NULL AS VARCHAR) AS _file, CAST(NULL AS BIGINT) AS _line WHERE false"
    con.execute(f"CREATE OR REPLACE TEMP VIEW scores_raw AS {body}")
    con.execute("CREATE OR REPLACE TEMP TABLE scores_extra_columns AS SELECT unnest(?::VARCHAR[]) AS name", [extras])


def _connect(memory_limit: str, threads: int | None, temp_directory: str) -> duckdb.DuckDBPyConnection:
    import duckdb

    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": memory_limit,
        "threads": int(threads or os.cpu_count() or 1),
        "temp_directory": temp_directory,
        # rows need not come out in the order they went in: lets big scans and writes stream
        "preserve_insertion_order": False,
    }
    return duckdb.connect(config=config)


@contextmanager
def _closing_on_error(con: duckdb.DuckDBPyConnection, scratch: tempfile.TemporaryDirectory) -> Iterator[None]:
    try:
        yield
    except BaseException:
        con.close()
        scratch.cleanup()
        raise


def open_district(
    path: str | Path,
    *,
    errors: Errors = "raise",
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    threads: int | None = None,
    temp_directory: str | Path | None = None,
    schools: str | Sequence[str] | None = None,
) -> District:
    """Open a district for district-wide work out of core.

    Parameters
    ----------
    path : str or Path
        A canonical data folder (CSV or Parquet tables) or a school-partitioned
        district (:func:`plc_analysis.write_partitioned`).
    errors : {"raise", "quarantine"}
        As for :func:`plc_analysis.load_dataset`: raise
        :class:`~plc_analysis.PLCDataError` listing every problem of every
        table, or keep the valid rows (``scores`` holds only those) and list
        the rejected ones in :attr:`District.rejected`.
    memory_limit : str
        DuckDB's memory limit (e.g. ``"3GB"``); beyond it, it spills to disk.
    threads : int, optional
        DuckDB worker threads (default: every core).
    temp_directory : str or Path, optional
        Where DuckDB spills (default: a new temporary folder, removed on close).
    schools : str or sequence of str, optional
        In a school-partitioned district, open only these schools' partitions
        (their small tables and their score files; not ``_shared``), e.g. one
        school per task of :mod:`plc_analysis.outofcore.partials`.  Default:
        the whole district.

    Returns
    -------
    District
        Close it (or use it in a ``with`` block) when done.

    Raises
    ------
    FileNotFoundError
        ``path`` is not a folder.
    ValueError
        ``schools`` given for a folder that is not school-partitioned, or
        naming a school without a partition.
    PLCDataError
        With ``errors="raise"``, when any row of any table fails validation.
    """
    from .score_checks import check_scores, merge_problems

    if errors not in ("raise", "quarantine"):
        raise ValueError(f"errors must be 'raise' or 'quarantine', not {errors!r}")
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    chosen = None if schools is None else ([schools] if isinstance(schools, str) else list(schools))
    small = _load_small(folder, chosen)
    files = table_files(folder, "scores", schools=chosen)
    scratch = tempfile.TemporaryDirectory(prefix="plc-duckdb-", dir=temp_directory)
    con = _connect(memory_limit, threads, scratch.name)
    with _closing_on_error(con, scratch):
        read = prepare_score_files(
            files, partitioned=is_partitioned(folder), scratch=Path(scratch.name), schools=chosen
        )
        _register_small(con, small)
        _register_scores(con, read)
        found, rejected = check_scores(con, small, read)
        if not files:
            found.append(Problem(TABLES["scores"].file, None, None, None, "required file is missing"))
        problems = merge_problems(problems_from_frame(small.problems), read.unreadable, found)
        if errors == "raise" and any(p.severity == "error" for p in problems):
            raise PLCDataError(problems, source=str(folder))
        if files:
            _keep_valid_scores(con, Path(scratch.name))
        frames = [f for f in (small.rejected, rejected) if len(f)]
        all_rejected = pd.concat(frames, ignore_index=True) if frames else small.rejected
        return District(folder, con, small, read.files, problems, all_rejected, scratch)


def _keep_valid_scores(con: duckdb.DuckDBPyConnection, scratch: Path) -> None:
    """The valid score rows written once to Parquet in the spill folder, and ``scores`` read from there.

    The checked view reads every stored cell, names each row's file and line
    and leaves out the rejected rows each time it is read; the overview, the
    extracts and the mastery tables read the scores several times, so one pass
    writing them pays for itself (at 10M rows the mastery step went from 1.6x
    to 1.2x the hand-written query over the stored files).
    """
    target = scratch / "scores-valid.parquet"
    con.execute(f"COPY (SELECT * FROM scores) TO {sql_text(str(target))} (FORMAT parquet)")
    con.execute(f"CREATE OR REPLACE TEMP VIEW scores AS SELECT * FROM read_parquet({sql_text(str(target))})")
