"""The batch's entry point: :func:`run_batch` resolves the options, plans the reports and drives them."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from ..export import remove_stale_temp_files
from ..load_steps import Errors
from .dask_runner import DaskRunner
from .driver import BatchDriver, SchoolData
from .jobs import BatchError, BatchResult, entry_key, key_of, now
from .local_runner import LocalRunner, default_jobs
from .manifest import load_manifest
from .out_lock import out_folder_lock
from .outputs import OutputError
from .plan import BatchSettings, as_list, check_out_dir, date_param, largest_first, report_units
from .settings import (
    DEFAULT_NOTEBOOK,
    DEFAULT_SCHOOL_NOTEBOOK,
    DEFAULT_TIMEOUT,
    FAILED_STATUSES,
    MANIFEST_NAME,
    MANIFEST_VERSION,
    Per,
)

__all__ = ["run_batch"]

logger = logging.getLogger(__name__)


def run_batch(
    data_path: str | Path | None = None,
    out_dir: str | Path = "out",
    *,
    notebook: str | Path | None = None,
    jobs: int | None = None,
    timeout: float | None = None,
    teams: str | Sequence[str] | None = None,
    schools: str | Sequence[str] | None = None,
    per: Per | None = None,
    start: str | None = None,
    end: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    only_failed: bool = False,
    extract: bool = True,
    errors: Errors = "raise",
    kernel_name: str = "python3",
    progress: bool | None = None,
    executor: Literal["thread", "process"] = "thread",
    scheduler: Any = None,
    fresh_kernels: bool = False,
    audience: str | None = None,
) -> BatchResult:
    """Run a report notebook once per team (or school) and write HTML reports, a manifest and an index.

    Parameters
    ----------
    data_path : str or Path, optional
        The district: anything :func:`plc_analysis.load_dataset` reads, or a
        folder partitioned by school (:func:`plc_analysis.write_partitioned`),
        of which only the partitions of the schools reported on are read.
        Default: the sample district (or, with ``only_failed``, the one the
        manifest records).
    out_dir : str or Path
        Output folder (created).  Reports go to
        ``<out_dir>/<school_id>/<team_id>.{ipynb,html}``.
    notebook : str or Path, optional
        The notebook to run.  Default: the bundled ``team_report.ipynb``
        (``support_plan.ipynb`` with ``per="school"``).
    jobs : int, optional
        Reports run at once, each in its own kernel (default: the number of
        CPU cores available; on a Dask cluster, its worker threads).
    timeout : float, optional
        Time limit per report, in seconds, counted from a ready kernel
        (default 600).  Enforced per cell by papermill and for the whole
        notebook by killing its kernel; the report's status is then
        ``"timeout"``.
    teams, schools : str or sequence of str, optional
        Only these teams / the teams of these schools.  Unknown ids raise
        :class:`BatchError`.
    per : {"team", "school"}, optional
        One report per team (default) or per school (parameters: no
        ``team_id``; written to ``<out_dir>/<school_id>/index-school.html``).
    start, end : str, optional
        The reporting period (inclusive ISO dates), passed to the notebook;
        a report with no assessments in it gets status ``"no data"``.
    parameters : mapping, optional
        Extra papermill parameters for every report.
    only_failed : bool
        Re-run only the reports that failed or timed out last time, and those
        missing from ``<out_dir>/manifest.json`` (an interrupted batch); keep
        the other entries and files untouched.  Options left as None default
        to the values the manifest records.
    extract : bool
        Pass each notebook a per-team Parquet extract as ``data_path``
        (default, fast); False passes the whole district's path (for a
        partitioned district, the school's partition folder).
    errors : {"raise", "quarantine"}
        How the district is validated (see :func:`plc_analysis.load_dataset`).
    kernel_name : str
        Jupyter kernel.
    progress : bool, optional
        Show a progress bar on stderr (default: when stderr is a terminal).
    executor : {"thread", "process"}
        How the kernels are driven on this machine: threads of this process
        (default, fastest on a few cores) or worker processes (for many
        cores).
    scheduler : str or distributed.Client or distributed.deploy.Cluster, optional
        Run the reports on a Dask distributed cluster instead (needs the
        ``dask`` extra): a scheduler address (``"tcp://host:8786"``), the
        path of a scheduler file (``.json``), ``"local"`` (a
        :class:`~distributed.LocalCluster` of ``jobs`` single-threaded worker
        processes, closed afterwards), or a connected ``Client`` or a
        ``Cluster`` (left open).  Each task receives the notebook's text and
        the team's extract and returns the executed notebook and its HTML,
        which this process writes: the workers need this package and the
        kernel installed, not the batch's folders.  With ``extract=False``
        the data path must be readable on the workers under the same path.

    fresh_kernels : bool
        Start a new kernel for every report.  Default False: a worker keeps
        its kernel, imports done, for its next report after clearing the
        report's variables and figures (about two seconds less per report;
        see :mod:`plc_analysis.batch.warm`).  Use True for notebooks that
        change process-wide state.  Dask workers always start a new kernel.
    audience : {"team", "school", "district", "public"}, optional
        Who the reports are for (:mod:`plc_analysis.audience`), passed to
        every notebook as its ``audience`` parameter.  Default: each
        report's own (a team report for its team, a school report for the
        school's staff).  The bundled team report names its students, so it
        refuses ``district`` and ``public``.

    Returns
    -------
    BatchResult
        The entries written, counts by status and the exit code.

    Raises
    ------
    BatchError
        The output folder cannot be written (at the start, or later because
        the disk is full: the manifest then keeps the reports finished so
        far), the notebook does not exist, a requested team or school is not
        in the data, or the Dask cluster cannot be reached.
    PLCDataError
        The district does not validate (with ``errors="raise"``).  For a
        partitioned district only the schools' and teams' tables are checked
        before the batch starts; a school whose partition does not validate
        (or cannot be read) gets its reports marked ``failed`` with the
        problems, and the other schools run.
    KeyboardInterrupt
        Re-raised after the manifest has been saved (finished reports kept).

    Notes
    -----
    The manifest (``manifest.json``) holds the run's settings and one entry
    per report: ``kind`` (team/school), ``team_id``, ``team_name``,
    ``school_id``, ``school_name``, ``notebook``, ``status`` (``ok``, ``no
    data``, ``failed``, ``timeout``), ``seconds``, ``error_name``,
    ``error_value``, ``ipynb`` and ``html`` (relative to ``out_dir``) and
    ``finished``.  A run without team/school filters and without
    ``only_failed`` starts a fresh manifest; otherwise entries of other
    reports are kept.
    """
    begun = time.perf_counter()
    if jobs is not None and (isinstance(jobs, bool) or int(jobs) != jobs or jobs < 1):
        raise ValueError(f"jobs must be a whole number of at least 1, not {jobs!r}")
    out = Path(out_dir).expanduser().resolve()
    check_out_dir(out)
    with out_folder_lock(out):  # one batch at a time writes to a folder
        remove_stale_temp_files(out)
        merging = only_failed or teams is not None or schools is not None  # this run's entries join the previous
        previous = load_manifest(out, strict=merging)
        if only_failed and previous is None:
            logger.info("no manifest in %s: running every report", out)
        if only_failed and previous is not None and data_path is None and not previous.get("data_path"):
            raise BatchError(f"{out / MANIFEST_NAME} does not say which data its reports were made from; give --data")
        settings = _resolve_settings(
            out,
            previous if only_failed else None,
            data_path=data_path,
            notebook=notebook,
            timeout=timeout,
            per=per,
            start=start,
            end=end,
            parameters=parameters,
            extract=extract,
            errors=errors,
            kernel_name=kernel_name,
            executor=executor,
            reuse_kernels=not fresh_kernels,
            audience=audience,
        )

        # Start the workers first: their imports (papermill, nbconvert: seconds) overlap with loading the data.
        runner = _make_runner(executor, jobs, scheduler)
        if settings.reuse_kernels and isinstance(runner, LocalRunner):  # the kernels start while the data loads
            listed = as_list(teams)
            expected = len(listed) if listed is not None else runner.slots  # no more kernels than reports
            runner.prestart(settings.kernel_name, str(settings.notebook.parent), expected)
        try:
            dataset, units = _plan_units(settings, as_list(teams), as_list(schools))
        except BaseException:
            runner.close()
            raise

        kept = previous if merging else None
        entries: dict[str, dict] = {key_of(e): e for e in kept["reports"]} if kept is not None else {}
        if only_failed:
            units = _still_to_do(units, entries)
        manifest = _new_manifest(settings, runner, kept)
        result = BatchResult(out_dir=out, jobs=runner.slots, manifest=manifest, executor=runner.kind)
        driver = BatchDriver(settings, runner, manifest, entries, result, SchoolData(settings, dataset))
        if not units:
            runner.close()
            manifest["complete"] = True
            driver.save()
            result.seconds = time.perf_counter() - begun
            return result
        try:
            driver.save()
        except OutputError as exc:
            runner.close()
            raise BatchError(str(exc)) from exc
        try:
            driver.run(units, show_progress=sys.stderr.isatty() if progress is None else progress)
        finally:
            result.seconds = time.perf_counter() - begun
        return result


def _resolve_settings(
    out: Path,
    recorded: Mapping[str, Any] | None,
    *,
    data_path: str | Path | None,
    notebook: str | Path | None,
    timeout: float | None,
    per: str | None,
    start: str | None,
    end: str | None,
    parameters: Mapping[str, Any] | None,
    extract: bool,
    errors: Errors,
    kernel_name: str,
    executor: str,
    reuse_kernels: bool,
    audience: str | None = None,
) -> BatchSettings:
    """Check the options and fill in what is left as None: from ``recorded`` (a resumed manifest), else defaults.

    Raises
    ------
    ValueError
        ``per`` or ``executor`` is not one of the known values, or a date does not parse.
    BatchError
        The notebook does not exist.
    """
    from ..loading import SAMPLE_PATH
    from ..partitioned import is_partitioned

    recorded = recorded or {}
    if timeout is not None and not 0 < float(timeout) < float("inf"):
        raise ValueError(f"timeout must be a number of seconds greater than 0, not {timeout!r}")
    per = per or recorded.get("per") or "team"
    if per not in ("team", "school"):
        raise ValueError(f"per must be 'team' or 'school', not {per!r}")
    if executor not in ("thread", "process"):
        raise ValueError(f"executor must be 'process' or 'thread', not {executor!r}")
    data = Path(data_path if data_path is not None else recorded.get("data_path") or SAMPLE_PATH).expanduser()
    if notebook is None:
        notebook = recorded.get("notebook")
    if notebook is None:
        notebook = DEFAULT_SCHOOL_NOTEBOOK if per == "school" else DEFAULT_NOTEBOOK
    nb_path = Path(notebook).expanduser().resolve()
    if not nb_path.is_file():
        raise BatchError(f"notebook not found: {nb_path}")
    parameters = {**dict(recorded.get("parameters") or {}), **dict(parameters or {})}
    if audience:
        parameters["audience"] = _checked_audience(audience, per, nb_path)
    return BatchSettings(
        out=out,
        data=data,
        notebook=nb_path,
        per=per,
        timeout=timeout if timeout is not None else recorded.get("timeout") or DEFAULT_TIMEOUT,
        start=date_param(start if start is not None else recorded.get("start")),
        end=date_param(end if end is not None else recorded.get("end")),
        parameters=parameters,
        extract=extract,
        errors=errors,
        kernel_name=kernel_name,
        partitioned=is_partitioned(data),
        reuse_kernels=reuse_kernels,
    )


def _checked_audience(audience: str, per: str, notebook: Path) -> str:
    """``audience`` if every report of the batch may be for it (before any kernel starts), else BatchError."""
    from ..audience import check_audience_scope

    try:
        rule = check_audience_scope(audience, per)
    except ValueError as exc:
        raise BatchError(str(exc)) from exc
    if notebook == DEFAULT_NOTEBOOK.resolve() and not rule.student_names:
        raise BatchError(
            f"the team report names its students, so it cannot be for audience {audience!r}: "
            "use --per school (the support plan counts only) or plc report's district overview"
        )
    return audience


def _make_runner(executor: str, jobs: int | None, scheduler: Any) -> LocalRunner | DaskRunner:
    """A Dask runner when ``scheduler`` is given, else a local pool of ``jobs`` (default: CPU cores) workers."""
    if scheduler is not None:
        return DaskRunner(scheduler, jobs)
    return LocalRunner(executor, int(jobs or default_jobs()))


def _plan_units(settings: BatchSettings, teams: list[str] | None, schools: list[str] | None) -> tuple[Any, list[dict]]:
    """Load what planning needs and list the reports: ``(the district's Dataset or None, units)``.

    A partitioned district is planned from its schools' and teams' tables only
    (the Dataset is then None: each school's partition is read when its turn
    comes, so the units are sorted by school).  A loaded district's units are
    ordered largest first (:func:`~plc_analysis.batch.plan.largest_first`).
    """
    from ..loading import load_dataset
    from ..partitioned import load_partitioned

    if settings.partitioned:
        catalog = load_partitioned(settings.data, tables=("schools", "teams"), errors=settings.errors)
        return None, sorted(report_units(catalog, settings.per, teams, schools), key=lambda u: u["school_id"])
    dataset = load_dataset(settings.data, errors=settings.errors)
    return dataset, largest_first(dataset, report_units(dataset, settings.per, teams, schools))


def _still_to_do(units: list[dict], entries: Mapping[str, Mapping[str, Any]]) -> list[dict]:
    """``--only-failed``: the units whose last report failed, timed out or is missing from the manifest."""
    done = {k for k, e in entries.items() if e.get("status") not in FAILED_STATUSES}
    return [u for u in units if entry_key(u["kind"], u["school_id"], u["team_id"]) not in done]


def _new_manifest(
    settings: BatchSettings, runner: LocalRunner | DaskRunner, kept: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The manifest of this run (no reports yet); the district overview of ``kept`` stays linked."""
    manifest: dict[str, Any] = {
        "version": MANIFEST_VERSION,
        "generated": now(),
        "complete": False,
        "data_path": str(settings.data.resolve()),
        "notebook": str(settings.notebook),
        "per": settings.per,
        "start": settings.start,
        "end": settings.end,
        "timeout": settings.timeout,
        "parameters": settings.parameters,
        "jobs": runner.slots,
        "executor": runner.kind,
        "reports": [],
    }
    if runner.address:
        manifest["scheduler"] = runner.address
    if kept is not None and kept.get("overview"):
        manifest["overview"] = kept["overview"]
    return manifest
