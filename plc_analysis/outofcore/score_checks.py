"""Validation of the score rows in SQL, with the rules and messages of :mod:`plc_analysis.validation`.

The scores of a big district never come into Python whole.  DuckDB makes
three passes over their files:

1. the distinct ids and points texts: ids holding a character outside
   printable ASCII are noted, and each distinct points text is read once by
   the pandas path's own parser (:func:`plc_analysis.validation.parse_numbers`);
2. the hash of every key (student × assessment × item × rater, ids stripped),
   streamed into Python and sorted: the hashes that occur more than once mark
   the only rows a duplicate can involve;
3. every row checked against the validated small tables (students, items,
   teachers, the assessment's team and its enrolments) with hash joins; only
   the rows that fail a check, or may (a repeated key, an odd id), are kept,
   in a temporary table.

Those candidate rows are few; the rules that need Python (invisible and
lookalike characters, which of two repeated rows came first, a reference to a
rejected row) run on them with the functions and wordings of
:mod:`plc_analysis.validation`, in the order the pandas path applies them, so
the problems and rejected rows are the ones :func:`plc_analysis.load_dataset`
(flat folder) or :func:`plc_analysis.load_partitioned` gives, to the message.
The ``scores`` view is then every stored row but the rejected ones, typed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from ..dataset import Dataset
from ..errors import Problem
from ..readers import cell_text
from ..rules import TOLERANCE
from ..schema import TABLE_ORDER, TABLES
from ..validation import (
    BLANK_REQUIRED,
    KEY_SEPARATOR,
    MISSING_FROM_HEADER,
    NOT_A_NUMBER,
    OVER_MAX_POINTS,
    REJECTED_COLUMNS,
    duplicate_score_reason,
    foreign_key_reason,
    invisible_character,
    lacks_columns_reason,
    lookalike_character,
    lookalike_problem_reason,
    minimum_reason,
    not_enrolled_reason,
    parse_numbers,
    rejected_row_json,
)
from .files import TableFile, table_files
from .frames import copy_frame
from .score_files import LINE_COLUMN, ScoreFiles
from .sql import sql_text

if TYPE_CHECKING:
    import duckdb

__all__ = ["check_scores", "merge_problems", "STRIPPED_CHARACTERS"]

SPEC = TABLES["scores"]
ID_COLUMNS = ("student_id", "assessment_id", "item_id", "rater_id")
#: Every character :meth:`str.strip` (hence the pandas path) removes from the ends of a cell.
STRIPPED_CHARACTERS = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
#: Column types the pandas path reads as numbers when a Parquet file stores them so.
_NUMERIC_TYPES = frozenset(
    {"DOUBLE", "FLOAT", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
)
_INTERNAL = frozenset({"filename", "file_row_number", LINE_COLUMN, "_file", "_line"})
#: Short names of the parsed columns in the SQL below.
_SHORT = {"student_id": "s", "assessment_id": "a", "item_id": "i", "rater_id": "r"}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _stored_types(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute("DESCRIBE scores_files").fetchall()
    return {str(r[0]): str(r[1]) for r in rows if r[0] not in _INTERNAL}


def _cell_sql(column: str, types: dict[str, str], prefix: str = "") -> str:
    """A stored cell as text (NULL for a column the files lack)."""
    if column not in types:
        return "CAST(NULL AS VARCHAR)"
    name = prefix + _quote(column)
    return name if types[column] == "VARCHAR" else f"CAST({name} AS VARCHAR)"


def _points_sql(types: dict[str, str]) -> dict[str, str]:
    """SQL for the points cell: its number (NULL: blank or not a number), blank, not a number.

    A text cell is looked up in ``score_point_texts``, where each distinct
    text was read by :func:`plc_analysis.validation.parse_numbers`.
    """
    if types.get("points", "VARCHAR") in _NUMERIC_TYPES:
        number = f"CAST(f.{_quote('points')} AS DOUBLE)"
        clean = f"CASE WHEN isnan({number}) THEN NULL ELSE {number} END"
        return {"num": clean, "blank": f"({clean} IS NULL)", "bad": f"coalesce(isinf({clean}), false)", "join": ""}
    text = _cell_sql("points", types, "f.")
    return {
        "num": "pt.points",
        "blank": f"({text} IS NULL OR coalesce(pt.blank, false))",
        "bad": "coalesce(pt.not_number, false)",
        "join": f"LEFT JOIN score_point_texts pt ON pt.text = {text}",
    }


def _cells_sql(types: dict[str, str], odd_columns: list[str]) -> str:
    """Every stored row with its parsed ids, points and the hash of its key.

    ``odd_columns``: the id columns holding a value outside printable ASCII
    (listed in ``score_odd_ids``); their rows are flagged ``__odd_id``.
    """
    ids = ", ".join(f"plc_strip({_cell_sql(c, types, 'f.')}) AS __{_SHORT[c]}" for c in ID_COLUMNS)
    odd = " OR ".join(
        f"{_cell_sql(c, types, 'f.')} IN (SELECT value FROM score_odd_ids WHERE col = {sql_text(c)})"
        for c in odd_columns
    )
    points = _points_sql(types)
    return f"""SELECT *, hash(__s, __a, __i, __r) AS __h FROM (
        SELECT f.*, {ids}, ({odd or "false"}) AS __odd_id, {points["num"]} AS __p,
               {points["blank"]} AS __p_blank, {points["bad"]} AS __p_bad
        FROM scores_files f {points["join"]})"""


def _distinct_cells(con: duckdb.DuckDBPyConnection, types: dict[str, str]) -> list[str]:
    """One pass over the distinct ids and points texts: register the odd ids and every points text, read.

    Ids with a character outside printable ASCII go to ``score_odd_ids``
    (the rows holding them get a closer look); every distinct points text
    (of a text column) is read once by the pandas path's parser into
    ``score_point_texts``.  Returns the id columns holding odd values.
    """
    columns = [c for c in ID_COLUMNS if c in types]
    if types.get("points", "VARCHAR") not in _NUMERIC_TYPES:
        columns.append("points")
    select = ", ".join(
        f"GROUPING({_quote(c)}) = 0 AS __g{k}, {_cell_sql(c, types)} AS __v{k}" for k, c in enumerate(columns)
    )
    sets = ", ".join(f"({_quote(c)})" for c in columns)
    found = con.sql(f"SELECT {select} FROM scores_files GROUP BY GROUPING SETS ({sets})").to_arrow_table().to_pylist()
    values = {c: [row[f"__v{k}"] for row in found if row[f"__g{k}"]] for k, c in enumerate(columns)}
    odd = [
        (c, v) for c in ID_COLUMNS for v in values.get(c, []) if v is not None and not (v.isascii() and v.isprintable())
    ]
    copy_frame(con, "score_odd_ids", pd.DataFrame(odd, columns=["col", "value"], dtype="str"))
    texts = pd.Series([v for v in values.get("points", []) if v is not None], dtype="str")
    numbers, blank, not_number = parse_numbers(texts)
    copy_frame(
        con,
        "score_point_texts",
        pd.DataFrame(
            {
                "text": texts,
                "points": numbers.where(~blank & ~not_number),
                "blank": blank.astype(bool),
                "not_number": not_number.astype(bool),
            }
        ),
    )
    return sorted({c for c, _ in odd}, key=ID_COLUMNS.index)


def _register_macros(con: duckdb.DuckDBPyConnection) -> None:
    # trim() with a character list is slow: only cells starting or ending outside printable ASCII need it
    con.execute(
        "CREATE OR REPLACE TEMP MACRO plc_strip(x) AS CASE WHEN x[1] > ' ' AND x[1] < '\x7f' AND x[-1] > ' ' "
        f"AND x[-1] < '\x7f' THEN x ELSE nullif(trim(x, {sql_text(STRIPPED_CHARACTERS)}), '') END"
    )


def _repeated_hashes(con: duckdb.DuckDBPyConnection, cells: str) -> np.ndarray:
    """The key hashes that occur more than once.

    Sorting the hashes (8 bytes a row, streamed in) is several times faster
    than DuckDB's hash aggregation over as many groups as rows.
    """
    total = int(con.execute("SELECT count(*) FROM scores_files").fetchall()[0][0])
    hashes = np.empty(total, dtype=np.uint64)
    at = 0
    for batch in con.sql(f"SELECT __h FROM ({cells})").to_arrow_reader(1 << 20):
        part = batch.column(0).to_numpy(zero_copy_only=False)
        hashes[at : at + len(part)] = part
        at += len(part)
    hashes = hashes[:at]
    hashes.sort()
    same = hashes[1:] == hashes[:-1]
    return np.unique(hashes[1:][same])


def _find_candidates(con: duckdb.DuckDBPyConnection, types: dict[str, str]) -> str:
    """The passes: distinct cells, repeated key hashes, then the rows failing a check or needing a closer look.

    Returns the SQL of the parsed cells (the ``scores`` view reads it too).
    """
    cells = _cells_sql(types, _distinct_cells(con, types))
    copy_frame(con, "score_repeated_keys", pd.DataFrame({"__h": _repeated_hashes(con, cells)}))
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE score_candidates AS
        WITH
        known_students AS (SELECT DISTINCT student_id FROM students),
        known_items AS (SELECT assessment_id, item_id, first(max_points) AS max_points FROM items GROUP BY ALL),
        known_teachers AS (SELECT DISTINCT teacher_id FROM teachers),
        team_of AS (SELECT assessment_id, first(team_id) AS team_id FROM assessments GROUP BY ALL),
        enrolled AS (
            SELECT DISTINCT e.student_id, s.team_id FROM enrollments e JOIN sections s USING (section_id)
        )
        SELECT c.* EXCLUDE (__h),
               st.student_id IS NOT NULL AS __student_known,
               it.assessment_id IS NOT NULL AS __item_known,
               it.max_points AS __max_points,
               te.teacher_id IS NOT NULL AS __rater_known,
               tm.team_id AS __team,
               en.student_id IS NOT NULL AS __enrolled,
               rk.__h IS NOT NULL AS __repeated
        FROM ({cells}) c
        LEFT JOIN known_students st ON st.student_id = c.__s
        LEFT JOIN known_items it ON it.assessment_id = c.__a AND it.item_id = c.__i
        LEFT JOIN known_teachers te ON te.teacher_id = c.__r
        LEFT JOIN team_of tm ON tm.assessment_id = c.__a
        LEFT JOIN enrolled en ON en.student_id = c.__s AND en.team_id = tm.team_id
        LEFT JOIN score_repeated_keys rk ON rk.__h = c.__h
        WHERE c.__s IS NULL OR c.__a IS NULL OR c.__i IS NULL OR c.__odd_id OR c.__p_bad
           OR c.__p < 0
           OR (c.__s IS NOT NULL AND st.student_id IS NULL)
           OR (c.__a IS NOT NULL AND c.__i IS NOT NULL AND it.assessment_id IS NULL)
           OR (c.__r IS NOT NULL AND te.teacher_id IS NULL)
           OR c.__p > it.max_points + {TOLERANCE!r}
           OR (tm.team_id IS NOT NULL AND c.__s IS NOT NULL AND en.student_id IS NULL)
           OR rk.__h IS NOT NULL"""
    )
    return cells


