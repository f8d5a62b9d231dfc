"""Open a file we did not write: every CSV cell as a string, every row with its line number.

This module is the one place input files are opened.  Nothing here interprets
values; :mod:`plc_analysis.validation` does that.  The readers decode bytes
(UTF-8, UTF-8 with BOM, UTF-16 with BOM, or cp1252/Latin-1 as a detected
fallback), split CSV records and note the 1-based line each record starts on
(the header is line 1).

A file that cannot be read (a folder, a broken or looping symbolic link, no
permission, binary data or another format than its name says, a corrupt zip,
workbook or Parquet file, an encoding that does not decode) raises
:class:`~plc_analysis.errors.PLCDataError` with one problem naming the file and
the reason, never another exception.  Work is bounded by the data's real size
and by the limits below (also listed in ``docs/reference/errors-and-limits.md``);
a file over a limit is refused with a message saying which limit.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .errors import REDACTED, SENSITIVE_COLUMNS, PLCDataError, Problem

__all__ = [
    "RawTable",
    "read_raw_csv",
    "read_raw_bytes",
    "csv_records",
    "not_csv_text",
    "read_raw_parquet",
    "parquet_rows",
    "read_input_bytes",
    "check_input_file",
    "check_zip",
    "read_zip_member",
    "read_workbook",
    "workbook_sheet_names",
    "WorkbookSheet",
    "unreadable",
    "decode_bytes",
    "has_mojibake",
    "cell_text",
    "text_frame",
    "LINE",
    "MAX_FILE_BYTES",
    "MAX_COLUMNS",
    "MAX_CELL_CHARS",
    "MAX_UNZIPPED_BYTES",
    "MAX_ZIP_RATIO",
]

#: Largest input file read into memory (CSV, workbook, zip, Parquet): 1 GiB.
MAX_FILE_BYTES = 1 << 30
#: Most columns a table's header (or a sheet's row) may have.
MAX_COLUMNS = 5_000
#: Longest CSV cell, in characters (Python's csv limit; usually a quote that never closes).
MAX_CELL_CHARS = 131_072
#: Most bytes all members of a zip (OneRoster export, .xlsx workbook) may expand to: 1 GiB.
MAX_UNZIPPED_BYTES = 1 << 30
#: Highest expansion ratio of a zip member larger than 1 MiB (text compresses 5-20 times; a zip bomb 1000+).
MAX_ZIP_RATIO = 100
_RATIO_FLOOR = 1 << 20

# First bytes of formats that are not CSV text, and what to call them.
_MAGIC = (
    (b"PK\x03\x04", "a zip archive (an .xlsx workbook or a zipped export?)"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"PAR1", "a Parquet file"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls (or other Office) file; save it as .xlsx or CSV"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
)

#: Name of the column holding each row's 1-based line number in its file.
LINE = "_line"

# Typical UTF-8 text decoded as cp1252/Latin-1 once too often ("CafÃ©", "donâ€™t").
_MOJIBAKE = re.compile(
    "[\u00c2\u00c3][\u0080-\u00bf\u2018-\u203a\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc]|\u00e2\u20ac"
)


class RawTable:
    """A table as read: string cells, a ``_line`` column, and reading problems."""

    def __init__(
        self,
        name: str,
        frame: pd.DataFrame,
        problems: list[Problem],
        encoding: str,
        label: str | None = None,
        dropped: list[dict] | None = None,
    ):
        self.name = name
        #: rows the reader could not split into the header's columns: {line, reason, row}
        self.dropped = dropped or []
        #: how the source file is named in problems (default: ``<name>.csv``)
        self.label = label
        self.frame = frame
        self.problems = problems
        self.encoding = encoding
        #: true when the frame keeps a typed source's column types (Parquet); text otherwise
        self.typed = False
        self._codes: dict[str, tuple[object, np.ndarray, pd.Series]] = {}

    @property
    def codes(self) -> dict[str, tuple[np.ndarray, pd.Series]]:
        """Text columns read dictionary-encoded: column -> (per-row code, -1 missing; distinct values).

        Only columns still holding the very data read are listed: replacing
        the frame or a column drops their codes.
        """
        return {
            c: (codes, values)
            for c, (data, codes, values) in self._codes.items()
            if c in self.frame.columns and self.frame[c].array is data
        }

    @codes.setter
    def codes(self, codes: dict[str, tuple[np.ndarray, pd.Series]]) -> None:
        self._codes = {c: (self.frame[c].array, *pair) for c, pair in codes.items()}


def unreadable(file: str, reason: str, line: int | None = None) -> PLCDataError:
    """The error for a file that cannot be read at all: one problem, naming the file and the reason.

    Parameters
    ----------
    file : str
        How the file is named in messages.
    reason : str
        Why it cannot be read, in plain words (one line).
    line : int, optional
        The line where reading stopped, if known.

    Returns
    -------
    PLCDataError
        To be raised by the caller.
    """
    return PLCDataError([Problem(file, line, None, None, reason)], source=file)


def _os_reason(exc: OSError) -> str:
    return {
        PermissionError: "cannot be read: permission denied",
        IsADirectoryError: "is a folder, not a file",
    }.get(type(exc), f"cannot be read: {exc.strerror or exc}")


def check_input_file(path: str | Path, label: str | None = None, *, limit: int = MAX_FILE_BYTES) -> int:
    """Check that ``path`` is a regular file we may read, no larger than ``limit``; return its size.

    Parameters
    ----------
    path : str or Path
        The file.
    label : str, optional
        How the file is named in messages (default: its name).
    limit : int
        Largest size accepted, in bytes (default :data:`MAX_FILE_BYTES`).

    Returns
    -------
    int
        The file's size in bytes.

    Raises
    ------
    FileNotFoundError
        When nothing at all is at ``path``.
    PLCDataError
        A folder, a symbolic link that leads nowhere (broken or a loop), a
        device or pipe, no permission, or a file over the limit.
    """
    path = Path(path)
    label = label or path.name
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise unreadable(label, f"is a symbolic link to {os.readlink(path)!r}, which does not exist") from None
        raise FileNotFoundError(f"no such file or folder: {path}") from None
    except OSError as exc:  # ELOOP: a link to itself or a cycle of links, ENAMETOOLONG, EACCES on a folder
        if path.is_symlink():
            raise unreadable(label, "is a symbolic link that never reaches a file (a loop of links)") from None
        raise unreadable(label, _os_reason(exc)) from None
    if stat.S_ISDIR(info.st_mode):
        raise unreadable(label, "is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise unreadable(label, "is not a regular file (a device, pipe or socket)")
    if info.st_size > limit:
        raise unreadable(label, f"is {_size(info.st_size)}, over the {_size(limit)} limit for one input file")
    return info.st_size


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


def read_input_bytes(path: str | Path, label: str | None = None) -> bytes:
    """The bytes of an input file, after :func:`check_input_file`.

    Parameters
    ----------
    path : str or Path
        The file.
    label : str, optional
        How the file is named in messages (default: its name).

    Returns
    -------
    bytes

    Raises
    ------
    PLCDataError
        See :func:`check_input_file`; also a file that fails while read.
    """
    path = Path(path)
    label = label or path.name
    check_input_file(path, label)
    try:
        with open(path, "rb") as handle:
            return handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise unreadable(label, _os_reason(exc)) from None


def not_csv_text(data: bytes) -> str | None:
    """Why ``data`` is not CSV text (another format named by its first bytes, binary data), or None.

    Parameters
    ----------
    data : bytes
        A file's contents.

    Returns
    -------
    str or None
        The reason, to follow the file's name in a message.
    """
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return f"is {what}, not CSV text"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # UTF-16 with a byte-order mark: decoded below
    head = data[:4096]
    if head.count(0) > len(head) // 4:
        if head[1::2].count(0) > len(head) // 3 or head[0::2].count(0) > len(head) // 3:
            return "looks like UTF-16 text without a byte-order mark; save it as UTF-8 CSV"
        return "is binary data, not CSV text"
    controls = sum(head.count(b) for b in range(32) if b not in (9, 10, 12, 13))
    if controls > max(8, len(head) // 20):
        return "is binary data, not CSV text"
    return None


def decode_bytes(data: bytes, file: str) -> tuple[str, str, list[Problem]]:
    """Decode file bytes, detecting the encoding.

    Returns
    -------
    tuple
        ``(text, encoding, problems)``; problems are warnings (e.g. the file
        was not UTF-8 and was read as cp1252).

    Raises
    ------
    PLCDataError
        A file with a UTF-16 byte-order mark that is not valid UTF-16 (e.g.
        an odd number of bytes).
    """
    problems: list[Problem] = []
    bom = data.startswith(b"\xef\xbb\xbf")
    if bom:
        data = data[3:]
        try:
            return data.decode("utf-8"), "utf-8-sig", problems
        except UnicodeDecodeError:
            pass  # a UTF-8 byte-order mark on cp1252 text: read as the text, below
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16", problems
        except UnicodeDecodeError as exc:
            raise unreadable(
                file,
                f"starts with a UTF-16 byte-order mark but is not UTF-16 text ({exc.reason} at byte {exc.start}); "
                "save it again as UTF-8 CSV",
            ) from None
    try:
        return data.decode("utf-8"), "utf-8", problems
    except UnicodeDecodeError as exc:
        first_bad = data[: exc.start].count(b"\n") + 1
    try:
        text, encoding = data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        text, encoding = data.decode("latin-1"), "latin-1"
    mark = " despite its UTF-8 byte-order mark" if bom else ""
    problems.append(
        Problem(
            file,
            first_bad,
            None,
            None,
            f"file is not UTF-8{mark}; read as {encoding} (first non-UTF-8 byte on this line)",
            "warning",
        )
    )
    return text, encoding, problems


def csv_records(text: str, label: str, delimiter: str = ",") -> Iterable[tuple[int, int, list[str]]]:
    """Split CSV text into ``(first line, last line, cells)`` records, within the limits.

    Raises
    ------
    PLCDataError
        A cell longer than :data:`MAX_CELL_CHARS` (usually a quote that never
        closes) or a record wider than :data:`MAX_COLUMNS`.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    previous_end = 0
    while True:
        start = previous_end + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise unreadable(
                label,
                f"a cell starting on line {start} is longer than {MAX_CELL_CHARS:,} characters, the limit "
                f"(often a quote that never closes) [{exc}]",
                start,
            ) from None
        previous_end = reader.line_num
        if len(record) > MAX_COLUMNS and any(c.strip() for c in record[MAX_COLUMNS:]):
            raise unreadable(
                label, f"line {start} has {len(record):,} cells, over the {MAX_COLUMNS:,}-column limit", start
            )
        yield start, previous_end, record


