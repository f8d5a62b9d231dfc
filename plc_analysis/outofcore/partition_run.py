"""The district aggregates run school by school: here, in a pool of processes, or on a Dask cluster.

:func:`partitioned_overview` sends one task per school partition
(:func:`~plc_analysis.outofcore.partials.school_partial`) to

* this process, one school after another (``jobs=1``, the default);
* a pool of ``jobs`` processes on this machine;
* a Dask distributed cluster (``scheduler=``: an address such as
  ``tcp://host:8786``, a scheduler file, ``"local"`` for a cluster of this
  machine's cores, or a :class:`distributed.Client` / cluster object).  Every
  worker reads its schools' partitions from the district folder, so the
  folder must be at the same path on every worker (a shared file system).

Each task returns only its small partial (counts, and a few rows per student
enrolled in several schools); the combine step
(:func:`~plc_analysis.outofcore.combine.combine_partials`) runs here.  The
result equals the whole district's tables on one machine
(:func:`~plc_analysis.outofcore.proficiency_sql.district_proficiency_by_skill`)
to the last count.
"""

from __future__ import annotations

import multiprocessing
import re
import sys
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import PLCDataError, Problem, problems_frame
from ..load_steps import Errors
from ..proficiency import MasteryRule
from .combine import combine_partials
from .district import DEFAULT_MEMORY_LIMIT
from .partials import ByLevel, PartialRequest, SchoolPartial, crossing_students, partition_list, school_partial

