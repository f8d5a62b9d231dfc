"""One batch at a time per output folder: a lock held while a batch (or the district overview) writes there.

Two batches on one ``--out`` would each rewrite ``manifest.json`` from what
they alone did: both say "complete", each lists only its own reports, and the
index omits reports that exist.  The second batch is refused instead, with a
message naming the batch that holds the folder.  The lock is an advisory
``flock`` on ``out/.plc-batch.lock`` (``msvcrt.locking`` on Windows), released
by the system when the process ends, however it ends: a crashed batch never
leaves the folder locked.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .jobs import BatchError

__all__ = ["LOCK_NAME", "out_folder_lock"]

#: The lock file inside a batch's output folder.
LOCK_NAME = ".plc-batch.lock"


def _try_lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def out_folder_lock(out: Path) -> Iterator[None]:
    """Hold ``out``'s batch lock for the ``with`` block.

    Parameters
    ----------
    out : Path
        The output folder (exists and is writable).

    Raises
    ------
    BatchError
        Another batch holds the folder.
    """
    path = out / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise BatchError(f"cannot create the lock file {path}: {exc.strerror or exc}") from exc
    try:
        if not _try_lock(fd):
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            raise BatchError(
                f"another plc batch is writing to {out} ({holder}); wait for it to finish, or give another --out"
            )
        os.ftruncate(fd, 0)
        started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        os.pwrite(fd, f"pid {os.getpid()}, started {started}".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock
