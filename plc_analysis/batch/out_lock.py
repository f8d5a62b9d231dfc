"""One batch at a time per output folder: a lock held while a batch (or the district overview) writes there.

Two batches on one ``--out`` would each rewrite ``manifest.json`` from what
they alone did: both say "complete", each lists only its own reports, and the
index omits reports that exist.  The second batch is refused instead.  The
lock is an advisory ``flock`` on the output folder itself (no file is left
in it; on Windows, where a folder cannot be locked, ``msvcrt.locking`` on
``out/.plc-batch.lock``), released by the system when the process ends,
however it ends: a crashed batch never leaves the folder locked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .jobs import BatchError

__all__ = ["WINDOWS_LOCK_NAME", "out_folder_lock"]

#: The lock file inside a batch's output folder, on Windows only.
WINDOWS_LOCK_NAME = ".plc-batch.lock"


def _open_and_lock(out: Path) -> tuple[int, bool]:
    """A descriptor holding (or failing to take) ``out``'s lock, and whether the lock was taken."""
    try:
        import fcntl
    except ImportError:  # Windows: lock a byte of a file in the folder
        import msvcrt

        fd = os.open(out / WINDOWS_LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return fd, False
        return fd, True
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return fd, False
    return fd, True


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
        Another batch (in this or another process) holds the folder.
    """
    try:
        fd, taken = _open_and_lock(out)
    except OSError as exc:
        raise BatchError(f"cannot lock the output folder {out}: {exc.strerror or exc}") from exc
    try:
        if not taken:
            raise BatchError(f"another plc batch is writing to {out}; wait for it to finish, or give another --out")
        yield
    finally:
        os.close(fd)  # releases the lock
