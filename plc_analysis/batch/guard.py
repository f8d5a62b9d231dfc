"""The time limit and the Ctrl-C of one running report: a watcher that kills its kernel."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from typing import Any

__all__ = ["KernelGuard"]

logger = logging.getLogger(__name__)


class KernelGuard:
    """Wall-clock limit for one notebook: kills the kernel's process group when it runs out.

    A watcher thread also kills the kernel as soon as the batch's abort event
    is set (Ctrl-C in the parent).  The guard carries what the engine learns
    back to :func:`plc_analysis.batch.execute.execute_report` (the notebook being executed, how it stopped).
    """

    def __init__(self, seconds: float | None, abort: Any = None) -> None:
        self.seconds = seconds
        self.abort = abort
        self.fired = False
        self.aborted = False
        self.client: Any = None
        self.nb: Any = None
        self.status: str | None = None  # "failed" or "timeout" when the engine stopped a cell
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._deadline: float | None = None

    def start(self) -> None:
        """Watch for the abort event (from now) and the time limit (once :meth:`arm` is called)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="plc-batch-guard", daemon=True)
            self._thread.start()

    def arm(self) -> None:
        """Start counting the time limit (called when the kernel is ready)."""
        if self.seconds and self.seconds > 0:
            self._deadline = time.monotonic() + self.seconds

    def stop(self) -> None:
        """Stop watching (the report is over)."""
        self._stop.set()

    def _watch(self) -> None:
        while not self._stop.is_set():
            if self.abort is not None and self.abort.is_set():
                self.aborted = True
                logger.info("batch interrupted: stopping a running report")
                self._kill()
                return
            deadline = self._deadline
            if deadline is not None and time.monotonic() >= deadline:
                self.fired = True
                logger.info("report over its %s s limit: killing its kernel", self.seconds)
                self._kill()
                return
            wait = 0.25 if deadline is None else max(0.0, min(0.25, deadline - time.monotonic()))
            self._stop.wait(wait)

    def _kill(self) -> None:
        km = getattr(self.client, "km", None)
        provisioner = getattr(km, "provisioner", None)
        process = getattr(provisioner, "process", None)
        pgid = getattr(provisioner, "pgid", None)
        try:
            if pgid and hasattr(os, "killpg"):
                os.killpg(pgid, signal.SIGKILL)
            elif process is not None:
                process.kill()
        except OSError:  # already gone
            pass
