"""Measuring a benchmark step in its own process: peak memory is then the step's own.

A benchmark script re-runs itself as ``python <script> --worker ...``; the
worker prints one line ``RESULT <json>`` (its figures, with
:func:`peak_rss_gb`) and :func:`spawn` returns that JSON as a dict.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["RESULT", "peak_rss_gb", "result_line", "spawn", "verdict"]

RESULT = "RESULT "


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far, in GiB (``ru_maxrss`` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def result_line(result: dict[str, Any]) -> str:
    """The line a worker prints for :func:`spawn` to find."""
    return RESULT + json.dumps(result)


def spawn(script: str | Path, *args: str, stream_stderr: bool = False) -> dict[str, Any]:
    """Run ``python <script> --worker <args>`` and return the dict of its ``RESULT`` line.

    Parameters
    ----------
    script : str or Path
        The benchmark script.
    *args : str
        The worker's arguments.
    stream_stderr : bool
        Let the worker's standard error (progress bars) through to ours.

    Raises
    ------
    RuntimeError
        The worker printed no result (it crashed): the end of its output is in the message.
    """
    proc = subprocess.run(
        [sys.executable, str(script), "--worker", *args],
        stdout=subprocess.PIPE,
        stderr=None if stream_stderr else subprocess.PIPE,
        text=True,
    )
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT):
            found: dict[str, Any] = json.loads(line[len(RESULT) :])
            return found
    raise RuntimeError(f"worker {' '.join(args[:1])} failed:\n{proc.stdout[-2000:]}\n{(proc.stderr or '')[-4000:]}")


def verdict(ok: bool) -> str:
    """``PASS`` or ``MISS``."""
    return "PASS" if ok else "MISS"
