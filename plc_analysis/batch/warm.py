"""Kernels kept warm between the reports of a batch.

Starting a kernel and importing pandas, matplotlib and plc_analysis in it
costs about two seconds: a third of a team report.  A worker therefore
hands its kernel back here when a report ends with the kernel alive, after clearing
the report's variables and figures and returning to the kernel's start
folder; the next report run with the same kernel name and folder takes it
instead of starting a new one.  A kernel that died, timed out, was stopped
by Ctrl-C or has served :data:`MAX_REPORTS` reports is shut down instead.

The batch starts its workers' kernels while it loads the district (see
:func:`~plc_analysis.batch.engine.prestart_kernel`): the first reports find
them started, with the report modules imported.

Reports are independent all the same: each starts from an empty namespace
and numbers its cells from 1, and the notebooks' results depend only on their
parameters.  Notebooks that change process-wide state (environment
variables, ``sys.path``, logging, matplotlib defaults) should be run with
``plc batch --fresh-kernels``, one new kernel per report.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

__all__ = ["WarmKernel", "MAX_REPORTS", "take", "give_back", "close_idle", "starting", "RESET_CODE"]

logger = logging.getLogger(__name__)

#: A kernel is retired after this many reports (bounds any slow growth of its memory).
MAX_REPORTS = 25
#: Seconds a kernel may take to clear itself between reports before it is shut down instead.
RESET_TIMEOUT = 30
#: Run in a kernel between two reports: no variables, no open figures, back in its start folder, and
#: cells numbered from 1 again (the notebook and its tracebacks read as if from a fresh kernel).  What
#: survives the reset's full garbage collection (modules, caches) is then frozen: left out of later
#: collections, which otherwise walk the whole heap of pandas, matplotlib and scipy (a quarter of a
#: second each, once per reset and a few times per report).  Frozen objects are still freed when
#: nothing refers to them; only reference cycles among them are kept until the kernel stops.
RESET_CODE = (
    "get_ipython().reset(new_session=True)\n"  # what %reset -f does, and execution counts from 1 again
    "import sys as _s, os as _o, gc as _g\n"
    "if 'matplotlib.pyplot' in _s.modules:\n"
    "    _s.modules['matplotlib.pyplot'].close('all')\n"
    "_o.chdir({cwd!r})\n"
    "_g.collect()\n"
    "_g.freeze()\n"
    "del _s, _o, _g\n"
)


@dataclass
class WarmKernel:
    """A running kernel with its manager, client and scratch log, between reports."""

    km: Any
    kc: Any
    log: IO[bytes]
    key: tuple[str, str]
    reports: int = 0
    clearing: str | None = None  # id of the reset sent after the last report, not yet answered

    def alive(self) -> bool:
        try:
            return bool(_sync(self.km.is_alive()))
        except Exception:
            return False

    def shut_down(self) -> None:
        """Stop the kernel and release its sockets and log (never raises)."""
        try:
            self.kc.stop_channels()
        except Exception:
            pass
        try:
            if self.alive():
                _sync(self.km.shutdown_kernel(now=True))
            _sync(self.km.cleanup_resources())
        except Exception as exc:
            logger.debug("shutting down a warm kernel: %s", type(exc).__name__)
        try:
            self.log.close()
        except Exception:
            pass


def _sync(value: Any) -> Any:
    """The value of a kernel manager call (nbclient's managers are asynchronous)."""
    if not inspect.isawaitable(value):
        return value
    from jupyter_core.utils import run_sync

    async def wait() -> Any:
        return await value

    return run_sync(wait)()


_LOCK = threading.Lock()
_CHANGED = threading.Condition(_LOCK)  # a kernel went idle, or a kernel start ended
_IDLE: list[WarmKernel] = []
_STARTING: dict[tuple[str, str], int] = {}


@contextmanager
def starting(key: tuple[str, str]) -> Iterator[None]:
    """Mark a kernel of ``key`` as being started ahead of its first report (see :func:`take`)."""
    with _CHANGED:
        _STARTING[key] = _STARTING.get(key, 0) + 1
    try:
        yield
    finally:
        with _CHANGED:
            _STARTING[key] -= 1
            _CHANGED.notify_all()


def take(kernel_name: str, cwd: str) -> WarmKernel | None:
    """An idle live kernel of this name started in ``cwd``, cleared, or None (the caller starts one).

    While a kernel of that name and folder is being started ahead of time
    (:func:`starting`), waits for it rather than start another.  A kernel
    whose reset (:func:`give_back`) failed or takes longer than
    :data:`RESET_TIMEOUT` is shut down and the next one tried.
    """
    key = (kernel_name, cwd)
    while True:
        with _CHANGED:
            found = next((k for k in _IDLE if k.key == key), None)
            while found is None and _STARTING.get(key):
                _CHANGED.wait(timeout=1)
                found = next((k for k in _IDLE if k.key == key), None)
            if found is None:
                return None
            _IDLE.remove(found)
        if found.alive() and _cleared(found):
            return found
        found.shut_down()


def give_back(kernel: WarmKernel) -> None:
    """Start clearing ``kernel`` after a report and keep it for the next one, or shut it down.

    The reset (:data:`RESET_CODE`) is sent, not waited for: the kernel
    clears itself while the worker writes the finished report and takes the
    next job, and :func:`take` checks its answer before the next report.

    Parameters
    ----------
    kernel : WarmKernel
        The kernel the report ran in (alive or not).
    """
    kernel.reports += 1
    if kernel.reports >= MAX_REPORTS or not kernel.alive():
        kernel.shut_down()
        return
    try:
        kernel.clearing = kernel.kc.execute(RESET_CODE.format(cwd=kernel.key[1]), silent=True, store_history=False)
    except Exception as exc:
        logger.info("could not clear a kernel for reuse (%s): shutting it down", type(exc).__name__)
        kernel.shut_down()
        return
    with _CHANGED:
        _IDLE.append(kernel)
        _CHANGED.notify_all()


def _cleared(kernel: WarmKernel) -> bool:
    """Whether the kernel's reset, if one is pending, succeeded (waits for it, at most :data:`RESET_TIMEOUT`)."""
    if kernel.clearing is None:
        return True
    msg_id, kernel.clearing = kernel.clearing, None
    try:
        reply = _sync(_reply_to(kernel.kc, msg_id, RESET_TIMEOUT))
    except Exception as exc:  # queue.Empty after the time limit, or a lost connection
        logger.info("a kernel did not clear itself for reuse (%s): shutting it down", type(exc).__name__)
        return False
    return reply.get("content", {}).get("status") == "ok"


async def _reply_to(kc: Any, msg_id: str, timeout: float) -> dict:
    """The kernel's reply to request ``msg_id``, skipping older replies (``queue.Empty`` after ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    while True:
        msg = await kc.get_shell_msg(timeout=max(0.0, deadline - time.monotonic()))
        if msg.get("parent_header", {}).get("msg_id") == msg_id:
            return msg


def close_idle() -> int:
    """Shut down every idle kernel of this process; return how many there were."""
    with _LOCK:
        idle = list(_IDLE)
        _IDLE.clear()
    for kernel in idle:
        kernel.shut_down()
    return len(idle)