def _records(text: str, label: str) -> tuple[list[list[str]], list[int], list[int]]:
    """Split CSV text into records and the lines each record starts and ends on."""
    records: list[list[str]] = []
    starts: list[int] = []
    ends: list[int] = []
    for start, end, record in csv_records(text, label):
        if not record or all(cell.strip() == "" for cell in record):
            continue  # blank lines carry no data
        records.append(record)
        starts.append(start)
        ends.append(end)
    return records, starts, ends


def read_raw_csv(path: str | Path, *, name: str | None = None, file_label: str | None = None) -> RawTable:
    """Read a CSV file with every cell as a string.

    Parameters
    ----------
    path : str or Path
        The CSV file.
    name : str, optional
        Table name (default: the file stem).
    file_label : str, optional
        How the file is named in problems (default: the file name).

    Returns
    -------
    RawTable
        ``frame`` has one column per header cell (stripped) plus ``_line``;
        problems list empty files, duplicate or blank headers, rows with the
        wrong number of fields (those rows are left out of ``frame``) and
        cells that look like mojibake.
    """
    path = Path(path)
    label = file_label or path.name
    data = read_input_bytes(path, label)
    return read_raw_bytes(data, name or path.stem, label)


def _empty(name: str, problems: list[Problem], encoding: str, label: str) -> RawTable:
    return RawTable(name, pd.DataFrame({LINE: pd.Series([], dtype="int64")}), problems, encoding, label)


