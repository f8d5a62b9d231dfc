"""Every team's extract cut out of a big district in one pass over the scores.

A batch hands each team's report an *extract*: the team's rows of every
table, as Parquet files, with a sealed ``extract.json``
(:mod:`plc_analysis.extract`).  The batch cuts it with
``dataset.filter(team_id=T)`` on the district loaded in memory, one team at a
time.  :func:`cut_team_extracts` writes the same extracts for every team of a
district opened out of core (:func:`~plc_analysis.outofcore.open_district`):

1. the small tables are cut for all teams at once in pandas
   (:func:`~plc_analysis.outofcore.team_rows.team_rows`, the rules of
   :meth:`Dataset.filter <plc_analysis.Dataset.filter>`);
2. the scores are cut by DuckDB in **one** partitioned write
   (``COPY ... TO ... (FORMAT parquet, PARTITION_BY (team))``): every valid
   score row joined to the team whose item and student it is, written to that
   team's partition, in bounded memory (DuckDB spills beyond its limit);
3. each team's folder is then written from its partition and its small rows:
   the scores back in the order of the district's files, every table as
   :func:`~plc_analysis.write_extract` writes it (byte for byte: the same
   Arrow schema and Parquet writer), and ``extract.json`` sealed with the
   process's key (or the one given), so that
   :func:`plc_analysis.load_dataset` in a process holding that key reads the
   folder without validating it again.

A team's folder is named by :func:`plc_analysis.batch.plan.file_names` (the
batch's rule: any team id, however hostile, becomes a safe name, distinct
even on a disk that ignores case).  Each folder is written beside its final
place and moved there when complete, so a reader never sees half an
extract.  The district's rejected rows are not copied into every extract
(:func:`~plc_analysis.write_extract` copies them as ``rejected.csv``, which
no reader of an extract reads).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..extract import EXTRACT_MARKER, file_digest, write_marker
from ..loading import PEER_COUNTS_FILE
from ..schema import CFA_TABLES, TABLE_ORDER, TABLES
from .buckets import DEFAULT_BUDGET, Buckets
from .district import District
from .team_rows import SMALL, TEAM, TeamRows, team_rows

if TYPE_CHECKING:
    import duckdb
    from tqdm import tqdm

__all__ = ["cut_team_extracts", "EXTRACTS_COLUMNS"]

#: Columns of the frame :func:`cut_team_extracts` returns.
EXTRACTS_COLUMNS = ["team_id", "school_id", "folder", "score_rows", "bytes"]

_FILE_NO = "_file_no"
_LINE = "_line"
_SCORE_COLUMNS = TABLES["scores"].column_names


def _chosen_teams(all_ids: list[str], teams: Sequence[str] | None) -> list[str]:
    if teams is None:
        return list(dict.fromkeys(all_ids))
    if isinstance(teams, str):
        teams = [teams]
    unknown = sorted(set(teams) - set(all_ids))
    if unknown:
        raise ValueError(f"no such team(s) in the data: {', '.join(unknown)}")
    return list(dict.fromkeys(teams))


def _check_targets(targets: list[Path]) -> None:
    """Refuse to replace anything but an earlier extract (e.g. the user's own data): before writing anything."""
    for target in targets:
        other = target.is_symlink() or (target.exists() and not target.is_dir())
        if other or (target.is_dir() and any(target.iterdir()) and not (target / EXTRACT_MARKER).is_file()):
            raise FileExistsError(
                f"{target} exists and is not an extract folder: remove it or write the extracts to another folder"
            )


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame]) -> Iterator[None]:
    """``frames`` as tables of the connection while the block runs."""
    for name, frame in frames.items():
        con.register(name, pa.Table.from_pandas(frame, preserve_index=False))
    try:
        yield
    finally:
        for name in frames:
            con.unregister(name)


#: Rows DuckDB hands over at a time.
_BATCH_ROWS = 1 << 20


