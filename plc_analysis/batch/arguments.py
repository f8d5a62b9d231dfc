"""The ``plc batch`` (and ``plc report``) command line: its options, and running a batch from them."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from ..arg_types import iso_date, positive_float, positive_int
from .jobs import BatchError, BatchResult
from .run import run_batch
from .settings import DEFAULT_TIMEOUT, MANIFEST_NAME, STATUSES

__all__ = ["add_batch_arguments", "batch_from_args", "run_batch_from_args", "print_pdfs_from_args"]


def add_batch_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``plc batch`` options to ``parser``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The (sub)parser for ``plc batch``.

    Returns
    -------
    argparse.ArgumentParser
        The same parser.
    """
    parser.add_argument(
        "--data",
        default=None,
        help="district data: canonical folder, OneRoster export or score sheet (default: the sample district)",
    )
    parser.add_argument("--out", default="out", help="output folder (default: out)")
    parser.add_argument(
        "--notebook",
        default=None,
        help="notebook to run (default: the bundled team_report.ipynb, or support_plan.ipynb with --per school)",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=positive_int,
        default=None,
        help="reports run at once, each in its own kernel (default: number of CPU cores)",
    )
    parser.add_argument(
        "--timeout",
        type=positive_float,
        default=None,
        help=f"time limit per report in seconds (default: {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument("--team", action="append", default=None, metavar="TEAM_ID", help="only this team (repeatable)")
    parser.add_argument(
        "--school", action="append", default=None, metavar="SCHOOL_ID", help="only teams of this school (repeatable)"
    )
    parser.add_argument(
        "--per", choices=("team", "school"), default=None, help="one report per team (default) or per school"
    )
    parser.add_argument(
        "--audience",
        choices=("team", "school", "district", "public"),
        default=None,
        help="who the reports are for: team or school (students named), district (aggregates, small "
        "groups suppressed) or public (also no teacher names); default: each report's own",
    )
    parser.add_argument(
        "--pdf",
        action="store_true",
        help="also print every report to a PDF beside its HTML (needs Playwright and the system's Chromium)",
    )
    parser.add_argument("--start", type=iso_date, default=None, help="first day of the reporting period (YYYY-MM-DD)")
    parser.add_argument("--end", type=iso_date, default=None, help="last day of the reporting period (YYYY-MM-DD)")
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=None,
        metavar=("NAME", "VALUE"),
        help="extra notebook parameter (repeatable)",
    )
    parser.add_argument(
        "--only-failed",
        action="store_true",
        help="re-run only reports that failed, timed out or are missing from the manifest",
    )
    parser.add_argument(
        "--quarantine",
        action="store_true",
        help="skip invalid rows (listed in the data's rejected rows) instead of stopping",
    )
    parser.add_argument(
        "--no-extract",
        action="store_true",
        help="give each notebook the whole district instead of its team's extract (slower)",
    )
    parser.add_argument(
        "--executor",
        choices=("thread", "process"),
        default="thread",
        help="drive the kernels from threads (default) or worker processes (many cores)",
    )
    parser.add_argument(
        "--fresh-kernels",
        action="store_true",
        help="a new kernel for every report (default: each worker reuses its kernel, cleared "
        "between reports; use this for notebooks that change process-wide state)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run the reports on a Dask cluster: scheduler address (tcp://host:8786), "
        "scheduler file (.json) or 'local' (needs the dask extra)",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.add_argument("--verbose", "-v", action="store_true", help="log diagnostics to stderr")
    return parser


def _parse_value(text: str) -> Any:
    """Type a ``-p`` value like papermill's CLI: int, float, bool, None, else the string."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    return text


def batch_from_args(args: argparse.Namespace) -> int:
    """Run ``plc batch`` from parsed arguments and print a summary.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed by a parser prepared with :func:`add_batch_arguments`.

    Returns
    -------
    int
        Exit code: 0 every report ran, 1 some failed or timed out, 2 the
        batch could not start (bad output folder, notebook, team id, data or
        cluster address) or had to stop because the output folder could no
        longer be written (disk full), 130 interrupted (Ctrl-C or SIGTERM).
        After 1, 2 (once the cause is fixed) or 130, ``--only-failed``
        resumes.
    """
    result, code = run_batch_from_args(args)
    if result is not None:
        if getattr(args, "pdf", False):
            code = max(code, print_pdfs_from_args(result.out_dir, "plc batch"))
        print(f"Index: {result.index_path}")
    return code


def print_pdfs_from_args(out_dir: Path, command: str) -> int:
    """``--pdf``: print the batch's reports with one browser and say how it went; return an exit code.

    Parameters
    ----------
    out_dir : Path
        The batch's output folder.
    command : str
        ``"plc batch"`` or ``"plc report"``, for the messages.

    Returns
    -------
    int
        0 every report printed, 1 some could not be, 2 none could (no browser: the reason on stderr).
    """
    from .printing import print_batch

    try:
        counts = print_batch(out_dir)
    except BatchError as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return 2
    print(f"{counts['printed']} PDF(s) printed" + (f", {counts['failed']} could not be" if counts["failed"] else ""))
    return 1 if counts["failed"] else 0


def run_batch_from_args(args: argparse.Namespace) -> tuple[BatchResult | None, int]:
    """Run the batch ``args`` describe and print its summary, but not the index's path.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed by a parser prepared with :func:`add_batch_arguments`.

    Returns
    -------
    (BatchResult or None, int)
        The result (None when the batch could not start, stopped on a full
        disk or was interrupted: the reason is printed on stderr) and the exit
        code of :func:`batch_from_args`.
    """
    from ..errors import PLCDataError
    from .engine import skip_unused_iri_grammar

    skip_unused_iri_grammar()  # this process is the plc command's: a second less at the start
    if getattr(args, "verbose", False):
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parameters = {name: _parse_value(value) for name, value in (args.parameter or [])}
    try:
        result = run_batch(
            args.data,
            args.out,
            notebook=args.notebook,
            jobs=args.jobs,
            timeout=args.timeout,
            teams=args.team,
            schools=args.school,
            per=args.per,
            start=args.start,
            end=args.end,
            parameters=parameters,
            only_failed=args.only_failed,
            extract=not args.no_extract,
            errors="quarantine" if args.quarantine else "raise",
            progress=False if args.quiet else None,
            executor=getattr(args, "executor", "thread"),
            scheduler=getattr(args, "scheduler", None),
            fresh_kernels=getattr(args, "fresh_kernels", False),
            audience=getattr(args, "audience", None),
        )
    except BatchError as exc:
        print(f"plc batch: {exc}", file=sys.stderr)
        return None, 2
    except PLCDataError as exc:
        print(f"plc batch: the data does not validate (use --quarantine to skip bad rows):\n{exc}", file=sys.stderr)
        return None, 2
    except (FileNotFoundError, ValueError) as exc:
        print(f"plc batch: {exc}", file=sys.stderr)
        return None, 2
    except KeyboardInterrupt:
        print(
            f"plc batch: interrupted; finished reports are in {Path(args.out).resolve() / MANIFEST_NAME}. "
            "Resume with --only-failed.",
            file=sys.stderr,
        )
        return None, 130
    print_summary(result, only_failed=args.only_failed)
    return result, result.exit_code


def print_summary(result: BatchResult, *, only_failed: bool = False) -> None:
    """Print how many reports ran, in how long, by status, and one line per failure.

    Parameters
    ----------
    result : BatchResult
        What :func:`run_batch` returned.
    only_failed : bool
        Whether the batch re-ran failed reports only (changes the "nothing to run" message).
    """
    counts = result.counts
    if not result.reports:
        print("Nothing to run" + (" (no failed reports)." if only_failed else "."))
        return
    summary = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
    where = (
        f"on the Dask cluster at {result.manifest.get('scheduler')}"
        if result.executor == "dask"
        else f"with {result.jobs} job(s)"
    )
    print(f"{len(result.reports)} report(s) in {result.seconds:.1f} s {where}: {summary}")
    for entry in result.failed:
        who = entry["team_id"] if entry["kind"] == "team" else "(school)"
        print(f"  {entry['status']:<7} {entry['school_id']}/{who}: {entry['error_name']}: {entry['error_value']}")
