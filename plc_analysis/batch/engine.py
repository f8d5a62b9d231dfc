"""The papermill engine of the batch: quiet kernels on Unix sockets, guarded by a time limit.

:func:`engine_classes` registers (once per process) an nbclient engine whose
kernel a :class:`~plc_analysis.batch.guard.KernelGuard` can kill, which writes
timeouts and kernel deaths into the notebook instead of losing it, and which
sends the kernel's own stdout/stderr (ipykernel's startup warnings, a crash
message) to a scratch file rather than the terminal.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from ..extract import EXTRACT_KEY_ENV, extract_key
from . import warm
from .guard import KernelGuard
from .settings import ENGINE_NAME, START_TIMEOUT

__all__ = ["engine_classes", "kernel_env", "prestart_kernel", "skip_unused_iri_grammar"]

#: Logger of the kernels' nbclient messages (the name the batch always used).
KERNEL_LOGGER = "plc_analysis.batch.kernel"
#: Run in a kernel started before the batch's first report: the imports of the bundled report notebooks,
#: then frozen out of garbage collection as between reports (see :data:`~plc_analysis.batch.warm.RESET_CODE`).
WARM_UP_CODE = (
    "%matplotlib inline\nimport plc_analysis.report, plc_analysis.report_scopes\n"
    "import gc as _g\n_g.collect()\n_g.freeze()\ndel _g"
)
logger = logging.getLogger(__name__)


def skip_unused_iri_grammar() -> bool:
    """Keep ``jsonschema`` from building its IRI grammar in this process; return whether it will be skipped.

    nbformat imports ``jsonschema``, which, when the optional
    ``rfc3987_syntax`` is installed (Jupyter's ``jsonschema[format-nongpl]``
    pulls it in), builds a Lark grammar at import for its ``iri`` format
    checks: 1.0-1.4 s of CPU in a batch process, at the start, while the
    kernels start and the district loads on the same two cores.  Notebooks
    are validated without format checks, so nothing here uses it.  Marking
    the module absent (``sys.modules[name] = None``, Python's documented way)
    makes jsonschema skip those two checks for the whole process, so only
    the ``plc`` command calls this, before anything imports jsonschema; a
    process that already imported either module is left alone.
    """
    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        return sys.modules.get("rfc3987_syntax", False) is None
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
    return True


def engine_classes() -> tuple[type, type]:
    """Build (once) the papermill engine and client that honour a :class:`KernelGuard`."""
    global _ENGINE_CLASSES
    if _ENGINE_CLASSES is not None:
        return _ENGINE_CLASSES
    import nbformat
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class GuardedClient(PapermillNotebookClient):
        """Papermill's client, plus: timeouts and kernel deaths are recorded in the notebook."""

        guard: KernelGuard | None = None

        def create_kernel_manager(self) -> Any:
            km = super().create_kernel_manager()
            if os.name == "posix":
                # Unix sockets: no TCP port races between parallel kernels, no plain-text TCP
                # traffic (ipykernel warns about it on every start).  The sockets sit beside the
                # connection file in the Jupyter runtime folder and are removed with it.
                from jupyter_core.paths import jupyter_runtime_dir

                runtime = Path(jupyter_runtime_dir())
                runtime.mkdir(parents=True, exist_ok=True)
                km.transport = "ipc"
                km.ip = str(runtime / f"plc-batch-{uuid.uuid4().hex[:12]}-ipc")
            return km

        kernel_log: Any = None  # scratch file for the kernel's own stdout/stderr (set by the engine)

        def execute(self, **kwargs: Any) -> Any:
            self.reset_execution_trackers()
            kwargs.setdefault("env", kernel_env())
            # The kernel's own stdout/stderr (startup warnings, a crash message) go to a scratch
            # file instead of the terminal; its tail explains a kernel death in the report.
            kwargs.setdefault("stdout", self.kernel_log)
            kwargs.setdefault("stderr", self.kernel_log)
            with self.setup_kernel(**kwargs):
                self.run_kernel_setup()
                if self.guard is not None:
                    self.guard.arm()  # the time limit counts from a ready kernel
                self.papermill_execute_cells()
                if self.guard is None or self.guard.status is None:
                    info_msg = self.wait_for_reply(self.kc.kernel_info())
                    self.nb.metadata["language_info"] = info_msg["content"]["language_info"]
                self.set_widgets_metadata()
            return self.nb

        kernel_setup: str = ""  # code run silently before the notebook (set by the engine)

        def run_kernel_setup(self) -> None:
            """Run :attr:`kernel_setup` silently in the kernel; a failure is logged, never raised."""
            if not self.kernel_setup:
                return
            try:
                reply = self.wait_for_reply(self.kc.execute(self.kernel_setup, silent=True, store_history=False))
                status = None if reply is None else reply["content"].get("status")
            except Exception as exc:  # a dead kernel fails the first cell instead, with its explanation
                status = type(exc).__name__
            if status != "ok":
                logger.debug("kernel setup before the notebook: %s", status)

        def kernel_log_tail(self, limit: int = 400) -> str:
            """The last lines the kernel process wrote outside the notebook (may be empty)."""
            try:
                fd = self.kernel_log.fileno()
                size = os.fstat(fd).st_size
                tail = os.pread(fd, limit, max(0, size - limit)).decode("utf-8", "replace")
            except (AttributeError, OSError, ValueError):
                return ""
            lines = [line.strip() for line in tail.splitlines() if line.strip()]
            return " | ".join(lines[-3:])

        def kernel_exit_text(self) -> str:
            """How the kernel process ended: ``"killed by SIGKILL, ..."`` or ``"exit code 1"`` (may be empty)."""
            process = getattr(getattr(self.km, "provisioner", None), "process", None)
            if process is None:
                return ""
            try:
                code = process.wait(timeout=2)
            except Exception:  # still running (a lost connection) or not a Popen
                return ""
            if code is None:
                return ""
            if code < 0:
                try:
                    name = signal.Signals(-code).name
                except ValueError:
                    name = f"signal {-code}"
                text = f"killed by {name}"
                if -code == getattr(signal, "SIGKILL", 9):
                    text += "; often the machine running out of memory"
                return text
            return f"exit code {code}"

        def papermill_execute_cells(self) -> None:
            for index, cell in enumerate(self.nb.cells):
                try:
                    self.nb_man.cell_start(cell, index)
                    self.execute_cell(cell, index)
                except CellExecutionError as ex:
                    self.nb_man.cell_exception(self.nb.cells[index], cell_index=index, exception=ex)
                    if self.guard is not None:
                        self.guard.status = "failed"
                    break
                except (CellTimeoutError, DeadKernelError) as ex:
                    guard = self.guard
                    timed_out = isinstance(ex, CellTimeoutError) or (guard is not None and guard.fired)
                    if isinstance(ex, CellTimeoutError):
                        ename, evalue = "CellTimeoutError", f"a cell ran longer than {self.timeout} s"
                    elif guard is not None and guard.fired:  # timed_out, by the guard
                        ename, evalue = (
                            "NotebookTimeout",
                            (f"the report ran longer than its {guard.seconds:g} s limit and was stopped"),
                        )
                    else:
                        ename, evalue = "DeadKernelError", "the kernel died while running this cell"
                        how = self.kernel_exit_text()
                        if how:
                            evalue += f" ({how})"
                        said = self.kernel_log_tail()
                        if said:
                            evalue += f" (kernel output: {said})"
                    cell = self.nb.cells[index]
                    cell.setdefault("outputs", []).append(
                        nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])
                    )
                    self.nb_man.cell_exception(cell, cell_index=index, exception=ex)
                    if guard is not None:
                        guard.status = "timeout" if timed_out else "failed"
                    break
                finally:
                    self.nb_man.cell_complete(self.nb.cells[index], cell_index=index)

    class GuardedEngine(NBClientEngine):
        """NBClient engine whose kernel a :class:`KernelGuard` can kill, keeping the partial notebook."""

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            start_timeout: int = START_TIMEOUT,
            execution_timeout: int | None = None,
            guard: KernelGuard | None = None,
            kernel_cwd: str | None = None,
            reuse_kernel: bool = False,
            kernel_setup: str = "",
            **kwargs: Any,
        ) -> Any:
            guard = guard or KernelGuard(None)
            guard.nb = nb_man.nb
            lent = warm.take(kernel_name, kernel_cwd or "") if reuse_kernel else None
            client = GuardedClient(
                nb_man,
                km=lent.km if lent else None,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logging.getLogger(KERNEL_LOGGER),
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
                shutdown_kernel="immediate",  # nothing to save in a finished (or stuck) kernel
                resources={"metadata": {"path": kernel_cwd}} if kernel_cwd else {},
            )
            client.kc = lent.kc if lent else None
            client.kernel_log = lent.log if lent else tempfile.TemporaryFile()
            client.guard = guard
            client.kernel_setup = kernel_setup
            guard.client = client
            guard.start()
            try:
                # a kernel to be reused stays up when the notebook is done (its owner decides below)
                return client.execute(**({"cleanup_kc": False} if reuse_kernel else {}))
            finally:
                guard.stop()
                if reuse_kernel:
                    _keep_or_shut_down(client, lent, guard, (kernel_name, kernel_cwd or ""))
                else:
                    client.kernel_log.close()

    papermill_engines.register(ENGINE_NAME, GuardedEngine)
    _ENGINE_CLASSES = (GuardedEngine, GuardedClient)
    return _ENGINE_CLASSES