def read_raw_bytes(data: bytes, name: str, label: str) -> RawTable:
    """Like :func:`read_raw_csv` for bytes already in memory (e.g. from a zip).

    Raises
    ------
    PLCDataError
        Data that is not CSV text (see :func:`read_input_bytes`) or over a limit.
    """
    problems: list[Problem] = []
    if not data.strip():
        problems.append(Problem(label, None, None, None, "file is empty (no header row)"))
        return _empty(name, problems, "", label)
    if (why := not_csv_text(data)) is not None:
        raise unreadable(label, why)
    text, encoding, decode_problems = decode_bytes(data, label)
    problems += decode_problems
    frame = _simple_csv_frame(data, text, encoding)
    if frame is not None:
        if has_mojibake(text):
            problems += _mojibake_problems(frame, label)
        return RawTable(name, frame, problems, encoding, label)
    records, starts, ends = _records(text, label)
    if not records:
        problems.append(Problem(label, None, None, None, "file is empty (no header row)"))
        return _empty(name, problems, encoding, label)
    header = [h.strip() for h in records[0]]
    while len(header) > 1 and header[-1] == "":
        header.pop()  # empty trailing header cells (a spreadsheet's trailing commas) name no column
    seen: set[str] = set()
    header_faults: list[str] = []
    for position, column in enumerate(header, start=1):
        if column == "":
            problems.append(Problem(label, starts[0], f"#{position}", None, "blank column name in header"))
            header_faults.append(f"column #{position} has no name")
        elif column in seen:
            problems.append(Problem(label, starts[0], column, None, "column appears twice in the header"))
            header_faults.append(f"column {column!r} appears twice")
        seen.add(column)
    width = len(header)
    good_rows: list[list[str]] = []
    good_lines: list[int] = []
    dropped: list[dict] = []
    for record, line, end in zip(records[1:], starts[1:], ends[1:]):
        if len(record) > width and all(c.strip() == "" for c in record[width:]):
            record = record[:width]  # trailing empty cells from a spreadsheet are harmless
        if header_faults:
            reason = "row not read: the header is ambiguous (" + "; ".join(header_faults) + "); fix line 1"
        elif len(record) != width:
            reason = f"row has {len(record)} fields, the header has {width}"
            if end > line:
                reason += f" (a quoted cell opened on line {line} runs to line {end})"
        else:
            good_rows.append(record)
            good_lines.append(line)
            continue
        problems.append(Problem(label, line, None, None, reason))
        dropped.append({"line": line, "reason": reason, "row": _dropped_row(header, record)})
    if header_faults:
        return RawTable(name, _empty(name, [], encoding, label).frame, problems, encoding, label, dropped)
    frame = (
        pd.DataFrame(good_rows, columns=header, dtype="str")
        if good_rows
        else pd.DataFrame({c: pd.Series([], dtype="str") for c in header})
    )
    frame[LINE] = pd.Series(good_lines, dtype="int64", index=frame.index)
    if encoding != "utf-8" or has_mojibake(text):
        problems += _mojibake_problems(frame, label)
    return RawTable(name, frame, problems, encoding, label, dropped)


