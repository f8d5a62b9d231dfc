"""Rows of a stream sorted into numbered buckets, in bounded memory: what is over budget waits on disk.

Cutting a hundred million score rows into two thousand teams' files needs
every team's rows together, but the rows arrive in the order they are stored.
:class:`Buckets` takes Arrow record batches with a bucket number per row,
keeps each bucket's rows in memory up to a budget, and beyond it writes every
bucket's rows held so far to one Arrow IPC file (one record batch per bucket:
a *round*), so memory stays near the budget whatever the stream's length.
:meth:`Buckets.table` then gives one bucket's rows, in the order they came,
reading only its own batches of each round.  (DuckDB's ``PARTITION_BY``
write does the same job but holds every partition's rows up to its whole
memory limit, and its files must be read again to restore each team's row order.)
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pyarrow as pa

__all__ = ["Buckets", "DEFAULT_BUDGET"]

#: Bytes of rows held in memory before a round is written to disk.
DEFAULT_BUDGET = 512 * 1024 * 1024
# a batch is sliced as it came when it has few runs of one bucket (at most this many, or rows/this long on average)
_MAX_RUNS = 4096
_MIN_RUN = 64


class Buckets:
    """Numbered buckets of Arrow rows, spilled to ``folder`` in rounds beyond ``budget`` bytes.

    Parameters
    ----------
    folder : Path
        An existing folder for the rounds' files (the caller removes it).
    count : int
        Buckets are numbered ``0 .. count - 1``.
    budget : int
        Bytes of rows held in memory before a round is written.
    """

    def __init__(self, folder: Path, count: int, budget: int = DEFAULT_BUDGET) -> None:
        self.folder = folder
        self.count = count
        self.budget = budget
        self.schema: pa.Schema | None = None
        self._held: list[list[pa.RecordBatch]] = [[] for _ in range(count)]
        self._held_bytes = 0
        # per round: its file and, per bucket, the index of its batch in that file (-1: none)
        self._rounds: list[tuple[Path, np.ndarray]] = []
        self._local = threading.local()
        self._open: list[pa.OSFile] = []
        self._lock = threading.Lock()

    @property
    def rounds(self) -> int:
        """Rounds written to disk so far."""
        return len(self._rounds)

    def add(self, batch: pa.RecordBatch, buckets: np.ndarray) -> None:
        """Put each row of ``batch`` in its bucket (``buckets[i]`` for row ``i``).

        Raises
        ------
        ValueError
            A bucket number out of range, or a batch whose columns differ from the first's.
        """
        if not batch.num_rows:
            return
        if self.schema is None:
            self.schema = batch.schema
        elif not batch.schema.equals(self.schema):
            raise ValueError("every batch must have the columns of the first")
        codes = np.asarray(buckets)
        if codes.min() < 0 or codes.max() >= self.count:
            raise ValueError(f"bucket numbers must be 0 .. {self.count - 1}")
        for bucket, part in _split(batch, codes):
            self._held[bucket].append(part)
        self._held_bytes += batch.nbytes
        if self._held_bytes > self.budget:
            self.spill()

    def spill(self) -> None:
        """Write the rows held in memory to disk as one round."""
        if not self._held_bytes or self.schema is None:
            return
        path = self.folder / f"round-{len(self._rounds):05d}.arrow"
        index = np.full(self.count, -1, dtype=np.int64)
        written = 0
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, self.schema) as writer:
            for bucket, held in enumerate(self._held):
                if held:
                    writer.write_batch(_one_batch(held))
                    index[bucket] = written
                    written += 1
        self._rounds.append((path, index))
        self._held = [[] for _ in range(self.count)]
        self._held_bytes = 0

    def table(self, bucket: int) -> pa.Table | None:
        """Every row put in ``bucket``, in the order they came (None: no rows, or no batch at all).

        Safe to call from several threads at once (each reads the rounds with its own file handles).
        """
        if self.schema is None:
            return None
        batches = []
        for number, (path, index) in enumerate(self._rounds):
            if index[bucket] >= 0:
                batches.append(self._reader(number, path).get_batch(int(index[bucket])))
        batches.extend(self._held[bucket])
        return pa.Table.from_batches(batches, schema=self.schema) if batches else None

    def close(self) -> None:
        """Close the files :meth:`table` opened and let go of the rows held in memory."""
        with self._lock:
            for handle in self._open:
                handle.close()
            self._open.clear()
        self._held = [[] for _ in range(self.count)]
        self._held_bytes = 0

    def _reader(self, number: int, path: Path) -> pa.ipc.RecordBatchFileReader:
        """This thread's reader of round ``number``."""
        readers: dict[int, pa.ipc.RecordBatchFileReader] | None = getattr(self._local, "readers", None)
        if readers is None:
            readers = self._local.readers = {}
        if number not in readers:
            handle = pa.OSFile(str(path), "rb")
            with self._lock:
                self._open.append(handle)
            readers[number] = pa.ipc.open_file(handle)
        return readers[number]


def _split(batch: pa.RecordBatch, codes: np.ndarray) -> list[tuple[int, pa.RecordBatch]]:
    """``batch`` cut into (bucket, rows) parts, each bucket's rows in the order they came.

    Rows usually arrive in runs of one bucket (a file's rows are grouped by
    student, assessment or school): then the parts are slices of the batch,
    not copies.  Otherwise the rows are sorted by bucket first (stable).
    """
    changes = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    if len(changes) <= max(_MAX_RUNS, len(codes) // _MIN_RUN):
        starts = np.concatenate([[0], changes]).tolist()
        stops = [*starts[1:], len(codes)]
        return [(int(codes[a]), batch.slice(a, b - a)) for a, b in zip(starts, stops)]
    order = np.argsort(codes, kind="stable")
    ordered, codes = batch.take(pa.array(order)), codes[order]
    return _split(ordered, codes)


def _one_batch(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    """``batches`` as one record batch."""
    return batches[0] if len(batches) == 1 else pa.concat_batches(batches)
