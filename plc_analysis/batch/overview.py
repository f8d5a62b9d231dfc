"""The district overview of ``plc report``: one aggregate report beside the team reports, linked from the index.

It runs through the batch's own machinery (:func:`~plc_analysis.batch.outputs.run_report`):
a guarded kernel whose stderr never reaches the terminal, the same HTML
export, atomic writes, and an error page instead of a crash when it fails.
"""

from __future__ import annotations

from pathlib import Path

from .jobs import BatchError, ReportJob, now
from .manifest import load_manifest, save_manifest
from .out_lock import out_folder_lock
from .outputs import OutputError, run_report
from .plan import check_out_dir, declared_parameters
from .settings import DEFAULT_TIMEOUT, DISTRICT_OVERVIEW_NOTEBOOK, DISTRICT_OVERVIEW_STEM

__all__ = ["run_district_overview"]


def run_district_overview(
    out_dir: str | Path,
    data_path: str | Path | None = None,
    *,
    notebook: str | Path | None = None,
    timeout: float | None = None,
    kernel_name: str = "python3",
    audience: str = "district",
) -> dict:
    """Render the district overview into ``out_dir`` and link it at the top of the batch's ``index.html``.

    Parameters
    ----------
    out_dir : str or Path
        The batch output folder; the overview is written to
        ``<out_dir>/district_overview.{ipynb,html}``.
    data_path : str or Path, optional
        The district (default: the sample district).
    notebook : str or Path, optional
        The notebook to run (default: the bundled ``district_overview.ipynb``).
    timeout : float, optional
        Time limit in seconds, counted from a ready kernel (default 600).
    kernel_name : str
        Jupyter kernel.
    audience : {"district", "public"}
        Who the overview is for (:mod:`plc_analysis.audience`); ``public``
        also shows teachers as "Teacher A, B, …".

    Returns
    -------
    dict
        As :func:`~plc_analysis.batch.run_report`: ``status``, ``seconds``,
        ``error_name``, ``error_value``, ``finished`` and the absolute
        ``ipynb``/``html`` paths (None when not written).  The entry (paths
        relative to ``out_dir``) is stored as ``"overview"`` in
        ``manifest.json`` when the folder holds a batch manifest.

    Raises
    ------
    BatchError
        The output folder cannot be written, or the notebook does not exist.
    """
    out = Path(out_dir).expanduser().resolve()
    check_out_dir(out)
    nb_path = Path(notebook or DISTRICT_OVERVIEW_NOTEBOOK).expanduser().resolve()
    if not nb_path.is_file():
        raise BatchError(f"notebook not found: {nb_path}")
    from ..audience import check_audience_scope

    try:
        check_audience_scope(audience, "district")
    except ValueError as exc:
        raise BatchError(f"district overview: {exc}") from exc
    parameters = {"data_path": str(data_path or ""), "audience": audience}
    declared = declared_parameters(nb_path)
    if declared:
        parameters = {k: v for k, v in parameters.items() if k in declared}
    job = ReportJob(
        kind="district",
        school_id="",
        team_id=None,
        school_name="",
        team_name="",
        notebook=str(nb_path),
        parameters=parameters,
        ipynb_path=str(out / f"{DISTRICT_OVERVIEW_STEM}.ipynb"),
        html_path=str(out / f"{DISTRICT_OVERVIEW_STEM}.html"),
        timeout=timeout or DEFAULT_TIMEOUT,
        kernel_name=kernel_name,
    )
    with out_folder_lock(out):  # not while a batch rewrites the folder's manifest
        outcome = run_report(job)
        _link_from_index(out, job, outcome)
    return outcome


def _link_from_index(out: Path, job: ReportJob, outcome: dict) -> None:
    """Record the overview in the folder's manifest and re-render ``index.html`` (no manifest: nothing to do)."""
    manifest = load_manifest(out)
    if manifest is None:
        return

    def rel(path: str | None) -> str | None:
        return None if path is None else Path(path).relative_to(out).as_posix()

    manifest["overview"] = {
        "kind": job.kind,
        "notebook": job.notebook,
        "audience": job.audience,
        "status": outcome["status"],
        "seconds": outcome["seconds"],
        "error_name": outcome["error_name"],
        "error_value": outcome["error_value"],
        "ipynb": rel(outcome["ipynb"]),
        "html": rel(outcome["html"]),
        "finished": outcome["finished"] or now(),
    }
    try:
        save_manifest(out, manifest)
    except OutputError as exc:
        raise BatchError(str(exc)) from exc