def _dropped_row(header: list[str], record: list[str]) -> dict:
    """A row the reader could not split into the header's columns, cells by position, names redacted."""
    return {
        position: REDACTED if position < len(header) and header[position] in SENSITIVE_COLUMNS and cell else cell
        for position, cell in enumerate(record)
    }


def _simple_csv_frame(data: bytes, text: str, encoding: str) -> pd.DataFrame | None:
    """The frame :func:`read_raw_bytes` would build, split by pyarrow's CSV reader; None unless that is certain.

    Splitting records in Python takes seconds for a district's scores file.
    Most exports are simple: UTF-8, no quotes, one record per line, no blank
    lines, every row as wide as the header.  Such a file splits the same way
    with any CSV reader, record ``i`` sits on line ``i + 2``, and pyarrow's
    reader splits it in C++.  Anything else (a quote, a blank or
    whitespace-only line, a row of the wrong width, a bad header, another
    encoding) returns None for the line-by-line reader, which reports it.
    """
    import pyarrow.csv as pa_csv

    if encoding not in ("utf-8", "utf-8-sig") or '"' in text or "\x00" in text:
        return None
    if "\r" in text and text.count("\r") != text.count("\r\n"):  # a lone CR also ends a record
        return None
    body = data[3:] if encoding == "utf-8-sig" else data
    first, _, rest = text.partition("\n")
    header = [h.strip() for h in first.rstrip("\r").split(",")]
    if "" in header or len(set(header)) != len(header) or not rest.strip() or len(header) > MAX_COLUMNS:
        return None
    lines = body.count(b"\n") + (not body.endswith(b"\n"))
    try:
        table = pa_csv.read_csv(
            io.BytesIO(body),
            read_options=pa_csv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pa_csv.ParseOptions(quote_char=False, newlines_in_values=False),
            convert_options=pa_csv.ConvertOptions(
                column_types={c: pa.string() for c in header}, strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, ValueError):  # a row of another width, ...
        return None
    if table.num_rows != lines - 1:  # a blank line (pyarrow skips it) or a line break other than \n
        return None
    # the line reader skips a record of blank cells: leave the file to it unless every first cell has a letter or digit
    if table.num_rows and not pc.all(pc.match_substring_regex(table.column(0), r"[\pL\pN]")).as_py():
        return None
    text_dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    table = table.combine_chunks()  # one chunk per column, as the line reader builds them
    frame = pd.DataFrame({c: pd.Series(pd.array(table.column(c), dtype=text_dtype)) for c in header})
    frame[LINE] = pd.Series(np.arange(2, table.num_rows + 2, dtype="int64"), index=frame.index)
    return frame


def has_mojibake(text: str) -> bool:
    """Whether ``text`` holds typical mojibake (UTF-8 read as Latin-1 upstream): the reader then warns of each cell.

    Returns
    -------
    bool
    """
    return not text.isascii() and _MOJIBAKE.search(text) is not None  # isascii is free on a str


def _mojibake_problems(frame: pd.DataFrame, label: str) -> list[Problem]:
    found = []
    for column in frame.columns.drop(LINE):
        hits = frame[column].str.contains(_MOJIBAKE, regex=True, na=False)
        for value, line in zip(frame.loc[hits, column], frame.loc[hits, LINE]):
            found.append(
                Problem(
                    label,
                    int(line),
                    column,
                    value,
                    "text looks like mojibake (UTF-8 read as Latin-1 somewhere upstream); re-export the file as UTF-8",
                    "warning",
                )
            )
    return found


def cell_text(series: pd.Series) -> pd.Series:
    """Cells as a CSV file would hold them: ISO dates, ``true``/``false``, blank for missing.

    Parameters
    ----------
    series : Series
        A column as read from a typed source (e.g. Parquet), or text.

    Returns
    -------
    Series
        ``str`` cells, same index; a text column without missing cells is
        returned as it is.
    """
    if series.dtype == "str" and not series.hasnans:
        return series
    if pd.api.types.is_datetime64_any_dtype(series):
        text = series.dt.strftime("%Y-%m-%d")
    elif pd.api.types.is_bool_dtype(series):
        text = series.map({True: "true", False: "false"})
    else:
        text = series.astype("str")
    return text.where(series.notna(), "").astype("str")


def text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column of ``frame`` but ``_line`` as :func:`cell_text` (``_line`` kept as it is)."""
    return pd.DataFrame({c: (frame[c] if c == LINE else cell_text(frame[c])) for c in frame.columns}, index=frame.index)


def read_raw_parquet(path: str | Path, *, name: str | None = None, columns: list[str] | None = None) -> RawTable:
    """Read a Parquet file keeping its column types, rows numbered from 2.

    Parquet has no lines; ``_line`` is the row position plus 2 so that it
    reads like the equivalent CSV line.  Unlike a CSV table, the frame keeps
    the file's types (strings, numbers, booleans, timestamps; missing cells
    as NA): :mod:`plc_analysis.validation` checks typed columns directly and
    reads any other column through :func:`cell_text`, exactly as it reads the
    same table written as CSV.  ``RawTable.typed`` is true.

    Parameters
    ----------
    path : str or Path
        The Parquet file.
    name : str, optional
        Table name (default: the file stem).
    columns : list of str, optional
        Read only these columns (column pruning); default every data column
        (a stored pandas index is never read).

    Returns
    -------
    RawTable
    """
    path = Path(path)
    try:
        return _read_parquet(path, name, columns)
    except (pa.ArrowException, OSError, ValueError) as exc:
        _parquet_failed(path, exc)
        raise AssertionError("unreachable") from None


def _parquet_failed(path: Path, exc: Exception) -> None:
    """Raise the error for a Parquet file that failed to read (a missing file's own error if nothing is there)."""
    if isinstance(exc, FileNotFoundError) and not path.is_symlink():
        raise exc
    if isinstance(exc, OSError) and not isinstance(exc, pa.ArrowException):
        check_input_file(path)  # says why (a folder, a loop of links, permissions...)
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    reason = f"is not a readable Parquet file (truncated, corrupt or another format): {first}"
    raise unreadable(path.name, reason) from None


def parquet_rows(path: str | Path, *, limit: int = MAX_FILE_BYTES) -> int:
    """The rows of a Parquet file, after the checks :func:`read_raw_parquet` makes before reading any data.

    The file, its footer and its schema are checked without reading a row
    (the out-of-core engine reads the rows itself).

    Parameters
    ----------
    path : str or Path
        The Parquet file.
    limit : int
        Largest size accepted, in bytes (default :data:`MAX_FILE_BYTES`, as
        :func:`read_raw_parquet`).

    Returns
    -------
    int

    Raises
    ------
    PLCDataError
        As :func:`read_raw_parquet` raises it for a file that cannot be read.
    """
    path = Path(path)
    try:
        check_input_file(path, limit=limit)
        pq.read_schema(path)
        return int(pq.ParquetFile(path).metadata.num_rows)
    except (pa.ArrowException, OSError, ValueError) as exc:
        _parquet_failed(path, exc)
        raise AssertionError("unreachable") from None


def _read_parquet(path: Path, name: str | None, columns: list[str] | None) -> RawTable:
    check_input_file(path)
    schema = pq.read_schema(path)
    if columns is None:
        index_columns = _pandas_index_columns(schema)
        columns = [c for c in schema.names if c not in index_columns]
    text = [c for c in columns if c in schema.names and _is_arrow_text(schema.field(c).type)]
    others = [c for c in columns if c not in text]
    n_rows = pq.ParquetFile(path).metadata.num_rows
    parts = (
        pd.read_parquet(path, columns=others).reset_index(drop=True)
        if others
        else pd.DataFrame(index=pd.RangeIndex(n_rows))
    )
    codes: dict[str, tuple[np.ndarray, pd.Series]] = {}
    if text:
        encoded = pq.ParquetFile(path, read_dictionary=text).read(columns=text).unify_dictionaries()
        for column in text:
            series, codes[column] = _decoded(encoded.column(column), parts.index)
            parts[column] = series
    frame = parts[columns]
    frame.columns = [str(c) for c in frame.columns]
    frame[LINE] = pd.RangeIndex(2, len(frame) + 2)
    table = RawTable(name or path.stem, frame, [], "parquet", path.name)
    table.typed = True
    table.codes = {str(c): v for c, v in codes.items()}
    return table


def _is_arrow_text(arrow_type: pa.DataType) -> bool:
    return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)


