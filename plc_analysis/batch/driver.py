"""The batch loop: prepare each report's extract and job, hand it to a runner, record what comes back.

:class:`BatchDriver` keeps a few reports queued on the runner, writes every
finished report's files and the manifest (after each report), and on Ctrl-C,
SIGTERM or a full disk stops the running kernels and keeps what finished.
"""

from __future__ import annotations

import logging
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..export import error_page
from ..extract import write_extract
from ..loading import PEER_COUNTS_FILE
from .dask_runner import DaskRunner
from .index_page import sort_entries
from .jobs import BatchError, BatchResult, ReportJob, now
from .local_runner import LocalRunner
from .manifest import save_manifest
from .outputs import OutputError, folder_is_full, write_outputs
from .plan import BatchSettings, builtin_parameters, declared_parameters, has_assessments, report_stem, safe_name
from .settings import EXTRACT_PLACEHOLDER, FAILED_STATUSES, SMALL_DATA_KERNEL_SETUP

__all__ = ["BatchDriver", "SchoolData"]

logger = logging.getLogger(__name__)


class SchoolData:
    """Where each school's reports take their rows from: the loaded district, or its own partition.

    A partitioned district is read one school at a time (the units are sorted
    by school), so at most one partition is in memory.  A partition that
    cannot be read is remembered as the exception, which fails that school's
    reports only.
    """

    def __init__(self, settings: BatchSettings, dataset: Any = None) -> None:
        self.settings = settings
        self.dataset = dataset
        self._school_id: str | None = None
        self._data: Any = None
        self._peers: Any = None

    def peers(self) -> Any:
        """The district's :func:`~plc_analysis.comparison.peer_counts`, computed on the first call.

        A team's extract holds only that team, so the team-to-team comparison
        takes the other teams from these pooled counts.  A partitioned district
        is read for them one school at a time, and only the schools whose teams
        gave a common assessment some other team gave too (found from each
        school's assessments table); an unreadable school is left out (its own
        reports fail).
        """
        if self._peers is None:
            from ..comparison import peer_counts

            if self.dataset is not None:
                self._peers = peer_counts(self.dataset)
            else:
                self._peers = self._peers_out_of_core()
                if self._peers is None:
                    self._peers = peer_counts(
                        data for data in map(self, self._sharing_schools()) if not isinstance(data, Exception)
                    )
        return self._peers

    def _peers_out_of_core(self) -> Any:
        """The pooled counts of a big partitioned district in SQL, over its valid rows (None: not big, or failed).

        Reading every school's partition into pandas, one after another, costs
        minutes at a hundred million score rows; the same counts
        (:func:`~plc_analysis.outofcore.peers_sql.district_peer_counts`) come
        from one DuckDB pass over the score files.
        """
        from ..outofcore.overview import large_district

        if not large_district(self.settings.data):
            return None
        from ..outofcore import open_district
        from ..outofcore.peers_sql import district_peer_counts

        try:
            with open_district(self.settings.data, errors="quarantine") as district:
                return district_peer_counts(district)
        except Exception as exc:  # e.g. an unreadable partition: the school by school reading leaves it out
            logger.warning("pooled counts out of core failed (%s); reading school by school", type(exc).__name__)
            return None

    def _sharing_schools(self) -> list[str]:
        """The schools of a partitioned district with a team giving a common assessment another team gave."""
        from ..comparison import shared_common_ids
        from ..partitioned import load_partitioned, partition_schools

        given = []
        for school_id in partition_schools(self.settings.data):
            try:
                part = load_partitioned(
                    self.settings.data,
                    schools=[school_id],
                    tables=("schools", "teams", "assessments"),
                    errors=self.settings.errors,
                )
            except Exception as exc:  # reported when the school's own reports run
                logger.warning("school %s: its assessments could not be read: %s", school_id, type(exc).__name__)
                continue
            common = part.assessments.dropna(subset=["common_id"])
            given.append(common.assign(school_id=common["team_id"].map(part.teams.set_index("team_id")["school_id"])))
        if not given:
            return []
        given = pd.concat(given, ignore_index=True)
        shared = given[given["common_id"].isin(shared_common_ids(given))]
        return sorted(shared["school_id"].dropna().unique())

    def __call__(self, school_id: str) -> Any:
        """The Dataset holding ``school_id``'s rows, or the exception raised reading it."""
        if self.dataset is not None:
            return self.dataset
        if self._school_id != school_id:
            from ..partitioned import load_partitioned

            self._school_id, self._data = school_id, None
            try:
                self._data = load_partitioned(self.settings.data, schools=[school_id], errors=self.settings.errors)
            except Exception as exc:  # this school's reports fail; the other schools run
                logger.warning("school %s: its partition could not be loaded: %s", school_id, type(exc).__name__)
                self._data = exc
        return self._data


