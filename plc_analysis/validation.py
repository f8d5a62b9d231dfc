"""Validate raw tables against the canonical model, losing nothing.

Every check runs over every row and every problem is recorded; rows with an
error are rejected (kept, with their reasons, for ``Dataset.rejected``) and
the remaining rows are parsed into typed tables.  References are checked in
dependency order, so a row that points at a rejected row is rejected too,
with a reason that says so.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .coded import Factor, repeated_keys
from .errors import REDACTED, SENSITIVE_COLUMNS, Problem
from .readers import LINE, RawTable, cell_text, text_frame
from .rules import TOLERANCE
from .schema import CFA_TABLES, LIST_SEPARATOR, TABLE_ORDER, TABLES, Column, ForeignKey, TableSpec

__all__ = [
    "ValidationResult",
    "validate_tables",
    "empty_table",
    "parse_bool",
    "split_ids",
    "REJECTED_COLUMNS",
    "BLANK_REQUIRED",
    "NOT_A_NUMBER",
    "MISSING_FROM_HEADER",
    "OVER_MAX_POINTS",
    "KEY_SEPARATOR",
    "minimum_reason",
    "lacks_columns_reason",
    "duplicate_score_reason",
    "foreign_key_reason",
    "not_enrolled_reason",
    "lookalike_problem_reason",
    "invisible_character",
    "lookalike_character",
    "parse_numbers",
    "rejected_row_json",
]

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "1.0"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "0.0"})
REJECTED_COLUMNS = ["file", "line", "severity", "reason", "row"]
SHARE_METRICS = ("share_proficient", "failure_rate", "share_passing")

# The wording of each rule, in one place: the out-of-core checks (plc_analysis.outofcore.score_checks) use it too.
#: A required column's cell is blank.
BLANK_REQUIRED = "blank, but this column needs a value"
#: A numeric cell that does not parse (or is infinite).
NOT_A_NUMBER = "not a number"
#: A required column absent from a file's header (one problem per column, on line 1).
MISSING_FROM_HEADER = "required column is missing from the header"
#: A score above its item's max_points (beyond :data:`~plc_analysis.rules.TOLERANCE`).
OVER_MAX_POINTS = "more than the item's max_points"
#: Joins the cells of a multi-column key into one text (shown with " / " between them).
KEY_SEPARATOR = "\x1f"


def minimum_reason(column: Column) -> str:
    """Why a number is below ``column.minimum`` (e.g. ``must be at least 0``).

    Returns
    -------
    str
    """
    assert column.minimum is not None
    return f"must be {'greater than' if column.exclusive_minimum else 'at least'} {column.minimum:g}"


def lacks_columns_reason(missing: list[str]) -> str:
    """Why every row of a file lacking required header columns is rejected.

    Returns
    -------
    str
    """
    return f"file lacks required column(s) {', '.join(missing)}"


def duplicate_score_reason(unrated: bool, first_line: int) -> str:
    """Why a score row repeating an earlier row's student, assessment, item and rater is rejected.

    Parameters
    ----------
    unrated : bool
        The rows have no ``rater_id``.
    first_line : int
        The line of the earlier row (the row kept).

    Returns
    -------
    str
    """
    what = (
        "the same student and item scored twice without a rater_id"
        if unrated
        else "the same student, item and rater scored twice"
    )
    return f"{what} (first seen on line {int(first_line)})"


def foreign_key_reason(value: str, fk: ForeignKey, rejected: dict[str, int]) -> str:
    """Why a reference matches no row of its parent table.

    Parameters
    ----------
    value : str
        The referencing cells, joined by ``" / "``.
    fk : ForeignKey
        The reference.
    rejected : dict of str to int
        The parent's rejected rows: key text (cells joined by
        :data:`KEY_SEPARATOR`, stripped) to line; a match says so.

    Returns
    -------
    str
    """
    key = value.replace(" / ", KEY_SEPARATOR)
    names = " / ".join(fk.columns)
    if key in rejected:
        return f"{names} {value!r} refers to a row of {fk.table}.csv that was rejected (line {rejected[key]})"
    return f"{names} {value!r} is not in {fk.table}.csv"


def not_enrolled_reason(value: str) -> str:
    """Why a score of a student not enrolled in the assessment's team is rejected (``value``: ``student / team``).

    Returns
    -------
    str
    """
    return "student {!r} is not enrolled in any section of team {!r}, which gives this assessment".format(
        *value.split(" / ")
    )


def lookalike_problem_reason(reason: str, rows: int) -> str:
    """The warning for an id with lookalike characters: ``reason``, and how many rows hold it (the first is named).

    Returns
    -------
    str
    """
    return f"{reason} ({rows} row(s); first on this line)"


@dataclass
class ValidationResult:
    """Typed tables plus every problem and every rejected row."""

    tables: dict[str, pd.DataFrame]
    problems: list[Problem]
    rejected: pd.DataFrame
    #: per table, facts found while validating that spare a Dataset work (see :func:`_scores_hints`)
    hints: dict[str, dict] = field(default_factory=dict)


def parse_bool(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse true/false/yes/no/1/0/Y/N/T/F (any case).

    Returns
    -------
    tuple of Series
        ``(parsed, bad)``: ``parsed`` is nullable ``boolean`` (NA for blanks
        and bad cells), ``bad`` marks non-blank cells that are not boolean.
    """
    lowered = values.str.strip().str.lower()
    parsed = pd.Series(pd.NA, index=values.index, dtype="boolean")
    parsed[lowered.isin(TRUE_WORDS)] = True
    parsed[lowered.isin(FALSE_WORDS)] = False
    bad = (lowered != "") & parsed.isna()
    return parsed, bad