def _decoded(column: pa.ChunkedArray, index: pd.Index) -> tuple[pd.Series, tuple[np.ndarray, pd.Series]]:
    """A dictionary-encoded text column as a ``str`` Series, plus its codes (-1 missing) and distinct values.

    Parquet stores text dictionary-encoded: reading the codes as they are
    spares hashing every cell again to find the distinct values.
    """
    encoded = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if not pa.types.is_dictionary(encoded.type):  # no rows: nothing was encoded
        encoded = pc.dictionary_encode(encoded)
    dictionary = encoded.dictionary.cast(pa.large_string())
    indices = encoded.indices
    codes = pc.fill_null(indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    text = pd.array(pc.take(dictionary, indices), dtype=pd.StringDtype("pyarrow", na_value=np.nan))
    values = pd.Series(pd.array(dictionary, dtype=pd.StringDtype("pyarrow", na_value=np.nan)))
    return pd.Series(text, index=index), (codes, values)


def _pandas_index_columns(schema: pa.Schema) -> set[str]:
    """Columns holding a pandas index stored by ``DataFrame.to_parquet`` (not data)."""
    metadata = schema.pandas_metadata or {}
    return {c for c in metadata.get("index_columns", []) if isinstance(c, str)}


# ---------------------------------------------------------------------------
# zip archives (OneRoster exports) and workbooks (.xlsx is a zip too)
# ---------------------------------------------------------------------------
def check_zip(path: str | Path, label: str | None = None, *, what: str = "zip archive") -> list[str]:
    """Check that ``path`` is a readable zip within the limits; return its member names.

    Parameters
    ----------
    path : str or Path
        The archive (a ``.zip`` export or an ``.xlsx`` workbook).
    label : str, optional
        How the file is named in messages (default: its name).
    what : str
        What the file should be, for the message (``"zip archive"``, ``"Excel workbook"``).

    Returns
    -------
    list of str
        The member names.

    Raises
    ------
    PLCDataError
        Not a zip (or a corrupt one), encrypted, or expanding past
        :data:`MAX_UNZIPPED_BYTES` or :data:`MAX_ZIP_RATIO` (a zip bomb).
    """
    path = Path(path)
    label = label or path.name
    check_input_file(path, label)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise unreadable(label, f"is not a {what} (or is a corrupt one): {exc}") from None
    except OSError as exc:
        raise unreadable(label, _os_reason(exc)) from None
    total = sum(m.file_size for m in members)
    if total > MAX_UNZIPPED_BYTES:
        raise unreadable(label, f"expands to {_size(total)}, over the {_size(MAX_UNZIPPED_BYTES)} limit for a {what}")
    for member in members:
        if member.file_size > _RATIO_FLOOR and member.file_size > MAX_ZIP_RATIO * max(member.compress_size, 1):
            raise unreadable(
                label,
                f"member {member.filename!r} expands {member.file_size / max(member.compress_size, 1):,.0f} times "
                f"(to {_size(member.file_size)}), over the {MAX_ZIP_RATIO}x limit: a zip bomb?",
            )
        if member.flag_bits & 0x1:
            raise unreadable(label, f"member {member.filename!r} is encrypted; export it without a password")
    return [m.filename for m in members]


def read_zip_member(archive: zipfile.ZipFile, member: str, label: str) -> bytes:
    """The bytes of one member of an archive checked by :func:`check_zip`.

    Raises
    ------
    PLCDataError
        A member that fails to decompress (corrupt data, a wrong checksum, an
        unsupported compression method).
    """
    try:
        return archive.read(member)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as exc:
        raise unreadable(label, f"cannot be unpacked from the zip (corrupt?): {exc}") from None


@dataclass(frozen=True)
class WorkbookSheet:
    """One worksheet as read: its name, its rows and its formula cells without a saved value.

    ``rows`` holds ``(row number, cell values)`` for every row holding a
    value (blank rows are left out, so a stray cell a million rows down costs
    one row), trailing empty cells dropped; ``formulas`` holds ``(row number, 0-based column)`` of formula
    cells whose value the file does not store (a workbook never opened in a
    spreadsheet program after it was written).
    """

    name: str
    rows: list[tuple[int, list]]
    formulas: frozenset[tuple[int, int]]


def _open_workbook(path: Path, label: str, *, data_only: bool) -> Any:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, TypeError, OSError, EOFError) as exc:
        raise unreadable(label, f"is not a readable Excel workbook (corrupt, or another format): {exc}") from None
    except Exception as exc:  # openpyxl raises XML parser errors of several kinds for a damaged part
        raise unreadable(label, f"is not a readable Excel workbook: {type(exc).__name__}: {exc}") from None