@contextmanager
def _progress_shown(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Let :meth:`duckdb.DuckDBPyConnection.query_progress` follow a query (printing nothing), then as before."""
    before = con.execute("SELECT current_setting('enable_progress_bar')").fetchone()
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    try:
        yield
    finally:
        con.execute(f"SET enable_progress_bar = {bool(before and before[0])}")


def _cut_scores(district: District, rows: TeamRows, buckets: Buckets, bar: tqdm | None) -> None:
    """Every chosen team's valid score rows, each in its team's bucket, in one pass over the scores.

    A row is a team's when its item is one of the team's items and its student
    one of the team's students (the rules of :mod:`~plc_analysis.outofcore.team_rows`).
    """
    small = district.small
    items = rows.values("items", small.items, ["assessment_id", "item_id"])
    students = rows.values("students", small.students, ["student_id"]).drop_duplicates()
    files = pd.DataFrame({"label": [f.label for f in district.score_files]})
    files[_FILE_NO] = np.arange(len(files), dtype=np.int32)
    picked = ", ".join(f"s.{c}" for c in _SCORE_COLUMNS)
    # the students as a semi join: as an inner join, DuckDB may pair every item of a team with every
    # student of the team first (a table the size of the scores, built in memory)
    query = f"""
        SELECT i.{TEAM}, {picked}, f.{_FILE_NO}, s._line AS {_LINE}
        FROM scores s
        JOIN plc_extract_items i ON i.assessment_id = s.assessment_id AND i.item_id = s.item_id
        SEMI JOIN plc_extract_students p ON p.{TEAM} = i.{TEAM} AND p.student_id = s.student_id
        JOIN plc_extract_files f ON f.label = s._file"""
    frames = {"plc_extract_items": items, "plc_extract_students": students, "plc_extract_files": files}
    con = district.con
    with _registered(con, frames), _progress_shown(con):
        reader = con.sql(query).to_arrow_reader(_BATCH_ROWS)
        try:
            for batch in reader:
                buckets.add(batch.drop_columns([TEAM]), batch.column(TEAM).to_numpy())
                if bar is not None:
                    done = con.query_progress()
                    bar.n = max(bar.n, min(round(done), 99))
                    bar.refresh()
        finally:
            reader.close()
        if bar is not None:
            bar.n = 100
            bar.refresh()


def _team_scores(buckets: Buckets, code: int, schema: pa.Schema) -> pa.Table:
    """One team's score rows, in the district's order, with the pandas path's schema."""
    table = buckets.table(code)
    if table is None:
        return schema.empty_table()
    files = table.column(_FILE_NO).to_numpy()
    lines = table.column(_LINE).to_numpy()
    in_order = bool(np.all((files[1:] > files[:-1]) | ((files[1:] == files[:-1]) & (lines[1:] > lines[:-1]))))
    if not in_order:
        table = table.take(pc.sort_indices(table, sort_keys=[(_FILE_NO, "ascending"), (_LINE, "ascending")]))
    return table.select(_SCORE_COLUMNS).cast(schema).combine_chunks()


def _parquet_bytes(table: pa.Table) -> bytes:
    """``table`` as the Parquet file pandas' ``to_parquet`` would write for the same frame."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue())


def _replace(staging: Path, target: Path, trash: Path) -> None:
    """Move the finished ``staging`` folder to ``target``, the extract it replaces to ``trash``."""
    if target.exists():
        os.replace(target, trash)
        shutil.rmtree(trash, ignore_errors=True)
    os.replace(staging, target)


class _Writer:
    """Writes one team's extract folder at a time (thread-safe: each call has its own folders)."""

    def __init__(
        self,
        district: District,
        rows: TeamRows,
        scores: Buckets,
        work: Path,
        targets: list[Path],
        peers: pd.DataFrame | None,
        key: bytes | None,
    ) -> None:
        small = district.small
        self.rows, self.scores, self.work, self.targets, self.key = rows, scores, work, targets, key
        self.source = small.source
        self.arrow = {name: pa.Table.from_pandas(small.tables[name], preserve_index=False) for name in SMALL}
        self.score_schema = pa.Schema.from_pandas(small.scores[_SCORE_COLUMNS], preserve_index=False)
        self.peers = peers.groupby("team_id", sort=False) if peers is not None and len(peers) else None

    def __call__(self, code: int) -> tuple[int, int]:
        """Write team ``code``'s folder; its score rows and bytes."""
        team_id = self.rows.team_ids[code]
        staging = self.work / f"team-{code}"
        staging.mkdir()
        digests: dict[str, str] = {}
        size = 0
        score_rows = 0
        for name in TABLE_ORDER:
            if name == "scores":
                table = _team_scores(self.scores, code, self.score_schema)
                score_rows = table.num_rows
            else:
                table = self.arrow[name].take(self.rows.rows(name, code))
            if not table.num_rows and name not in CFA_TABLES:
                continue  # as Dataset.write: an optional table is written only when it has rows
            data = _parquet_bytes(table)
            (staging / f"{name}.parquet").write_bytes(data)
            digests[f"{name}.parquet"] = file_digest(data)
            size += len(data)
        if self.peers is not None and team_id in self.peers.groups:
            self.peers.get_group(team_id).to_parquet(staging / PEER_COUNTS_FILE, index=False)
        write_marker(staging, digests, source=self.source, filters={"team_id": team_id}, key=self.key)
        _replace(staging, self.targets[code], self.work / f"old-{code}")
        return score_rows, size


def _write_all(write: _Writer, count: int, workers: int | None, progress: bool) -> list[tuple[int, int]]:
    """Every team's folder, on ``workers`` threads (Parquet and hashing release the GIL); stop at the first failure."""
    from tqdm import tqdm

    pool = ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1, thread_name_prefix="plc-extract")
    try:
        with tqdm(total=count, desc="writing extracts", unit="team", disable=not progress) as bar:
            results = []
            for result in pool.map(write, range(count)):
                results.append(result)
                bar.update()
            return results
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def cut_team_extracts(
    district: District,
    out_dir: str | Path,
    *,
    teams: Sequence[str] | None = None,
    progress: bool = False,
    peers: pd.DataFrame | None = None,
    key: bytes | None = None,
    workers: int | None = None,
    memory_budget: int = DEFAULT_BUDGET,
) -> pd.DataFrame:
    """Write every team's extract (or the teams asked for) from a district opened out of core.

    Each team's folder holds what ``write_extract(dataset.filter(team_id=T),
    folder)`` writes for the district loaded in memory (see the module
    docstring): the team's rows of every table as Parquet, the optional tables
    only when the team has rows in them, and a sealed ``extract.json``.  The
    scores are cut in one partitioned DuckDB write, never one scan per team.

    Parameters
    ----------
    district : District
        From :func:`~plc_analysis.outofcore.open_district`.
    out_dir : str or Path
        Where the team folders go (created): ``<out_dir>/<team's file name>/``.
        An earlier extract of the same team is replaced; any other existing
        file or folder of that name is an error.
    teams : sequence of str, optional
        Only these teams (default: every team of the district).
    progress : bool
        Show progress bars (tqdm, on stderr) for the cut of the scores and the folders written.
    peers : DataFrame, optional
        The district's :func:`~plc_analysis.comparison.peer_counts`: each team's
        rows are written beside its extract as ``peer_counts.parquet``, as the
        batch does.
    key : bytes, optional
        The key to seal ``extract.json`` with (default: this process's
        :func:`~plc_analysis.extract.extract_key`; a process that does not
        hold the key validates the folder when it loads it).
    workers : int, optional
        Threads writing team folders (default: the number of cores).
    memory_budget : int
        Bytes of score rows held in memory while they are sorted into teams;
        beyond it they wait in Arrow files under ``out_dir`` (removed at the end).

    Returns
    -------
    DataFrame
        One row per team, in the district's order: ``team_id``, ``school_id``,
        ``folder`` (the extract folder's path), ``score_rows`` (its score
        rows) and ``bytes`` (the size of its table files).

    Raises
    ------
    ValueError
        A team asked for is not in the district.
    FileExistsError
        A team's folder name is taken by something that is not an extract.
    """
    from tqdm import tqdm

    from ..batch.plan import file_names

    small = district.small
    all_ids = [str(t) for t in small.teams["team_id"]]
    chosen = _chosen_teams(all_ids, teams)
    out = Path(out_dir)
    names = file_names(all_ids)
    targets = [out / names[team_id] for team_id in chosen]
    out.mkdir(parents=True, exist_ok=True)
    _check_targets(targets)
    schools = dict(zip(small.teams["team_id"].astype(str), small.teams["school_id"]))
    rows = team_rows(small, chosen)
    work = Path(tempfile.mkdtemp(prefix=".plc-extracts-", dir=out))
    (work / "scores").mkdir()
    scores = Buckets(work / "scores", len(chosen), memory_budget)
    try:
        with tqdm(total=100, desc="cutting the scores", unit="%", disable=not progress, leave=False) as bar:
            _cut_scores(district, rows, scores, bar if progress else None)
        write = _Writer(district, rows, scores, work, targets, peers, key)
        results = _write_all(write, len(chosen), workers, progress)
    finally:
        scores.close()
        shutil.rmtree(work, ignore_errors=True)
    frame = pd.DataFrame(
        {
            "team_id": chosen,
            "school_id": [schools.get(t) for t in chosen],
            "folder": [str(t) for t in targets],
            "score_rows": np.array([r[0] for r in results], dtype=np.int64),
            "bytes": np.array([r[1] for r in results], dtype=np.int64),
        }
    )
    return frame[EXTRACTS_COLUMNS]
