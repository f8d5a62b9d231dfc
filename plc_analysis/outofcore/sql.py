"""SQL literals for the out-of-core queries: text and lists of text, quoted for DuckDB."""

from __future__ import annotations

__all__ = ["sql_text", "sql_list"]


def sql_text(value: str) -> str:
    """``value`` as a SQL string literal (quotes doubled).

    Returns
    -------
    str
    """
    return "'" + str(value).replace("'", "''") + "'"


def sql_list(values: list[str]) -> str:
    """A SQL list literal of strings, e.g. ``['a.parquet', 'b.parquet']``.

    Returns
    -------
    str
    """
    return "[" + ", ".join(sql_text(v) for v in values) + "]"
