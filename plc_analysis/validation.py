"""Validate raw tables against the canonical model, losing nothing.

Every check runs over every row and every problem is recorded; rows with an
error are rejected (kept, with their reasons, for ``Dataset.rejected``) and
the remaining rows are parsed into typed tables.  References are checked in
dependency order, so a row that points at a rejected row is rejected too,
with a reason that says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import REDACTED, SENSITIVE_COLUMNS, Problem
from .readers import LINE, RawTable
from .schema import CFA_TABLES, TABLE_ORDER, TABLES, Column, TableSpec

__all__ = ["ValidationResult", "validate_tables", "empty_table", "parse_bool", "REJECTED_COLUMNS"]

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "1.0"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "0.0"})
REJECTED_COLUMNS = ["file", "line", "severity", "reason", "row"]
SHARE_METRICS = ("share_proficient", "failure_rate", "share_passing")


@dataclass
class ValidationResult:
    """Typed tables plus every problem and every rejected row."""

    tables: dict[str, pd.DataFrame]
    problems: list[Problem]
    rejected: pd.DataFrame


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
    """Collects problems for one table, row by row (vectorised masks)."""

    def __init__(self, spec: TableSpec, raw: RawTable, file: str):
        self.spec = spec
        self.file = file
        self.frame = raw.frame
        self.problems: list[Problem] = list(raw.problems)
        self.reasons: dict[int, list[str]] = {}  # position -> reasons (errors)

    def flag(self, mask: pd.Series, column: str | None, reason, values: pd.Series | None = None,
             report: bool = True) -> None:
        """Record an error for each row where ``mask`` is true.

        ``reason`` is a string, a function of the cell's value, or a Series
        of per-row reasons aligned with the table.  ``report=False`` rejects
        the rows without a problem per row (one problem already covers them).
        """
        if not mask.any():
            return
        positions = np.flatnonzero(mask.to_numpy())
        lines = self.frame[LINE].to_numpy()[positions]
        cells = (values if values is not None else
                 (self.frame[column] if column in self.frame else None))
        for pos, line in zip(positions, lines):
            value = None if cells is None else str(cells.iloc[pos])
            if isinstance(reason, pd.Series):
                text = str(reason.iloc[pos])
            else:
                text = reason(value) if callable(reason) else reason
            if report:
                self.problems.append(Problem(self.file, int(line), column, value, text))
            self.reasons.setdefault(int(pos), []).append(
                f"{column}: {text}" if column else text)

    @property
    def bad(self) -> pd.Series:
        mask = np.zeros(len(self.frame), dtype=bool)
        mask[list(self.reasons)] = True
        return pd.Series(mask, index=self.frame.index)


def _parse_column(check: _TableCheck, column: Column) -> pd.Series:
    frame = check.frame
    text = frame[column.name].str.strip()
    blank = text == ""
    if column.required and not column.nullable:
        check.flag(blank, column.name, "blank, but this column needs a value")
    if column.kind in ("id", "text"):
        return text.where(~blank, None).astype("str")
    if column.kind in ("float", "int"):
        numbers = pd.to_numeric(text.where(~blank, None), errors="coerce").astype("float64")
        not_number = ~blank & (numbers.isna() | ~np.isfinite(numbers.fillna(0)))
        check.flag(not_number, column.name, "not a number")
        ok = ~blank & ~not_number
        if column.kind == "int":
            check.flag(ok & (numbers % 1 != 0), column.name, "not a whole number")
        if column.minimum is not None:
            below = ok & ((numbers <= column.minimum) if column.exclusive_minimum else (numbers < column.minimum))
            check.flag(below, column.name,
                       f"must be {'greater than' if column.exclusive_minimum else 'at least'} {column.minimum:g}")
        if column.maximum is not None:
            check.flag(ok & (numbers > column.maximum), column.name, f"must be at most {column.maximum:g}")
        if column.default is not None:
            numbers = numbers.fillna(column.default)
        return numbers
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
        for column in missing:
            check.problems.append(Problem(file, 1, column, None, "required column is missing from the header"))
        everything = pd.Series(True, index=frame.index)
        check.flag(everything, None, f"file lacks required column(s) {', '.join(missing)}", report=False)
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
    for extra in frame.columns.drop([LINE, *spec.column_names], errors="ignore"):
        text = frame[extra].str.strip()
        if spec.extra == "subgroup":
            parsed, bad = parse_bool(text)
            filled = int((text != "").sum())
            # A subgroup column is boolean when most of its values are boolean words;
            # then the odd cell out is an error, not a reason to read the column as text.
            if filled and parsed.notna().sum() > 0.5 * filled:
                check.flag(bad, extra, "not a true/false value (use true/false, yes/no, 1/0 or Y/N)")
                typed[extra] = parsed
            else:
                typed[extra] = text.where(text != "", None).astype("str")
        else:
            typed[extra] = text.where(text != "", None).astype("str")
    typed[LINE] = frame[LINE]
    return check, typed


def _key_text(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    parts = [frame[c].fillna("") .astype("str") for c in columns]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + "\x1f" + part
    return joined


def _check_keys(spec: TableSpec, check: _TableCheck, typed: pd.DataFrame) -> None:
    """Reject later rows repeating the key of an earlier valid row."""
    if not spec.key:
        return
    usable = ~check.bad
    keys = _key_text(typed, spec.key)[usable]
    repeated = keys.duplicated(keep="first")
    if not repeated.any():
        return
    first_line = dict(zip(keys[~repeated], typed.loc[usable, LINE][~repeated]))
    if spec.name == "scores":
        column = "item_id"
        unrated = typed["rater_id"].isna()
        what = unrated.map({True: "the same student and item scored twice without a rater_id",
                            False: "the same student, item and rater scored twice"})
    else:
        column = spec.key[-1]
        what = pd.Series(f"duplicate key ({', '.join(spec.key)})", index=typed.index)
    mask = pd.Series(False, index=typed.index)
    mask[repeated[repeated].index] = True
    reasons = what + " (first seen on line " + keys.map(first_line).astype("str") + ")"
    check.flag(mask, column, reasons.reindex(typed.index))


def _check_foreign_keys(spec: TableSpec, check: _TableCheck, typed: pd.DataFrame,
                        clean: dict[str, pd.DataFrame], rejected_keys: dict[str, dict]) -> None:
    for fk in spec.foreign_keys:
        parent = clean.get(fk.table)
        if parent is None or any(c not in typed for c in fk.columns):
            continue
        present = typed[list(fk.columns)].notna().all(axis=1)
        if fk.table == "teachers" and fk.columns == ("rater_id",):
            present &= typed["rater_id"].notna()
        child = _key_text(typed, fk.columns)
        parent_keys = set(_key_text(parent, fk.ref_columns)) if len(parent) else set()
        missing = present & ~child.isin(parent_keys) & ~check.bad
        if not missing.any():
            continue
        rejected_parent = rejected_keys.get(fk.table, {}).get(fk.ref_columns, {})
        column = fk.columns[-1]
        values = child.str.replace("\x1f", " / ")

        def reason(value, _fk=fk, _rej=rejected_parent):
            key = value.replace(" / ", "\x1f")
            names = " / ".join(_fk.columns)
            if key in _rej:
                return f"{names} {value!r} refers to a row of {_fk.table}.csv that was rejected (line {_rej[key]})"
            return f"{names} {value!r} is not in {_fk.table}.csv"

        check.flag(missing, column, reason, values=values)


def _cross_checks(name: str, check: _TableCheck, typed: pd.DataFrame, clean: dict[str, pd.DataFrame]) -> None:
    ok = ~check.bad
    if name == "scores" and "items" in clean and len(typed):
        items = clean["items"][["assessment_id", "item_id", "max_points"]]
        merged = typed[["assessment_id", "item_id", "points"]].merge(
            items, on=["assessment_id", "item_id"], how="left")
        merged.index = typed.index
        over = ok & (merged["points"] > merged["max_points"] + 1e-9)
        check.flag(over, "points", lambda v: f"more than the item's max_points")
        _check_enrolled(check, typed, clean)
    if name == "goals" and len(typed):
        share = typed["metric"].isin(SHARE_METRICS)
        for column in ("baseline", "target"):
            check.flag(ok & share & (typed[column] > 1), column,
                       "a share must be between 0 and 1 (write 83% as 0.83)")
        check.flag(ok & (typed["due_date"] <= typed["start_date"]), "due_date",
                   "due_date must be after start_date")
    if name == "interventions" and len(typed):
        check.flag(ok & typed["end_date"].notna() & (typed["end_date"] < typed["start_date"]), "end_date",
                   "end_date is before start_date")


def _check_enrolled(check: _TableCheck, typed: pd.DataFrame, clean: dict[str, pd.DataFrame]) -> None:
    """A score must belong to a student enrolled in a section of the assessment's team."""
    if not {"enrollments", "sections", "assessments"} <= clean.keys():
        return
    enrolled = clean["enrollments"].merge(clean["sections"][["section_id", "team_id"]], on="section_id")
    pairs = set(zip(enrolled["student_id"], enrolled["team_id"]))
    team_of = clean["assessments"].set_index("assessment_id")["team_id"]
    teams = typed["assessment_id"].map(team_of)
    candidates = ~check.bad & teams.notna()
    if not candidates.any():
        return
    known = pd.Series([(s, t) in pairs for s, t in zip(typed["student_id"], teams)], index=typed.index)
    values = typed["student_id"] + " / " + teams.fillna("")
    check.flag(candidates & ~known, "student_id",
               lambda v: "student {!r} is not enrolled in any section of team {!r}, which gives this assessment"
               .format(*v.split(" / ")), values=values)