class _Rows:
    """The candidate rows in the pandas path's row order, with each row's reasons as they are found."""

    def __init__(self, frame: pd.DataFrame, stored: list[str], order: dict[str, int]):
        frame = frame.assign(__order=frame["_file"].map(order)).sort_values(["__order", "_line"], kind="stable")
        self.frame = frame.reset_index(drop=True)
        self.stored = stored
        self.problems: list[Problem] = []
        self.reasons: dict[int, list[str]] = {}

    def bad(self) -> np.ndarray:
        mask = np.zeros(len(self.frame), dtype=bool)
        mask[list(self.reasons)] = True
        return mask

    def cells(self, column: str, positions: np.ndarray) -> list[str]:
        """The stored cells as the pandas path shows them (blank for a column the files lack)."""
        if column not in self.frame:
            return [""] * len(positions)
        return cell_text(self.frame[column].iloc[positions].reset_index(drop=True)).tolist()

    def flag(
        self,
        mask: np.ndarray,
        column: str | None,
        reasons: str | list[str],
        values: list[str] | None = None,
        report: bool = True,
    ) -> None:
        positions = np.flatnonzero(mask)
        if not len(positions):
            return
        if values is None:
            values = self.cells(column, positions) if column else [None] * len(positions)  # type: ignore[list-item]
        texts = [reasons] * len(positions) if isinstance(reasons, str) else reasons
        files = self.frame["_file"].to_numpy()[positions]
        lines = self.frame["_line"].to_numpy()[positions]
        for position, file, line, value, text in zip(positions, files, lines, values, texts):
            if report:
                self.problems.append(Problem(str(file), int(line), column, value, text))
            self.reasons.setdefault(int(position), []).append(f"{column}: {text}" if column else text)