class BatchDriver:
    """Runs the planned reports of one :func:`~plc_analysis.batch.run_batch` call on a runner.

    Parameters
    ----------
    settings : BatchSettings
        The resolved options.
    runner : LocalRunner or DaskRunner
        Where the reports run (closed by :meth:`run`).
    manifest : dict
        The manifest being written (its ``reports`` rebuilt from ``entries`` on every save).
    entries : dict
        Manifest entries by key, including those kept from an earlier run.
    result : BatchResult
        Filled in as reports finish.
    school_data : SchoolData
        Where each school's rows come from.
    """

    def __init__(
        self,
        settings: BatchSettings,
        runner: LocalRunner | DaskRunner,
        manifest: dict,
        entries: dict[str, dict],
        result: BatchResult,
        school_data: SchoolData,
    ) -> None:
        self.settings = settings
        self.runner = runner
        self.manifest = manifest
        self.entries = entries
        self.result = result
        self.school_data = school_data
        self.pending: dict[Future, tuple[ReportJob, Path | None]] = {}
        self.declared: set[str] = set()
        self.notebook_source: str | None = None
        self.scratch: Path | None = None
        self.bar: Any = None

    # -- the manifest ---------------------------------------------------------------------------
    def save(self) -> None:
        """Write the manifest and the index (raises :class:`OutputError`)."""
        self.manifest["generated"] = now()
        self.manifest["reports"] = sort_entries(self.entries.values())
        save_manifest(self.settings.out, self.manifest)

    def record(self, job: ReportJob, outcome: Mapping[str, Any]) -> None:
        """Enter a finished report in the manifest (saved at once) and advance the progress bar."""

        def rel(path: str | None) -> str | None:
            return None if path is None else Path(path).relative_to(self.settings.out).as_posix()

        entry = {
            "kind": job.kind,
            "team_id": job.team_id,
            "team_name": job.team_name,
            "school_id": job.school_id,
            "school_name": job.school_name,
            "notebook": job.notebook,
            "audience": job.audience,
            "status": outcome["status"],
            "seconds": outcome["seconds"],
            "error_name": outcome["error_name"],
            "error_value": outcome["error_value"],
            "ipynb": rel(outcome["ipynb"]),
            "html": rel(outcome["html"]),
            "finished": outcome["finished"],
        }
        self.entries[job.key] = entry
        self.result.reports.append(entry)
        self.save()
        failures = sum(1 for r in self.result.reports if r["status"] in FAILED_STATUSES)
        self.bar.set_postfix_str(f"{failures} failed" if failures else "", refresh=False)
        self.bar.update(1)
        if outcome["status"] in FAILED_STATUSES:
            logger.info("report %s: %s (%s)", job.key, outcome["status"], outcome["error_name"])

    def finish(self, job: ReportJob, rendered: Mapping[str, Any]) -> None:
        """Write a rendered report's files and record it; raise :class:`OutputError` when the disk is full."""
        outcome, fatal = write_outputs(job, rendered)
        self.record(job, outcome)
        if fatal is not None:
            raise OutputError(job.html_path, fatal)

    # -- the loop -------------------------------------------------------------------------------
    def run(self, units: list[dict], show_progress: bool) -> None:
        """Produce every unit's report; the runner is closed afterwards, whatever happens.

        Raises
        ------
        BatchError
            The output folder (or the scratch folder) could take no more writes.
        KeyboardInterrupt
            Ctrl-C or SIGTERM, after the running kernels were stopped and the manifest saved.
        """
        from tqdm import tqdm

        self.declared = declared_parameters(self.settings.notebook)
        self.notebook_source = self.settings.notebook.read_text(encoding="utf-8") if self.runner.remote else None
        self.bar = tqdm(
            total=len(units),
            desc="reports",
            unit="report",
            file=sys.stderr,
            disable=not show_progress,
            dynamic_ncols=True,
        )
        self.scratch = Path(tempfile.mkdtemp(prefix="plc-batch-"))
        stop = threading.Event()
        previous_handlers = _catch_stop_signals(stop)
        try:
            for unit in units:
                self._wait_for_room(stop)
                self._submit(unit)
            while self.pending:
                self._collect_some(block=True)
                _raise_if_stopped(stop)
            self.manifest["complete"] = True
            self.save()
        except KeyboardInterrupt:
            self._stop_interrupted()
            raise
        except OutputError as exc:
            self._stop_output_full()
            raise BatchError(
                f"{exc}. The manifest keeps the reports finished so far; free some space "
                f"(or make the folder writable) and resume with --only-failed."
            ) from exc
        finally:
            self.runner.close()
            for signum, handler in previous_handlers.items():
                signal.signal(signum, handler)
            self.bar.close()
            shutil.rmtree(self.scratch, ignore_errors=True)

    def _wait_for_room(self, stop: threading.Event) -> None:
        """Collect finished reports; block while the runner's window is full."""
        while len(self.pending) >= self.runner.window:
            self._collect_some(block=True)
            _raise_if_stopped(stop)
        self._collect_some(block=False)
        _raise_if_stopped(stop)

    def _submit(self, unit: Mapping[str, Any]) -> None:
        """Prepare one unit's job (extract, parameters) and submit it, or fail it when its data is unreadable."""
        settings = self.settings
        folder = settings.out / str(unit.get("folder") or safe_name(unit["school_id"]))
        stem = report_stem(unit)
        folder_error = None
        try:
            folder.mkdir(exist_ok=True)
        except OSError as exc:
            if folder_is_full(exc):
                raise OutputError(folder, exc) from exc
            folder_error = exc  # e.g. a path too long for this disk: this report's failure, not the batch's
        job = ReportJob(
            kind=unit["kind"],
            school_id=unit["school_id"],
            team_id=unit["team_id"],
            school_name=unit["school_name"],
            team_name=unit["team_name"],
            notebook=str(settings.notebook),
            parameters={},
            ipynb_path=str(folder / f"{stem}.ipynb"),
            html_path=str(folder / f"{stem}.html"),
            timeout=settings.timeout,
            kernel_name=settings.kernel_name,
            reuse_kernel=settings.reuse_kernels,
        )
        if folder_error is not None:
            self.finish(job, _unreadable_data(job, folder_error, "could not create the report's folder"))
            return
        source = self.school_data(unit["school_id"])
        if isinstance(source, Exception):
            self.finish(job, _unreadable_data(job, source))
            return
        subset = (
            source.filter(school_id=unit["school_id"])
            if unit["kind"] == "school"
            else source.filter(team_id=unit["team_id"])
        )
        try:
            data_param, extract_dir, extract_files = self._data_for(unit, subset, stem)
        except OSError as exc:  # not a full disk (that is an OutputError): a name or path this disk refuses
            self.finish(job, _unreadable_data(job, exc, "could not write the report's extract"))
            return
        builtin = builtin_parameters(
            unit, data_param, start=settings.start, end=settings.end, extract=settings.extract, declared=self.declared
        )
        if "report_dir" in self.declared:  # where a team report writes its proposed actions, beside its HTML
            builtin["report_dir"] = str(folder)
        job = replace(
            job,
            parameters={**builtin, **settings.parameters},
            has_data=has_assessments(subset, settings.start, settings.end),
            notebook_source=self.notebook_source,
            extract_files=extract_files,
            extract_parameters=tuple(k for k in ("data_path", "extract_path") if k in builtin)
            if extract_files is not None
            else (),
            kernel_setup=SMALL_DATA_KERNEL_SETUP if settings.extract else job.kernel_setup,
        )
        self.pending[self.runner.submit(job)] = (job, extract_dir)

    def _data_for(
        self, unit: Mapping[str, Any], subset: Any, stem: str
    ) -> tuple[str, Path | None, dict[str, bytes] | None]:
        """The unit's ``data_path`` parameter, its extract folder here (removed once collected), its extract bytes.

        Without extracts the path is the district's (or the school partition's).
        A remote runner gets the extract's bytes and a placeholder path.
        """
        from ..partitioned import partition_path

        settings = self.settings
        data = settings.data
        data_param = str(partition_path(data, unit["school_id"]).resolve() if settings.partitioned else data.resolve())
        if not settings.extract:
            return data_param, None, None
        assert self.scratch is not None, "extracts are written only while the batch runs"
        extract_dir = self.scratch / (str(unit.get("folder") or safe_name(unit["school_id"])) + "__" + stem)
        peers = self.school_data.peers()
        peers = peers[peers["team_id"].isin(subset.teams["team_id"])]
        try:
            write_extract(subset, extract_dir)
            if len(peers):
                peers.to_parquet(extract_dir / PEER_COUNTS_FILE, index=False)
        except OSError as exc:
            shutil.rmtree(extract_dir, ignore_errors=True)
            if folder_is_full(exc):  # the scratch folder (the system's temporary folder) is full
                raise OutputError(extract_dir, exc) from exc
            raise
        if not self.runner.remote:
            return str(extract_dir), extract_dir, None
        # the worker gets the bytes, not a path it may not see
        extract_files = {p.name: p.read_bytes() for p in sorted(extract_dir.iterdir()) if p.is_file()}
        shutil.rmtree(extract_dir, ignore_errors=True)
        return EXTRACT_PLACEHOLDER, None, extract_files

    def _collect(self, future: Future) -> None:
        """Write and record a report whose future is done (a broken worker fails the report)."""
        job, extract_dir = self.pending.pop(future)
        try:
            rendered = future.result()
        except Exception as exc:  # the worker itself broke (a killed worker process, a lost Dask worker)
            ename, evalue = type(exc).__name__, (str(exc).strip() or "the worker process stopped").splitlines()[0]
            rendered = {
                "status": "failed",
                "seconds": None,
                "error_name": ename,
                "error_value": evalue,
                "finished": now(),
                "notebook": None,
                "html": error_page(job.title, ename, evalue),
            }
        if extract_dir is not None:
            shutil.rmtree(extract_dir, ignore_errors=True)
        if rendered["status"] != "interrupted":
            self.finish(job, rendered)

    def _collect_some(self, block: bool) -> None:
        """Collect the finished reports (waiting up to a second for one when ``block``)."""
        if block and self.pending:
            wait(list(self.pending), timeout=1.0, return_when=FIRST_COMPLETED)
        for future in [f for f in self.pending if f.done()]:
            self._collect(future)

    # -- stopping -------------------------------------------------------------------------------
    def _stop_interrupted(self) -> None:
        """Ctrl-C: kill the running kernels, keep the reports that finished, save the manifest."""
        self.result.interrupted = True
        self.runner.abort()  # running reports kill their kernels within a second
        self.runner.close(list(self.pending))
        self._collect_finished()  # reports that finished as Ctrl-C came are kept
        try:
            self.save()
        except OutputError:
            logger.warning("interrupted, and the manifest could not be saved")
        logger.info("interrupted: %d report(s) finished, manifest saved", len(self.result.reports))

    def _stop_output_full(self) -> None:
        """The output folder takes no more writes: stop the running reports, save the manifest if possible."""
        self.result.interrupted = True
        self.runner.abort()
        self.runner.close(list(self.pending))
        try:
            self.save()
        except OutputError:
            pass

    def _collect_finished(self) -> None:
        """After a stop: record the reports whose results arrived (not the interrupted ones)."""
        for future in [f for f in self.pending if f.done() and not f.cancelled()]:
            try:
                self._collect(future)
            except (OutputError, Exception) as exc:  # best effort while stopping
                logger.info("while stopping: %s", type(exc).__name__)


