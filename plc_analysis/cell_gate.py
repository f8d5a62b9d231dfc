"""In a batch's kernel: once a notebook cell fails, the cells already queued behind it do not run.

The batch sends a report's cells to its kernel all at once (see
:mod:`plc_analysis.batch.engine`), so that the kernel runs them back to back
instead of waiting, after each cell, for the batch process to read the
answer and send the next one.  A kernel aborts the requests queued behind a
cell that fails, but only those it has already received: a request still on
its way when a cell fails at once would run.  This gate closes that gap in
the kernel itself: after a failed cell, every later cell of the report is
rejected before it runs (IPython's ``InputRejected``: an error, no
execution), until the next report's setup (:func:`open_gate`) opens it
again.  Silent requests (the batch's own setup and clearing between reports)
are never rejected.

Nothing here runs unless a batch's kernel calls :func:`open_gate`.
"""

from __future__ import annotations

import ast
from typing import Any

__all__ = ["open_gate", "CellGate"]


class CellGate(ast.NodeTransformer):
    """IPython hooks and AST transformer that reject the cells after a failed one."""

    def __init__(self) -> None:
        self.failed = False  # a cell of this report failed
        self.rejecting = False  # the cell being run comes after it

    def before_any(self) -> None:
        """``pre_execute``: every request, silent ones included (which never trigger ``pre_run_cell``)."""
        self.rejecting = False

    def before_cell(self, info: Any) -> None:
        """``pre_run_cell``: a notebook cell (not silent) is about to run."""
        self.rejecting = self.failed

    def after_cell(self, result: Any) -> None:
        """``post_run_cell``: remember a failure (an exception, or a cell rejected here)."""
        if not result.success:
            self.failed = True

    def visit(self, node: ast.AST) -> ast.AST:
        """Reject the cell when an earlier cell of this report failed; otherwise leave its code as is."""
        if self.rejecting:
            from IPython.core.error import InputRejected

            raise InputRejected("not run: an earlier cell of this report failed")
        return node


def open_gate(shell: Any) -> CellGate:
    """Install the gate in ``shell`` (once per kernel) and open it for a new report.

    Parameters
    ----------
    shell : IPython.core.interactiveshell.InteractiveShell
        The kernel's shell (``get_ipython()``).

    Returns
    -------
    CellGate
        The shell's gate, open (no cell has failed yet).
    """
    gate = next((t for t in shell.ast_transformers if isinstance(t, CellGate)), None)
    if gate is None:
        gate = CellGate()
        shell.ast_transformers.append(gate)
        shell.events.register("pre_execute", gate.before_any)
        shell.events.register("pre_run_cell", gate.before_cell)
        shell.events.register("post_run_cell", gate.after_cell)
    gate.failed = gate.rejecting = False
    return gate