_ENGINE_CLASSES: tuple[type, type] | None = None


def _keep_or_shut_down(client: Any, lent: warm.WarmKernel | None, guard: KernelGuard, key: tuple[str, str]) -> None:
    """After a report: hand a healthy kernel back to :mod:`~plc_analysis.batch.warm`, else shut it down."""
    if client.km is None or client.kc is None:  # never started
        if lent is None:
            client.kernel_log.close()
        return
    kernel = lent or warm.WarmKernel(km=client.km, kc=client.kc, log=client.kernel_log, key=key)
    if guard.fired or guard.aborted or guard.status == "timeout":
        kernel.shut_down()
    else:
        warm.give_back(kernel)


def kernel_env() -> dict[str, str]:
    """The kernel's environment: ours, with this plc_analysis first on ``PYTHONPATH`` and the extract key.

    Every kernel then imports the same plc_analysis as the batch that wrote its
    extract, wherever the notebook is and however the package is installed.
    """
    env = dict(os.environ)
    env[EXTRACT_KEY_ENV] = extract_key().hex()  # the kernel trusts the extracts this process sealed, no others
    root = str(Path(__file__).resolve().parent.parent.parent)
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != root]
    env["PYTHONPATH"] = os.pathsep.join([root, *paths])
    return env


def prestart_kernel(kernel_name: str, cwd: str, closed: Any) -> None:
    """Start a kernel as a report would, import the report modules in it, and keep it warm for a report.

    Runs while the batch loads and checks the district, on the core that
    loading leaves idle: the first reports then find a kernel ready.  A kernel
    that cannot start is left for the first report to start and report; one
    ready after the batch closed (``closed`` set) is shut down.  Never raises.
    """
    from types import SimpleNamespace

    import nbformat

    key = (kernel_name, cwd)
    with warm.starting(key):
        kernel, log = None, tempfile.TemporaryFile()
        try:
            _, client_class = engine_classes()
            client = client_class(
                SimpleNamespace(nb=nbformat.v4.new_notebook()),
                kernel_name=kernel_name,
                startup_timeout=START_TIMEOUT,
                timeout=warm.RESET_TIMEOUT,
                resources={"metadata": {"path": cwd}},
                log=logging.getLogger(KERNEL_LOGGER),
            )
            client.kernel_log = log
            with client.setup_kernel(
                env=kernel_env(), stdout=client.kernel_log, stderr=client.kernel_log, cleanup_kc=False
            ):
                kernel = warm.WarmKernel(km=client.km, kc=client.kc, log=client.kernel_log, key=key)
                reply = client.wait_for_reply(client.kc.execute(WARM_UP_CODE, silent=True, store_history=False))
            if reply is None or reply["content"].get("status") != "ok" or closed.is_set():
                kernel.shut_down()
            else:
                warm.give_back(kernel)
        except Exception as exc:
            logger.debug("could not start a kernel ahead of the reports: %s", type(exc).__name__)
            if kernel is not None:
                kernel.shut_down()  # closes the log too
            else:
                log.close()