def split_ids(cell: object) -> list[str]:
    """The ids of a list cell (``"s1; s2;s3"``): split on :data:`~plc_analysis.schema.LIST_SEPARATOR`.

    Returns
    -------
    list of str
        Stripped ids in the order written, blanks and repeats left out; empty
        for a blank or missing cell.
    """
    if cell is None or (isinstance(cell, float) and np.isnan(cell)) or cell is pd.NA:
        return []
    ids = [part.strip() for part in str(cell).split(LIST_SEPARATOR)]
    return list(dict.fromkeys(i for i in ids if i))


def _dtype_for(column: Column) -> str:
    return {
        "id": "str",
        "text": "str",
        "float": "float64",
        "int": "int64",
        "bool": "bool",
        "date": "datetime64[ns]",
        "enum": "category",
    }[column.kind]


def empty_table(name: str) -> pd.DataFrame:
    """An empty typed table with every canonical column of ``name``."""
    spec = TABLES[name]
    return pd.DataFrame({c.name: pd.Series([], dtype=_dtype_for(c)) for c in spec.columns})


class _TableCheck:
    """Collects problems for one table, row by row (vectorised masks).

    It also keeps, per id column, integer codes of the parsed values
    (``codes``) so that key and reference checks compare integers, not text,
    and the parent row each reference resolves to (``parents``).
    """

    def __init__(self, spec: TableSpec, raw: RawTable, file: str):
        self.spec = spec
        self.file = file
        self.frame = raw.frame
        self.raw_codes: dict[str, tuple[np.ndarray, pd.Series]] = getattr(raw, "codes", {})
        self.problems: list[Problem] = list(raw.problems)
        self.reasons: dict[int, list[str]] = {}  # position -> reasons (errors)
        #: column -> (per-row code, -1 for missing; the distinct parsed values, by code)
        self.codes: dict[str, tuple[np.ndarray, pd.Series]] = {}
        #: (parent table, columns) -> per-row position of the referenced parent row, -1 for none
        self.parents: dict[tuple[str, tuple[str, ...]], np.ndarray] = {}
        #: facts for the loaded Dataset (e.g. which score rows share a student × item)
        self.hints: dict[str, np.ndarray] = {}

    def flag(
        self,
        mask: np.ndarray | pd.Series,
        column: str | None,
        reason: str | Callable[[str], str] | pd.Series | dict[int, str],
        values: pd.Series | Callable[[np.ndarray], list[str]] | None = None,
        report: bool = True,
    ) -> None:
        """Record an error for each row where ``mask`` is true.

        ``reason`` is a string, a function of the cell's value, a Series of
        per-row reasons aligned with the table, or a dict of reasons by row
        position.  ``values`` (the cell text shown in the problem) defaults to
        the raw cell; it may be a Series aligned with the table or a function
        of the flagged positions returning their texts.  ``report=False``
        rejects the rows without a problem per row (one problem already
        covers them).
        """
        flagged = np.asarray(mask, dtype=bool)
        if not flagged.any():
            return
        positions = np.flatnonzero(flagged)
        lines = self.frame[LINE].to_numpy()[positions]
        if callable(values):
            cells = list(values(positions))
        elif values is not None:
            cells = cell_text(values.iloc[positions]).tolist()
        elif column in self.frame:
            cells = cell_text(self.frame[column].iloc[positions]).tolist()
        else:
            cells = None
        for i, (pos, line) in enumerate(zip(positions, lines)):
            value = None if cells is None else str(cells[i])
            if isinstance(reason, pd.Series):
                text = str(reason.iloc[pos])
            elif isinstance(reason, dict):
                text = str(reason[int(pos)])
            else:
                text = reason(value or "") if callable(reason) else reason  # "" when no cell text is known
            if report:
                self.problems.append(Problem(self.file, int(line), column, value, text))
            self.reasons.setdefault(int(pos), []).append(f"{column}: {text}" if column else text)

    @property
    def bad(self) -> pd.Series:
        mask = np.zeros(len(self.frame), dtype=bool)
        mask[list(self.reasons)] = True
        return pd.Series(mask, index=self.frame.index)

    def column_codes(self, typed: pd.DataFrame, column: str) -> tuple[np.ndarray, pd.Series]:
        """Integer codes of a parsed column (-1 for missing) and its distinct values."""
        if column not in self.codes:
            codes, uniques = pd.factorize(typed[column])
            self.codes[column] = (codes.astype(np.int64, copy=False), pd.Series(uniques))
        return self.codes[column]


