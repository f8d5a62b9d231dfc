"""What a batch is made of: one report's job, the batch's result, and the error that stops a batch."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .settings import DEFAULT_KERNEL_SETUP, DEFAULT_TIMEOUT, FAILED_STATUSES, INDEX_NAME, MANIFEST_NAME, STATUSES

__all__ = ["BatchError", "ReportJob", "BatchResult", "entry_key", "key_of", "now"]


class BatchError(RuntimeError):
    """A batch that cannot start: unwritable output folder, missing notebook, unknown team."""


@dataclass(frozen=True)
class ReportJob:
    """Everything a worker needs to produce one report (picklable).

    Attributes
    ----------
    kind : {"team", "school", "district"}
        What the report is about (``"district"``: the district overview of
        ``plc report``, outside the per-team batch).
    school_id, team_id : str, str or None
        Whose report it is (``team_id`` is None for school reports).
    school_name, team_name : str
        Display names.
    notebook : str
        Absolute path of the notebook to run.
    parameters : dict
        Papermill parameters.
    ipynb_path, html_path : str
        Absolute output paths.
    timeout : float or None
        Time limit for the notebook once its kernel is up, in seconds.
    kernel_name : str
        Jupyter kernel to run.
    has_data : bool
        Whether there are assessments in the period (``False`` → status
        ``"no data"`` when the notebook succeeds).
    cwd : str or None
        Working folder of the kernel (default: the notebook's folder).
    notebook_source : str or None
        The notebook's JSON, for workers that cannot read ``notebook``
        (a Dask cluster without a shared filesystem).
    extract_files : dict of str to bytes, or None
        The team's extract (file name → content), written to a scratch
        folder on the worker; the parameters named in ``extract_parameters``
        whose value is the placeholder ``"{plc-extract}"`` then point to it.
    extract_parameters : tuple of str
        See ``extract_files``.
    reuse_kernel : bool
        Run in a warm kernel left by an earlier report of this worker (see
        :mod:`plc_analysis.batch.warm`) and leave the kernel warm for the
        next; False starts and stops a new kernel for this report.
    kernel_setup : str
        Code run silently in the kernel once it is ready, before the
        notebook (not part of the notebook; its failure is ignored):
        :data:`~plc_analysis.batch.settings.SMALL_DATA_KERNEL_SETUP` for a
        team's extract, else
        :data:`~plc_analysis.batch.settings.DEFAULT_KERNEL_SETUP`.
    """

    kind: str
    school_id: str
    team_id: str | None
    school_name: str
    team_name: str
    notebook: str
    parameters: dict
    ipynb_path: str
    html_path: str
    timeout: float | None = DEFAULT_TIMEOUT
    kernel_name: str = "python3"
    has_data: bool = True
    cwd: str | None = None
    notebook_source: str | None = field(default=None, repr=False)
    extract_files: dict[str, bytes] | None = field(default=None, repr=False)
    extract_parameters: tuple[str, ...] = ()
    reuse_kernel: bool = True
    kernel_setup: str = DEFAULT_KERNEL_SETUP

    @property
    def key(self) -> str:
        """Identity of the report in the manifest."""
        return entry_key(self.kind, self.school_id, self.team_id)

    @property
    def audience(self) -> str:
        """Who the report is for: its ``audience`` parameter, else the default of its kind (team, school, district)."""
        from ..audience import default_audience

        return str(self.parameters.get("audience") or default_audience(self.kind))

    @property
    def title(self) -> str:
        """Page title of the report."""
        if self.kind == "school":
            return self.school_name
        if self.kind == "district":
            return "District overview"
        return f"{self.team_name} — {self.school_name}"


@dataclass
class BatchResult:
    """What :func:`run_batch` did.

    Attributes
    ----------
    out_dir : Path
        The output folder.
    reports : list of dict
        Manifest entries of the reports run by this call, in completion order.
    manifest : dict
        The full manifest as written (including entries kept from earlier runs).
    seconds : float
        Wall-clock time of the whole batch.
    jobs : int
        Worker processes used.
    interrupted : bool
        True when the batch stopped early (Ctrl-C); finished reports are in the
        manifest and ``--only-failed`` resumes the rest.
    executor : str
        ``"thread"``, ``"process"`` or ``"dask"``.
    """

    out_dir: Path
    reports: list[dict] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)
    seconds: float = 0.0
    jobs: int = 1
    interrupted: bool = False
    executor: str = "thread"

    @property
    def counts(self) -> dict[str, int]:
        """Reports run by this call, by status."""
        counter = Counter(r["status"] for r in self.reports)
        return {status: counter.get(status, 0) for status in STATUSES}

    @property
    def failed(self) -> list[dict]:
        """Entries of this call's reports that failed or timed out."""
        return [r for r in self.reports if r["status"] in FAILED_STATUSES]

    @property
    def exit_code(self) -> int:
        """0 when every report ran (``ok`` or ``no data``), else 1."""
        return 1 if (self.failed or self.interrupted) else 0

    @property
    def manifest_path(self) -> Path:
        """Path of ``manifest.json``."""
        return self.out_dir / MANIFEST_NAME

    @property
    def index_path(self) -> Path:
        """Path of ``index.html``."""
        return self.out_dir / INDEX_NAME


def entry_key(kind: str, school_id: str, team_id: str | None) -> str:
    """Identity of a report in the manifest: ``team:<school>/<team>``, ``school:<school>`` or ``district``."""
    if kind == "district":
        return "district"
    return f"school:{school_id}" if kind == "school" else f"team:{school_id}/{team_id}"


def key_of(entry: Mapping[str, Any]) -> str:
    """The :func:`entry_key` of a manifest entry."""
    return entry_key(entry.get("kind", "team"), entry["school_id"], entry.get("team_id"))


def now() -> str:
    """The current local time, ISO 8601 to the second, with its UTC offset."""
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")