def _check_parsing(rows: _Rows) -> pd.Series:
    """Blank ids, invisible and lookalike characters, points that are not a number or negative (``_parse_table``).

    Returns
    -------
    Series
        The points of the candidate rows (NaN: blank or not a number).
    """
    frame = rows.frame
    numbers = frame["__p"].astype("float64")
    for column in ID_COLUMNS:  # in the schema's column order: points (then response) come before rater_id
        values = frame[f"__{_SHORT[column]}"]
        spec = SPEC.by_name[column]
        if spec.required and not spec.nullable:
            rows.flag(values.isna().to_numpy(), column, BLANK_REQUIRED)
        if column == "rater_id":
            _check_points(rows, numbers)
        _check_characters(rows, column, values)
    return numbers


def _check_points(rows: _Rows, numbers: pd.Series) -> None:
    frame = rows.frame
    blank = frame["__p_blank"].to_numpy(dtype=bool)
    not_number = ~blank & frame["__p_bad"].to_numpy(dtype=bool)
    rows.flag(not_number, "points", NOT_A_NUMBER)
    column = SPEC.by_name["points"]
    below = ~blank & ~not_number & (numbers.to_numpy() < (column.minimum or 0.0))
    rows.flag(below, "points", minimum_reason(column))


def _check_characters(rows: _Rows, column: str, values: pd.Series) -> None:
    """Invisible characters reject the row; lookalikes are reported once per id (``_check_id_characters``)."""
    frame = rows.frame
    odd = frame["__odd_id"].to_numpy(dtype=bool) & values.notna().to_numpy()
    if not odd.any():
        return
    invisible: dict[str, str] = {}
    for value in pd.unique(values[odd]):
        text = str(value)
        if text.isascii() and text.isprintable():
            continue
        if (reason := invisible_character(text)) is not None:
            invisible[text] = reason
        elif (reason := lookalike_character(text)) is not None:
            holding = np.flatnonzero((values == text).to_numpy())
            first = holding[0]
            rows.problems.append(
                Problem(
                    str(frame["_file"].iloc[first]),
                    int(frame["_line"].iloc[first]),
                    column,
                    text,
                    lookalike_problem_reason(reason, len(holding)),
                    "warning",
                )
            )
    if invisible:
        per_row = values.map(invisible)
        hit = per_row.notna().to_numpy()
        rows.flag(hit, column, per_row[hit].astype("str").tolist())


