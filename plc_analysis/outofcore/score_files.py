"""The score files made ready for DuckDB: unreadable ones set aside, CSV files turned into Parquet with their lines.

DuckDB reads Parquet with each row's position, so a Parquet row's line is
known (position + 2, as :func:`plc_analysis.readers.read_raw_parquet`
numbers it).  A CSV file's lines are not: DuckDB's CSV reader does not number
rows, its sniffer guesses delimiters and quotes, and a quoted cell or a blank
line shifts every later line.  So each CSV file is read once, streaming, into
a Parquet file in DuckDB's scratch folder with a ``__plc_line`` column:

* a *simple* file (UTF-8, no quotes, one record per line, every row as wide as
  the header, the conditions under which the pandas reader splits it with
  pyarrow) is split by the same pyarrow reader and options, batch by batch, in
  bounded memory;
* any other file is read by :func:`plc_analysis.readers.read_raw_csv` itself
  (it is bounded by :data:`plc_analysis.readers.MAX_FILE_BYTES`), which gives
  the reading problems (a blank or repeated header, rows of the wrong width,
  another encoding, mojibake) and the rows it could not split, word for word.

A file that cannot be read at all gives the problem the pandas loaders give
(:func:`plc_analysis.readers.read_raw_parquet`,
:func:`plc_analysis.partitioned.unreadable_piece`) and is left out.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ..errors import PLCDataError, Problem
from ..partitioned import unreadable_piece
from ..readers import (
    LINE,
    MAX_COLUMNS,
    RawTable,
    has_mojibake,
    not_csv_text,
    parquet_rows,
    read_raw_csv,
)
from ..validation import REJECTED_COLUMNS
from .files import TableFile

__all__ = ["ScoreFiles", "prepare_score_files", "LINE_COLUMN"]

#: The column of a converted CSV file holding each row's line.
LINE_COLUMN = "__plc_line"
_CHUNK = 1 << 24


@dataclass
class ScoreFiles:
    """The score files as DuckDB reads them.

    Attributes
    ----------
    files : list of TableFile
        The readable files, in the pandas loaders' order.
    sources : dict of str to Path
        Per file label, the Parquet file DuckDB reads (the file itself, or the CSV converted).
    lines : dict of str to int
        Per file label, the last line its rows take (1: none), as ``load_partitioned`` counts it.
    unreadable : list of Problem
        Files that cannot be read at all (left out).
    reading : list of Problem
        What the CSV reader reported (header faults, rows of the wrong width, encoding, mojibake).
    dropped : DataFrame
        Rows the CSV reader could not split into the header's columns (columns ``file, line, severity, reason, row``).
    schools : list of str or None
        In a partitioned district, the schools read (None: all, and ``_shared``).
    """

    files: list[TableFile] = field(default_factory=list)
    sources: dict[str, Path] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    unreadable: list[Problem] = field(default_factory=list)
    reading: list[Problem] = field(default_factory=list)
    dropped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECTED_COLUMNS))
    schools: list[str] | None = None

    @property
    def converted(self) -> set[str]:
        """Labels of the files read from a converted CSV (their Parquet holds :data:`LINE_COLUMN`)."""
        return {f.label for f in self.files if f.fmt == "csv"}


def _simple_header(path: Path) -> list[str] | None:
    """The stripped header of a CSV file the pandas reader would split with pyarrow, else None.

    Checks every byte (streaming): UTF-8 (a byte-order mark allowed), no quote,
    no NUL, no lone carriage return, no mojibake; a header without blank or
    repeated names and at least one data line.
    """
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    header: str | None = None
    rest = False
    tail = ""
    last = b""
    returns = line_ends = 0
    with open(path, "rb") as handle:
        first_bytes = handle.read(4096)
        if not first_bytes.strip() or not_csv_text(first_bytes) is not None:
            return None
        handle.seek(0)
        while chunk := handle.read(_CHUNK):
            if b'"' in chunk or b"\x00" in chunk:
                return None
            returns += chunk.count(b"\r")
            line_ends += chunk.count(b"\r\n") + (last == b"\r" and chunk.startswith(b"\n"))
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError:
                return None
            if has_mojibake(tail + text):
                return None
            tail = text[-1:]
            if header is None:
                if "\n" not in text and len(text) < _CHUNK:
                    return None
                header, _, after = text.partition("\n")
                rest = rest or bool(after.strip())
            else:
                rest = rest or bool(text.strip())
            last = chunk[-1:]
        if returns != line_ends:  # a lone carriage return also ends a record
            return None
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return None
    if header is None or not rest:
        return None
    names = [h.strip() for h in header.rstrip("\r").split(",")]
    if "" in names or len(set(names)) != len(names) or len(names) > MAX_COLUMNS:
        return None
    return names


def _line_count(path: Path) -> int:
    lines = 0
    last = b"\n"
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


def _convert_simple(path: Path, header: list[str], target: Path) -> int | None:
    """Split a simple CSV file as the pandas reader's pyarrow path does, into ``target``; the rows, or None."""
    options = {
        "read_options": pa_csv.ReadOptions(column_names=header, skip_rows=1, block_size=_CHUNK),
        "parse_options": pa_csv.ParseOptions(quote_char=False, newlines_in_values=False),
        "convert_options": pa_csv.ConvertOptions(
            column_types={c: pa.string() for c in header}, strings_can_be_null=False
        ),
    }
    rows = 0
    schema = pa.schema([(c, pa.string()) for c in header] + [(LINE_COLUMN, pa.int64())])
    try:
        with pa_csv.open_csv(path, **options) as reader, pq.ParquetWriter(target, schema) as writer:
            for batch in reader:
                if batch.num_rows == 0:
                    continue
                # the line reader skips a record of blank cells: leave such a file to it
                if not pc.all(pc.match_substring_regex(batch.column(0), r"[\pL\pN]")).as_py():
                    return None
                lines = pa.array(range(rows + 2, rows + 2 + batch.num_rows), type=pa.int64())
                writer.write_batch(pa.RecordBatch.from_arrays([*batch.columns, lines], schema=schema))
                rows += batch.num_rows
    except (pa.ArrowInvalid, ValueError):  # a row of another width, ...
        return None
    if rows != _line_count(path) - 1:  # a blank line (pyarrow skips it) or another line break
        return None
    return rows


