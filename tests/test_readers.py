"""The CSV reader's fast path (pyarrow) gives exactly what the line-by-line reader gives, or steps aside."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plc_analysis import readers


def _both(data: bytes) -> tuple[readers.RawTable, readers.RawTable, bool]:
    """(as read, as read line by line, whether the fast path took the file)."""
    text, encoding, _ = readers.decode_bytes(data, "t.csv")
    took = readers._simple_csv_frame(data, text, encoding) is not None
    read = readers.read_raw_bytes(data, "t", "t.csv")
    original = readers._simple_csv_frame
    readers._simple_csv_frame = lambda *args: None
    try:
        line_by_line = readers.read_raw_bytes(data, "t", "t.csv")
    finally:
        readers._simple_csv_frame = original
    return read, line_by_line, took


def _assert_same(read: readers.RawTable, line_by_line: readers.RawTable) -> None:
    pd.testing.assert_frame_equal(read.frame, line_by_line.frame)
    assert [str(p) for p in read.problems] == [str(p) for p in line_by_line.problems]
    assert read.dropped == line_by_line.dropped and read.encoding == line_by_line.encoding


def test_a_simple_export_takes_the_fast_path_with_lines_and_text_dtype():
    data = b"student_id,item_id,score\r\nS1,I1,1\r\nS2,I1, 0 \r\nS3,I2,\r\n"
    read, line_by_line, took = _both(data)
    assert took
    _assert_same(read, line_by_line)
    assert list(read.frame[readers.LINE]) == [2, 3, 4]
    assert list(read.frame["score"]) == ["1", " 0 ", ""]  # cells as written: blank stays "", spaces stay
    assert read.frame["score"].dtype == "str"


@pytest.mark.parametrize(
    "data",
    [
        b'id,name\nS1,"Lee, Ann"\n',  # a quote
        b"id,name\nS1,Ann\n\nS2,Bo\n",  # a blank line
        b"id,name\nS1,Ann\n ,  \nS2,Bo\n",  # a whitespace-only record
        b"id,name\nS1,Ann,extra\nS2,Bo\n",  # a row too wide
        b"id,name\nS1\nS2,Bo\n",  # a row too narrow
        b"id,name\rS1,Ann\rS2,Bo\r",  # old Mac line ends
        b"id,id\nS1,Ann\n",  # a duplicate header
        b"id,name\nS1,Caf\xe9\n",  # not UTF-8
    ],
)
def test_anything_unusual_is_left_to_the_line_reader(data):
    read, line_by_line, took = _both(data)
    assert not took
    _assert_same(read, line_by_line)


_CELL = st.text(alphabet=st.sampled_from(list('ab1 ,"\r\n\t\xa0éÃ©-') + ["\u2028", "\u3000"]), max_size=6)


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.lists(_CELL, min_size=1, max_size=4), min_size=1, max_size=8),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    bom=st.booleans(),
    final=st.booleans(),
)
def test_the_fast_path_never_changes_what_is_read(rows, newline, bom, final):
    width = len(rows[0])
    header = [f"c{i}" for i in range(width)]
    lines = [",".join(header)] + [",".join(row) for row in rows]
    text = newline.join(lines) + (newline if final else "")
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    read, line_by_line, _ = _both(data)
    _assert_same(read, line_by_line)


_PLAIN = st.text(alphabet=st.sampled_from(list("ab1 \t\xa0éÃ©-") + ["\u3000"]), max_size=6)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.tuples(st.text(alphabet="ab1é", min_size=1, max_size=4), _PLAIN, _PLAIN), min_size=1, max_size=8),
    newline=st.sampled_from(["\n", "\r\n"]),
    final=st.booleans(),
)
def test_plain_exports_take_the_fast_path_and_read_the_same(rows, newline, final):
    text = newline.join(["id, name ,note", *(",".join(row) for row in rows)]) + (newline if final else "")
    read, line_by_line, took = _both(text.encode("utf-8"))
    assert took
    _assert_same(read, line_by_line)
