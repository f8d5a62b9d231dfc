"""pandas frames handed to a DuckDB connection: as a view over Arrow, or copied into a table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

if TYPE_CHECKING:
    import duckdb

__all__ = ["register_frame", "copy_frame"]


def register_frame(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """Make ``frame`` the temporary view ``name`` of ``con`` (through Arrow, without copying it into DuckDB)."""
    con.register(f"{name}_frame", pa.Table.from_pandas(frame, preserve_index=False))
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {name}_frame")


def copy_frame(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """Copy ``frame`` into ``con`` as the temporary table ``name`` (a faster join than a view)."""
    con.register(f"{name}_frame", pa.Table.from_pandas(frame, preserve_index=False))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_frame")
    con.unregister(f"{name}_frame")