def _check_duplicates(rows: _Rows, line_offsets: dict[str, int]) -> None:
    """Later rows repeating an earlier valid row's student, assessment, item and rater (``_check_keys``)."""
    frame = rows.frame
    usable = frame["__repeated"].to_numpy(dtype=bool) & ~rows.bad()
    if not usable.any():
        return
    keys = frame.loc[usable, ["__s", "__a", "__i", "__r"]].fillna({"__r": "\x00none"})
    repeated = keys.duplicated(keep="first").to_numpy()
    if not repeated.any():
        return
    positions = np.flatnonzero(usable)
    combined = (frame["_line"] + frame["_file"].map(line_offsets).fillna(0).astype("int64")).to_numpy()
    first_line = (
        pd.Series(combined[positions[~repeated]], index=pd.MultiIndex.from_frame(keys[~repeated]))
        .reindex(pd.MultiIndex.from_frame(keys[repeated]))
        .to_numpy()
    )
    flagged = positions[repeated]
    unrated = frame["__r"].isna().to_numpy()[flagged]
    mask = np.zeros(len(frame), dtype=bool)
    mask[flagged] = True
    reasons = [duplicate_score_reason(bool(u), int(line)) for u, line in zip(unrated, first_line)]
    rows.flag(mask, "item_id", reasons)


