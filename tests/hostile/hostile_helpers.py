"""Helpers of the hostile-input suite: run ``plc`` in-process, count rows in and out."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from plc_analysis.cli import main


class Ran:
    """What one ``plc`` command did: exit code, stdout and stderr."""

    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


@pytest.fixture(name="plc")
def plc_fixture(capsys):
    """Run ``plc ARGS`` in this process; return a :class:`Ran`."""

    def run(*argv: str) -> Ran:
        code = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


def assert_one_line(ran: Ran, code: int, *phrases: str) -> str:
    """The command ended with exit ``code`` and exactly one line on stderr containing every phrase; no traceback."""
    assert ran.code == code, (ran.code, ran.err)
    assert "Traceback" not in ran.err + ran.out
    assert len(ran.err_lines) == 1, ran.err
    line = ran.err_lines[0]
    for phrase in phrases:
        assert phrase in line, (phrase, line)
    return line


def data_rows(text: str) -> int:
    """Records after the header that hold any cell (blank lines carry no data), as Python's csv splits them."""
    records = list(csv.reader(io.StringIO(text, newline="")))
    return sum(1 for r in records[1:] if any(c.strip() for c in r))


def assert_conserved(dataset, folder: Path, table: str) -> None:
    """loaded + rejected = input for one canonical table of ``folder``."""
    path = folder / f"{table}.csv"
    rows_in = data_rows(path.read_bytes().decode("utf-8", errors="replace"))
    rejected = dataset.rejected
    rows_out = len(dataset.tables[table]) + int((rejected["file"] == path.name).sum())
    assert rows_out == rows_in, (table, rows_in, len(dataset.tables[table]), rejected)