def _text_codes(check: _TableCheck, column: str) -> tuple[np.ndarray, pd.Series]:
    """Codes of the distinct raw cells (-1 for missing) and those cells as CSV text.

    A reader that kept a column's dictionary encoding (Parquet) gives them
    without hashing every cell.
    """
    if column in check.raw_codes:
        codes, uniques = check.raw_codes[column]
    else:
        codes, uniques = pd.factorize(check.frame[column])
    return codes.astype(np.int64, copy=False), cell_text(pd.Series(uniques)).reset_index(drop=True)


def _parse_text(check: _TableCheck, column: Column, raw: pd.Series) -> pd.Series:
    """An id or text column: stripped, blank as missing; every distinct cell parsed once."""
    codes, cells = _text_codes(check, column.name)
    stripped = cells.str.strip()
    blank_value = (stripped == "").to_numpy()
    blank = np.append(blank_value, True)[codes]  # a missing cell (code -1) is blank
    if column.required and not column.nullable:
        check.flag(blank, column.name, BLANK_REQUIRED)
    value_codes, values = pd.factorize(stripped.where(~blank_value, None))
    row_codes = np.append(value_codes, -1)[codes]
    values = pd.Series(values, dtype="str").reset_index(drop=True)
    if column.kind == "id":
        _check_id_characters(check, column.name, values, row_codes)
    check.codes[column.name] = (row_codes, values)
    # text already stripped, blank only where missing: the parsed column is the column read
    if raw.dtype == "str" and not blank_value.any() and bool((stripped == cells).all()):
        return raw
    taken = values.array.take(row_codes, allow_fill=True)
    return pd.Series(taken, index=raw.index, dtype="str")


def _check_id_characters(check: _TableCheck, column: str, values: pd.Series, row_codes: np.ndarray) -> None:
    """Ids with invisible or control characters are rejected; ids with lookalike characters are reported.

    An id is compared character for character: ``S001`` with a zero-width
    space, a NUL byte, or a Cyrillic ``Ѕ`` is another student than ``S001``,
    though it looks the same on screen.
    """
    if bool(values.str.isascii().all()) and not bool(values.str.contains(_ASCII_CONTROL, regex=True).any()):
        return
    invisible: dict[int, str] = {}
    for code, value in enumerate(values):
        if value.isascii() and not _ASCII_CONTROL.search(value):
            continue
        if (reason := invisible_character(value)) is not None:
            invisible[code] = reason
        elif (reason := lookalike_character(value)) is not None:
            rows = np.flatnonzero(row_codes == code)
            line = int(check.frame[LINE].iloc[rows[0]])
            check.problems.append(
                Problem(check.file, line, column, value, lookalike_problem_reason(reason, len(rows)), "warning")
            )
    if invisible:
        reasons = np.array([invisible.get(code, "") for code in range(len(values))] + [""], dtype=object)
        per_row = reasons[row_codes]
        check.flag(per_row != "", column, pd.Series(per_row, index=check.frame.index))


_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def invisible_character(value: str) -> str | None:
    """Why an id holds a character a reader cannot see (control, zero-width, bidi, odd space), or None.

    Parameters
    ----------
    value : str
        An id as read (stripped).

    Returns
    -------
    str or None
        The reason, naming the character's code point.
    """
    for character in value:
        category = unicodedata.category(character)
        if category in ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp") or (category == "Zs" and character != " "):
            name = unicodedata.name(character, "control character")
            return f"contains an invisible or control character U+{ord(character):04X} {name}; retype the id"
    return None


def lookalike_character(value: str) -> str | None:
    """Why an id may only look like another one (Latin mixed with lookalike letters, fullwidth forms), or None.

    Parameters
    ----------
    value : str
        An id as read (stripped), without invisible characters.

    Returns
    -------
    str or None
        The reason, naming the first suspicious character.
    """
    if unicodedata.normalize("NFKC", value) != value:
        changed = next(c for c in value if unicodedata.normalize("NFKC", c) != c)
        return (
            f"contains U+{ord(changed):04X} {unicodedata.name(changed, '?')}, a compatibility form of "
            f"{unicodedata.normalize('NFKC', changed)!r}: this id may look like another one"
        )
    if not any(c.isascii() and c.isalnum() for c in value):
        return None  # one script throughout (e.g. an all-Cyrillic id): nothing to confuse it with
    for character in value:
        if character.isalpha() and not character.isascii():
            script = unicodedata.name(character, "").split(" ")[0]
            if script != "LATIN":
                return (
                    f"mixes Latin letters or digits with U+{ord(character):04X} {unicodedata.name(character, '?')}, "
                    "a lookalike of a Latin letter: this id may look like another one"
                )
    return None


