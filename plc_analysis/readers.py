"""Read raw tables: every CSV cell as a string, every row with its line number.

Nothing here interprets values; :mod:`plc_analysis.validation` does that.  The
readers only decode bytes (UTF-8, UTF-8 with BOM, UTF-16 with BOM, or
cp1252/Latin-1 as a detected fallback), split CSV records and note the 1-based
line each record starts on (the header is line 1).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .errors import Problem

__all__ = [
    "RawTable",
    "read_raw_csv",
    "read_raw_bytes",
    "read_raw_parquet",
    "decode_bytes",
    "cell_text",
    "text_frame",
    "LINE",
]

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


def decode_bytes(data: bytes, file: str) -> tuple[str, str, list[Problem]]:
    """Decode file bytes, detecting the encoding.

    Returns
    -------
    tuple
        ``(text, encoding, problems)``; problems are warnings (e.g. the file
        was not UTF-8 and was read as cp1252).
    """
    problems: list[Problem] = []
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig", problems
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16", problems
    try:
        return data.decode("utf-8"), "utf-8", problems
    except UnicodeDecodeError as exc:
        first_bad = data[: exc.start].count(b"\n") + 1
    try:
        text, encoding = data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        text, encoding = data.decode("latin-1"), "latin-1"
    problems.append(
        Problem(
            file,
            first_bad,
            None,
            None,
            f"file is not UTF-8; read as {encoding} (first non-UTF-8 byte on this line)",
            "warning",
        )
    )
    return text, encoding, problems


def _records(text: str) -> tuple[list[list[str]], list[int], list[int]]:
    """Split CSV text into records and the lines each record starts and ends on."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    records: list[list[str]] = []
    starts: list[int] = []
    ends: list[int] = []
    previous_end = 0
    for record in reader:
        start = previous_end + 1
        previous_end = reader.line_num
        if not record or all(cell.strip() == "" for cell in record):
            continue  # blank lines carry no data
        records.append(record)
        starts.append(start)
        ends.append(previous_end)
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
    data = path.read_bytes()
    return read_raw_bytes(data, name or path.stem, label)


def _empty(name: str, problems: list[Problem], encoding: str, label: str) -> RawTable:
    return RawTable(name, pd.DataFrame({LINE: pd.Series([], dtype="int64")}), problems, encoding, label)


def read_raw_bytes(data: bytes, name: str, label: str) -> RawTable:
    """Like :func:`read_raw_csv` for bytes already in memory (e.g. from a zip)."""
    problems: list[Problem] = []
    if not data.strip():
        problems.append(Problem(label, None, None, None, "file is empty (no header row)"))
        return _empty(name, problems, "", label)
    text, encoding, decode_problems = decode_bytes(data, label)
    problems += decode_problems
    frame = _simple_csv_frame(data, text, encoding)
    if frame is not None:
        if _has_mojibake(text):
            problems += _mojibake_problems(frame, label)
        return RawTable(name, frame, problems, encoding, label)
    records, starts, ends = _records(text)
    if not records:
        problems.append(Problem(label, None, None, None, "file is empty (no header row)"))
        return _empty(name, problems, encoding, label)
    header = [h.strip() for h in records[0]]
    while len(header) > 1 and header[-1] == "":
        header.pop()  # empty trailing header cells (a spreadsheet's trailing commas) name no column
    seen: set[str] = set()
    for position, column in enumerate(header, start=1):
        if column == "":
            problems.append(Problem(label, starts[0], f"#{position}", None, "blank column name in header"))
        elif column in seen:
            problems.append(Problem(label, starts[0], column, None, "column appears twice in the header"))
        seen.add(column)
    if any(p.line == starts[0] and p.severity == "error" for p in problems):
        return _empty(name, problems, encoding, label)
    width = len(header)
    good_rows: list[list[str]] = []
    good_lines: list[int] = []
    dropped: list[dict] = []
    for record, line, end in zip(records[1:], starts[1:], ends[1:]):
        if len(record) > width and all(c.strip() == "" for c in record[width:]):
            record = record[:width]  # trailing empty cells from a spreadsheet are harmless
        if len(record) != width:
            reason = f"row has {len(record)} fields, the header has {width}"
            if end > line:
                reason += f" (a quoted cell opened on line {line} runs to line {end})"
            problems.append(Problem(label, line, None, None, reason))
            dropped.append({"line": line, "reason": reason, "row": dict(enumerate(record))})
            continue
        good_rows.append(record)
        good_lines.append(line)
    frame = (
        pd.DataFrame(good_rows, columns=header, dtype="str")
        if good_rows
        else pd.DataFrame({c: pd.Series([], dtype="str") for c in header})
    )
    frame[LINE] = pd.Series(good_lines, dtype="int64", index=frame.index)
    if encoding != "utf-8" or _has_mojibake(text):
        problems += _mojibake_problems(frame, label)
    return RawTable(name, frame, problems, encoding, label, dropped)


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
    if "" in header or len(set(header)) != len(header) or not rest.strip():
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


def _has_mojibake(text: str) -> bool:
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