def _check_references(rows: _Rows, rejected: dict[str, dict[tuple[str, ...], dict[str, int]]]) -> None:
    """Students, items and raters that are not in their tables (``_check_foreign_keys``)."""
    frame = rows.frame
    found = {"students": "__student_known", "items": "__item_known", "teachers": "__rater_known"}
    for fk in SPEC.foreign_keys:
        parts = [frame[f"__{_SHORT[c]}"] for c in fk.columns]
        present = np.logical_and.reduce([p.notna().to_numpy() for p in parts])
        missing = present & ~frame[found[fk.table]].to_numpy(dtype=bool) & ~rows.bad()
        if not missing.any():
            continue
        values = [" / ".join(cells) for cells in zip(*(p[missing].astype("str") for p in parts))]
        parent = rejected.get(fk.table, {}).get(fk.ref_columns, {})
        rows.flag(missing, fk.columns[-1], [foreign_key_reason(v, fk, parent) for v in values], values)


def _check_cross(rows: _Rows, numbers: pd.Series) -> None:
    """Points above the item's max_points, then students not enrolled in the assessment's team (``_cross_checks``)."""
    frame = rows.frame
    ok = ~rows.bad()
    maximum = frame["__max_points"].astype("float64").to_numpy()
    rows.flag(ok & (numbers.to_numpy() > maximum + TOLERANCE), "points", OVER_MAX_POINTS)
    outside = ~rows.bad() & frame["__team"].notna().to_numpy() & ~frame["__enrolled"].to_numpy(dtype=bool)
    if outside.any():
        values = [f"{s} / {t}" for s, t in zip(frame.loc[outside, "__s"], frame.loc[outside, "__team"])]
        rows.flag(outside, "student_id", [not_enrolled_reason(v) for v in values], values)


def _drop_identical_rows(rows: _Rows, typed: bool) -> pd.DataFrame:
    """Rows identical to an earlier one in another partition's file are read once (as ``load_partitioned`` does)."""
    frame = rows.frame
    candidates = frame["__repeated"].to_numpy(dtype=bool)
    if not candidates.any():
        return frame.iloc[:0]
    cells = frame.loc[candidates, rows.stored]
    if not typed:
        cells = pd.DataFrame({c: cell_text(cells[c]) for c in rows.stored}, index=cells.index)
    again = cells.index[cells.duplicated(keep="first").to_numpy()]
    dropped = frame.loc[again]
    rows.frame = frame.drop(index=again).reset_index(drop=True)
    return dropped


def _line_offsets(files: list[TableFile], lines: dict[str, int]) -> dict[str, int]:
    """Per file, what ``load_partitioned`` adds to its lines when it joins several files in one table.

    ``lines``: per file label, the last line its rows take (1: none).
    """
    if len(files) < 2:
        return {}
    offsets, offset = {}, 0
    for file in files:
        offsets[file.label] = offset
        offset += lines[file.label]
    return offsets


def _last_lines(files: list[TableFile]) -> dict[str, int]:
    """The last line each (small) file's rows take (1: no rows), as ``load_partitioned`` counts it."""
    from ..readers import LINE, read_raw_csv

    found = {}
    for file in files:
        if file.fmt == "parquet":
            rows = pq.ParquetFile(file.path).metadata.num_rows
            found[file.label] = rows + 1 if rows else 1
        else:
            raw = read_raw_csv(file.path, file_label=file.label)
            lines = [*(int(x) for x in raw.frame[LINE]), *(int(row["line"]) for row in raw.dropped)]
            found[file.label] = max([1, *lines])
    return found