def _write_frame(raw: RawTable, target: Path) -> None:
    frame = raw.frame.rename(columns={LINE: LINE_COLUMN})
    columns = [c for c in frame.columns if c != LINE_COLUMN]
    arrays = [pa.array(frame[c].astype(object).where(frame[c].notna(), None), type=pa.string()) for c in columns]
    arrays.append(pa.array(frame[LINE_COLUMN].to_numpy(dtype="int64"), type=pa.int64()))
    pq.write_table(pa.Table.from_arrays(arrays, names=[*columns, LINE_COLUMN]), target)


def _dropped_rows(label: str, raw: RawTable) -> list[dict]:
    return [
        {
            "file": label,
            "line": row["line"],
            "severity": "error",
            "reason": row["reason"],
            "row": json.dumps(row["row"], ensure_ascii=False),
        }
        for row in raw.dropped
    ]


def _unreadable(file: TableFile, exc: Exception, partitioned: bool) -> list[Problem]:
    if partitioned:
        return [unreadable_piece(file.label, exc)]
    if isinstance(exc, PLCDataError):
        return list(exc.problem_list)
    raise exc


def prepare_score_files(
    files: list[TableFile], *, partitioned: bool, scratch: Path, schools: list[str] | None = None
) -> ScoreFiles:
    """Check each score file, and convert each CSV file to Parquet in ``scratch``.

    Parameters
    ----------
    files : list of TableFile
        The score files (:func:`plc_analysis.outofcore.table_files`).
    partitioned : bool
        A school-partitioned district (its unreadable files are named as
        :func:`plc_analysis.load_partitioned` names them).
    scratch : Path
        A folder for the converted CSV files (removed with the district).
    schools : list of str, optional
        In a partitioned district, the schools read (default: all).

    Returns
    -------
    ScoreFiles
    """
    prepared = ScoreFiles(schools=schools)
    dropped: list[dict] = []
    for number, file in enumerate(files):
        try:
            if file.fmt == "parquet":
                # the footer and schema, as the pandas path checks them; no size limit: the rows stay on disk
                rows = parquet_rows(file.path, limit=1 << 62)
                prepared.sources[file.label] = file.path
                prepared.lines[file.label] = rows + 1 if rows else 1
            else:
                target = scratch / f"scores-{number}.parquet"
                header = _simple_header(file.path)
                rows_read = _convert_simple(file.path, header, target) if header is not None else None
                if rows_read is not None:
                    prepared.lines[file.label] = rows_read + 1 if rows_read else 1
                else:
                    raw = read_raw_csv(file.path, file_label=file.label)
                    _write_frame(raw, target)
                    prepared.reading += raw.problems
                    dropped += _dropped_rows(file.label, raw)
                    found = [*(int(x) for x in raw.frame[LINE]), *(int(r["line"]) for r in raw.dropped)]
                    prepared.lines[file.label] = max([1, *found])
                prepared.sources[file.label] = target
        except (PLCDataError, pa.ArrowException, OSError) as exc:
            if isinstance(exc, FileNotFoundError) and not file.path.is_symlink():
                raise
            prepared.unreadable += _unreadable(file, exc, partitioned)
            continue
        prepared.files.append(file)
    if dropped:
        prepared.dropped = pd.DataFrame(dropped, columns=REJECTED_COLUMNS)
        prepared.dropped["line"] = prepared.dropped["line"].astype("Int64")
    return prepared
