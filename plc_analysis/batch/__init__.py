"""Batch reports: run a parameterized notebook once per team (or school) with papermill.

``plc batch`` (and :func:`run_batch`) loads and validates the district once,
writes each team's rows to a small Parquet extract, and runs the report
notebook for every team, several at once.  Each executed notebook is converted
to standalone HTML where it ran, with the code hidden; the batch process
writes the files.  The output folder holds:

    out/
      index.html                 every report, grouped by school, with its status
      manifest.json              one entry per report (status, seconds, error, paths)
      <school_id>/<team_id>.ipynb
      <school_id>/<team_id>.html
      <school_id>/index-school.{ipynb,html}     (with ``--per school``)

One report's failure (an exception, a dead kernel, a timeout, an unreadable
partition of the data) never stops the others: its HTML shows the partially
executed notebook with the failing cell marked, the manifest records it, and
the exit code is 1.  Every file is written atomically and the manifest is
rewritten after every report, so an interrupted batch can be resumed with
``--only-failed`` (teams missing from the manifest count as still to do).  A
full disk (or an output folder that turns read-only) stops the batch: no
partial file is left, the manifest keeps every report finished until then and
the exit code is 2; free some space and resume with ``--only-failed``.

Notebook parameters passed to every run: ``team_id`` (team reports only),
``school_id``, ``data_path`` (the team's extract, a canonical folder that
:func:`plc_analysis.load_dataset` reads), ``start`` and ``end`` (ISO dates or
``""`` for no bound); ``extract_path`` (same folder) when the notebook declares
it; and any ``-p name value`` given by the user.

Data.  ``data_path`` is anything :func:`plc_analysis.load_dataset` reads, or a
district partitioned by school (:mod:`plc_analysis.partitioned`): then only
the schools' and teams' tables of every partition are read to plan the batch,
and each team's extract is built from its own school's partition alone, read
when that school's first report is prepared.

Execution model.  Each report runs in its own ``python3`` kernel (a separate
process), so the parallel work is in the kernels; the batch only drives them
and renders HTML.  By default ``--jobs`` threads of the batch process drive
the kernels (papermill in threads, each with its own kernel): on 2 cores this
measured faster than a :class:`concurrent.futures.ProcessPoolExecutor`, whose
workers must import papermill and nbconvert again (seconds) for little gain.
``executor="process"`` (``--executor process``) runs worker processes forked
from a ``forkserver`` instead, for many-core machines where rendering HTML
under one GIL would become the bottleneck.  ``scheduler=`` (``--scheduler
tcp://host:8786``) runs the reports on a Dask distributed cluster instead: the
task carries the notebook's text and the team's extract (bytes) and returns
the executed notebook and its HTML, so the workers need the package and a
``python3`` kernel but no access to the batch's folders.  The time limit is
enforced twice: papermill's per-cell ``execution_timeout`` and a guard thread
that kills the kernel's process group when the whole notebook overruns; Ctrl-C
(or SIGTERM) kills the running kernels (on a cluster too), keeps the finished
reports and saves the manifest.

Modules (each with one job):

* ``settings``: notebooks, time limits, file names and statuses the modules share
* ``jobs``: :class:`ReportJob`, :class:`BatchResult`, :class:`BatchError`, manifest keys
* ``guard``: the time limit / Ctrl-C watcher that kills a report's kernel
* ``engine``: the papermill engine: quiet kernels on Unix sockets, deaths and timeouts in the notebook
* ``execute``: run one report and render it in memory (what every worker does)
* ``outputs``: write a rendered report atomically; :func:`run_report`
* ``local_runner``: thread / forkserver process pools on this machine
* ``dask_runner``: tasks on a Dask cluster (``DASK_CONNECT_TIMEOUT`` lives there)
* ``plan``: which reports, their file names and parameters
* ``driver``: the loop that submits reports, collects them and saves the manifest
* ``run``: :func:`run_batch`
* ``manifest``: ``manifest.json``: load and save (with the index)
* ``out_lock``: one batch at a time per output folder (a lock on ``out/.plc-batch.lock``)
* ``index_page``: :func:`render_index`
* ``overview``: the district overview of ``plc report``, linked from the index
* ``arguments``: the ``plc batch`` options and :func:`batch_from_args`

What one module uses of another (``plan.report_units``, ``outputs.OutputError``,
``local_runner.LocalRunner`` ...) has a public, documented name in that module's
``__all__``: the package's internal API, not re-exported here.
"""

from __future__ import annotations

import logging

from .arguments import add_batch_arguments, batch_from_args, print_summary, run_batch_from_args
from .index_page import render_index
from .jobs import BatchError, BatchResult, ReportJob
from .manifest import load_manifest, save_manifest
from .outputs import run_report
from .overview import run_district_overview
from .run import run_batch
from .settings import (
    DEFAULT_NOTEBOOK,
    DEFAULT_SCHOOL_NOTEBOOK,
    DEFAULT_TIMEOUT,
    DISTRICT_OVERVIEW_NOTEBOOK,
    FAILED_STATUSES,
    INDEX_NAME,
    MANIFEST_NAME,
    STATUSES,
)

__all__ = [
    "run_batch",
    "run_report",
    "run_district_overview",
    "BatchResult",
    "BatchError",
    "ReportJob",
    "add_batch_arguments",
    "batch_from_args",
    "run_batch_from_args",
    "print_summary",
    "load_manifest",
    "save_manifest",
    "render_index",
    "STATUSES",
    "FAILED_STATUSES",
    "DEFAULT_NOTEBOOK",
    "DEFAULT_SCHOOL_NOTEBOOK",
    "DISTRICT_OVERVIEW_NOTEBOOK",
    "DEFAULT_TIMEOUT",
    "MANIFEST_NAME",
    "INDEX_NAME",
]

# diagnostics of every batch module (loggers plc_analysis.batch.*) only when the application configures logging
logging.getLogger(__name__).addHandler(logging.NullHandler())