def _unreadable_data(job: ReportJob, error: Exception, doing: str = "") -> dict:
    """The rendered result of a report that could not start: its school partition unreadable, a name refused."""
    ename = type(error).__name__
    text = f"{error.strerror}: {error.filename}" if isinstance(error, OSError) and error.strerror else str(error)
    evalue = _short(f"{doing}: {text}" if doing else text)
    return {
        "status": "failed",
        "seconds": 0.0,
        "error_name": ename,
        "error_value": evalue,
        "finished": now(),
        "notebook": None,
        "html": error_page(job.title, ename, evalue, detail=str(error)),
    }


def _short(text: str, lines: int = 3, limit: int = 400) -> str:
    """The first lines of a long message (e.g. a PLCDataError's list of problems), on one line."""
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()]
    short = " ".join(kept[:lines]) + (" …" if len(kept) > lines else "")
    return short if len(short) <= limit else short[: limit - 1] + "…"


def _catch_stop_signals(stop: threading.Event) -> dict[int, Any]:
    """Make Ctrl-C and SIGTERM stop this batch (main thread only); return the handlers to restore.

    The handler records the signal in ``stop`` before raising KeyboardInterrupt: a signal that
    arrives while the main thread runs a finaliser (a kernel manager's ``__del__``) has its
    exception swallowed by Python, and the batch loop raises it again from ``stop`` at its next
    step.  A SIGINT handler the application installed itself is left alone.
    """
    if threading.current_thread() is not threading.main_thread():
        return {}

    def interrupt(signum: int, frame: Any) -> None:
        stop.set()
        raise KeyboardInterrupt(f"signal {signum}")

    previous: dict[int, Any] = {signal.SIGTERM: signal.signal(signal.SIGTERM, interrupt)}
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, interrupt)
    return previous


def _raise_if_stopped(stop: threading.Event) -> None:
    """Raise the KeyboardInterrupt of a stop signal whose own exception was lost in a finaliser."""
    if stop.is_set():
        raise KeyboardInterrupt("stopped by a signal")