def _rejected_keys(spec: TableSpec, rows: pd.DataFrame) -> dict[tuple[str, ...], dict[str, int]]:
    """Key text → line of rejected rows, for every column set other tables reference."""
    referenced = {fk.ref_columns for other in TABLES.values() for fk in other.foreign_keys
                  if fk.table == spec.name}
    found = {}
    for columns in referenced:
        if all(c in rows for c in columns):
            stripped = pd.DataFrame({c: rows[c].str.strip() for c in columns})
            found[columns] = dict(zip(_key_text(stripped, columns), rows[LINE]))
    return found


def _raw_row_json(frame: pd.DataFrame, position: int) -> str:
    row = frame.iloc[position].drop(LINE).to_dict()
    return json.dumps({k: ("" if v is None else str(v)) for k, v in row.items()}, ensure_ascii=False)


def validate_tables(raw: dict[str, RawTable], *, required: tuple[str, ...] = CFA_TABLES,
                    extra_problems: list[Problem] | None = None) -> ValidationResult:
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
            rejected_rows.append({"file": file, "line": row["line"], "severity": "error",
                                  "reason": row["reason"], "row": json.dumps(row["row"], ensure_ascii=False)})
        if table.frame.shape[0] and bad.any():
            lines = table.frame[LINE].to_numpy()
            for pos in np.flatnonzero(bad.to_numpy()):
                rejected_rows.append({
                    "file": file, "line": int(lines[pos]), "severity": "error",
                    "reason": "; ".join(check.reasons[int(pos)]),
                    "row": _raw_row_json(table.frame, int(pos)),
                })
            rejected_keys[name] = _rejected_keys(spec, table.frame.loc[bad])
        if LINE in typed:
            typed = typed.loc[~bad].drop(columns=LINE).reset_index(drop=True)
        clean[name] = typed
    rejected = pd.DataFrame(rejected_rows, columns=REJECTED_COLUMNS)
    rejected["line"] = rejected["line"].astype("Int64")
    return ValidationResult(clean, problems, rejected)