def _rejected_parents(small: Dataset, schools: list[str] | None) -> dict[str, dict[tuple[str, ...], dict[str, int]]]:
    """Per parent table and referenced columns: key text of each rejected row → its line (as the pandas path keys it).

    In a partitioned district the pandas path numbers a table's lines across
    its files (see :func:`_line_offsets`); the line named is that number.
    """
    parents = {fk.table: fk.ref_columns for fk in SPEC.foreign_keys}
    found: dict[str, dict[tuple[str, ...], dict[str, int]]] = {}
    rejected = small.rejected
    if not len(rejected):
        return found
    labels = rejected["file"].astype("str")
    for table, columns in parents.items():
        mine = rejected[(labels.map(lambda label: Path(label).stem) == table).to_numpy()]
        if not len(mine):
            continue
        pieces = table_files(small.source, table, schools=schools) if small.source else []
        offsets = _line_offsets(pieces, _last_lines(pieces)) if len(pieces) > 1 else {}
        keys: dict[str, int] = {}
        for file, line, row in zip(mine["file"], mine["line"], mine["row"]):
            cells = json.loads(row)
            if pd.isna(line) or not all(c in cells for c in columns):
                continue  # a row the reader could not split into columns: never a parent
            key = KEY_SEPARATOR.join(str(cells[c]).strip() for c in columns)
            keys[key] = int(line) + offsets.get(str(file), 0)
        found[table] = {columns: keys}
    return found


def _rejected_frame(rows: _Rows, positions: Iterable[int], reasons: list[str]) -> pd.DataFrame:
    positions = np.asarray(list(positions), dtype=np.int64)
    frame = rows.frame.iloc[positions]
    cells = {c: cell_text(frame[c].reset_index(drop=True)).tolist() for c in rows.stored}
    json_rows = [rejected_row_json({c: cells[c][k] for c in rows.stored}) for k in range(len(frame))]
    out = pd.DataFrame(
        {
            "file": frame["_file"].astype("str").to_numpy(),
            "line": frame["_line"].to_numpy(),
            "severity": "error",
            "reason": reasons,
            "row": json_rows,
        },
        columns=REJECTED_COLUMNS,
    )
    out["line"] = out["line"].astype("Int64")
    return out


