"""MkDocs hook: the data model tables of docs/data-model.md, generated from plc_analysis/schema.py.

A line ``<!-- schema-table: NAME -->`` in a page becomes the reference table of the
canonical table NAME: every column with its type, whether it must be in the header,
what a blank means (or its default), its allowed values or range and what it must
match in another table, and its meaning from ``docs/hooks/columns.yml``.  ``<!-- schema-summary -->``
becomes the one-line-per-table overview.  Because the types come from the code, the page
cannot drift from it; because every column needs a meaning (and every meaning a column),
a column added to the schema without documentation fails ``mkdocs build --strict``.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from plc_analysis.schema import CFA_TABLES, TABLES, Column, TableSpec

MEANINGS_FILE = Path(__file__).with_name("columns.yml")
TABLE_MARK = re.compile(r"^<!-- schema-table: (\w+) -->$", re.MULTILINE)
SUMMARY_MARK = "<!-- schema-summary -->"

KIND_TEXT = {
    "id": "identifier (text)",
    "text": "text",
    "int": "whole number",
    "float": "number",
    "bool": "true/false",
    "date": "date (YYYY-MM-DD)",
    "enum": "one of a list",
}


def load_meanings() -> dict[str, dict[str, str]]:
    """The meaning of every column, checked against the schema both ways."""
    meanings = yaml.safe_load(MEANINGS_FILE.read_text(encoding="utf-8"))
    problems = [f"table {t!r} is not in plc_analysis.schema.TABLES" for t in meanings if t not in TABLES]
    for name, spec in TABLES.items():
        described = meanings.get(name, {})
        problems += [f"{name}.{c}: no meaning in {MEANINGS_FILE.name}" for c in spec.column_names if c not in described]
        problems += [f"{name}.{c}: described but not in the schema" for c in described if c not in spec.by_name]
    if problems:
        raise PluginError("data model documentation out of step with schema.py:\n  " + "\n  ".join(problems))
    return meanings


def _number(value: object) -> str:
    """A number as the schema states it: 0.8, 1, 100 (a bound or a default)."""
    if not isinstance(value, int | float):
        raise PluginError(f"expected a number in the schema, got {value!r}")
    return f"{value:g}"


def column_rules(column: Column) -> tuple[str, str]:
    """``(presence, values)`` of a column in words: must it be there, what a blank means; what it may hold."""
    default = None
    if column.default is not None:
        default = str(column.default).lower() if column.kind == "bool" else _number(column.default)
    if column.required and not column.nullable:
        presence = "**required**; a blank rejects the row"
    elif column.required:
        presence = "**required** in the header; a blank cell is allowed"
    elif default is not None:
        presence = f"optional; absent or blank = `{default}`"
    else:
        presence = "optional"
    values = []
    if column.choices:
        values.append("one of " + ", ".join(f"`{c}`" for c in column.choices))
    if column.minimum is not None or column.maximum is not None:
        low = "" if column.minimum is None else ("> " if column.exclusive_minimum else "≥ ") + _number(column.minimum)
        high = "" if column.maximum is None else "≤ " + _number(column.maximum)
        values.append(" and ".join(part for part in (low, high) if part))
    return presence, "; ".join(values)


def references(spec: TableSpec, column: str) -> str:
    """What ``column`` of ``spec`` must match in another table, as ``table.column`` links."""
    found = []
    for fk in spec.foreign_keys:
        if column in fk.columns:
            ref = fk.ref_columns[fk.columns.index(column)]
            found.append(f"[`{fk.table}.{ref}`](#{fk.table})")
    return ", ".join(found)


def render_table(name: str, meanings: dict[str, dict[str, str]]) -> str:
    """The Markdown reference of one canonical table."""
    if name not in TABLES:
        raise PluginError(f"<!-- schema-table: {name} -->: no such table in plc_analysis.schema.TABLES")
    spec = TABLES[name]
    lines = [
        f"File `{spec.file}` (or `{spec.name}.parquet`), "
        + ("needed for a team report." if name in CFA_TABLES else "optional.")
        + (f" Key: `{', '.join(spec.key)}` (a repeated key rejects the later row)." if spec.key else " No key."),
        "",
        "| column | type | required? | values | meaning |",
        "|---|---|---|---|---|",
    ]
    for column in spec.columns:
        presence, values = column_rules(column)
        if refers := references(spec, column.name):
            values = "; ".join(part for part in (values, f"must be in {refers}") if part)
        meaning = " ".join(str(meanings[name][column.name]).split())
        lines.append(f"| `{column.name}` | {KIND_TEXT[column.kind]} | {presence} | {values} | {meaning} |")
    extra = {
        "subgroup": "Any other column is a **subgroup** (e.g. `ell`, `sped`, `frl`): read as true/false when most "
        "of its filled cells are true/false words (then an odd cell out rejects its row), otherwise kept as text.",
        "text": "Any other column is kept as text and never rejects a row.",
    }[spec.extra]
    lines += ["", extra]
    return "\n".join(lines)


def render_summary() -> str:
    """One line per table: needed or optional, its key and required columns."""
    lines = ["| table | needed for a team report | key | required columns |", "|---|---|---|---|"]
    for name, spec in TABLES.items():
        key = ", ".join(spec.key) or "—"
        needed = "yes" if name in CFA_TABLES else "optional"
        lines.append(f"| [`{name}`](#{name}) | {needed} | `{key}` | {', '.join(spec.required)} |")
    return "\n".join(lines)


def render_page(markdown: str) -> str:
    """Replace every data-model marker of a page by its generated Markdown."""
    if SUMMARY_MARK not in markdown and not TABLE_MARK.search(markdown):
        return markdown
    meanings = load_meanings()
    if SUMMARY_MARK in markdown:  # the data model page: every table has its section
        shown = set(TABLE_MARK.findall(markdown))
        missing = [name for name in TABLES if name not in shown]
        if missing:
            raise PluginError(f"the data model page has no <!-- schema-table --> for: {', '.join(missing)}")
        markdown = markdown.replace(SUMMARY_MARK, render_summary())
    return TABLE_MARK.sub(lambda m: render_table(m.group(1), meanings), markdown)


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:  # MkDocs hook
    return render_page(markdown)