def _check_workbook(path: Path, label: str) -> None:
    if path.suffix.lower() == ".xls":
        return
    check_zip(path, label, what="Excel workbook (.xlsx files are zip archives)")


def workbook_sheet_names(path: str | Path, label: str | None = None) -> list[str]:
    """The sheet names of an ``.xlsx`` workbook, in order.

    Raises
    ------
    PLCDataError
        A file that is not a readable workbook (see :func:`check_zip`).
    """
    path = Path(path)
    label = label or path.name
    _check_workbook(path, label)
    workbook = _open_workbook(path, label, data_only=True)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def _sheet_rows(worksheet: Any, label: str, *, values: bool) -> Iterable[tuple[int, tuple]]:
    """Rows as stored (not as the sheet's declared dimensions claim), bounded by :data:`MAX_COLUMNS`."""
    from openpyxl.utils import get_column_letter

    worksheet.reset_dimensions()  # a stray cell at XFD1048576 must not make every row 16,384 cells wide
    for number, row in enumerate(worksheet.iter_rows(values_only=values), start=1):
        if len(row) > MAX_COLUMNS:
            last = max(i for i, c in enumerate(row) if (c if values else c.value) is not None)
            if last >= MAX_COLUMNS:
                raise unreadable(
                    label,
                    f"has a cell at {get_column_letter(last + 1)}{number}, beyond the {MAX_COLUMNS:,}-column limit; "
                    "delete it (or anything else far right of the table)",
                    number,
                )
            row = row[: last + 1]
        yield number, row