def _create_scores_view(
    con: duckdb.DuckDBPyConnection, types: dict[str, str], cells: str, excluded: pd.DataFrame
) -> None:
    """``scores``: every stored row but the excluded ones (rejected, or read once), typed."""
    copy_frame(con, "score_excluded", excluded)
    response = f"plc_strip({_cell_sql('response', types)})"
    # nothing excluded (a clean district): no anti-join, which would name every row's file and line
    exclude = "ANTI JOIN score_excluded x ON x._file = c._file AND x._line = c._line" if len(excluded) else ""
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW scores AS
        SELECT c.__s AS student_id, c.__a AS assessment_id, c.__i AS item_id, c.__p AS points,
               {response} AS response, c.__r AS rater_id, c._file, c._line
        FROM ({cells}) c {exclude}"""
    )


def _create_empty_scores_view(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP VIEW scores AS SELECT student_id, assessment_id, item_id, "
        "CAST(points AS DOUBLE) AS points, response, rater_id, _file, _line FROM scores_raw WHERE false"
    )


def check_scores(
    con: duckdb.DuckDBPyConnection, small: Dataset, read: ScoreFiles
) -> tuple[list[Problem], pd.DataFrame]:
    """Check every score row and create the ``scores`` view of the valid ones.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        With the ``scores_files`` and ``scores_raw`` views and the validated small tables.
    small : Dataset
        The validated small tables (its rejected rows name the parents a score may refer to).
    read : ScoreFiles
        The score files as :func:`~plc_analysis.outofcore.score_files.prepare_score_files` made them ready.

    Returns
    -------
    tuple of (list of Problem, DataFrame)
        The problems, and the rejected rows (columns ``file, line, severity, reason, row``),
        as :func:`plc_analysis.load_dataset` or :func:`plc_analysis.load_partitioned` give them
        (the files that cannot be read are in ``read.unreadable``).
    """
    _register_macros(con)
    files = read.files
    types = _stored_types(con) if files else {}
    if not types:  # no file, or files without a header: the reader has said so
        _create_empty_scores_view(con)
        return list(read.reading), read.dropped
    missing = [c for c in SPEC.required if c not in types]
    if missing:
        problems, rejected = _reject_every_row(con, types, files, missing)
    else:
        problems, rejected = _check_rows(con, small, read, types)
    frames = [f for f in (read.dropped, rejected) if len(f)]
    every = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=REJECTED_COLUMNS)
    return [*read.reading, *problems], every


def _check_rows(
    con: duckdb.DuckDBPyConnection, small: Dataset, read: ScoreFiles, types: dict[str, str]
) -> tuple[list[Problem], pd.DataFrame]:
    files = read.files
    cells = _find_candidates(con, types)
    frame = con.sql("SELECT * FROM score_candidates").to_arrow_table().to_pandas()
    rows = _Rows(frame, list(types), {f.label: k for k, f in enumerate(files)})
    dropped = _drop_identical_rows(rows, typed=all(f.fmt == "parquet" for f in files)) if len(files) > 1 else None
    numbers = _check_parsing(rows)
    _check_duplicates(rows, _line_offsets(files, read.lines))
    _check_references(rows, _rejected_parents(small, read.schools))
    _check_cross(rows, numbers)
    positions = sorted(rows.reasons)
    rejected = _rejected_frame(rows, positions, ["; ".join(rows.reasons[p]) for p in positions])
    excluded = rows.frame.iloc[positions][["_file", "_line"]]
    if dropped is not None and len(dropped):
        excluded = pd.concat([excluded, dropped[["_file", "_line"]]], ignore_index=True)
    _create_scores_view(con, types, cells, excluded.reset_index(drop=True))
    return rows.problems, rejected


def merge_problems(small: list[Problem], unreadable: list[Problem], scores: list[Problem]) -> list[Problem]:
    """The problems of every table in the pandas path's order: the scores' after the tables before them.

    The pandas loaders list the files that cannot be read first, then each
    table's problems in :data:`~plc_analysis.schema.TABLE_ORDER`; the small
    tables come from one load and the scores from another, so their problems
    are put back in that order here.

    Returns
    -------
    list of Problem
    """
    position = {name: k for k, name in enumerate(TABLE_ORDER)}
    here = position["scores"]

    def table_of(problem: Problem) -> int:
        return position.get(Path(problem.file).stem, -1)

    first = 0
    while first < len(small) and small[first].line is None and 0 <= table_of(small[first]) < here:
        first += 1  # the unreadable files of the tables before the scores
    last = len(small)
    while last > first and table_of(small[last - 1]) > here:
        last -= 1  # the problems of the tables after the scores
    return [*small[:first], *unreadable, *small[first:last], *scores, *small[last:]]


def _reject_every_row(
    con: duckdb.DuckDBPyConnection, types: dict[str, str], files: list[TableFile], missing: list[str]
) -> tuple[list[Problem], pd.DataFrame]:
    """A header without a required column: one problem per column, every row rejected (``_parse_table``)."""
    problems = [Problem(files[0].label, 1, name, None, MISSING_FROM_HEADER) for name in missing]
    stored = list(types)
    frame = (
        con.sql(f"SELECT {', '.join(map(_quote, stored))}, _file, _line FROM scores_files").to_arrow_table().to_pandas()
    )
    frame["__repeated"] = True
    rows = _Rows(frame, stored, {f.label: k for k, f in enumerate(files)})
    if len(files) > 1:
        _drop_identical_rows(rows, typed=all(f.fmt == "parquet" for f in files))
    rejected = _rejected_frame(rows, range(len(rows.frame)), [lacks_columns_reason(missing)] * len(rows.frame))
    _create_empty_scores_view(con)
    return problems, rejected