__all__ = ["CombinedTables", "partitioned_overview", "partitioned_proficiency_by_skill", "by_label"]

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B)\s*$", re.IGNORECASE)
_UNITS = {"k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def by_label(by: ByLevel) -> str:
    """A table's name from its ``by``: ``team``, ``team+ell``, ``district`` for None.

    Returns
    -------
    str
    """
    if by is None:
        return "district"
    return by if isinstance(by, str) else "+".join(by)


@dataclass
class CombinedTables:
    """The district's proficiency tables, with what was read to compute them.

    Attributes
    ----------
    tables : dict of str to DataFrame
        One per ``by`` asked for, named by :func:`by_label` (``team``,
        ``school``, ``district`` ...), each as :func:`plc_analysis.proficiency_by_skill`.
    schools : list of str
        The schools aggregated.
    n_scores : int
        Valid score rows read, every school together.
    crossing : int or None
        Students enrolled in several schools (combined from their rows, not
        their counts); None when the whole district was computed at once.
    problems : list of Problem
        Every school's validation problems (warnings, and errors with ``errors="quarantine"``).
    rejected : DataFrame
        Rows left out, every school together.
    """

    tables: dict[str, pd.DataFrame]
    schools: list[str]
    n_scores: int = 0
    crossing: int | None = 0
    problems: list[Problem] = field(default_factory=list)
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def problems_table(self) -> pd.DataFrame:
        """:attr:`problems` as a DataFrame (``file, line, column, value, reason, severity``)."""
        return problems_frame(self.problems)


def _bytes(limit: str) -> int:
    found = _SIZE.match(limit)
    if not found:
        raise ValueError(f"memory_limit must be a size such as '3GB' or '512MB', not {limit!r}")
    return int(float(found.group(1)) * _UNITS[found.group(2)[0].lower()])


def _per_task(limit: str, tasks: int) -> str:
    """``limit`` shared among ``tasks`` running at once (at least 256 MB each)."""
    return f"{max(256, _bytes(limit) // max(1, tasks) // 2**20)}MB"


@dataclass(frozen=True)
class _Work:
    """What every school's task is given besides its school."""

    path: str
    request: PartialRequest
    crossing: frozenset[str]
    memory_limit: str


def _one_after_another(schools: list[str], work: _Work) -> Iterator[SchoolPartial]:
    for school in schools:
        yield school_partial(work.path, school, work.request, work.crossing, memory_limit=work.memory_limit)


def _pool_task(work: _Work, school: str) -> SchoolPartial:
    """A pool process's task: one school's partial with one DuckDB thread (the pool is the parallelism)."""
    return school_partial(work.path, school, work.request, work.crossing, memory_limit=work.memory_limit, threads=1)


def _in_processes(schools: list[str], jobs: int, work: _Work) -> Iterator[SchoolPartial]:
    # spawned, not forked: a forked copy of a process holding DuckDB's or Arrow's threads can hang
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = [pool.submit(_pool_task, work, school) for school in schools]
        try:
            for future in as_completed(futures):
                yield future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _on_dask(schools: list[str], scheduler: Any, work: _Work) -> Iterator[SchoolPartial]:
    from ..batch.dask_runner import DASK_CONNECT_TIMEOUT, dask_client

    client, owned = dask_client(scheduler, None)  # a clear BatchError when distributed is not installed
    from distributed import as_completed as dask_completed

    try:
        client.wait_for_workers(1, timeout=DASK_CONNECT_TIMEOUT)
        shared = client.scatter([work.crossing], broadcast=True)[0]
        threads = max(1, max(client.nthreads().values(), default=1))
        batch = uuid.uuid4().hex[:8]
        futures = [
            client.submit(
                school_partial,
                work.path,
                school,
                work.request,
                shared,
                memory_limit=_per_task(work.memory_limit, threads),
                pure=False,
                key=f"plc-school-partial-{batch}-{i}",
            )
            for i, school in enumerate(schools)
        ]
        try:
            for future in dask_completed(futures):
                yield future.result()
        except BaseException:
            client.cancel(futures)
            raise
    finally:
        for thing in owned:
            thing.close()


def partitioned_overview(
    path: str | Path,
    bys: Sequence[str | Sequence[str] | None] = ("team", "school", None),
    rule: MasteryRule = "most_recent",
    *,
    weight: float = 0.65,
    cut: float | None = None,
    confidence: float = 0.95,
    errors: Errors = "raise",
    jobs: int = 1,
    scheduler: Any = None,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    progress: bool = False,
) -> CombinedTables:
    """The district's proficiency-by-skill tables, one task per school partition, then combined.

    Parameters
    ----------
    path : str or Path
        A school-partitioned district (:func:`plc_analysis.write_partitioned`).
    bys : sequence
        One table per entry, as ``by=`` of :func:`plc_analysis.proficiency_by_skill`
        (None: the whole district); default by team, by school and the district.
    rule, weight, cut, confidence
        As :func:`plc_analysis.proficiency_by_skill`.
    errors : {"raise", "quarantine"}
        Raise :class:`~plc_analysis.PLCDataError` listing every school's
        problems at once, or keep the valid rows and list the others in
        :attr:`CombinedTables.rejected`.
    jobs : int
        Schools aggregated at once on this machine, each in its own process
        (1: one after another in this process).
    scheduler : optional
        Run the tasks on a Dask cluster instead (see the module docstring).
    memory_limit : str
        DuckDB's memory for all the tasks running at once on one machine
        (shared among ``jobs``, or among a Dask worker's threads).
    progress : bool
        Show a progress bar (one step per school) on stderr.

    Returns
    -------
    CombinedTables

    Raises
    ------
    ValueError
        ``path`` is not school-partitioned, score rows lie in ``_shared``, an
        unknown ``by`` or rule, or ``jobs`` below 1.
    PLCDataError
        With ``errors="raise"``, when any school's rows fail validation.
    """
    from tqdm import tqdm

    if errors not in ("raise", "quarantine"):
        raise ValueError(f"errors must be 'raise' or 'quarantine', not {errors!r}")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    request = PartialRequest(tuple(b if b is None or isinstance(b, str) else tuple(b) for b in bys), rule, weight, cut)
    labels = [by_label(b) for b in request.bys]
    if len(set(labels)) != len(labels):
        raise ValueError(f"each table once: {', '.join(labels)}")
    _bytes(memory_limit)
    schools = partition_list(path)
    crossing = crossing_students(path)
    work = _Work(str(Path(path).resolve()), request, crossing, memory_limit)
    if scheduler is not None:
        running = _on_dask(schools, scheduler, work)
    elif jobs > 1 and len(schools) > 1:
        at_once = min(jobs, len(schools))
        running = _in_processes(schools, at_once, replace(work, memory_limit=_per_task(memory_limit, at_once)))
    else:
        running = _one_after_another(schools, work)
    partials: list[SchoolPartial] = []
    with tqdm(total=len(schools), desc="schools", unit="school", file=sys.stderr, disable=not progress) as bar:
        for partial in running:
            partials.append(partial)
            bar.update(1)
    partials.sort(key=lambda p: schools.index(p.school_id))
    problems = list(dict.fromkeys(p for partial in partials for p in partial.problems))
    if errors == "raise" and any(p.severity == "error" for p in problems):
        raise PLCDataError(problems, source=str(path))
    tables = combine_partials(partials, request, confidence=confidence)
    rejected = [p.rejected for p in partials if len(p.rejected)]
    return CombinedTables(
        tables=dict(zip(labels, tables)),
        schools=schools,
        n_scores=sum(p.n_scores for p in partials),
        crossing=len(crossing),
        problems=problems,
        rejected=pd.concat(rejected, ignore_index=True) if rejected else pd.DataFrame(),
    )


def partitioned_proficiency_by_skill(
    path: str | Path,
    by: str | list[str] | None = "team",
    rule: MasteryRule = "most_recent",
    *,
    weight: float = 0.65,
    cut: float | None = None,
    confidence: float = 0.95,
    jobs: int = 1,
    scheduler: Any = None,
    progress: bool = False,
) -> pd.DataFrame:
    """:func:`plc_analysis.proficiency_by_skill` of a school-partitioned district, school by school.

    Parameters
    ----------
    path : str or Path
        A school-partitioned district.
    by, rule, weight, cut, confidence
        As :func:`plc_analysis.proficiency_by_skill`.
    jobs, scheduler, progress
        As :func:`partitioned_overview`.

    Returns
    -------
    DataFrame
        As :func:`plc_analysis.proficiency_by_skill`: ``skill_id,
        description, essential, proficiency_cut, <group columns>, n_assessed,
        n_proficient, share_proficient, ci_low, ci_high, n_absent,
        n_not_attempted, mean_score``.
    """
    level: ByLevel = tuple(by) if isinstance(by, list) else by
    result = partitioned_overview(
        path,
        [level],
        rule,
        weight=weight,
        cut=cut,
        confidence=confidence,
        jobs=jobs,
        scheduler=scheduler,
        progress=progress,
    )
    return result.tables[by_label(level)]