def read_workbook(
    path: str | Path, sheet: str | int | None = None, *, skip: Iterable[str] = (), label: str | None = None
) -> WorkbookSheet:
    """Read one worksheet of an ``.xlsx``/``.xlsm`` workbook, bounded by its real data.

    The workbook is read in openpyxl's read-only (streaming) mode and rows
    stop at the last one the file stores, whatever dimensions the sheet
    claims.

    Parameters
    ----------
    path : str or Path
        The workbook.
    sheet : str or int, optional
        Sheet name or 0-based position; default the first sheet not in ``skip``.
    skip : iterable of str
        Sheet names passed over when ``sheet`` is not given.
    label : str, optional
        How the file is named in messages (default: its name).

    Returns
    -------
    WorkbookSheet

    Raises
    ------
    PLCDataError
        A file that is not a readable workbook, or a cell beyond :data:`MAX_COLUMNS`.
    ValueError
        No sheet of that name.
    """
    path = Path(path)
    label = label or path.name
    _check_workbook(path, label)
    values = _open_workbook(path, label, data_only=True)
    try:
        names = values.sheetnames
        if sheet is None:
            skipped = set(skip)
            name = ([n for n in names if n not in skipped] or names)[0]
        elif isinstance(sheet, int):
            name = names[sheet]
        else:
            if sheet not in names:
                raise ValueError(f"{label}: no sheet named {sheet!r} (sheets: {', '.join(names)})")
            name = sheet
        rows = _read_rows(values[name], label, values=True)
    finally:
        values.close()
    blanks = {(n, i) for n, row in rows for i, v in enumerate(row) if v is None}
    formulas: set[tuple[int, int]] = set()
    if blanks:
        cells = _open_workbook(path, label, data_only=False)
        try:
            for number, row in _read_rows(cells[name], label, values=False):
                for i, cell in enumerate(row):
                    if (number, i) in blanks and getattr(cell, "data_type", None) == "f":
                        formulas.add((number, i))
        finally:
            cells.close()
    return WorkbookSheet(name, [(n, list(row)) for n, row in rows], frozenset(formulas))


def _read_rows(worksheet: Any, label: str, *, values: bool) -> list[tuple[int, tuple]]:
    try:
        rows = []
        for number, row in _sheet_rows(worksheet, label, values=values):
            cells = list(row)
            while cells and (cells[-1] if values else getattr(cells[-1], "value", None)) is None:
                cells.pop()
            if cells:
                rows.append((number, tuple(cells)))
    except PLCDataError:
        raise
    except Exception as exc:  # a damaged sheet part: XML errors of several kinds, bad numbers, ...
        raise unreadable(label, f"has a sheet that cannot be read: {type(exc).__name__}: {exc}") from None
    return rows
