"""File-level garbage, by hypothesis: random bytes, truncations, encodings, header shapes (issue 24, 19.6).

Whatever the bytes, reading a file ends in rows (each loaded or rejected with
its reason: loaded + rejected = the records in the file) or in one
PLCDataError naming the file: never another exception.  Examples are small
and few, so the whole file runs in seconds.
"""

from __future__ import annotations

import csv
import io
import zipfile

from conftest import MINI, write_folder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plc_analysis import PLCDataError, load_dataset
from plc_analysis.readers import decode_bytes, read_raw_bytes
from plc_analysis.validation import validate_tables

FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
#: Tables a table's rows are checked against (teams need their schools).
PARENTS = {"teams": ("schools",), "students": ()}


def records_in(data: bytes, label: str) -> int:
    """Data records after the header, split by Python's csv module from the text as decoded."""
    text, _, _ = decode_bytes(data, label)
    records = [r for r in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in r)]
    return max(len(records) - 1, 0)


def load_table(name: str, data: bytes) -> tuple[int, int, int] | PLCDataError:
    """``(records in, loaded, rejected)`` for ``data`` as ``<name>.csv``, or the one error that refused the file."""
    label = f"{name}.csv"
    try:
        raw = {name: read_raw_bytes(data, name, label)}
    except PLCDataError as exc:
        return exc
    for parent in PARENTS[name]:
        raw[parent] = read_raw_bytes(MINI[f"{parent}.csv"].encode(), parent, f"{parent}.csv")
    result = validate_tables(raw, required=())
    rejected = int((result.rejected["file"] == label).sum())
    return records_in(data, label), len(result.tables[name]), rejected


def assert_conserved_or_refused(name: str, data: bytes) -> None:
    outcome = load_table(name, data)
    if isinstance(outcome, PLCDataError):
        assert len(outcome.problem_list) == 1, outcome.problem_list
        problem = outcome.problem_list[0]
        assert problem.file == f"{name}.csv" and problem.reason and "\n" not in problem.reason
        return
    rows_in, loaded, rejected = outcome
    assert loaded + rejected == rows_in, (rows_in, loaded, rejected)


@FEW
@given(data=st.binary(max_size=600))
def test_random_bytes_are_rows_or_one_problem(data):
    assert_conserved_or_refused("teams", data)


@FEW
@given(cut=st.integers(0, len(MINI["students.csv"].encode()) - 1), junk=st.binary(max_size=8))
def test_a_truncated_file_loses_no_row_silently(cut, junk):
    assert_conserved_or_refused("students", MINI["students.csv"].encode()[:cut] + junk)


NAME = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)


@FEW
@given(
    names=st.lists(st.tuples(NAME, NAME), min_size=1, max_size=5),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
)
def test_any_encoding_reads_the_names_written(names, encoding):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student_id", "grade", "first_name", "last_name"])
    for number, (first, last) in enumerate(names):
        writer.writerow([f"s{number}", "3", first, last])
    try:
        data = buffer.getvalue().encode(encoding)
    except UnicodeEncodeError:
        data = buffer.getvalue().encode(encoding, errors="replace")
    assert_conserved_or_refused("students", data)
    outcome = load_table("students", data)
    if encoding != "cp1252" and not isinstance(outcome, PLCDataError):
        raw = read_raw_bytes(data, "students", "students.csv")
        result = validate_tables({"students": raw}, required=())
        loaded = result.tables["students"].set_index("student_id")
        for number, (first, _) in enumerate(names):
            if f"s{number}" in loaded.index and first.strip():
                assert loaded.loc[f"s{number}", "first_name"] == first.strip()


HEADER_CELL = st.sampled_from(["team_id", "school_id", "name", "grade", "subject", "", " ", "team_id", "Extra", "x y"])


@FEW
@given(
    header=st.lists(HEADER_CELL, min_size=1, max_size=7),
    widths=st.lists(st.integers(0, 9), min_size=0, max_size=6),
)
def test_any_header_shape_keeps_or_rejects_every_row(header, widths):
    lines = [",".join(header)]
    lines += [",".join(["T9", "S1", "n", "3", "ELA", "e", "f", "g", "h"][:width]) for width in widths]
    assert_conserved_or_refused("teams", ("\n".join(lines) + "\n").encode())


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.binary(max_size=300).map(lambda b: b"PK\x03\x04" + b),
        st.binary(max_size=300).map(lambda b: b"PAR1" + b + b"PAR1"),
    ),
    suffix=st.sampled_from([".xlsx", ".zip", ".parquet-in-folder", ".csv-in-folder"]),
)
def test_garbage_under_any_name_is_a_data_error_never_a_crash(tmp_path_factory, data, suffix):
    base = tmp_path_factory.mktemp("garbage")
    if suffix.endswith("-in-folder"):
        extension = suffix.split("-")[0]
        files = {k: v for k, v in MINI.items() if k != "scores.csv"}
        folder = write_folder(base / "d", {**files, f"scores{extension}": data})
        dataset = load_dataset(folder, errors="quarantine")  # an unreadable table is a problem, not an exception
        name = f"scores{extension}"
        file_problems = dataset.problems[(dataset.problems["file"] == name) & dataset.problems["line"].isna()]
        if extension == ".parquet" or len(file_problems[file_problems["severity"] == "error"]):
            assert len(file_problems) >= 1 and len(dataset.scores) == 0
            return
        rejected = int((dataset.rejected["file"] == name).sum())
        assert len(dataset.scores) + rejected == records_in(data, name)
        return
    path = base / f"input{suffix}"
    path.write_bytes(data)
    try:
        load_dataset(path, errors="quarantine")
    except PLCDataError as exc:
        assert all("\n" not in p.reason for p in exc.problem_list)
    except zipfile.BadZipFile as exc:  # pragma: no cover - must not happen
        raise AssertionError(f"BadZipFile escaped: {exc}") from exc