def parse_numbers(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Read a numeric column, typed or text, as validation reads it.

    Returns
    -------
    tuple of Series
        ``(numbers, blank, not_number)``: the values (float, NaN when blank
        or not a number), blank cells, and cells that are not a finite number.
    """
    if pd.api.types.is_bool_dtype(raw) or not (pd.api.types.is_float_dtype(raw) or pd.api.types.is_integer_dtype(raw)):
        text = cell_text(raw).str.strip()
        blank = text == ""
        numbers = pd.to_numeric(text.where(~blank, None), errors="coerce").astype("float64")
        return numbers, blank, ~blank & (numbers.isna() | ~np.isfinite(numbers.fillna(0)))
    numbers = pd.Series(raw.to_numpy(dtype="float64", na_value=np.nan), index=raw.index)
    blank = numbers.isna()
    return numbers, blank, pd.Series(np.isinf(numbers.to_numpy()), index=raw.index)


def _parse_number(check: _TableCheck, column: Column, raw: pd.Series) -> pd.Series:
    numbers, blank, not_number = parse_numbers(raw)
    if column.required and not column.nullable:
        check.flag(blank, column.name, BLANK_REQUIRED)
    check.flag(not_number, column.name, NOT_A_NUMBER)
    ok = ~blank & ~not_number
    if column.kind == "int":
        check.flag(ok & (numbers % 1 != 0), column.name, "not a whole number")
    if column.minimum is not None:
        below = ok & ((numbers <= column.minimum) if column.exclusive_minimum else (numbers < column.minimum))
        check.flag(below, column.name, minimum_reason(column))
    if column.maximum is not None:
        check.flag(ok & (numbers > column.maximum), column.name, f"must be at most {column.maximum:g}")
    if column.default is not None:
        numbers = numbers.fillna(column.default)
    return numbers


def _typed_dates(raw: pd.Series) -> pd.Series | None:
    """Timestamps of a typed date column as the text path reads them (the day), or None."""
    if not pd.api.types.is_datetime64_dtype(raw) or isinstance(raw.dtype, pd.DatetimeTZDtype):
        return None
    try:
        return raw.dt.normalize().astype("datetime64[ns]")
    except (OverflowError, ValueError):
        return None


def _parse_column(check: _TableCheck, column: Column) -> pd.Series:
    raw = check.frame[column.name]
    if column.kind in ("id", "text"):
        return _parse_text(check, column, raw)
    if column.kind in ("float", "int"):
        return _parse_number(check, column, raw)
    if column.kind == "bool" and pd.api.types.is_bool_dtype(raw):
        blank = raw.isna()
        if column.required and not column.nullable:
            check.flag(blank, column.name, BLANK_REQUIRED)
        parsed = raw.astype("boolean")
        return parsed.fillna(column.default).astype("bool") if column.default is not None else parsed
    if column.kind == "date" and (dates := _typed_dates(raw)) is not None:
        if column.required and not column.nullable:
            check.flag(dates.isna(), column.name, BLANK_REQUIRED)
        return dates
    text = cell_text(raw).str.strip()
    blank = text == ""
    if column.required and not column.nullable:
        check.flag(blank, column.name, BLANK_REQUIRED)
    if column.kind == "bool":
        parsed, bad = parse_bool(text)
        check.flag(bad, column.name, "not a true/false value (use true/false, yes/no, 1/0 or Y/N)")
        if column.default is not None:
            return parsed.fillna(column.default).astype("bool")
        return parsed
    if column.kind == "date":
        dates = pd.to_datetime(text.where(~blank, None), format="ISO8601", errors="coerce")
        check.flag(~blank & dates.isna(), column.name, "not a date in ISO 8601 form (YYYY-MM-DD)")
        return dates.astype("datetime64[ns]")
    if column.kind == "enum":
        lowered = text.str.lower()
        known = lowered.isin(column.choices)
        check.flag(~blank & ~known, column.name, f"not one of: {', '.join(column.choices)}")
        return pd.Categorical(lowered.where(known, None), categories=list(column.choices))
    raise AssertionError(column.kind)


def _parse_table(spec: TableSpec, raw: RawTable, file: str) -> tuple[_TableCheck, pd.DataFrame]:
    check = _TableCheck(spec, raw, file)
    frame = raw.frame
    if list(frame.columns) == [LINE]:
        return check, empty_table(spec.name)  # empty file: the reader has said so
    missing = [c for c in spec.required if c not in frame.columns]
    typed = pd.DataFrame(index=frame.index)
    if missing:
        for name in missing:
            check.problems.append(Problem(file, 1, name, None, MISSING_FROM_HEADER))
        everything = pd.Series(True, index=frame.index)
        check.flag(everything, None, lacks_columns_reason(missing), report=False)
        return check, empty_table(spec.name)
    for column in spec.columns:
        if column.name in frame.columns:
            typed[column.name] = _parse_column(check, column)
        elif column.kind == "bool" and column.default is not None:
            typed[column.name] = pd.Series(column.default, index=frame.index, dtype="bool")
        elif column.kind == "float":
            typed[column.name] = pd.Series(column.default, index=frame.index, dtype="float64")
        else:
            typed[column.name] = pd.Series(None, index=frame.index, dtype=_dtype_for(column))
            if column.kind == "enum":
                typed[column.name] = pd.Categorical(typed[column.name], categories=list(column.choices))
    extras = [c for c in frame.columns if c != LINE and c not in spec.column_names]
    if extras:  # all at once: a table may have thousands of extra columns, each insert would copy the rest
        typed = pd.concat([typed, _extra_columns(check, spec, frame, extras)], axis=1)
    typed[LINE] = frame[LINE]
    return check, typed


def _extra_columns(check: _TableCheck, spec: TableSpec, frame: pd.DataFrame, extras: list[str]) -> pd.DataFrame:
    """The columns the schema does not name, as text (stripped, blank as missing), or as booleans.

    For a table whose extra columns are subgroups (students), a column is
    boolean when most of its values are boolean words; then the odd cell out
    is an error, not a reason to read the column as text.  Every cell of
    every extra column is stripped and compared in one pass.
    """
    n = len(frame)
    block = frame[extras]
    if all(dtype == "str" for dtype in block.dtypes) and not block.isna().to_numpy().any():
        cells = pd.Series(block.to_numpy(dtype=object).T.ravel(), dtype="str")  # column after column
    else:
        cells = pd.concat([cell_text(block.iloc[:, i]) for i in range(len(extras))], ignore_index=True)
    text = cells.str.strip()
    blank = (text == "").to_numpy().reshape(len(extras), n)
    values = text.to_numpy(dtype=object).reshape(len(extras), n)
    boolean = np.zeros(len(extras), dtype=bool)
    true = false = np.zeros((len(extras), n), dtype=bool)
    if spec.extra == "subgroup":
        lowered = text.str.lower()
        true = lowered.isin(TRUE_WORDS).to_numpy().reshape(len(extras), n)
        false = lowered.isin(FALSE_WORDS).to_numpy().reshape(len(extras), n)
        filled = (~blank).sum(axis=1)
        boolean = (filled > 0) & ((true | false).sum(axis=1) > 0.5 * filled)
    columns: dict[str, pd.Series] = {}
    for position in np.flatnonzero(boolean):
        extra, word = extras[position], true[position] | false[position]
        check.flag(~blank[position] & ~word, extra, "not a true/false value (use true/false, yes/no, 1/0 or Y/N)")
        parsed = pd.array(np.where(word, true[position], False), dtype="boolean")
        parsed[~word] = pd.NA
        columns[extra] = pd.Series(parsed, index=frame.index)
    as_text = np.flatnonzero(~boolean)
    kept = values[as_text].copy()
    kept[blank[as_text]] = None
    texts = pd.DataFrame(
        kept.T,
        columns=[extras[i] for i in as_text],
        index=frame.index,
        dtype="str",
    )
    return pd.concat([texts, pd.DataFrame(columns, index=frame.index)], axis=1)[extras]


def _key_text(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    parts = [frame[c].fillna("").astype("str") for c in columns]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + KEY_SEPARATOR + part
    return joined


def _combined_codes(parts: list[np.ndarray]) -> np.ndarray:
    """One int64 code per row for a tuple of per-column codes (-1, missing, is a value of its own)."""
    combined = parts[0] + 1
    bound = int(combined.max(initial=0)) + 1
    for part in parts[1:]:
        width = int(part.max(initial=-1)) + 2
        if bound * width >= 2**62:
            combined, uniques = pd.factorize(combined)
            bound = len(uniques)
        combined = combined * width + (part + 1)
        bound *= width
    return combined


def _key_codes(check: _TableCheck, typed: pd.DataFrame, columns: tuple[str, ...], rows: np.ndarray) -> np.ndarray:
    """One int64 code per row of ``rows`` for the values of ``columns`` (equal codes, equal values)."""
    every = len(rows) == len(typed)  # rows are sorted positions: all of them means every row
    return _combined_codes(
        [check.column_codes(typed, c)[0] if every else check.column_codes(typed, c)[0][rows] for c in columns]
    )


#: The scores columns identifying one piece of work (the key without the rater).
_WORK = ("student_id", "assessment_id", "item_id")


def _check_keys(spec: TableSpec, check: _TableCheck, typed: pd.DataFrame) -> None:
    """Reject later rows repeating the key of an earlier valid row.

    Keys are compared as integer codes; only rows whose key occurs more than
    once (found by sorting the codes) are looked at row by row.  For scores,
    the rows sharing a student × item with another row (double scoring) are
    kept in ``check.hints["shared"]``: the rows of record are chosen among them.
    """
    if not spec.key:
        return
    usable = np.flatnonzero(~check.bad.to_numpy())
    if spec.name == "scores" and all(c in typed for c in _WORK):
        usable = usable[repeated_keys(_key_codes(check, typed, _WORK, usable))]
        check.hints["shared"] = usable
    keys = _key_codes(check, typed, spec.key, usable)
    involved = repeated_keys(keys)
    if not involved.any():
        return
    usable, keys = usable[involved], keys[involved]
    repeated = pd.Series(keys).duplicated(keep="first").to_numpy()
    lines = typed[LINE].to_numpy()[usable]
    firsts = pd.Series(lines[~repeated], index=keys[~repeated])
    first_line = firsts.reindex(keys[repeated]).to_numpy()
    positions = usable[repeated]
    if spec.name == "scores":
        column = "item_id"
        unrated = typed["rater_id"].isna().to_numpy()[positions]
        reasons = {int(p): duplicate_score_reason(bool(u), line) for p, u, line in zip(positions, unrated, first_line)}
    else:
        column = spec.key[-1]
        what = f"duplicate key ({', '.join(spec.key)})"
        reasons = {int(p): f"{what} (first seen on line {int(line)})" for p, line in zip(positions, first_line)}
    mask = np.zeros(len(typed), dtype=bool)
    mask[positions] = True
    check.flag(mask, column, reasons)


def _parent_positions(
    check: _TableCheck,
    typed: pd.DataFrame,
    columns: tuple[str, ...],
    parent: pd.DataFrame,
    ref_columns: tuple[str, ...],
) -> np.ndarray:
    """Per row, the position in ``parent`` of the first row whose ``ref_columns`` match ``columns`` (-1: none).

    Each distinct combination of values is looked up once, then spread back
    to the rows through its integer code.
    """
    parts = [check.column_codes(typed, c) for c in columns]
    widths = [len(values) + 1 for _, values in parts]
    if np.prod(np.array(widths, dtype=float)) < 2.0**62:
        combined = np.zeros(len(typed), dtype=np.int64)
        for (codes, _), width in zip(parts, widths):
            combined = combined * width + (codes + 1)
        group, distinct = _distinct(combined)
        per_column = []
        for width in reversed(widths):
            distinct, code = np.divmod(distinct, width)
            per_column.append(code - 1)
        per_column.reverse()
    else:  # too many combinations for one int64: one representative row per distinct combination
        group, firsts = pd.factorize(_combined_codes([codes for codes, _ in parts]))
        row = np.zeros(len(firsts), dtype=np.int64)
        row[group] = np.arange(len(group))
        per_column = [codes[row] for codes, _ in parts]
    representative = {
        c: pd.Series(values.array.take(code, allow_fill=True))
        for c, (_, values), code in zip(columns, parts, per_column)
    }
    child = _key_text(pd.DataFrame({c: representative[c] for c in columns}), columns).to_numpy()
    if not len(parent):
        return np.full(len(typed), -1, dtype=np.int64)
    parent_keys = _key_text(parent, ref_columns)
    unique = ~parent_keys.duplicated().to_numpy()
    found = pd.Index(parent_keys.to_numpy()[unique]).get_indexer(child)
    at = np.flatnonzero(unique)
    per_distinct = np.where(found >= 0, at[found], -1)
    return per_distinct[group]


def _distinct(combined: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the index of its value among the distinct values, and those values (non-negative int64)."""
    top = int(combined.max(initial=0)) + 1
    if top <= 1 << 25:  # small range: a dense table, no hashing
        seen = np.zeros(top, dtype=bool)
        seen[combined] = True
        distinct = np.flatnonzero(seen)
        index = np.zeros(top, dtype=np.int32)
        index[distinct] = np.arange(len(distinct), dtype=np.int32)
        return index[combined].astype(np.int64), distinct
    group, distinct = pd.factorize(combined)
    return group.astype(np.int64, copy=False), np.asarray(distinct)


def _check_foreign_keys(
    spec: TableSpec,
    check: _TableCheck,
    typed: pd.DataFrame,
    clean: dict[str, pd.DataFrame],
    rejected_keys: dict[str, dict],
) -> None:
    for fk in spec.foreign_keys:
        parent = clean.get(fk.table)
        if parent is None or any(c not in typed for c in fk.columns):
            continue
        present = np.logical_and.reduce([check.column_codes(typed, c)[0] >= 0 for c in fk.columns])
        where = _parent_positions(check, typed, fk.columns, parent, fk.ref_columns)
        check.parents[(fk.table, fk.columns)] = where
        missing = present & (where < 0) & ~check.bad.to_numpy()
        if not missing.any():
            continue
        rejected_parent = rejected_keys.get(fk.table, {}).get(fk.ref_columns, {})
        column = fk.columns[-1]

        def values(positions: np.ndarray, _columns: tuple[str, ...] = fk.columns) -> list[str]:
            return _key_text(typed.iloc[positions], _columns).str.replace(KEY_SEPARATOR, " / ").tolist()

        def reason(value: str, _fk: ForeignKey = fk, _rej: dict = rejected_parent) -> str:
            return foreign_key_reason(value, _fk, _rej)

        check.flag(missing, column, reason, values=values)


def _cross_checks(name: str, check: _TableCheck, typed: pd.DataFrame, clean: dict[str, pd.DataFrame]) -> None:
    ok = ~check.bad
    if name == "scores" and "items" in clean and len(typed):
        items = clean["items"]
        columns = ("assessment_id", "item_id")
        where = check.parents.get(("items", columns))
        if where is None:
            where = _parent_positions(check, typed, columns, items, columns)
        max_points = np.append(items["max_points"].to_numpy(dtype="float64"), np.nan)[where]
        over = ok.to_numpy() & (typed["points"].to_numpy() > max_points + TOLERANCE)
        check.flag(over, "points", OVER_MAX_POINTS)
        _check_enrolled(check, typed, clean)
    if name == "goals" and len(typed):
        share = typed["metric"].isin(SHARE_METRICS)
        for column in ("baseline", "target"):
            check.flag(ok & share & (typed[column] > 1), column, "a share must be between 0 and 1 (write 83% as 0.83)")
        check.flag(ok & (typed["due_date"] <= typed["start_date"]), "due_date", "due_date must be after start_date")
    if name == "actions" and len(typed):
        _check_actions(check, typed, clean)
    if name == "interventions" and len(typed):
        check.flag(
            ok & typed["end_date"].notna() & (typed["end_date"] < typed["start_date"]),
            "end_date",
            "end_date is before start_date",
        )


def _check_actions(check: _TableCheck, typed: pd.DataFrame, clean: dict[str, pd.DataFrame]) -> None:
    """An action's students must exist, its assessments be its team's, its reassessment date follow its start."""
    check.flag(
        typed["reassess_by"].notna() & typed["start_date"].notna() & (typed["reassess_by"] < typed["start_date"]),
        "reassess_by",
        "reassess_by is before start_date",
    )
    known = set(clean["students"]["student_id"]) if "students" in clean else set()
    unknown = {
        position: [i for i in split_ids(cell) if i not in known]
        for position, cell in enumerate(typed["student_ids"].to_numpy())
    }
    unknown = {position: ids for position, ids in unknown.items() if ids}
    mask = np.zeros(len(typed), dtype=bool)
    mask[list(unknown)] = True
    check.flag(
        mask,
        "student_ids",
        {p: "not in students.csv: " + ", ".join(repr(i) for i in ids) for p, ids in unknown.items()},
    )
    if "assessments" not in clean:
        return
    team_of = clean["assessments"].set_index("assessment_id")["team_id"]
    team_of = team_of[~team_of.index.duplicated()]
    for column in ("assessment_id", "reassess_assessment_id"):
        owner = typed[column].map(team_of)
        other = owner.notna() & typed["team_id"].notna() & (owner != typed["team_id"])
        reasons = {
            int(p): f"assessment {typed[column].iloc[p]!r} belongs to team {owner.iloc[p]!r}, "
            f"not to this action's team {typed['team_id'].iloc[p]!r}"
            for p in np.flatnonzero(other.to_numpy())
        }
        check.flag(other.to_numpy(), column, reasons)


def _check_enrolled(check: _TableCheck, typed: pd.DataFrame, clean: dict[str, pd.DataFrame]) -> None:
    """A score must belong to a student enrolled in a section of the assessment's team."""
    if not {"enrollments", "sections", "assessments"} <= clean.keys():
        return
    enrolled = clean["enrollments"].merge(clean["sections"][["section_id", "team_id"]], on="section_id")
    team_of = clean["assessments"].set_index("assessment_id")["team_id"]
    assessment_codes, assessments = check.column_codes(typed, "assessment_id")
    team_codes, teams = pd.factorize(assessments.map(team_of))
    row_team = np.where(assessment_codes < 0, -1, np.append(team_codes, -1)[assessment_codes])
    candidates = ~check.bad.to_numpy() & (row_team >= 0)
    if not candidates.any():
        return
    student_codes, students = check.column_codes(typed, "student_id")
    width = len(teams) + 1
    pairs = (student_codes + 1) * width + (row_team + 1)
    enrolled_student = pd.Index(students).get_indexer(enrolled["student_id"])
    enrolled_team = pd.Index(teams).get_indexer(enrolled["team_id"])
    valid = (enrolled_student >= 0) & (enrolled_team >= 0)
    enrolled_pairs = (enrolled_student[valid] + 1) * width + (enrolled_team[valid] + 1)
    if (len(students) + 1) * width <= 1 << 26:  # a dense table of the enrolled pairs
        table = np.zeros((len(students) + 1) * width, dtype=bool)
        table[enrolled_pairs] = True
        known = table[pairs]
    else:
        known = pd.Series(pairs).isin(enrolled_pairs).to_numpy()
    known = known & (student_codes >= 0)

    def values(positions: np.ndarray) -> list[str]:
        team = [teams[t] if t >= 0 else "" for t in row_team[positions]]
        return [f"{s} / {t}" for s, t in zip(typed["student_id"].iloc[positions], team)]

    check.flag(candidates & ~known, "student_id", not_enrolled_reason, values=values)


def _rejected_keys(spec: TableSpec, rows: pd.DataFrame) -> dict[tuple[str, ...], dict[str, int]]:
    """Key text → line of rejected rows, for every column set other tables reference."""
    referenced = {fk.ref_columns for other in TABLES.values() for fk in other.foreign_keys if fk.table == spec.name}
    found = {}
    for columns in referenced:
        if all(c in rows for c in columns):
            stripped = pd.DataFrame({c: rows[c].str.strip() for c in columns})
            found[columns] = dict(zip(_key_text(stripped, columns), rows[LINE]))
    return found


def _raw_row_json(frame: pd.DataFrame, position: int) -> str:
    """A rejected row's cells as JSON, student names and contact details redacted (rejected.csv is shared)."""
    return rejected_row_json(frame.iloc[position].drop(LINE).to_dict())


def rejected_row_json(row: dict) -> str:
    """A rejected row's cells (column to cell text, in file order) as the JSON ``rejected`` keeps.

    Student names and contact details are redacted (``rejected.csv`` is shared).

    Returns
    -------
    str
    """
    cells = {k: ("" if v is None else str(v)) for k, v in row.items()}
    return json.dumps(
        {k: (REDACTED if k in SENSITIVE_COLUMNS and v.strip() else v) for k, v in cells.items()}, ensure_ascii=False
    )


def validate_tables(
    raw: dict[str, RawTable], *, required: tuple[str, ...] = CFA_TABLES, extra_problems: list[Problem] | None = None
) -> ValidationResult:
    """Validate raw tables and parse the valid rows.

    Parameters
    ----------
    raw : dict of str to RawTable
        Raw tables by canonical name; missing optional tables may be absent.
    required : tuple of str
        Tables that must be present (default: those a CFA report needs).
    extra_problems : list of Problem, optional
        Problems already found upstream (e.g. by a OneRoster converter).

    Returns
    -------
    ValidationResult
        ``tables``: every canonical table, typed, valid rows only (absent
        tables are empty); ``problems``: all problems; ``rejected``: one row
        per rejected input row with columns ``file, line, severity, reason,
        row`` (``row`` is the raw row as JSON).
    """
    problems: list[Problem] = list(extra_problems or [])
    hints: dict[str, dict] = {}
    clean: dict[str, pd.DataFrame] = {}
    rejected_rows: list[dict] = []
    rejected_keys: dict[str, dict] = {}
    for name in TABLE_ORDER:
        spec = TABLES[name]
        if name not in raw:
            if name in required:
                problems.append(Problem(spec.file, None, None, None, "required file is missing"))
            clean[name] = empty_table(name)
            continue
        table = raw[name]
        file = getattr(table, "label", None) or spec.file
        check, typed = _parse_table(spec, table, file)
        if len(typed) and LINE in typed:
            _check_keys(spec, check, typed)
            _check_foreign_keys(spec, check, typed, clean, rejected_keys)
            _cross_checks(name, check, typed, clean)
        bad = check.bad
        problems += check.problems
        for row in table.dropped:
            rejected_rows.append(
                {
                    "file": file,
                    "line": row["line"],
                    "severity": "error",
                    "reason": row["reason"],
                    "row": json.dumps(row["row"], ensure_ascii=False),
                }
            )
        if table.frame.shape[0] and bad.any():
            positions = np.flatnonzero(bad.to_numpy())
            rows = text_frame(table.frame.iloc[positions])
            for i, pos in enumerate(positions):
                rejected_rows.append(
                    {
                        "file": file,
                        "line": int(rows[LINE].iloc[i]),
                        "severity": "error",
                        "reason": "; ".join(check.reasons[int(pos)]),
                        "row": _raw_row_json(rows, i),
                    }
                )
            rejected_keys[name] = _rejected_keys(spec, rows)
        if LINE in typed:
            typed = (typed.loc[~bad] if bad.any() else typed).drop(columns=LINE).reset_index(drop=True)
            if name == "scores" and "shared" in check.hints:
                hints[name] = _scores_hints(check, bad.to_numpy())
        clean[name] = typed
    rejected = pd.DataFrame(rejected_rows, columns=REJECTED_COLUMNS)
    rejected["line"] = rejected["line"].astype("Int64")
    return ValidationResult(clean, problems, rejected, hints)


def _scores_hints(check: _TableCheck, bad: np.ndarray) -> dict:
    """What a Dataset would otherwise recompute over every score row (see :meth:`Dataset.from_tables`).

    ``score_codes``: the student, assessment and item ids of the loaded rows
    as integer codes; ``record_candidates``: the loaded rows that may share a
    student × item with another row (the only ones double scoring can involve).
    """
    keep = ~bad
    position = np.cumsum(keep) - 1
    shared = check.hints["shared"]
    codes = {
        name: Factor(
            check.codes[column][0][keep] if bad.any() else check.codes[column][0],
            pd.Index(check.codes[column][1], dtype="str"),
        )
        for name, column in (("student", "student_id"), ("assessment", "assessment_id"), ("item", "item_id"))
    }
    return {"score_codes": codes, "record_candidates": position[shared[keep[shared]]]}
